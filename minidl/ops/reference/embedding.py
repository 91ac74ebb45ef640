"""Embedding lookup, readable: rows of a (V, D) table picked by integer indices.

Forward is a gather, ``table[indices]`` (written ``take(table, indices, axis=0)``): an index
array of any shape (batch, time, ...) gives an output of shape (batch, time, ..., D). Backward
is the matching scatter-add: row v of the table's gradient is the sum of the output gradients
at every position whose index was v (a word seen five times in a batch collects five
gradients; a word not seen gets zero)::

    out[p] = table[indices[p]]        dL/dtable[v] = sum over p with indices[p] == v of dL/dout[p]

This is the only form of the lookup: ``minidl.ops.embedding_lookup`` runs it whether or not
``minidl.reference_ops()`` is active. (``backend.scatter_add`` is NumPy's and CuPy's
``add.at``; on NumPy it adds through flat indices, the same additions in the same order.)
"""

from minidl.autograd.function import Function, xp
from minidl.runtime import backend


class EmbeddingLookup(Function):
    """``table[indices]`` for an integer index array fixed at construction."""

    def __init__(self, indices):
        self.indices = indices

    def forward(self, table):
        self.table_shape = table.shape
        # take(table, indices, axis=0) is table[indices]; NumPy's take copies whole rows and runs
        # ~4x faster than the fancy index (0.55 against 2.1 ms for 512 x 200 ids into 8000 x 32)
        return xp().take(table, self.indices, axis=0)

    def backward(self, gy):
        # d out[p] / d table[v] = 1 where indices[p] == v: each position's gradient is added to its row
        depth = self.table_shape[-1]
        grad = xp().zeros(self.table_shape, dtype=gy.dtype)
        backend.scatter_add(grad, self.indices.reshape(-1), gy.reshape(-1, depth))
        return grad
