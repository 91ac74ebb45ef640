"""``CategoryEncoding``: integer category ids as one-hot, multi-hot or count vectors; and
``encode``, the same encoding for the lookup, hashing, discretisation and text layers'
``output_mode``.

For ids in ``[0, depth)``:

* ``one_hot``: every id becomes a vector of ``depth`` zeros with a one at the id; an input
  (batch,) or (batch, 1) gives (batch, depth), an input (batch, k) gives (batch, k, depth);
* ``multi_hot``: every sample (the last axis) becomes one vector with a one at each id it
  holds: (batch, k) gives (batch, depth);
* ``count``: like multi_hot, but each entry counts how often the id occurs (weighted by
  ``count_weights`` when given).

A rank-1 input (batch,) is a batch of single ids in every mode (Keras 2's rule; Keras 3 reads a
rank-1 input to multi_hot/count as one sample). Ids outside ``[0, depth)`` are an error that
names them, where Keras 3 silently drops them.
"""

import math

import numpy as np

from minidl.autograd.tensor import Tensor
from minidl.layers import arguments
from minidl.layers.base import Layer, inputs_already_checked
from minidl.layers.call_context import label
from minidl.runtime import backend

OUTPUT_MODES = ("one_hot", "multi_hot", "count")


def output_mode_argument(layer, value, choices):
    """Keras's spellings ('binary' is multi_hot, 'tf-idf' is tf_idf), checked against ``choices``."""
    value = {"binary": "multi_hot", "tf-idf": "tf_idf"}.get(value, value)
    return arguments.choice(layer, "output_mode", value, choices)


def refuse_sparse(layer, sparse):
    """minidl has no sparse tensors: ``sparse=True`` is an error naming the layer."""
    if arguments.boolean(layer, "sparse", sparse):
        raise ValueError(f"{label(layer)}: sparse=True is not supported (minidl has no sparse tensors); "
                         "leave sparse=False for a dense output")
    return False


def encode(ids, mode, depth, dtype, count_weights=None, who="encode", check_range=True):
    """The ``mode`` encoding (see the module docstring) of an integer array ``ids`` (host or
    device) as an array of ``dtype`` on the same side; ids outside [0, depth) are an error
    (``check_range=False``: the caller checked them already)."""
    xp = np if isinstance(ids, np.ndarray) else backend.get_xp()
    ids = ids.astype(np.int64) if ids.dtype.kind != "i" else ids
    if check_range:
        check_ids(ids, depth, who)
    if ids.ndim == 0:  # one id of one sample (a tf.data element): Keras 3 encodes it as shape (depth,)
        return encode(ids.reshape(1), mode, depth, dtype, count_weights, who, check_range=False).reshape(depth)
    if mode == "one_hot":
        if ids.ndim > 1 and ids.shape[-1] == 1:
            ids = ids.reshape(ids.shape[:-1])
        return (ids[..., None] == xp.arange(depth)).astype(dtype)
    rows = ids.reshape(-1, 1) if ids.ndim == 1 else ids.reshape(math.prod(ids.shape[:-1]), ids.shape[-1])
    # position of every id in the flattened (samples, depth) output
    flat = (xp.arange(rows.shape[0])[:, None] * depth + rows).reshape(-1)
    out = xp.zeros(rows.shape[0] * depth, dtype=dtype)
    if mode == "multi_hot":
        out[flat] = 1
    else:
        weights = xp.ones(flat.shape, dtype=dtype) if count_weights is None else count_weights.astype(dtype).reshape(-1)
        if weights.shape != flat.shape:
            raise ValueError(f"{who}: count_weights must have the shape of the ids {tuple(ids.shape)}, got "
                             f"{tuple(count_weights.shape)}")
        xp.add.at(out, flat, weights)  # repeated ids add up
    leading = ids.shape[:-1] if ids.ndim > 1 else ids.shape
    return out.reshape(*leading, depth)


def check_ids(ids, depth, who):
    """Raise naming ``who`` unless every id is in [0, depth) (two numbers read from a device)."""
    if ids.size == 0:
        return
    module = np if isinstance(ids, np.ndarray) else backend.get_xp()
    low, high = (int(v) for v in backend.to_numpy(module.stack([ids.min(), ids.max()])))
    if low < 0 or high >= depth:
        host = backend.to_numpy(ids)
        bad = host[(host < 0) | (host >= depth)]
        raise ValueError(f"{who}: every id must be in [0, {depth}), got {bad.reshape(-1)[:5].tolist()} (ids of shape "
                         f"{tuple(host.shape)}); raise num_tokens or map the ids first")


class CategoryEncoding(Layer):
    """Encodes integer ids in ``[0, num_tokens)`` as one-hot, multi-hot or count vectors (see the
    module docstring for the shapes). The output is in the layer's float type; no weights.

    Arguments:
        num_tokens: how many categories there are (the length of every vector).
        output_mode: 'multi_hot' (Keras's default; 'binary' too), 'one_hot' or 'count'.
        sparse: must be False (minidl has no sparse tensors).
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype``, ``input_shape``, ...).

    ``layer(ids, count_weights=w)`` weights each occurrence in 'count' mode.
    """

    input_dtype = np.dtype("int64")

    def __init__(self, num_tokens: int | None = None, output_mode: str = "multi_hot", sparse: bool = False, **kwargs):
        super().__init__(**kwargs)
        if num_tokens is None:
            raise ValueError(f"{label(self)}: num_tokens must be set (use IntegerLookup when the number of "
                             "categories is not known beforehand)")
        self.num_tokens = arguments.positive_int(self, "num_tokens", num_tokens)
        self.output_mode = output_mode_argument(self, output_mode, OUTPUT_MODES)
        self.sparse = refuse_sparse(self, sparse)

    def call(self, inputs, count_weights=None):
        if count_weights is not None and self.output_mode != "count":
            raise ValueError(f"{label(self)}: count_weights is only used with output_mode='count', not "
                             f"{self.output_mode!r}")
        ids = inputs.data
        if ids.dtype.kind == "f":
            ids = _whole_numbers(ids, label(self))
        if count_weights is not None:
            count_weights = count_weights.data if isinstance(count_weights, Tensor) else backend.to_device(
                np.asarray(count_weights))
        return Tensor._from_op(encode(ids, self.output_mode, self.num_tokens, self.dtype, count_weights,
                                      label(self), check_range=not inputs_already_checked(self)))

    def check_input_data(self, ids, what):
        """Every id of a whole input array in [0, num_tokens), checked once before a model runs."""
        if ids.size and ids.dtype.kind in "iu":
            check_ids(ids, self.num_tokens, f"{label(self)}: {what}")

    def get_config(self):
        return {**super().get_config(), "num_tokens": self.num_tokens, "output_mode": self.output_mode,
                "sparse": self.sparse}


def _whole_numbers(values, who):
    """Float ids as int64, refusing fractions (they are never rounded silently)."""
    host = backend.to_numpy(values)
    if not np.all(np.isfinite(host)) or not np.all(host == np.floor(host)):
        raise ValueError(f"{who}: ids must be whole numbers, got {host[host != np.floor(host)].reshape(-1)[:5].tolist()}")
    return values.astype(np.int64)
