"""``tf.strings``: the string functions text pipelines use, chiefly in a ``TextVectorization``
layer's custom ``standardize`` function (TensorFlow's text-classification tutorial)::

    def custom_standardization(input_data):
        lowercase = tf.strings.lower(input_data)
        stripped_html = tf.strings.regex_replace(lowercase, "<br />", " ")
        return tf.strings.regex_replace(stripped_html, f"[{re.escape(string.punctuation)}]", "")

String tensors hold bytes on the host, as TensorFlow's do (``minidl.tf.dtypes.string``); these
functions take them, NumPy arrays of ``str`` or ``bytes``, lists or single strings, work element
by element with Python's string methods, and return string (or number) tensors of the same
shape. ``lower``/``upper`` change ASCII letters only unless ``encoding='utf-8'`` is given, and
``regex_replace`` uses Python's ``re`` (RE2's syntax, which TensorFlow uses, agrees with it on
the patterns of such pipelines).
"""

import re

import numpy as np

from minidl.autograd.tensor import Tensor
from minidl.tf.tensor import _from_host

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_ASCII_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _texts(value, what):
    """``value`` as a host object array of ``str`` (bytes decoded as UTF-8)."""
    data = value.data if isinstance(value, Tensor) else value
    array = data if isinstance(data, np.ndarray) else np.asarray(data, dtype=object)
    flat = array.reshape(-1)
    texts = np.empty(flat.shape, dtype=object)
    for index, item in enumerate(flat):
        if isinstance(item, (bytes, np.bytes_)):
            texts[index] = bytes(item).decode("utf-8")
        elif isinstance(item, (str, np.str_)):
            texts[index] = str(item)
        else:
            raise TypeError(f"tf.strings.{what}: expected string tensors, got {type(item).__name__} {item!r}")
    return texts.reshape(array.shape)


def _string_tensor(texts):
    out = np.empty(texts.shape, dtype=object)
    out.reshape(-1)[:] = [text.encode("utf-8") for text in texts.reshape(-1).tolist()]
    return _from_host(out)


def _each(function, value, what):
    texts = _texts(value, what)
    out = np.empty(texts.shape, dtype=object)
    out.reshape(-1)[:] = [function(text) for text in texts.reshape(-1).tolist()]
    return out


def lower(input, encoding="", name=None):  # noqa: A002 - TensorFlow's name
    """Lower-case every string: ASCII letters only, or every letter with ``encoding='utf-8'``."""
    convert = str.lower if encoding else (lambda text: text.translate(_ASCII_LOWER))
    return _string_tensor(_each(convert, input, "lower"))


def upper(input, encoding="", name=None):  # noqa: A002
    """Upper-case every string: ASCII letters only, or every letter with ``encoding='utf-8'``."""
    convert = str.upper if encoding else (lambda text: text.translate(_ASCII_UPPER))
    return _string_tensor(_each(convert, input, "upper"))


def regex_replace(input, pattern, rewrite, replace_global=True, name=None):  # noqa: A002
    """Replace the matches of ``pattern`` by ``rewrite`` (every match, or the first with
    ``replace_global=False``); ``\\1`` in ``rewrite`` is the first group, as in RE2."""
    compiled = re.compile(_text(pattern))
    replacement = _text(rewrite)
    count = 0 if replace_global else 1
    return _string_tensor(_each(lambda text: compiled.sub(replacement, text, count=count), input, "regex_replace"))


def strip(input, name=None):  # noqa: A002
    """Remove leading and trailing whitespace."""
    return _string_tensor(_each(str.strip, input, "strip"))


def length(input, unit="BYTE", name=None):  # noqa: A002
    """The length of every string in bytes (``unit='UTF8_CHAR'``: in characters), as int32."""
    if unit not in ("BYTE", "UTF8_CHAR"):
        raise ValueError(f"tf.strings.length: unit must be 'BYTE' or 'UTF8_CHAR', got {unit!r}")
    measure = len if unit == "UTF8_CHAR" else (lambda text: len(text.encode("utf-8")))
    return _from_host(_each(measure, input, "length").astype(np.int32))


def join(inputs, separator="", name=None):
    """Join several string tensors of one shape element by element."""
    parts = [_texts(value, "join") for value in inputs]
    shapes = {part.shape for part in parts}
    if len(shapes) != 1:
        raise ValueError(f"tf.strings.join: the inputs must have one shape, got {sorted(shapes)}")
    joined = np.empty(parts[0].shape, dtype=object)
    joined.reshape(-1)[:] = [_text(separator).join(items) for items in zip(*(p.reshape(-1).tolist() for p in parts))]
    return _string_tensor(joined)


def as_string(input, name=None):  # noqa: A002
    """Numbers as their decimal text."""
    data = input.numpy() if isinstance(input, Tensor) else np.asarray(input)
    texts = np.empty(data.shape, dtype=object)
    texts.reshape(-1)[:] = [str(item) for item in data.reshape(-1).tolist()]
    return _string_tensor(texts)


def _text(value):
    if isinstance(value, Tensor):
        value = value.data.item() if value.data.size == 1 else value.data
    return value.decode("utf-8") if isinstance(value, (bytes, np.bytes_)) else str(value)


__all__ = ["as_string", "join", "length", "lower", "regex_replace", "strip", "upper"]
