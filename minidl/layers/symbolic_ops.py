"""Operators on the symbolic tensors of a functional model: ``x + inputs``, ``2 * x``, ``-x``,
``x[:, :2]``, ``x > 0``, ``x ** 2``, ``abs(x)``, ``x // 2``, ``x % 2``, ``x @ w``, ``m & n``.

Keras lets a functional model mix operators into its graph -- a transformer block's residual
``res = x + inputs`` is the common case, ``keras.ops.where(x > 0, x, 0)`` another. Each operator
applied to a ``keras.Input``-derived tensor records a layer, as TensorFlow 2's Keras did (its
``TFOpLambda`` layers named ``tf.__operators__.add``, ``tf.math.greater``, ...): it holds one of
the functions below and what the operator was given besides the symbolic tensor(s) -- a
constant (``value``, and ``swapped`` when it came first: ``2 - x``) or an index (``key``). The
functions are importable, so the layer saves into the model's JSON like any named function of a
``Lambda``; its arguments are JSON too: a number, an array as nested lists (``x @ w`` keeps
``w``), an index as the list of its parts. NumPy broadcasting applies, as for the operators on
tensors.

The derivatives are those of the tensor ops: slicing, ``**``, ``abs`` and ``@`` pass gradients;
``%`` passes TensorFlow's (1 to ``x``, ``-floor(x / y)`` to ``y``); comparisons, ``//`` and the
logical operators give constants. A constant next to a floating-point tensor takes its dtype
(``x * 0.5`` stays float32), as in Keras.

``x == y`` is not an operator here, as in Keras 3: it stays Python's identity test, so symbolic
tensors can be compared and used as dict keys (``keras.ops.equal`` compares values).
"""

import numbers

import numpy as np

from minidl.autograd.tensor import Tensor, as_array
from minidl.layers.base import unique_name
from minidl.layers.lambda_layer import TFOpLambda
from minidl.ops import math, shapes
from minidl.runtime import backend

# operator -> the layer's name, as TensorFlow 2 named it
NAMES = {
    "add": "tf.__operators__.add", "subtract": "tf.math.subtract", "multiply": "tf.math.multiply",
    "divide": "tf.math.truediv", "negative": "tf.math.negative", "floor_divide": "tf.math.floordiv",
    "mod": "tf.math.floormod", "power": "tf.math.pow", "matmul": "tf.linalg.matmul", "absolute": "tf.math.abs",
    "getitem": "tf.__operators__.getitem", "greater": "tf.math.greater", "greater_equal": "tf.math.greater_equal",
    "less": "tf.math.less", "less_equal": "tf.math.less_equal", "not_equal": "tf.math.not_equal",
    "logical_and": "tf.math.logical_and", "logical_or": "tf.math.logical_or", "logical_xor": "tf.math.logical_xor",
    "logical_not": "tf.math.logical_not",
}


# -- the functions the layers hold --------------------------------------------------------------

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


