"""TensorFlow tutorial "Deep Convolutional Generative Adversarial Network", reduced.

Source: tensorflow/docs ``site/en/tutorials/generative/dcgan.ipynb``. Only the import lines
changed (``import tensorflow as tf`` -> ``import minidl.tf as tf``, ``from tensorflow.keras
import layers`` -> ``from minidl.keras import layers``). Reduced: 512 MNIST images in place of
60,000, 3 epochs in place of 50, a checkpoint every 2 epochs in place of 15. IPython's
``display``, imageio's GIF and ``tensorflow_docs.vis.embed`` are notebook helpers outside
TensorFlow and are left out; the images are still saved with ``plt.savefig`` and read back with
PIL where it is installed.

Patterns: ``tf.data.Dataset.from_tensor_slices(images).shuffle(BUFFER_SIZE).batch(BATCH_SIZE)``;
a generator grown with ``model.add`` (``Dense(7*7*256, use_bias=False, input_shape=(100,))``,
``BatchNormalization``, ``LeakyReLU``, ``Reshape``, ``Conv2DTranspose(..., strides=(2, 2),
padding='same', use_bias=False)``) checked with ``assert model.output_shape == (None, ...)``
after every ``add``; ``generator(noise, training=False)`` indexed ``[0, :, :, 0]`` into
``plt.imshow``; ``tf.keras.losses.BinaryCrossentropy(from_logits=True)`` with
``tf.ones_like`` / ``tf.zeros_like``; a ``@tf.function`` train step with two GradientTapes in
one ``with`` statement and ``apply_gradients(zip(...))`` on two Adam optimizers;
``tf.train.Checkpoint(generator_optimizer=..., discriminator_optimizer=..., generator=...,
discriminator=...)``, ``checkpoint.save(file_prefix=...)`` and
``checkpoint.restore(tf.train.latest_checkpoint(checkpoint_dir))``.
"""

import glob
import os
import time

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np

import minidl.tf as tf
from minidl.keras import layers

print(tf.__version__)

(train_images, train_labels), (_, _) = tf.keras.datasets.mnist.load_data()
train_images = train_images[:512]  # reduced

train_images = train_images.reshape(train_images.shape[0], 28, 28, 1).astype('float32')
train_images = (train_images - 127.5) / 127.5  # Normalize the images to [-1, 1]

BUFFER_SIZE = 512
BATCH_SIZE = 256

# Batch and shuffle the data
train_dataset = tf.data.Dataset.from_tensor_slices(train_images).shuffle(BUFFER_SIZE).batch(BATCH_SIZE)


def make_generator_model():
    model = tf.keras.Sequential()
    model.add(layers.Dense(7 * 7 * 256, use_bias=False, input_shape=(100,)))
    model.add(layers.BatchNormalization())
    model.add(layers.LeakyReLU())

    model.add(layers.Reshape((7, 7, 256)))
    assert model.output_shape == (None, 7, 7, 256)  # Note: None is the batch size

    model.add(layers.Conv2DTranspose(128, (5, 5), strides=(1, 1), padding='same', use_bias=False))
    assert model.output_shape == (None, 7, 7, 128)
    model.add(layers.BatchNormalization())
    model.add(layers.LeakyReLU())

    model.add(layers.Conv2DTranspose(64, (5, 5), strides=(2, 2), padding='same', use_bias=False))
    assert model.output_shape == (None, 14, 14, 64)
    model.add(layers.BatchNormalization())
    model.add(layers.LeakyReLU())

    model.add(layers.Conv2DTranspose(1, (5, 5), strides=(2, 2), padding='same', use_bias=False, activation='tanh'))
    assert model.output_shape == (None, 28, 28, 1)

    return model


generator = make_generator_model()

noise = tf.random.normal([1, 100])
generated_image = generator(noise, training=False)

plt.imshow(generated_image[0, :, :, 0], cmap='gray')


def make_discriminator_model():
    model = tf.keras.Sequential()
    model.add(layers.Conv2D(64, (5, 5), strides=(2, 2), padding='same',
                            input_shape=[28, 28, 1]))
    model.add(layers.LeakyReLU())
    model.add(layers.Dropout(0.3))

    model.add(layers.Conv2D(128, (5, 5), strides=(2, 2), padding='same'))
    model.add(layers.LeakyReLU())
    model.add(layers.Dropout(0.3))

    model.add(layers.Flatten())
    model.add(layers.Dense(1))

    return model


discriminator = make_discriminator_model()
decision = discriminator(generated_image)
print(decision)
assert tuple(decision.shape) == (1, 1)

