"""``keras.activations``: activation functions by Keras's names, for ``Dense(..., activation=
keras.activations.relu)`` and direct calls on tensors; ``get('relu')`` resolves a name."""

from minidl.keras import unsupported as _unsupported
from minidl.ops import activations as _ops
from minidl.ops import math as _math
from minidl.ops.activations import (
    elu,
    exponential,
    hard_sigmoid,
    linear,
    log_softmax,
    mish,
    relu6,
    selu,
    sigmoid,
    softmax,
    softplus,
    softsign,
    swish,
    tanh,
)


def relu(x, alpha=0.0, max_value=None, threshold=0.0):
    """max(x, 0) (Keras's defaults); ``alpha`` gives a leaky slope below zero, ``max_value`` a cap."""
    if threshold != 0.0:
        raise NotImplementedError("keras.activations.relu: threshold other than 0 is not supported by minidl")
    outputs = _ops.relu(x) if alpha == 0.0 else _ops.leaky_relu(x, alpha=alpha)
    if max_value is not None:
        outputs = _math.minimum(outputs, max_value)
    return outputs


def leaky_relu(x, alpha=0.2):
    return _ops.leaky_relu(x, alpha=alpha)


silu = swish


def get(identifier):
    """An activation function from a name, a function, or None (linear)."""
    return _ops.get_activation(identifier)


def serialize(activation):
    return getattr(activation, "__name__", str(activation))


def deserialize(name, custom_objects=None):
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    return get(name)


__all__ = [
    "deserialize", "elu", "exponential", "get", "hard_sigmoid", "leaky_relu", "linear", "log_softmax", "mish",
    "relu", "relu6", "selu", "serialize", "sigmoid", "silu", "softmax", "softplus", "softsign", "swish", "tanh",
]


__getattr__ = _unsupported.attribute_hook(__name__)  # a Keras name minidl lacks: say so, and what instead
