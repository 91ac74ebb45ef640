"""Text as layer input: how minidl holds strings, and how it recognises them.

Keras's text layers (``TextVectorization``, ``StringLookup``, ``Hashing``) take strings, and a
model whose first layer is one of them is fed NumPy arrays (or lists, or ``tf.data`` batches)
of strings. minidl holds such a batch as a host NumPy array of dtype ``object`` whose items are
Python ``str`` -- the dtype ``minidl.tf`` uses for ``tf.string`` too. Strings never go to a
device: the text layers turn them into integer ids (or counts) on the host, and only those
numbers are moved, as TensorFlow keeps its string tensors on the CPU.

``STRING`` is that dtype; ``"string"`` (Keras's name, as in ``Input(shape=(1,),
dtype="string")``), ``tf.string`` and NumPy's ``str_``/``bytes_`` dtypes all mean it
(``as_dtype``), and configurations write it as ``"string"`` (``dtype_name``), as Keras does.
"""

import numpy as np

from minidl.autograd.tensor import Tensor

STRING = np.dtype(object)


class TextDType:
    """The dtype a text tensor reports: NumPy's ``object`` underneath, named as TensorFlow's.

    TensorFlow's ``tf.string`` compares equal to the name ``"string"``, and Keras examples test
    a feature's kind with ``features[name].dtype == "string"``; a bare NumPy object dtype would
    answer False. This stands in for it: it equals ``"string"``, ``tf.string`` and NumPy's
    object dtype, and NumPy reads it as object (through ``.dtype``), so ``np.asarray(x,
    dtype=tensor.dtype)`` and ``dtype.kind`` work as before.
    """

    name = "string"
    dtype = STRING

    def __eq__(self, other):
        if isinstance(other, str):
            return other in ("string", "object", "O")
        try:
            return np.dtype(other) == STRING
        except TypeError:
            return False

    def __hash__(self):
        return hash(STRING)

    def __getattr__(self, attribute):
        return getattr(STRING, attribute)

    def __repr__(self):
        return "tf.string"

    def __reduce__(self):
        return "TEXT_DTYPE"


TEXT_DTYPE = TextDType()


def reported_dtype(dtype):
    """The dtype a tensor of ``dtype`` reports: ``TEXT_DTYPE`` for text, else ``dtype`` itself."""
    return TEXT_DTYPE if dtype == STRING else dtype


def is_text_dtype(dtype):
    """Whether ``dtype`` (a name, NumPy dtype or type) stands for strings."""
    if isinstance(dtype, str) and dtype == "string":
        return True
    try:
        return np.dtype(dtype).kind in "OUS"
    except TypeError:
        return False


def as_dtype(dtype):
    """``np.dtype(dtype)``, with every spelling of strings mapped to ``STRING``."""
    return STRING if is_text_dtype(dtype) else np.dtype(dtype)


def dtype_name(dtype):
    """The name a configuration gives ``dtype``: Keras's ``"string"`` for strings."""
    dtype = np.dtype(dtype)
    return "string" if dtype.kind in "OUS" else dtype.name


def _is_text_item(item):
    return isinstance(item, (str, bytes, np.str_, np.bytes_))


def is_text_array(array):
    """Whether a host array holds text: a str/bytes dtype, or an object array of strings only."""
    if not isinstance(array, np.ndarray):
        return False
    if array.dtype.kind in "US":
        return True
    return array.dtype.kind == "O" and array.size > 0 and all(_is_text_item(item) for item in array.reshape(-1))


def holds_text(value):
    """Whether ``value`` (an array, a Tensor's data, a nested list, a string) is text."""
    if _is_text_item(value):
        return True
    data = value.data if isinstance(value, Tensor) else value
    if hasattr(data, "to_numpy") and not isinstance(data, np.ndarray):  # a pandas Series of strings
        data = data.to_numpy()
    if isinstance(data, np.ndarray):
        return is_text_array(data)
    if isinstance(value, (list, tuple)):
        return len(value) > 0 and all(holds_text(item) for item in value)
    return False


def as_text_array(value, what, encoding="utf-8"):
    """``value`` as a host object array of Python ``str`` (bytes decoded with ``encoding``).

    Raises a TypeError naming ``what`` when it holds anything but strings."""
    data = value.data if isinstance(value, Tensor) else value
    array = data if isinstance(data, np.ndarray) else np.asarray(data, dtype=object)
    if array.dtype.kind == "U":
        return array.astype(object)
    flat = array.reshape(-1)
    decoded = np.empty(flat.shape, dtype=object)
    for index, item in enumerate(flat):
        if isinstance(item, (bytes, np.bytes_)):
            decoded[index] = bytes(item).decode(encoding)
        elif isinstance(item, (str, np.str_)):
            decoded[index] = str(item)
        else:
            raise TypeError(f"{what}: expected strings, got {type(item).__name__} {item!r} (array of dtype "
                            f"{array.dtype}, shape {array.shape})")
    return decoded.reshape(array.shape)