def floor_divide(inputs, value=None, swapped=False):
    """``x // y``: a constant (its derivative is zero almost everywhere)."""
    left, right = _operands(inputs, value, swapped)
    return Tensor._from_op(left.data // right.data)


def mod(inputs, value=None, swapped=False):
    """``x % y`` (the sign of ``y``, as Python's) as ``x - y * floor(x / y)`` with the quotient
    held constant: TensorFlow's floormod gradients, 1 for ``x`` and ``-floor(x / y)`` for ``y``."""
    left, right = _operands(inputs, value, swapped)
    return left - right * Tensor._from_op(left.data // right.data)


def power(inputs, value=None, swapped=False):
    if value is not None and not swapped and isinstance(value, numbers.Real):
        return math.pow(inputs, value)  # ``x ** 2``: the constant exponent's cheaper op
    left, right = _operands(inputs, value, swapped)
    return math.pow(left, right)


def matmul(inputs, value=None, swapped=False):
    """``x @ y`` as NumPy's ``matmul``: a vector (1-D) operand is a row on the left, a column on
    the right, and its axis is dropped from the product."""
    left, right = _operands(inputs, value, swapped)
    if left.ndim == 1:
        return shapes.squeeze(math.matmul(shapes.expand_dims(left, 0), right), axis=-2)
    if right.ndim == 1:
        return shapes.squeeze(math.matmul(left, shapes.expand_dims(right, -1)), axis=-1)
    return math.matmul(left, right)


def _constant_result(name, array_function):
    """A comparison or logical operator: a boolean tensor outside the graph, as TensorFlow's."""
    def operator(inputs, value=None, swapped=False):
        left, right = _operands(inputs, value, swapped)
        return Tensor._from_op(array_function(left.data, right.data))

    operator.__name__ = operator.__qualname__ = name  # the import path the layer is saved by
    return operator


greater = _constant_result("greater", lambda a, b: a > b)
greater_equal = _constant_result("greater_equal", lambda a, b: a >= b)
less = _constant_result("less", lambda a, b: a < b)
less_equal = _constant_result("less_equal", lambda a, b: a <= b)
not_equal = _constant_result("not_equal", lambda a, b: a != b)
logical_and = _constant_result("logical_and", lambda a, b: backend.get_xp().logical_and(a, b))
logical_or = _constant_result("logical_or", lambda a, b: backend.get_xp().logical_or(a, b))
logical_xor = _constant_result("logical_xor", lambda a, b: backend.get_xp().logical_xor(a, b))


def negative(inputs):
    return -inputs


def absolute(inputs):
    return math.abs(inputs)


def logical_not(inputs):
    return Tensor._from_op(backend.get_xp().logical_not(inputs.data))


def getitem(inputs, key):
    """``x[key]``, the key as :func:`record_index` wrote it."""
    return inputs[tuple(_decoded_index(part) for part in key)]


def _operands(inputs, value, swapped):
    """(left, right): the two tensors, or the tensor and the constant (``swapped``: constant first)."""
    if value is None:
        return inputs[0], inputs[1]
    constant = _constant_tensor(value, inputs)
    return (constant, inputs) if swapped else (inputs, constant)


def _constant_tensor(value, like):
    """A constant operand as a tensor: in the dtype of ``like`` when that is floating point, or
    integer and the constant integral (``x * 0.5`` stays float32); otherwise in its own."""
    array = getattr(value, "array", None)
    if array is None:
        array = np.asarray(value)
    kind = np.dtype(like.dtype).kind
    dtype = like.dtype if kind == "f" or (kind in "iu" and array.dtype.kind in "iub") else None
    return Tensor._from_op(as_array(array, dtype=dtype))


class _Constant(list):
    """An array operand (``x @ w``'s ``w``) as the layer keeps it: nested lists, so its arguments
    are JSON (``json`` writes a list subclass as a list), with the array itself beside them so
    that a call converts nothing. A model read from a file has plain lists there instead."""

    def __init__(self, values=(), array=None):
        super().__init__(values)  # one rebuilt from its items (a copy, serialization) has no array
        self.array = array


# operator -> the function its layer holds
FUNCTIONS = {
    "add": add, "subtract": subtract, "multiply": multiply, "divide": divide, "negative": negative,
    "floor_divide": floor_divide, "mod": mod, "power": power, "matmul": matmul, "absolute": absolute,
    "getitem": getitem, "greater": greater, "greater_equal": greater_equal, "less": less, "less_equal": less_equal,
    "not_equal": not_equal, "logical_and": logical_and, "logical_or": logical_or, "logical_xor": logical_xor,
    "logical_not": logical_not,
}


# -- recording ----------------------------------------------------------------------------------

def record(operator, left, right, swapped=False):
    """The symbolic result of ``left <operator> right`` (``left`` symbolic; ``swapped``: the
    operator was written ``right <operator> left``), as a layer; NotImplemented for an operand
    that is neither a symbolic tensor nor a constant (Python then tries the other operand)."""
    from minidl.layers.base import SymbolicTensor

    function = FUNCTIONS[operator]
    layer_name = unique_name(NAMES[operator])
    if isinstance(right, SymbolicTensor):
        return TFOpLambda(function, name=layer_name)([left, right])
    value = _constant_argument(right)
    if value is None:
        return NotImplemented
    return TFOpLambda(function, arguments={"value": value, "swapped": swapped}, name=layer_name)(left)


def record_unary(operator, value):
    """The symbolic result of ``-x`` (``negative``), ``abs(x)`` (``absolute``) or ``~x`` (``logical_not``)."""
    return TFOpLambda(FUNCTIONS[operator], name=unique_name(NAMES[operator]))(value)


def record_index(symbol, key):
    """The symbolic result of ``symbol[key]``: basic indexing (integers, slices, ``None``,
    ``...``) and lists or arrays of indices, as NumPy's."""
    parts = key if isinstance(key, tuple) else (key,)
    encoded = [_encoded_index(part, symbol, key) for part in parts]
    return TFOpLambda(getitem, arguments={"key": encoded}, name=unique_name(NAMES["getitem"]))(symbol)


def _constant_argument(value):
    """A constant operand as the layer's arguments keep it: an int or float, or an array as a
    ``_Constant``; None for anything else (a bool, a string, a list holding symbolic tensors)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if not isinstance(value, (np.ndarray, np.generic, Tensor, list, tuple)):
        return None
    try:
        array = np.asarray(value)
    except (TypeError, ValueError):
        return None
    if array.dtype.kind not in "biuf":
        return None
    return array.item() if array.ndim == 0 else _Constant(array.tolist(), array)


def _encoded_index(part, symbol, key):
    """One part of an index as JSON: an int, None, ``"..."``, ``{"slice": [start, stop, step]}``
    or ``{"indices": nested list}``."""
    if part is None:
        return None
    if isinstance(part, numbers.Integral) and not isinstance(part, bool):
        return int(part)
    if part is Ellipsis:
        return "..."
    if isinstance(part, slice):
        bounds = [part.start, part.stop, part.step]
        if all(b is None or isinstance(b, numbers.Integral) and not isinstance(b, bool) for b in bounds):
            return {"slice": [None if b is None else int(b) for b in bounds]}
    elif isinstance(part, (list, tuple, np.ndarray)):
        indices = np.asarray(part) if not _holds_symbols(part) else None
        if indices is not None and indices.dtype.kind in "biu":
            return {"indices": indices.tolist()}
    raise TypeError(
        f"indexing the symbolic tensor {symbol!r} with {key!r}: only integers, slices of integers, None, "
        "... and lists or arrays of integer indices can be recorded in a functional model; for an index that is "
        "a tensor, use a layer (or keras.ops.take) instead")


def _holds_symbols(part):
    from minidl.layers.base import symbols_in

    return bool(symbols_in(list(part)))


def _decoded_index(part):
    if part == "...":
        return Ellipsis
    if isinstance(part, dict) and "slice" in part:
        return slice(*part["slice"])
    if isinstance(part, dict) and "indices" in part:
        return np.asarray(part["indices"])
    return part
