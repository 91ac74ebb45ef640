"""TensorFlow tutorial "Load a pandas DataFrame", reduced.

Source: tensorflow/docs ``site/en/tutorials/load_data/pandas_dataframe.ipynb``. Only the
TensorFlow import changed (``import tensorflow as tf`` -> ``import minidl.tf as tf``);
``plot_model`` (which needs pydot and graphviz) is called as in the tutorial but its picture is
not checked.

Substitute data: the tutorial downloads the Cleveland heart-disease table ``heart.csv``; here
a DataFrame of its columns and types is synthesized (200 rows: numeric ``age``, ``trestbps``,
``chol``, ``thalach``, ``oldpeak``; binary ``sex``, ``fbs``, ``exang``; integer codes ``cp``,
``restecg``, ``slope``, ``ca``; the string column ``thal``; a ``target`` that depends on a few
of them). Reduced: 2 or 3 epochs in place of 15 and 5, except the last model's 15.

Patterns: ``tf.convert_to_tensor(dataframe)``; ``Normalization.adapt(np.array(df))`` then the
layer called on ``df.iloc[:3]``; ``fit(dataframe, series, batch_size=2)``;
``Dataset.from_tensor_slices((dataframe, series))``; a dict of ``(n, 1)`` columns
(``value.to_numpy()[:, tf.newaxis]``) in ``from_tensor_slices`` and ``fit``; a subclassed model
taking a dict, stacking it with ``Concatenate(axis=1)`` and with its own ``adapt``, compiled
with ``run_eagerly=True``; ``model.predict(dict(df.iloc[:3]))``; a functional model on a dict
of named ``tf.keras.Input(shape=(1,), name=..., dtype=tf.float32 / tf.int64 / tf.string)``;
``StringLookup`` / ``IntegerLookup(vocabulary=..., output_mode='one_hot')`` called on lists
(with an unknown value); a preprocessing model called on ``dict(df.iloc[:1])`` and on the
``Input`` dict, then a body Sequential; ``fit(dict(df), target)`` and a dataset of
``(dict(df), target)`` batches.
"""

import pprint

import numpy as np
import pandas as pd

import minidl.tf as tf

SHUFFLE_BUFFER = 500
BATCH_SIZE = 2


def synthetic_heart(rows=200, seed=11):
    """A stand-in for heart.csv: the same columns and dtypes."""
    rng = np.random.default_rng(seed)
    age = rng.integers(29, 78, rows)
    thalach = np.clip(rng.normal(150, 22, rows) - (age - 54) * 0.8, 70, 205).round().astype(int)
    oldpeak = np.round(np.abs(rng.normal(1.0, 1.1, rows)), 1)
    cp = rng.integers(0, 5, rows)
    thal = rng.choice(['fixed', 'normal', 'reversible'], rows, p=[0.1, 0.55, 0.35])
    score = 0.04 * (age - 54) - 0.03 * (thalach - 150) + 0.8 * oldpeak + 0.5 * (cp == 4) + 1.0 * (thal == 'reversible')
    return pd.DataFrame({
        'age': age, 'sex': rng.integers(0, 2, rows), 'cp': cp,
        'trestbps': rng.integers(94, 200, rows), 'chol': rng.integers(126, 564, rows),
        'fbs': rng.integers(0, 2, rows), 'restecg': rng.integers(0, 3, rows), 'thalach': thalach,
        'exang': rng.integers(0, 2, rows), 'oldpeak': oldpeak, 'slope': rng.integers(1, 4, rows),
        'ca': rng.integers(0, 4, rows), 'thal': thal,
        'target': (score + rng.normal(0, 0.7, rows) > 0.9).astype(int),
    })


# Substitute for pd.read_csv(tf.keras.utils.get_file('heart.csv', ...))
df = synthetic_heart()
print(df.head())
print(df.dtypes)

target = df.pop('target')

numeric_feature_names = ['age', 'thalach', 'trestbps', 'chol', 'oldpeak']
numeric_features = df[numeric_feature_names]
print(numeric_features.head())

print(tf.convert_to_tensor(numeric_features))
assert tuple(tf.convert_to_tensor(numeric_features).shape) == (200, 5)
assert tf.convert_to_tensor(numeric_features).dtype == tf.float64  # a DataFrame converts as its NumPy array

normalizer = tf.keras.layers.Normalization(axis=-1)
normalizer.adapt(np.array(numeric_features))

