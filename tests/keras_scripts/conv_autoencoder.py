"""A denoising convolutional autoencoder on a slice of Fashion-MNIST.

Patterns: ``keras.Input`` with an image shape, ``Conv2D(..., padding='same')``,
``MaxPooling2D((2, 2), padding='same')``, ``UpSampling2D``, ``Conv2DTranspose(strides=2)``,
``ZeroPadding2D`` then ``Cropping2D`` to come back to 28x28, ``GaussianNoise`` active only in
training, ``BatchNormalization``, an encoder model sharing layers with the autoencoder,
``binary_crossentropy`` on pixels, ``fit(x, x, shuffle=True, validation_data=(x_val, x_val))``.
"""

import numpy as np

import minidl.keras as keras
from minidl.keras import layers

INPUT_SHAPE = (28, 28, 1)


def build_models():
    inputs = keras.Input(shape=INPUT_SHAPE)
    x = layers.GaussianNoise(0.1)(inputs)
    x = layers.Conv2D(8, (3, 3), activation="relu", padding="same")(x)
    x = layers.MaxPooling2D((2, 2), padding="same")(x)
    x = layers.BatchNormalization()(x)
    x = layers.ZeroPadding2D(((1, 1), (1, 1)))(x)  # 14 -> 16
    x = layers.Conv2D(4, (3, 3), activation="relu", padding="same")(x)
    encoded = layers.MaxPooling2D((2, 2), padding="same")(x)  # 8x8x4
    x = layers.Conv2DTranspose(8, (3, 3), strides=2, activation="relu", padding="same")(encoded)  # 16
    x = layers.UpSampling2D((2, 2))(x)  # 32
    x = layers.Cropping2D(cropping=((2, 2), (2, 2)))(x)  # 28
    decoded = layers.Conv2D(1, (3, 3), activation="sigmoid", padding="same")(x)
    return keras.Model(inputs, decoded, name="autoencoder"), keras.Model(inputs, encoded, name="encoder")


def build_model():
    return build_models()[0]


def main():
    (x_train, _), (x_test, _) = keras.datasets.fashion_mnist.load_data()
    x_train = np.reshape(x_train[:256].astype("float32") / 255.0, (-1, 28, 28, 1))
    x_test = np.reshape(x_test[:64].astype("float32") / 255.0, (-1, 28, 28, 1))
    autoencoder, encoder = build_models()
    autoencoder.summary()
    autoencoder.compile(optimizer="adam", loss="binary_crossentropy")
    autoencoder.fit(x_train, x_train, epochs=2, batch_size=32, shuffle=True, validation_data=(x_test, x_test))
    codes = encoder.predict(x_test)
    reconstructions = autoencoder.predict(x_test)
    print("codes", codes.shape, "reconstructions", reconstructions.shape)
    assert codes.shape == (64, 8, 8, 4) and reconstructions.shape == x_test.shape
    assert 0.0 <= reconstructions.min() and reconstructions.max() <= 1.0


if __name__ == "__main__":
    main()
