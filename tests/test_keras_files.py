"""Models and weights move between minidl and real Keras 3 in every file format, both ways.

Each architecture is built in Keras, rebuilt in minidl from Keras's JSON, given random
weights, saved by one side in one format and loaded by the other; the two then predict the
same to 1e-5. Keras is not installed in CI, so these tests skip there (with the reason).
"""

import json
import os
import warnings
import zipfile

import numpy as np
import pytest

import minidl
from minidl.models import load_model, model_from_json, optimizer_state
from minidl.models.keras_config import keras_spec

keras = pytest.importorskip("keras", reason="parity with Keras 3 needs keras (pip install keras tensorflow-cpu)")
h5py = pytest.importorskip("h5py", reason="Keras's .h5 formats need h5py")
if not keras.__version__.startswith("3."):
    pytest.skip(f"these tests compare with Keras 3; keras {keras.__version__} is installed", allow_module_level=True)

from keras import layers as K  # noqa: E402
from keras.src.legacy.saving import legacy_h5_format  # noqa: E402

TOLERANCE = dict(rtol=1e-5, atol=1e-5)


# -- architectures (Keras side) --------------------------------------------------------------------

def cnn():
    return keras.Sequential([
        keras.Input((8, 8, 2)),
        K.Conv2D(3, 3, padding="same", activation="relu"),
        K.BatchNormalization(),
        K.MaxPooling2D(),
        K.Conv2DTranspose(2, 3, strides=2, padding="same"),
        K.AveragePooling2D(2),
        K.Flatten(),
        K.Dropout(0.3),
        K.Dense(4, activation="softmax"),
    ], name="cnn")


def text_rnn():
    return keras.Sequential([
        keras.Input((6,), dtype="int32"),
        K.Embedding(20, 4),
        K.Conv1D(4, 2, padding="same", activation="tanh"),
        K.MaxPooling1D(2, padding="same"),
        K.LSTM(3, return_sequences=True),
        K.GRU(3, reset_after=False, return_sequences=True),
        K.Bidirectional(K.SimpleRNN(2)),
        K.Dense(1, activation="sigmoid"),
    ], name="text_rnn")


def branching():
    a = keras.Input((5, 3), name="seq")
    b = keras.Input((4,), name="vec")
    inner_input = keras.Input((3,))
    inner = keras.Model(inner_input, K.Dense(3, activation="tanh")(inner_input), name="inner_functional")
    stack = keras.Sequential([keras.Input((4,)), K.Dense(3), K.BatchNormalization()], name="inner_sequential")
    shared = K.Dense(3, name="shared")
    recurrent = K.Bidirectional(K.GRU(3, reset_after=True), merge_mode="sum")(a)
    seq_features = K.Reshape((3, 1))(recurrent)
    seq_features = K.Flatten()(K.Conv1D(1, 1)(seq_features))
    vec_features = stack(b)
    merged = K.Add()([shared(seq_features), shared(vec_features)])
    merged = K.Concatenate()([merged, K.Multiply()([seq_features, vec_features]),
                              K.Average()([seq_features, vec_features]), K.Subtract()([vec_features, seq_features])])
    out = K.Dense(2, name="head")(merged)
    pooled = K.GlobalAveragePooling1D()(K.LSTM(2, return_sequences=True)(a))
    return keras.Model([a, b], [inner(K.Dense(3)(out)), pooled], name="branching")


ARCHITECTURES = {"cnn": cnn, "text_rnn": text_rnn, "branching": branching}


def inputs_for(name, rng, batch=3):
    if name == "cnn":
        return rng.standard_normal((batch, 8, 8, 2)).astype("float32")
    if name == "text_rnn":
        return rng.integers(0, 20, (batch, 6)).astype("int32")
    return [rng.standard_normal((batch, 5, 3)).astype("float32"), rng.standard_normal((batch, 4)).astype("float32")]


def random_arrays(shapes_and_names, rng):
    """Random values for weights; moving variances kept positive."""
    arrays = []
    for shape, name in shapes_and_names:
        values = rng.standard_normal(shape).astype("float32") * 0.5
        if "variance" in name:
            values = np.abs(values) + 0.5
        arrays.append(values)
    return arrays


def randomize_keras(model, rng):
    model.set_weights(random_arrays([(tuple(w.shape), w.path) for w in model.weights], rng))


