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
    """The weighted gather above, for images (N, H, W, C) and taps (K, N or 1, H', W'): ``rows``,
    ``cols`` and ``weights`` hold tap k of every output pixel at index k."""

    def __init__(self, rows, cols, weights, fill_value=0.0):
        self.rows, self.cols, self.weights = rows, cols, weights
        self.fill_value = fill_value

    def forward(self, images):
        module = xp()
        n, height, width, channels = images.shape
        # a tap outside the image reads the nearest edge pixel with weight 0
        rows, cols = module.clip(self.rows, 0, height - 1), module.clip(self.cols, 0, width - 1)
        inside = (rows == self.rows) & (cols == self.cols)
        self.inside_weights = module.where(inside, self.weights, 0).astype(images.dtype)
        # one flat row index per tap into the images seen as (N * H * W, C)
        batch = module.arange(0, n * height, height, dtype=np.intp).reshape(1, n, 1, 1)
        self.flat = (batch + rows) * width + cols
        self.image_shape = images.shape
        pixels = images.reshape(-1, channels)
        out = None
        for k in range(len(self.flat)):
            tap = module.take(pixels, self.flat[k], axis=0)                  # tap k of every output pixel
            tap *= self.inside_weights[k][..., None]
            out = tap if out is None else module.add(out, tap, out=out)
        if self.fill_value:
            outside = (self.weights - self.inside_weights).sum(axis=0)        # the weight falling outside
            out = out + outside[..., None].astype(images.dtype) * images.dtype.type(self.fill_value)
        return out

    def backward(self, gy):
        n, height, width, channels = self.image_shape
        # d out / d image[tap] = weight of that tap: each tap's share of the gradient goes back to its pixel
        grad = xp().zeros((n * height * width, channels), dtype=gy.dtype)
        for k in range(len(self.flat)):
            share = gy * self.inside_weights[k][..., None]
            backend.scatter_add(grad, self.flat[k].reshape(-1), share.reshape(-1, channels))
        return grad.reshape(self.image_shape)
