"""Elementwise arithmetic, exponentials, selection and matmul: NumPy forward checks and float64
gradient checks on hypothesis-drawn (broadcast) shapes, on every backend."""

import contextlib

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import minidl
from minidl import backend, ops
from minidl.backend import DeviceTransferWarning
from tests.conftest import to_host

fixture_ok = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])


@st.composite
def broadcast_shapes(draw, count=2, max_rank=3):
    """``count`` shapes that broadcast together: each is a full shape with some leading axes
    dropped and some axes set to 1 (so size-1 broadcast axes and a batch of one both occur)."""
    full = draw(st.lists(st.integers(1, 3), min_size=0, max_size=max_rank))
    shapes = []
    for _ in range(count):
        dropped = draw(st.integers(0, len(full)))
        tail = full[dropped:]
        ones = draw(st.lists(st.booleans(), min_size=len(tail), max_size=len(tail)))
        shapes.append(tuple(1 if one else size for size, one in zip(tail, ones)))
    return tuple(shapes)


small_shapes = st.lists(st.integers(1, 3), min_size=0, max_size=3).map(tuple)
seeds = st.integers(0, 2**16)


def away_from_zero(rng, shape, low=0.3, high=2.0):
    return rng.uniform(low, high, shape) * rng.choice([-1.0, 1.0], shape)


def check_forward_and_gradients(fn, reference, *arrays):
    """fn on Tensors equals the NumPy reference in float64, and gradcheck passes for every input."""
    out = fn(*[minidl.tensor(a) for a in arrays])
    assert out.dtype == np.float64
    np.testing.assert_allclose(to_host(out), reference(*arrays), rtol=1e-12, atol=1e-12)
    worst = minidl.gradcheck(fn, *arrays)
    assert len(worst) == len(arrays)
    assert max(worst) < 1e-6


# -- binary arithmetic with broadcasting ---------------------------------------------------------

BINARY = {
    # name: (minidl op, NumPy reference, draw a, draw b)
    "add": (ops.add, lambda a, b: a + b, "normal", "normal"),
    "sub": (ops.sub, lambda a, b: a - b, "normal", "normal"),
    "mul": (ops.mul, lambda a, b: a * b, "normal", "normal"),
    "div": (ops.div, lambda a, b: a / b, "normal", "nonzero"),
    "pow": (ops.pow, lambda a, b: np.exp(b * np.log(a)), "positive", "normal"),
    "maximum": (ops.maximum, lambda a, b: np.where(a >= b, a, b), "normal", "normal"),
    "minimum": (ops.minimum, lambda a, b: np.where(a <= b, a, b), "normal", "normal"),
}


def draw_values(rng, kind, shape):
    if kind == "normal":
        return rng.standard_normal(shape)
    if kind == "nonzero":
        return away_from_zero(rng, shape, 0.5, 2.0)
    return rng.uniform(0.5, 2.0, shape)


@fixture_ok
@pytest.mark.parametrize("name", list(BINARY))
@given(shapes=broadcast_shapes(), seed=seeds)
@example(shapes=((1, 3), (2, 1)), seed=1)
@example(shapes=((1,), (1, 2, 3)), seed=2)
def test_binary_op_forward_and_gradcheck(any_backend, name, shapes, seed):
    op, reference, kind_a, kind_b = BINARY[name]
    rng = np.random.default_rng(seed)
    a = draw_values(rng, kind_a, shapes[0])
    b = draw_values(rng, kind_b, shapes[1])
    check_forward_and_gradients(op, reference, a, b)


