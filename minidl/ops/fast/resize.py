"""The fast resize: ``SeparableResize``, what ``minidl.ops.image.resize`` runs by default on the CPU.

It must equal the readable form, ``SampleImages`` (``minidl/ops/reference/image_sampling.py``),
which reads every output pixel as a weighted gather of its taps in the image -- 4 for
'bilinear', 1 for 'nearest' -- and scatter-adds the gradient back. A resize's taps are a row tap
times a column tap, with weights ``row_weight * column_weight`` (``image._resize_axis``), so the
same sums can be made one axis at a time::

    t[n, i, w, c] = sum_a  row_weights[i, a] * x[n, rows[i, a], w, c]      (height: H -> H')
    y[n, i, j, c] = sum_b  col_weights[j, b] * t[n, i, cols[j, b], c]      (width:  W -> W')

two or four whole-slab gathers instead of one gather of K single pixels per output pixel, and no
(N, H', W', K, C) tap array. The backward runs the axes in reverse: each gather's adjoint adds
gradient slabs back onto the rows (columns) they were read from. Each axis's tap indices never
decrease along the output, so the slabs that land on one input slab are consecutive: each run is
summed and added once, instead of a scatter-add of single pixels.

The order of the sums differs from the readable form's (per axis, then across axes, instead of
over the K products of weights): equal to rounding. It runs on the CPU only (``fast_form_applies``):
a GPU wants the one gather kernel of the readable form, not a Python loop over slabs.
"""

import numpy as np

from minidl.autograd.function import Function, xp
from minidl.runtime import backend
from minidl.runtime.step_buffers import reusable_empty


def fast_form_applies():
    """Whether ``SeparableResize`` runs: on the host (NumPy)."""
    return backend.get_backend() == "numpy"


class SeparableResize(Function):
    """Images (N, H, W, C) resampled along height by ``(rows, row_weights)`` and along width by
    ``(cols, col_weights)``: per axis, (out, K) tap indices (non-decreasing along out) and weights."""

    def __init__(self, rows, row_weights, cols, col_weights):
        self.rows, self.row_weights = rows, row_weights
        self.cols, self.col_weights = cols, col_weights

    def forward(self, images):
        self.image_shape = images.shape
        along_height = _resample(images, self.rows, self.row_weights, axis=1)
        return _resample(along_height, self.cols, self.col_weights, axis=2)

    def backward(self, gy):
        # d y / d t[.., cols[j, b], ..] = col_weights[j, b]; d t / d x[.., rows[i, a], ..] = row_weights[i, a]
        height, width = self.image_shape[1:3]
        grad_along_height = _resample_adjoint(gy, self.cols, self.col_weights, axis=2, size=width)
        return _resample_adjoint(grad_along_height, self.rows, self.row_weights, axis=1, size=height)


def _weights_along(weights, axis, dtype):
    """A (out,) column of tap weights shaped to broadcast along ``axis`` of an (N, H, W, C) array."""
    shape = [1, 1, 1, 1]
    shape[axis] = len(weights)
    return weights.astype(dtype, copy=False).reshape(shape)


def _resample(array, taps, weights, axis):
    """sum over k of weights[:, k] * (array's slabs ``taps[:, k]`` along ``axis``)."""
    module = xp()
    shape = list(array.shape)
    shape[axis] = len(taps)

    def gather(k, out):
        # mode='clip': the taps lie inside the axis by construction, and 'raise' would copy the
        # gathered slabs through a temporary before writing them into ``out``
        module.take(array, taps[:, k], axis=axis, out=out, mode="clip")
        out *= _weights_along(weights[:, k], axis, array.dtype)
        return out

    total = gather(0, reusable_empty(shape, array.dtype))
    if taps.shape[1] > 1:
        term = reusable_empty(shape, array.dtype)
        for k in range(1, taps.shape[1]):
            total += gather(k, term)
    return total


def _resample_adjoint(grad, taps, weights, axis, size):
    """The adjoint of ``_resample``: every output slab's gradient, times its weight, added onto the
    input slab ``taps[:, k]`` it was read from (``size`` slabs along ``axis``)."""
    # slab by slab along the first axis, where a slab is one contiguous block
    by_slab = _contiguous(xp().moveaxis(grad, axis, 0))
    total = reusable_empty((size, *by_slab.shape[1:]), grad.dtype)
    total.fill(0)
    weighted = reusable_empty(by_slab.shape, grad.dtype)
    for k in range(taps.shape[1]):
        xp().multiply(by_slab, _weights_along(weights[:, k], 0, grad.dtype), out=weighted)
        # the taps never decrease, so the output slabs read from one input slab are a run: each
        # run is summed and added once (NumPy's add.reduceat does the same, ~10x slower)
        landed, first = np.unique(taps[:, k], return_index=True)
        for slab, start, stop in zip(landed.tolist(), first.tolist(), [*first[1:].tolist(), len(taps)]):
            total[slab] += weighted[start] if stop == start + 1 else weighted[start:stop].sum(axis=0)
    return _contiguous(xp().moveaxis(total, 0, axis))


def _contiguous(view):
    """A contiguous copy of ``view`` in a step buffer."""
    copy = reusable_empty(view.shape, view.dtype)
    copy[...] = view
    return copy
