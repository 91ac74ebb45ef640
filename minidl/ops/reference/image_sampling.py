"""Resampling images, readable: every output pixel a weighted sum of a few input pixels.

Resizing, rotating, zooming and shifting an image all read each output pixel (i, j) from a
point (y, x) of the input that usually lies between pixels. Bilinear interpolation takes the
four pixels around it, nearest-neighbour interpolation the closest one::

    out[n, i, j, c] = sum_k  weight[n, i, j, k] * image[n, row[n, i, j, k], col[n, i, j, k], c]
                    + fill_value * sum of the weights of the taps that fall outside the image

``rows``, ``cols`` and ``weights`` (one entry per tap k) depend only on the geometry, not on
the pixels (``minidl.ops.image`` computes them), so the op is linear in the image and its
backward adds every output gradient, times its weight, back onto the pixels it was read from::

    d image[n, row, col, c] += weight * d out[n, i, j, c]     (for every tap inside the image)

A pixel read by several outputs collects all their gradients (a scatter-add). The fill
contributes nothing to the gradient: it is a constant.
"""

import numpy as np

from minidl.autograd.function import Function, xp
from minidl.runtime import backend


class SampleImages(Function):
    """The weighted gather above, for images (N, H, W, C) and K taps: ``rows``, ``cols`` and
    ``weights`` are sequences of K arrays of shape (N or 1, H', W'), tap k of every output pixel at
    index k (or (K, N or 1, H', W') arrays). Taps that share their row (or column) array -- the
    bilinear taps share them in pairs -- share its clipping and its part of the flat index."""

    def __init__(self, rows, cols, weights, fill_value=0.0):
        self.rows, self.cols, self.weights = rows, cols, weights
        self.fill_value = fill_value

    def forward(self, images):
        module = xp()
        n, height, width, channels = images.shape
        pixels = images.reshape(-1, channels)  # every pixel of every image, one row each
        batch = module.arange(0, n * height, height, dtype=np.intp).reshape(n, 1, 1)
        rows, cols = _Clipped(height), _Clipped(width)
        self.flat, self.inside_weights, self.image_shape = [], [], images.shape
        out = None
        for row, col, weight in zip(self.rows, self.cols, self.weights):
            # a tap outside the image reads the nearest edge pixel, with weight 0
            row_inside, col_inside = rows.inside(row), cols.inside(col)
            inside_weight = module.where(row_inside & col_inside, weight, 0).astype(images.dtype, copy=False)
            flat = rows.row_starts(row, batch, width) + cols.clipped(col)  # (image * H + row) * W + col
            tap = module.take(pixels, flat, axis=0)                     # tap k of every output pixel
            tap *= inside_weight[..., None]
            out = tap if out is None else module.add(out, tap, out=out)
            self.flat.append(flat)
            self.inside_weights.append(inside_weight)
        if self.fill_value:
            outside = sum(weight - inside for weight, inside in zip(self.weights, self.inside_weights))
            out = out + outside[..., None].astype(images.dtype) * images.dtype.type(self.fill_value)
        return out

    def backward(self, gy):
        n, height, width, channels = self.image_shape
        # d out / d image[tap] = weight of that tap: each tap's share of the gradient goes back to its pixel
        grad = xp().zeros((n * height * width, channels), dtype=gy.dtype)
        for flat, inside_weight in zip(self.flat, self.inside_weights):
            share = gy * inside_weight[..., None]
            backend.scatter_add(grad, flat.reshape(-1), share.reshape(-1, channels))
        return grad.reshape(self.image_shape)


class _Clipped:
    """Tap coordinates along one axis of ``size`` pixels, clipped into it, and whether they were
    inside already -- worked out once per coordinate array, however many taps share it."""

    def __init__(self, size):
        self.size, self.cache = size, {}

    def _entry(self, coords):
        # keyed by the array object: the entry holds it, so no other array can take its id while
        # the entry exists (taps handed over as one stacked array come as fresh views, one by one)
        key = id(coords)
        if key not in self.cache:
            limited = xp().clip(coords, 0, self.size - 1)
            self.cache[key] = {"coords": coords, "clipped": limited, "inside": limited == coords}
        return self.cache[key]

    def clipped(self, coords):
        return self._entry(coords)["clipped"]

    def inside(self, coords):
        return self._entry(coords)["inside"]

    def row_starts(self, coords, batch, width):
        """For row coordinates: (image * H + clipped row) * W, the flat index where each tap's
        image row starts (``batch`` holds image * H)."""
        entry = self._entry(coords)
        if "row_starts" not in entry:
            entry["row_starts"] = (batch + entry["clipped"]) * width
        return entry["row_starts"]
