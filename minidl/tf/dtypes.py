"""TensorFlow's dtype names (``tf.float32``, ``tf.int32``, ...) as NumPy dtypes, and TensorFlow's
rules for the dtype of Python data.

A ``tf.float32`` here *is* ``numpy.dtype('float32')``, so it can be passed anywhere minidl or
NumPy takes a dtype and compares equal to ``tensor.dtype``. TensorFlow's inference differs from
NumPy's in one way that matters for reproducing its numbers: Python floats become float32 and
Python ints int32 (int64 only when a value does not fit), while NumPy arrays keep their dtype.
"""

from builtins import bool as builtins_bool

import numpy as np

from minidl.layers.text_values import TEXT_DTYPE

float16 = half = np.dtype("float16")
float32 = np.dtype("float32")
float64 = double = np.dtype("float64")
int8 = np.dtype("int8")
int16 = np.dtype("int16")
int32 = np.dtype("int32")
int64 = np.dtype("int64")
uint8 = np.dtype("uint8")
uint16 = np.dtype("uint16")
uint32 = np.dtype("uint32")
uint64 = np.dtype("uint64")
bool = np.dtype("bool")  # noqa: A001 - TensorFlow's name
complex64 = np.dtype("complex64")
complex128 = np.dtype("complex128")
string = TEXT_DTYPE  # TensorFlow's byte strings (NumPy object arrays); they stay on the host

DType = np.dtype

_INT32 = np.iinfo(np.int32)


# TensorFlow's DataType enum numbers (``types.proto``): ``tf.zeros(1, 1)`` passes 1 as the dtype,
# and TensorFlow reads it as DT_FLOAT.
_DATA_TYPE_NUMBERS = {1: float32, 2: float64, 3: int32, 4: uint8, 5: int16, 6: int8, 7: string, 8: complex64,
                      9: int64, 10: bool, 17: uint16, 18: complex128, 19: float16, 22: uint32, 23: uint64}


def as_dtype(type_value):
    """``tf.as_dtype``: a dtype from a name ('float32'), a NumPy type, a dtype or TensorFlow's
    DataType enum number (1 is float32)."""
    if (isinstance(type_value, str) and type_value == "string") or type_value is string:
        return string
    if isinstance(type_value, (int, np.integer)) and not isinstance(type_value, builtins_bool):
        if int(type_value) not in _DATA_TYPE_NUMBERS:
            raise TypeError(f"tf.as_dtype: {type_value} is not a TensorFlow DataType number "
                            f"(known: {sorted(_DATA_TYPE_NUMBERS)}); pass a dtype such as tf.float32")
        return _DATA_TYPE_NUMBERS[int(type_value)]
    try:
        return np.dtype(type_value)
    except TypeError:
        raise TypeError(f"tf.as_dtype: cannot convert {type_value!r} to a dtype (expected e.g. tf.float32 or 'int32')") from None


def inferred_array(value):
    """``value`` (Python data or NumPy) as a NumPy array with the dtype TensorFlow would give it."""
    if isinstance(value, (str, bytes)):
        return np.asarray(value.encode() if isinstance(value, str) else value, dtype=object)
    if hasattr(value, "to_numpy") and not hasattr(value, "numpy"):  # pandas: its NumPy array, as TensorFlow
        value = value.to_numpy()
    array = np.asarray(value)
    if isinstance(value, (np.ndarray, np.generic)) and array.dtype.kind not in "US":
        return array
    if array.dtype.kind == "U" or array.dtype.kind == "S":
        return np.vectorize(lambda text: text.encode() if isinstance(text, str) else text, otypes=[object])(array)
    if array.dtype == np.float64 and not _holds_numpy_float64(value):
        return array.astype(np.float32)
    if array.dtype.kind == "i" and array.dtype.itemsize == 8 and not _holds_numpy_int64(value):
        if array.size == 0 or (array.min() >= _INT32.min and array.max() <= _INT32.max):
            return array.astype(np.int32)
    return array


def _holds_numpy_float64(value):
    """Whether nested Python data contains NumPy float64 values (TensorFlow then keeps float64)."""
    return _any_leaf(value, lambda leaf: isinstance(leaf, (np.ndarray, np.generic)) and np.asarray(leaf).dtype == np.float64)


def _holds_numpy_int64(value):
    return _any_leaf(value, lambda leaf: isinstance(leaf, (np.ndarray, np.generic)) and np.asarray(leaf).dtype == np.int64)


def _any_leaf(value, test):
    if isinstance(value, (list, tuple)):
        return any(_any_leaf(item, test) for item in value)
    return test(value)


def is_floating(dtype):
    return np.issubdtype(np.dtype(dtype), np.floating)


def is_integer(dtype):
    return np.issubdtype(np.dtype(dtype), np.integer)
