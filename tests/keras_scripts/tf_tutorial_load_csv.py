"""TensorFlow tutorial "Load CSV data", reduced.

Source: tensorflow/docs ``site/en/tutorials/load_data/csv.ipynb``. Only the import lines
changed (``import tensorflow as tf`` -> ``import minidl.tf as tf``, ``from tensorflow.keras
import layers`` -> ``from minidl.keras import layers``). The ``Dataset.snapshot`` section is left out
(an on-disk cache minidl does not have; it raises an error naming ``cache()``); ``plot_model`` is left out; pandas 3 reads
text columns as ``str`` rather than ``object``, so the dtype test also asks
``pd.api.types.is_string_dtype`` (a pandas change, not a TensorFlow one).

Substitute data: the tutorial downloads four files; here synthetic files of the same layout are
written first -- ``abalone_train.csv`` (7 measurements and ``Age``, no header, 300 rows),
titanic's ``train.csv`` (``survived``, ``sex``, ``age``, ``n_siblings_spouses``, ``parch``,
``fare``, ``class``, ``deck``, ``embark_town``, ``alone``; 200 rows), a gzip
``Metro_Interstate_Traffic_Volume.csv.gz`` (600 rows) and three font CSVs in ``fonts/`` (12 rows
each of ``font``, ``fontVariant``, ``m_label``, ... and the 400 pixel columns ``r0c0``..
``r19c19``). Reduced: 2 to 5 epochs, batches of 64 in place of 2,048 at the end.

Patterns: ``pd.read_csv(..., names=[...])`` and ``np.array(df)`` fed to ``fit``;
``layers.Normalization().adapt``; ``tf.keras.Input(shape=(), dtype=tf.float32)`` with ``2*input
+ 1`` as a model; a dict of named ``Input``s typed from the DataFrame's dtypes (``tf.string``
for ``object`` columns); ``layers.StringLookup(vocabulary=np.unique(...))`` then
``layers.CategoryEncoding(num_tokens=lookup.vocabulary_size())``; a preprocessing head model
called on a dict of arrays and on the ``Input`` dict; ``fit(x=dict_of_arrays, y=series)``;
``save('test.keras')`` / ``load_model`` of a model with string lookups; a generator of dict
slices; ``from_tensor_slices`` of a dict; ``tf.data.experimental.make_csv_dataset(path,
batch_size, label_name=..., num_epochs=1, ignore_errors=True)`` and with
``compression_type="GZIP"``, ``cache().shuffle(1000)`` and ``repeat(20)``; a ``file_pattern``
glob and a ``map`` that ``tf.stack``s and ``tf.reshape``s 400 pixel columns into an image;
``tf.io.decode_csv(lines, record_defaults=...)`` with ``str()``/``int()``/``float()``
defaults; ``CsvDataset(path, record_defaults=..., header=True)``; ``TextLineDataset(path).skip(1)
.map(decode)``; ``Dataset.list_files(pattern)`` and ``interleave(..., cycle_length=3)``.
"""

import csv
import gzip
import itertools
import os
import pathlib
import re

import numpy as np
import pandas as pd

# Make numpy values easier to read.
np.set_printoptions(precision=3, suppress=True)

import minidl.tf as tf
from minidl.keras import layers


