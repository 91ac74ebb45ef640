"""Inverted dropout, readable: multiply by a mask of 0 and 1/(1 - rate).

Each element is zeroed with probability ``rate`` and the rest are scaled by 1/(1 - rate), so
the expected activation is unchanged and inference needs no rescaling::

    y = x * mask                    dL/dx = dL/dy * mask

The mask is drawn by ``minidl.ops.dropout.dropout_mask``; it may have size-1 axes (one mask
shared along them, as SpatialDropout1D's). This is the only form of dropout:
``minidl.ops.dropout`` runs it whether or not ``minidl.reference_ops()`` is active.
"""

from minidl.autograd.function import Function


class Dropout(Function):
    """``x * mask`` for a mask fixed at construction."""

    def __init__(self, mask):
        self.mask = mask

    def forward(self, x):
        return x * self.mask

    def backward(self, gy):
        # d(x * mask)/dx = mask
        return gy * self.mask