# This method returns a helper function to compute cross entropy loss
cross_entropy = tf.keras.losses.BinaryCrossentropy(from_logits=True)


def discriminator_loss(real_output, fake_output):
    real_loss = cross_entropy(tf.ones_like(real_output), real_output)
    fake_loss = cross_entropy(tf.zeros_like(fake_output), fake_output)
    total_loss = real_loss + fake_loss
    return total_loss


def generator_loss(fake_output):
    return cross_entropy(tf.ones_like(fake_output), fake_output)


generator_optimizer = tf.keras.optimizers.Adam(1e-4)
discriminator_optimizer = tf.keras.optimizers.Adam(1e-4)

checkpoint_dir = './training_checkpoints'
checkpoint_prefix = os.path.join(checkpoint_dir, "ckpt")
checkpoint = tf.train.Checkpoint(generator_optimizer=generator_optimizer,
                                 discriminator_optimizer=discriminator_optimizer,
                                 generator=generator,
                                 discriminator=discriminator)

EPOCHS = 3
noise_dim = 100
num_examples_to_generate = 16

# You will reuse this seed overtime (so it's easier)
# to visualize progress in the animated GIF)
seed = tf.random.normal([num_examples_to_generate, noise_dim])

losses_seen = []


# Notice the use of `tf.function`
# This annotation causes the function to be "compiled".
@tf.function
def train_step(images):
    noise = tf.random.normal([BATCH_SIZE, noise_dim])

    with tf.GradientTape() as gen_tape, tf.GradientTape() as disc_tape:
        generated_images = generator(noise, training=True)

        real_output = discriminator(images, training=True)
        fake_output = discriminator(generated_images, training=True)

        gen_loss = generator_loss(fake_output)
        disc_loss = discriminator_loss(real_output, fake_output)

    gradients_of_generator = gen_tape.gradient(gen_loss, generator.trainable_variables)
    gradients_of_discriminator = disc_tape.gradient(disc_loss, discriminator.trainable_variables)

    generator_optimizer.apply_gradients(zip(gradients_of_generator, generator.trainable_variables))
    discriminator_optimizer.apply_gradients(zip(gradients_of_discriminator, discriminator.trainable_variables))
    losses_seen.append((float(gen_loss), float(disc_loss)))


def train(dataset, epochs):
    for epoch in range(epochs):
        start = time.time()

        for image_batch in dataset:
            train_step(image_batch)

        # Produce images for the GIF as you go
        generate_and_save_images(generator,
                                 epoch + 1,
                                 seed)

        # Save the model every 2 epochs (the tutorial: 15)
        if (epoch + 1) % 2 == 0:
            checkpoint.save(file_prefix=checkpoint_prefix)

        print('Time for epoch {} is {} sec'.format(epoch + 1, time.time() - start))

    # Generate after the final epoch
    generate_and_save_images(generator,
                             epochs,
                             seed)


def generate_and_save_images(model, epoch, test_input):
    # Notice `training` is set to False.
    # This is so all layers run in inference mode (batchnorm).
    predictions = model(test_input, training=False)

    fig = plt.figure(figsize=(4, 4))

    for i in range(predictions.shape[0]):
        plt.subplot(4, 4, i + 1)
        plt.imshow(predictions[i, :, :, 0] * 127.5 + 127.5, cmap='gray')
        plt.axis('off')

    plt.savefig('image_at_epoch_{:04d}.png'.format(epoch))
    plt.show()
    plt.close(fig)


train(train_dataset, EPOCHS)

print(losses_seen)
assert len(losses_seen) == EPOCHS * 2 and all(np.isfinite(losses_seen).ravel())
assert sorted(glob.glob('image*.png')) == ['image_at_epoch_0001.png', 'image_at_epoch_0002.png',
                                           'image_at_epoch_0003.png']
assert generator_optimizer.iterations == EPOCHS * 2

# The checkpoint saved after epoch 2 comes back: weights and optimizer steps.
after_training = generator(seed, training=False).numpy()
status = checkpoint.restore(tf.train.latest_checkpoint(checkpoint_dir))
assert tf.train.latest_checkpoint(checkpoint_dir) == os.path.join(checkpoint_dir, "ckpt-1")
assert generator_optimizer.iterations == 4, generator_optimizer.iterations
restored = generator(seed, training=False).numpy()
assert not np.allclose(restored, after_training)  # epoch 3's update is undone

try:
    import PIL.Image
except ImportError:
    PIL = None


def display_image(epoch_no):
    return PIL.Image.open('image_at_epoch_{:04d}.png'.format(epoch_no))


if PIL is not None:
    print(display_image(EPOCHS).size)
plt.close('all')
