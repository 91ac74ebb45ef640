"""A small DCGAN-style GAN trained batch by batch (the book's chapter 7 recipe), on random
"images" so that it runs in seconds.

Patterns: ``RandomNormal(mean=0.0, stddev=0.02)`` initialisers, ``Dense`` -> ``Reshape`` ->
``Conv2DTranspose`` generator with ``BatchNormalization(momentum=0.8)`` and
``LeakyReLU(alpha=0.2)``, a ``Conv2D`` discriminator compiled on its own, then frozen with
``discriminator.trainable = False`` inside a combined functional model, ``train_on_batch`` on
real and fake halves, ``Adam(lr=0.0002, beta_1=0.5)`` (TF2 ``lr=``), ``np.random.normal`` noise,
and ``evaluate`` returning [loss, accuracy].
"""

import numpy as np

from minidl.keras.initializers import RandomNormal
from minidl.keras.layers import (
    BatchNormalization,
    Conv2D,
    Conv2DTranspose,
    Dense,
    Dropout,
    Flatten,
    Input,
    LeakyReLU,
    Reshape,
)
from minidl.keras.models import Model, Sequential
from minidl.keras.optimizers import Adam

LATENT = 16


def build_generator():
    init = RandomNormal(mean=0.0, stddev=0.02)
    model = Sequential()
    model.add(Dense(32 * 4 * 4, kernel_initializer=init, input_dim=LATENT))
    model.add(LeakyReLU(alpha=0.2))
    model.add(Reshape((4, 4, 32)))
    model.add(Conv2DTranspose(16, (4, 4), strides=(2, 2), padding="same", kernel_initializer=init))
    model.add(BatchNormalization(momentum=0.8))
    model.add(LeakyReLU(alpha=0.2))
    model.add(Conv2DTranspose(1, (4, 4), strides=(2, 2), padding="same", activation="tanh", kernel_initializer=init))
    return model


def build_discriminator():
    init = RandomNormal(stddev=0.02)
    model = Sequential()
    model.add(Conv2D(16, (3, 3), strides=(2, 2), padding="same", kernel_initializer=init, input_shape=(16, 16, 1)))
    model.add(LeakyReLU(alpha=0.2))
    model.add(Dropout(0.3))
    model.add(Conv2D(16, (3, 3), strides=(2, 2), padding="same", kernel_initializer=init))
    model.add(LeakyReLU(alpha=0.2))
    model.add(Flatten())
    model.add(Dense(1, activation="sigmoid"))
    return model


def build_gan(generator, discriminator):
    discriminator.trainable = False
    noise = Input(shape=(LATENT,))
    validity = discriminator(generator(noise))
    gan = Model(noise, validity)
    gan.compile(loss="binary_crossentropy", optimizer=Adam(lr=0.0002, beta_1=0.5))
    return gan


def main():
    rng = np.random.default_rng(7)
    real_images = np.tanh(rng.normal(size=(256, 16, 16, 1))).astype("float32")
    generator = build_generator()
    discriminator = build_discriminator()
    discriminator.compile(loss="binary_crossentropy", optimizer=Adam(lr=0.0002, beta_1=0.5), metrics=["accuracy"])
    gan = build_gan(generator, discriminator)
    generator.summary()
    discriminator.summary()
    gan.summary()

    batch = 32
    frozen_before = [w.copy() for w in discriminator.get_weights()]
    for step in range(6):
        real = real_images[rng.integers(0, len(real_images), batch)]
        noise = np.random.normal(0, 1, (batch, LATENT))
        fake = generator.predict(noise)
        d_loss_real = discriminator.train_on_batch(real, np.ones((batch, 1)))
        d_loss_fake = discriminator.train_on_batch(fake, np.zeros((batch, 1)))
        d_loss = 0.5 * np.add(d_loss_real, d_loss_fake)
        frozen_before = [w.copy() for w in discriminator.get_weights()]
        g_loss = gan.train_on_batch(np.random.normal(0, 1, (batch, LATENT)), np.ones((batch, 1)))
        for before, after in zip(frozen_before, discriminator.get_weights()):
            np.testing.assert_array_equal(before, after)  # frozen inside the GAN
        print(f"step {step}: d_loss {d_loss[0]:.4f} d_acc {100 * d_loss[1]:.1f}% g_loss {float(g_loss):.4f}")
    loss, accuracy = discriminator.evaluate(real_images[:64], np.ones((64, 1)), verbose=0)
    print("discriminator on real images:", loss, accuracy)


if __name__ == "__main__":
    main()
