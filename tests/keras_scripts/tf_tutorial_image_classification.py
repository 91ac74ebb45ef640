"""TensorFlow tutorial "Image classification" (flowers from a folder of JPEGs), reduced.

Source: tensorflow/docs ``site/en/tutorials/images/classification.ipynb``. Only the import
lines changed (``import tensorflow as tf`` -> ``import minidl.tf as tf``, ``from tensorflow
import keras`` -> ``from minidl import keras``, ``from tensorflow.keras...`` ->
``from minidl.keras...``). The TensorFlow Lite part (``tf.lite.TFLiteConverter``) is left out:
minidl has no TFLite converter (``tf.lite`` raises an error saying so).

Substitute data: the tutorial downloads ``flower_photos.tgz`` (3,670 JPEGs in five class
folders); here Fashion-MNIST images are written as RGB JPEGs into the same layout
(``flower_photos/<class>/*.jpg``, four classes named after flowers, 60 images each), and the
sunflower photo to classify at the end is one more such JPEG. Reduced: 64x64 images in place of
180x180, 3 and 4 epochs in place of 10 and 15.

Patterns: ``pathlib`` globbing and ``PIL.Image.open``;
``tf.keras.utils.image_dataset_from_directory(data_dir, validation_split=0.2, subset=...,
seed=123, image_size=..., batch_size=...)`` and ``class_names``; ``images[i].numpy().astype(
"uint8")`` into ``plt.imshow``; ``cache().shuffle(1000).prefetch(buffer_size=AUTOTUNE)``;
``layers.Rescaling(1./255)`` mapped over a dataset and as a model's first layer with
``input_shape``; ``Conv2D(16, 3, padding='same', activation='relu')`` / ``MaxPooling2D()``;
a ``keras.Sequential`` of ``RandomFlip("horizontal", input_shape=...)``, ``RandomRotation(0.1)``
and ``RandomZoom(0.1)`` used on a batch and as a model's first layer; ``Dense(num_classes,
name="outputs")``; ``tf.keras.utils.load_img(path, target_size=...)``, ``img_to_array``,
``tf.expand_dims(img_array, 0)`` fed to ``predict``; ``tf.nn.softmax(predictions[0])`` with
``np.argmax`` / ``np.max`` of it.
"""

import pathlib

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import PIL
import PIL.Image

import minidl.tf as tf
from minidl import keras
from minidl.keras import layers
from minidl.keras.models import Sequential

FLOWERS = {'daisy': 0, 'dandelion': 1, 'roses': 2, 'tulips': 3}  # folder -> Fashion-MNIST class


def write_flower_photos(per_class=60):
    """Substitute for ``tf.keras.utils.get_file("flower_photos.tgz", ..., extract=True)``."""
    (images, labels), _ = tf.keras.datasets.fashion_mnist.load_data()
    root = pathlib.Path("flower_photos_extracted") / "flower_photos"
    for name, label in FLOWERS.items():
        folder = root / name
        folder.mkdir(parents=True, exist_ok=True)
        for index, image in enumerate(images[labels == label][:per_class]):
            PIL.Image.fromarray(image).convert("RGB").resize((96, 96)).save(folder / f"{index}.jpg")
    sunflower = images[labels == FLOWERS['roses']][per_class]
    PIL.Image.fromarray(sunflower).convert("RGB").resize((96, 96)).save("Red_sunflower.jpg")
    return root


data_dir = write_flower_photos()

image_count = len(list(data_dir.glob('*/*.jpg')))
print(image_count)
assert image_count == 240

roses = list(data_dir.glob('roses/*'))
PIL.Image.open(str(roses[0]))
PIL.Image.open(str(roses[1]))

batch_size = 32
img_height = 64
img_width = 64

train_ds = tf.keras.utils.image_dataset_from_directory(
    data_dir,
    validation_split=0.2,
    subset="training",
    seed=123,
    image_size=(img_height, img_width),
    batch_size=batch_size)

val_ds = tf.keras.utils.image_dataset_from_directory(
    data_dir,
    validation_split=0.2,
    subset="validation",
    seed=123,
    image_size=(img_height, img_width),
    batch_size=batch_size)

class_names = train_ds.class_names
print(class_names)
assert class_names == ['daisy', 'dandelion', 'roses', 'tulips']

plt.figure(figsize=(10, 10))
for images, labels in train_ds.take(1):
    for i in range(9):
        ax = plt.subplot(3, 3, i + 1)
        plt.imshow(images[i].numpy().astype("uint8"))
        plt.title(class_names[labels[i]])
        plt.axis("off")

for image_batch, labels_batch in train_ds:
    print(image_batch.shape)
    print(labels_batch.shape)
    break
