"""Precision: float32 in gives float32 out and float32 gradients for every op (nothing is
promoted to float64 behind the user's back, not even by NumPy float64 scalars as arguments);
``cast``; integer inputs to float-only ops are a TypeError naming the op."""

import numpy as np
import pytest

import minidl
from minidl import backend, ops
from tests.conftest import to_host

HALF = np.float64(0.5)  # a NumPy float64 scalar argument must not promote float32 data

ONE_INPUT = {
    "neg": ops.neg, "abs": ops.abs, "exp": ops.exp, "log": ops.log, "sqrt": ops.sqrt,
    "square": ops.square, "pow_int": lambda x: x ** 3, "pow_float": lambda x: x ** 1.5,
    "pow_numpy_scalar": lambda x: x ** np.float64(2.0), "rpow": lambda x: 2.0 ** x,
    "scalar_arithmetic": lambda x: (2.0 * x + HALF - 1) / 3.0,
    "clip": lambda x: ops.clip(x, 0.3, 0.6), "clip_numpy_bounds": lambda x: ops.clip(x, np.float64(0.3), HALF),
    "tanh": ops.tanh, "sigmoid": ops.sigmoid, "hard_sigmoid": ops.hard_sigmoid, "relu": ops.relu,
    "leaky_relu": ops.leaky_relu, "leaky_relu_numpy_alpha": lambda x: ops.leaky_relu(x, alpha=np.float64(0.1)),
    "elu": ops.elu, "elu_numpy_alpha": lambda x: ops.elu(x, alpha=HALF), "selu": ops.selu,
    "softplus": ops.softplus, "softmax": ops.softmax, "log_softmax": ops.log_softmax,
    "sum": lambda x: ops.sum(x, axis=1), "mean": lambda x: ops.mean(x, axis=(0, 1)), "max": ops.max,
    "min": lambda x: ops.min(x, axis=0, keepdims=True), "var": lambda x: ops.var(x, axis=-1),
    "max_with_ties": lambda x: ops.max(ops.clip(x, 0.0, 0.4), axis=1),
    "reshape": lambda x: x.reshape(-1), "transpose": lambda x: x.T,
    "concatenate": lambda x: ops.concatenate([x, x], axis=0), "stack": lambda x: ops.stack([x, x]),
    "split": lambda x: ops.split(x, [1], axis=1)[1], "expand_dims": lambda x: ops.expand_dims(x, 1),
    "squeeze": lambda x: ops.squeeze(x[:, :1]), "pad": lambda x: ops.pad(x, [(1, 0), (0, 2)], value=HALF),
    "flip": ops.flip, "getitem_slice": lambda x: x[:, ::-2], "getitem_repeats": lambda x: x[[0, 0, 1]],
    "getitem_mask": lambda x: x[np.array([[True, False, True], [False, True, True]])],
    "dropout": lambda x: ops.dropout(x, HALF), "dropout_noise_shape": lambda x: ops.dropout(x, 0.5, noise_shape=(1, 3)),
    "binary_crossentropy": lambda x: ops.binary_crossentropy(np.ones((2, 3)), x),
    "binary_crossentropy_from_logits": lambda x: ops.binary_crossentropy(np.ones((2, 3)), x, from_logits=True),
    "binary_crossentropy_fused": lambda x: ops.binary_crossentropy(np.ones((2, 3)), ops.sigmoid(x)),
    "categorical_crossentropy": lambda x: ops.categorical_crossentropy(np.eye(3)[:2], x),
    "categorical_crossentropy_fused": lambda x: ops.categorical_crossentropy(np.eye(3)[:2], ops.softmax(x)),
    "sparse_categorical_crossentropy": lambda x: ops.sparse_categorical_crossentropy(np.array([2, 0]), x),
    "sparse_categorical_crossentropy_fused":
        lambda x: ops.sparse_categorical_crossentropy(np.array([2, 0]), ops.softmax(x)),
    "mean_squared_error": lambda x: ops.mean_squared_error(np.ones((2, 3)), x),
    "mean_absolute_error": lambda x: ops.mean_absolute_error(np.ones((2, 3)), x),
    "huber": lambda x: ops.huber(np.ones((2, 3)) * 2, x, delta=HALF),
    "sigmoid_cross_entropy_with_logits": lambda x: ops.sigmoid_cross_entropy_with_logits(np.ones((2, 3)), x),
    "softmax_cross_entropy_with_logits":
        lambda x: ops.softmax_cross_entropy_with_logits(np.eye(3)[:2], x, axis=0),
}

