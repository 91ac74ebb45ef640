"""Image classification from JPEG files on disk, after the keras-io example "Image
classification from scratch" (examples/vision/image_classification_from_scratch.py,
fchollet; Keras 3 edition, with the TF 2 edition's spellings at the end). Reduced rewrite:
Kaggle's Cats vs Dogs archive (786 MB) cannot be had here, so the script writes a tiny
``PetImages/{Cat,Dog}`` tree of made-up 64x64 JPEGs (a "cat" is a bright disc, a "dog" bright
stripes, on noise) plus two files that are not JFIF, for the guide's filter to delete; beyond
that and the imports, 64x64 images instead of 180x180, a batch of 16, blocks of 16 and 32
filters (then 64) instead of 128..728 (then 1024), and 4 epochs instead of 25.

Patterns: the JFIF filter (``b"JFIF" in fobj.peek(10)``, ``tf.compat.as_bytes``);
``keras.utils.image_dataset_from_directory(..., validation_split=0.2, subset="both",
seed=1337, image_size=, batch_size=)`` and TF 2's ``tf.keras.preprocessing.
image_dataset_from_directory``; ``train_ds.take(1)`` and ``np.array(images[i])`` /
``images[i].numpy()`` plotted with matplotlib; augmentation layers applied in a plain function
and in ``train_ds.map(..., num_parallel_calls=tf_data.AUTOTUNE)``; ``prefetch``; a small
Xception (``Rescaling``, strided ``Conv2D``, ``SeparableConv2D`` + ``BatchNormalization``
blocks, ``MaxPooling2D(3, strides=2, padding="same")``, 1x1 strided residual projections joined
by ``layers.add``, ``GlobalAveragePooling2D``, ``Dropout``, a logits ``Dense``);
``keras.utils.plot_model(model, show_shapes=True)``; ``ModelCheckpoint("save_at_{epoch}.keras")``;
``compile(..., jit_compile=True)``; ``BinaryCrossentropy(from_logits=True)`` with
``BinaryAccuracy(name="acc")``; ``keras.utils.load_img(..., target_size=)`` /
``img_to_array`` / ``keras.ops.expand_dims`` / ``keras.ops.sigmoid`` at inference.
"""

import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

import minidl.keras as keras  # noqa: E402
import minidl.tf as tf  # noqa: E402
from minidl.keras import layers  # noqa: E402
from minidl.tf import data as tf_data  # noqa: E402


