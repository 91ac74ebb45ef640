"""im2col and col2im, readable: a convolution's windows as the rows of one matrix, and back.

A 2-D convolution slides a (kh, kw) window over an input x (N, H, W, C). ``im2col`` copies
every window into one row of a matrix::

    cols[(n, r, c), (i, j, ch)] = x_padded[n, r*sh + i*dh, c*sw + j*dw, ch]

of shape (N * out_h * out_w, kh * kw * C): one row per output pixel, its columns in the order
(kernel row i, kernel column j, channel). A Keras kernel (kh, kw, C, F) reshaped to
(kh * kw * C, F) has its rows in that same order, so the whole convolution is one matrix
product, ``cols @ kernel``. A pooling reduces each row instead.

``col2im`` is the adjoint: it adds every row back onto the window it was read from. Windows
overlap, so an input element collects the values of every window that read it -- exactly what
the backward pass needs, since that element influenced each of those windows.

Both loop over the kh * kw kernel offsets, not over pixels: offset (i, j) of every window at
once is one strided slice of the padded input (``WindowGeometry.window_slice``).

The fast forms (one strided copy, cache-sized chunks on every core) are in
``minidl/ops/fast/im2col.py``.
"""

from minidl.autograd.function import xp


def im2col(padded, geometry):
    """Every window of ``padded`` (N, Hp, Wp, C) as one row: (N * out_h * out_w, kh * kw * C)."""
    n, channels = padded.shape[0], padded.shape[3]
    (out_h, out_w), (kh, kw) = geometry.output_size, geometry.kernel_size
    windows = xp().empty((n, out_h, out_w, kh, kw, channels), dtype=padded.dtype)
    for i, j in geometry.offsets:
        windows[:, :, :, i, j, :] = padded[geometry.window_slice(i, j)]  # offset (i, j) of every window
    return windows.reshape(n * out_h * out_w, kh * kw * channels)


def col2im(cols, geometry, padded_shape):
    """The adjoint of ``im2col``: a zero array of ``padded_shape`` (N, Hp, Wp, C) with every row
    of ``cols`` (N * out_h * out_w, kh * kw * C) added onto its window."""
    n, channels = padded_shape[0], padded_shape[3]
    (out_h, out_w), (kh, kw) = geometry.output_size, geometry.kernel_size
    windows = cols.reshape(n, out_h, out_w, kh, kw, channels)
    padded = xp().zeros(padded_shape, dtype=cols.dtype)
    for i, j in geometry.offsets:
        padded[geometry.window_slice(i, j)] += windows[:, :, :, i, j, :]  # back where offset (i, j) was read
    return padded