print(normalizer(numeric_features.iloc[:3]))
expected = (numeric_features.iloc[:3] - numeric_features.mean()) / numeric_features.std(ddof=0)
np.testing.assert_allclose(np.asarray(normalizer(numeric_features.iloc[:3])), expected.to_numpy(), rtol=1e-4, atol=1e-5)


def get_basic_model():
    model = tf.keras.Sequential([
        normalizer,
        tf.keras.layers.Dense(10, activation='relu'),
        tf.keras.layers.Dense(10, activation='relu'),
        tf.keras.layers.Dense(1)
    ])

    model.compile(optimizer='adam',
                  loss=tf.keras.losses.BinaryCrossentropy(from_logits=True),
                  metrics=['accuracy'])
    return model


model = get_basic_model()
history = model.fit(numeric_features, target, epochs=3, batch_size=BATCH_SIZE)
assert history.history['loss'][-1] < history.history['loss'][0], history.history

numeric_dataset = tf.data.Dataset.from_tensor_slices((numeric_features, target))

for row in numeric_dataset.take(3):
    print(row)

numeric_batches = numeric_dataset.shuffle(1000).batch(BATCH_SIZE)

model = get_basic_model()
model.fit(numeric_batches, epochs=3)

numeric_features_dict = {key: value.to_numpy()[:, tf.newaxis] for key, value in dict(numeric_features).items()}
target_array = target.to_numpy()[:, tf.newaxis]

numeric_dict_ds = tf.data.Dataset.from_tensor_slices((numeric_features_dict, target_array))

print(len(numeric_features_dict))

for row in numeric_dict_ds.take(3):
    print(row)


class MyModel(tf.keras.Model):
    def __init__(self):
        # Create all the internal layers in init.
        super().__init__()

        self.normalizer = tf.keras.layers.Normalization(axis=-1)

        self.seq = tf.keras.Sequential([
            self.normalizer,
            tf.keras.layers.Dense(10, activation='relu'),
            tf.keras.layers.Dense(10, activation='relu'),
            tf.keras.layers.Dense(1)
        ])

        self.concat = tf.keras.layers.Concatenate(axis=1)

    def _stack(self, input_dict):
        values = []
        for key, value in sorted(input_dict.items()):
            values.append(value)

        return self.concat(values)

    def adapt(self, inputs):
        # Stack the inputs and `adapt` the normalization layer.
        inputs = self._stack(inputs)
        self.normalizer.adapt(inputs)

    def call(self, inputs):
        # Stack the inputs
        inputs = self._stack(inputs)
        # Run them through all the layers.
        result = self.seq(inputs)

        return result


model = MyModel()

model.adapt(numeric_features_dict)

model.compile(optimizer='adam',
              loss=tf.keras.losses.BinaryCrossentropy(from_logits=True),
              metrics=['accuracy'],
              run_eagerly=True)

model.fit(numeric_features_dict, target_array, epochs=2, batch_size=BATCH_SIZE)

numeric_dict_batches = numeric_dict_ds.shuffle(SHUFFLE_BUFFER).batch(BATCH_SIZE)
model.fit(numeric_dict_batches, epochs=2)

print(model.predict(dict(numeric_features.iloc[:3])))
assert model.predict(dict(numeric_features.iloc[:3])).shape == (3, 1)

inputs = {}
for name, column in numeric_features.items():
    inputs[name] = tf.keras.Input(
        shape=(1,), name=name, dtype=tf.float32)

print(inputs)

xs = [value for key, value in sorted(inputs.items())]

concat = tf.keras.layers.Concatenate(axis=1)
x = concat(xs)

normalizer = tf.keras.layers.Normalization(axis=-1)
normalizer.adapt(np.concatenate([value for key, value in sorted(numeric_features_dict.items())], axis=1))

x = normalizer(x)
x = tf.keras.layers.Dense(10, activation='relu')(x)
x = tf.keras.layers.Dense(10, activation='relu')(x)
x = tf.keras.layers.Dense(1)(x)

model = tf.keras.Model(inputs, x)

model.compile(optimizer='adam',
              loss=tf.keras.losses.BinaryCrossentropy(from_logits=True),
              metrics=['accuracy'],
              run_eagerly=True)

tf.keras.utils.plot_model(model, rankdir="LR", show_shapes=True, show_layer_names=True)

model.fit(numeric_features_dict, target, epochs=2, batch_size=BATCH_SIZE)

