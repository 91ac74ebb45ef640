"""TensorFlow tutorial "Overfit and underfit", reduced.

Source: tensorflow/docs ``site/en/tutorials/keras/overfit_and_underfit.ipynb``. Only the import
lines changed (``import tensorflow as tf`` -> ``import minidl.tf as tf``, ``from
tensorflow.keras import layers, regularizers`` -> ``from minidl.keras import ...``).

Substitute data: the tutorial downloads HIGGS.csv.gz (11 million rows of a label and 28
features); this writes a synthetic gzip CSV of the same layout (a label column, then 28 float
features whose class depends on a few of them) and reads it the tutorial's way. Reduced: 1,500
training and 300 validation rows, batches of 100, a few epochs, 64-unit layers in place of
512-unit ones. ``tensorflow_docs``' ``EpochDots`` and ``HistoryPlotter`` are not part of
TensorFlow, so a small ``EpochDots`` callback and a plain matplotlib plot stand in for them.

Patterns: ``tf.data.experimental.CsvDataset(path, [float(),]*(FEATURES+1),
compression_type="GZIP")``, ``ds.batch(n).map(pack_row).unbatch()`` with ``pack_row(*row)`` and
``tf.stack(row[1:], 1)``, ``take`` / ``skip`` / ``cache`` / ``shuffle().repeat().batch()``,
``map(lambda x, y: (x, tf.expand_dims(y, axis=-1)))`` fed to ``fit`` with ``steps_per_epoch``,
``tf.keras.optimizers.schedules.InverseTimeDecay`` passed to ``Adam`` and called on a NumPy
array of steps, ``tf.keras.metrics.BinaryCrossentropy(from_logits=True,
name='binary_crossentropy')`` next to ``'accuracy'``, ``EarlyStopping(monitor=
'val_binary_crossentropy', patience=...)``, ``TensorBoard(pathlib_path/name)``,
``regularizers.l2(0.001)`` as ``kernel_regularizer``, ``Dropout(0.5)``, ``l2_model(features)``
and ``tf.add_n(l2_model.losses)``.
"""

import csv
import gzip
import pathlib
import shutil
import tempfile

import matplotlib

matplotlib.use("Agg")

import numpy as np
from matplotlib import pyplot as plt

import minidl.tf as tf
from minidl.keras import layers, regularizers

print(tf.__version__)

logdir = pathlib.Path(tempfile.mkdtemp()) / "tensorboard_logs"
shutil.rmtree(logdir, ignore_errors=True)

FEATURES = 28


def write_synthetic_higgs(path, rows=2000, seed=0):
    """A stand-in for HIGGS.csv.gz: label (0.0/1.0) then 28 features, no header, gzip."""
    rng = np.random.default_rng(seed)
    features = rng.normal(size=(rows, FEATURES)).astype(np.float32)
    logits = 1.5 * features[:, 0] - features[:, 1] + 0.8 * features[:, 2] * features[:, 3]
    labels = (logits + rng.normal(scale=0.7, size=rows) > 0).astype(np.float32)
    with gzip.open(path, "wt", newline="") as file:
        writer = csv.writer(file)
        for label, row in zip(labels, features):
            writer.writerow([f"{label:.18e}"] + [f"{value:.18e}" for value in row])


gz = str(logdir.parent / "HIGGS.csv.gz")
write_synthetic_higgs(gz)

ds = tf.data.experimental.CsvDataset(gz, [float(),] * (FEATURES + 1), compression_type="GZIP")


def pack_row(*row):
    label = row[0]
    features = tf.stack(row[1:], 1)
    return features, label


packed_ds = ds.batch(500).map(pack_row).unbatch()

for features, label in packed_ds.batch(1000).take(1):
    print(features[0])
    plt.hist(features.numpy().flatten(), bins=101)
assert tuple(features.shape) == (1000, FEATURES) and tuple(label.shape) == (1000,)

N_VALIDATION = 300
N_TRAIN = 1500
BUFFER_SIZE = 1500
BATCH_SIZE = 100
STEPS_PER_EPOCH = N_TRAIN // BATCH_SIZE
MAX_EPOCHS = 6

validate_ds = packed_ds.take(N_VALIDATION).cache()
train_ds = packed_ds.skip(N_VALIDATION).take(N_TRAIN).cache()
print(train_ds)

validate_ds = validate_ds.batch(BATCH_SIZE)
train_ds = train_ds.shuffle(BUFFER_SIZE).repeat().batch(BATCH_SIZE)

lr_schedule = tf.keras.optimizers.schedules.InverseTimeDecay(
    0.001,
    decay_steps=STEPS_PER_EPOCH * 1000,
    decay_rate=1,
    staircase=False)


def get_optimizer():
    return tf.keras.optimizers.Adam(lr_schedule)


step = np.linspace(0, 100000)
lr = lr_schedule(step)
plt.figure(figsize=(8, 6))
plt.plot(step / STEPS_PER_EPOCH, lr)
plt.ylim([0, max(plt.ylim())])
plt.xlabel('Epoch')
_ = plt.ylabel('Learning Rate')
np.testing.assert_allclose(np.asarray(lr), 0.001 / (1 + step / (STEPS_PER_EPOCH * 1000)), rtol=1e-5)


class EpochDots(tf.keras.callbacks.Callback):
    """Stands in for ``tensorflow_docs.modeling.EpochDots``: a dot per epoch."""

    def on_epoch_end(self, epoch, logs=None):
        print('.', end='', flush=True)

    def on_train_end(self, logs=None):
        print()


def get_callbacks(name):
    return [
        EpochDots(),
        tf.keras.callbacks.EarlyStopping(monitor='val_binary_crossentropy', patience=200),
        tf.keras.callbacks.TensorBoard(logdir / name),
    ]


