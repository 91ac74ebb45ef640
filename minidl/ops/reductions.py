"""Reductions over axes: sum, mean, max, min, var, and argmax (which has no gradient)."""

from minidl.autograd.function import Function, xp
from minidl.autograd.tensor import Tensor
from minidl.ops._util import as_tensor
from minidl.ops.arguments import normalize_axis


def _expand_reduced(grad, input_shape, axis, keepdims):
    """Reinsert the reduced axes as size 1 so ``grad`` broadcasts against the input."""
    if keepdims or axis is None:
        return grad.reshape([1] * len(input_shape)) if axis is None else grad
    axes = axis if isinstance(axis, tuple) else (axis,)
    shape = list(grad.shape)
    for a in sorted(axes):
        shape.insert(a, 1)
    return grad.reshape(shape)


def _reduced_count(shape, axis):
    if axis is None:
        count = 1
        for size in shape:
            count *= size
        return count
    axes = axis if isinstance(axis, tuple) else (axis,)
    count = 1
    for a in axes:
        count *= shape[a]
    return count


class Sum(Function):
    def __init__(self, axis=None, keepdims=False):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        self.input_shape = x.shape
        return x.sum(axis=self.axis, keepdims=self.keepdims)

    def backward(self, gy):
        # d sum(x)/dx_i = 1: the gradient is copied back over the summed axes
        gy = _expand_reduced(gy, self.input_shape, self.axis, self.keepdims)
        return xp().broadcast_to(gy, self.input_shape)


class Mean(Function):
    def __init__(self, axis=None, keepdims=False):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        self.input_shape = x.shape
        return x.mean(axis=self.axis, keepdims=self.keepdims)

    def backward(self, gy):
        # d mean(x)/dx_i = 1/n over the n averaged elements
        gy = _expand_reduced(gy, self.input_shape, self.axis, self.keepdims)
        count = _reduced_count(self.input_shape, self.axis)
        return xp().broadcast_to(gy / count, self.input_shape)


class _Extremum(Function):
    """Shared max/min: the gradient flows to the extreme elements, split evenly among ties."""

    reduce_name = "max"

    def __init__(self, axis=None, keepdims=False):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        y = getattr(x, self.reduce_name)(axis=self.axis, keepdims=self.keepdims)
        self.is_extreme = x == _expand_reduced(y, x.shape, self.axis, self.keepdims)
        return y

    def backward(self, gy):
        # d max(x)/dx_i = 1/k for each of the k elements equal to the maximum, else 0
        gy = _expand_reduced(gy, self.is_extreme.shape, self.axis, self.keepdims)
        ties = self.is_extreme.sum(axis=self.axis, keepdims=True).astype(gy.dtype)
        return self.is_extreme * (gy / ties)


class Max(_Extremum):
    reduce_name = "max"


class Min(_Extremum):
    reduce_name = "min"


class Var(Function):
    """Population variance (divides by n, as tf.math.reduce_variance and Keras do)."""

    def __init__(self, axis=None, keepdims=False):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        self.centered = x - x.mean(axis=self.axis, keepdims=True)
        self.count = _reduced_count(x.shape, self.axis)
        return (self.centered * self.centered).mean(axis=self.axis, keepdims=self.keepdims)

    def backward(self, gy):
        # d var(x)/dx_i = 2 (x_i - mean) / n
        gy = _expand_reduced(gy, self.centered.shape, self.axis, self.keepdims)
        return gy * (2 / self.count) * self.centered


def _reduction(function_class, name, x, axis, keepdims):
    x = as_tensor(x)
    return function_class(normalize_axis(axis, x.ndim, name), keepdims)(x)


def sum(x, axis=None, keepdims=False):  # noqa: A001 - mirrors numpy.sum
    return _reduction(Sum, "sum", x, axis, keepdims)


def mean(x, axis=None, keepdims=False):
    return _reduction(Mean, "mean", x, axis, keepdims)


def max(x, axis=None, keepdims=False):  # noqa: A001 - mirrors numpy.max
    return _reduction(Max, "max", x, axis, keepdims)


def min(x, axis=None, keepdims=False):  # noqa: A001 - mirrors numpy.min
    return _reduction(Min, "min", x, axis, keepdims)


def var(x, axis=None, keepdims=False):
    return _reduction(Var, "var", x, axis, keepdims)


def argmax(x, axis=None):
    """Index of the largest element along ``axis``: an integer tensor outside the graph."""
    x = as_tensor(x)
    return Tensor._from_op(x.data.argmax(axis=normalize_axis(axis, x.ndim, "argmax")))


def argmin(x, axis=None):
    x = as_tensor(x)
    return Tensor._from_op(x.data.argmin(axis=normalize_axis(axis, x.ndim, "argmin")))
