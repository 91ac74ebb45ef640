"""``minidl.keras`` and ``minidl.tf.keras``: every import form of lab code works and gives
minidl's own objects; the backend functions, utilities and ``plot_model`` behave as Keras's."""

import importlib
import pathlib
import shutil
import subprocess
import sys

import numpy as np
import pytest

import minidl
import minidl.keras as keras
import minidl.tf as tf
from minidl.errors import DatasetNotFoundError
from tests.conftest import REPO_ROOT

IMPORT_FORMS = [
    "import minidl.keras as keras; keras.Sequential; keras.Model; keras.Input; keras.layers.Dense",
    "from minidl import keras; keras.utils.to_categorical; keras.backend.image_data_format",
    "from minidl.keras import layers, models, Sequential, Model, Input",
    "from minidl.keras.layers import Dense, LSTM, RepeatVector, Permute, Cropping2D, TimeDistributed",
    "from minidl.keras.models import Sequential, load_model, model_from_json",
    "from minidl.keras.utils import to_categorical, plot_model",
    "from minidl.keras.utils.np_utils import to_categorical",
    "from minidl.keras.utils.vis_utils import plot_model",
    "from minidl.keras.preprocessing.sequence import pad_sequences",
    "from minidl.keras.preprocessing.text import Tokenizer",
    "from minidl.keras.preprocessing.image import ImageDataGenerator, load_img, img_to_array",
    "from minidl.keras.preprocessing import sequence; sequence.pad_sequences",
    "from minidl.keras.datasets import mnist, imdb, fashion_mnist, cifar10, boston_housing",
    "import minidl.keras.datasets.mnist as mnist; mnist.load_data",
    "from minidl.keras.optimizers import Adam, SGD, RMSprop",
    "from minidl.keras.optimizers.schedules import ExponentialDecay",
    "from minidl.keras.optimizers.legacy import Adam",
    "from minidl.keras.callbacks import EarlyStopping, ModelCheckpoint",
    "from minidl.keras.layers.core import Dense, Dropout, Activation",
    "from minidl.keras.layers.convolutional import Conv2D, MaxPooling2D",
    "from minidl.keras.layers.recurrent import LSTM",
    "from minidl.keras.layers.embeddings import Embedding",
    "from minidl.keras.layers.advanced_activations import LeakyReLU",
    "from minidl.keras.initializers import glorot_normal, RandomNormal",
    "from minidl.keras import backend as K; K.clear_session()",
    "from minidl.keras.applications.resnet50 import ResNet50, preprocess_input, decode_predictions",
    "from minidl.keras.applications import VGG16",
    "from minidl.keras import regularizers, losses, metrics, activations, initializers, ops",
    "import minidl.tf as tf; tf.keras.layers.Dense; tf.keras.Sequential; tf.keras.optimizers.Adam",
    "from minidl.tf import keras; keras.layers.Dense",
    "from minidl.tf.keras.layers import Dense, Flatten",
    "from minidl.tf.keras import layers",
    "from minidl.tf.keras.models import Sequential",
    "from minidl.tf.keras.preprocessing.image import ImageDataGenerator",
    "import minidl.tf.keras.datasets.mnist as mnist; mnist.load_data",
]


@pytest.mark.parametrize("statement", IMPORT_FORMS)
def test_import_form_works(statement):
    exec(statement, {})  # noqa: S102 - the import statements above


# minidl.keras and minidl.tf import each other's modules: each may be the first one imported
@pytest.mark.parametrize("first", [
    "import minidl.keras", "import minidl.tf", "from minidl.tf.keras.layers import Dense",
    "from minidl.keras.backend import mean", "import minidl.keras.ops",
])
def test_either_face_can_be_imported_first(first):
    program = first + "; import minidl.tf as tf, minidl.keras as keras; assert tf.keras is keras"
    completed = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120,
                               env={"PYTHONPATH": str(REPO_ROOT), "PATH": ""})
    assert completed.returncode == 0, completed.stderr