def compile_and_fit(model, name, optimizer=None, max_epochs=MAX_EPOCHS):
    if optimizer is None:
        optimizer = get_optimizer()
    model.compile(optimizer=optimizer,
                  loss=tf.keras.losses.BinaryCrossentropy(from_logits=True),
                  metrics=[
                      tf.keras.metrics.BinaryCrossentropy(
                          from_logits=True, name='binary_crossentropy'),
                      'accuracy'])

    model.summary()

    history = model.fit(
        train_ds.map(lambda x, y: (x, tf.expand_dims(y, axis=-1))),
        steps_per_epoch=STEPS_PER_EPOCH,
        epochs=max_epochs,
        validation_data=validate_ds.map(lambda x, y: (x, tf.expand_dims(y, axis=-1))),
        callbacks=get_callbacks(name),
        verbose=0)
    return history


def plot(histories, metric='binary_crossentropy'):
    """Stands in for ``tensorflow_docs.plots.HistoryPlotter(metric=...).plot``."""
    plt.figure()
    for name, history in histories.items():
        line, = plt.plot(history.epoch, history.history[metric], '--', label=name + ' Train')
        plt.plot(history.epoch, history.history['val_' + metric], color=line.get_color(), label=name + ' Val')
    plt.legend()


tiny_model = tf.keras.Sequential([
    layers.Dense(16, activation='elu', input_shape=(FEATURES,)),
    layers.Dense(1)
])

size_histories = {}
size_histories['Tiny'] = compile_and_fit(tiny_model, 'sizes/Tiny')
plot(size_histories)
plt.ylim([0.5, 0.7])

small_model = tf.keras.Sequential([
    # `input_shape` is only required here so that `.summary` works.
    layers.Dense(16, activation='elu', input_shape=(FEATURES,)),
    layers.Dense(16, activation='elu'),
    layers.Dense(1)
])
size_histories['Small'] = compile_and_fit(small_model, 'sizes/Small')

large_model = tf.keras.Sequential([
    layers.Dense(64, activation='elu', input_shape=(FEATURES,)),
    layers.Dense(64, activation='elu'),
    layers.Dense(64, activation='elu'),
    layers.Dense(1)
])
size_histories['large'] = compile_and_fit(large_model, "sizes/large")
plot(size_histories)

for name, history in size_histories.items():
    assert sorted(history.history) == ['accuracy', 'binary_crossentropy', 'loss', 'val_accuracy',
                                       'val_binary_crossentropy', 'val_loss'], sorted(history.history)
    assert len(history.epoch) == MAX_EPOCHS, (name, history.epoch)
    # No regularisation: the loss is the metric.
    np.testing.assert_allclose(history.history['loss'], history.history['binary_crossentropy'], rtol=1e-4)
assert size_histories['large'].history['val_accuracy'][-1] > 0.7, size_histories['large'].history
assert (logdir / 'sizes' / 'Tiny' / 'train').is_dir() and (logdir / 'sizes' / 'Tiny' / 'validation').is_dir()

shutil.rmtree(logdir / 'regularizers/Tiny', ignore_errors=True)
shutil.copytree(logdir / 'sizes/Tiny', logdir / 'regularizers/Tiny')

regularizer_histories = {}
regularizer_histories['Tiny'] = size_histories['Tiny']

l2_model = tf.keras.Sequential([
    layers.Dense(64, activation='elu',
                 kernel_regularizer=regularizers.l2(0.001),
                 input_shape=(FEATURES,)),
    layers.Dense(64, activation='elu',
                 kernel_regularizer=regularizers.l2(0.001)),
    layers.Dense(64, activation='elu',
                 kernel_regularizer=regularizers.l2(0.001)),
    layers.Dense(1)
])

regularizer_histories['l2'] = compile_and_fit(l2_model, "regularizers/l2")
plot(regularizer_histories)

result = l2_model(features)
regularization_loss = tf.add_n(l2_model.losses)
print('regularization loss', float(regularization_loss))
expected = sum(0.001 * np.sum(np.square(layer.kernel.numpy())) for layer in l2_model.layers[:3])
np.testing.assert_allclose(float(regularization_loss), expected, rtol=1e-4)
l2_history = regularizer_histories['l2'].history
# With L2 the training loss is the cross-entropy plus the penalty.
assert all(loss > bce for loss, bce in zip(l2_history['loss'], l2_history['binary_crossentropy']))

dropout_model = tf.keras.Sequential([
    layers.Dense(64, activation='elu', input_shape=(FEATURES,)),
    layers.Dropout(0.5),
    layers.Dense(64, activation='elu'),
    layers.Dropout(0.5),
    layers.Dense(1)
])

regularizer_histories['dropout'] = compile_and_fit(dropout_model, "regularizers/dropout")

combined_model = tf.keras.Sequential([
    layers.Dense(64, kernel_regularizer=regularizers.l2(0.0001),
                 activation='elu', input_shape=(FEATURES,)),
    layers.Dropout(0.5),
    layers.Dense(64, kernel_regularizer=regularizers.l2(0.0001),
                 activation='elu'),
    layers.Dropout(0.5),
    layers.Dense(1)
])

regularizer_histories['combined'] = compile_and_fit(combined_model, "regularizers/combined")
plot(regularizer_histories)
plt.ylim([0.5, 0.7])
for name, history in regularizer_histories.items():
    print(name, 'val_binary_crossentropy', round(history.history['val_binary_crossentropy'][-1], 4))
    if name != 'Tiny':  # the tiny model learns slowly at this learning rate
        assert history.history['val_binary_crossentropy'][-1] < 0.69, (name, history.history)
plt.close('all')
shutil.rmtree(logdir.parent, ignore_errors=True)
