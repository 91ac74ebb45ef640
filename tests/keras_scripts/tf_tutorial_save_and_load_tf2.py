"""TensorFlow tutorial "Save and load models", its TensorFlow 2.x edition (TensorFlow
checkpoints and SavedModel folders), reduced.

Source: tensorflow/docs ``site/en/tutorials/keras/save_and_load.ipynb`` at commit 2f7592f77
(before the Keras 3 update; much course material still copies this edition). Only the import
lines changed; the shell cells (``!ls``) became ``os.listdir``. Reduced: 500 MNIST images, 3,
10 and 2 epochs in place of 10, 50 and 5.

Patterns: weights-only ``ModelCheckpoint`` to ``'training_1/cp.ckpt'`` (a TensorFlow
checkpoint prefix, which minidl writes as one ``.npz`` file plus TensorFlow's ``checkpoint``
state file), ``'training_2/cp-{epoch:04d}.ckpt'`` with ``save_freq=5*n_batches``,
``tf.train.latest_checkpoint(checkpoint_dir)`` then ``load_weights(latest)``,
``save_weights('./checkpoints/my_checkpoint')`` (no suffix) and ``load_weights`` of the same,
``model.save('saved_model/my_model')`` (a folder) and ``tf.keras.models.load_model`` of it,
``model.save('my_model.h5')``.
"""

import math
import os

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


model = create_model()
model.summary()

checkpoint_path = "training_1/cp.ckpt"
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

# This may generate warnings related to saving the state of the optimizer.
# These warnings (and similar warnings throughout this notebook)
# are in place to discourage outdated usage, and can be ignored.
print(os.listdir(checkpoint_dir))
assert tf.train.latest_checkpoint(checkpoint_dir) == os.path.join("training_1", "cp.ckpt")
trained_loss, trained_acc = model.evaluate(test_images, test_labels, verbose=2)

# Create a basic model instance
model = create_model()

# Evaluate the model
loss, acc = model.evaluate(test_images, test_labels, verbose=2)
print("Untrained model, accuracy: {:5.2f}%".format(100 * acc))

# Loads the weights
model.load_weights(checkpoint_path)

# Re-evaluate the model
loss, acc = model.evaluate(test_images, test_labels, verbose=2)
print("Restored model, accuracy: {:5.2f}%".format(100 * acc))
assert abs(acc - trained_acc) < 1e-9, (acc, trained_acc)

# Include the epoch in the file name (uses `str.format`)
checkpoint_path = "training_2/cp-{epoch:04d}.ckpt"
checkpoint_dir = os.path.dirname(checkpoint_path)

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

latest = tf.train.latest_checkpoint(checkpoint_dir)
print(latest)
assert latest == os.path.join("training_2", "cp-0010.ckpt"), latest

# Create a new model instance
model = create_model()

# Load the previously saved weights
model.load_weights(latest)

# Re-evaluate the model
loss, acc = model.evaluate(test_images, test_labels, verbose=2)
print("Restored model, accuracy: {:5.2f}%".format(100 * acc))
assert acc > 0.8, acc

# Save the weights
model.save_weights('./checkpoints/my_checkpoint')

# Create a new model instance
model = create_model()

# Restore the weights
model.load_weights('./checkpoints/my_checkpoint')

# Evaluate the model
loss, acc2 = model.evaluate(test_images, test_labels, verbose=2)
print("Restored model, accuracy: {:5.2f}%".format(100 * acc2))
assert acc2 == acc
assert tf.train.latest_checkpoint('./checkpoints') == os.path.join('./checkpoints', 'my_checkpoint')

# Create and train a new model instance.
model = create_model()
model.fit(train_images, train_labels, epochs=2)

# Save the entire model as a SavedModel.
os.makedirs('saved_model', exist_ok=True)
model.save('saved_model/my_model')

print(os.listdir('saved_model'))
print(sorted(os.listdir('saved_model/my_model')))

new_model = tf.keras.models.load_model('saved_model/my_model')

# Check its architecture
new_model.summary()

# Evaluate the restored model
loss, acc = new_model.evaluate(test_images, test_labels, verbose=2)
print('Restored model, accuracy: {:5.2f}%'.format(100 * acc))

print(new_model.predict(test_images).shape)
assert acc > 0.6, acc

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
