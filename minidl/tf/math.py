"""``tf.math``: element-wise arithmetic, comparisons and reductions with TensorFlow's names,
arguments (``axis``, ``keepdims``) and dtype rules, on minidl's differentiable ops.

TensorFlow's rules that differ from NumPy's and are kept here:

* no dtype promotion: Python/NumPy data is converted to the dtype of the tensor beside it;
* ``reduce_mean`` of integers is an integer (the sum divided with truncation);
* ``argmax``/``argmin`` default to ``axis=0`` and return int64;
* ``round`` rounds half to even; ``divide`` of integers gives float64.

Functions with no derivative (comparisons, ``round``, ``sign``, ``argmax``, ...) return constants,
as their gradient is zero or undefined in TensorFlow too.
"""

from collections import namedtuple

import numpy as np

from minidl import ops
from minidl.autograd.tensor import Tensor
from minidl.ops import activations as activation_ops
from minidl.ops import math as math_ops
from minidl.ops import reductions
from minidl.runtime import backend
from minidl.tf import dtypes
from minidl.tf.op_support import numeric_operand, operand, operands, tf_function
from minidl.tf.tensor import as_tf, constant, floor_divide, floor_mod, true_divide


def _constant(array):
    return as_tf(Tensor._from_op(array))


def _axis(axis):
    """TensorFlow's axis argument (None, an int, a list/tuple or a tensor) as minidl's."""
    if axis is None:
        return None
    if isinstance(axis, Tensor):
        axis = axis.numpy().tolist()
    if isinstance(axis, (list, tuple)):
        return tuple(int(a) for a in axis)
    return int(axis)


# -- arithmetic ---------------------------------------------------------------------------------

@tf_function("tf.math.add")
def add(x, y, name=None):
    return as_tf(math_ops.add(*operands(x, y)))


@tf_function("tf.math.subtract")
def subtract(x, y, name=None):
    return as_tf(math_ops.sub(*operands(x, y)))


@tf_function("tf.math.multiply")
def multiply(x, y, name=None):
    return as_tf(math_ops.mul(*operands(x, y)))


@tf_function("tf.math.divide")
def divide(x, y, name=None):
    return true_divide(*operands(x, y))


truediv = divide


@tf_function("tf.math.floordiv")
def floordiv(x, y, name=None):
    return floor_divide(*operands(x, y))


@tf_function("tf.math.floormod")
def floormod(x, y, name=None):
    return floor_mod(*operands(x, y))


mod = floormod


@tf_function("tf.math.divide_no_nan")
def divide_no_nan(x, y, name=None):
    """x / y, and 0 wherever y is 0 (its gradient there is 0 too)."""
    x, y = operands(x, y)
    zero = y.data == 0
    safe = as_tf(math_ops.where(zero, 1, y))
    return as_tf(math_ops.where(zero, 0, true_divide(x, safe)))


@tf_function("tf.math.pow")
def pow(x, y, name=None):  # noqa: A001 - TensorFlow's name
    return as_tf(math_ops.pow(*operands(x, y)))


@tf_function("tf.math.negative")
def negative(x, name=None):
    return as_tf(math_ops.neg(operand(x)))


@tf_function("tf.math.abs")
def abs(x, name=None):  # noqa: A001 - TensorFlow's name
    return as_tf(math_ops.abs(operand(x)))


@tf_function("tf.math.square")
def square(x, name=None):
    x = operand(x)
    return as_tf(math_ops.mul(x, x))


@tf_function("tf.math.squared_difference")
def squared_difference(x, y, name=None):
    difference = subtract(x, y)
    return as_tf(math_ops.mul(difference, difference))


@tf_function("tf.math.sqrt")
def sqrt(x, name=None):
    return as_tf(math_ops.sqrt(operand(x)))


@tf_function("tf.math.rsqrt")
def rsqrt(x, name=None):
    x = operand(x)
    return true_divide(1, as_tf(math_ops.sqrt(x)))


