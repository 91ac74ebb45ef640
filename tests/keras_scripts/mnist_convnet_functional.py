"""A small convnet written the Keras 3 way (keras.io's first example, on a slice of MNIST).

Patterns: ``import keras`` style, ``keras.Input`` + ``keras.Sequential([...])``, integer
``kernel_size=(3, 3)`` / ``pool_size`` tuples, ``np.expand_dims`` for the channel axis,
``layers.Dropout``, one-hot targets with ``categorical_crossentropy``, ``fit(batch_size=...,
epochs=..., validation_split=...)``, ``evaluate(..., verbose=0)`` returning ``score[0]``/``score[1]``,
and the same network as a functional ``keras.Model``.
"""

import numpy as np

import minidl.keras as keras
from minidl.keras import layers

NUM_CLASSES = 10
INPUT_SHAPE = (28, 28, 1)


def build_sequential():
    return keras.Sequential(
        [
            keras.Input(shape=INPUT_SHAPE),
            layers.Conv2D(8, kernel_size=(3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Conv2D(16, kernel_size=(3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Flatten(),
            layers.Dropout(0.5),
            layers.Dense(NUM_CLASSES, activation="softmax"),
        ]
    )


def build_functional():
    inputs = keras.Input(shape=INPUT_SHAPE, name="digits")
    x = layers.Conv2D(8, 3, padding="same", activation="relu")(inputs)
    x = layers.MaxPooling2D()(x)
    x = layers.Conv2D(16, 3, strides=2, activation="relu")(x)
    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Dense(NUM_CLASSES, activation="softmax", name="predictions")(x)
    return keras.Model(inputs=inputs, outputs=outputs, name="small_convnet")


def main():
    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    x_train = x_train[:512].astype("float32") / 255
    x_test = x_test[:128].astype("float32") / 255
    x_train = np.expand_dims(x_train, -1)
    x_test = np.expand_dims(x_test, -1)
    print("x_train shape:", x_train.shape, "-", x_train.shape[0], "train samples")
    y_train = keras.utils.to_categorical(y_train[:512], NUM_CLASSES)
    y_test = keras.utils.to_categorical(y_test[:128], NUM_CLASSES)

    for model in (build_sequential(), build_functional()):
        model.summary()
        model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
        model.fit(x_train, y_train, batch_size=64, epochs=2, validation_split=0.1)
        score = model.evaluate(x_test, y_test, verbose=0)
        print("Test loss:", score[0])
        print("Test accuracy:", score[1])
        assert np.isfinite(score[0])


if __name__ == "__main__":
    main()
