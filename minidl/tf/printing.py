"""``tf.print``: values printed the way TensorFlow prints them, so they can be compared with
TensorFlow's output (and the Deep Learning Workshop's pages) digit by digit.

TensorFlow writes a float with the shortest of ``%.6g`` / ``%.9g`` that reads back as the same
float32 (``%.15g`` / ``%.17g`` for float64), separates elements with one space and no padding,
starts a new line (and a blank line per extra rank) between rows, and summarizes a tensor of
more than 1000 elements to its first and last 3 entries per axis with ``...``.
"""

import sys

import numpy as np

from minidl.autograd.tensor import Tensor

_SUMMARIZE = 3
_SUMMARIZE_ABOVE = 1000


def format_scalar(value):
    """One number as TensorFlow's ``FloatToBuffer`` / ``DoubleToBuffer`` writes it."""
    value = np.asarray(value)[()]
    if isinstance(value, (np.bool_, bool)):
        return "1" if value else "0"
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    if isinstance(value, np.floating):
        short_digits, long_digits = (6, 9) if value.dtype.itemsize <= 4 else (15, 17)
        text = f"{value:.{short_digits}g}"
        if type(value)(text) != value:
            text = f"{value:.{long_digits}g}"
        return text
    return str(value)


def format_tensor(value, summarize=None):
    """A tensor, array, list or scalar as ``tf.print`` shows it."""
    array = np.asarray(value.numpy() if isinstance(value, Tensor) else value)
    if summarize is None:
        summarize = _SUMMARIZE if array.size > _SUMMARIZE_ABOVE else -1
    return _format_array(array, depth=0, summarize=summarize)


def _format_array(array, depth, summarize):
    if array.ndim == 0:
        return format_scalar(array)
    shortened = 0 <= summarize and 2 * summarize < len(array)
    items = list(range(summarize)) + [None] + list(range(len(array) - summarize, len(array))) if shortened else range(len(array))
    if array.ndim == 1:
        return "[" + " ".join("..." if i is None else format_scalar(array[i]) for i in items) + "]"
    separator = "\n" * (array.ndim - 1) + " " * (depth + 1)
    parts = ["..." if i is None else _format_array(array[i], depth + 1, summarize) for i in items]
    return "[" + separator.join(parts) + "]"


def print(*inputs, output_stream=None, summarize=None, sep=" ", end="\n", name=None):  # noqa: A001 - tf.print
    """``tf.print(a, b, ...)``: tensors and arrays formatted as TensorFlow does, anything else with ``str``.

    It writes to ``sys.stdout`` unless ``output_stream`` is given. (TensorFlow's default is
    stderr, which a notebook shows in the same place; in a script stdout keeps these lines in
    order with ``print``'s.)
    """
    texts = [format_tensor(item, summarize) if isinstance(item, (Tensor, np.ndarray, np.generic)) else str(item)
             for item in inputs]
    stream = sys.stdout if output_stream is None else output_stream
    stream.write(sep.join(texts) + end)
