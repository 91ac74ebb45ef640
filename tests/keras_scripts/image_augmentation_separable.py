"""Image classification with augmentation layers inside the model, in the manner of keras.io's
"image classification from scratch" and TensorFlow's image classification tutorial, on small
made-up pictures (horizontal against vertical stripes).

Patterns: a ``keras.Sequential`` of ``RandomFlip("horizontal", input_shape=...)``,
``RandomRotation``, ``RandomZoom``, ``RandomTranslation`` and ``RandomContrast`` called
directly on a batch (augmenting, as for a plot) and used in ``tf.data`` with ``map``;
``Resizing`` and ``Rescaling(1.0 / 255)`` in the model; an Xception-like functional model of
``SeparableConv2D`` / ``BatchNormalization`` blocks with strided 1x1 ``Conv2D`` shortcuts
joined by ``layers.add``; ``GlobalAveragePooling2D``; a logits output trained with
``from_logits=True``; the TF tutorial's Sequential model with the augmentation first;
``tf.expand_dims`` of one image, ``tf.nn.softmax`` of a prediction, ``predict`` at inference
(augmentation off), ``CenterCrop`` and ``RandomCrop`` on a batch.
"""

import numpy as np

import minidl.keras as keras
import minidl.tf as tf
from minidl.keras import layers

IMAGE_SIZE = (20, 20)


def make_images(count, seed):
    """Stripes, horizontal (class 0) or vertical (class 1), with random period, phase and noise."""
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[0:24, 0:24]
    images, labels = [], []
    for _ in range(count):
        label = int(rng.integers(0, 2))
        period, phase = rng.uniform(4, 7), rng.uniform(0, 2 * np.pi)
        wave = np.sin(2 * np.pi * (cols if label else rows) / period + phase)
        picture = 127 + 100 * wave[..., None] * rng.uniform(0.6, 1.0, 3) + rng.normal(0, 12, (24, 24, 3))
        images.append(np.clip(picture, 0, 255))
        labels.append(label)
    return np.array(images, dtype="float32"), np.array(labels)


def build_augmentation():
    return keras.Sequential([
        layers.RandomFlip("horizontal", input_shape=(24, 24, 3)),
        layers.RandomRotation(0.05),
        layers.RandomZoom(0.1),
        layers.RandomTranslation(0.1, 0.1, fill_mode="nearest"),
        layers.RandomContrast(0.2),
    ], name="data_augmentation")


def build_xception_like(input_shape=(24, 24, 3)):
    inputs = keras.Input(shape=input_shape)
    x = layers.Resizing(*IMAGE_SIZE)(inputs)
    x = layers.Rescaling(1.0 / 255)(x)
    x = layers.Conv2D(8, 3, strides=2, padding="same")(x)
    x = layers.BatchNormalization(momentum=0.8)(x)
    x = layers.Activation("relu")(x)
    previous_block_activation = x
    for size in [8, 16]:
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(size, 3, padding="same")(x)
        x = layers.BatchNormalization(momentum=0.8)(x)
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(size, 3, padding="same")(x)
        x = layers.BatchNormalization(momentum=0.8)(x)
        x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
        residual = layers.Conv2D(size, 1, strides=2, padding="same")(previous_block_activation)
        x = layers.add([x, residual])
        previous_block_activation = x
    x = layers.SeparableConv2D(24, 3, padding="same")(x)
    x = layers.BatchNormalization(momentum=0.8)(x)
    x = layers.Activation("relu")(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(0.25)(x)
    outputs = layers.Dense(1, activation=None)(x)
    return keras.Model(inputs, outputs)


def build_tutorial_model(num_classes=2):
    return keras.Sequential([
        build_augmentation(),
        layers.Rescaling(1.0 / 255),
        layers.Conv2D(8, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(),
        layers.Conv2D(16, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(),
        layers.Dropout(0.2),
        layers.Flatten(),
        layers.Dense(32, activation="relu"),
        layers.Dense(num_classes, name="outputs"),
    ])


def main():
    keras.utils.set_random_seed(1)
    x_train, y_train = make_images(160, seed=0)
    x_test, y_test = make_images(48, seed=1)

    augmentation = build_augmentation()
    augmented = augmentation(x_train[:9])
    changed = not np.allclose(augmented.numpy(), x_train[:9])
    print("augmented batch:", augmented.shape, "changed:", changed)
    assert augmented.shape == (9, 24, 24, 3) and changed
    at_inference = augmentation(x_train[:9], training=False)
    np.testing.assert_allclose(at_inference.numpy(), x_train[:9], rtol=1e-6)

    train_ds = tf.data.Dataset.from_tensor_slices((x_train, y_train)).batch(32)
    train_ds = train_ds.map(lambda images, labels: (augmentation(images), labels), num_parallel_calls=tf.data.AUTOTUNE)
    train_ds = train_ds.prefetch(tf.data.AUTOTUNE)

    model = build_xception_like()
    model.summary()
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss=keras.losses.BinaryCrossentropy(from_logits=True),
                  metrics=[keras.metrics.BinaryAccuracy(name="acc", threshold=0.0)])
    model.fit(train_ds, epochs=8, verbose=2)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"xception-like test accuracy {accuracy:.3f}")
    assert accuracy > 0.8

    image = x_test[0]
    img_array = tf.expand_dims(image, 0)
    score = float(keras.ops.sigmoid(model.predict(img_array, verbose=0)[0][0]))
    print(f"This image is {100 * (1 - score):.1f}% horizontal and {100 * score:.1f}% vertical (label {y_test[0]}).")

    tutorial = build_tutorial_model()
    tutorial.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                     metrics=["accuracy"])
    history = tutorial.fit(x_train, y_train, validation_data=(x_test, y_test), epochs=6, batch_size=32, verbose=0)
    print("tutorial model val accuracy:", round(history.history["val_accuracy"][-1], 3))
    predictions = tutorial.predict(img_array, verbose=0)
    probabilities = tf.nn.softmax(predictions[0])
    print("class", int(np.argmax(probabilities)), "with", round(100 * float(np.max(probabilities)), 1), "% confidence")
    np.testing.assert_allclose(tutorial.predict(x_test[:4], verbose=0), tutorial.predict(x_test[:4], verbose=0))

    crops = layers.CenterCrop(16, 16)(x_test[:2])
    random_crops = layers.RandomCrop(16, 16)(x_test[:2])
    print("center crop", crops.shape, "random crop", random_crops.shape)
    assert crops.shape == random_crops.shape == (2, 16, 16, 3)


if __name__ == "__main__":
    main()