def randomize_minidl(model, rng):
    model.set_weights(random_arrays([(w.shape, w.name) for w in model.weights], rng))


def keras_predict(model, x):
    outputs = model(x, training=False)
    if isinstance(outputs, (list, tuple)):
        return [np.asarray(o) for o in outputs]
    return np.asarray(outputs)


def assert_same_predictions(a, b):
    if isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b)
        for left, right in zip(a, b):
            np.testing.assert_allclose(left, right, **TOLERANCE)
    else:
        np.testing.assert_allclose(a, b, **TOLERANCE)


def pair(name, seed=0):
    """A Keras model with random weights and its minidl twin rebuilt from Keras's JSON."""
    keras.utils.set_random_seed(seed)
    reference = ARCHITECTURES[name]()
    randomize_keras(reference, np.random.default_rng(seed))
    twin = model_from_json(reference.to_json())
    return reference, twin


def fresh_keras(name):
    return ARCHITECTURES[name]()


# -- JSON ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(ARCHITECTURES))
def test_json_both_ways_and_get_set_weights(name):
    reference, twin = pair(name)
    assert [tuple(w.shape) for w in reference.weights] == [w.shape for w in twin.weights]
    twin.set_weights(reference.get_weights())  # Keras -> minidl by get/set_weights
    x = inputs_for(name, np.random.default_rng(1))
    assert_same_predictions(twin.predict(x), keras_predict(reference, x))
    back = keras.models.model_from_json(twin.to_json())  # minidl's JSON -> Keras
    randomize_minidl(twin, np.random.default_rng(2))
    back.set_weights(twin.get_weights())  # minidl -> Keras by get/set_weights
    assert_same_predictions(keras_predict(back, x), twin.predict(x))
    assert json.loads(twin.to_json())["class_name"] == type(reference).__name__


def test_keras2_json_is_still_read():
    keras2 = {"class_name": "Sequential", "config": {"name": "sequential", "layers": [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 4], "dtype": "float32", "sparse": False,
                                                "ragged": False, "name": "dense_input"}},
        {"class_name": "Dense", "config": {
            "name": "dense", "trainable": True, "dtype": "float32", "units": 3, "activation": "relu", "use_bias": True,
            "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": None}},
            "bias_initializer": {"class_name": "Zeros", "config": {}}, "kernel_regularizer": None,
            "bias_regularizer": None, "activity_regularizer": None, "kernel_constraint": None,
            "bias_constraint": None}},
        {"class_name": "LSTM", "config": {
            "name": "lstm", "trainable": True, "dtype": "float32", "return_sequences": False, "return_state": False,
            "go_backwards": False, "stateful": False, "unroll": False, "time_major": False, "units": 2,
            "activation": "tanh", "recurrent_activation": "sigmoid", "use_bias": True,
            "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": None}},
            "recurrent_initializer": {"class_name": "Orthogonal", "config": {"gain": 1.0, "seed": None}},
            "bias_initializer": {"class_name": "Zeros", "config": {}}, "unit_forget_bias": True,
            "kernel_regularizer": None, "recurrent_regularizer": None, "bias_regularizer": None,
            "activity_regularizer": None, "kernel_constraint": None, "recurrent_constraint": None,
            "bias_constraint": None, "dropout": 0.0, "recurrent_dropout": 0.0, "implementation": 2}},
    ]}, "keras_version": "2.9.0", "backend": "tensorflow"}
    keras2["config"]["layers"].insert(2, {"class_name": "Reshape", "config": {
        "name": "reshape", "trainable": True, "dtype": "float32", "target_shape": [3, 1]}})
    model = model_from_json(json.dumps(keras2))
    assert [w.shape for w in model.weights] == [(4, 3), (3,), (1, 8), (2, 8), (8,)]
    assert model.predict(np.ones((2, 4), "float32")).shape == (2, 2)


def test_unsupported_keras_option_is_refused_clearly():
    spec = json.loads(keras.Sequential([keras.Input((3,)), K.Dense(2)]).to_json())
    spec["config"]["layers"][1]["config"]["kernel_constraint"] = {
        "module": "keras.constraints", "class_name": "MaxNorm", "config": {"max_value": 2, "axis": 0}}
    with pytest.raises(ValueError, match="kernel_constraint"):
        model_from_json(json.dumps(spec))


# -- Keras -> minidl -----------------------------------------------------------------------------

