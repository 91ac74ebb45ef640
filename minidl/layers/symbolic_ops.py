"""Arithmetic on the symbolic tensors of a functional model: ``x + inputs``, ``2 * x``, ``-x``.

Keras lets a functional model mix operators into its graph -- a transformer block's residual
``res = x + inputs`` is the common case. Each operator applied to a ``keras.Input``-derived
tensor records a layer, as TensorFlow 2's Keras did (its ``TFOpLambda`` layers named
``tf.__operators__.add``, ``tf.math.multiply``, ...): it holds one of the functions below
and, for a number on one side, that number. The functions are importable, so the layer saves
into the model's JSON like any named function of a ``Lambda``. NumPy broadcasting applies, as
for the operators on tensors.
"""

import numbers

from minidl.layers.base import unique_name
from minidl.layers.lambda_layer import TFOpLambda

# operator -> (the layer's name, as TensorFlow 2 named it, and the function computing it)
NAMES = {
    "add": "tf.__operators__.add", "subtract": "tf.math.subtract", "multiply": "tf.math.multiply",
    "divide": "tf.math.truediv", "negative": "tf.math.negative",
}


def add(inputs, value=None, swapped=False):
    left, right = _operands(inputs, value, swapped)
    return left + right


def subtract(inputs, value=None, swapped=False):
    left, right = _operands(inputs, value, swapped)
    return left - right


def multiply(inputs, value=None, swapped=False):
    left, right = _operands(inputs, value, swapped)
    return left * right


def divide(inputs, value=None, swapped=False):
    left, right = _operands(inputs, value, swapped)
    return left / right


def negative(inputs):
    return -inputs


def _operands(inputs, value, swapped):
    """(left, right): the two tensors, or the tensor and the number (``swapped``: number first)."""
    if value is None:
        return inputs[0], inputs[1]
    return (value, inputs) if swapped else (inputs, value)


_FUNCTIONS = {"add": add, "subtract": subtract, "multiply": multiply, "divide": divide}


def record(operator, left, right, swapped=False):
    """The symbolic result of ``left <operator> right`` (one of them symbolic), as a layer."""
    from minidl.layers.base import SymbolicTensor

    function = _FUNCTIONS[operator]
    layer_name = unique_name(NAMES[operator])
    if isinstance(right, SymbolicTensor):
        return TFOpLambda(function, name=layer_name)([left, right])
    if not isinstance(right, numbers.Real) or isinstance(right, bool):
        return NotImplemented
    return TFOpLambda(function, arguments={"value": float(right), "swapped": swapped}, name=layer_name)(left)


def record_negative(value):
    return TFOpLambda(negative, name=unique_name(NAMES["negative"]))(value)
