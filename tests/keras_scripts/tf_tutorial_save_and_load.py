"""TensorFlow tutorial "Save and load models" (its Keras 3 edition), reduced.

Source: tensorflow/docs ``site/en/tutorials/keras/save_and_load.ipynb``. Only the import lines
changed (``import tensorflow as tf`` -> ``import minidl.tf as tf``, ``from tensorflow import
keras`` -> ``from minidl import keras``); the shell cells (``!ls``) became ``os.listdir``.
Reduced: 500 MNIST images in place of 1,000, 3 epochs in place of 10, 10 in place of 50 (a
checkpoint every 5 epochs), 2 in place of 5.

Patterns: ``tf.version.VERSION``, ``ModelCheckpoint(filepath='training_1/cp.weights.h5',
save_weights_only=True, verbose=1)``, ``load_weights`` into a fresh model and ``evaluate``
unpacked into loss and accuracy with ``metrics=[tf.keras.metrics.SparseCategoricalAccuracy()]``,
``'training_2/cp-{epoch:04d}.weights.h5'`` with ``save_freq=5*n_batches``, ``save_weights``
of ``checkpoint_path.format(epoch=0)``, the newest file found by parsing the names,
``save_weights('./checkpoints/my_checkpoint.weights.h5')``, ``model.save('my_model.keras')`` and
``tf.keras.models.load_model``, ``tf.saved_model.save`` / ``tf.saved_model.load``, and
``model.save('my_model.h5')`` (HDF5).
"""

import math
import os

import numpy as np

import minidl.tf as tf
from minidl import keras

print(tf.version.VERSION)

(train_images, train_labels), (test_images, test_labels) = tf.keras.datasets.mnist.load_data()

train_labels = train_labels[:500]
test_labels = test_labels[:500]

train_images = train_images[:500].reshape(-1, 28 * 28) / 255.0
test_images = test_images[:500].reshape(-1, 28 * 28) / 255.0


# Define a simple sequential model
def create_model():
    model = tf.keras.Sequential([
        keras.layers.Dense(512, activation='relu', input_shape=(784,)),
        keras.layers.Dropout(0.2),
        keras.layers.Dense(10)
    ])

    model.compile(optimizer='adam',
                  loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=[tf.keras.metrics.SparseCategoricalAccuracy()])

    return model


# Create a basic model instance
model = create_model()

# Display the model's architecture
model.summary()

checkpoint_path = "training_1/cp.weights.h5"
checkpoint_dir = os.path.dirname(checkpoint_path)

# Create a callback that saves the model's weights
cp_callback = tf.keras.callbacks.ModelCheckpoint(filepath=checkpoint_path,
                                                 save_weights_only=True,
                                                 verbose=1)

# Train the model with the new callback
model.fit(train_images,
          train_labels,
          epochs=3,
          validation_data=(test_images, test_labels),
          callbacks=[cp_callback])  # Pass callback to training

print(os.listdir(checkpoint_dir))
assert os.listdir(checkpoint_dir) == ["cp.weights.h5"]
trained_loss, trained_acc = model.evaluate(test_images, test_labels, verbose=2)

# Create a basic model instance
model = create_model()

# Evaluate the model
loss, acc = model.evaluate(test_images, test_labels, verbose=2)
print("Untrained model, accuracy: {:5.2f}%".format(100 * acc))
assert acc < 0.5, acc

# Loads the weights
model.load_weights(checkpoint_path)

# Re-evaluate the model
loss, acc = model.evaluate(test_images, test_labels, verbose=2)
print("Restored model, accuracy: {:5.2f}%".format(100 * acc))
assert acc > 0.7 and abs(acc - trained_acc) < 1e-9, (acc, trained_acc)

# Include the epoch in the file name (uses `str.format`)
checkpoint_path = "training_2/cp-{epoch:04d}.weights.h5"
checkpoint_dir = os.path.dirname(checkpoint_path)
os.mkdir(checkpoint_dir)

batch_size = 32

