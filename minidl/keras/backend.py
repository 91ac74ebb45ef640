"""``keras.backend`` (``K``): Keras 2's backend functions, for custom losses and metrics such
as ``K.sqrt(K.mean(K.square(y_pred - y_true)))``, and its settings (``image_data_format``,
``floatx``, ``epsilon``, ``clear_session``).

The tensor functions are ``minidl.tf``'s with Keras's names and defaults (``K.argmax`` takes
the last axis, ``K.concatenate`` too); they record for autograd like any minidl op. minidl is
channels-last only, so ``image_data_format()`` is always ``'channels_last'``.
"""

import numpy as np

from minidl.autograd.tensor import Tensor
from minidl.keras import activations as _activations
from minidl.layers.base import clear_session as _clear_names
from minidl.ops import losses as _loss_ops
from minidl.runtime import backend as _backend
from minidl.tf import array_ops, nn
from minidl.tf import math as tf_math
from minidl.tf import random as tf_random
from minidl.tf.op_support import operands
from minidl.tf.tensor import as_tf
from minidl.tf.tensor import constant as _tf_constant
from minidl.tf.variable import Variable

_EPSILON = [1e-7]


# -- settings -------------------------------------------------------------------------------------

def backend():
    """The name of the backend whose API this face presents."""
    return "tensorflow"


def image_data_format():
    return "channels_last"


def set_image_data_format(data_format):
    if data_format != "channels_last":
        raise ValueError(
            f"set_image_data_format: minidl is channels-last only, got {data_format!r}; transpose channels-first "
            "data with np.moveaxis(x, 1, -1)"
        )


def floatx():
    return np.dtype(_backend.floatx()).name


def set_floatx(value):
    _backend.set_floatx(value)


def epsilon():
    return _EPSILON[0]


def set_epsilon(value):
    _EPSILON[0] = float(value)


def clear_session(free_memory=True):
    """Start layer names afresh ('dense', 'dense_1', ... again), as Keras's clear_session does."""
    _clear_names()


def learning_phase():
    return 0


def set_learning_phase(value):
    """Accepted: minidl layers take ``training=`` per call (fit passes True, predict False)."""


def cast_to_floatx(x):
    return np.asarray(x, dtype=floatx())


# -- variables and values -----------------------------------------------------------------------

def variable(value, dtype=None, name=None, constraint=None):
    return Variable(value, dtype=dtype or floatx(), name=name)


def get_value(x):
    """The value of a tensor or variable as NumPy (a Python number passes through)."""
    if isinstance(x, Tensor):
        return x.numpy()
    return x if np.isscalar(x) else np.asarray(x)


eval = get_value  # noqa: A001 - Keras's name


def batch_get_value(tensors):
    return [get_value(x) for x in tensors]


def set_value(x, value):
    """Overwrite a variable's values in place; ``K.set_value(optimizer.learning_rate, 0.01)``
    (tf.keras 2's way) assigns the rate."""
    if not isinstance(x, Tensor) and callable(getattr(x, "assign", None)):
        x.assign(value)
        return
    if not isinstance(x, Tensor):
        raise TypeError(
            f"K.set_value: {type(x).__name__} is not a variable. To change an optimizer's learning rate in minidl, "
            "assign it: model.optimizer.learning_rate = value"
        )
    x.data[...] = _backend.to_device(np.asarray(value, dtype=x.dtype))


def int_shape(x):
    return tuple(x.shape)


def ndim(x):
    return len(x.shape)


def dtype(x):
    return np.dtype(x.dtype).name


def count_params(x):
    return int(np.prod(x.shape))


def is_keras_tensor(x):
    from minidl.layers.base import SymbolicTensor

    return isinstance(x, SymbolicTensor)


def stop_gradient(x):
    return as_tf(Tensor._from_op(x.data if isinstance(x, Tensor) else _tf_constant(x).data))


# -- tensor functions ---------------------------------------------------------------------------------

shape = array_ops.shape
zeros_like = array_ops.zeros_like
ones_like = array_ops.ones_like
reshape = array_ops.reshape
transpose = array_ops.transpose
stack = array_ops.stack
tile = array_ops.tile
gather = array_ops.gather
cast = array_ops.cast
abs = tf_math.abs  # noqa: A001 - Keras's name
square = tf_math.square
sqrt = tf_math.sqrt
exp = tf_math.exp
log = tf_math.log
round = tf_math.round  # noqa: A001
sign = tf_math.sign
pow = tf_math.pow  # noqa: A001
maximum = tf_math.maximum
minimum = tf_math.minimum
equal = tf_math.equal
not_equal = tf_math.not_equal
greater = tf_math.greater
greater_equal = tf_math.greater_equal
less = tf_math.less
less_equal = tf_math.less_equal
sigmoid = nn.sigmoid
tanh = nn.tanh
softplus = nn.softplus
elu = nn.elu


