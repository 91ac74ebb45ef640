"""TensorFlow tutorial "Basic regression: Predict fuel efficiency", reduced.

Source: tensorflow/docs ``site/en/tutorials/keras/regression.ipynb``. Only the import lines
changed (``import tensorflow as tf`` -> ``import minidl.tf as tf``, ``from tensorflow import
keras`` -> ``from minidl import keras``, ``from tensorflow.keras import layers`` -> ``from
minidl.keras import layers``). Substitute data: the tutorial downloads the UCI Auto MPG table,
which is not available offline, so this reads Boston housing from ``MINIDL_DATA_DIR`` with pandas
(``MEDV`` is the label in place of ``MPG``, the room count ``RM`` the single input in place of
``Horsepower``, and the river flag ``CHAS`` is one-hot encoded with ``pd.get_dummies`` as
``Origin`` was). Epochs are cut from 100 to 30; the seaborn pair plot is left out.

Patterns: pandas DataFrames and Series passed straight to ``fit`` / ``predict`` / ``evaluate``
(``train_features['RM']``, ``train_features[:10]``), ``tf.keras.layers.Normalization(axis=-1)``
and ``.adapt(np.array(df))``, ``normalizer.mean.numpy()``, calling the layer eagerly and
``.numpy()`` on the result, ``layers.Normalization(input_shape=[1,], axis=None)`` adapted on a 1-D
array, the same adapted normalizer shared by two models, ``Adam(learning_rate=0.1)`` with
``'mean_absolute_error'``, ``fit(..., verbose=0, validation_split=0.2)``,
``pd.DataFrame(history.history)`` with ``history.epoch``, ``tf.linspace`` fed to ``predict``,
``linear_model.layers[1].kernel``, ``model.save('dnn_model.keras')`` and
``tf.keras.models.load_model``.
"""

import os

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

# Make NumPy printouts easier to read.
np.set_printoptions(precision=3, suppress=True)

import minidl.tf as tf
from minidl import keras
from minidl.keras import layers

print(tf.__version__)

# Substitute for the Auto MPG download (see the docstring).
csv_path = os.path.join(os.environ["MINIDL_DATA_DIR"], "boston", "housing.csv")
raw_dataset = pd.read_csv(csv_path)
dataset = raw_dataset.copy()
print(dataset.tail())
print(dataset.isna().sum())
dataset = dataset.dropna()
dataset['CHAS'] = dataset['CHAS'].map({0: 'Inland', 1: 'River'})
dataset = pd.get_dummies(dataset, columns=['CHAS'], prefix='', prefix_sep='', dtype=float)
print(dataset.tail())

train_dataset = dataset.sample(frac=0.8, random_state=0)
test_dataset = dataset.drop(train_dataset.index)
print(train_dataset.describe().transpose())

train_features = train_dataset.copy()
test_features = test_dataset.copy()

train_labels = train_features.pop('MEDV')
test_labels = test_features.pop('MEDV')
print(train_dataset.describe().transpose()[['mean', 'std']])

normalizer = tf.keras.layers.Normalization(axis=-1)
normalizer.adapt(np.array(train_features))
print(normalizer.mean.numpy())
np.testing.assert_allclose(np.ravel(normalizer.mean.numpy()), train_features.mean().to_numpy(), rtol=1e-4)

first = np.array(train_features[:1])

with np.printoptions(precision=2, suppress=True):
    print('First example:', first)
    print()
    print('Normalized:', normalizer(first).numpy())

rooms = np.array(train_features['RM'])

rooms_normalizer = layers.Normalization(input_shape=[1,], axis=None)
rooms_normalizer.adapt(rooms)

rooms_model = tf.keras.Sequential([
    rooms_normalizer,
    layers.Dense(units=1)
])

rooms_model.summary()
print(rooms_model.predict(rooms[:10]))

rooms_model.compile(
    optimizer=tf.keras.optimizers.Adam(learning_rate=0.1),
    loss='mean_absolute_error')

history = rooms_model.fit(
    train_features['RM'],
    train_labels,
    epochs=30,
    # Suppress logging.
    verbose=0,
    # Calculate validation results on 20% of the training data.
    validation_split=0.2)