# Calculate the number of batches per epoch
n_batches = len(train_images) / batch_size
n_batches = math.ceil(n_batches)    # round up the number of batches to the nearest whole integer

# Create a callback that saves the model's weights every 5 epochs
cp_callback = tf.keras.callbacks.ModelCheckpoint(
    filepath=checkpoint_path,
    verbose=1,
    save_weights_only=True,
    save_freq=5 * n_batches)

# Create a new model instance
model = create_model()

# Save the weights using the `checkpoint_path` format
model.save_weights(checkpoint_path.format(epoch=0))

# Train the model with the new callback
model.fit(train_images,
          train_labels,
          epochs=10,
          batch_size=batch_size,
          callbacks=[cp_callback],
          validation_data=(test_images, test_labels),
          verbose=0)

print(sorted(os.listdir(checkpoint_dir)))
assert sorted(os.listdir(checkpoint_dir)) == ["cp-0000.weights.h5", "cp-0005.weights.h5", "cp-0010.weights.h5"]


def load_latest_checkpoint(checkpoint_dir):
    latest = max(os.listdir(checkpoint_dir), key=lambda f: int(f.split('-')[1].split('.')[0]))
    return os.path.join(checkpoint_dir, latest)


latest = load_latest_checkpoint(checkpoint_dir)
print(latest)
assert latest == os.path.join("training_2", "cp-0010.weights.h5")

# Create a new model instance
model = create_model()

# Load the previously saved weights
model.load_weights(latest)

# Re-evaluate the model
loss, acc = model.evaluate(test_images, test_labels, verbose=2)
print("Restored model, accuracy: {:5.2f}%".format(100 * acc))
assert acc > 0.8, acc

# Create a new directory to save the weights
os.mkdir('./checkpoints')

# Save the weights
model.save_weights('./checkpoints/my_checkpoint.weights.h5')

# Create a new model instance
model = create_model()

# Restore the weights
model.load_weights('./checkpoints/my_checkpoint.weights.h5')

# Evaluate the model
loss, acc2 = model.evaluate(test_images, test_labels, verbose=2)
print("Restored model, accuracy: {:5.2f}%".format(100 * acc2))
assert acc2 == acc

# Create and train a new model instance.
model = create_model()
model.fit(train_images, train_labels, epochs=2)

# Save the entire model as a `.keras` zip archive.
model.save('my_model.keras')

new_model = tf.keras.models.load_model('my_model.keras')

# Show the model architecture
new_model.summary()

# Evaluate the restored model
loss, acc = new_model.evaluate(test_images, test_labels, verbose=2)
print('Restored model, accuracy: {:5.2f}%'.format(100 * acc))

print(new_model.predict(test_images).shape)
assert new_model.predict(test_images).shape == (500, 10)
np.testing.assert_allclose(new_model.predict(test_images[:8]), model.predict(test_images[:8]), rtol=1e-5, atol=1e-6)

# Create and train a new model instance.
model = create_model()
model.fit(train_images, train_labels, epochs=2)

os.makedirs('saved_model', exist_ok=True)
tf.saved_model.save(model, 'saved_model/my_model')

print(os.listdir('saved_model'))
print(sorted(os.listdir('saved_model/my_model')))

saved_model = tf.saved_model.load('saved_model/my_model')
print(saved_model)
np.testing.assert_allclose(saved_model(test_images[:4]).numpy(), model(test_images[:4]).numpy(), rtol=1e-5, atol=1e-6)

# Create and train a new model instance.
model = create_model()
model.fit(train_images, train_labels, epochs=2)

# Save the entire model to a HDF5 file.
# The '.h5' extension indicates that the model should be saved to HDF5.
model.save('my_model.h5')

# Recreate the exact same model, including its weights and the optimizer
new_model = tf.keras.models.load_model('my_model.h5')

# Show the model architecture
new_model.summary()

loss, acc = new_model.evaluate(test_images, test_labels, verbose=2)
print('Restored model, accuracy: {:5.2f}%'.format(100 * acc))
assert acc > 0.6, acc
