"""Structured data in the way of keras.io's "classification from scratch" examples: a table of
mixed columns fed to a model that does its own preprocessing.

Patterns: a dict of columns turned into ``tf.data.Dataset.from_tensor_slices((dict(columns),
labels))``; one named ``keras.Input`` per column (``dtype="string"`` and ``"int64"`` for the
categorical ones); ``Normalization`` adapted on a dataset of one column
(``dataset.map(lambda x, y: x[name])`` with ``tf.expand_dims``); ``StringLookup`` and
``IntegerLookup`` with ``output_mode="binary"``; ``StringLookup`` + ``CategoryEncoding``;
``Discretization`` of an age column; ``layers.concatenate``; ``fit`` on the batched dataset
of dicts; ``predict`` on a dict of raw values for one new row; saving and reloading the
model with its vocabularies.
"""

import numpy as np

import minidl.keras as keras
import minidl.tf as tf
from minidl.keras import layers

ROWS = 120


def make_table(rows=ROWS, seed=0):
    """A made-up clinic table: two numeric columns, three categorical ones, a 0/1 target."""
    rng = np.random.default_rng(seed)
    age = rng.integers(25, 80, rows)
    pressure = rng.normal(130, 15, rows).round(1)
    chest_pain = rng.integers(0, 4, rows)
    thal = rng.choice(np.array(["normal", "fixed", "reversible"]), rows)
    smoker = rng.choice(np.array(["yes", "no"]), rows)
    risk = 0.04 * (age - 50) + 0.03 * (pressure - 130) + (thal == "reversible") + 0.5 * chest_pain
    target = (risk + rng.normal(0, 0.5, rows) > 1.0).astype("int64")
    columns = {"age": age, "pressure": pressure, "chest_pain": chest_pain, "thal": thal, "smoker": smoker}
    return columns, target


def to_dataset(columns, target, batch_size=16, shuffle=True):
    dataset = tf.data.Dataset.from_tensor_slices((dict(columns), target))
    if shuffle:
        dataset = dataset.shuffle(buffer_size=len(target))
    return dataset.batch(batch_size)


def encode_numeric(feature_input, name, dataset):
    normalizer = layers.Normalization()
    column = dataset.map(lambda x, y: x[name]).map(lambda x: tf.expand_dims(x, -1))
    normalizer.adapt(column)
    return normalizer(feature_input)


def encode_categorical(feature_input, name, dataset, is_string):
    lookup_class = layers.StringLookup if is_string else layers.IntegerLookup
    lookup = lookup_class(output_mode="binary")
    column = dataset.map(lambda x, y: x[name]).map(lambda x: tf.expand_dims(x, -1))
    lookup.adapt(column)
    return lookup(feature_input)


def build_model(dataset=None):
    if dataset is None:
        dataset = to_dataset(*make_table(40, seed=1))
    age = keras.Input(shape=(1,), name="age")
    pressure = keras.Input(shape=(1,), name="pressure")
    chest_pain = keras.Input(shape=(1,), name="chest_pain", dtype="int64")
    thal = keras.Input(shape=(1,), name="thal", dtype="string")
    smoker = keras.Input(shape=(1,), name="smoker", dtype="string")

    smoker_ids = layers.StringLookup(vocabulary=["no", "yes"], num_oov_indices=0)(smoker)
    age_bucket = layers.Discretization(bin_boundaries=[40.0, 55.0, 70.0], output_mode="one_hot")(age)
    features = layers.concatenate([
        encode_numeric(age, "age", dataset),
        encode_numeric(pressure, "pressure", dataset),
        encode_categorical(chest_pain, "chest_pain", dataset, is_string=False),
        encode_categorical(thal, "thal", dataset, is_string=True),
        layers.CategoryEncoding(num_tokens=2, output_mode="one_hot")(smoker_ids),
        age_bucket,
    ])
    x = layers.Dense(16, activation="relu")(features)
    x = layers.Dropout(0.3)(x)
    output = layers.Dense(1, activation="sigmoid")(x)
    return keras.Model([age, pressure, chest_pain, thal, smoker], output)


def main():
    keras.utils.set_random_seed(7)
    columns, target = make_table()
    train_ds = to_dataset({k: v[:96] for k, v in columns.items()}, target[:96])
    val_ds = to_dataset({k: v[96:] for k, v in columns.items()}, target[96:], shuffle=False)

    for features, label in train_ds.take(1):
        print("a batch of age:", features["age"].shape, "thal:", features["thal"][:3], "target:", label[:3])

    model = build_model(train_ds)
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    model.summary()
    history = model.fit(train_ds, epochs=8, validation_data=val_ds, verbose=2)
    assert history.history["loss"][-1] < history.history["loss"][0]

    thal_lookup = next(layer for layer in model.layers if isinstance(layer, layers.StringLookup)
                       and layer.get_vocabulary()[0] == "[UNK]")
    print("thal vocabulary:", thal_lookup.get_vocabulary())

    sample = {"age": 60, "pressure": 145.0, "chest_pain": 3, "thal": "reversible", "smoker": "yes"}
    inputs = {name: tf.convert_to_tensor([value]) for name, value in sample.items()}
    probability = float(model.predict(inputs, verbose=0)[0][0])
    print(f"this patient has a {100 * probability:.1f}% probability of the condition")
    assert 0.0 <= probability <= 1.0

    model.save("clinic.keras")
    reloaded = keras.models.load_model("clinic.keras")
    np.testing.assert_allclose(reloaded.predict(inputs, verbose=0), model.predict(inputs, verbose=0), rtol=1e-6)
    print("reloaded model predicts the same")


if __name__ == "__main__":
    main()