hist = pd.DataFrame(history.history)
hist['epoch'] = history.epoch
print(hist.tail())
assert list(hist.columns) == ['loss', 'val_loss', 'epoch'] and len(hist) == 30


def plot_loss(history):
    plt.plot(history.history['loss'], label='loss')
    plt.plot(history.history['val_loss'], label='val_loss')
    plt.ylim([0, 10])
    plt.xlabel('Epoch')
    plt.ylabel('Error [MEDV]')
    plt.legend()
    plt.grid(True)


plot_loss(history)

test_results = {}

test_results['rooms_model'] = rooms_model.evaluate(
    test_features['RM'],
    test_labels, verbose=0)

x = tf.linspace(3.0, 9, 61)
y = rooms_model.predict(x)
assert y.shape == (61, 1)


def plot_rooms(x, y):
    plt.scatter(train_features['RM'], train_labels, label='Data')
    plt.plot(x, y, color='k', label='Predictions')
    plt.xlabel('RM')
    plt.ylabel('MEDV')
    plt.legend()


plot_rooms(x, y)

linear_model = tf.keras.Sequential([
    normalizer,
    layers.Dense(units=1)
])

print(linear_model.predict(train_features[:10]))
print(linear_model.layers[1].kernel)
assert tuple(linear_model.layers[1].kernel.shape) == (train_features.shape[1], 1)

linear_model.compile(
    optimizer=tf.keras.optimizers.Adam(learning_rate=0.1),
    loss='mean_absolute_error')

history = linear_model.fit(
    train_features,
    train_labels,
    epochs=30,
    # Suppress logging.
    verbose=0,
    # Calculate validation results on 20% of the training data.
    validation_split=0.2)

plot_loss(history)

test_results['linear_model'] = linear_model.evaluate(
    test_features, test_labels, verbose=0)


def build_and_compile_model(norm):
    model = keras.Sequential([
        norm,
        layers.Dense(64, activation='relu'),
        layers.Dense(64, activation='relu'),
        layers.Dense(1)
    ])

    model.compile(loss='mean_absolute_error',
                  optimizer=tf.keras.optimizers.Adam(0.001))
    return model


dnn_rooms_model = build_and_compile_model(rooms_normalizer)
dnn_rooms_model.summary()

history = dnn_rooms_model.fit(
    train_features['RM'],
    train_labels,
    validation_split=0.2,
    verbose=0, epochs=30)

plot_loss(history)

x = tf.linspace(3.0, 9, 61)
y = dnn_rooms_model.predict(x)

plot_rooms(x, y)

test_results['dnn_rooms_model'] = dnn_rooms_model.evaluate(
    test_features['RM'], test_labels,
    verbose=0)

dnn_model = build_and_compile_model(normalizer)
dnn_model.summary()

history = dnn_model.fit(
    train_features,
    train_labels,
    validation_split=0.2,
    verbose=0, epochs=30)

plot_loss(history)

test_results['dnn_model'] = dnn_model.evaluate(test_features, test_labels, verbose=0)

print(pd.DataFrame(test_results, index=['Mean absolute error [MEDV]']).T)

test_predictions = dnn_model.predict(test_features).flatten()

a = plt.axes(aspect='equal')
plt.scatter(test_labels, test_predictions)
plt.xlabel('True Values [MEDV]')
plt.ylabel('Predictions [MEDV]')
lims = [0, 50]
plt.xlim(lims)
plt.ylim(lims)
_ = plt.plot(lims, lims)

error = test_predictions - test_labels
plt.hist(error, bins=25)
plt.xlabel('Prediction Error [MEDV]')
_ = plt.ylabel('Count')

dnn_model.save('dnn_model.keras')

reloaded = tf.keras.models.load_model('dnn_model.keras')

test_results['reloaded'] = reloaded.evaluate(
    test_features, test_labels, verbose=0)

print(pd.DataFrame(test_results, index=['Mean absolute error [MEDV]']).T)
# Mean MEDV is about 22.5; predicting the mean gives an MAE near 6.6.
assert test_results['linear_model'] < 5.0, test_results
assert test_results['dnn_model'] < 5.0, test_results
assert abs(test_results['reloaded'] - test_results['dnn_model']) < 1e-4, test_results
plt.close("all")
