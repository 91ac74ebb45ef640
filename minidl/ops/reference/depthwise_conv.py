"""The depthwise convolution, readable: every input channel convolved with its own small
kernels, by im2col (``reference/im2col.py``) and one batched matrix product per channel.

An ordinary convolution mixes all input channels in every output. A depthwise one keeps them
apart: input channel c meets only its ``depth_multiplier`` kernels K[:, :, c, m], giving output
channels ``c * depth_multiplier + m`` (Keras's order). For x (N, H, W, C) and a Keras kernel
(kh, kw, C, M)::

    cols[p, k, c] = im2col(pad(x))          every window p, its kh * kw taps k, per channel c
    y[p, c, m]    = sum_k cols[p, k, c] * K[k, c, m]  + b[c * M + m]

-- for each channel c one product of its (P, kh*kw) windows with its (kh*kw, M) kernels.
Backward, the two products of each channel's matrix product and the adjoint of im2col::

    dL/dK[k, c, m]    = sum_p cols[p, k, c] * dL/dy[p, c, m]
    dL/dcols[p, k, c] = sum_m dL/dy[p, c, m] * K[k, c, m]
    dL/dx             = crop(col2im(dL/dcols))

(A separable convolution is this followed by a 1x1 ordinary convolution; minidl composes the
two ops.) This is the only form of the op.
"""

from minidl.autograd.function import Function
from minidl.ops.reference.im2col import col2im, im2col
from minidl.ops.windows import crop_spatial, pad_spatial


class DepthwiseConv2D(Function):
    """y = depthwise(x, K) + b for x (N, H, W, C), K (kh, kw, C, M), b (C * M,); the window
    geometry is fixed at construction."""

    def __init__(self, geometry):
        self.geometry = geometry

    def forward(self, x, kernel, bias):
        n, channels = x.shape[0], x.shape[3]
        taps, multiplier = kernel.shape[0] * kernel.shape[1], kernel.shape[3]
        padded = pad_spatial(x, self.geometry.pads)
        cols = im2col(padded, self.geometry).reshape(-1, taps, channels)        # (P, kh*kw, C)
        self.channel_cols = cols.transpose(2, 0, 1)                             # (C, P, kh*kw): per channel
        self.channel_kernels = kernel.reshape(taps, channels, multiplier).transpose(1, 0, 2)  # (C, kh*kw, M)
        self.padded_shape, self.kernel_shape = padded.shape, kernel.shape
        y = self.channel_cols @ self.channel_kernels                            # (C, P, M)
        y = y.transpose(1, 0, 2).reshape(n, *self.geometry.output_size, channels * multiplier)
        return y + bias

    def backward(self, gy):
        channels, positions, taps = self.channel_cols.shape
        multiplier = self.channel_kernels.shape[2]
        g = gy.reshape(positions, channels, multiplier).transpose(1, 0, 2)      # (C, P, M), as y was computed
        # y_c = cols_c @ K_c for every channel c
        dkernel = self.channel_cols.transpose(0, 2, 1) @ g                      # dy/dK_c = cols_c: (C, kh*kw, M)
        dbias = gy.sum(axis=(0, 1, 2))                                          # dy/db = 1, at every output pixel
        dcols = g @ self.channel_kernels.transpose(0, 2, 1)                     # dy/dcols_c = K_c: (C, P, kh*kw)
        dcols = dcols.transpose(1, 2, 0).reshape(positions, taps * channels)    # back to im2col's layout
        dpadded = col2im(dcols, self.geometry, self.padded_shape)
        dkernel = dkernel.transpose(1, 0, 2).reshape(self.kernel_shape)
        return crop_spatial(dpadded, self.geometry.pads), dkernel, dbias