def write_substitute_files(seed=2):
    """The tutorial's downloads, synthesized in the same layouts (see the module docstring)."""
    rng = np.random.default_rng(seed)
    length = rng.uniform(0.1, 0.8, 300)
    abalone = np.column_stack([length, length * 0.8, length * 0.3, length ** 3 * 4, length ** 3 * 1.8,
                               length ** 3 * 0.9, length ** 3 * 1.2])
    age = np.round(4 + 18 * length + rng.normal(0, 1.5, 300)).astype(int)
    pd.DataFrame(np.column_stack([abalone.round(4), age])).to_csv("abalone_train.csv", header=False, index=False)

    rows = 200
    sex = rng.choice(["male", "female"], rows)
    passenger_class = rng.choice(["First", "Second", "Third"], rows, p=[0.25, 0.2, 0.55])
    survived = (rng.random(rows) < np.where(sex == "female", 0.75, 0.2) + (passenger_class == "First") * 0.15)
    pd.DataFrame({
        "survived": survived.astype(int), "sex": sex, "age": rng.integers(1, 75, rows).astype(float),
        "n_siblings_spouses": rng.integers(0, 4, rows), "parch": rng.integers(0, 3, rows),
        "fare": np.round(rng.lognormal(3, 0.8, rows), 4), "class": passenger_class,
        "deck": rng.choice(["unknown", "A", "B", "C"], rows, p=[0.7, 0.1, 0.1, 0.1]),
        "embark_town": rng.choice(["Southampton", "Cherbourg", "Queenstown"], rows),
        "alone": rng.choice(["y", "n"], rows),
    }).to_csv("train.csv", index=False)

    traffic = pd.DataFrame({
        "holiday": "None", "temp": np.round(rng.normal(280, 10, 600), 2), "rain_1h": 0.0, "snow_1h": 0.0,
        "clouds_all": rng.integers(0, 100, 600), "weather_main": rng.choice(["Clouds", "Clear", "Rain"], 600),
        "weather_description": rng.choice(["scattered clouds", "sky is clear", "light rain"], 600),
        "date_time": pd.date_range("2012-10-02 09:00:00", periods=600, freq="h").strftime("%Y-%m-%d %H:%M:%S"),
        "traffic_volume": rng.integers(100, 7000, 600),
    })
    os.makedirs("traffic", exist_ok=True)
    with gzip.open(os.path.join("traffic", "Metro_Interstate_Traffic_Volume.csv.gz"), "wt", newline="") as file:
        traffic.to_csv(file, index=False)

    os.makedirs("fonts", exist_ok=True)
    header = ["font", "fontVariant", "m_label", "strength", "italic", "orientation", "m_top", "m_left",
              "originalH", "originalW", "h", "w"] + [f"r{r}c{c}" for r in range(20) for c in range(20)]
    for font in ("AGENCY", "ARIAL", "BAITI"):
        with open(os.path.join("fonts", f"{font}.csv"), "w", newline="") as file:
            writer = csv.writer(file)
            writer.writerow(header)
            for index in range(12):
                pixels = rng.integers(0, 256, 400)
                writer.writerow([font, f"{font} variant", 65 + index, 0.4, 0, 0.0, 35, 22, 51, 22, 20, 20]
                                + pixels.tolist())


write_substitute_files()

abalone_train = pd.read_csv(
    "abalone_train.csv",  # the tutorial reads it from storage.googleapis.com
    names=["Length", "Diameter", "Height", "Whole weight", "Shucked weight",
           "Viscera weight", "Shell weight", "Age"])

print(abalone_train.head())

abalone_features = abalone_train.copy()
abalone_labels = abalone_features.pop('Age')

abalone_features = np.array(abalone_features)
print(abalone_features)

abalone_model = tf.keras.Sequential([
    layers.Dense(64, activation='relu'),
    layers.Dense(1)
])

abalone_model.compile(loss=tf.keras.losses.MeanSquaredError(),
                      optimizer=tf.keras.optimizers.Adam())

abalone_model.fit(abalone_features, abalone_labels, epochs=5)

normalize = layers.Normalization()

normalize.adapt(abalone_features)

norm_abalone_model = tf.keras.Sequential([
    normalize,
    layers.Dense(64, activation='relu'),
    layers.Dense(1)
])

norm_abalone_model.compile(loss=tf.keras.losses.MeanSquaredError(),
                           optimizer=tf.keras.optimizers.Adam())

history = norm_abalone_model.fit(abalone_features, abalone_labels, epochs=5)
assert history.history['loss'][-1] < history.history['loss'][0]

titanic = pd.read_csv("train.csv")
print(titanic.head())

titanic_features = titanic.copy()
titanic_labels = titanic_features.pop('survived')

# Create a symbolic input
input = tf.keras.Input(shape=(), dtype=tf.float32)

# Perform a calculation using the input
result = 2 * input + 1

# the result doesn't have a value
print(result)

calc = tf.keras.Model(inputs=input, outputs=result)

print(calc(np.array([1])).numpy())
print(calc(np.array([2])).numpy())
assert calc(np.array([2])).numpy().tolist() == [5.0]

inputs = {}

for name, column in titanic_features.items():
    dtype = column.dtype
    if dtype == object or pd.api.types.is_string_dtype(dtype):  # pandas 3 reads text as 'str'
        dtype = tf.string
    else:
        dtype = tf.float32

    inputs[name] = tf.keras.Input(shape=(1,), name=name, dtype=dtype)

print(inputs)

numeric_inputs = {name: input for name, input in inputs.items()
                  if input.dtype == tf.float32}

x = layers.Concatenate()(list(numeric_inputs.values()))
norm = layers.Normalization()
norm.adapt(np.array(titanic[numeric_inputs.keys()]))
all_numeric_inputs = norm(x)

print(all_numeric_inputs)

preprocessed_inputs = [all_numeric_inputs]