def save_legacy_weights(model, path):
    """Keras 3 no longer writes weights-only .h5 files from save_weights; its legacy writer does."""
    with h5py.File(path, "w") as file:
        legacy_h5_format.save_weights_to_hdf5_group(file, model)


KERAS_WRITERS = {
    "weights.h5": lambda model, path: model.save_weights(path),
    "legacy weights .h5": save_legacy_weights,
}


@pytest.mark.parametrize("name", sorted(ARCHITECTURES))
@pytest.mark.parametrize("fmt", sorted(KERAS_WRITERS))
def test_keras_weights_into_minidl(tmp_path, name, fmt):
    reference, twin = pair(name)
    path = str(tmp_path / ("w.weights.h5" if fmt == "weights.h5" else "w.h5"))
    KERAS_WRITERS[fmt](reference, path)
    twin.load_weights(path)
    x = inputs_for(name, np.random.default_rng(3))
    assert_same_predictions(twin.predict(x), keras_predict(reference, x))


@pytest.mark.parametrize("name", sorted(ARCHITECTURES))
@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_keras_whole_model_into_minidl(tmp_path, name, suffix):
    reference, _ = pair(name)
    path = str(tmp_path / f"model{suffix}")
    reference.save(path)
    restored = load_model(path)
    x = inputs_for(name, np.random.default_rng(4))
    assert_same_predictions(restored.predict(x), keras_predict(reference, x))
    restored.load_weights(path)  # load_weights of a whole-model file works too
    assert_same_predictions(restored.predict(x), keras_predict(reference, x))


# -- minidl -> Keras -----------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(ARCHITECTURES))
@pytest.mark.parametrize("filename", ["w.weights.h5", "w.h5"])
def test_minidl_weights_into_keras(tmp_path, name, filename):
    _, twin = pair(name)
    randomize_minidl(twin, np.random.default_rng(5))
    path = str(tmp_path / filename)
    twin.save_weights(path)
    target = fresh_keras(name)
    target.load_weights(path)
    x = inputs_for(name, np.random.default_rng(6))
    assert_same_predictions(keras_predict(target, x), twin.predict(x))


@pytest.mark.parametrize("name", sorted(ARCHITECTURES))
@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_minidl_whole_model_into_keras(tmp_path, name, suffix):
    _, twin = pair(name)
    randomize_minidl(twin, np.random.default_rng(7))
    path = str(tmp_path / f"model{suffix}")
    twin.save(path)
    restored = keras.models.load_model(path)
    x = inputs_for(name, np.random.default_rng(8))
    assert_same_predictions(keras_predict(restored, x), twin.predict(x))


def test_models_written_in_minidl_code_go_to_keras(tmp_path):
    """A model built with minidl's own layers (no Keras JSON involved) loads in Keras."""
    from minidl.layers import GRU, Bidirectional, Conv2D, Dense, Flatten, Input, MaxPooling2D
    from minidl.models import Model, Sequential

    minidl.set_seed(3)
    cnn_model = Sequential([Conv2D(2, (3, 3), activation="relu", input_shape=(6, 6, 1)), MaxPooling2D(),
                            Flatten(), Dense(3, activation="softmax")])
    seq_in = Input(shape=(4, 2))
    rnn_model = Model(seq_in, Dense(1)(Bidirectional(GRU(3))(seq_in)))
    rng = np.random.default_rng(9)
    for model, x in ((cnn_model, rng.standard_normal((2, 6, 6, 1)).astype("float32")),
                     (rnn_model, rng.standard_normal((2, 4, 2)).astype("float32"))):
        for suffix in (".keras", ".h5"):
            path = str(tmp_path / f"{model.name}{suffix}")
            model.save(path)
            assert_same_predictions(keras_predict(keras.models.load_model(path), x), model.predict(x))


# -- compile configuration and optimizer state -------------------------------------------------------

