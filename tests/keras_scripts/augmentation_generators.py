"""Training from batch generators: ImageDataGenerator augmentation and a hand-written
``keras.utils.Sequence``, in the TensorFlow 2-era style of the book's chapter 3.

Patterns: ``ImageDataGenerator(rescale=1./255, rotation_range=..., width_shift_range=...,
horizontal_flip=True)``, ``.flow(x, y, batch_size=...)``, the removed ``model.fit_generator``
with ``steps_per_epoch`` and ``validation_data=<generator>`` / ``validation_steps``,
``fit(generator, ...)`` (its TF 2.1+ spelling), a ``keras.utils.Sequence`` subclass with
``__len__``/``__getitem__``/``on_epoch_end``, and ``evaluate``/``predict`` on generators.
"""

import math

import numpy as np

import minidl.keras as keras
import minidl.tf as tf
from minidl.keras import layers
from minidl.keras.preprocessing.image import ImageDataGenerator


class ShuffledBatches(keras.utils.Sequence):
    def __init__(self, x, y, batch_size):
        super().__init__()
        self.x, self.y, self.batch_size = x, y, batch_size
        self.order = np.arange(len(x))

    def __len__(self):
        return math.ceil(len(self.x) / self.batch_size)

    def __getitem__(self, index):
        rows = self.order[index * self.batch_size:(index + 1) * self.batch_size]
        return self.x[rows] / 255.0, self.y[rows]

    def on_epoch_end(self):
        np.random.shuffle(self.order)


def build_model():
    np.random.seed(8)
    tf.random.set_seed(8)
    return tf.keras.Sequential([
        layers.Conv2D(8, 3, activation="relu", input_shape=(28, 28, 1)),
        layers.MaxPooling2D(),
        layers.Conv2D(16, 3, activation="relu"),
        layers.MaxPooling2D(),
        layers.Flatten(),
        layers.Dense(16, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])


def main():
    (features_train, label_train), (features_test, label_test) = keras.datasets.fashion_mnist.load_data()
    features_train = features_train[:256].reshape(256, 28, 28, 1)
    label_train = label_train[:256]
    features_test = features_test[:64].reshape(64, 28, 28, 1)
    label_test = label_test[:64]
    batch_size = 16

    train_img_gen = ImageDataGenerator(rescale=1.0 / 255, rotation_range=40, width_shift_range=0.1,
                                       height_shift_range=0.1, zoom_range=0.2, horizontal_flip=True)
    val_img_gen = ImageDataGenerator(rescale=1.0 / 255)
    train_data_gen = train_img_gen.flow(features_train, label_train, batch_size=batch_size)
    val_data_gen = val_img_gen.flow(features_test, label_test, batch_size=batch_size)

    model = build_model()
    model.compile(loss="sparse_categorical_crossentropy", optimizer=tf.keras.optimizers.Adam(0.001),
                  metrics=["accuracy"])
    model.fit_generator(train_data_gen, steps_per_epoch=len(features_train) // batch_size, epochs=2,
                        validation_data=val_data_gen, validation_steps=len(features_test) // batch_size)
    model.fit(train_data_gen, steps_per_epoch=4, epochs=1, validation_data=val_data_gen)

    sequence = ShuffledBatches(features_train, label_train, batch_size=32)
    history = model.fit(sequence, epochs=2, verbose=2)
    print(history.history["loss"])
    loss, accuracy = model.evaluate(val_data_gen, verbose=0)
    print(f"on the generator: loss {loss:.4f} accuracy {accuracy:.4f}")
    print("predictions:", model.predict(ShuffledBatches(features_test, label_test, 32)).shape)


if __name__ == "__main__":
    main()
