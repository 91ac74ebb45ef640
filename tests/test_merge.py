"""Merge layers: Add, Concatenate (and the other element-wise merges)."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minidl
from minidl.layers.base import clear_session
from minidl.layers.input_layer import Input
from minidl.layers.merge import Add, Average, Concatenate, Maximum, Minimum, Multiply, Subtract, add, concatenate
from tests.conftest import device, to_host

fixture_ok = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])


def _arrays(seed, count, shape):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape) for _ in range(count)]


@fixture_ok
@given(count=st.integers(2, 4), shape=st.lists(st.integers(1, 3), min_size=1, max_size=3),
       seed=st.integers(0, 2**16))
def test_add_forward_and_gradcheck(any_backend, count, shape, seed):
    shape = (1 + seed % 2,) + tuple(shape)  # batch of one or two
    arrays = _arrays(seed, count, shape)
    layer = Add()
    out = layer([minidl.tensor(a) for a in arrays])
    expected = np.zeros(shape)
    for a in arrays:
        expected += a
    np.testing.assert_allclose(to_host(out), expected, rtol=1e-12)
    worst = minidl.gradcheck(lambda *xs: layer(list(xs)), *[device(a) for a in arrays])
    assert max(worst) < 1e-6


@fixture_ok
@given(widths=st.lists(st.integers(1, 3), min_size=2, max_size=3), rank=st.integers(2, 4),
       axis_choice=st.integers(0, 10), seed=st.integers(0, 2**16))
def test_concatenate_forward_and_gradcheck(any_backend, widths, rank, axis_choice, seed):
    rng = np.random.default_rng(seed)
    base = [int(s) for s in rng.integers(1, 3, size=rank)]
    axis = 1 + axis_choice % (rank - 1)
    if axis_choice % 2:
        axis -= rank  # the negative spelling of the same axis
    arrays = []
    for width in widths:
        shape = list(base)
        shape[axis] = width
        arrays.append(rng.standard_normal(shape))
    layer = Concatenate(axis=axis)
    out = to_host(layer([minidl.tensor(a) for a in arrays]))
    # independent reference: copy each input into its slot along the axis
    positive = axis % rank
    offset = 0
    for a in arrays:
        index = [slice(None)] * rank
        index[positive] = slice(offset, offset + a.shape[positive])
        np.testing.assert_array_equal(out[tuple(index)], a)
        offset += a.shape[positive]
    assert out.shape[positive] == offset
    worst = minidl.gradcheck(lambda *xs: layer(list(xs)), *[device(a) for a in arrays])
    assert max(worst) < 1e-6


@pytest.mark.parametrize("layer_class, combine", [
    (Subtract, lambda a, b: a - b), (Multiply, lambda a, b: a * b), (Average, lambda a, b: (a + b) / 2),
    (Maximum, np.maximum), (Minimum, np.minimum),
])
def test_other_elementwise_merges(any_backend, layer_class, combine):
    a, b = _arrays(3, 2, (2, 3))
    out = layer_class()([minidl.tensor(a), minidl.tensor(b)])
    np.testing.assert_allclose(to_host(out), combine(a, b), rtol=1e-12)
    worst = minidl.gradcheck(lambda x, y: layer_class()([x, y]), device(a), device(b))
    assert max(worst) < 1e-6


def test_add_shape_mismatch_names_the_layer_and_shapes():
    clear_session()
    with pytest.raises(ValueError, match=r"add \(Add\): inputs must all have the same shape, got shapes "
                                         r"\[\(2, 3\), \(2, 4\)\]"):
        Add()([minidl.tensor(np.zeros((2, 3))), minidl.tensor(np.zeros((2, 4)))])


def test_add_does_not_broadcast():
    with pytest.raises(ValueError, match="same shape"):
        Add()([minidl.tensor(np.zeros((2, 3))), minidl.tensor(np.zeros((2, 1)))])


def test_concatenate_mismatch_names_the_layer_and_shapes():
    clear_session()
    with pytest.raises(ValueError, match=r"concatenate \(Concatenate\): inputs must match on every axis except "
                                         r"the concatenation axis -1, got shapes \[\(2, 3, 4\), \(2, 5, 4\)\]"):
        Concatenate()([minidl.tensor(np.zeros((2, 3, 4))), minidl.tensor(np.zeros((2, 5, 4)))])
    with pytest.raises(ValueError, match="not a non-batch axis"):
        Concatenate(axis=0)([minidl.tensor(np.zeros((2, 3))), minidl.tensor(np.zeros((2, 3)))])


def test_merge_needs_a_list_of_at_least_two():
    clear_session()
    with pytest.raises(ValueError, match=r"add \(Add\): expected a list of at least 2 input tensors, got a list of 1"):
        Add()([minidl.tensor(np.zeros((2, 3)))])
    with pytest.raises(ValueError, match=r"got a single tensor of shape \(2, 3\)"):
        Concatenate()(minidl.tensor(np.zeros((2, 3))))
    with pytest.raises(ValueError, match="exactly 2 inputs"):
        Subtract()([minidl.tensor(np.zeros((1, 2)))] * 3)


def test_symbolic_calls_and_functional_helpers():
    a, b = Input(shape=(4,)), Input(shape=(4,))
    assert Add()([a, b]).shape == (None, 4)
    assert add([a, b]).shape == (None, 4)
    c = Input(shape=(3, 2))
    d = Input(shape=(3, 5))
    merged = concatenate([c, d])
    assert merged.shape == (None, 3, 7)
    assert merged.inputs == [c, d]


def test_concatenate_config_round_trip():
    layer = Concatenate(axis=1, name="join")
    config = layer.get_config()
    assert config["axis"] == 1 and config["name"] == "join"
    assert Concatenate.from_config(config).get_config() == config


def test_mixed_int_and_float_inputs_merge_in_the_layer_float_dtype():
    """int64 flags concatenated with float32 features (the pandas tutorial's preprocessing
    model) give float32, as Keras 3 promotes them -- not NumPy's float64."""
    flags, features = Input(shape=(1,), dtype="int64"), Input(shape=(2,))
    merged = Concatenate(axis=1)([flags, features])
    assert merged.dtype == np.float32 and merged.shape == (None, 3)
    eager = Concatenate(axis=1)([minidl.tensor(np.array([[1], [0]])), minidl.tensor(np.ones((2, 2), np.float32))])
    assert eager.dtype == np.float32
    np.testing.assert_array_equal(to_host(eager), [[1, 1, 1], [0, 1, 1]])
    same = Add()([minidl.tensor(np.ones(2, np.int64)), minidl.tensor(np.ones(2, np.int64))])
    assert same.dtype == np.int64  # one dtype: left as it is
