"""TensorFlow's tensor creation and shape functions: ``zeros``, ``ones``, ``fill``, ``range``,
``one_hot``, ``reshape``, ``concat``, ``stack``, ``transpose``, ``gather``, ``tile``, ...

Each is a minidl op (so gradients flow through reshapes, concatenations, slices and copies) with
TensorFlow's argument names and defaults: ``tf.zeros`` is float32, ``tf.range`` of ints is
int32, ``tf.concat`` needs its ``axis``, ``tf.transpose`` reverses the axes unless ``perm`` is given.
"""

import builtins

import numpy as np

from minidl.autograd.tensor import Tensor
from minidl.ops import math as math_ops
from minidl.ops import shapes
from minidl.ops.arguments import is_int
from minidl.ops.broadcast import broadcast_to as broadcast_op
from minidl.ops.broadcast import tile as tile_op
from minidl.ops.casting import cast as cast_op
from minidl.runtime import backend
from minidl.tf import dtypes
from minidl.tf.op_support import operand, operands, tf_function
from minidl.tf.tensor import TensorShape, _from_host, as_tf, constant


def _shape_argument(shape, who=None, minimum=None):
    """A shape (or a list of axes) given as an int, a list, a TensorShape or a 1-D integer tensor.

    Every entry must be an integer -- 2.5 is not truncated to 2 -- and, where ``minimum`` is
    given, at least ``minimum`` (0 for the shape of a new tensor, as TensorFlow requires);
    otherwise ``who`` (the function's name) says what was wrong."""
    if isinstance(shape, Tensor):
        shape = shape.numpy().tolist()
    if is_int(shape):
        shape = (shape,)
    try:  # a size may be a scalar tensor, as tf.shape(x)[0] gives
        sizes = tuple(size.numpy().item() if isinstance(size, Tensor) and size.ndim == 0 else size for size in shape)
    except TypeError:
        sizes = None
    if sizes is None or not all(is_int(size) and (minimum is None or size >= minimum) for size in sizes):
        expected = "integers" if minimum is None else f"integers >= {minimum}"
        raise ValueError(f"{who or 'tf'}: expected a shape of {expected}, got {shape!r}")
    return tuple(int(size) for size in sizes)


# -- creation -------------------------------------------------------------------------------------

def zeros(shape, dtype=dtypes.float32, name=None):
    return _from_host(np.zeros(_shape_argument(shape, "tf.zeros", minimum=0), dtype=dtypes.as_dtype(dtype)))


def ones(shape, dtype=dtypes.float32, name=None):
    return _from_host(np.ones(_shape_argument(shape, "tf.ones", minimum=0), dtype=dtypes.as_dtype(dtype)))


def fill(dims, value, name=None):
    value = constant(value)
    return _from_host(np.full(_shape_argument(dims, "tf.fill", minimum=0), value.numpy(), dtype=value.dtype))


def zeros_like(input, dtype=None, name=None):  # noqa: A002 - TensorFlow's name
    x = operand(input)
    return as_tf(Tensor._from_op(backend.get_xp().zeros(x.shape, dtype=dtype or x.dtype)))


def ones_like(input, dtype=None, name=None):  # noqa: A002
    x = operand(input)
    return as_tf(Tensor._from_op(backend.get_xp().ones(x.shape, dtype=dtype or x.dtype)))


def eye(num_rows, num_columns=None, batch_shape=None, dtype=dtypes.float32, name=None):
    matrix = np.eye(int(num_rows), None if num_columns is None else int(num_columns), dtype=dtype)
    if batch_shape is not None:
        matrix = np.broadcast_to(matrix, _shape_argument(batch_shape, "tf.eye", minimum=0) + matrix.shape).copy()
    return _from_host(matrix)


def range(start, limit=None, delta=1, dtype=None, name="range"):  # noqa: A001 - TensorFlow's name
    """``tf.range(5)`` -> [0 1 2 3 4] (int32); floats give float32."""
    if limit is None:
        start, limit = 0, start
    values = [value.numpy().item() if isinstance(value, Tensor) else value for value in (start, limit, delta)]
    if dtype is None:
        dtype = dtypes.float32 if any(isinstance(v, float) for v in values) else dtypes.int32
    return _from_host(np.arange(*values).astype(dtype))