TWO_INPUTS = {
    "add": ops.add, "sub": ops.sub, "mul": ops.mul, "div": ops.div, "pow": ops.pow,
    "maximum": ops.maximum, "minimum": ops.minimum, "matmul": lambda a, b: ops.matmul(a, b.T),
    "where": lambda a, b: ops.where(backend.to_device(np.array([True, False, True])), a, b),
}


def float32_leaf(rng, shape):
    return minidl.tensor(rng.uniform(0.2, 0.8, shape).astype(np.float32), requires_grad=True)


def assert_float32_through(out, leaves):
    assert out.dtype == np.float32
    out.backward(minidl.tensor(np.ones(out.shape, dtype=np.float32)))
    for leaf in leaves:
        assert leaf.grad.dtype == np.float32


@pytest.mark.parametrize("name", list(ONE_INPUT))
def test_float32_stays_float32_one_input(any_backend, name):
    x = float32_leaf(np.random.default_rng(0), (2, 3))
    assert_float32_through(ONE_INPUT[name](x), [x])


@pytest.mark.parametrize("name", list(TWO_INPUTS))
def test_float32_stays_float32_two_inputs_with_broadcasting(any_backend, name):
    rng = np.random.default_rng(0)
    a, b = float32_leaf(rng, (2, 3)), float32_leaf(rng, (1, 3) if name != "matmul" else (4, 3))
    assert_float32_through(TWO_INPUTS[name](a, b), [a, b])


def test_python_scalars_take_the_tensor_dtype_and_lists_become_floatx(any_backend):
    assert minidl.tensor([1.0, 2.0]).dtype == np.float32
    assert (minidl.tensor(np.array([1.0])) * 2.0).dtype == np.float64
    minidl.set_floatx("float64")
    assert minidl.tensor([1.0, 2.0]).dtype == np.float64


# -- cast -----------------------------------------------------------------------------------------

def test_cast_between_floats_is_differentiable_in_the_input_precision(any_backend):
    x = minidl.tensor(np.array([1.5, -2.25], dtype=np.float32), requires_grad=True)
    y = ops.cast(x, "float64")
    assert y.dtype == np.float64 and y.requires_grad
    y.backward(minidl.tensor(np.array([0.1, 3.0])))
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(to_host(x.grad), np.float32([0.1, 3.0]))
    z = minidl.tensor(np.array([1.0 / 3.0]), requires_grad=True)
    down = z.astype("float32")
    assert down.dtype == np.float32 and to_host(down)[0] == np.float32(1.0 / 3.0)
    down.backward(minidl.tensor(np.float32([2.0])))
    assert z.grad.dtype == np.float64


def test_cast_to_integer_or_the_same_dtype(any_backend):
    x = minidl.tensor(np.array([1.7, -2.2]), requires_grad=True)
    as_int = ops.cast(x, "int32")
    assert as_int.dtype == np.int32 and not as_int.requires_grad
    np.testing.assert_array_equal(to_host(as_int), [1, -2])  # truncation, as NumPy and tf.cast
    assert ops.cast(x, np.float64) is x
    back = ops.cast(minidl.tensor(np.array([1, 2])), "float32")
    assert back.dtype == np.float32 and not back.requires_grad


def test_cast_gradcheck(any_backend):
    # through float32 and back loses precision; through float64 -> float64 the cast is the identity
    x = np.random.default_rng(0).standard_normal((2, 3))
    assert minidl.gradcheck(lambda t: ops.cast(t, "float64") * 2.0, x)[0] < 1e-6


# -- integer inputs to float ops -------------------------------------------------------------------

FLOAT_ONLY = ["exp", "log", "sqrt", "tanh", "sigmoid", "hard_sigmoid", "relu", "leaky_relu", "elu",
              "selu", "softplus", "softmax", "log_softmax"]


@pytest.mark.parametrize("name", FLOAT_ONLY)
def test_integer_input_to_a_float_op_is_a_type_error_naming_the_op(name):
    with pytest.raises(TypeError, match=rf"^{name}: input must have a floating-point dtype, got int64"):
        getattr(ops, name)(minidl.tensor(np.array([1, 2, 3])))


def test_tf_logits_helpers_reject_integer_logits():
    for name in ("sigmoid_cross_entropy_with_logits", "softmax_cross_entropy_with_logits"):
        with pytest.raises(TypeError, match=rf"{name}: logits must have a floating-point dtype"):
            getattr(ops, name)(np.ones((2, 2)), minidl.tensor(np.ones((2, 2), dtype=np.int64)))
