"""Python operators and methods of ``Tensor``, each a call of the op that implements it.

Kept here, beside the ops, so that the autograd package does not depend on the op library:
``a + b`` is ``ops.add(a, b)``, ``t.sum(axis=0)`` is ``ops.sum(t, axis=0)``, and so on.

NumPy meets tensors the way it meets TensorFlow's eager tensors (what Keras code hands to
NumPy and matplotlib: ``np.mean(loss)``, ``plt.imshow(generator(noise)[0, :, :, 0])``):

* ``np.asarray(t)`` is an explicit copy to the host (``Tensor.__array__``);
* a NumPy operator with a tensor operand (``numpy_array + t``, ``array < t``) defers to the
  tensor's reflected operator (``Tensor.__array_priority__``), so the result is a Tensor in the
  graph;
* a NumPy function (``np.isfinite(t)``, ``np.exp(t)``, ``np.add(t, 1)``) or an in-place update
  of a NumPy array (``buffer += t``) runs on a host copy and gives a NumPy array, as it does for
  TensorFlow tensors;
* ``np.sum`` / ``np.mean`` / ``np.max`` / ``np.min`` call the tensor's reduction, and NumPy's
  on a host copy when NumPy-only options (``dtype``, ``out``) are given.
"""

import numpy as np

from minidl.autograd.tensor import Tensor
from minidl.ops import activations, math, reductions, shapes


def _reflected(op):
    return lambda self, other: op(other, self)


def _astype(self, dtype):
    """A copy converted to ``dtype``, outside the graph unless it stays floating point."""
    from minidl.ops.casting import cast

    return cast(self, dtype)


def bind_tensor_methods():
    methods = {
        "__add__": math.add, "__radd__": _reflected(math.add),
        "__sub__": math.sub, "__rsub__": _reflected(math.sub),
        "__mul__": math.mul, "__rmul__": _reflected(math.mul),
        "__truediv__": math.div, "__rtruediv__": _reflected(math.div),
        "__pow__": math.pow, "__rpow__": _reflected(math.pow),
        "__matmul__": math.matmul, "__rmatmul__": _reflected(math.matmul),
        "__neg__": math.neg, "__abs__": math.abs,
        "__getitem__": shapes.getitem,
        "exp": math.exp, "log": math.log, "sqrt": math.sqrt, "abs": math.abs,
        "clip": math.clip, "tanh": activations.tanh, "sigmoid": activations.sigmoid,
        "relu": activations.relu, "softmax": activations.softmax,
        "var": reductions.var, "argmax": reductions.argmax,
        "argmin": reductions.argmin,
        "reshape": shapes.reshape, "transpose": shapes.transpose, "flip": shapes.flip,
        "squeeze": shapes.squeeze, "expand_dims": shapes.expand_dims,
        "astype": _astype,
        "sum": _numpy_reduction(reductions.sum, "sum"), "mean": _numpy_reduction(reductions.mean, "mean"),
        "max": _numpy_reduction(reductions.max, "max"), "min": _numpy_reduction(reductions.min, "min"),
        "set_shape": _set_shape,
    }
    for name, function in methods.items():
        setattr(Tensor, name, function)
    Tensor.T = property(lambda self: shapes.transpose(self))

    # Comparisons give boolean tensors outside the graph (they have no useful derivative).
    for name in ("__lt__", "__le__", "__gt__", "__ge__", "__eq__", "__ne__"):
        setattr(Tensor, name, _comparison(name))


def _comparison(name):
    def compare(self, other):
        other_data = other.data if isinstance(other, Tensor) else other
        return Tensor._from_op(getattr(self.data, name)(other_data))

    compare.__name__ = name
    return compare


def _numpy_reduction(op, name):
    """``t.sum(axis, keepdims)`` as the op; with NumPy's extra options (``np.mean(t)`` passes
    ``dtype=None, out=None``) the op still runs unless they ask for something only NumPy does."""
    def reduce(self, axis=None, dtype=None, out=None, keepdims=False, **numpy_options):
        if dtype is None and out is None and not numpy_options:
            return op(self, axis=axis, keepdims=keepdims)
        return getattr(np, name)(self.numpy(), axis=axis, dtype=dtype, out=out, keepdims=keepdims, **numpy_options)

    reduce.__name__ = name
    return reduce


def _set_shape(self, shape):
    """``t.set_shape([None, 6, None])``: TensorFlow's static-shape hint. A tensor here always
    knows its shape, so this only checks that ``shape`` fits it (None matches any size)."""
    if shape is None:
        return
    wanted = [None if size is None else int(size) for size in shape]
    if len(wanted) != self.ndim or any(w is not None and w != size for w, size in zip(wanted, self.shape)):
        raise ValueError(f"set_shape: the tensor's shape {tuple(self.shape)} is not compatible with the supplied "
                         f"shape {wanted}")