def test_the_faces_are_minidl_itself():
    assert keras.layers.Dense is minidl.layers.Dense and keras.Model is minidl.models.Model
    assert keras.optimizers.Adam is minidl.optimizers.Adam and keras.losses.get is minidl.losses.get
    assert tf.keras is keras and importlib.import_module("minidl.tf.keras.layers") is keras.layers
    assert keras.callbacks.EarlyStopping is minidl.callbacks.EarlyStopping
    assert tf.optimizers is keras.optimizers and tf.keras.backend is keras.backend


def test_backend_functions_make_differentiable_metrics_and_losses():
    K = keras.backend  # noqa: N806 - Keras's conventional name
    y_true, y_pred = np.array([[1.0], [2.0]], np.float32), np.array([[1.5], [1.0]], np.float32)
    rmse = K.sqrt(K.mean(K.square(y_pred - y_true)))
    assert float(rmse) == pytest.approx(np.sqrt((0.25 + 1.0) / 2))
    assert K.image_data_format() == "channels_last" and K.floatx() == "float32" and K.epsilon() == 1e-7
    assert K.int_shape(tf.zeros([2, 3])) == (2, 3) and K.argmax(tf.constant([[1, 3, 2]])).numpy().tolist() == [1]
    bce = K.binary_crossentropy(tf.constant([1.0, 0.0]), tf.constant([0.9, 0.2]))
    np.testing.assert_allclose(bce.numpy(), [-np.log(0.9 + 1e-7), -np.log(0.8 + 1e-7)], rtol=1e-5)
    variable = K.variable(np.zeros(2))
    K.set_value(variable, [1.0, 2.0])
    assert K.get_value(variable).tolist() == [1.0, 2.0]
    with pytest.raises(TypeError, match="learning_rate = value"):
        K.set_value(0.001, 0.01)
    optimizer = keras.optimizers.Adam(0.001)
    K.set_value(optimizer.learning_rate, 0.01)  # tf.keras 2's way of changing the rate
    assert optimizer.learning_rate == pytest.approx(0.01)
    with pytest.raises(ValueError, match="channels-last only"):
        K.set_image_data_format("channels_first")


def test_utils():
    np.testing.assert_array_equal(keras.utils.to_categorical([0, 2], 3), [[1, 0, 0], [0, 0, 1]])
    np.testing.assert_allclose(keras.utils.normalize(np.array([[3.0, 4.0], [0.0, 0.0]])), [[0.6, 0.8], [0, 0]])
    with pytest.raises(ValueError, match=r"normalize: axis 5 is out of range for x of shape \(2, 2\)"):
        keras.utils.normalize(np.ones((2, 2)), axis=5)
    keras.utils.set_random_seed(4)
    first = (np.random.random(), tf.random.normal([1]).numpy(), minidl.layers.Dense(2)(np.ones((1, 2))).numpy())
    keras.utils.set_random_seed(4)
    again = (np.random.random(), tf.random.normal([1]).numpy(), minidl.layers.Dense(2)(np.ones((1, 2))).numpy())
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    assert keras.utils.pad_sequences([[1, 2]], maxlen=3).tolist() == [[0, 1, 2]]


def test_get_file_uses_a_cached_file_and_explains_a_missing_one(tmp_path, monkeypatch):
    monkeypatch.delenv("MINIDL_DATA_DIR", raising=False)
    folder = tmp_path / "datasets"
    folder.mkdir()
    archive = shutil.make_archive(str(folder / "pack"), "zip", root_dir=REPO_ROOT / "docs")
    path = keras.utils.get_file("pack.zip", origin="https://example.invalid/pack.zip", extract=True, cache_dir=tmp_path)
    assert path == archive and (folder / "README.md").exists()
    with pytest.raises(DatasetNotFoundError, match="save it as .*missing.zip"):
        keras.utils.get_file("missing.zip", origin="https://example.invalid/missing.zip", cache_dir=tmp_path)


