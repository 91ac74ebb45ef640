"""What every ``minidl.tf`` function shares: TensorFlow's conversion of its arguments, and
working on the symbolic tensors of a Keras functional model.

* ``operands(*values)`` turns arguments into tensors the way TensorFlow's ops do: the first
  tensor among them fixes the dtype, and Python/NumPy data next to it is converted to that
  dtype (``tf.matmul(x32, [[1], [2]])`` stays float32).
* ``tf_function`` (a decorator) lets a function be called on ``keras.Input`` tensors: it then
  becomes a ``TFOpLambda`` layer of the model, as TensorFlow 2's Keras does with
  ``x = tf.concat([a, b], axis=1)`` between layers.
"""

import functools

import numpy as np

from minidl.autograd.tensor import Tensor
from minidl.layers.base import SymbolicTensor, unique_name
from minidl.layers.lambda_layer import TFOpLambda
from minidl.tf.tensor import as_tf, convert_to_tensor


def operands(*values, dtype=None):
    """``values`` as tensors of one dtype: ``dtype``, else that of the first tensor, else TF's inference."""
    anchor = dtype
    if anchor is None:
        anchor = next((value.dtype for value in values if isinstance(value, Tensor)), None)
    converted = []
    for value in values:
        if isinstance(value, Tensor):
            converted.append(as_tf(value))
        elif anchor is None:
            tensor = convert_to_tensor(value)
            anchor = tensor.dtype
            converted.append(tensor)
        else:
            converted.append(convert_to_tensor(value, dtype_hint=anchor))
    return converted


def operand(value, dtype=None):
    """One argument as a tensor (``dtype`` when given, for Python/NumPy data)."""
    if isinstance(value, Tensor):
        return as_tf(value)
    return convert_to_tensor(value, dtype=dtype)


def numeric_operand(value, who):
    """One argument as a tensor of numbers: a tensor of strings is a TypeError naming ``who``
    (TensorFlow refuses it too), not an AttributeError from deep inside NumPy."""
    tensor = operand(value)
    if np.dtype(tensor.dtype).kind in "OSU":
        raise TypeError(f"{who}: expected a tensor of numbers, got a tensor of strings (shape {tuple(tensor.shape)})")
    return tensor


def _symbols_in(value):
    if isinstance(value, SymbolicTensor):
        return [value]
    if isinstance(value, (list, tuple)):
        return [symbol for item in value for symbol in _symbols_in(item)]
    if isinstance(value, dict):
        return [symbol for item in value.values() for symbol in _symbols_in(item)]
    return []


def _substitute(value, tensors):
    """``value`` with each SymbolicTensor replaced by the next real tensor."""
    if isinstance(value, SymbolicTensor):
        return next(tensors)
    if isinstance(value, list):
        return [_substitute(item, tensors) for item in value]
    if isinstance(value, tuple):
        return tuple(_substitute(item, tensors) for item in value)
    if isinstance(value, dict):
        return {key: _substitute(item, tensors) for key, item in value.items()}
    return value


def tf_function(public_name):
    """Decorator: run the function on real tensors, or record it as a layer on symbolic ones."""
    def decorate(function):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            symbols = _symbols_in(list(args)) + _symbols_in(kwargs)
            if not symbols:
                return function(*args, **kwargs)

            def replay(inputs):
                tensors = iter(inputs if isinstance(inputs, list) else [inputs])
                return function(*_substitute(list(args), tensors), **_substitute(kwargs, tensors))

            layer = TFOpLambda(replay, name=unique_name(public_name))
            return layer(symbols if len(symbols) > 1 else symbols[0])

        wrapper.tf_name = public_name
        return wrapper

    return decorate
