"""The poolings, readable: max and average pooling as im2col, a reduction of each window's row,
and col2im back (``reference/im2col.py``), each a Function whose backward is written out.

    windows = im2col(pad(x))           one row per output pixel: the kh * kw values of its window
                                       (per channel), laid out as (N, out_h, out_w, kh * kw, C)
    max:   y = windows.max(axis=3)     backward: the gradient goes to the window's winner only
    mean:  y = windows.sum(axis=3) / (number of real inputs in the window)
                                       backward: every input of the window gets gy / count

Padding follows TensorFlow: for a max the padded positions are -inf and never win; for a mean
they are zeros that are not counted (a border window of 'same' padding averages only what it
covers). Ties go to the first maximum in row-major order of the window, as in TensorFlow; with
overlapping windows an input collects the gradient of every window it wins.

The fast forms, which must give the same numbers, are in ``minidl/ops/fast/pooling.py``.
"""

import numpy as np

from minidl.autograd.function import Function, xp
from minidl.ops.reference.im2col import col2im, im2col
from minidl.ops.windows import crop_spatial, pad_spatial, window_counts
from minidl.runtime import backend


def _windows(padded, geometry):
    """im2col of ``padded`` as (N, out_h, out_w, kh * kw, C): axis 3 runs over each window."""
    n, channels = padded.shape[0], padded.shape[3]
    offsets = len(geometry.offsets)
    return im2col(padded, geometry).reshape(n, *geometry.output_size, offsets, channels)


def _back_to_input(dwindows, geometry, padded_shape):
    """col2im of window gradients (N, out_h, out_w, kh * kw, C), cropped to the input."""
    dcols = dwindows.reshape(-1, dwindows.shape[3] * dwindows.shape[4])
    return crop_spatial(col2im(dcols, geometry, padded_shape), geometry.pads)


class MaxPool2D(Function):
    """y = the maximum of each window of x (N, H, W, C)."""

    def __init__(self, geometry):
        self.geometry = geometry

    def forward(self, x):
        padded = pad_spatial(x, self.geometry.pads, value=-np.inf)   # padding never wins
        windows = _windows(padded, self.geometry)
        self.winner = windows.argmax(axis=3)                         # the first maximum of each window
        self.padded_shape, self.offsets = padded.shape, windows.shape[3]
        return windows.max(axis=3)

    def backward(self, gy):
        # d max(window) / d window[k] = 1 for the winning k, 0 for the others
        won = self.winner[:, :, :, None, :] == xp().arange(self.offsets)[:, None]
        dwindows = won * gy[:, :, :, None, :]
        return _back_to_input(dwindows, self.geometry, self.padded_shape)


class AvgPool2D(Function):
    """y = the mean of the real (unpadded) inputs of each window of x (N, H, W, C)."""

    def __init__(self, geometry):
        self.geometry = geometry

    def forward(self, x):
        padded = pad_spatial(x, self.geometry.pads)                  # zeros: they add nothing
        windows = _windows(padded, self.geometry)
        counts = window_counts(self.geometry).astype(x.dtype)[None, :, :, None]
        self.counts = backend.to_device(counts)                      # (1, out_h, out_w, 1)
        self.padded_shape, self.offsets = padded.shape, windows.shape[3]
        return windows.sum(axis=3) / self.counts

    def backward(self, gy):
        # d mean(window) / d window[k] = 1 / count, for every k of the window
        share = gy / self.counts
        dwindows = xp().broadcast_to(share[:, :, :, None, :], (*share.shape[:3], self.offsets, share.shape[3]))
        return _back_to_input(dwindows, self.geometry, self.padded_shape)
