"""Activation functions: Keras formulas in plain NumPy, float64 gradient checks on drawn shapes,
the DLW softmax demo, and the logits that sigmoid/softmax remember for the losses."""

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import minidl
from minidl import ops
from tests.conftest import to_host

fixture_ok = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])

small_shapes = st.lists(st.integers(1, 3), min_size=0, max_size=3).map(tuple)
nonscalar_shapes = st.lists(st.integers(1, 3), min_size=1, max_size=3).map(tuple)
seeds = st.integers(0, 2**16)

# The published SELU constants (Klambauer et al. 2017), written out independently of minidl.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def numpy_sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def numpy_elu(x, alpha):
    out = np.empty_like(x)
    for index in np.ndindex(x.shape):
        value = x[index]
        out[index] = value if value > 0 else alpha * (np.exp(value) - 1)
    return out


ELEMENTWISE = {
    # name: (minidl op, NumPy reference)
    "tanh": (ops.tanh, lambda x: (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x))),
    "sigmoid": (ops.sigmoid, numpy_sigmoid),
    "hard_sigmoid": (ops.hard_sigmoid, lambda x: np.clip(0.2 * x + 0.5, 0.0, 1.0)),
    "relu": (ops.relu, lambda x: np.where(x > 0, x, 0.0)),
    "leaky_relu": (ops.leaky_relu, lambda x: np.where(x > 0, x, 0.3 * x)),
    "leaky_relu_0.05": (lambda x: ops.leaky_relu(x, alpha=0.05), lambda x: np.where(x > 0, x, 0.05 * x)),
    "elu": (ops.elu, lambda x: numpy_elu(x, 1.0)),
    "elu_0.7": (lambda x: ops.elu(x, alpha=0.7), lambda x: numpy_elu(x, 0.7)),
    "elu_1.5": (lambda x: ops.elu(x, alpha=1.5), lambda x: numpy_elu(x, 1.5)),  # past 1: the masked derivative
    "elu_negative": (lambda x: ops.elu(x, alpha=-0.5), lambda x: numpy_elu(x, -0.5)),  # y > 0 on both sides
    "selu": (ops.selu, lambda x: SELU_SCALE * numpy_elu(x, SELU_ALPHA)),
    "softplus": (ops.softplus, lambda x: np.log(1.0 + np.exp(x))),
    "swish": (ops.swish, lambda x: x / (1.0 + np.exp(-x))),
    "mish": (ops.mish, lambda x: x * np.tanh(np.log(1.0 + np.exp(x)))),
    "softsign": (ops.softsign, lambda x: x / (1.0 + np.abs(x))),
    "relu6": (ops.relu6, lambda x: np.clip(x, 0.0, 6.0)),
    "relu6_past_6": (lambda x: ops.relu6(x * 2), lambda x: np.clip(2 * x, 0.0, 6.0)),  # 2x in [-8, 8]
    "exponential": (ops.exponential, np.exp),
}


