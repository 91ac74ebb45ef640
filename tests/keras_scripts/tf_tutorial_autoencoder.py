"""TensorFlow tutorial "Intro to Autoencoders", reduced.

Source: tensorflow/docs ``site/en/tutorials/generative/autoencoder.ipynb``. Only the import
lines changed (``import tensorflow as tf`` -> ``import minidl.tf as tf``, ``from
tensorflow.keras...`` -> ``from minidl.keras...``). Reduced: 1,000 / 500 Fashion-MNIST training
images and 200 test images, 3 and 2 epochs in place of 10.

Substitute data: the anomaly-detection part reads ``ecg.csv`` (ECG5000: 140 values and a label
per row, 1 = normal) from storage.googleapis.com; here a DataFrame of the same layout is made
from synthetic heartbeats (normal beats share one shape; anomalous ones are distorted), and
the tutorial's code runs on it unchanged.

Patterns: subclassed ``Model`` holding ``encoder``/``decoder`` ``tf.keras.Sequential``s built
in ``__init__`` and called in ``call``; ``layers.Dense(tf.math.reduce_prod(shape).numpy())``;
``layers.Reshape(shape)``; ``losses.MeanSquaredError()``; ``autoencoder.encoder(x).numpy()``;
``x[..., tf.newaxis]``; NumPy array + ``noise_factor * tf.random.normal(shape=...)``;
``tf.clip_by_value(..., clip_value_min=0., clip_value_max=1.)``; ``tf.squeeze`` fed to
``plt.imshow``; ``layers.Input`` inside a Sequential; ``Conv2D(strides=2, padding='same')``;
``Conv2DTranspose(kernel_size=3, strides=2, padding='same')``; summaries of the inner models;
``tf.reduce_min`` / ``tf.reduce_max`` of a NumPy array; ``tf.cast(..., tf.float32)``; a tensor
indexed by a NumPy boolean mask (``train_data[train_labels]``, ``~train_labels``); tensors in
``plt.plot`` / ``plt.hist`` / ``np.mean`` / ``np.std``; ``tf.keras.losses.mae(reconstructions,
data)``; ``tf.math.less(loss, threshold)``; scikit-learn's scores of a boolean tensor.
"""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, precision_score, recall_score
from sklearn.model_selection import train_test_split

import minidl.tf as tf
from minidl.keras import layers, losses
from minidl.keras.datasets import fashion_mnist
from minidl.keras.models import Model

(x_train, _), (x_test, _) = fashion_mnist.load_data()
x_train, x_test = x_train[:1000], x_test[:200]  # reduced

x_train = x_train.astype('float32') / 255.
x_test = x_test.astype('float32') / 255.

print(x_train.shape)
print(x_test.shape)


class Autoencoder(Model):
    def __init__(self, latent_dim, shape):
        super(Autoencoder, self).__init__()
        self.latent_dim = latent_dim
        self.shape = shape
        self.encoder = tf.keras.Sequential([
            layers.Flatten(),
            layers.Dense(latent_dim, activation='relu'),
        ])
        self.decoder = tf.keras.Sequential([
            layers.Dense(tf.math.reduce_prod(shape).numpy(), activation='sigmoid'),
            layers.Reshape(shape)
        ])

    def call(self, x):
        encoded = self.encoder(x)
        decoded = self.decoder(encoded)
        return decoded


shape = x_test.shape[1:]
latent_dim = 64
autoencoder = Autoencoder(latent_dim, shape)

autoencoder.compile(optimizer='adam', loss=losses.MeanSquaredError())

history = autoencoder.fit(x_train, x_train,
                          epochs=3,
                          shuffle=True,
                          validation_data=(x_test, x_test))
assert history.history['val_loss'][-1] < 0.07, history.history  # Keras: 0.051

encoded_imgs = autoencoder.encoder(x_test).numpy()
decoded_imgs = autoencoder.decoder(encoded_imgs).numpy()
assert encoded_imgs.shape == (200, 64) and decoded_imgs.shape == (200, 28, 28)

n = 10
plt.figure(figsize=(20, 4))
for i in range(n):
    # display original
    ax = plt.subplot(2, n, i + 1)
    plt.imshow(x_test[i])
    plt.title("original")
    plt.gray()
    ax.get_xaxis().set_visible(False)
    ax.get_yaxis().set_visible(False)

    # display reconstruction
    ax = plt.subplot(2, n, i + 1 + n)
    plt.imshow(decoded_imgs[i])
    plt.title("reconstructed")
    plt.gray()
    ax.get_xaxis().set_visible(False)
    ax.get_yaxis().set_visible(False)