def linspace(start, stop, num, name=None, axis=0):
    return _from_host(np.linspace(float(start), float(stop), int(num), dtype=np.float32))


@tf_function("tf.one_hot")
def one_hot(indices, depth, on_value=None, off_value=None, axis=None, dtype=None, name=None):
    """Rows of ``depth`` values: ``on_value`` (1) at each index, ``off_value`` (0) elsewhere; an
    index outside [0, depth) gives a row of ``off_value``, as in TensorFlow."""
    indices = np.asarray(operand(indices).numpy()).astype(np.int64)
    dtype = np.dtype(dtype or dtypes.float32)
    on = 1 if on_value is None else on_value
    off = 0 if off_value is None else off_value
    if not is_int(depth) or depth < 0:
        raise ValueError(f"tf.one_hot: depth must be an integer >= 0, got {depth!r}")
    depth = int(depth)
    hits = indices[..., None] == np.arange(depth)
    encoded = np.where(hits, on, off).astype(dtype)
    if axis is not None and axis != -1:
        encoded = np.moveaxis(encoded, -1, axis)
    return _from_host(encoded)


# -- shapes ---------------------------------------------------------------------------------------

@tf_function("tf.reshape")
def reshape(tensor, shape, name=None):
    return as_tf(shapes.reshape(operand(tensor), _shape_argument(shape, "tf.reshape", minimum=-1)))


@tf_function("tf.transpose")
def transpose(a, perm=None, conjugate=False, name="transpose"):
    a = operand(a)
    return as_tf(shapes.transpose(a, None if perm is None else _shape_argument(perm, "tf.transpose")))


@tf_function("tf.concat")
def concat(values, axis, name="concat"):
    return as_tf(shapes.concatenate(operands(*values), axis=int(axis)))


@tf_function("tf.stack")
def stack(values, axis=0, name="stack"):
    return as_tf(shapes.stack(operands(*values), axis=int(axis)))


@tf_function("tf.unstack")
def unstack(value, num=None, axis=0, name="unstack"):
    value = operand(value)
    axis = int(axis) % value.ndim
    return [as_tf(shapes.getitem(value, (slice(None),) * axis + (index,))) for index in builtins.range(value.shape[axis])]


@tf_function("tf.split")
def split(value, num_or_size_splits, axis=0, num=None, name="split"):
    """Equal parts (an int) or parts of the given sizes (a list), along ``axis``."""
    value = operand(value)
    if isinstance(num_or_size_splits, (int, np.integer)):
        parts = shapes.split(value, int(num_or_size_splits), axis=int(axis))
    else:
        sizes = [int(size) for size in num_or_size_splits]
        parts = shapes.split(value, list(np.cumsum(sizes)[:-1]), axis=int(axis))
    return [as_tf(part) for part in parts]


@tf_function("tf.expand_dims")
def expand_dims(input, axis, name=None):  # noqa: A002 - TensorFlow's name
    return as_tf(shapes.expand_dims(operand(input), int(axis)))


@tf_function("tf.squeeze")
def squeeze(input, axis=None, name=None):  # noqa: A002
    axis = None if axis is None else (tuple(axis) if isinstance(axis, (list, tuple)) else int(axis))
    return as_tf(shapes.squeeze(operand(input), axis))


@tf_function("tf.tile")
def tile(input, multiples, name=None):  # noqa: A002
    return as_tf(tile_op(operand(input), _shape_argument(multiples, "tf.tile", minimum=0)))


@tf_function("tf.broadcast_to")
def broadcast_to(input, shape, name=None):  # noqa: A002
    return as_tf(broadcast_op(operand(input), _shape_argument(shape, "tf.broadcast_to", minimum=0)))


@tf_function("tf.pad")
def pad(tensor, paddings, mode="CONSTANT", constant_values=0, name=None):
    if str(mode).upper() != "CONSTANT":
        raise NotImplementedError(
            f"tf.pad: mode={mode!r} is not supported by minidl, only 'CONSTANT'; for reflection use np.pad on host data"
        )
    pairs = paddings.numpy().tolist() if isinstance(paddings, Tensor) else paddings
    return as_tf(shapes.pad(operand(tensor), pairs, value=constant_values))


