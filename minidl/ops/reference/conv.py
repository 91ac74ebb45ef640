"""The convolutions, readable: a 2-D convolution and its transpose as im2col, one matrix product
and col2im (``reference/im2col.py``), each a Function whose backward is written out.

A convolution of x (N, H, W, C) with a Keras kernel K (kh, kw, C, F) and a bias b (F,)::

    cols = im2col(pad(x))              (N * out_h * out_w, kh * kw * C): every window, a row
    y    = cols @ K + b                K reshaped to (kh * kw * C, F): all pixels, all filters

and backward, the two products of any matrix product and the adjoint of im2col::

    dL/dK    = cols^T @ dL/dy
    dL/db    = dL/dy summed over every output pixel
    dL/dcols = dL/dy @ K^T
    dL/dx    = crop(col2im(dL/dcols))  each window's gradient added back where it was read

A transposed convolution ("deconvolution") is the adjoint of a convolution: its forward is
the convolution's input gradient (a product, then col2im) and its backward the convolution's
forward (im2col, then a product).

``minidl.ops.conv2d(..., activation='relu')`` runs ``Conv2D`` followed by the ReLU op. The fast
forms, which must give the same numbers, are in ``minidl/ops/fast/conv.py``.
"""

from minidl.autograd.function import Function
from minidl.ops.reference.im2col import col2im, im2col
from minidl.ops.windows import crop_spatial, pad_spatial


class Conv2D(Function):
    """y = im2col(pad(x)) @ K + b. Inputs: x (N, H, W, C), K (kh, kw, C, F), b (F,); the window
    geometry (strides, dilation, padding) is fixed at construction."""

    def __init__(self, geometry):
        self.geometry = geometry

    def forward(self, x, kernel, bias):
        padded = pad_spatial(x, self.geometry.pads)
        self.cols = im2col(padded, self.geometry)               # (N*out_h*out_w, kh*kw*C)
        self.kernel_rows = kernel.reshape(-1, kernel.shape[3])  # (kh*kw*C, F), rows in im2col's column order
        self.padded_shape, self.kernel_shape = padded.shape, kernel.shape
        y = self.cols @ self.kernel_rows + bias
        return y.reshape(x.shape[0], *self.geometry.output_size, kernel.shape[3])

    def backward(self, gy):
        gy = gy.reshape(self.cols.shape[0], gy.shape[-1])       # (N*out_h*out_w, F), as y was computed
        # y = cols @ K + b
        dkernel = self.cols.T @ gy                              # dy/dK = cols
        dbias = gy.sum(axis=0)                                  # dy/db = 1, at every output pixel
        dcols = gy @ self.kernel_rows.T                         # dy/dcols = K
        dpadded = col2im(dcols, self.geometry, self.padded_shape)  # cols = im2col(padded): its adjoint
        return crop_spatial(dpadded, self.geometry.pads), dkernel.reshape(self.kernel_shape), dbias


class Conv2DTranspose(Function):
    """z = conv2d_transpose(x, K) + b. Inputs: x (N, H, W, C_in), K (kh, kw, F, C_in) as in
    Keras, b (F,). ``geometry`` is that of the convolution this op is the adjoint of: it maps
    an input the size of z to one the size of x."""

    def __init__(self, geometry):
        self.geometry = geometry

    def forward(self, x, kernel, bias):
        n, filters, in_channels = x.shape[0], kernel.shape[2], kernel.shape[3]
        self.x_rows = x.reshape(-1, in_channels)                # (N*H*W, C_in): one row per input pixel
        self.kernel_rows = kernel.reshape(-1, in_channels)      # (kh*kw*F, C_in)
        self.x_shape, self.kernel_shape = x.shape, kernel.shape
        cols = self.x_rows @ self.kernel_rows.T                 # what each input pixel writes into its window
        padded = col2im(cols, self.geometry, (n, *self.geometry.padded_size, filters))
        return crop_spatial(padded, self.geometry.pads) + bias

    def backward(self, gz):
        # z = crop(col2im(x_rows @ K^T)) + b: back through crop, col2im and the product
        cols = im2col(pad_spatial(gz, self.geometry.pads), self.geometry)   # adjoint of crop, then of col2im
        dx = cols @ self.kernel_rows                                         # d(x_rows K^T)/dx_rows = K
        dkernel = cols.T @ self.x_rows                                       # d(x_rows K^T)/dK = x_rows
        dbias = gz.sum(axis=(0, 1, 2))                                       # dz/db = 1, at every output pixel
        return dx.reshape(self.x_shape), dkernel.reshape(self.kernel_shape), dbias