def zeros(shape, dtype=None, name=None):
    return array_ops.zeros(shape, dtype=dtype or floatx())


def ones(shape, dtype=None, name=None):
    return array_ops.ones(shape, dtype=dtype or floatx())


def constant(value, dtype=None, shape=None, name=None):
    return _tf_constant(value, dtype=dtype or floatx(), shape=shape)


def sum(x, axis=None, keepdims=False):  # noqa: A001
    return tf_math.reduce_sum(x, axis, keepdims)


def mean(x, axis=None, keepdims=False):
    return tf_math.reduce_mean(x, axis, keepdims)


def max(x, axis=None, keepdims=False):  # noqa: A001
    return tf_math.reduce_max(x, axis, keepdims)


def min(x, axis=None, keepdims=False):  # noqa: A001
    return tf_math.reduce_min(x, axis, keepdims)


def var(x, axis=None, keepdims=False):
    return tf_math.reduce_variance(x, axis, keepdims)


def std(x, axis=None, keepdims=False):
    return tf_math.reduce_std(x, axis, keepdims)


def any(x, axis=None, keepdims=False):  # noqa: A001
    return tf_math.reduce_any(x, axis, keepdims)


def all(x, axis=None, keepdims=False):  # noqa: A001
    return tf_math.reduce_all(x, axis, keepdims)


def argmax(x, axis=-1):
    return tf_math.argmax(x, axis)


def argmin(x, axis=-1):
    return tf_math.argmin(x, axis)


def clip(x, min_value, max_value):
    return tf_math.clip_by_value(x, min_value, max_value)


def dot(x, y):
    return tf_math.matmul(x, y)


def concatenate(tensors, axis=-1):
    return array_ops.concat(tensors, axis)


def expand_dims(x, axis=-1):
    return array_ops.expand_dims(x, axis)


def squeeze(x, axis):
    return array_ops.squeeze(x, axis)


def flatten(x):
    return array_ops.reshape(x, [-1])


def batch_flatten(x):
    return array_ops.reshape(x, [x.shape[0], -1])


def repeat(x, n):
    """(batch, features) -> (batch, n, features), as RepeatVector."""
    return array_ops.tile(array_ops.expand_dims(x, 1), [1, n, 1])


def one_hot(indices, num_classes):
    return array_ops.one_hot(indices, num_classes)


def switch(condition, then_expression, else_expression):
    return array_ops.where(condition, then_expression, else_expression)


def relu(x, alpha=0.0, max_value=None, threshold=0.0):
    return as_tf(_activations.relu(x, alpha, max_value, threshold))


def softmax(x, axis=-1):
    return nn.softmax(x, axis)


def l2_normalize(x, axis=None):
    return tf_math.l2_normalize(x, axis)


def binary_crossentropy(target, output, from_logits=False):
    """Element-wise binary cross-entropy (no mean over the last axis, as Keras's backend)."""
    if from_logits:
        return nn.sigmoid_cross_entropy_with_logits(labels=target, logits=output)
    output, target = operands(output, target)
    output = tf_math.clip_by_value(output, epsilon(), 1 - epsilon())
    positive = target * tf_math.log(output + epsilon())
    negative = (1 - target) * tf_math.log(1 - output + epsilon())
    return -(positive + negative)


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    return as_tf(_loss_ops.categorical_crossentropy(target, output, from_logits=from_logits))


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    return as_tf(_loss_ops.sparse_categorical_crossentropy(target, output, from_logits=from_logits))


def random_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    return tf_random.normal(shape, mean, stddev, dtype or floatx(), seed)


def random_uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    return tf_random.uniform(shape, minval, maxval, dtype or floatx(), seed)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    return tf_random.truncated_normal(shape, mean, stddev, dtype or floatx(), seed)


def function(*args, **kwargs):
    raise NotImplementedError(
        "K.function builds a TensorFlow 1 graph function, which minidl does not have; call the model (or "
        "keras.Model(inputs, layer.output)) on data directly"
    )


def gradients(loss, variables):
    raise NotImplementedError("K.gradients is TensorFlow 1 graph mode; use minidl.tf.GradientTape().gradient(loss, variables)")
