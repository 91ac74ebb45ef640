"""``keras.ops`` (Keras 3): NumPy-named tensor functions, on minidl's differentiable ops.

They are ``minidl.tf``'s functions with Keras 3's names and NumPy's defaults (``concatenate``
joins along axis 0, ``argmax`` without an axis looks at the flattened tensor) and, like those,
work on symbolic ``keras.Input`` tensors too, becoming layers of a functional model.
"""

import numpy as np

from minidl.autograd.tensor import Tensor
from minidl.keras import backend as _backend
from minidl.tf import array_ops, nn
from minidl.tf import math as tf_math
from minidl.tf.tensor import as_tf, convert_to_tensor

add = tf_math.add
subtract = tf_math.subtract
multiply = tf_math.multiply
divide = true_divide = tf_math.divide
power = tf_math.pow
negative = tf_math.negative
absolute = abs = tf_math.abs  # noqa: A001 - Keras's name
square = tf_math.square
sqrt = tf_math.sqrt
exp = tf_math.exp
log = tf_math.log
log1p = tf_math.log1p
sign = tf_math.sign
round = tf_math.round  # noqa: A001
floor = tf_math.floor
ceil = tf_math.ceil
maximum = tf_math.maximum
minimum = tf_math.minimum
equal = tf_math.equal
not_equal = tf_math.not_equal
greater = tf_math.greater
greater_equal = tf_math.greater_equal
less = tf_math.less
less_equal = tf_math.less_equal
logical_and = tf_math.logical_and
logical_or = tf_math.logical_or
logical_not = tf_math.logical_not
matmul = tf_math.matmul
dot = tf_math.matmul
expand_dims = array_ops.expand_dims
squeeze = array_ops.squeeze
stack = array_ops.stack
tile = array_ops.tile
broadcast_to = array_ops.broadcast_to
where = array_ops.where
cast = array_ops.cast
zeros_like = array_ops.zeros_like
ones_like = array_ops.ones_like
one_hot = array_ops.one_hot
relu = nn.relu
sigmoid = nn.sigmoid
tanh = nn.tanh
softplus = nn.softplus
elu = nn.elu
selu = nn.selu
silu = swish = nn.silu
softmax = nn.softmax
log_softmax = nn.log_softmax


def convert_to_numpy(x):
    return x.numpy() if isinstance(x, Tensor) else np.asarray(x)


def shape(x):
    return tuple(x.shape)


def reshape(x, newshape):
    return array_ops.reshape(x, newshape)


def transpose(x, axes=None):
    return array_ops.transpose(x, axes)


def concatenate(xs, axis=0):
    return array_ops.concat(xs, axis)


def sum(x, axis=None, keepdims=False):  # noqa: A001
    return tf_math.reduce_sum(x, axis, keepdims)


def mean(x, axis=None, keepdims=False):
    return tf_math.reduce_mean(x, axis, keepdims)


def max(x, axis=None, keepdims=False, initial=None):  # noqa: A001
    return tf_math.reduce_max(x, axis, keepdims)


def min(x, axis=None, keepdims=False, initial=None):  # noqa: A001
    return tf_math.reduce_min(x, axis, keepdims)


def var(x, axis=None, keepdims=False):
    return tf_math.reduce_variance(x, axis, keepdims)


def std(x, axis=None, keepdims=False):
    return tf_math.reduce_std(x, axis, keepdims)


def argmax(x, axis=None, keepdims=False):
    """Index of the maximum along ``axis``; of the flattened tensor when ``axis`` is None."""
    x = convert_to_tensor(x)
    if axis is None:
        return tf_math.argmax(array_ops.reshape(x, [-1]), 0)
    return tf_math.argmax(x, axis)


def argmin(x, axis=None, keepdims=False):
    x = convert_to_tensor(x)
    if axis is None:
        return tf_math.argmin(array_ops.reshape(x, [-1]), 0)
    return tf_math.argmin(x, axis)


def clip(x, x_min, x_max):
    return tf_math.clip_by_value(x, x_min, x_max)


def zeros(shape, dtype=None):
    return array_ops.zeros(shape, dtype=dtype or "float32")


def ones(shape, dtype=None):
    return array_ops.ones(shape, dtype=dtype or "float32")


def arange(start, stop=None, step=1, dtype=None):
    return array_ops.range(start, stop, step, dtype=dtype)


def take(x, indices, axis=None):
    if axis is None:
        return array_ops.gather(array_ops.reshape(x, [-1]), indices)
    return array_ops.gather(x, indices, axis=axis)


def split(x, indices_or_sections, axis=0):
    return array_ops.split(x, indices_or_sections, axis)


def stop_gradient(x):
    return as_tf(Tensor._from_op(convert_to_tensor(x).data))


def binary_crossentropy(target, output, from_logits=False):
    return _backend.binary_crossentropy(target, output, from_logits)


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    return _backend.categorical_crossentropy(target, output, from_logits, axis)


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    return _backend.sparse_categorical_crossentropy(target, output, from_logits, axis)
