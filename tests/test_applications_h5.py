"""The Keras HDF5 weights importer, on small files the tests write in Keras's layout with h5py."""

import numpy as np
import pytest

from minidl.applications.resnet50 import bottleneck_block
from minidl.layers.convolutional import Conv2D
from minidl.layers.core import Dense, Flatten
from minidl.layers.input_layer import Input
from minidl.layers.normalization import BatchNormalization
from minidl.layers.pooling import MaxPooling2D
from minidl.models import Model, Sequential
from minidl.models.h5_weights import (
    ModelFileError,
    keras_layer_order,
    keras_saved_weight_order,
    load_keras_h5_weights,
)

h5py = pytest.importorskip("h5py", reason="the Keras .h5 importer reads files with h5py (pip install h5py)")


# -- writing files the way Keras does ----------------------------------------------------------

def write_keras_weights(path, layers, keras_version=b"2.4.0", group=None, chunk_layer_names=False):
    """Keras's ``save_weights_to_hdf5_group``: ``layers`` is [(layer name, [(weight name, array)])]."""
    with h5py.File(path, "w") as file:
        root = file.create_group(group) if group else file
        names = np.array([name.encode("utf8") for name, _ in layers])
        if chunk_layer_names:  # Keras splits attributes over 64 KB into layer_names0, layer_names1, ...
            half = len(names) // 2
            root.attrs["layer_names0"] = names[:half]
            root.attrs["layer_names1"] = names[half:]
        else:
            root.attrs["layer_names"] = names
        root.attrs["backend"] = b"tensorflow"
        root.attrs["keras_version"] = keras_version
        for name, weights in sorted(layers, key=lambda item: item[0]):
            layer_group = root.create_group(name)
            layer_group.attrs["weight_names"] = np.asarray([w.encode("utf8") for w, _ in weights])
            for weight_name, array in weights:
                layer_group.create_dataset(weight_name, data=array)


def random_weights_like(layer, rng, names=None):
    """Arrays shaped like ``layer``'s weights (Keras's order), named as TF2 names variables."""
    weights = keras_saved_weight_order(layer)
    names = names or [f"{w.name}:0" for w in weights]
    return [(name, rng.standard_normal(w.shape).astype(np.float32)) for name, w in zip(names, weights)]


def mini_vgg():
    return Sequential([
        Input(shape=(8, 8, 3)),
        Conv2D(4, (3, 3), activation="relu", padding="same", name="block1_conv1"),
        Conv2D(4, (3, 3), activation="relu", padding="same", name="block1_conv2"),
        MaxPooling2D((2, 2), strides=(2, 2), name="block1_pool"),
        Flatten(name="flatten"),
        Dense(5, activation="relu", name="fc1"),
        Dense(3, activation="softmax", name="predictions"),
    ])


def keras_file_for(model, rng):
    """[(layer name, [(weight name, array)])] for every layer of ``model`` in Keras's order,
    plus the arrays by layer name."""
    layers = [(layer.name, random_weights_like(layer, rng)) for layer in keras_layer_order(model)]
    return layers, {name: [array for _, array in weights] for name, weights in layers}


def assert_layer_holds(layer, arrays):
    values = layer.get_weights()
    assert len(values) == len(arrays)
    for value, array in zip(values, arrays):
        np.testing.assert_array_equal(value, array)


# -- by order ----------------------------------------------------------------------------------

def test_mini_vgg_loads_by_order(tmp_path, any_backend):
    model = mini_vgg()
    rng = np.random.default_rng(0)
    layers, arrays = keras_file_for(model, rng)
    layers.insert(0, ("input_1", []))  # Keras lists the input layer too, without weights
    path = tmp_path / "mini_vgg.h5"
    write_keras_weights(path, layers)
    load_keras_h5_weights(model, path)
    for layer in model.layers:
        if layer.weights:
            assert_layer_holds(layer, arrays[layer.name])


