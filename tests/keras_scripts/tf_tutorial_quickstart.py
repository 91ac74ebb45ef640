"""TensorFlow's two quickstarts ("for beginners" and "for experts"), reduced.

Source: tensorflow/docs ``site/en/tutorials/quickstart/beginner.ipynb`` and
``quickstart/advanced.ipynb``. Only the import lines changed (``import tensorflow as tf`` ->
``import minidl.tf as tf``, ``from tensorflow.keras...`` -> ``from minidl.keras...``). Reduced:
2,000 / 1,000 MNIST training images and 500 test images, 2 epochs in place of 5.

Patterns (beginner): ``model(x_train[:1]).numpy()`` on an untrained model,
``tf.nn.softmax(predictions).numpy()`` of a NumPy array, calling a loss object on NumPy labels
and predictions and ``.numpy()`` of it (about ``-log(1/10)``), ``compile(loss=loss_fn)``,
``evaluate(..., verbose=2)``, ``Sequential([model, Softmax()])`` called directly.
Patterns (expert): ``x[..., tf.newaxis].astype("float32")``, a subclassed ``Model`` with
``Conv2D(32, 3, activation='relu')``, ``tf.keras.metrics.Mean(name=...)`` and
``SparseCategoricalAccuracy(name=...)`` called as functions (``train_loss(loss)``,
``train_accuracy(labels, predictions)``), ``@tf.function`` steps with a tape,
``reset_state()``, and f-strings formatting ``metric.result()`` with ``:0.2f`` and ``* 100``.
"""

import numpy as np

import minidl.tf as tf
from minidl.keras import Model
from minidl.keras.layers import Conv2D, Dense, Flatten

print("TensorFlow version:", tf.__version__)

# -- beginner ------------------------------------------------------------------------------------
mnist = tf.keras.datasets.mnist

(x_train, y_train), (x_test, y_test) = mnist.load_data()
x_train, y_train, x_test, y_test = x_train[:2000], y_train[:2000], x_test[:500], y_test[:500]
x_train, x_test = x_train / 255.0, x_test / 255.0

model = tf.keras.models.Sequential([
    tf.keras.layers.Flatten(input_shape=(28, 28)),
    tf.keras.layers.Dense(128, activation='relu'),
    tf.keras.layers.Dropout(0.2),
    tf.keras.layers.Dense(10)
])

predictions = model(x_train[:1]).numpy()
print(predictions)
print(tf.nn.softmax(predictions).numpy())
assert predictions.shape == (1, 10)
np.testing.assert_allclose(tf.nn.softmax(predictions).numpy().sum(), 1.0, rtol=1e-5)

loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
print(loss_fn(y_train[:1], predictions).numpy())
assert abs(loss_fn(y_train[:1], predictions).numpy() - np.log(10)) < 1.5

model.compile(optimizer='adam',
              loss=loss_fn,
              metrics=['accuracy'])

model.fit(x_train, y_train, epochs=2)

loss, accuracy = model.evaluate(x_test, y_test, verbose=2)
assert accuracy > 0.8, accuracy

probability_model = tf.keras.Sequential([
    model,
    tf.keras.layers.Softmax()
])

print(probability_model(x_test[:5]))
np.testing.assert_allclose(probability_model(x_test[:5]).numpy().sum(axis=1), 1.0, rtol=1e-5)

# -- expert --------------------------------------------------------------------------------------
(x_train, y_train), (x_test, y_test) = mnist.load_data()
x_train, y_train, x_test, y_test = x_train[:1000], y_train[:1000], x_test[:500], y_test[:500]
x_train, x_test = x_train / 255.0, x_test / 255.0

# Add a channels dimension
x_train = x_train[..., tf.newaxis].astype("float32")
x_test = x_test[..., tf.newaxis].astype("float32")

train_ds = tf.data.Dataset.from_tensor_slices(
    (x_train, y_train)).shuffle(10000).batch(32)

test_ds = tf.data.Dataset.from_tensor_slices((x_test, y_test)).batch(32)


class MyModel(Model):
    def __init__(self):
        super().__init__()
        self.conv1 = Conv2D(32, 3, activation='relu')
        self.flatten = Flatten()
        self.d1 = Dense(128, activation='relu')
        self.d2 = Dense(10)

    def call(self, x):
        x = self.conv1(x)
        x = self.flatten(x)
        x = self.d1(x)
        return self.d2(x)


# Create an instance of the model
model = MyModel()

loss_object = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)

optimizer = tf.keras.optimizers.Adam()

train_loss = tf.keras.metrics.Mean(name='train_loss')
train_accuracy = tf.keras.metrics.SparseCategoricalAccuracy(name='train_accuracy')

test_loss = tf.keras.metrics.Mean(name='test_loss')
test_accuracy = tf.keras.metrics.SparseCategoricalAccuracy(name='test_accuracy')


@tf.function
def train_step(images, labels):
    with tf.GradientTape() as tape:
        # training=True is only needed if there are layers with different
        # behavior during training versus inference (e.g. Dropout).
        predictions = model(images, training=True)
        loss = loss_object(labels, predictions)
    gradients = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(gradients, model.trainable_variables))

    train_loss(loss)
    train_accuracy(labels, predictions)


@tf.function
def test_step(images, labels):
    # training=False is only needed if there are layers with different
    # behavior during training versus inference (e.g. Dropout).
    predictions = model(images, training=False)
    t_loss = loss_object(labels, predictions)

    test_loss(t_loss)
    test_accuracy(labels, predictions)


EPOCHS = 2

for epoch in range(EPOCHS):
    # Reset the metrics at the start of the next epoch
    train_loss.reset_state()
    train_accuracy.reset_state()
    test_loss.reset_state()
    test_accuracy.reset_state()

    for images, labels in train_ds:
        train_step(images, labels)

    for test_images, test_labels in test_ds:
        test_step(test_images, test_labels)

    print(
        f'Epoch {epoch + 1}, '
        f'Loss: {train_loss.result():0.2f}, '
        f'Accuracy: {train_accuracy.result() * 100:0.2f}, '
        f'Test Loss: {test_loss.result():0.2f}, '
        f'Test Accuracy: {test_accuracy.result() * 100:0.2f}'
    )

assert float(test_accuracy.result()) > 0.8, float(test_accuracy.result())