for name, input in inputs.items():
    if input.dtype == tf.float32:
        continue

    lookup = layers.StringLookup(vocabulary=np.unique(titanic_features[name]))
    one_hot = layers.CategoryEncoding(num_tokens=lookup.vocabulary_size())

    x = lookup(input)
    x = one_hot(x)
    preprocessed_inputs.append(x)

preprocessed_inputs_cat = layers.Concatenate()(preprocessed_inputs)

titanic_preprocessing = tf.keras.Model(inputs, preprocessed_inputs_cat)

titanic_features_dict = {name: np.array(value)
                         for name, value in titanic_features.items()}

features_dict = {name: values[:1] for name, values in titanic_features_dict.items()}
print(titanic_preprocessing(features_dict))
# 4 numeric + sex (2 + OOV) + class (3 + 1) + deck (4 + 1) + embark_town (3 + 1) + alone (2 + 1)
assert tuple(titanic_preprocessing(features_dict).shape) == (1, 4 + 3 + 4 + 5 + 4 + 3)


def titanic_model(preprocessing_head, inputs):
    body = tf.keras.Sequential([
        layers.Dense(64, activation='relu'),
        layers.Dense(1)
    ])

    preprocessed_inputs = preprocessing_head(inputs)
    result = body(preprocessed_inputs)
    model = tf.keras.Model(inputs, result)

    model.compile(loss=tf.keras.losses.BinaryCrossentropy(from_logits=True),
                  optimizer=tf.keras.optimizers.Adam())
    return model


titanic_model = titanic_model(titanic_preprocessing, inputs)

titanic_model.fit(x=titanic_features_dict, y=titanic_labels, epochs=5)

titanic_model.save('test.keras')
reloaded = tf.keras.models.load_model('test.keras')

features_dict = {name: values[:1] for name, values in titanic_features_dict.items()}

before = titanic_model(features_dict)
after = reloaded(features_dict)
assert (before - after) < 1e-3
print(before)
print(after)


def slices(features):
    for i in itertools.count():
        # For each feature take index `i`
        example = {name: values[i] for name, values in features.items()}
        yield example


for example in slices(titanic_features_dict):
    for name, value in example.items():
        print(f"{name:19s}: {value}")
    break

features_ds = tf.data.Dataset.from_tensor_slices(titanic_features_dict)

for example in features_ds:
    for name, value in example.items():
        print(f"{name:19s}: {value}")
    break

titanic_ds = tf.data.Dataset.from_tensor_slices((titanic_features_dict, titanic_labels))

titanic_batches = titanic_ds.shuffle(len(titanic_labels)).batch(32)

history = titanic_model.fit(titanic_batches, epochs=3)
assert history.history['loss'][-1] < 0.69, history.history

titanic_file_path = "train.csv"  # the tutorial: tf.keras.utils.get_file("train.csv", url)

titanic_csv_ds = tf.data.experimental.make_csv_dataset(
    titanic_file_path,
    batch_size=5,  # Artificially small to make examples easier to show.
    label_name='survived',
    num_epochs=1,
    ignore_errors=True,)

for batch, label in titanic_csv_ds.take(1):
    for key, value in batch.items():
        print(f"{key:20s}: {value}")
    print()
    print(f"{'label':20s}: {label}")
assert sorted(batch) == sorted(titanic_features.columns) and tuple(label.shape) == (5,)
assert batch['sex'].dtype == tf.string and batch['age'].dtype == tf.float32 and label.dtype == tf.int32

traffic_volume_csv_gz = os.path.join('traffic', 'Metro_Interstate_Traffic_Volume.csv.gz')

traffic_volume_csv_gz_ds = tf.data.experimental.make_csv_dataset(
    traffic_volume_csv_gz,
    batch_size=256,
    label_name='traffic_volume',
    num_epochs=1,
    compression_type="GZIP")

for batch, label in traffic_volume_csv_gz_ds.take(1):
    for key, value in batch.items():
        print(f"{key:20s}: {value[:5]}")
    print()
    print(f"{'label':20s}: {label[:5]}")

for i, (batch, label) in enumerate(traffic_volume_csv_gz_ds.repeat(20)):
    if i % 40 == 0:
        print('.', end='')
print()
assert i + 1 == 20 * 3  # 600 rows in batches of 256: 3 batches a pass

caching = traffic_volume_csv_gz_ds.cache().shuffle(1000)

for i, (batch, label) in enumerate(caching.shuffle(1000).repeat(20)):
    if i % 40 == 0:
        print('.', end='')
print()

font_csvs = sorted(str(p) for p in pathlib.Path('fonts').glob("*.csv"))

print(font_csvs[:10])
print(len(font_csvs))