def _compiled_keras(loss="categorical_crossentropy"):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), K.Dense(4, activation="relu"), K.Dense(2, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(0.01, beta_1=0.8), loss=loss, metrics=["accuracy", "mae"])
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 3)).astype("float32")
    y = np.eye(2, dtype="float32")[rng.integers(0, 2, 16)]
    model.fit(x, y, epochs=2, batch_size=4, verbose=0)
    return model, x, y


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
@pytest.mark.parametrize("loss", ["categorical_crossentropy", "CategoricalCrossentropy"])
def test_keras_compile_config_and_optimizer_state_into_minidl(tmp_path, suffix, loss):
    """The loss by name and as a Keras object (whose config carries ``axis: -1``)."""
    reference, x, y = _compiled_keras(loss if loss.islower() else keras.losses.CategoricalCrossentropy(label_smoothing=0.1))
    path = str(tmp_path / f"compiled{suffix}")
    reference.save(path)
    restored = load_model(path)
    assert type(restored.optimizer).__name__ == "Adam"
    assert restored.optimizer.beta_1 == pytest.approx(0.8)
    assert float(restored.optimizer.learning_rate) == pytest.approx(0.01)
    assert restored.optimizer.iterations == int(reference.optimizer.iterations)
    assert restored.metrics_names == ["loss", "accuracy", "mae"]
    # One more step on each side from the restored state gives the same weights.
    reference.train_on_batch(x[:4], y[:4])
    restored.train_on_batch(x[:4], y[:4])
    for a, b in zip(restored.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_keras_binary_crossentropy_object_loads_with_its_options(tmp_path):
    """Keras 3 writes ``axis: -1`` into a BinaryCrossentropy's config. (Its training numbers are
    not compared: on a softmax output Keras 3 computes BCE from the cached logits with a sigmoid.)"""
    reference, _, _ = _compiled_keras(keras.losses.BinaryCrossentropy(from_logits=False, label_smoothing=0.1))
    reference.save(tmp_path / "bce.keras")
    loss = load_model(str(tmp_path / "bce.keras"))._compiled.identifiers["loss"]
    assert type(loss).__name__ == "BinaryCrossentropy"
    assert loss.get_config()["label_smoothing"] == 0.1 and loss.get_config()["axis"] == -1


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_minidl_compile_config_and_optimizer_state_into_keras(tmp_path, suffix):
    from minidl.layers import Dense
    from minidl.models import Sequential

    minidl.set_seed(0)
    model = Sequential([Dense(4, activation="relu", input_shape=(3,)), Dense(2, activation="softmax")])
    model.compile(optimizer=minidl.optimizers.Adam(0.01, beta_1=0.8), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 3)).astype("float32")
    y = np.eye(2, dtype="float32")[rng.integers(0, 2, 16)]
    model.fit(x, y, epochs=2, batch_size=4, verbose=0)
    path = str(tmp_path / f"compiled{suffix}")
    model.save(path)
    restored = keras.models.load_model(path)
    assert restored.optimizer.get_config()["beta_1"] == pytest.approx(0.8)
    assert int(restored.optimizer.iterations) == model.optimizer.iterations
    if suffix == ".h5":
        # Keras 3.15 builds the optimizer of a loaded .h5 for no variables, so it drops the
        # stored moments of any .h5 (its own too) and cannot train on; the file holds them:
        with h5py.File(path, "r") as file:
            stored = [np.asarray(file["optimizer_weights"][name.decode()])
                      for name in file["optimizer_weights"].attrs["weight_names"]]
        for (_, ours), theirs in zip(optimizer_state.keras_variables(model), stored, strict=True):
            np.testing.assert_array_equal(ours, theirs)
        return
    ours = [array for _, array in optimizer_state.keras_variables(model)]
    theirs = [np.asarray(v) for v in restored.optimizer.variables]
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    restored.train_on_batch(x[:4], y[:4])
    model.train_on_batch(x[:4], y[:4])
    for a, b in zip(restored.get_weights(), model.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_keras2_decay_becomes_inverse_time_decay(tmp_path):
    from minidl.layers import Dense
    from minidl.models import Sequential

    model = Sequential([Dense(2, input_shape=(3,))])
    model.compile(optimizer=minidl.optimizers.SGD(0.1, decay=0.5), loss="mse")
    path = str(tmp_path / "decay.keras")
    model.save(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Keras warns when it cannot load the optimizer's variables
        restored = keras.models.load_model(path)
    schedule = restored.optimizer.learning_rate
    assert float(restored.optimizer._get_current_learning_rate()) == pytest.approx(0.1)
    assert type(restored.optimizer._learning_rate).__name__ == "InverseTimeDecay", schedule


# -- the archive's layout --------------------------------------------------------------------------

def test_keras_archive_members_and_folder_save(tmp_path):
    _, twin = pair("cnn")
    path = tmp_path / "m.keras"
    twin.save(path)
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == ["config.json", "metadata.json", "model.weights.h5"]
    folder = tmp_path / "saved" / "cnn_model"  # TensorFlow 2's model.save('dir/name')
    twin.save(folder)
    assert sorted(os.listdir(folder)) == ["config.json", "metadata.json", "model.weights.h5"]
    x = inputs_for("cnn", np.random.default_rng(10))
    assert_same_predictions(load_model(folder).predict(x), twin.predict(x))
    assert_same_predictions(keras_predict(keras.saving.load_model(str(folder)), x), twin.predict(x))


def test_keras_spec_of_a_nested_functional_counts_its_built_in_node():
    reference, twin = pair("branching")
    ours = {entry["name"]: entry for entry in keras_spec(twin)["config"]["layers"]}
    theirs = {entry["name"]: entry for entry in json.loads(reference.to_json())["config"]["layers"]}
    assert ours.keys() == theirs.keys()
    for name in ours:
        assert [n["args"] for n in ours[name]["inbound_nodes"]] == [n["args"] for n in theirs[name]["inbound_nodes"]]


# -- every layer class both ways --------------------------------------------------------------------

LAYER_CASES = [
    (lambda: K.Dense(3, activation="tanh", use_bias=False), (4,)),
    (lambda: K.Activation("relu"), (4,)),
    (lambda: K.ReLU(max_value=0.5, negative_slope=0.1), (4,)),
    (lambda: K.LeakyReLU(negative_slope=0.2), (4,)),
    (lambda: K.ELU(alpha=0.7), (4,)),
    (lambda: K.Softmax(), (4,)),
    (lambda: K.Dropout(0.5), (4,)),
    (lambda: K.Reshape((2, 2)), (4,)),
    (lambda: K.Conv1D(2, 3, padding="causal", dilation_rate=2), (7, 2)),
    (lambda: K.Conv1D(2, 2, strides=2, activation="relu"), (8, 2)),
    (lambda: K.Conv2D(2, (2, 3), strides=(1, 2), padding="same"), (5, 6, 2)),
    (lambda: K.Conv2DTranspose(2, 3, strides=2, padding="valid", output_padding=1), (3, 3, 2)),
    (lambda: K.MaxPooling1D(2), (6, 2)),
    (lambda: K.AveragePooling1D(3, strides=1, padding="same"), (6, 2)),
    (lambda: K.MaxPooling2D((2, 2), strides=1), (4, 4, 2)),
    (lambda: K.GlobalMaxPooling1D(), (5, 2)),
    (lambda: K.GlobalAveragePooling2D(keepdims=True), (3, 3, 2)),
    (lambda: K.GlobalMaxPooling2D(), (3, 3, 2)),
    (lambda: K.UpSampling1D(3), (3, 2)),
    (lambda: K.UpSampling2D((2, 3)), (3, 3, 2)),
    (lambda: K.UpSampling2D((2, 3), interpolation="bilinear"), (3, 4, 2)),
    (lambda: K.UpSampling2D(3, interpolation="Bilinear"), (2, 5, 1)),
    (lambda: K.ZeroPadding1D((1, 2)), (3, 2)),
    (lambda: K.ZeroPadding2D(((1, 0), (2, 1))), (3, 3, 2)),
    (lambda: K.BatchNormalization(momentum=0.9, epsilon=1e-2, center=False), (3, 2)),
    (lambda: K.SpatialDropout1D(0.3), (4, 2)),
    (lambda: K.SimpleRNN(3, activation="relu", return_sequences=True, go_backwards=True), (4, 2)),
    (lambda: K.LSTM(3, return_sequences=True, unit_forget_bias=False), (4, 2)),
    (lambda: K.GRU(3, reset_after=False), (4, 2)),
    (lambda: K.GRU(3, reset_after=True, go_backwards=True), (4, 2)),
    (lambda: K.Bidirectional(K.LSTM(2, return_sequences=True), merge_mode="mul"), (4, 2)),
    (lambda: K.Bidirectional(K.GRU(2), merge_mode="ave"), (4, 2)),
]


@pytest.mark.parametrize("case", range(len(LAYER_CASES)))
def test_each_layer_class_both_ways(tmp_path, case):
    factory, shape = LAYER_CASES[case]
    keras.utils.set_random_seed(case)
    reference = keras.Sequential([keras.Input(shape), factory()])
    randomize_keras(reference, np.random.default_rng(case))
    x = np.random.default_rng(100 + case).standard_normal((2,) + shape).astype("float32")
    path = str(tmp_path / "layer.keras")
    reference.save(path)
    twin = load_model(path)
    assert_same_predictions(twin.predict(x), keras_predict(reference, x))
    randomize_minidl(twin, np.random.default_rng(200 + case))
    twin.save(path)
    back = keras.models.load_model(path)
    assert_same_predictions(keras_predict(back, x), twin.predict(x))


def test_embedding_with_mask_and_recurrent_layers_both_ways(tmp_path):
    keras.utils.set_random_seed(0)
    reference = keras.Sequential([keras.Input((5,), dtype="int32"), K.Embedding(9, 3, mask_zero=True),
                                  K.LSTM(2, return_sequences=True), K.GRU(2)])
    randomize_keras(reference, np.random.default_rng(0))
    x = np.array([[1, 2, 3, 0, 0], [4, 5, 6, 7, 8]], dtype="int32")
    path = str(tmp_path / "masked.h5")
    reference.save(path)
    twin = load_model(path)
    assert_same_predictions(twin.predict(x), keras_predict(reference, x))
    twin.save(str(tmp_path / "masked.keras"))
    assert_same_predictions(keras_predict(keras.models.load_model(str(tmp_path / "masked.keras")), x), twin.predict(x))


def test_masked_bidirectional_sequences_both_ways(tmp_path):
    keras.utils.set_random_seed(0)
    reference = keras.Sequential([keras.Input((5,), dtype="int32"), K.Embedding(9, 3, mask_zero=True),
                                  K.Bidirectional(K.LSTM(2, return_sequences=True)), K.GRU(2)])
    randomize_keras(reference, np.random.default_rng(0))
    x = np.array([[1, 2, 3, 0, 0], [4, 5, 6, 7, 8]], dtype="int32")
    path = str(tmp_path / "masked.keras")
    reference.save(path)
    twin = load_model(path)
    assert_same_predictions(twin.predict(x), keras_predict(reference, x))


def transfer_learning():
    base = keras.Sequential([keras.Input((6, 6, 1)), K.Conv2D(2, 3), K.BatchNormalization(), K.Flatten()],
                            name="base")
    base.trainable = False
    inputs = keras.Input((6, 6, 1))
    features = base(inputs, training=False)
    return keras.Model(inputs, K.Dense(2, activation="softmax")(K.Dropout(0.2)(features)), name="transfer")


def gan():
    generator = keras.Sequential([keras.Input((3,)), K.Dense(4), K.LeakyReLU(0.2), K.BatchNormalization()],
                                 name="generator")
    discriminator = keras.Sequential([keras.Input((4,)), K.Dense(3), K.Dense(1, activation="sigmoid")],
                                     name="discriminator")
    discriminator.trainable = False
    return keras.Sequential([generator, discriminator], name="gan")


@pytest.mark.parametrize("builder", [transfer_learning, gan])
@pytest.mark.parametrize("filename", ["m.keras", "m.h5", "w.weights.h5", "w.h5"])
def test_frozen_and_nested_models_both_ways(tmp_path, builder, filename):
    keras.utils.set_random_seed(0)
    reference = builder()
    randomize_keras(reference, np.random.default_rng(0))
    shape = (6, 6, 1) if builder is transfer_learning else (3,)
    x = np.random.default_rng(1).standard_normal((2,) + shape).astype("float32")
    path = str(tmp_path / filename)
    whole = filename.startswith("m.")
    if whole:
        reference.save(path)
        twin = load_model(path)
    else:
        (reference.save_weights(path) if filename.endswith(".weights.h5") else save_legacy_weights(reference, path))
        twin = model_from_json(reference.to_json())
        twin.load_weights(path)
    assert_same_predictions(twin.predict(x), keras_predict(reference, x))
    assert sum(w.size for w in twin.trainable_weights) == sum(int(np.prod(w.shape)) for w in reference.trainable_weights)
    randomize_minidl(twin, np.random.default_rng(2))
    (twin.save if whole else twin.save_weights)(path)
    if whole:
        back = keras.models.load_model(path)
    else:
        back = builder()
        back.load_weights(path)
    assert_same_predictions(keras_predict(back, x), twin.predict(x))
