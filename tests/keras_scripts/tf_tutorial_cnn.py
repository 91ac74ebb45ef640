"""TensorFlow tutorial "Convolutional Neural Network (CNN)", reduced.

Source: tensorflow/docs ``site/en/tutorials/images/cnn.ipynb``. Only the import lines changed
(``import tensorflow as tf`` -> ``import minidl.tf as tf``, ``from tensorflow.keras import
datasets, layers, models`` -> ``from minidl.keras import ...``).

Substitute data: CIFAR-10 is not among the offline datasets, so ``datasets.cifar10.load_data()``
is replaced by Fashion-MNIST shaped like CIFAR-10 -- padded to 32x32, repeated over 3 colour
channels, uint8, labels as (n, 1) arrays (the tutorial indexes ``train_labels[i][0]``). Reduced:
1,000 training and 300 test images, 4 epochs in place of 10.

Patterns: ``models.Sequential()`` grown with ``model.add`` and summarised half-built (before the
``Flatten``/``Dense`` head) and again whole, ``Conv2D(32, (3, 3), activation='relu',
input_shape=(32, 32, 3))``, ``MaxPooling2D((2, 2))``, ``SparseCategoricalCrossentropy(
from_logits=True)`` with (n, 1) integer labels and ``metrics=['accuracy']``,
``fit(..., validation_data=...)`` history curves, ``evaluate(..., verbose=2)``.
"""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np

import minidl.tf as tf
from minidl.keras import datasets, layers, models


def cifar10_shaped_fashion_mnist(train=1000, test=300):
    """Substitute for ``datasets.cifar10.load_data()`` (see the module docstring)."""
    (x_train, y_train), (x_test, y_test) = datasets.fashion_mnist.load_data()

    def as_cifar(images, labels, count):
        padded = np.pad(images[:count], ((0, 0), (2, 2), (2, 2)))
        return np.repeat(padded[..., None], 3, axis=-1), labels[:count].reshape(-1, 1).astype(np.uint8)

    return as_cifar(x_train, y_train, train), as_cifar(x_test, y_test, test)


(train_images, train_labels), (test_images, test_labels) = cifar10_shaped_fashion_mnist()

# Normalize pixel values to be between 0 and 1
train_images, test_images = train_images / 255.0, test_images / 255.0

class_names = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat',
               'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot']

plt.figure(figsize=(10, 10))
for i in range(25):
    plt.subplot(5, 5, i + 1)
    plt.xticks([])
    plt.yticks([])
    plt.grid(False)
    plt.imshow(train_images[i])
    # The CIFAR labels happen to be arrays,
    # which is why you need the extra index
    plt.xlabel(class_names[train_labels[i][0]])
plt.show()

model = models.Sequential()
model.add(layers.Conv2D(32, (3, 3), activation='relu', input_shape=(32, 32, 3)))
model.add(layers.MaxPooling2D((2, 2)))
model.add(layers.Conv2D(64, (3, 3), activation='relu'))
model.add(layers.MaxPooling2D((2, 2)))
model.add(layers.Conv2D(64, (3, 3), activation='relu'))

model.summary()
assert model.output_shape == (None, 4, 4, 64), model.output_shape

model.add(layers.Flatten())
model.add(layers.Dense(64, activation='relu'))
model.add(layers.Dense(10))

model.summary()
assert model.count_params() == 122570, model.count_params()  # the tutorial's "Total params: 122,570"

model.compile(optimizer='adam',
              loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=['accuracy'])

history = model.fit(train_images, train_labels, epochs=4,
                    validation_data=(test_images, test_labels))

plt.plot(history.history['accuracy'], label='accuracy')
plt.plot(history.history['val_accuracy'], label='val_accuracy')
plt.xlabel('Epoch')
plt.ylabel('Accuracy')
plt.ylim([0.5, 1])
plt.legend(loc='lower right')

test_loss, test_acc = model.evaluate(test_images, test_labels, verbose=2)

print(test_acc)
assert test_acc > 0.6, test_acc
assert history.history['accuracy'][-1] > history.history['accuracy'][0], history.history
plt.close('all')