def _model():
    inputs = keras.Input(shape=(4,), name="features")
    left = keras.layers.Dense(3, name="left")(inputs)
    right = keras.layers.Dense(3, name="right")(inputs)
    merged = keras.layers.add([left, right])
    return keras.Model(inputs, keras.layers.Dense(1, name="out")(merged))


def test_plot_model_draws_without_pydot(tmp_path, monkeypatch, capsys):
    model = _model()
    dot = keras.utils.model_to_dot(model, show_shapes=True)
    assert "features: InputLayer" in dot and dot.count("->") == 5 and "(None, 3)" in dot
    drawn = keras.utils.plot_model(model, to_file=tmp_path / "model.png", show_shapes=True)
    assert pathlib.Path(drawn).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # neither Graphviz nor matplotlib
    written = keras.utils.plot_model(model, to_file=str(tmp_path / "again.png"))
    assert pathlib.Path(written).suffix == ".dot" and "digraph" in pathlib.Path(written).read_text()
    assert "neither Graphviz" in capsys.readouterr().out
    with pytest.raises(ValueError, match="not been built"):
        keras.utils.plot_model(keras.Sequential([keras.layers.Dense(2)]), to_file=str(tmp_path / "x.png"))


def test_tf_functions_and_keras_ops_on_symbolic_tensors_become_layers():
    minidl.layers.clear_session()
    inputs = keras.Input(shape=(3, 2))
    pooled = tf.reduce_mean(inputs, axis=1)
    joined = tf.concat([pooled, tf.nn.relu(pooled)], axis=-1)
    both = keras.ops.concatenate([joined, keras.ops.sum(inputs, axis=1)], axis=-1)
    model = keras.Model(inputs, keras.layers.Dense(1)(both))
    names = [layer.name for layer in model.layers]
    assert "tf.math.reduce_mean" in names and "tf.concat" in names and "tf.nn.relu" in names
    x = np.arange(12, dtype="float32").reshape(2, 3, 2)
    kernel, bias = model.layers[-1].get_weights()
    mean = x.mean(axis=1)
    expected = np.concatenate([mean, np.maximum(mean, 0), x.sum(axis=1)], axis=1) @ kernel + bias
    np.testing.assert_allclose(model.predict(x), expected, rtol=1e-5)


def test_the_coverage_page_tells_the_truth_about_layers():
    page = (REPO_ROOT / "docs" / "keras_coverage.md").read_text()
    rows = [line.split("|") for line in page.splitlines() if line.startswith("| `") and line.count("|") == 4]
    listed = {cells[1].strip().strip("`"): cells[2].strip() for cells in rows if cells[2].strip() in ("yes", "no")}
    assert len(listed) > 150
    wrong = {name: claim for name, claim in listed.items() if hasattr(keras.layers, name) != (claim == "yes")}
    assert not wrong, wrong
    for name in ("RepeatVector", "Permute", "Cropping1D", "Cropping2D", "ZeroPadding1D", "ZeroPadding2D",
                 "GlobalAveragePooling1D", "GlobalAveragePooling2D", "TimeDistributed", "Lambda"):
        assert listed[name] == "yes"


def test_img_to_array_names_a_path_or_a_value_that_is_no_image(tmp_path):
    from minidl.keras.preprocessing.image import img_to_array

    with pytest.raises(TypeError, match=r"img_to_array: expected an image .*got the path 'cat.png'; read it first"):
        img_to_array("cat.png")
    with pytest.raises(TypeError, match=r"img_to_array: .*got the path PosixPath"):
        img_to_array(tmp_path / "cat.png")
    with pytest.raises(TypeError, match=r"img_to_array: expected an image \(an array or a PIL image\) of numbers, got list"):
        img_to_array([["a", "b"]])
    assert img_to_array(np.zeros((2, 3), np.uint8)).shape == (2, 3, 1)