@tf_function("tf.math.reciprocal")
def reciprocal(x, name=None):
    return true_divide(1, operand(x))


@tf_function("tf.math.exp")
def exp(x, name=None):
    return as_tf(math_ops.exp(operand(x)))


@tf_function("tf.math.log")
def log(x, name=None):
    return as_tf(math_ops.log(operand(x)))


@tf_function("tf.math.log1p")
def log1p(x, name=None):
    x = operand(x)
    return as_tf(math_ops.log(math_ops.add(x, 1)))


@tf_function("tf.math.expm1")
def expm1(x, name=None):
    return as_tf(math_ops.sub(math_ops.exp(operand(x)), 1))


@tf_function("tf.math.maximum")
def maximum(x, y, name=None):
    return as_tf(math_ops.maximum(*operands(x, y)))


@tf_function("tf.math.minimum")
def minimum(x, y, name=None):
    return as_tf(math_ops.minimum(*operands(x, y)))


@tf_function("tf.clip_by_value")
def clip_by_value(t, clip_value_min, clip_value_max, name=None):
    """``t`` limited to [min, max]; the bounds may be tensors that broadcast against ``t``."""
    t = operand(t)
    low, high = operands(t, clip_value_min, clip_value_max)[1:]
    return as_tf(math_ops.minimum(math_ops.maximum(t, low), high))


@tf_function("tf.clip_by_norm")
def clip_by_norm(t, clip_norm, axes=None, name=None):
    """``t * clip_norm / max(||t||, clip_norm)``: ``t`` scaled down to L2 norm ``clip_norm`` (over
    ``axes``, all by default) where it is longer, unchanged elsewhere. A zero ``t`` stays zero."""
    t = operand(t)
    clip_norm = operands(t, clip_norm)[1]
    squares = reductions.sum(math_ops.square(t), axis=_axis(axes), keepdims=True)
    # sqrt only where the sum is > 0: its derivative at 0 is infinite (TensorFlow's guard)
    positive = squares.data > 0
    norm = math_ops.where(positive, math_ops.sqrt(math_ops.where(positive, squares, 1)), squares)
    return as_tf(math_ops.div(math_ops.mul(t, clip_norm), math_ops.maximum(norm, clip_norm)))


@tf_function("tf.linalg.global_norm")
def global_norm(t_list, name=None):
    """sqrt(sum of every element squared of every tensor in ``t_list``); None entries are skipped."""
    tensors = [operand(t) for t in t_list if t is not None]
    if not tensors:
        raise ValueError("tf.linalg.global_norm: t_list holds no tensor")
    total = None
    for tensor in tensors:
        squares = reductions.sum(math_ops.square(tensor))
        total = squares if total is None else math_ops.add(total, squares)
    return as_tf(math_ops.sqrt(total))


@tf_function("tf.clip_by_global_norm")
def clip_by_global_norm(t_list, clip_norm, use_norm=None, name=None):
    """``([t * clip_norm / max(global_norm, clip_norm) for t in t_list], global_norm)``: every
    tensor scaled by one factor so that their joint L2 norm is at most ``clip_norm`` (None entries
    stay None), as TensorFlow's gradient clipping of custom training loops does."""
    if isinstance(t_list, (Tensor, np.ndarray)) or not hasattr(t_list, "__iter__"):
        raise TypeError(f"tf.clip_by_global_norm: t_list must be a list of tensors, got {type(t_list).__name__}")
    t_list = list(t_list)
    norm = operand(global_norm(t_list) if use_norm is None else use_norm)
    clipped = []
    for t in t_list:
        if t is None:
            clipped.append(None)
            continue
        t = operand(t)
        norm_t, clip_t = operands(t, norm, clip_norm)[1:]  # in t's dtype, as TensorFlow casts them
        clipped.append(as_tf(math_ops.div(math_ops.mul(t, clip_t), math_ops.maximum(norm_t, clip_t))))
    return clipped, as_tf(norm)


