"""Copies of a tensor along axes: ``broadcast_to`` (NumPy's broadcasting made explicit) and
``tile`` (whole copies laid side by side). Both backward passes sum the gradient of every copy
back onto the element it was copied from.
"""

import numpy as np

from minidl.autograd.function import Function, xp
from minidl.ops._util import as_tensor, sum_to


class BroadcastTo(Function):
    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        self.input_shape = x.shape
        return xp().broadcast_to(x, self.shape).copy()  # a copy: later in-place ops must not alias

    def backward(self, gy):
        # each input element was copied to every position along the broadcast axes
        return sum_to(gy, self.input_shape)


class Tile(Function):
    def __init__(self, multiples):
        self.multiples = multiples

    def forward(self, x):
        self.input_shape = x.shape
        return xp().tile(x, self.multiples)

    def backward(self, gy):
        # view the output as (m0, s0, m1, s1, ...): copy k of axis i is block k of size s_i;
        # the input's gradient is the sum over the copy axes m_i
        split = []
        for multiple, size in zip(self.multiples, self.input_shape):
            split += [multiple, size]
        copy_axes = tuple(range(0, 2 * len(self.multiples), 2))
        return gy.reshape(split).sum(axis=copy_axes)


def broadcast_to(x, shape):
    """``x`` copied along new leading axes and along its size-1 axes to ``shape`` (NumPy's rules)."""
    x = as_tensor(x)
    shape = tuple(int(size) for size in shape)
    try:
        fits = np.broadcast_shapes(x.shape, shape) == shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"broadcast_to: a tensor of shape {x.shape} cannot be broadcast to {shape}")
    return BroadcastTo(shape)(x)


def tile(x, multiples):
    """``x`` repeated ``multiples[i]`` times along axis i (one multiple per axis of ``x``)."""
    x = as_tensor(x)
    multiples = tuple(int(m) for m in multiples)
    if len(multiples) != x.ndim or any(m < 0 for m in multiples):
        raise ValueError(f"tile: needs one non-negative multiple per axis of shape {x.shape}, got {multiples}")
    return Tile(multiples)(x)