numeric_dict_batches = numeric_dict_ds.shuffle(SHUFFLE_BUFFER).batch(BATCH_SIZE)
model.fit(numeric_dict_batches, epochs=2)

binary_feature_names = ['sex', 'fbs', 'exang']

categorical_feature_names = ['cp', 'restecg', 'slope', 'thal', 'ca']

inputs = {}
for name, column in df.items():
    if type(column[0]) == str:
        dtype = tf.string
    elif (name in categorical_feature_names or
          name in binary_feature_names):
        dtype = tf.int64
    else:
        dtype = tf.float32

    inputs[name] = tf.keras.Input(shape=(1,), name=name, dtype=dtype)

print(inputs)

preprocessed = []

for name in binary_feature_names:
    inp = inputs[name]
    preprocessed.append(inp)

print(preprocessed)

normalizer = tf.keras.layers.Normalization(axis=-1)
normalizer.adapt(np.concatenate([value for key, value in sorted(numeric_features_dict.items())], axis=1))

numeric_inputs = []
for name in numeric_feature_names:
    numeric_inputs.append(inputs[name])

numeric_inputs = tf.keras.layers.Concatenate(axis=-1)(numeric_inputs)
numeric_normalized = normalizer(numeric_inputs)

preprocessed.append(numeric_normalized)

print(preprocessed)

vocab = ['a', 'b', 'c']
lookup = tf.keras.layers.StringLookup(vocabulary=vocab, output_mode='one_hot')
print(lookup(['c', 'a', 'a', 'b', 'zzz']))
np.testing.assert_array_equal(np.asarray(lookup(['c', 'a', 'a', 'b', 'zzz'])),
                              [[0, 0, 0, 1], [0, 1, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [1, 0, 0, 0]])

vocab = [1, 4, 7, 99]
lookup = tf.keras.layers.IntegerLookup(vocabulary=vocab, output_mode='one_hot')

print(lookup([-1, 4, 1]))
np.testing.assert_array_equal(np.asarray(lookup([-1, 4, 1])), [[1, 0, 0, 0, 0], [0, 0, 1, 0, 0], [0, 1, 0, 0, 0]])

for name in categorical_feature_names:
    vocab = sorted(set(df[name]))
    print(f'name: {name}')
    print(f'vocab: {vocab}\n')

    if type(vocab[0]) is str:
        lookup = tf.keras.layers.StringLookup(vocabulary=vocab, output_mode='one_hot')
    else:
        lookup = tf.keras.layers.IntegerLookup(vocabulary=vocab, output_mode='one_hot')

    x = inputs[name]
    x = lookup(x)
    preprocessed.append(x)

print(preprocessed)

preprocessed_result = tf.keras.layers.Concatenate(axis=1)(preprocessed)
print(preprocessed_result)

preprocessor = tf.keras.Model(inputs, preprocessed_result)

tf.keras.utils.plot_model(preprocessor, rankdir="LR", show_shapes=True, show_layer_names=True)

print(preprocessor(dict(df.iloc[:1])))
# 3 binary + 5 numeric + one-hot cp (5 codes + OOV), restecg (3 + 1), slope (3 + 1), thal (3 + 1), ca (4 + 1)
assert tuple(preprocessor(dict(df.iloc[:1])).shape) == (1, 3 + 5 + 6 + 4 + 4 + 4 + 5)

body = tf.keras.Sequential([
    tf.keras.layers.Dense(10, activation='relu'),
    tf.keras.layers.Dense(10, activation='relu'),
    tf.keras.layers.Dense(1)
])

print(inputs)

x = preprocessor(inputs)
print(x)

result = body(x)
print(result)

model = tf.keras.Model(inputs, result)

model.compile(optimizer='adam',
              loss=tf.keras.losses.BinaryCrossentropy(from_logits=True),
              metrics=['accuracy'])

tf.keras.utils.plot_model(model, show_shapes=True, show_layer_names=True)

history = model.fit(dict(df), target, epochs=15, batch_size=BATCH_SIZE)
first_fit = history.history['loss']

ds = tf.data.Dataset.from_tensor_slices((
    dict(df),
    target
))

ds = ds.batch(BATCH_SIZE)

for x, y in ds.take(1):
    pprint.pprint(x)
    print()
    print(y)

history = model.fit(ds, epochs=2)
# it learns: below where the first fit started (a fixed bar such as log 2 failed in one run)
assert history.history['loss'][-1] < first_fit[0], (first_fit, history.history)
