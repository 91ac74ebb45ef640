"""Differentiable operations. Every op is a ``Function`` with its forward and backward side by
side, grouped by kind:

* ``math``        add, sub, mul, div, neg, pow, abs, exp, log, sqrt, maximum, minimum, clip,
                  where, matmul
* ``activations`` tanh, sigmoid, hard_sigmoid, relu, leaky_relu, elu, selu, softplus, softmax,
                  log_softmax
* ``reductions``  sum, mean, max, min, var, argmax (no gradient)
* ``shapes``      reshape, transpose, concatenate, stack, split, expand_dims, squeeze, pad,
                  flip, getitem
* ``conv``        conv1d, conv2d, conv2d_transpose
* ``pooling``     max/average pooling, global pooling, upsampling, zero padding
* ``dropout``     inverted dropout
* ``embedding``   embedding_lookup (gather forward, scatter-add backward)
* ``normalization`` batch_norm, layer_norm
* ``recurrent``   simple_rnn, lstm, gru over whole sequences; one step of each (``lstm_step``, ...)
                  and ``time_steps``, for the cell layers
* ``losses``      Keras's losses per sample, and TensorFlow's ``*_with_logits`` helpers

The heavy ops have a readable form, in ``reference/`` (read these: one recurrent cell step with
a backward of one line per derivative, looped over time; convolution and pooling by im2col and
col2im; batch and layer norm; embedding; dropout), and most also have a fast form in ``fast/`` that must
equal it (whole sequences in one Function, cache-sized chunks on every core, CUDA kernels in
``fast/cuda/*.cu``). The fast forms run by default; inside ``minidl.reference_ops()`` every op
runs in its readable form (``forms``), and ``*_reference`` names the readable form of an op.
"""

from minidl.ops._util import sum_to
from minidl.ops.activations import (
    elu,
    exponential,
    get_activation,
    hard_sigmoid,
    leaky_relu,
    linear,
    log_softmax,
    mish,
    relu,
    relu6,
    selu,
    sigmoid,
    softmax,
    softplus,
    softsign,
    swish,
    tanh,
)
from minidl.ops.casting import cast
from minidl.ops.conv import (
    conv1d,
    conv1d_reference,
    conv2d,
    conv2d_reference,
    conv2d_transpose,
    conv2d_transpose_reference,
)
from minidl.ops.dropout import dropout
from minidl.ops.embedding import embedding_lookup, embedding_lookup_reference
from minidl.ops.forms import reference_forms_active, reference_ops
from minidl.ops.losses import (
    binary_crossentropy,
    categorical_crossentropy,
    huber,
    mean_absolute_error,
    mean_squared_error,
    sigmoid_cross_entropy_with_logits,
    softmax_cross_entropy_with_logits,
    sparse_categorical_crossentropy,
)
from minidl.ops.math import (
    abs,
    add,
    clip,
    div,
    exp,
    log,
    matmul,
    maximum,
    minimum,
    mul,
    neg,
    pow,
    sqrt,
    square,
    sub,
    where,
)
from minidl.ops.normalization import batch_norm, batch_norm_reference, layer_norm
from minidl.ops.pooling import (
    avg_pool1d,
    avg_pool2d,
    avg_pool2d_reference,
    global_average_pool,
    global_max_pool,
    max_pool1d,
    max_pool2d,
    max_pool2d_reference,
    upsample2d,
    upsample2d_reference,
    zero_pad2d,
)
from minidl.ops.recurrent import gru, gru_reference, lstm, lstm_reference, simple_rnn, simple_rnn_reference
from minidl.ops.reductions import argmax, argmin, max, mean, min, sum, var
from minidl.ops.shapes import (
    concatenate,
    expand_dims,
    flip,
    getitem,
    pad,
    reshape,
    split,
    squeeze,
    stack,
    transpose,
)
from minidl.ops.tensor_methods import bind_tensor_methods

bind_tensor_methods()

__all__ = [
    "avg_pool1d", "avg_pool2d", "avg_pool2d_reference", "conv1d", "conv1d_reference", "conv2d",
    "conv2d_reference", "conv2d_transpose", "conv2d_transpose_reference", "global_average_pool",
    "global_max_pool", "max_pool1d", "max_pool2d", "max_pool2d_reference", "upsample2d",
    "upsample2d_reference", "zero_pad2d",
    "abs", "add", "argmax", "batch_norm", "batch_norm_reference", "layer_norm", "embedding_lookup",
    "embedding_lookup_reference", "argmin", "binary_crossentropy", "cast", "categorical_crossentropy",
    "clip", "concatenate", "div", "dropout", "elu", "exp", "expand_dims", "exponential", "flip",
    "get_activation", "getitem", "gru", "lstm", "simple_rnn", "hard_sigmoid", "huber", "leaky_relu", "linear", "log",
    "log_softmax", "matmul", "max", "maximum", "mean", "mean_absolute_error",
    "mean_squared_error", "min", "minimum", "mish", "mul", "neg", "pad", "pow", "relu", "relu6", "reshape",
    "selu", "sigmoid", "sigmoid_cross_entropy_with_logits", "softmax",
    "softmax_cross_entropy_with_logits", "softplus", "softsign", "sparse_categorical_crossentropy", "split",
    "sqrt", "square", "squeeze", "stack", "sub", "sum", "sum_to", "swish", "tanh", "transpose", "var",
    "where", "gru_reference", "lstm_reference", "simple_rnn_reference", "reference_ops", "reference_forms_active",
]
