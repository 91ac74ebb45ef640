"""Saving: whole models, JSON architectures, weights; atomic writes and safe loading."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import minidl
from minidl.layers import Dense, Flatten, Input
from minidl.models.functional import Functional
from minidl.models.saving import ModelFileError, load_model, model_from_json
from minidl.models.sequential import Sequential
from tests.conftest import REPO_ROOT


def _trained_model():
    minidl.set_seed(0)
    model = Sequential([Flatten(input_shape=(2, 2)), Dense(8, activation="relu"), Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 2, 2)).astype("float32")
    y = rng.integers(0, 3, 32)
    model.fit(x, y, epochs=2, batch_size=8, verbose=0, shuffle=False)
    return model, x, y


def test_save_and_load_model_predicts_bit_identically(tmp_path, any_backend):
    model, x, y = _trained_model()
    path = tmp_path / "model.npz"
    model.save(path)
    restored = load_model(path)
    np.testing.assert_array_equal(restored.predict(x), model.predict(x))
    assert [w.shape for w in restored.weights] == [w.shape for w in model.weights]
    assert restored.evaluate(x, y, verbose=0) == model.evaluate(x, y, verbose=0)
    assert not [p for p in os.listdir(tmp_path) if p != "model.npz"]  # no temporary left behind


def test_training_resumes_identically_after_load(tmp_path):
    model, x, y = _trained_model()
    path = tmp_path / "model.npz"
    model.save(path)
    restored = load_model(path)
    for _ in range(2):
        assert restored.train_on_batch(x, y) == model.train_on_batch(x, y)
    for a, b in zip(restored.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_resume_in_a_new_process(tmp_path):
    model, x, y = _trained_model()
    path = tmp_path / "model.npz"
    model.save(path)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    expected = [model.train_on_batch(x, y) for _ in range(2)]
    script = (
        "import json, sys, numpy as np\n"
        "from minidl.models import load_model\n"
        "model = load_model(sys.argv[1] + '/model.npz')\n"
        "x, y = np.load(sys.argv[1] + '/x.npy'), np.load(sys.argv[1] + '/y.npy')\n"
        "results = [model.train_on_batch(x, y) for _ in range(2)]\n"
        "np.savez(sys.argv[1] + '/after.npz', *model.get_weights())\n"
        "print(json.dumps(results))\n"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO_ROOT)] + sys.path))
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, env=env,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == expected
    with np.load(tmp_path / "after.npz") as after:
        for index, weight in enumerate(model.get_weights()):
            np.testing.assert_array_equal(after[f"arr_{index}"], weight)


def test_truncated_or_corrupt_files_leave_the_model_untouched(tmp_path):
    model, x, _ = _trained_model()
    path = tmp_path / "weights.npz"
    model.save_weights(path)
    target, _, _ = _trained_model()
    for layer in target.layers:
        layer.set_weights([np.zeros_like(w) for w in layer.get_weights()])
    untouched = target.get_weights()
    data = path.read_bytes()
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(data[: len(data) * 2 // 3])
    corrupt = tmp_path / "corrupt.npz"
    middle = len(data) // 2
    corrupt.write_bytes(data[:middle] + bytes(b ^ 0xFF for b in data[middle:middle + 64]) + data[middle + 64:])
    for bad in (truncated, corrupt):
        with pytest.raises(ModelFileError, match="truncated or corrupt"):
            target.load_weights(bad)
        for a, b in zip(untouched, target.get_weights()):
            np.testing.assert_array_equal(a, b)
        with pytest.raises(ModelFileError):
            load_model(bad)
    target.load_weights(path)
    np.testing.assert_array_equal(target.predict(x), model.predict(x))


def test_wrong_architecture_is_rejected_before_any_change(tmp_path):
    model, _, _ = _trained_model()
    path = tmp_path / "weights.npz"
    model.save_weights(path)
    other = Sequential([Flatten(input_shape=(2, 2)), Dense(8), Dense(4)])
    before = other.get_weights()
    with pytest.raises(ModelFileError, match=r"shape \(8, 4\).*\(8, 3\)"):
        other.load_weights(path)
    for a, b in zip(before, other.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_json_roundtrip_of_functional_and_nested_models():
    inner = Sequential([Dense(4, input_dim=3, activation="relu"), Dense(2)])
    inputs = Input(shape=(3,))
    shared = Dense(2, name="shared_head")
    model = Functional(inputs, [shared(inner(inputs)), shared(Dense(2)(inputs))])
    rebuilt = model_from_json(model.to_json())
    assert [type(layer).__name__ for layer in rebuilt.layers] == [type(layer).__name__ for layer in model.layers]
    assert [w.shape for w in rebuilt.weights] == [w.shape for w in model.weights]
    rebuilt.set_weights(model.get_weights())
    x = np.random.default_rng(0).standard_normal((5, 3)).astype("float32")
    for a, b in zip(rebuilt.predict(x), model.predict(x)):
        np.testing.assert_array_equal(a, b)
    assert json.loads(model.to_json())["class_name"] == "Functional"


def test_frozen_submodel_stays_frozen_through_save(tmp_path):
    discriminator = Sequential([Dense(3, input_dim=2), Dense(1, activation="sigmoid")])
    discriminator.trainable = False
    gan = Sequential([Sequential([Dense(2, input_dim=4)]), discriminator])
    gan.compile(optimizer="adam", loss="binary_crossentropy")
    gan.save(tmp_path / "gan.npz")
    restored = load_model(tmp_path / "gan.npz")
    assert sum(w.size for w in restored.trainable_weights) == 10
    assert sum(w.size for w in restored.non_trainable_weights) == 13


def test_h5_weights_in_keras_layout(tmp_path):
    h5py = pytest.importorskip("h5py", reason="HDF5 weights need the optional h5py")
    model, x, _ = _trained_model()
    path = tmp_path / "weights.h5"
    model.save_weights(path)
    with h5py.File(path, "r") as file:
        assert [n.decode() for n in file.attrs["layer_names"]] == [layer.name for layer in model.layers]
        dense = model.layers[1].name
        assert [n.decode() for n in file[dense].attrs["weight_names"]] == [f"{dense}/kernel:0", f"{dense}/bias:0"]
    other = Sequential([Flatten(input_shape=(2, 2)), Dense(8, activation="relu"), Dense(3, activation="softmax")])
    other.load_weights(path)
    np.testing.assert_array_equal(other.predict(x), model.predict(x))


# -- every format, minidl to minidl (no Keras needed) -------------------------------------------------

WHOLE_MODEL_PATHS = ["model.npz", "model.keras", "model.h5", "saved/model_dir"]
WEIGHTS_PATHS = ["w.npz", "w.weights.h5", "w.h5", "w.ckpt", "checkpoint"]


@pytest.mark.parametrize("name", WHOLE_MODEL_PATHS)
def test_whole_model_formats_round_trip(tmp_path, name):
    pytest.importorskip("h5py", reason="the HDF5 formats need h5py")
    model, x, y = _trained_model()
    path = tmp_path / "new_folder" / name  # a missing parent folder is created, as TensorFlow 2 did
    model.save(path)
    restored = load_model(path)
    np.testing.assert_array_equal(restored.predict(x), model.predict(x))
    assert restored.metrics_names == model.metrics_names
    assert restored.optimizer.iterations == model.optimizer.iterations
    for _ in range(2):  # the optimizer's moments came along: training resumes identically
        np.testing.assert_allclose(restored.train_on_batch(x, y), model.train_on_batch(x, y), rtol=1e-6)
    for a, b in zip(restored.get_weights(), model.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", WEIGHTS_PATHS + WHOLE_MODEL_PATHS)
def test_load_weights_reads_every_format(tmp_path, name):
    pytest.importorskip("h5py", reason="the HDF5 formats need h5py")
    model, x, _ = _trained_model()
    path = tmp_path / name
    (model.save if name in WHOLE_MODEL_PATHS else model.save_weights)(path)
    other = Sequential([Flatten(input_shape=(2, 2)), Dense(8, activation="relu"), Dense(3, activation="softmax")])
    other.load_weights(path)
    np.testing.assert_array_equal(other.predict(x), model.predict(x))


def test_json_is_keras3_and_keras2_json_still_reads():
    model, x, _ = _trained_model()
    spec = json.loads(model.to_json())
    assert spec["module"] == "keras" and spec["class_name"] == "Sequential"
    assert spec["config"]["layers"][0]["class_name"] == "InputLayer"
    assert spec["config"]["layers"][1]["config"]["dtype"]["class_name"] == "DTypePolicy"
    assert spec["compile_config"]["optimizer"]["class_name"] == "Adam"
    rebuilt = model_from_json(model.to_json())
    rebuilt.set_weights(model.get_weights())
    np.testing.assert_array_equal(rebuilt.predict(x), model.predict(x))
    assert rebuilt.optimizer is not None  # Keras 3 compiles a model whose JSON has a compile_config
    double_encoded = json.dumps(model.to_json())  # json.dump(model.to_json(), file), as a lab book does
    assert len(model_from_json(json.loads(double_encoded)).weights) == len(model.weights)


def test_save_format_argument_and_refusals(tmp_path):
    pytest.importorskip("h5py", reason="the HDF5 formats need h5py")
    model, x, _ = _trained_model()
    model.save(tmp_path / "as_h5.bin", save_format="h5")
    np.testing.assert_array_equal(load_model(tmp_path / "as_h5.bin").predict(x), model.predict(x))
    with pytest.raises(ValueError, match="save_format"):
        model.save(tmp_path / "x", save_format="pickle")
    with pytest.raises(ValueError, match=r"\.weights\.h5"):
        model.save_weights(tmp_path / "w.keras")
    model.save_weights(tmp_path / "only.weights.h5")
    with pytest.raises(ModelFileError, match="holds only weights"):
        load_model(tmp_path / "only.weights.h5")
    with pytest.raises(FileExistsError):
        model.save(tmp_path / "only.weights.h5", overwrite=False)
    with pytest.raises(ValueError, match="by_name"):
        model.load_weights(tmp_path / "only.weights.h5", by_name=True)
    (tmp_path / "tf_ckpt.index").write_bytes(b"\0")
    with pytest.raises(ModelFileError, match="TensorFlow checkpoint"):
        model.load_weights(tmp_path / "tf_ckpt")
    with pytest.raises(TypeError, match="unexpected"):
        model.save(tmp_path / "m.keras", compression="zip")


def test_nested_and_functional_models_round_trip_in_keras_formats(tmp_path):
    pytest.importorskip("h5py", reason="the HDF5 formats need h5py")
    inner = Sequential([Dense(4, input_dim=3, activation="relu"), Dense(2)])
    inputs = Input(shape=(3,))
    shared = Dense(2, name="shared_head")
    model = Functional(inputs, [shared(inner(inputs)), shared(Dense(2)(inputs))])
    x = np.random.default_rng(0).standard_normal((5, 3)).astype("float32")
    for name in ("f.keras", "f.h5", "f.npz", "f_folder"):
        restored = load_model(tmp_path / name) if model.save(tmp_path / name) is None else None
        for a, b in zip(restored.predict(x), model.predict(x)):
            np.testing.assert_array_equal(a, b)


def test_a_tensorflow2_h5_file_loads_with_its_optimizer_state(tmp_path):
    """A whole-model .h5 as TensorFlow 2.x wrote it: Keras 2 JSON, MeanMetricWrapper metrics,
    'decay' in the optimizer config, Keras 2 weight names and optimizer variables by name."""
    h5py = pytest.importorskip("h5py", reason="the HDF5 formats need h5py")
    model, x, y = _trained_model()
    dense, head = model.layers[1], model.layers[2]
    state = model.optimizer.get_state(model.trainable_weights)
    model_config = {"class_name": "Sequential", "config": {"name": "sequential", "layers": [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 2, 2], "dtype": "float32",
                                                "sparse": False, "ragged": False, "name": "flatten_input"}},
        {"class_name": "Flatten", "config": {"name": "flatten", "trainable": True, "dtype": "float32",
                                             "data_format": "channels_last"}},
        {"class_name": "Dense", "config": {"name": dense.name, "trainable": True, "dtype": "float32", "units": 8,
                                           "activation": "relu", "use_bias": True, "activity_regularizer": None,
                                           "kernel_constraint": None, "bias_constraint": None}},
        {"class_name": "Dense", "config": {"name": head.name, "trainable": True, "dtype": "float32", "units": 3,
                                           "activation": "softmax", "use_bias": True}},
    ]}}
    training_config = {
        "loss": "sparse_categorical_crossentropy", "weighted_metrics": None, "loss_weights": None,
        "metrics": [[{"class_name": "MeanMetricWrapper", "config": {
            "name": "accuracy", "dtype": "float32", "fn": "sparse_categorical_accuracy"}}]],
        "optimizer_config": {"class_name": "Adam", "config": {
            "name": "Adam", "learning_rate": 0.001, "decay": 0.0, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07,
            "amsgrad": False}},
    }
    path = tmp_path / "tf2.h5"
    with h5py.File(path, "w") as file:
        file.attrs["keras_version"] = b"2.4.0"
        file.attrs["backend"] = b"tensorflow"
        file.attrs["model_config"] = json.dumps(model_config).encode()
        file.attrs["training_config"] = json.dumps(training_config).encode()
        weights = file.create_group("model_weights")
        weights.attrs["layer_names"] = np.array([b"flatten", dense.name.encode(), head.name.encode()])
        weights.attrs["keras_version"] = b"2.4.0"
        weights.attrs["backend"] = b"tensorflow"
        weights.create_group("flatten").attrs["weight_names"] = np.array([], dtype="S1")
        for layer in (dense, head):
            group = weights.create_group(layer.name)
            group.attrs["weight_names"] = np.array([f"{w.name}:0".encode() for w in layer.weights])
            for weight in layer.weights:
                group.create_dataset(f"{weight.name}:0", data=weight.numpy())
        names = ["Adam/iter:0"] + [f"Adam/{w.name}/{slot}:0" for slot in ("m", "v") for w in model.trainable_weights]
        arrays = [np.int64(state["iterations"])] + [a for slot in ("m", "v") for a in state["slots"][slot]]
        optimizer = file.create_group("optimizer_weights")
        optimizer.attrs["weight_names"] = np.array([n.encode() for n in names])
        for name, array in zip(names, arrays):
            optimizer.create_dataset(name, data=array)
    restored = load_model(path)
    np.testing.assert_array_equal(restored.predict(x), model.predict(x))
    assert restored.metrics_names == ["loss", "accuracy"]
    for _ in range(2):
        np.testing.assert_allclose(restored.train_on_batch(x, y), model.train_on_batch(x, y), rtol=1e-6)


def test_keras3_zipped_false_writes_the_archive_files_in_a_folder(tmp_path):
    pytest.importorskip("h5py", reason="the Keras formats need h5py")
    model, x, _ = _trained_model()
    path = tmp_path / "unzipped.keras"
    model.save(path, zipped=False)
    assert sorted(os.listdir(path)) == ["config.json", "metadata.json", "model.weights.h5"]
    np.testing.assert_array_equal(load_model(path).predict(x), model.predict(x))