def write_pet_images(root="PetImages", per_class=48, size=64):
    """A made-up stand-in for Kaggle's PetImages folder: JPEG files in Cat/ and Dog/."""
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:size, :size]
    for folder_name in ("Cat", "Dog"):
        os.makedirs(os.path.join(root, folder_name), exist_ok=True)
        for index in range(per_class):
            picture = rng.integers(0, 90, size=(size, size, 3)).astype("float32")
            if folder_name == "Cat":
                cy, cx, r = rng.integers(20, 44), rng.integers(20, 44), rng.integers(10, 18)
                picture[(yy - cy) ** 2 + (xx - cx) ** 2 < r**2] += 150
            else:
                picture[(yy // rng.integers(4, 8)) % 2 == 0] += 150
            Image.fromarray(np.clip(picture, 0, 255).astype("uint8")).save(
                os.path.join(root, folder_name, f"{index}.jpg"), "JPEG")
        with open(os.path.join(root, folder_name, "broken.jpg"), "wb") as f:  # no JFIF marker
            f.write(b"\x89PNG not a jpeg at all")


write_pet_images()

num_skipped = 0
for folder_name in ("Cat", "Dog"):
    folder_path = os.path.join("PetImages", folder_name)
    for fname in os.listdir(folder_path):
        fpath = os.path.join(folder_path, fname)
        try:
            fobj = open(fpath, "rb")
            is_jfif = b"JFIF" in fobj.peek(10)
        finally:
            fobj.close()

        if not is_jfif:
            num_skipped += 1
            # Delete corrupted image
            os.remove(fpath)

print(f"Deleted {num_skipped} images")
assert num_skipped == 2, num_skipped

image_size = (64, 64)
batch_size = 16

train_ds, val_ds = keras.utils.image_dataset_from_directory(
    "PetImages",
    validation_split=0.2,
    subset="both",
    seed=1337,
    image_size=image_size,
    batch_size=batch_size,
)
assert train_ds.class_names == ["Cat", "Dog"], train_ds.class_names

plt.figure(figsize=(10, 10))
for images, labels in train_ds.take(1):
    for i in range(9):
        ax = plt.subplot(3, 3, i + 1)
        plt.imshow(np.array(images[i]).astype("uint8"))
        plt.title(int(labels[i]))
        plt.axis("off")
assert tuple(images.shape) == (16, 64, 64, 3) and tuple(labels.shape) == (16,), (images.shape, labels.shape)

data_augmentation_layers = [
    layers.RandomFlip("horizontal"),
    layers.RandomRotation(0.1),
]


def data_augmentation(images):
    for layer in data_augmentation_layers:
        images = layer(images)
    return images


plt.figure(figsize=(10, 10))
for images, _ in train_ds.take(1):
    for i in range(9):
        augmented_images = data_augmentation(images)
        ax = plt.subplot(3, 3, i + 1)
        plt.imshow(np.array(augmented_images[0]).astype("uint8"))
        plt.axis("off")
plt.close("all")

# Apply `data_augmentation` to the training images.
train_ds = train_ds.map(
    lambda img, label: (data_augmentation(img), label),
    num_parallel_calls=tf_data.AUTOTUNE,
)
# Prefetching samples in GPU memory helps maximize GPU utilization.
train_ds = train_ds.prefetch(tf_data.AUTOTUNE)
val_ds = val_ds.prefetch(tf_data.AUTOTUNE)


def make_model(input_shape, num_classes):
    inputs = keras.Input(shape=input_shape)

    # Entry block
    x = layers.Rescaling(1.0 / 255)(inputs)
    x = layers.Conv2D(16, 3, strides=2, padding="same")(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)

    previous_block_activation = x  # Set aside residual

    for size in [16, 32]:
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(size, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)

        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(size, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)

        x = layers.MaxPooling2D(3, strides=2, padding="same")(x)

        # Project residual
        residual = layers.Conv2D(size, 1, strides=2, padding="same")(previous_block_activation)
        x = layers.add([x, residual])  # Add back residual
        previous_block_activation = x  # Set aside next residual

    x = layers.SeparableConv2D(64, 3, padding="same")(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)

    x = layers.GlobalAveragePooling2D()(x)
    if num_classes == 2:
        units = 1
    else:
        units = num_classes

    x = layers.Dropout(0.25)(x)
    # We specify activation=None so as to return logits
    outputs = layers.Dense(units, activation=None)(x)
    return keras.Model(inputs, outputs)


model = make_model(input_shape=image_size + (3,), num_classes=2)
keras.utils.plot_model(model, show_shapes=True)
assert os.path.exists("model.png")
assert model.output_shape == (None, 1), model.output_shape

epochs = 4

callbacks = [
    keras.callbacks.ModelCheckpoint("save_at_{epoch}.keras"),
]
model.compile(
    optimizer=keras.optimizers.Adam(3e-3),
    loss=keras.losses.BinaryCrossentropy(from_logits=True),
    metrics=[keras.metrics.BinaryAccuracy(name="acc")],
    jit_compile=True,  # Enable XLA compilation for faster execution
)
history = model.fit(
    train_ds,
    epochs=epochs,
    callbacks=callbacks,
    validation_data=val_ds,
)
print(history.history)
assert sorted(history.history) == ["acc", "loss", "val_acc", "val_loss"], history.history
assert history.history["acc"][-1] > 0.7, history.history  # discs against stripes: easy to tell apart
assert history.history["loss"][-1] < history.history["loss"][0], history.history
# val_acc stays near chance here, in Keras too: after 20 steps the BatchNormalization moving
# statistics (momentum 0.99) are still far from the batches', and inference uses them.
assert all(os.path.exists(f"save_at_{epoch}.keras") for epoch in range(1, epochs + 1))
reloaded = keras.models.load_model("save_at_4.keras")
batch = next(iter(val_ds))[0]
np.testing.assert_allclose(reloaded.predict(batch, verbose=0), model.predict(batch, verbose=0), rtol=1e-4, atol=1e-5)

# Run inference on new data.
img = keras.utils.load_img("PetImages/Cat/6.jpg", target_size=image_size)
plt.imshow(img)
img_array = keras.utils.img_to_array(img)
img_array = keras.ops.expand_dims(img_array, 0)  # Create batch axis

predictions = model.predict(img_array)
score = float(keras.ops.sigmoid(predictions[0][0]))
print(f"This image is {100 * (1 - score):.2f}% cat and {100 * score:.2f}% dog.")
assert 0.0 <= score <= 1.0

# The TF 2 edition's spellings of the same steps.
with open("PetImages/Dog/0.jpg", "rb") as fobj:
    assert tf.compat.as_bytes("JFIF") in fobj.peek(10)
train_ds, val_ds = tf.keras.preprocessing.image_dataset_from_directory(
    "PetImages",
    validation_split=0.2,
    subset="both",
    seed=1337,
    image_size=image_size,
    batch_size=batch_size,
)
for images, labels in train_ds.take(1):
    plt.imshow(images[0].numpy().astype("uint8"))
    plt.title(int(labels[0]))
data_augmentation = keras.Sequential([layers.RandomFlip("horizontal"), layers.RandomRotation(0.1)])
augmented_train_ds = train_ds.map(lambda x, y: (data_augmentation(x, training=True), y))
assert tuple(next(iter(augmented_train_ds))[0].shape) == (16, 64, 64, 3)
train_ds = train_ds.prefetch(buffer_size=32)
img = keras.preprocessing.image.load_img("PetImages/Cat/6.jpg", target_size=image_size)
img_array = keras.preprocessing.image.img_to_array(img)
img_array = tf.expand_dims(img_array, 0)  # Create batch axis
predictions = model.predict(img_array)
assert predictions.shape == (1, 1)