fonts_ds = tf.data.experimental.make_csv_dataset(
    file_pattern="fonts/*.csv",
    batch_size=10, num_epochs=1,
    num_parallel_reads=20,
    shuffle_buffer_size=10000)

for features in fonts_ds.take(1):
    for i, (name, value) in enumerate(features.items()):
        if i > 15:
            break
        print(f"{name:20s}: {value}")
print('...')
print(f"[total: {len(features)} features]")
assert len(features) == 412


def make_images(features):
    image = [None] * 400
    new_feats = {}

    for name, value in features.items():
        match = re.match(r'r(\d+)c(\d+)', name)
        if match:
            image[int(match.group(1)) * 20 + int(match.group(2))] = value
        else:
            new_feats[name] = value

    image = tf.stack(image, axis=0)
    image = tf.reshape(image, [20, 20, -1])
    new_feats['image'] = image

    return new_feats


fonts_image_ds = fonts_ds.map(make_images)

for features in fonts_image_ds.take(1):
    break
assert tuple(features['image'].shape) == (20, 20, 10)

text = pathlib.Path(titanic_file_path).read_text()
lines = text.split('\n')[1:-1]

all_strings = [str()] * 10
print(all_strings)

features = tf.io.decode_csv(lines, record_defaults=all_strings)

for f in features:
    print(f"type: {f.dtype.name}, shape: {f.shape}")

print(lines[0])

titanic_types = [int(), str(), float(), int(), int(), float(), str(), str(), str(), str()]
print(titanic_types)

features = tf.io.decode_csv(lines, record_defaults=titanic_types)

for f in features:
    print(f"type: {f.dtype.name}, shape: {f.shape}")
assert [f.dtype for f in features][:3] == [tf.int32, tf.string, tf.float32] and tuple(features[0].shape) == (200,)

simple_titanic = tf.data.experimental.CsvDataset(titanic_file_path, record_defaults=titanic_types, header=True)

for example in simple_titanic.take(1):
    print([e.numpy() for e in example])


def decode_titanic_line(line):
    return tf.io.decode_csv(line, titanic_types)


manual_titanic = (
    # Load the lines of text
    tf.data.TextLineDataset(titanic_file_path)
    # Skip the header row.
    .skip(1)
    # Decode the line.
    .map(decode_titanic_line)
)

for manual_example in manual_titanic.take(1):
    print([e.numpy() for e in manual_example])
assert [e.numpy() for e in manual_example] == [e.numpy() for e in example]

font_line = pathlib.Path(font_csvs[0]).read_text().splitlines()[1]
print(font_line)

num_font_features = font_line.count(',') + 1
font_column_types = [str(), str()] + [float()] * (num_font_features - 2)

simple_font_ds = tf.data.experimental.CsvDataset(
    font_csvs,
    record_defaults=font_column_types,
    header=True)

for row in simple_font_ds.take(10):
    print(row[0].numpy())

font_files = tf.data.Dataset.list_files("fonts/*.csv")

print('Epoch 1:')
for f in list(font_files)[:5]:
    print("    ", f.numpy())
print('    ...')
print()

print('Epoch 2:')
for f in list(font_files)[:5]:
    print("    ", f.numpy())
print('    ...')


def make_font_csv_ds(path):
    return tf.data.experimental.CsvDataset(
        path,
        record_defaults=font_column_types,
        header=True)


font_rows = font_files.interleave(make_font_csv_ds,
                                  cycle_length=3)

fonts_dict = {'font_name': [], 'character': []}

for row in font_rows.take(10):
    fonts_dict['font_name'].append(row[0].numpy().decode())
    fonts_dict['character'].append(chr(int(row[2].numpy())))

print(pd.DataFrame(fonts_dict))
assert len(set(fonts_dict['font_name'][:3])) == 3  # one row from each file in turn

BATCH_SIZE = 64

fonts_ds = tf.data.experimental.make_csv_dataset(
    file_pattern="fonts/*.csv",
    batch_size=BATCH_SIZE, num_epochs=1,
    num_parallel_reads=100)

for i, batch in enumerate(fonts_ds.take(20)):
    print('.', end='')
print()

fonts_files = tf.data.Dataset.list_files("fonts/*.csv")
fonts_lines = fonts_files.interleave(
    lambda fname: tf.data.TextLineDataset(fname).skip(1),
    cycle_length=100).batch(BATCH_SIZE)

fonts_fast = fonts_lines.map(lambda x: tf.io.decode_csv(x, record_defaults=font_column_types))

for i, batch in enumerate(fonts_fast.take(20)):
    print('.', end='')
print()
assert len(batch) == num_font_features and tuple(batch[0].shape) == (36,)  # 3 files of 12 rows
