"""RepeatVector, Permute, Cropping1D/2D, Identity and the ops behind them (broadcast_to, tile):
element loops in plain NumPy as the oracle, float64 gradient checks on drawn shapes, every
backend, Keras's configs, and (where Keras is installed) Keras's output shapes and values."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minidl
from minidl.layers.base import clear_session
from minidl.layers.input_layer import Input
from minidl.layers.reshaping import Cropping1D, Cropping2D, Identity, Permute, RepeatVector
from minidl.models import Sequential
from minidl.ops.broadcast import broadcast_to, tile
from tests.conftest import device, to_host


def numpy_repeat_vector(x, n):
    out = np.zeros((x.shape[0], n, x.shape[1]))
    for sample in range(x.shape[0]):
        for step in range(n):
            out[sample, step] = x[sample]
    return out


def numpy_permute(x, dims):
    order = (0,) + tuple(dims)
    out = np.zeros(tuple(x.shape[axis] for axis in order))
    for index in np.ndindex(*x.shape):
        out[tuple(index[axis] for axis in order)] = x[index]
    return out


def numpy_crop(x, amounts):
    """Copy element by element, skipping ``amounts[i] = (before, after)`` positions of axis i + 1."""
    out_shape = (x.shape[0],) + tuple(x.shape[i + 1] - b - a for i, (b, a) in enumerate(amounts)) + x.shape[1 + len(amounts):]
    out = np.zeros(out_shape)
    for index in np.ndindex(*out_shape):
        source = (index[0],) + tuple(index[i + 1] + amounts[i][0] for i in range(len(amounts))) + index[1 + len(amounts):]
        out[index] = x[source]
    return out


@given(batch=st.integers(1, 3), features=st.integers(1, 4), n=st.integers(1, 4), seed=st.integers(0, 2**16))
def test_repeat_vector_forward_and_gradcheck(any_backend, batch, features, n, seed):
    minidl.set_floatx("float64")
    x = np.random.default_rng(seed).standard_normal((batch, features))
    layer = RepeatVector(n)
    np.testing.assert_array_equal(to_host(layer(device(x))), numpy_repeat_vector(x, n))
    assert max(minidl.gradcheck(lambda t: layer(t), device(x))) < 1e-8


@given(shape=st.lists(st.integers(1, 3), min_size=2, max_size=3), seed=st.integers(0, 2**16), data=st.data())
def test_permute_forward_and_gradcheck(any_backend, shape, seed, data):
    minidl.set_floatx("float64")
    dims = tuple(data.draw(st.permutations(range(1, len(shape) + 1))))
    x = np.random.default_rng(seed).standard_normal((2, *shape))
    layer = Permute(dims)
    np.testing.assert_array_equal(to_host(layer(device(x))), numpy_permute(x, dims))
    assert max(minidl.gradcheck(lambda t: layer(t), device(x))) < 1e-8


@given(steps=st.integers(3, 6), before=st.integers(0, 1), after=st.integers(0, 1), seed=st.integers(0, 2**16))
def test_cropping1d_forward_and_gradcheck(any_backend, steps, before, after, seed):
    minidl.set_floatx("float64")
    x = np.random.default_rng(seed).standard_normal((2, steps, 3))
    layer = Cropping1D((before, after))
    np.testing.assert_array_equal(to_host(layer(device(x))), numpy_crop(x, [(before, after)]))
    assert max(minidl.gradcheck(lambda t: layer(t), device(x))) < 1e-8


@given(height=st.integers(3, 5), width=st.integers(3, 5), pads=st.lists(st.integers(0, 1), min_size=4, max_size=4),
       seed=st.integers(0, 2**16))
def test_cropping2d_forward_and_gradcheck(any_backend, height, width, pads, seed):
    minidl.set_floatx("float64")
    x = np.random.default_rng(seed).standard_normal((2, height, width, 2))
    amounts = ((pads[0], pads[1]), (pads[2], pads[3]))
    layer = Cropping2D(amounts)
    np.testing.assert_array_equal(to_host(layer(device(x))), numpy_crop(x, amounts))
    assert max(minidl.gradcheck(lambda t: layer(t), device(x))) < 1e-8


@given(shape=st.lists(st.integers(1, 3), min_size=1, max_size=3), lead=st.integers(0, 2), seed=st.integers(0, 2**16),
       data=st.data())
def test_broadcast_to_and_tile_against_numpy(any_backend, shape, lead, seed, data):
    minidl.set_floatx("float64")
    x = np.random.default_rng(seed).standard_normal(shape)
    target = tuple(data.draw(st.integers(1, 3)) for _ in range(lead)) + tuple(
        data.draw(st.sampled_from([1, 3])) if size == 1 else size for size in shape)
    np.testing.assert_array_equal(to_host(broadcast_to(device(x), target)), np.broadcast_to(x, target))
    assert max(minidl.gradcheck(lambda t: broadcast_to(t, target), device(x))) < 1e-8
    multiples = tuple(data.draw(st.integers(1, 3)) for _ in shape)
    np.testing.assert_array_equal(to_host(tile(device(x), multiples)), np.tile(x, multiples))
    assert max(minidl.gradcheck(lambda t: tile(t, multiples), device(x))) < 1e-8


def test_shapes_in_a_model_and_configs():
    clear_session()
    model = Sequential([Input((6,)), RepeatVector(4), Permute((2, 1)), Cropping1D((1, 2)), Identity()])
    assert [shape for _, shape in model.layer_output_shapes()] == [(None, 4, 6), (None, 6, 4), (None, 3, 4), (None, 3, 4)]
    assert model.count_params() == 0
    for layer in model.layers:
        rebuilt = type(layer).from_config(layer.get_config())
        assert rebuilt.get_config() == layer.get_config()
    assert Cropping2D(2).cropping == ((2, 2), (2, 2)) and Cropping2D((1, 3)).cropping == ((1, 1), (3, 3))


@pytest.mark.parametrize("make, shape, message", [
    (lambda: RepeatVector(0), None, "n must be a positive int"),
    (lambda: Permute((1, 3)), None, "permutation of 1..2"),
    (lambda: Permute((2, 1)), (2, 3, 4, 5), "rank 3"),
    (lambda: RepeatVector(2), (2, 3, 4), "rank 2"),
    (lambda: Cropping1D((2, 2)), (1, 4, 3), "leaves nothing"),
    (lambda: Cropping2D(((1, 1), (-1, 0))), None, "non-negative"),
    (lambda: Cropping2D(1), (1, 4, 4), "rank 4"),
])
def test_bad_arguments_and_inputs_name_the_layer(make, shape, message):
    with pytest.raises(ValueError, match=message):
        layer = make()
        layer(np.zeros(shape, dtype="float32"))


keras_cases = [
    ("RepeatVector", {"n": 3}, (2, 5)),
    ("Permute", {"dims": (2, 1)}, (2, 3, 4)),
    ("Permute", {"dims": (3, 1, 2)}, (2, 3, 4, 5)),
    ("Cropping1D", {"cropping": (1, 2)}, (2, 6, 3)),
    ("Cropping2D", {"cropping": ((1, 0), (2, 1))}, (2, 5, 6, 3)),
    ("Cropping2D", {"cropping": 1}, (2, 4, 4, 1)),
]


@pytest.mark.parametrize("name, arguments, shape", keras_cases)
def test_same_values_shapes_and_config_keys_as_keras(name, arguments, shape):
    keras = pytest.importorskip("keras", reason="real Keras is not installed (CI does not install it)")
    x = np.random.default_rng(0).standard_normal(shape).astype("float32")
    theirs = getattr(keras.layers, name)(**arguments)
    ours = getattr(minidl.layers, name)(**arguments)
    np.testing.assert_array_equal(to_host(ours(x)), np.asarray(theirs(x)))
    ours_symbolic = ours(Input(shape[1:]))
    assert ours_symbolic.shape == tuple(theirs.compute_output_shape((None,) + shape[1:]))
    keras_keys = set(theirs.get_config()) - {"dtype", "trainable", "name"}
    assert keras_keys <= set(ours.get_config()), keras_keys - set(ours.get_config())
