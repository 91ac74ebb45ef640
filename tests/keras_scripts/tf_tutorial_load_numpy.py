"""TensorFlow tutorial "Load NumPy data", reduced.

Source: tensorflow/docs ``site/en/tutorials/load_data/numpy.ipynb``. Only the import line
changed (``import tensorflow as tf`` -> ``import minidl.tf as tf``).

Substitute data: the tutorial downloads Keras's ``mnist.npz``; here an ``.npz`` of the same keys
(``x_train``, ``y_train``, ``x_test``, ``y_test``, uint8 images 0-255) is written from the MNIST
files in ``MINIDL_DATA_DIR`` -- 2,000 training and 500 test images. Reduced: 3 epochs in place
of 10.

Patterns: ``with np.load(path) as data`` and its arrays; ``Dataset.from_tensor_slices((uint8
images, labels)).shuffle(100).batch(64)`` fed to ``fit`` and ``evaluate`` (uint8 pixels, not
scaled, as the tutorial does); ``Flatten(input_shape=(28, 28))``;
``tf.keras.optimizers.RMSprop()``; ``metrics=['sparse_categorical_accuracy']``.
"""

import numpy as np

import minidl.tf as tf

(x_train, y_train), (x_test, y_test) = tf.keras.datasets.mnist.load_data()
np.savez("mnist.npz", x_train=x_train[:2000], y_train=y_train[:2000], x_test=x_test[:500], y_test=y_test[:500])
path = "mnist.npz"  # the tutorial: tf.keras.utils.get_file('mnist.npz', DATA_URL)

with np.load(path) as data:
    train_examples = data['x_train']
    train_labels = data['y_train']
    test_examples = data['x_test']
    test_labels = data['y_test']

train_dataset = tf.data.Dataset.from_tensor_slices((train_examples, train_labels))
test_dataset = tf.data.Dataset.from_tensor_slices((test_examples, test_labels))

BATCH_SIZE = 64
SHUFFLE_BUFFER_SIZE = 100

train_dataset = train_dataset.shuffle(SHUFFLE_BUFFER_SIZE).batch(BATCH_SIZE)
test_dataset = test_dataset.batch(BATCH_SIZE)

model = tf.keras.Sequential([
    tf.keras.layers.Flatten(input_shape=(28, 28)),
    tf.keras.layers.Dense(128, activation='relu'),
    tf.keras.layers.Dense(10)
])

model.compile(optimizer=tf.keras.optimizers.RMSprop(),
              loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=['sparse_categorical_accuracy'])

history = model.fit(train_dataset, epochs=3)

loss, accuracy = model.evaluate(test_dataset)
print(loss, accuracy)
assert sorted(history.history) == ['loss', 'sparse_categorical_accuracy']
assert accuracy > 0.7, accuracy