def test_by_order_ignores_layer_names(tmp_path):
    """Keras's default pairs layers by position: the file's names may differ (dense_3 vs fc1)."""
    model = mini_vgg()
    rng = np.random.default_rng(1)
    layers = []
    for index, layer in enumerate(model.layers):
        if layer.weights:
            renamed = f"other_{index}"
            weights = random_weights_like(layer, rng, [f"{renamed}/{w.name.split('/')[-1]}:0" for w in layer.weights])
            layers.append((renamed, weights))
    path = tmp_path / "renamed.h5"
    write_keras_weights(path, layers)
    load_keras_h5_weights(model, path)
    with_weights = [layer for layer in model.layers if layer.weights]
    for layer, (_, weights) in zip(with_weights, layers):
        assert_layer_holds(layer, [array for _, array in weights])


def resnet_like_model(channels=2):
    """Two ResNet bottleneck blocks named like Keras's (a projection block, an identity block).
    With ``channels == filters`` the shortcut conv ``_0_conv`` and ``_3_conv`` have the same
    shape, so only the right order -- not a shape check -- loads them correctly."""
    inputs = Input(shape=(6, 6, channels))
    x = bottleneck_block(inputs, 2, stride=1, name="conv2_block1")
    x = bottleneck_block(x, 2, conv_shortcut=False, name="conv2_block2")
    return Model(inputs, x, name="mini_resnet")


# Keras's model.layers for the model above, read off tf.keras's ResNet50 summary: layers are
# sorted by depth from the output, so the shortcut branch comes after the 3x3 conv's ReLU.
KERAS_ORDER_OF_TWO_BLOCKS = [
    "conv2_block1_1_conv", "conv2_block1_1_bn", "conv2_block1_1_relu",
    "conv2_block1_2_conv", "conv2_block1_2_bn", "conv2_block1_2_relu",
    "conv2_block1_0_conv", "conv2_block1_3_conv", "conv2_block1_0_bn", "conv2_block1_3_bn",
    "conv2_block1_add", "conv2_block1_out",
    "conv2_block2_1_conv", "conv2_block2_1_bn", "conv2_block2_1_relu",
    "conv2_block2_2_conv", "conv2_block2_2_bn", "conv2_block2_2_relu",
    "conv2_block2_3_conv", "conv2_block2_3_bn", "conv2_block2_add", "conv2_block2_out",
]


def test_keras_layer_order_of_resnet_blocks():
    model = resnet_like_model()
    names = [layer.name for layer in keras_layer_order(model)]
    assert names[1:] == KERAS_ORDER_OF_TWO_BLOCKS
    assert names[0] == model.inputs[0].layer.name


def test_resnet_like_blocks_load_by_order_in_keras_order(tmp_path, any_backend):
    model = resnet_like_model()
    rng = np.random.default_rng(2)
    layers = [(name, random_weights_like(model.get_layer(name), rng)) for name in KERAS_ORDER_OF_TWO_BLOCKS]
    arrays = {name: [array for _, array in weights] for name, weights in layers}
    assert model.get_layer("conv2_block1_0_conv").kernel.shape == model.get_layer("conv2_block1_3_conv").kernel.shape
    path = tmp_path / "blocks.h5"
    write_keras_weights(path, layers)
    load_keras_h5_weights(model, path)
    for name in KERAS_ORDER_OF_TWO_BLOCKS:
        layer = model.get_layer(name)
        if layer.weights:
            assert_layer_holds(layer, arrays[name])
    bn = model.get_layer("conv2_block1_0_bn")
    assert [w.name for w in bn.weights] == [
        "conv2_block1_0_bn/gamma", "conv2_block1_0_bn/beta",
        "conv2_block1_0_bn/moving_mean", "conv2_block1_0_bn/moving_variance",
    ]


def test_float64_arrays_are_cast_to_the_weights_dtype(tmp_path):
    model = mini_vgg()
    rng = np.random.default_rng(3)
    layers = [(name, [(w, a.astype(np.float64)) for w, a in weights]) for name, weights in keras_file_for(model, rng)[0]]
    path = tmp_path / "f64.h5"
    write_keras_weights(path, layers)
    load_keras_h5_weights(model, path)
    kernel = model.get_layer("fc1").get_weights()[0]
    assert kernel.dtype == np.float32
    np.testing.assert_allclose(kernel, dict(layers)["fc1"][0][1], rtol=1e-6)