@tf_function("tf.math.add_n")
def add_n(inputs, name=None):
    """The element-wise sum of a list of tensors of one shape."""
    tensors = operands(*inputs)
    total = tensors[0]
    for tensor in tensors[1:]:
        total = math_ops.add(total, tensor)
    return as_tf(total)


@tf_function("tf.math.scalar_mul")
def scalar_mul(scalar, x, name=None):
    return multiply(x, scalar)


# -- activations that TensorFlow keeps in tf.math --------------------------------------------------

@tf_function("tf.math.sigmoid")
def sigmoid(x, name=None):
    return as_tf(activation_ops.sigmoid(operand(x)))


@tf_function("tf.math.tanh")
def tanh(x, name=None):
    return as_tf(activation_ops.tanh(operand(x)))


@tf_function("tf.math.softplus")
def softplus(features, name=None):
    return as_tf(activation_ops.softplus(operand(features)))


# -- without a derivative ---------------------------------------------------------------------------

@tf_function("tf.math.round")
def round(x, name=None):  # noqa: A001 - TensorFlow's name
    """Round half to even, as TensorFlow (and NumPy) do."""
    x = operand(x)
    return _constant(x.data.round()) if dtypes.is_floating(x.dtype) else x


@tf_function("tf.math.floor")
def floor(x, name=None):
    return _constant(operand(x).data // 1)


@tf_function("tf.math.ceil")
def ceil(x, name=None):
    return _constant(-((-operand(x).data) // 1))


@tf_function("tf.math.sign")
def sign(x, name=None):
    x = operand(x)
    data = x.data
    return _constant((data > 0).astype(data.dtype) - (data < 0).astype(data.dtype))


def _comparison(public_name, compare):
    @tf_function(public_name)
    def function(x, y, name=None):
        x, y = operands(x, y)
        return _constant(compare(x.data, y.data))

    function.__name__ = public_name.rsplit(".", 1)[-1]
    return function


equal = _comparison("tf.math.equal", lambda a, b: a == b)
not_equal = _comparison("tf.math.not_equal", lambda a, b: a != b)
greater = _comparison("tf.math.greater", lambda a, b: a > b)
greater_equal = _comparison("tf.math.greater_equal", lambda a, b: a >= b)
less = _comparison("tf.math.less", lambda a, b: a < b)
less_equal = _comparison("tf.math.less_equal", lambda a, b: a <= b)
logical_and = _comparison("tf.math.logical_and", lambda a, b: a & b)
logical_or = _comparison("tf.math.logical_or", lambda a, b: a | b)
logical_xor = _comparison("tf.math.logical_xor", lambda a, b: a ^ b)


@tf_function("tf.math.logical_not")
def logical_not(x, name=None):
    return _constant(~operand(x).data)


@tf_function("tf.math.is_nan")
def is_nan(x, name=None):
    return _constant(backend.get_xp().isnan(operand(x).data))


@tf_function("tf.math.is_finite")
def is_finite(x, name=None):
    return _constant(backend.get_xp().isfinite(operand(x).data))


@tf_function("tf.math.is_inf")
def is_inf(x, name=None):
    return _constant(backend.get_xp().isinf(operand(x).data))


# -- reductions -------------------------------------------------------------------------------------

@tf_function("tf.math.reduce_sum")
def reduce_sum(input_tensor, axis=None, keepdims=False, name=None):
    """The sum; integer tensors keep their dtype (NumPy would widen int32 to int64)."""
    x = numeric_operand(input_tensor, "tf.math.reduce_sum")
    if dtypes.is_floating(x.dtype):
        return as_tf(reductions.sum(x, axis=_axis(axis), keepdims=keepdims))
    return _constant(x.data.sum(axis=_axis(axis), keepdims=keepdims, dtype=x.dtype))


@tf_function("tf.math.reduce_mean")
def reduce_mean(input_tensor, axis=None, keepdims=False, name=None):
    """The mean; for integer tensors the sum divided with truncation toward zero, as in TensorFlow."""
    x = numeric_operand(input_tensor, "tf.math.reduce_mean")
    if dtypes.is_floating(x.dtype):
        return as_tf(reductions.mean(x, axis=_axis(axis), keepdims=keepdims))
    xp = backend.get_xp()
    total = x.data.sum(axis=_axis(axis), keepdims=keepdims, dtype=x.dtype)
    count = max(x.data.size // max(total.size, 1), 1)
    truncated = xp.sign(total) * (xp.abs(total) // count)
    return _constant(truncated.astype(x.dtype))


@tf_function("tf.math.reduce_max")
def reduce_max(input_tensor, axis=None, keepdims=False, name=None):
    return as_tf(reductions.max(numeric_operand(input_tensor, "tf.math.reduce_max"), axis=_axis(axis), keepdims=keepdims))


@tf_function("tf.math.reduce_min")
def reduce_min(input_tensor, axis=None, keepdims=False, name=None):
    return as_tf(reductions.min(numeric_operand(input_tensor, "tf.math.reduce_min"), axis=_axis(axis), keepdims=keepdims))


@tf_function("tf.math.reduce_variance")
def reduce_variance(input_tensor, axis=None, keepdims=False, name=None):
    return as_tf(reductions.var(numeric_operand(input_tensor, "tf.math.reduce_variance"), axis=_axis(axis), keepdims=keepdims))


@tf_function("tf.math.reduce_std")
def reduce_std(input_tensor, axis=None, keepdims=False, name=None):
    return as_tf(math_ops.sqrt(reductions.var(numeric_operand(input_tensor, "tf.math.reduce_std"), axis=_axis(axis), keepdims=keepdims)))


@tf_function("tf.math.reduce_logsumexp")
def reduce_logsumexp(input_tensor, axis=None, keepdims=False, name=None):
    """log(sum(exp(x))) computed stably: the maximum is taken out first."""
    x = numeric_operand(input_tensor, "tf.math.reduce_logsumexp")
    axis = _axis(axis)
    peak = _constant(x.data.max(axis=axis, keepdims=True))
    total = reductions.sum(math_ops.exp(math_ops.sub(x, peak)), axis=axis, keepdims=True)
    result = math_ops.add(math_ops.log(total), peak)
    if not keepdims:
        result = ops.squeeze(result, axis=axis if axis is not None else tuple(range(x.ndim)))
    return as_tf(result)


@tf_function("tf.math.reduce_prod")
def reduce_prod(input_tensor, axis=None, keepdims=False, name=None):
    x = numeric_operand(input_tensor, "tf.math.reduce_prod")
    if x.requires_grad:
        raise NotImplementedError(
            "tf.reduce_prod has no gradient in minidl; for a product of positive values use "
            "tf.exp(tf.reduce_sum(tf.math.log(x), axis))"
        )
    return _constant(x.data.prod(axis=_axis(axis), keepdims=keepdims, dtype=x.dtype))


@tf_function("tf.math.reduce_all")
def reduce_all(input_tensor, axis=None, keepdims=False, name=None):
    return _constant(operand(input_tensor).data.astype(bool).all(axis=_axis(axis), keepdims=keepdims))


@tf_function("tf.math.reduce_any")
def reduce_any(input_tensor, axis=None, keepdims=False, name=None):
    return _constant(operand(input_tensor).data.astype(bool).any(axis=_axis(axis), keepdims=keepdims))


@tf_function("tf.math.count_nonzero")
def count_nonzero(input, axis=None, keepdims=False, dtype=dtypes.int64, name=None):  # noqa: A002
    data = operand(input).data
    return _constant((data != 0).sum(axis=_axis(axis), keepdims=keepdims).astype(dtype))


@tf_function("tf.math.argmax")
def argmax(input, axis=None, output_type=dtypes.int64, name=None):  # noqa: A002 - TensorFlow's names
    """Index of the largest value along ``axis`` (default 0, as in TensorFlow)."""
    x = operand(input)
    return _constant(x.data.argmax(axis=0 if axis is None else _axis(axis)).astype(output_type))


@tf_function("tf.math.argmin")
def argmin(input, axis=None, output_type=dtypes.int64, name=None):  # noqa: A002
    x = operand(input)
    return _constant(x.data.argmin(axis=0 if axis is None else _axis(axis)).astype(output_type))


@tf_function("tf.math.cumsum")
def cumsum(x, axis=0, exclusive=False, reverse=False, name=None):
    """Running sums along ``axis`` (a constant: minidl has no gradient for it)."""
    x = operand(x)
    if x.requires_grad:
        raise NotImplementedError(
            "tf.cumsum has no gradient in minidl; multiply by a triangular matrix of ones "
            "(tf.matmul(x, upper_ones)) for a differentiable running sum"
        )
    xp = backend.get_xp()
    data = xp.flip(x.data, axis) if reverse else x.data
    result = data.cumsum(axis=axis, dtype=data.dtype)
    if exclusive:
        result = result - data
    return _constant(xp.flip(result, axis) if reverse else result)


@tf_function("tf.math.l2_normalize")
def l2_normalize(x, axis=None, epsilon=1e-12, name=None):
    """x / sqrt(max(sum(x^2, axis), epsilon))."""
    x = operand(x)
    squares = reductions.sum(math_ops.mul(x, x), axis=_axis(axis), keepdims=True)
    return as_tf(math_ops.div(x, math_ops.sqrt(math_ops.maximum(squares, epsilon))))


TopKV2 = namedtuple("TopKV2", ["values", "indices"])


@tf_function("tf.math.top_k")
def top_k(input, k=1, sorted=True, name=None):  # noqa: A002 - TensorFlow's names
    """The ``k`` largest values along the last axis and their indices (values and indices as constants)."""
    data = operand(input).numpy()
    order = np.argsort(-data, axis=-1, kind="stable")[..., :k]
    values = np.take_along_axis(data, order, axis=-1)
    return TopKV2(constant(values), constant(order.astype(np.int32)))


@tf_function("tf.math.in_top_k")
def in_top_k(targets, predictions, k, name=None):
    """Whether each target class is among the ``k`` highest predictions of its row."""
    predictions = operand(predictions).numpy()
    targets = np.asarray(operand(targets).numpy()).astype(np.int64)
    target_scores = predictions[np.arange(len(targets)), targets]
    higher = (predictions > target_scores[:, None]).sum(axis=1)
    return constant(higher < k)


@tf_function("tf.math.confusion_matrix")
def confusion_matrix(labels, predictions, num_classes=None, weights=None, dtype=dtypes.int32, name=None):
    """counts[i, j] = how many samples of true class i were predicted as class j."""
    labels = np.asarray(operand(labels).numpy()).astype(np.int64).ravel()
    predictions = np.asarray(operand(predictions).numpy()).astype(np.int64).ravel()
    if num_classes is None:
        num_classes = int(max(labels.max(initial=-1), predictions.max(initial=-1))) + 1
    counts = np.zeros((num_classes, num_classes), dtype=dtype)
    sample_weights = np.ones(len(labels)) if weights is None else np.asarray(operand(weights).numpy()).ravel()
    np.add.at(counts, (labels, predictions), sample_weights.astype(dtype))
    return constant(counts)


@tf_function("tf.linalg.matmul")
def matmul(a, b, transpose_a=False, transpose_b=False, adjoint_a=False, adjoint_b=False, a_is_sparse=False,
           b_is_sparse=False, output_type=None, name=None):
    """The matrix product over the last two axes (leading axes broadcast)."""
    a, b = operands(a, b)
    if transpose_a or adjoint_a:
        a = ops.transpose(a, tuple(range(a.ndim - 2)) + (a.ndim - 1, a.ndim - 2))
    if transpose_b or adjoint_b:
        b = ops.transpose(b, tuple(range(b.ndim - 2)) + (b.ndim - 1, b.ndim - 2))
    return as_tf(math_ops.matmul(a, b))