plt.show()

(x_train, _), (x_test, _) = fashion_mnist.load_data()
x_train, x_test = x_train[:500], x_test[:200]  # reduced

x_train = x_train.astype('float32') / 255.
x_test = x_test.astype('float32') / 255.

x_train = x_train[..., tf.newaxis]
x_test = x_test[..., tf.newaxis]

print(x_train.shape)

noise_factor = 0.2
x_train_noisy = x_train + noise_factor * tf.random.normal(shape=x_train.shape)
x_test_noisy = x_test + noise_factor * tf.random.normal(shape=x_test.shape)

x_train_noisy = tf.clip_by_value(x_train_noisy, clip_value_min=0., clip_value_max=1.)
x_test_noisy = tf.clip_by_value(x_test_noisy, clip_value_min=0., clip_value_max=1.)
assert tuple(x_train_noisy.shape) == (500, 28, 28, 1) and x_train_noisy.dtype == tf.float32
assert float(tf.reduce_min(x_train_noisy)) >= 0.0 and float(tf.reduce_max(x_train_noisy)) <= 1.0

n = 10
plt.figure(figsize=(20, 2))
for i in range(n):
    ax = plt.subplot(1, n, i + 1)
    plt.title("original + noise")
    plt.imshow(tf.squeeze(x_test_noisy[i]))
    plt.gray()
plt.show()


class Denoise(Model):
    def __init__(self):
        super(Denoise, self).__init__()
        self.encoder = tf.keras.Sequential([
            layers.Input(shape=(28, 28, 1)),
            layers.Conv2D(16, (3, 3), activation='relu', padding='same', strides=2),
            layers.Conv2D(8, (3, 3), activation='relu', padding='same', strides=2)])

        self.decoder = tf.keras.Sequential([
            layers.Conv2DTranspose(8, kernel_size=3, strides=2, activation='relu', padding='same'),
            layers.Conv2DTranspose(16, kernel_size=3, strides=2, activation='relu', padding='same'),
            layers.Conv2D(1, kernel_size=(3, 3), activation='sigmoid', padding='same')])

    def call(self, x):
        encoded = self.encoder(x)
        decoded = self.decoder(encoded)
        return decoded


autoencoder = Denoise()

autoencoder.compile(optimizer='adam', loss=losses.MeanSquaredError())

autoencoder.fit(x_train_noisy, x_train,
                epochs=2,
                shuffle=True,
                validation_data=(x_test_noisy, x_test))

autoencoder.encoder.summary()

autoencoder.decoder.summary()

encoded_imgs = autoencoder.encoder(x_test_noisy).numpy()
decoded_imgs = autoencoder.decoder(encoded_imgs).numpy()
assert encoded_imgs.shape == (200, 7, 7, 8) and decoded_imgs.shape == (200, 28, 28, 1)

n = 10
plt.figure(figsize=(20, 4))
for i in range(n):

    # display original + noise
    ax = plt.subplot(2, n, i + 1)
    plt.title("original + noise")
    plt.imshow(tf.squeeze(x_test_noisy[i]))
    plt.gray()
    ax.get_xaxis().set_visible(False)
    ax.get_yaxis().set_visible(False)

    # display reconstruction
    bx = plt.subplot(2, n, i + n + 1)
    plt.title("reconstructed")
    plt.imshow(tf.squeeze(decoded_imgs[i]))
    plt.gray()
    bx.get_xaxis().set_visible(False)
    bx.get_yaxis().set_visible(False)
plt.show()