def test_whole_model_file_and_chunked_layer_names(tmp_path):
    model = mini_vgg()
    rng = np.random.default_rng(4)
    layers, arrays = keras_file_for(model, rng)
    path = tmp_path / "whole_model.h5"
    write_keras_weights(path, layers, group="model_weights", chunk_layer_names=True)
    load_keras_h5_weights(model, path)
    assert_layer_holds(model.get_layer("predictions"), arrays["predictions"])


# -- by name -----------------------------------------------------------------------------------

def test_by_name_loads_matching_layers_only(tmp_path):
    model = mini_vgg()
    before = {layer.name: layer.get_weights() for layer in model.layers}
    rng = np.random.default_rng(5)
    layers, arrays = keras_file_for(model, rng)
    kept = [item for item in layers if item[0] not in ("fc1", "flatten")]  # fc1 absent from the file
    kept.reverse()  # file order does not matter by name
    kept.append(("not_in_model", [("not_in_model/kernel:0", np.ones((7, 7), np.float32))]))
    path = tmp_path / "by_name.h5"
    write_keras_weights(path, kept)
    load_keras_h5_weights(model, path, by_name=True)
    for name in ("block1_conv1", "block1_conv2", "predictions"):
        assert_layer_holds(model.get_layer(name), arrays[name])
    assert_layer_holds(model.get_layer("fc1"), before["fc1"])


def test_by_name_skip_mismatch_warns_and_loads_the_rest(tmp_path):
    model = mini_vgg()
    before = model.get_layer("fc1").get_weights()
    rng = np.random.default_rng(6)
    layers, arrays = keras_file_for(model, rng)
    layers = [
        (name, [("fc1/kernel:0", np.zeros((9, 5), np.float32)), weights[1]]) if name == "fc1" else (name, weights)
        for name, weights in layers
    ]
    path = tmp_path / "skip.h5"
    write_keras_weights(path, layers)
    with pytest.raises(ModelFileError, match="fc1"):
        load_keras_h5_weights(model, path, by_name=True)
    with pytest.warns(UserWarning, match="Skipping loading of weights for layer 'fc1'"):
        load_keras_h5_weights(model, path, by_name=True, skip_mismatch=True)
    assert_layer_holds(model.get_layer("fc1"), before)
    assert_layer_holds(model.get_layer("predictions"), arrays["predictions"])


def test_skip_mismatch_by_order_skips_whole_layers(tmp_path):
    """Keras 3 allows skip_mismatch without by_name; a mismatched layer is skipped whole."""
    model = mini_vgg()
    before = model.get_layer("fc1").get_weights()
    layers, arrays = keras_file_for(model, np.random.default_rng(16))
    layers = [(name, [weights[0], ("fc1/bias:0", np.zeros(7, np.float32))]) if name == "fc1" else (name, weights)
              for name, weights in layers]
    path = tmp_path / "skip_order.h5"
    write_keras_weights(path, layers)
    with pytest.warns(UserWarning, match=r"Skipping loading of weights for layer 'fc1'.*\(7,\)"):
        load_keras_h5_weights(model, path, skip_mismatch=True)
    assert_layer_holds(model.get_layer("fc1"), before)
    assert_layer_holds(model.get_layer("predictions"), arrays["predictions"])


# -- nothing is changed on an error ------------------------------------------------------------

def snapshot(model):
    return [w.copy() for w in model.get_weights()]


def assert_unchanged(model, before):
    after = model.get_weights()
    assert len(after) == len(before)
    for old, new in zip(before, after):
        np.testing.assert_array_equal(old, new)


def test_shape_mismatch_names_layer_weight_and_shapes_and_changes_nothing(tmp_path, any_backend):
    model = mini_vgg()
    before = snapshot(model)
    rng = np.random.default_rng(7)
    layers, _ = keras_file_for(model, rng)
    name, weights = layers[-1]  # the last layer: everything before it fits
    layers[-1] = (name, [weights[0], ("predictions/bias:0", np.zeros(4, np.float32))])
    path = tmp_path / "mismatch.h5"
    write_keras_weights(path, layers)
    with pytest.raises(ModelFileError) as info:
        load_keras_h5_weights(model, path)
    message = str(info.value)
    assert "'predictions'" in message and "predictions/bias" in message
    assert "(3,)" in message and "(4,)" in message
    assert_unchanged(model, before)


