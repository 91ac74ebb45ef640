"""``tf.nn``: activations and the cross-entropies "with logits", with TensorFlow's argument
names (``labels=``, ``logits=``, ``features=``) and no reduction: one loss per element (sigmoid)
or per row (softmax), as in TensorFlow.

The labels are converted to the logits' dtype, as TensorFlow does with boolean or integer
one-hot labels (``pandas.get_dummies`` output). They are constants: no gradient flows into them.
"""

import numpy as np

from minidl.autograd.tensor import Tensor
from minidl.errors import UnsupportedError
from minidl.ops import activations as activation_ops
from minidl.ops import losses as loss_ops
from minidl.ops import math as math_ops
from minidl.ops import reductions
from minidl.ops.dropout import dropout as dropout_op
from minidl.ops.embedding import embedding_lookup as embedding_lookup_op
from minidl.tf import math as tf_math
from minidl.tf.op_support import operand, tf_function
from minidl.tf.tensor import as_tf


def _float_labels(labels, logits):
    """Labels as a tensor of the logits' dtype (TensorFlow casts bool/int one-hot labels)."""
    if isinstance(labels, Tensor):
        same = labels.dtype == logits.dtype
        return as_tf(labels) if same else as_tf(Tensor._from_op(labels.data.astype(logits.dtype)))
    return operand(np.asarray(labels), dtype=logits.dtype)  # NumPy, pandas or lists


@tf_function("tf.nn.relu")
def relu(features, name=None):
    return as_tf(activation_ops.relu(operand(features)))


@tf_function("tf.nn.relu6")
def relu6(features, name=None):
    x = operand(features)
    return as_tf(activation_ops.relu6(x) if x.dtype.kind == "f" else math_ops.clip(x, 0, 6))


@tf_function("tf.nn.leaky_relu")
def leaky_relu(features, alpha=0.2, name=None):
    """TensorFlow's default slope is 0.2 (Keras's LeakyReLU layer uses 0.3)."""
    return as_tf(activation_ops.leaky_relu(operand(features), alpha=alpha))


@tf_function("tf.nn.elu")
def elu(features, name=None):
    return as_tf(activation_ops.elu(operand(features)))


@tf_function("tf.nn.selu")
def selu(features, name=None):
    return as_tf(activation_ops.selu(operand(features)))


@tf_function("tf.nn.softplus")
def softplus(features, name=None):
    return as_tf(activation_ops.softplus(operand(features)))


@tf_function("tf.nn.softsign")
def softsign(features, name=None):
    return as_tf(activation_ops.softsign(operand(features)))


@tf_function("tf.nn.swish")
def silu(features, beta=1.0, name=None):
    x = operand(features)
    return as_tf(math_ops.mul(x, activation_ops.sigmoid(math_ops.mul(x, beta))))


swish = silu


@tf_function("tf.nn.sigmoid")
def sigmoid(x, name=None):
    return as_tf(activation_ops.sigmoid(operand(x)))


@tf_function("tf.nn.tanh")
def tanh(x, name=None):
    return as_tf(activation_ops.tanh(operand(x)))


@tf_function("tf.nn.softmax")
def softmax(logits, axis=None, name=None):
    return as_tf(activation_ops.softmax(operand(logits), axis=-1 if axis is None else int(axis)))


@tf_function("tf.nn.log_softmax")
def log_softmax(logits, axis=None, name=None):
    return as_tf(activation_ops.log_softmax(operand(logits), axis=-1 if axis is None else int(axis)))


@tf_function("tf.nn.sigmoid_cross_entropy_with_logits")
def sigmoid_cross_entropy_with_logits(labels=None, logits=None, name=None):
    """max(z, 0) - z * y + log(1 + exp(-|z|)) for every element (z: logits, y: labels)."""
    if labels is None or logits is None:
        raise ValueError("tf.nn.sigmoid_cross_entropy_with_logits: give both labels= and logits=")
    logits = operand(logits)
    return as_tf(loss_ops.sigmoid_cross_entropy_with_logits(_float_labels(labels, logits), logits))


@tf_function("tf.nn.softmax_cross_entropy_with_logits")
def softmax_cross_entropy_with_logits(labels=None, logits=None, axis=-1, name=None):
    """-sum(labels * log_softmax(logits)) along ``axis``: one loss per row."""
    if labels is None or logits is None:
        raise ValueError("tf.nn.softmax_cross_entropy_with_logits: give both labels= and logits=")
    logits = operand(logits)
    return as_tf(loss_ops.softmax_cross_entropy_with_logits(_float_labels(labels, logits), logits, axis=axis))


@tf_function("tf.nn.sparse_softmax_cross_entropy_with_logits")
def sparse_softmax_cross_entropy_with_logits(labels=None, logits=None, name=None):
    """The softmax cross-entropy of integer class labels, one loss per row."""
    if labels is None or logits is None:
        raise ValueError("tf.nn.sparse_softmax_cross_entropy_with_logits: give both labels= and logits=")
    logits = operand(logits)
    return as_tf(loss_ops.sparse_categorical_crossentropy(operand(labels), logits, from_logits=True))


@tf_function("tf.nn.l2_loss")
def l2_loss(t, name=None):
    """sum(t ** 2) / 2."""
    t = operand(t)
    return as_tf(math_ops.mul(reductions.sum(math_ops.mul(t, t)), 0.5))


def moments(x, axes, shift=None, keepdims=False, name=None):
    """The mean and (biased) variance over ``axes``."""
    x = operand(x)
    axes = tuple(int(a) for a in axes)
    return (as_tf(reductions.mean(x, axis=axes, keepdims=keepdims)),
            as_tf(reductions.var(x, axis=axes, keepdims=keepdims)))


def dropout(x, rate, noise_shape=None, seed=None, name=None):
    """Inverted dropout (always applied: ``tf.nn.dropout`` has no training flag)."""
    return as_tf(dropout_op(operand(x), rate, training=True, noise_shape=noise_shape))


@tf_function("tf.nn.embedding_lookup")
def embedding_lookup(params, ids, max_norm=None, name=None):
    """Rows of the table ``params`` (V, D) at integer ``ids`` (any shape): (*ids.shape, D); the
    gradient scatters back into the table. Ids outside [0, V) raise, as TensorFlow on CPU."""
    if isinstance(params, (list, tuple)):
        if len(params) != 1:
            raise UnsupportedError(
                f"tf.nn.embedding_lookup: a table sharded into {len(params)} parts is not supported; "
                "pass one table (tf.concat(params, axis=0) for the 'div' partition strategy)")
        params = params[0]
    if max_norm is not None:
        raise UnsupportedError("tf.nn.embedding_lookup: max_norm= is not supported; clip the rows with "
                               "tf.clip_by_norm(tf.gather(params, ids), max_norm, axes=[-1])")
    return as_tf(embedding_lookup_op(operand(ids), operand(params)))


l2_normalize = tf_math.l2_normalize
bias_add = tf_math.add
top_k = tf_math.top_k  # tf.nn.top_k is TensorFlow's other name for tf.math.top_k
in_top_k = tf_math.in_top_k

__all__ = [
    "bias_add", "dropout", "elu", "embedding_lookup", "in_top_k", "l2_loss", "l2_normalize", "leaky_relu", "log_softmax",
    "moments", "relu", "relu6", "selu", "sigmoid", "sigmoid_cross_entropy_with_logits", "silu", "softmax",
    "softmax_cross_entropy_with_logits", "softplus", "softsign", "sparse_softmax_cross_entropy_with_logits", "swish",
    "tanh", "top_k",
]