assert tuple(image_batch.shape) == (32, img_height, img_width, 3) and tuple(labels_batch.shape) == (32,)

AUTOTUNE = tf.data.AUTOTUNE

train_ds = train_ds.cache().shuffle(1000).prefetch(buffer_size=AUTOTUNE)
val_ds = val_ds.cache().prefetch(buffer_size=AUTOTUNE)

normalization_layer = layers.Rescaling(1. / 255)

normalized_ds = train_ds.map(lambda x, y: (normalization_layer(x), y))
image_batch, labels_batch = next(iter(normalized_ds))
first_image = image_batch[0]
# Notice the pixel values are now in `[0,1]`.
print(np.min(first_image), np.max(first_image))
assert 0.0 <= np.min(first_image) and np.max(first_image) <= 1.0

num_classes = len(class_names)

model = Sequential([
    layers.Rescaling(1. / 255, input_shape=(img_height, img_width, 3)),
    layers.Conv2D(16, 3, padding='same', activation='relu'),
    layers.MaxPooling2D(),
    layers.Conv2D(32, 3, padding='same', activation='relu'),
    layers.MaxPooling2D(),
    layers.Conv2D(64, 3, padding='same', activation='relu'),
    layers.MaxPooling2D(),
    layers.Flatten(),
    layers.Dense(128, activation='relu'),
    layers.Dense(num_classes)
])

model.compile(optimizer='adam',
              loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=['accuracy'])

model.summary()

epochs = 3
history = model.fit(
    train_ds,
    validation_data=val_ds,
    epochs=epochs
)

acc = history.history['accuracy']
val_acc = history.history['val_accuracy']

loss = history.history['loss']
val_loss = history.history['val_loss']

epochs_range = range(epochs)

plt.figure(figsize=(8, 8))
plt.subplot(1, 2, 1)
plt.plot(epochs_range, acc, label='Training Accuracy')
plt.plot(epochs_range, val_acc, label='Validation Accuracy')
plt.legend(loc='lower right')
plt.title('Training and Validation Accuracy')

plt.subplot(1, 2, 2)
plt.plot(epochs_range, loss, label='Training Loss')
plt.plot(epochs_range, val_loss, label='Validation Loss')
plt.legend(loc='upper right')
plt.title('Training and Validation Loss')
plt.show()
assert val_acc[-1] > 0.5, history.history

data_augmentation = keras.Sequential(
    [
        layers.RandomFlip("horizontal",
                          input_shape=(img_height,
                                       img_width,
                                       3)),
        layers.RandomRotation(0.1),
        layers.RandomZoom(0.1),
    ]
)

plt.figure(figsize=(10, 10))
for images, _ in train_ds.take(1):
    for i in range(9):
        augmented_images = data_augmentation(images)
        ax = plt.subplot(3, 3, i + 1)
        plt.imshow(augmented_images[0].numpy().astype("uint8"))
        plt.axis("off")
# Called directly the augmentation layers augment (their ``training`` defaults to True, as in
# Keras); in inference mode (``training=False``, as ``predict`` runs them) they pass images through.
assert not np.array_equal(data_augmentation(images).numpy(), images.numpy())
np.testing.assert_array_equal(data_augmentation(images, training=False).numpy(), images.numpy())

model = Sequential([
    data_augmentation,
    layers.Rescaling(1. / 255),
    layers.Conv2D(16, 3, padding='same', activation='relu'),
    layers.MaxPooling2D(),
    layers.Conv2D(32, 3, padding='same', activation='relu'),
    layers.MaxPooling2D(),
    layers.Conv2D(64, 3, padding='same', activation='relu'),
    layers.MaxPooling2D(),
    layers.Dropout(0.2),
    layers.Flatten(),
    layers.Dense(128, activation='relu'),
    layers.Dense(num_classes, name="outputs")
])

model.compile(optimizer='adam',
              loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=['accuracy'])

model.summary()

epochs = 4
history = model.fit(
    train_ds,
    validation_data=val_ds,
    epochs=epochs
)
assert history.history['loss'][-1] < history.history['loss'][0], history.history

sunflower_path = "Red_sunflower.jpg"  # the tutorial downloads it with tf.keras.utils.get_file

img = tf.keras.utils.load_img(
    sunflower_path, target_size=(img_height, img_width)
)
img_array = tf.keras.utils.img_to_array(img)
img_array = tf.expand_dims(img_array, 0)  # Create a batch

predictions = model.predict(img_array)
score = tf.nn.softmax(predictions[0])

print(
    "This image most likely belongs to {} with a {:.2f} percent confidence."
    .format(class_names[np.argmax(score)], 100 * np.max(score))
)
assert predictions.shape == (1, num_classes) and abs(float(tf.reduce_sum(score)) - 1.0) < 1e-5
plt.close('all')
