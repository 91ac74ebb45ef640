"""Embedding lookup: rows of a (V, D) table picked by integer indices -- the op's argument checks.

The op itself, a gather forward and a scatter-add backward, is ``EmbeddingLookup`` in
``minidl/ops/reference/embedding.py``: its only form, readable and used everywhere
(``embedding_lookup_reference`` is the same op under the name every heavy op's readable form
has).
"""

import numpy as np

from minidl.autograd.function import xp
from minidl.autograd.tensor import Tensor
from minidl.ops._util import as_tensor
from minidl.ops.reference.embedding import EmbeddingLookup


def check_indices(indices, input_dim, op="embedding_lookup"):
    """Raise unless ``indices`` is an integer array whose values all lie in [0, input_dim).

    The range check reads the smallest and largest index back to the host: one small
    transfer per call (two scalars, fetched together), cheap next to the lookup itself, and
    the only way to turn an out-of-range index into a clear error -- a GPU gather would
    otherwise read past the table silently.
    """
    if not np.issubdtype(indices.dtype, np.integer):
        kind = "floating-point" if np.issubdtype(indices.dtype, np.floating) else str(indices.dtype)
        raise TypeError(
            f"{op}: expected integer indices (any int dtype), got a {kind} array of dtype "
            f"{indices.dtype} and shape {tuple(indices.shape)}; convert token ids explicitly, "
            "e.g. x.astype('int32') (floats are not truncated silently)"
        )
    if indices.size == 0:
        return
    module = xp()
    smallest, largest = module.stack([indices.min(), indices.max()]).tolist()
    if smallest < 0 or largest >= input_dim:
        offending = smallest if smallest < 0 else largest
        raise IndexError(
            f"{op}: index {offending} is out of range; expected indices in [0, {input_dim}) "
            f"(input_dim={input_dim}); got values from {smallest} to {largest}"
        )


def whole_number_indices(indices, op="embedding_lookup"):
    """Float ``indices`` that hold whole numbers (a float ``Input`` feeding an Embedding, as in
    keras.io's examples; Keras casts them) as int32; a fraction, NaN or infinity is an error:
    ids are never rounded or truncated silently. Integer indices are returned as they are."""
    if not np.issubdtype(indices.dtype, np.floating):
        return indices
    module = xp()
    if indices.size and bool(((indices != module.floor(indices)) | ~module.isfinite(indices)).any().item()):
        raise TypeError(
            f"{op}: expected integer indices, got a floating-point array of dtype {indices.dtype} and shape "
            f"{tuple(indices.shape)} holding values that are not whole numbers; ids are not rounded silently"
        )
    return indices.astype(np.int32)


def _validated(indices, table, op, check_range):
    table = as_tensor(table)
    indices = indices.data if isinstance(indices, Tensor) else as_tensor(indices).data
    if table.ndim != 2:
        raise ValueError(f"{op}: the table must have shape (input_dim, output_dim), got {table.shape}")
    if check_range:
        check_indices(indices, table.shape[0], op)
    return indices, table


def embedding_lookup(indices, table, check_range=True):
    """Rows of ``table`` (V, D) at integer ``indices`` (any shape): output (*indices.shape, D).

    ``check_range=False`` skips the range check (one small device-to-host read) for indices
    already checked, e.g. by a model that checked a whole input array once.
    """
    indices, table = _validated(indices, table, "embedding_lookup", check_range)
    return EmbeddingLookup(indices)(table)


def embedding_lookup_reference(indices, table):
    """``embedding_lookup`` in its readable form (its only form: see the module docstring)."""
    indices, table = _validated(indices, table, "embedding_lookup_reference", check_range=True)
    return EmbeddingLookup(indices)(table)
