"""The depthwise convolution, readable: every input channel convolved with its own small
kernels, by im2col (``reference/im2col.py``) and a sum over each window's taps per channel.

An ordinary convolution mixes all input channels in every output. A depthwise one keeps them
apart: input channel c meets only its ``depth_multiplier`` kernels K[:, :, c, m], giving output
channels ``c * depth_multiplier + m`` (Keras's order). For x (N, H, W, C) and a Keras kernel
(kh, kw, C, M)::

    cols[p, k, c] = im2col(pad(x))          every window p, its kh * kw taps k, per channel c
    y[p, c, m]    = sum_k cols[p, k, c] * K[k, c, m]  + b[c * M + m]

-- for each channel c a product of its (P, kh*kw) windows with its (kh*kw, M) kernels.
Backward, the two products' derivatives and the adjoint of im2col::

    dL/dK[k, c, m]    = sum_p cols[p, k, c] * dL/dy[p, c, m]
    dL/dcols[p, k, c] = sum_m dL/dy[p, c, m] * K[k, c, m]
    dL/dx             = crop(col2im(dL/dcols))

(A separable convolution is this followed by a 1x1 ordinary convolution; minidl composes the
two ops.) The fast form, ``minidl/ops/fast/depthwise_conv.py``, makes the same sums tap by tap
without the im2col matrix; this one runs inside ``minidl.reference_ops()``.
"""

from minidl.autograd.function import Function, xp
from minidl.ops.reference.im2col import im2col
from minidl.ops.windows import crop_spatial, pad_spatial


class DepthwiseConv2D(Function):
    """y = depthwise(x, K) + b for x (N, H, W, C), K (kh, kw, C, M), b (C * M,); the window
    geometry is fixed at construction.

    The sums over the taps are ``einsum`` calls written with the docstring's indices (p windows,
    k taps, c channels), one per multiplier m (usually just one): NumPy sums over k for every
    (p, c) in plain loops, 10-15x faster here than a batched product of C skinny
    (P, kh*kw) @ (kh*kw, M) matrices, and than one einsum that also carries m. Backward adds
    dL/dcols back tap by tap as it is made (col2im's adds, one (P, C) tap at a time), never
    building the (P, kh*kw, C) matrix."""

    def __init__(self, geometry):
        self.geometry = geometry

    def forward(self, x, kernel, bias):
        n, channels = x.shape[0], x.shape[3]
        taps, multiplier = kernel.shape[0] * kernel.shape[1], kernel.shape[3]
        padded = pad_spatial(x, self.geometry.pads)
        self.cols = im2col(padded, self.geometry).reshape(-1, taps, channels)   # (P, kh*kw, C)
        self.kernels = [xp().ascontiguousarray(kernel[:, :, :, m].reshape(taps, channels))
                        for m in range(multiplier)]                             # K[:, :, m] as (kh*kw, C)
        self.padded_shape, self.kernel_shape = padded.shape, kernel.shape
        # y[p, c, m] = sum_k cols[p, k, c] K[k, c, m]
        y = xp().stack([xp().einsum("pkc,kc->pc", self.cols, k_m) for k_m in self.kernels], axis=-1)
        return y.reshape(n, *self.geometry.output_size, channels * multiplier) + bias

    def backward(self, gy):
        positions, taps, channels = self.cols.shape
        n = self.padded_shape[0]
        multiplier = self.kernel_shape[3]
        g = [xp().ascontiguousarray(g_m) for g_m in xp().moveaxis(gy.reshape(positions, channels, multiplier), 2, 0)]
        # y[p, c, m] = sum_k cols[p, k, c] K[k, c, m]
        dkernel = [xp().einsum("pkc,pc->kc", self.cols, g_m) for g_m in g]     # dy/dK = cols, summed over p
        dbias = gy.sum(axis=(0, 1, 2))                                          # dy/db = 1, at every output pixel
        # dy/dcols = K: tap k of every window gets sum_m g[p, c, m] K[k, c, m], and col2im adds it
        # back where the tap read x -- done tap by tap, without the (P, kh*kw, C) matrix
        dpadded = xp().zeros(self.padded_shape, dtype=gy.dtype)
        for k, (i, j) in enumerate(self.geometry.offsets):
            tap_gradient = g[0] * self.kernels[0][k]
            for g_m, k_m in zip(g[1:], self.kernels[1:]):
                tap_gradient += g_m * k_m[k]
            dpadded[self.geometry.window_slice(i, j)] += tap_gradient.reshape(n, *self.geometry.output_size, channels)
        dkernel = xp().stack(dkernel, axis=-1).reshape(self.kernel_shape)
        return crop_spatial(dpadded, self.geometry.pads), dkernel, dbias
