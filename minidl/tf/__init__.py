"""``minidl.tf``: the part of TensorFlow 2 that lab code and introductory Keras examples use,
on minidl's ops and autograd.

    import minidl.tf as tf                      # was: import tensorflow as tf
    w = tf.Variable(0.0); b = tf.Variable(0.0)
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(w * x + b - y))
    dw, db = tape.gradient(loss, [w, b])
    model = tf.keras.Sequential([...])          # tf.keras is minidl.keras

Tensors are minidl Tensors with TensorFlow's manners (``EagerTensor``: dtype rules, printing,
``.numpy()``); ``tf.Variable`` is a trainable leaf; ``tf.GradientTape`` asks minidl's engine for
gradients; ``tf.random`` draws TensorFlow's own numbers for a given seed. Names TensorFlow has
and minidl does not raise ``UnsupportedError`` naming the nearest minidl call (see
``minidl.tf.unsupported`` and ``docs/keras_coverage.md``).
"""

import contextlib
import functools
import logging
import types

from minidl.autograd.tensor import Tensor  # every minidl Tensor is a tf.Tensor; tf functions return EagerTensors
from minidl.tf import (
    compat,
    config,
    data,
    distribute,
    dtypes,
    io,
    linalg,
    math,
    nn,
    random,
    saved_model,
    signal,
    strings,
    train,
    unsupported,
)
from minidl.tf.array_ops import (
    argsort,
    boolean_mask,
    broadcast_to,
    cast,
    concat,
    expand_dims,
    eye,
    fill,
    gather,
    get_static_value,
    identity,
    linspace,
    one_hot,
    ones,
    ones_like,
    pad,
    range,
    rank,
    reshape,
    reverse,
    shape,
    size,
    sort,
    split,
    squeeze,
    stack,
    tile,
    transpose,
    unstack,
    where,
    zeros,
    zeros_like,
)
from minidl.tf.config import test
from minidl.tf.dtypes import (
    DType,
    as_dtype,
    bool,
    complex64,
    complex128,
    double,
    float16,
    float32,
    float64,
    half,
    int8,
    int16,
    int32,
    int64,
    string,
    uint8,
    uint16,
    uint32,
    uint64,
)
from minidl.tf.gradient_tape import GradientTape, UnconnectedGradients
from minidl.tf.keras_alias import register_keras_modules
from minidl.tf.linalg import norm
from minidl.tf.math import (
    abs,
    add,
    add_n,
    argmax,
    argmin,
    clip_by_global_norm,
    clip_by_norm,
    clip_by_value,
    cumsum,
    divide,
    equal,
    exp,
    floordiv,
    greater,
    greater_equal,
    less,
    less_equal,
    log,
    logical_and,
    logical_not,
    logical_or,
    matmul,
    maximum,
    minimum,
    multiply,
    negative,
    not_equal,
    pow,
    reduce_all,
    reduce_any,
    reduce_logsumexp,
    reduce_max,
    reduce_mean,
    reduce_min,
    reduce_prod,
    reduce_std,
    reduce_sum,
    reduce_variance,
    round,
    rsqrt,
    sigmoid,
    sign,
    sqrt,
    square,
    squared_difference,
    subtract,
    tanh,
    truediv,
)
from minidl.tf.printing import print
from minidl.tf.random import set_seed
from minidl.tf.tensor import EagerTensor, TensorShape, constant, convert_to_tensor, is_tensor
from minidl.tf.variable import Variable

__version__ = "2.15.0"  # the TensorFlow API level this face follows


class version:  # noqa: N801 - TensorFlow's module name
    """``tf.version``: ``tf.version.VERSION`` is the TensorFlow API level minidl.tf follows."""

    VERSION = __version__
    GIT_VERSION = "minidl"
    COMPILER_VERSION = "minidl"

newaxis = None


