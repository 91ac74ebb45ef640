"""TensorFlow tutorial "Basic classification: Classify images of clothing", reduced.

Source: tensorflow/docs ``site/en/tutorials/keras/classification.ipynb``. Only the import line
changed (``import tensorflow as tf`` -> ``import minidl.tf as tf``); the data is cut to 2,000
training and 500 test images and the epochs to 3 so it runs in seconds.

Patterns: ``tf.keras.datasets.fashion_mnist.load_data()``, images divided by 255.0 (float64
arrays), ``tf.keras.layers.Flatten(input_shape=(28, 28))``, a ``Dense(10)`` logits layer with
``tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)``, ``evaluate(..., verbose=2)``
unpacked into loss and accuracy, a probability model wrapping the trained model
``tf.keras.Sequential([model, tf.keras.layers.Softmax()])``, ``np.argmax`` / ``np.max`` of
predictions, predicting a single image after ``np.expand_dims``, and the tutorial's matplotlib
plots of images and prediction bars (drawn off screen).
"""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np

import minidl.tf as tf

print(tf.__version__)

fashion_mnist = tf.keras.datasets.fashion_mnist

(train_images, train_labels), (test_images, test_labels) = fashion_mnist.load_data()
# Reduced: the tutorial trains on all 60,000 images.
train_images, train_labels = train_images[:2000], train_labels[:2000]
test_images, test_labels = test_images[:500], test_labels[:500]

class_names = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat',
               'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot']

print(train_images.shape, len(train_labels), train_labels, test_images.shape, len(test_labels))

plt.figure()
plt.imshow(train_images[0])
plt.colorbar()
plt.grid(False)
plt.show()

train_images = train_images / 255.0

test_images = test_images / 255.0

plt.figure(figsize=(10, 10))
for i in range(25):
    plt.subplot(5, 5, i + 1)
    plt.xticks([])
    plt.yticks([])
    plt.grid(False)
    plt.imshow(train_images[i], cmap=plt.cm.binary)
    plt.xlabel(class_names[train_labels[i]])
plt.show()

model = tf.keras.Sequential([
    tf.keras.layers.Flatten(input_shape=(28, 28)),
    tf.keras.layers.Dense(128, activation='relu'),
    tf.keras.layers.Dense(10)
])

model.compile(optimizer='adam',
              loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=['accuracy'])

model.fit(train_images, train_labels, epochs=3)

test_loss, test_acc = model.evaluate(test_images, test_labels, verbose=2)

print('\nTest accuracy:', test_acc)
assert 0.65 < test_acc <= 1.0, test_acc

probability_model = tf.keras.Sequential([model,
                                         tf.keras.layers.Softmax()])

predictions = probability_model.predict(test_images)

print(predictions[0])
print(np.argmax(predictions[0]), test_labels[0])
assert predictions.shape == (500, 10)
np.testing.assert_allclose(predictions.sum(axis=1), 1.0, rtol=1e-5)
assert abs(np.mean(np.argmax(predictions, axis=1) == test_labels) - test_acc) < 1e-6


def plot_image(i, predictions_array, true_label, img):
    true_label, img = true_label[i], img[i]
    plt.grid(False)
    plt.xticks([])
    plt.yticks([])

    plt.imshow(img, cmap=plt.cm.binary)

    predicted_label = np.argmax(predictions_array)
    if predicted_label == true_label:
        color = 'blue'
    else:
        color = 'red'

    plt.xlabel("{} {:2.0f}% ({})".format(class_names[predicted_label],
                                         100 * np.max(predictions_array),
                                         class_names[true_label]),
               color=color)


def plot_value_array(i, predictions_array, true_label):
    true_label = true_label[i]
    plt.grid(False)
    plt.xticks(range(10))
    plt.yticks([])
    thisplot = plt.bar(range(10), predictions_array, color="#777777")
    plt.ylim([0, 1])
    predicted_label = np.argmax(predictions_array)

    thisplot[predicted_label].set_color('red')
    thisplot[true_label].set_color('blue')


i = 12
plt.figure(figsize=(6, 3))
plt.subplot(1, 2, 1)
plot_image(i, predictions[i], test_labels, test_images)
plt.subplot(1, 2, 2)
plot_value_array(i, predictions[i], test_labels)
plt.show()

img = test_images[1]
print(img.shape)
img = (np.expand_dims(img, 0))
print(img.shape)

predictions_single = probability_model.predict(img)
print(predictions_single)

plot_value_array(1, predictions_single[0], test_labels)
_ = plt.xticks(range(10), class_names, rotation=45)
plt.show()

print(np.argmax(predictions_single[0]))
assert predictions_single.shape == (1, 10)
np.testing.assert_allclose(predictions_single[0], predictions[1], rtol=1e-4, atol=1e-6)
plt.close("all")
