"""Images read from class folders on disk, the layout of the book's cats-and-dogs exercise.

Patterns: a ``train/<class>/*.png`` tree (written here from a slice of Fashion-MNIST),
``ImageDataGenerator(rescale=1./255).flow_from_directory(directory, target_size=...,
batch_size=..., class_mode='binary')``, ``generator.class_indices`` / ``samples``,
``fit(train_gen, steps_per_epoch=..., validation_data=val_gen, validation_steps=...)``,
``load_img(path, target_size=...)`` + ``img_to_array`` + ``np.expand_dims`` for one picture,
and ``pathlib`` paths as directories.
"""

import pathlib

import numpy as np
from PIL import Image

import minidl.tf as tf
from minidl.tf.keras import layers
from minidl.tf.keras.preprocessing.image import ImageDataGenerator, img_to_array, load_img

CLASSES = {"sandal": 5, "sneaker": 7}


def write_folders(root):
    (x_train, y_train), _ = tf.keras.datasets.fashion_mnist.load_data()
    for split, rows in (("train", slice(0, 3000)), ("validation", slice(3000, 4000))):
        for name, label in CLASSES.items():
            folder = root / split / name
            folder.mkdir(parents=True, exist_ok=True)
            images = x_train[rows][y_train[rows] == label][:24]
            for index, pixels in enumerate(images):
                Image.fromarray(pixels).convert("RGB").save(folder / f"{name}_{index}.png")


def build_model(size=32):
    return tf.keras.Sequential([
        layers.Conv2D(8, 3, activation="relu", input_shape=(size, size, 3)),
        layers.MaxPooling2D(),
        layers.Flatten(),
        layers.Dense(8, activation="relu"),
        layers.Dense(1, activation="sigmoid"),
    ])


def main():
    root = pathlib.Path("images")
    write_folders(root)
    batch_size, size = 8, 32
    train_gen = ImageDataGenerator(rescale=1.0 / 255).flow_from_directory(
        batch_size=batch_size, directory=root / "train", shuffle=True, target_size=(size, size), class_mode="binary")
    val_gen = ImageDataGenerator(rescale=1.0 / 255).flow_from_directory(
        batch_size=batch_size, directory=root / "validation", target_size=(size, size), class_mode="binary")
    print(train_gen.class_indices, train_gen.samples)

    model = build_model(size)
    model.compile(loss="binary_crossentropy", optimizer=tf.keras.optimizers.Adam(0.001), metrics=["accuracy"])
    model.summary()
    model.fit(train_gen, steps_per_epoch=train_gen.samples // batch_size, epochs=2, validation_data=val_gen,
              validation_steps=val_gen.samples // batch_size)

    picture = load_img(root / "validation" / "sneaker" / "sneaker_0.png", target_size=(size, size))
    picture = np.expand_dims(img_to_array(picture), axis=0) / 255.0
    print("P(sneaker) =", float(model.predict(picture)[0, 0]))


if __name__ == "__main__":
    main()