def draw_inputs(seed, shape):
    """Values spread over both sides of zero and past hard_sigmoid's corners (+-2.5), but never
    within 0.05 of a kink, where finite differences would straddle it."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-4.0, 4.0, shape)
    for kink in (0.0, -2.5, 2.5, 3.0):  # 3.0: relu6's corner at 6 for the doubled input
        near = np.abs(x - kink) < 0.05
        x = np.where(near, kink + 0.1, x)
    return x


def check_forward_and_gradients(fn, reference, x):
    out = fn(minidl.tensor(x))
    assert out.dtype == np.float64
    np.testing.assert_allclose(to_host(out), reference(x), rtol=1e-12, atol=1e-14)
    assert minidl.gradcheck(fn, x)[0] < 1e-6


@fixture_ok
@pytest.mark.parametrize("name", list(ELEMENTWISE))
@given(shape=small_shapes, seed=seeds)
@example(shape=(1, 4), seed=0)
def test_elementwise_activation_forward_and_gradcheck(any_backend, name, shape, seed):
    op, reference = ELEMENTWISE[name]
    check_forward_and_gradients(op, reference, draw_inputs(seed, shape))


@pytest.mark.parametrize("alpha", [1.0, 0.2, 1.5, 0.0, -0.5])
def test_elu_gradient_at_extremes_is_the_piecewise_derivative(any_backend, alpha):
    """ELU's maskless backward (max([y > 0], alpha e^x)) at the values finite differences cannot
    reach: infinities, far tails, the smallest magnitudes on either side of zero."""
    x = np.array([-np.inf, -200.0, -30.0, -1e-30, 1e-30, 0.5, 30.0, 1e30, np.inf])
    gy = np.linspace(0.5, 2.0, x.size)
    t = minidl.tensor(x, requires_grad=True)
    ops.elu(t, alpha=alpha).backward(minidl.tensor(gy))
    # for x <= 0 the derivative alpha e^x is taken as elu(x) + alpha, as the forward left it
    expected = gy * np.where(x > 0, 1.0, alpha * np.expm1(np.minimum(x, 0)) + alpha)
    np.testing.assert_array_equal(to_host(t.grad), expected)
    np.testing.assert_allclose(to_host(t.grad), gy * np.where(x > 0, 1.0, alpha * np.exp(np.minimum(x, 0))),
                               rtol=1e-12, atol=1e-15)


def loop_softmax(x, axis):
    """exp(x_i) / sum_j exp(x_j) along ``axis``, one slice at a time."""
    moved = np.moveaxis(x, axis, -1)
    out = np.empty_like(moved)
    for index in np.ndindex(moved.shape[:-1]):
        row = moved[index]
        exps = np.array([np.exp(v) for v in row])
        out[index] = exps / exps.sum()
    return np.moveaxis(out, -1, axis)


@st.composite
def shape_and_axis(draw):
    shape = draw(nonscalar_shapes)
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    return shape, axis


@fixture_ok
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@given(case=shape_and_axis(), seed=seeds)
@example(case=((1, 3), -1), seed=0)
@example(case=((2, 3, 1), 1), seed=0)
def test_softmax_and_log_softmax_forward_and_gradcheck(any_backend, name, case, seed):
    shape, axis = case
    x = np.random.default_rng(seed).standard_normal(shape) * 3
    if name == "softmax":
        check_forward_and_gradients(
            lambda t: ops.softmax(t, axis=axis), lambda v: loop_softmax(v, axis), x)
    else:
        check_forward_and_gradients(
            lambda t: ops.log_softmax(t, axis=axis), lambda v: np.log(loop_softmax(v, axis)), x)


def test_dlw_softmax_demo_in_float32(any_backend):
    y = ops.softmax(minidl.tensor([3.0, 1.0, 7.0, 2.0, 4.0, 5.0]))
    assert y.dtype == np.float32
    expected = [0.0151037546, 0.00204407098, 0.824637055, 0.00555636082, 0.0410562605, 0.111602485]
    np.testing.assert_allclose(to_host(y), expected, rtol=0, atol=1.5e-7)


def test_softmax_is_stable_for_huge_logits(any_backend):
    x = minidl.tensor(np.array([[1000.0, 1000.0, -1000.0], [-1e4, 0.0, 1e4]]))
    np.testing.assert_allclose(to_host(ops.softmax(x)), [[0.5, 0.5, 0.0], [0.0, 0.0, 1.0]])
    np.testing.assert_allclose(to_host(ops.log_softmax(x))[0, :2], [np.log(0.5)] * 2)
    np.testing.assert_allclose(to_host(ops.sigmoid(minidl.tensor(np.array([-800.0, 800.0])))), [0.0, 1.0])
    np.testing.assert_allclose(to_host(ops.softplus(minidl.tensor(np.array([-800.0, 800.0])))), [0.0, 800.0])


def test_keras_defaults_leaky_relu_slope_and_hard_sigmoid_corners(any_backend):
    x = minidl.tensor(np.array([-10.0, -2.5, -1.0, 0.0, 1.0, 2.5, 10.0]))
    np.testing.assert_allclose(to_host(ops.leaky_relu(x)), [-3.0, -0.75, -0.3, 0, 1, 2.5, 10])
    np.testing.assert_allclose(to_host(ops.hard_sigmoid(x)), [0, 0, 0.3, 0.5, 0.7, 1, 1])


@settings(max_examples=20, deadline=None)
@given(size=st.integers(1, 40), alpha=st.sampled_from([0.0, 0.01, 0.2, 0.3, 1.0, 1.5, -0.5]), seed=seeds,
       dtype=st.sampled_from([np.float32, np.float64]))
def test_leaky_relu_in_element_ranges_equals_the_where_form_bit_for_bit(monkeypatch, size, alpha, seed, dtype):
    """max(x, alpha x), run in ranges (here of 4 elements, so most arrays split), is exactly
    where(x > 0, x, alpha x) -- signed zeros, infinities and NaN included -- and so is its
    gradient where(x > 0, gy, alpha gy); the slopes outside (0, 1] take the where form itself."""
    import minidl.runtime.parallel as parallel

    monkeypatch.setattr(parallel, "ELEMENT_RANGE_SIZE", 4)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(size).astype(dtype)
    specials = np.array([0.0, -0.0, np.inf, -np.inf, np.nan], dtype=dtype)
    x[:min(size, 5)] = rng.permutation(specials)[:min(size, 5)]
    gy = rng.standard_normal(size).astype(dtype)
    leaf = minidl.tensor(x, requires_grad=True)
    with np.errstate(invalid="ignore"):  # alpha = 0 times inf in the where form; NaN in the sum
        y = ops.leaky_relu(leaf, alpha)
        (y * minidl.tensor(gy)).sum().backward()
        expected_y = np.where(x > 0, x, dtype(alpha) * x)
    expected_grad = np.where(x > 0, gy, dtype(alpha) * gy)
    for got, expected in ((y.data, expected_y), (leaf.grad, expected_grad)):
        assert got.dtype == dtype
        np.testing.assert_array_equal(got, expected)
        np.testing.assert_array_equal(np.signbit(got), np.signbit(expected))


def test_relu_gradient_at_zero_is_zero(any_backend):
    x = minidl.tensor(np.array([-1.0, 0.0, 2.0]), requires_grad=True)
    ops.relu(x).sum().backward()
    np.testing.assert_allclose(to_host(x.grad), [0, 0, 1])


def test_sigmoid_and_softmax_remember_their_logits():
    z = minidl.tensor(np.array([[0.5, -1.0]]))
    assert ops.sigmoid(z)._logits[0] == "sigmoid" and ops.sigmoid(z)._logits[1] is z
    assert ops.softmax(z)._logits[0] == "softmax" and ops.softmax(z)._logits[1] is z
    assert ops.tanh(z)._logits is None
    assert ops.softmax(z, axis=0)._logits is None  # only a last-axis softmax can be fused


def test_get_activation_by_keras_name_and_unknown_name():
    assert ops.get_activation("relu") is ops.relu
    assert ops.get_activation(None) is ops.linear
    assert ops.get_activation(ops.tanh) is ops.tanh
    with pytest.raises(ValueError, match="unknown activation 'rleu'"):
        ops.get_activation("rleu")


@pytest.mark.parametrize("name, reference", [
    ("leaky_relu", lambda x: np.where(x > 0, x, 0.2 * x)),  # Keras's and TensorFlow's 0.2, not the layer's 0.3
    ("swish", lambda x: x / (1 + np.exp(-x))), ("silu", lambda x: x / (1 + np.exp(-x))),
    ("mish", lambda x: x * np.tanh(np.log1p(np.exp(x)))), ("softsign", lambda x: x / (1 + np.abs(x))),
    ("relu6", lambda x: np.clip(x, 0, 6)), ("exponential", np.exp),
    ("log_softmax", lambda x: x - np.log(np.exp(x).sum(axis=-1, keepdims=True))),
])
def test_activation_names_resolve_as_keras_and_go_through_a_layer(name, reference):
    x = np.array([[-7.0, -1.0, 0.5, 3.0, 8.0]], np.float32)
    layer = minidl.layers.Activation(name)
    np.testing.assert_allclose(layer(x).numpy(), reference(x.astype(np.float64)), rtol=1e-6, atol=1e-6)
    dense = minidl.layers.Dense(2, activation=name)
    dense(x)
    assert minidl.layers.Dense.from_config(dense.get_config()).get_config()["activation"] == name
