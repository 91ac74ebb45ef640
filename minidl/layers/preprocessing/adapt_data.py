"""What ``layer.adapt(data)`` accepts, as host NumPy batches.

A preprocessing layer learns its state (a mean and variance, a vocabulary, bin boundaries)
from data before training, as in Keras. ``adapt`` takes the data in any of Keras's forms:

* one array: a NumPy array, a minidl Tensor, a Python list of values (``["a cat", "a dog"]``);
* a dataset of batches: a ``tf.data.Dataset`` (minidl's or TensorFlow's), a ``Sequence`` /
  ``PyDataset``, a generator, or a list of arrays; an element ``(x, y)`` or ``(x, y, w)``
  contributes its ``x``, so ``adapt(train_dataset)`` works as well as
  ``adapt(train_dataset.map(lambda x, y: x))``.

``batches`` yields the data as host NumPy arrays (text as arrays of ``str``), at most
``steps`` of them. The layers then fold the batches into their state one at a time, so a
dataset larger than memory adapts too.
"""

import numpy as np

from minidl.autograd.tensor import Tensor
from minidl.layers.text_values import as_text_array, holds_text
from minidl.runtime import backend


def _is_single_array(data):
    if isinstance(data, (np.ndarray, Tensor, str, bytes)) or backend.is_array(data):
        return True
    if _is_pandas(data):  # a Series, a DataFrame or pandas' own array (``df['text'].values``): one batch
        return True
    if isinstance(data, (list, tuple)):
        return not data or not all(_is_batch(item) for item in data)
    return False


def _is_pandas(data):
    return type(data).__module__.split(".")[0] == "pandas" and hasattr(data, "to_numpy")


def _is_batch(item):
    """An item of a list that is a batch of its own (an array, a tensor), not a single value."""
    if isinstance(item, (np.ndarray, Tensor)) or backend.is_array(item) or hasattr(item, "numpy"):
        return getattr(item, "ndim", 1) >= 1
    return False


def _features(element):
    """The ``x`` of an ``(x, y)`` or ``(x, y, sample_weight)`` element."""
    if isinstance(element, tuple) and len(element) in (2, 3):
        return element[0]
    return element


def host_array(value, what, text=False):
    """One batch as a host NumPy array (text: an object array of ``str``)."""
    if text or holds_text(value):
        return as_text_array(value, what)
    if isinstance(value, Tensor):
        return value.numpy()
    if backend.is_array(value):
        return backend.to_numpy(value)
    if hasattr(value, "numpy") and not isinstance(value, np.ndarray):  # a TensorFlow tensor
        return np.asarray(value.numpy())
    return np.asarray(value)


def batches(data, what, steps=None, text=False):
    """Yield ``data`` (see the module docstring) as host NumPy batches, at most ``steps`` of them."""
    if steps is not None and (not isinstance(steps, (int, np.integer)) or isinstance(steps, bool) or steps < 1):
        raise ValueError(f"{what}: steps must be None or a positive integer, got {steps!r}")
    if data is None:
        raise ValueError(f"{what}: no data to adapt to (got None)")
    if _is_single_array(data):
        yield host_array(data.to_numpy() if _is_pandas(data) else data, what, text)
        return
    if isinstance(data, dict):
        raise TypeError(f"{what}: cannot adapt to a dict; pass the array (or dataset) of this layer's feature")
    if hasattr(data, "__len__") and hasattr(data, "__getitem__") and not hasattr(data, "__iter__"):
        source = (data[index] for index in range(len(data)))
    elif hasattr(data, "__iter__") or hasattr(data, "__next__"):
        source = iter(data)
    else:
        raise TypeError(f"{what}: cannot adapt to a {type(data).__name__}; pass an array, a list, a tf.data "
                        "Dataset, a Sequence or a generator of batches")
    count = 0
    for element in source:
        if steps is not None and count >= steps:
            return
        yield host_array(_features(element), what, text)
        count += 1
    if count == 0:
        raise ValueError(f"{what}: the data yielded no batches")


def is_dataset(data):
    """Whether ``data`` is a ``tf.data``-style dataset (minidl's or TensorFlow's)."""
    return hasattr(data, "element_spec") and hasattr(data, "batch")
