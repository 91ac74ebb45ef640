"""Heart-disease style tabular classification with a dict of features (a reduced rewrite).

Source: keras-io ``examples/structured_data/structured_data_classification_from_scratch.py``
(its Keras 3 version). Changed besides the imports: 80 synthetic patients with the same 14
columns instead of downloading heart.csv, smaller layers, one epoch.

Patterns: ``tf.data.Dataset.from_tensor_slices((dict(dataframe), labels)).map(...)`` with a
function that tests ``features[name].dtype == "string"`` to choose ``StringLookup`` or
``IntegerLookup(output_mode="binary")`` for one scalar value per element (encoded as shape
``(depth,)``), ``Normalization.adapt`` on a mapped feature dataset, a ``Model`` whose inputs
are a dict holding both ``Input`` tensors and tensors a layer produced (Keras 3 turns those
into new inputs), a custom layer called on that dict, and ``predict`` on a dict of tensors.
"""

import numpy as np
import pandas as pd

import minidl.keras as keras
import minidl.tf as tf
from minidl.keras import layers

NUMERIC = ["age", "trestbps", "thalach", "oldpeak", "slope", "chol"]
TARGET = "target"


def make_patients(count=80, seed=0):
    rng = np.random.default_rng(seed)
    table = pd.DataFrame({
        "age": rng.integers(30, 80, count), "sex": rng.integers(0, 2, count), "cp": rng.integers(0, 5, count),
        "trestbps": rng.integers(90, 180, count), "chol": rng.integers(150, 400, count),
        "fbs": rng.integers(0, 2, count), "restecg": rng.integers(0, 3, count),
        "thalach": rng.integers(90, 200, count), "exang": rng.integers(0, 2, count),
        "oldpeak": rng.uniform(0, 4, count).round(1), "slope": rng.integers(1, 4, count),
        "ca": rng.integers(0, 4, count), "thal": rng.choice(["normal", "fixed", "reversible"], count),
    })
    table[TARGET] = ((table["age"] > 55) ^ (table["thal"] == "normal")).astype("int64")
    return table


PATIENTS = make_patients()
VOCABULARIES = {
    name: sorted(value if PATIENTS[name].dtype == "int64" else str(value) for value in PATIENTS[name].unique())
    for name in PATIENTS.columns if name not in NUMERIC + [TARGET]
}


def one_hot_categories(features, target):
    """Replace each categorical value by its multi-hot vector over the known vocabulary."""
    for name in features:
        if name in VOCABULARIES:
            lookup_class = layers.StringLookup if features[name].dtype == "string" else layers.IntegerLookup
            lookup = lookup_class(vocabulary=VOCABULARIES[name], mask_token=None, num_oov_indices=0,
                                  output_mode="binary")
            features[name] = lookup(features[name])
    return dict(features), target


def to_dataset(table):
    table = table.copy()
    labels = table.pop(TARGET)
    return tf.data.Dataset.from_tensor_slices((dict(table), labels)).map(one_hot_categories)


class ConcatClassifier(keras.layers.Layer):
    """Concatenates a dict of feature tensors and classifies them."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.hidden = layers.Dense(8, activation="relu")
        self.dropout = layers.Dropout(0.25)
        self.output_layer = layers.Dense(1, activation="sigmoid")

    def call(self, inputs):
        features = layers.concatenate(list(inputs.values()))
        return self.output_layer(self.dropout(self.hidden(features)))

    def build(self, input_shape):
        self.built = True


def build_model(train_ds=None):
    if train_ds is None:
        train_ds = to_dataset(PATIENTS)
    inputs = {}
    for name in NUMERIC:
        raw = layers.Input(name=name, shape=(1,), dtype="float32")
        normalizer = layers.Normalization()
        normalizer.adapt(train_ds.map(lambda x, y, name=name: x[name]).map(lambda x: tf.expand_dims(x, -1)))
        inputs[name] = normalizer(raw)  # a produced tensor used as a model input, as the example does
    for name, vocabulary in VOCABULARIES.items():
        inputs[name] = layers.Input(name=name, shape=(len(vocabulary),), dtype="int64")
    return keras.Model(inputs, ConcatClassifier()(inputs))


if __name__ == "__main__":
    validation = PATIENTS.sample(frac=0.25, random_state=1337)
    training = PATIENTS.drop(validation.index)
    train_ds, val_ds = to_dataset(training), to_dataset(validation)
    for features, _label in train_ds.take(1):
        assert features["thal"].shape == (3,) and features["sex"].shape == (2,), features
        assert features["age"].shape == ()
    model = build_model(train_ds)
    assert sorted(model.input_names) == sorted(NUMERIC + list(VOCABULARIES))
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    history = model.fit(train_ds.batch(16), epochs=1, validation_data=val_ds.batch(16), verbose=0)
    assert np.isfinite(history.history["loss"][0]) and "val_accuracy" in history.history

    patient = {"age": 60, "sex": 1, "cp": 1, "trestbps": 145, "chol": 233, "fbs": 1, "restecg": 2, "thalach": 150,
               "exang": 0, "oldpeak": 2.3, "slope": 3, "ca": 0, "thal": "fixed"}
    for name, value in patient.items():
        if name in VOCABULARIES:
            patient[name] = [int(value == category) for category in VOCABULARIES[name]]
    prediction = model.predict({name: tf.convert_to_tensor([value]) for name, value in patient.items()}, verbose=0)
    assert prediction.shape == (1, 1) and 0.0 <= float(prediction[0][0]) <= 1.0
    print("structured_dict_features: ok")