def test_layer_count_mismatch(tmp_path):
    model = mini_vgg()
    before = snapshot(model)
    layers, _ = keras_file_for(model, np.random.default_rng(8))
    path = tmp_path / "short.h5"
    write_keras_weights(path, [item for item in layers if item[0] != "predictions"])
    with pytest.raises(ModelFileError, match="layer count mismatch: model .* has 4 layers with weights"):
        load_keras_h5_weights(model, path)
    assert_unchanged(model, before)


def test_weight_count_mismatch(tmp_path):
    model = mini_vgg()
    layers, _ = keras_file_for(model, np.random.default_rng(9))
    layers = [(name, weights[:1]) if name == "fc1" else (name, weights) for name, weights in layers]
    path = tmp_path / "no_bias.h5"
    write_keras_weights(path, layers)
    with pytest.raises(ModelFileError, match="layer 'fc1' has 2 weights"):
        load_keras_h5_weights(model, path)


def test_truncated_file_raises_and_changes_nothing(tmp_path):
    model = mini_vgg()
    before = snapshot(model)
    layers, _ = keras_file_for(model, np.random.default_rng(10))
    path = tmp_path / "full.h5"
    write_keras_weights(path, layers)
    data = path.read_bytes()
    truncated = tmp_path / "truncated.h5"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFileError, match="truncated or corrupt"):
        load_keras_h5_weights(model, truncated)
    assert_unchanged(model, before)