def test_operators_call_the_ops(any_backend):
    a = minidl.tensor(np.array([[1.0, 2.0], [3.0, 4.0]]))
    b = minidl.tensor(np.array([2.0, 0.5]))
    expected = {
        "+": [[3, 2.5], [5, 4.5]], "-": [[-1, 1.5], [1, 3.5]], "*": [[2, 1], [6, 2]],
        "/": [[0.5, 4], [1.5, 8]], "**": [[1, 2 ** 0.5], [9, 2]],
    }
    results = {"+": a + b, "-": a - b, "*": a * b, "/": a / b, "**": a ** b}
    for symbol, value in expected.items():
        np.testing.assert_allclose(to_host(results[symbol]), value, err_msg=symbol)
    np.testing.assert_allclose(to_host(1.0 - a), [[0, -1], [-2, -3]])
    np.testing.assert_allclose(to_host(2.0 / b), [1, 4])
    np.testing.assert_allclose(to_host(2.0 ** b), [4, 2 ** 0.5])
    np.testing.assert_allclose(to_host(-a), [[-1, -2], [-3, -4]])
    np.testing.assert_allclose(to_host(abs(-a)), [[1, 2], [3, 4]])


def test_repeated_input_accumulates_both_gradients(any_backend):
    x = minidl.tensor(np.array([1.5, -2.0]), requires_grad=True)
    (x * x + x / x).sum().backward()
    np.testing.assert_allclose(to_host(x.grad), [3.0, -4.0])  # 2x + (1/x - x/x^2) = 2x


def test_ties_in_maximum_and_minimum_send_the_gradient_to_the_first_operand(any_backend):
    a = minidl.tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    b = minidl.tensor(np.array([1.0, 5.0, 0.0]), requires_grad=True)
    (ops.maximum(a, b) + 10 * ops.minimum(a, b)).sum().backward()
    np.testing.assert_allclose(to_host(a.grad), [11, 10, 1])  # tie at 0: a wins both
    np.testing.assert_allclose(to_host(b.grad), [0, 1, 10])


# -- unary elementwise -----------------------------------------------------------------------------

UNARY = {
    # name: (minidl op, NumPy reference, draw)
    "neg": (ops.neg, lambda x: 0.0 - x, "normal"),
    "abs": (ops.abs, lambda x: np.where(x < 0, -x, x), "nonzero"),
    "exp": (ops.exp, lambda x: np.e ** x, "normal"),
    "log": (ops.log, lambda x: np.log(x), "positive"),
    "sqrt": (ops.sqrt, lambda x: x ** 0.5, "positive"),
    "square": (ops.square, lambda x: x * x, "normal"),
    "pow_2": (lambda x: x ** 2, lambda x: x * x, "normal"),
    "pow_3": (lambda x: ops.pow(x, 3), lambda x: x * x * x, "normal"),
    "pow_half": (lambda x: x ** 0.5, lambda x: np.sqrt(x), "positive"),
    "pow_minus_1.5": (lambda x: x ** -1.5, lambda x: 1 / (x * np.sqrt(x)), "positive"),
    "pow_0": (lambda x: x ** 0, lambda x: np.ones_like(x), "positive"),
    "clip": (lambda x: ops.clip(x, -0.5, 0.7), lambda x: np.minimum(np.maximum(x, -0.5), 0.7), "normal"),
}


@fixture_ok
@pytest.mark.parametrize("name", list(UNARY))
@given(shape=small_shapes, seed=seeds)
@example(shape=(1, 3), seed=0)
def test_unary_op_forward_and_gradcheck(any_backend, name, shape, seed):
    op, reference, kind = UNARY[name]
    x = draw_values(np.random.default_rng(seed), kind, shape)
    check_forward_and_gradients(op, reference, x)


def test_clip_gradient_is_zero_outside_and_one_inside(any_backend):
    x = minidl.tensor(np.array([-2.0, -0.5, 0.0, 0.7, 3.0]), requires_grad=True)
    y = ops.clip(x, -0.5, 0.7)
    np.testing.assert_allclose(to_host(y), [-0.5, -0.5, 0.0, 0.7, 0.7])
    y.sum().backward()
    np.testing.assert_allclose(to_host(x.grad), [0, 1, 1, 1, 0])  # the bounds count as inside