def function(func=None, input_signature=None, autograph=True, jit_compile=None, reduce_retracing=False, **kwargs):
    """``@tf.function``: minidl always runs eagerly, so the function is returned to run as it is."""
    if func is None:
        return lambda inner: function(inner)

    @functools.wraps(func)
    def run_eagerly(*args, **call_kwargs):
        return func(*args, **call_kwargs)

    return run_eagerly


def executing_eagerly():
    return True


def stop_gradient(input, name=None):  # noqa: A002 - TensorFlow's name
    """The same values, cut off from the graph (no gradient flows back through it)."""
    return EagerTensor._from_op(convert_to_tensor(input).data)


@contextlib.contextmanager
def device(device_name):
    """``with tf.device('/CPU:0'):`` is accepted; minidl's device is chosen with minidl.set_backend."""
    yield


@contextlib.contextmanager
def name_scope(name):
    yield name


def get_logger():
    """TensorFlow's logger (``tf.get_logger().setLevel('ERROR')``, the notebooks' second line): the
    standard library's "tensorflow" logger, which minidl itself does not write to."""
    return logging.getLogger("tensorflow")


autograph = types.SimpleNamespace(
    # tf.autograph.set_verbosity(0): minidl runs eagerly and converts nothing, so there is nothing to report
    set_verbosity=lambda level, alsologtostdout=False: None,
)
debugging = types.SimpleNamespace(
    # tf.debugging.set_log_device_placement(True): minidl's device is chosen with minidl.set_backend
    set_log_device_placement=lambda enabled: None,
)


class TensorSpec:
    """``tf.TensorSpec(shape, dtype)``: a description of a tensor (for ``input_signature``)."""

    def __init__(self, shape, dtype=float32, name=None):  # noqa: F811 - TensorFlow's argument name
        self.shape = TensorShape(shape)
        self.dtype = as_dtype(dtype)
        self.name = name


keras = register_keras_modules(__name__)
optimizers = keras.optimizers
losses = keras.losses
metrics = keras.metrics
initializers = keras.initializers

__all__ = [
    "abs", "add", "add_n", "argmax", "argmin", "argsort", "as_dtype", "bool", "boolean_mask", "broadcast_to",
    "cast", "clip_by_global_norm", "clip_by_norm", "clip_by_value", "compat", "complex128", "complex64", "concat", "config", "constant", "convert_to_tensor",
    "autograph", "cumsum", "data", "debugging", "device", "distribute", "divide", "double", "DType", "dtypes", "EagerTensor", "equal", "executing_eagerly",
    "exp", "expand_dims", "eye", "fill", "float16", "float32", "float64", "floordiv", "function", "gather",
    "get_logger", "get_static_value", "GradientTape", "greater", "greater_equal", "half", "identity", "initializers", "int16",
    "int32", "int64", "int8", "io", "is_tensor", "keras", "less", "less_equal", "linalg", "linspace", "log",
    "logical_and", "logical_not", "logical_or", "losses", "math", "matmul", "maximum", "metrics", "minimum",
    "multiply", "name_scope", "negative", "newaxis", "nn", "norm", "not_equal", "one_hot", "ones", "ones_like",
    "optimizers", "pad", "pow", "print", "random", "range", "rank", "reduce_all", "reduce_any", "reduce_logsumexp",
    "reduce_max", "reduce_mean", "reduce_min", "reduce_prod", "reduce_std", "reduce_sum", "reduce_variance",
    "reshape", "reverse", "round", "rsqrt", "saved_model", "set_seed", "shape", "sigmoid", "sign", "signal", "size", "sort", "split", "sqrt",
    "square", "squared_difference", "squeeze", "stack", "stop_gradient", "string", "strings", "subtract", "tanh", "Tensor", "train",
    "TensorShape", "TensorSpec", "test", "tile", "transpose", "truediv", "uint16", "uint32", "uint64", "uint8",
    "UnconnectedGradients", "unstack", "unsupported", "Variable", "version", "where", "zeros", "zeros_like",
]


def __getattr__(name):
    raise unsupported.missing(__name__, name)