@tf_function("tf.reverse")
def reverse(tensor, axis, name=None):
    return as_tf(shapes.flip(operand(tensor), tuple(_shape_argument(axis, "tf.reverse"))))


@tf_function("tf.gather")
def gather(params, indices, validate_indices=None, axis=None, batch_dims=0, name=None):
    """``params`` at ``indices`` along ``axis`` (default 0); the gradient scatters back."""
    params = operand(params)
    axis = 0 if axis is None else int(axis) % params.ndim
    index = operand(indices).data
    return as_tf(shapes.getitem(params, (slice(None),) * axis + (index,)))


@tf_function("tf.boolean_mask")
def boolean_mask(tensor, mask, axis=None, name="boolean_mask"):
    tensor = operand(tensor)
    mask = operand(mask).data.astype(bool)
    axis = 0 if axis is None else int(axis)
    return as_tf(shapes.getitem(tensor, (slice(None),) * axis + (mask,)))


@tf_function("tf.where")
def where(condition, x=None, y=None, name=None):
    """``x`` where ``condition`` holds, else ``y``; with only a condition, the indices of its true
    elements (int64, one row per element), as in TensorFlow."""
    condition = operand(condition)
    if x is None and y is None:
        return constant(np.argwhere(condition.numpy()).astype(np.int64))
    if x is None or y is None:
        raise ValueError("tf.where: give both x and y, or neither")
    x, y = operands(x, y)
    return as_tf(math_ops.where(condition.data.astype(bool), x, y))


@tf_function("tf.cast")
def cast(x, dtype, name=None):
    """``x`` as ``dtype``; float to int truncates toward zero, as in TensorFlow."""
    x = operand(x)
    dtype = np.dtype(dtype)
    if dtypes.is_integer(dtype) and dtypes.is_floating(x.dtype):
        return as_tf(Tensor._from_op(backend.get_xp().trunc(x.data).astype(dtype)))
    return as_tf(cast_op(x, dtype))


@tf_function("tf.identity")
def identity(input, name=None):  # noqa: A002
    """A tensor with the same values. Inside the graph it is a new node (y = x + 0) through which
    gradients pass unchanged; outside, a copy."""
    x = operand(input)
    if x.requires_grad:
        return as_tf(math_ops.add(x, x.dtype.type(0)))
    return as_tf(Tensor._from_op(x.data.copy()))


def shape(input, out_type=dtypes.int32, name=None):  # noqa: A002
    """The shape as a 1-D integer tensor (``tf.shape(x)[0]`` is the batch size)."""
    return constant(np.array(_static_shape(input), dtype=out_type))


def size(input, out_type=dtypes.int32, name=None):  # noqa: A002
    return constant(np.array(int(np.prod(_static_shape(input))), dtype=out_type))


def rank(input, name=None):  # noqa: A002
    return constant(np.array(len(_static_shape(input)), dtype=np.int32))


def _static_shape(value):
    if isinstance(value, Tensor):
        return tuple(value.shape)
    return tuple(np.shape(value))


def sort(values, axis=-1, direction="ASCENDING", name=None):
    data = operand(values).numpy()
    ordered = np.sort(data, axis=axis)
    return constant(np.flip(ordered, axis) if direction == "DESCENDING" else ordered)


def argsort(values, axis=-1, direction="ASCENDING", stable=False, name=None):
    data = operand(values).numpy()
    order = np.argsort(-data if direction == "DESCENDING" else data, axis=axis, kind="stable")
    return constant(order.astype(np.int32))


def get_static_value(tensor, partial=False):
    return tensor.numpy() if isinstance(tensor, Tensor) else np.asarray(tensor)


__all__ = [
    "TensorShape", "argsort", "boolean_mask", "broadcast_to", "cast", "concat", "expand_dims", "eye", "fill",
    "gather", "get_static_value", "identity", "linspace", "one_hot", "ones", "ones_like", "pad", "range", "rank",
    "reshape", "reverse", "shape", "size", "sort", "split", "squeeze", "stack", "tile", "transpose", "unstack",
    "where", "zeros", "zeros_like",
]