def test_not_a_keras_file_and_missing_file(tmp_path):
    model = mini_vgg()
    path = tmp_path / "other.h5"
    with h5py.File(path, "w") as file:
        file.create_dataset("x", data=np.zeros(3))
    with pytest.raises(ModelFileError, match="not in Keras's weights layout"):
        load_keras_h5_weights(model, path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_keras_h5_weights(model, tmp_path / "missing.h5")


def test_keras1_files_load_and_theano_files_are_refused(tmp_path):
    """Keras 1 files (the original ImageNet files may lack ``keras_version``) need no
    conversion for channels-last layers; Theano's flipped kernels are refused."""
    model = mini_vgg()
    layers, arrays = keras_file_for(model, np.random.default_rng(11))
    path = tmp_path / "old.h5"
    write_keras_weights(path, layers)
    with h5py.File(path, "r+") as file:
        del file.attrs["keras_version"]
    load_keras_h5_weights(model, path)
    assert_layer_holds(model.get_layer("block1_conv1"), arrays["block1_conv1"])
    with h5py.File(path, "r+") as file:
        file.attrs["backend"] = b"theano"
    with pytest.raises(ModelFileError, match="Theano backend"):
        load_keras_h5_weights(model, path)


def test_unbuilt_model_is_refused(tmp_path):
    model = Sequential([Dense(2)])
    with pytest.raises(ModelFileError, match="not built"):
        load_keras_h5_weights(model, tmp_path / "any.h5")


# -- a model nested in a model (transfer learning) ---------------------------------------------

def small_base():
    inputs = Input(shape=(4, 4, 2))
    x = Conv2D(3, 3, padding="same", name="base_conv")(inputs)
    x = BatchNormalization(name="bn_a")(x)
    x = BatchNormalization(name="bn_b")(x)
    return Model(inputs, x, name="base")


# How Keras lists a nested model's weights in its group of the file.
TRAINABLE_NESTED_ORDER = [
    "base_conv/kernel", "base_conv/bias", "bn_a/gamma", "bn_a/beta", "bn_b/gamma", "bn_b/beta",
    "bn_a/moving_mean", "bn_a/moving_variance", "bn_b/moving_mean", "bn_b/moving_variance",
]
FROZEN_NESTED_ORDER = [
    "base_conv/kernel", "base_conv/bias", "bn_a/gamma", "bn_a/beta", "bn_a/moving_mean", "bn_a/moving_variance",
    "bn_b/gamma", "bn_b/beta", "bn_b/moving_mean", "bn_b/moving_variance",
]


@pytest.mark.parametrize("frozen", [False, True])
@pytest.mark.parametrize("names_match", [True, False])
def test_nested_model_weights_in_keras_order(tmp_path, any_backend, frozen, names_match):
    """Keras stores a nested model as one layer: all its trainable weights, then the rest
    (layer by layer when the nested model is frozen). When the stored names match the
    model's they pair the arrays; otherwise that order does."""
    base = small_base()
    base.trainable = not frozen
    model = Sequential([base, Flatten(name="flatten"), Dense(2, name="head")])
    rng = np.random.default_rng(12)
    shapes = {w.name: w.shape for w in base.weights}
    values = {name: rng.uniform(0.5, 2.0, shape).astype(np.float32) for name, shape in shapes.items()}
    order = FROZEN_NESTED_ORDER if frozen else TRAINABLE_NESTED_ORDER
    stored_names = [f"{name}:0" for name in order] if names_match else [f"w{i}:0" for i in range(len(order))]
    head = random_weights_like(model.get_layer("head"), rng)
    write_keras_weights(tmp_path / "nested.h5", [
        ("base", [(stored, values[name]) for stored, name in zip(stored_names, order)]),
        ("flatten", []), ("head", head),
    ])
    load_keras_h5_weights(model, tmp_path / "nested.h5")
    for weight in base.weights:
        np.testing.assert_array_equal(weight.numpy(), values[weight.name])
    assert_layer_holds(model.get_layer("head"), [array for _, array in head])


def test_nested_trainable_order_puts_all_trainable_weights_first():
    inputs = Input(shape=(4, 4, 2))
    x = BatchNormalization(name="bn_a")(inputs)
    x = BatchNormalization(name="bn_b")(x)
    base = Model(inputs, x, name="two_bn")
    names = [w.name for w in keras_saved_weight_order(base)]
    assert names == ["bn_a/gamma", "bn_a/beta", "bn_b/gamma", "bn_b/beta",
                     "bn_a/moving_mean", "bn_a/moving_variance", "bn_b/moving_mean", "bn_b/moving_variance"]
    base.trainable = False
    names = [w.name for w in keras_saved_weight_order(base)]
    assert names == ["bn_a/gamma", "bn_a/beta", "bn_a/moving_mean", "bn_a/moving_variance",
                     "bn_b/gamma", "bn_b/beta", "bn_b/moving_mean", "bn_b/moving_variance"]


def test_nested_weights_pair_by_name_when_saved_frozen_and_loaded_trainable(tmp_path):
    """A file saved from a frozen base lists its weights layer by layer; loading it into a
    trainable base (which Keras would list trainable-first) still pairs them by name."""
    base = small_base()
    model = Sequential([base, Flatten(name="flatten"), Dense(2, name="head")])
    rng = np.random.default_rng(13)
    values = {w.name: rng.uniform(0.5, 2.0, w.shape).astype(np.float32) for w in base.weights}
    head = random_weights_like(model.get_layer("head"), rng)
    write_keras_weights(tmp_path / "frozen_saved.h5", [
        ("base", [(f"{name}:0", values[name]) for name in FROZEN_NESTED_ORDER]), ("flatten", []), ("head", head),
    ])
    load_keras_h5_weights(model, tmp_path / "frozen_saved.h5")
    for weight in base.weights:
        np.testing.assert_array_equal(weight.numpy(), values[weight.name])


def test_by_order_pairs_by_name_when_the_file_lists_the_same_layers_in_another_order(tmp_path):
    """A file listing the model's layers in another order (say, the order they were created
    in) still loads: its names are the model's."""
    model = resnet_like_model()
    rng = np.random.default_rng(14)
    scrambled = KERAS_ORDER_OF_TWO_BLOCKS[::-1]
    layers = [(name, random_weights_like(model.get_layer(name), rng)) for name in scrambled]
    write_keras_weights(tmp_path / "scrambled.h5", layers)
    load_keras_h5_weights(model, tmp_path / "scrambled.h5")
    for name, weights in layers:
        assert_layer_holds(model.get_layer(name), [array for _, array in weights])