def test_clip_with_low_above_high_is_an_error():
    with pytest.raises(ValueError, match=r"clip: low \(2.0\) must not exceed high \(1.0\)"):
        ops.clip(minidl.tensor([1.0]), 2.0, 1.0)


def test_abs_gradient_at_zero_is_zero_like_tensorflow(any_backend):
    x = minidl.tensor(np.array([-1.0, 0.0, 2.0]), requires_grad=True)
    ops.abs(x).sum().backward()
    np.testing.assert_allclose(to_host(x.grad), [-1, 0, 1])


# -- where ---------------------------------------------------------------------------------------

@fixture_ok
@given(shapes=broadcast_shapes(count=3), seed=seeds)
@example(shapes=((2, 3), (1, 3), (2, 1)), seed=0)
def test_where_forward_and_gradcheck(any_backend, shapes, seed):
    rng = np.random.default_rng(seed)
    condition = rng.random(shapes[0]) < 0.5
    a, b = rng.standard_normal(shapes[1]), rng.standard_normal(shapes[2])

    def reference(a, b):
        out_shape = np.broadcast_shapes(condition.shape, a.shape, b.shape)
        c, a, b = (np.broadcast_to(v, out_shape) for v in (condition, a, b))
        out = np.empty(out_shape)
        for index in np.ndindex(out_shape):
            out[index] = a[index] if c[index] else b[index]
        return out

    check_forward_and_gradients(lambda a, b: ops.where(backend.to_device(condition), a, b), reference, a, b)
    # the condition may also be a (boolean) Tensor
    out = ops.where(minidl.tensor(condition), minidl.tensor(a), minidl.tensor(b))
    np.testing.assert_array_equal(to_host(out), reference(a, b))


# -- matmul --------------------------------------------------------------------------------------

@st.composite
def matmul_shapes(draw):
    lead_a, lead_b = draw(broadcast_shapes(max_rank=2))
    m, k, n = (draw(st.integers(1, 3)) for _ in range(3))
    return lead_a + (m, k), lead_b + (k, n)


def loop_matmul(a, b):
    """Plain loops over the broadcast batch, rows, columns and the shared axis."""
    lead = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    a = np.broadcast_to(a, lead + a.shape[-2:])
    b = np.broadcast_to(b, lead + b.shape[-2:])
    m, k, n = a.shape[-2], a.shape[-1], b.shape[-1]
    out = np.zeros(lead + (m, n))
    for batch in np.ndindex(lead):
        for i in range(m):
            for j in range(n):
                out[batch + (i, j)] = sum(a[batch + (i, t)] * b[batch + (t, j)] for t in range(k))
    return out


@fixture_ok
@given(shapes=matmul_shapes(), seed=seeds)
@example(shapes=((1, 2, 3), (3, 2)), seed=0)
@example(shapes=((2, 1, 1, 3), (3, 3, 2)), seed=0)
@example(shapes=((2, 3, 2, 3), (3, 2)), seed=0)  # a stack of rows times one matrix: one folded product
def test_matmul_batched_broadcast_forward_and_gradcheck(any_backend, shapes, seed):
    rng = np.random.default_rng(seed)
    a, b = rng.standard_normal(shapes[0]), rng.standard_normal(shapes[1])
    check_forward_and_gradients(ops.matmul, loop_matmul, a, b)


def test_matmul_operator_and_reflected(any_backend):
    a = np.arange(6.0).reshape(2, 3)
    b = np.arange(12.0).reshape(3, 4)
    np.testing.assert_allclose(to_host(minidl.tensor(a) @ minidl.tensor(b)), loop_matmul(a, b))
    # a host array on the left: copied to the device, with a warning there (minidl.backend)
    expect_warning = pytest.warns(DeviceTransferWarning) if backend.on_device() else contextlib.nullcontext()
    with expect_warning:
        np.testing.assert_allclose(to_host(a @ minidl.tensor(b)), loop_matmul(a, b))