def synthetic_ecg(rows=600, steps=140, seed=7):
    """Stands in for ECG5000's ecg.csv: 140 values then a label (1.0 normal, 0.0 anomalous)."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 1, steps)
    beat = -np.exp(-((t - 0.25) / 0.03) ** 2) * 3 + np.sin(2 * np.pi * t) + np.exp(-((t - 0.6) / 0.08) ** 2)
    normal = rng.random(rows) < 0.6
    values = beat + rng.normal(scale=0.15, size=(rows, steps))
    values[~normal] += 1.5 * np.sin(6 * np.pi * t + rng.uniform(0, np.pi, size=((~normal).sum(), 1)))
    return pd.DataFrame(np.column_stack([values, normal.astype(float)]))


# Download the dataset -- substitute (see the module docstring)
dataframe = synthetic_ecg()
raw_data = dataframe.values
print(dataframe.head())

# The last element contains the labels
labels = raw_data[:, -1]

# The other data points are the electrocadriogram data
data = raw_data[:, 0:-1]

train_data, test_data, train_labels, test_labels = train_test_split(
    data, labels, test_size=0.2, random_state=21
)

min_val = tf.reduce_min(train_data)
max_val = tf.reduce_max(train_data)

train_data = (train_data - min_val) / (max_val - min_val)
test_data = (test_data - min_val) / (max_val - min_val)

train_data = tf.cast(train_data, tf.float32)
test_data = tf.cast(test_data, tf.float32)

train_labels = train_labels.astype(bool)
test_labels = test_labels.astype(bool)

normal_train_data = train_data[train_labels]
normal_test_data = test_data[test_labels]

anomalous_train_data = train_data[~train_labels]
anomalous_test_data = test_data[~test_labels]
assert tuple(normal_train_data.shape) == (int(train_labels.sum()), 140)

plt.grid()
plt.plot(np.arange(140), normal_train_data[0])
plt.title("A Normal ECG")
plt.show()

plt.grid()
plt.plot(np.arange(140), anomalous_train_data[0])
plt.title("An Anomalous ECG")
plt.show()


class AnomalyDetector(Model):
    def __init__(self):
        super(AnomalyDetector, self).__init__()
        self.encoder = tf.keras.Sequential([
            layers.Dense(32, activation="relu"),
            layers.Dense(16, activation="relu"),
            layers.Dense(8, activation="relu")])

        self.decoder = tf.keras.Sequential([
            layers.Dense(16, activation="relu"),
            layers.Dense(32, activation="relu"),
            layers.Dense(140, activation="sigmoid")])

    def call(self, x):
        encoded = self.encoder(x)
        decoded = self.decoder(encoded)
        return decoded


autoencoder = AnomalyDetector()

autoencoder.compile(optimizer='adam', loss='mae')

history = autoencoder.fit(normal_train_data, normal_train_data,
                          epochs=60,
                          batch_size=32,
                          validation_data=(test_data, test_data),
                          shuffle=True)

plt.plot(history.history["loss"], label="Training Loss")
plt.plot(history.history["val_loss"], label="Validation Loss")
plt.legend()

encoded_data = autoencoder.encoder(normal_test_data).numpy()
decoded_data = autoencoder.decoder(encoded_data).numpy()

plt.plot(normal_test_data[0], 'b')
plt.plot(decoded_data[0], 'r')
plt.fill_between(np.arange(140), decoded_data[0], normal_test_data[0], color='lightcoral')
plt.legend(labels=["Input", "Reconstruction", "Error"])
plt.show()

reconstructions = autoencoder.predict(normal_train_data)
train_loss = tf.keras.losses.mae(reconstructions, normal_train_data)

plt.hist(train_loss[None, :], bins=50)
plt.xlabel("Train loss")
plt.ylabel("No of examples")
plt.show()

threshold = np.mean(train_loss) + np.std(train_loss)
print("Threshold: ", threshold)

reconstructions = autoencoder.predict(anomalous_test_data)
test_loss = tf.keras.losses.mae(reconstructions, anomalous_test_data)

plt.hist(test_loss[None, :], bins=50)
plt.xlabel("Test loss")
plt.ylabel("No of examples")
plt.show()


def predict(model, data, threshold):
    reconstructions = model(data)
    loss = tf.keras.losses.mae(reconstructions, data)
    return tf.math.less(loss, threshold)


def print_stats(predictions, labels):
    print("Accuracy = {}".format(accuracy_score(labels, predictions)))
    print("Precision = {}".format(precision_score(labels, predictions)))
    print("Recall = {}".format(recall_score(labels, predictions)))


preds = predict(autoencoder, test_data, threshold)
print_stats(preds, test_labels)
assert preds.dtype == tf.bool and tuple(preds.shape) == test_labels.shape
assert accuracy_score(test_labels, preds) > 0.8, accuracy_score(test_labels, preds)
plt.close('all')
