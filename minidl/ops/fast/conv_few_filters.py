"""A stride-1 convolution with fewer filters than input channels, computed from the output's side.

im2col (``fast/im2col.py``) copies every window of the *input*: kh*kw*C numbers per output
position, whatever the number of filters F. With few filters that copy is most of the work --
an autoencoder's last layer, Conv2D(1, 3, padding='same') on 32 channels, copies 288 numbers per
pixel to compute one. Here the windows are taken of what has F channels instead, kh*kw*F numbers
per position:

* forward, when F is at most a quarter of C: ``Z_k = x @ kernel[i, j]`` for every kernel offset
  k = (i, j) -- each input pixel's contribution through that offset -- then
  y[r, c] = sum over k of Z_k[r + i*dh - top, c + j*dw - left] (``convolve_by_output_offsets``);
* backward, when F <= C: the windows of the output gradient gy around every input position
  (``gradient_windows``). Row p of that matrix holds what p receives from every window through
  every offset, so, with x's rows,

      dL/dx      = windows @ kernel_rows_flipped     (sum over offsets and filters)
      dL/dkernel = x^T @ windows                     (sum over positions)

  -- the same sums as im2col's gy @ kernel^T + col2im and cols^T @ gy, grouped by input position
  instead of by window, so nothing is added back onto overlapping windows.

Neither pads x: a padded tap multiplies a zero. Both apply for stride 1 and padding of at most
the kernel's span less one ('valid', 'same').

The thresholds are measured (``benchmarks/conv_forms.py``; the table in ``benchmarks/RESULTS.md``,
"A wider probe"): past them im2col's one large GEMM wins. Must equal the readable im2col form
(``minidl/ops/reference/conv.py``) up to the order of the sums.
"""

from minidl.autograd.function import xp
from minidl.ops.fast.im2col import im2col, strided_windows, window_matrix_chunks
from minidl.ops.windows import pad_spatial, window_geometry


def sums_output_offsets(geometry, channels, filters):
    """Whether the forward pass goes by output offsets: stride 1, at most C/4 filters, and more
    than one kernel offset (a 1x1 kernel's windows are the input's pixels: im2col copies nothing)."""
    return fits_gradient_windows(geometry) and 4 * filters <= channels and len(geometry.offsets) > 1


def correlates_gradient(geometry, channels, filters):
    """Whether the backward pass goes by windows of the output gradient: stride 1, F <= C."""
    return fits_gradient_windows(geometry) and filters <= channels


def fits_gradient_windows(geometry):
    """Stride 1, and no side padded by more than the kernel's span less one ('valid' and 'same'
    never are): every input position then lies under some window."""
    spans = ((k - 1) * d + 1 for k, d in zip(geometry.kernel_size, geometry.dilation))
    return geometry.strides == (1, 1) and all(
        before <= span - 1 and after <= span - 1 for span, (before, after) in zip(spans, geometry.pads))


def offset_products_shape(geometry, samples, filters):
    """The shape of ``convolve_by_output_offsets``'s scratch for ``samples`` samples."""
    height, width = geometry.input_size
    return (len(geometry.offsets) * filters, samples * height * width)


def convolve_by_output_offsets(x, kernel, geometry, out, scratch):
    """y = conv2d(x, kernel) for stride 1 and ``geometry``'s padding, written into ``out``
    (N, out_h, out_w, F); ``x`` is not padded: a window's padded taps add nothing.

    ``scratch`` holds at least ``offset_products_shape`` elements: Z_k for every offset k, each a
    (F, N, H, W) block, so that every window below is a run of whole image rows."""
    n, height, width, channels = x.shape
    kh, kw, _, filters = kernel.shape
    (top, _), (left, _) = geometry.pads
    (dh, dw), (out_h, out_w) = geometry.dilation, geometry.output_size
    products = scratch[:, :n * height * width]
    # Z_k = x @ kernel[i, j] for every offset k at once: (kh*kw*F, C) @ (C, N*H*W)
    kernel_by_offset = kernel.transpose(0, 1, 3, 2).reshape(kh * kw * filters, channels)
    xp().matmul(kernel_by_offset, x.reshape(-1, channels).T, out=products)
    by_filter = out.transpose(3, 0, 1, 2)  # (F, N, out_h, out_w): the same memory as out
    by_filter[...] = 0
    for k, (i, j) in enumerate(geometry.offsets):
        # y[r, c] gets Z_k[r + i*dh - top, c + j*dw - left], the pixel offset (i, j) of window
        # (r, c) reads, for the windows where that pixel is not padding
        rows, source_rows = _overlap(i * dh - top, height, out_h)
        columns, source_columns = _overlap(j * dw - left, width, out_w)
        z_k = products[k * filters:(k + 1) * filters].reshape(filters, n, height, width)
        by_filter[:, :, rows, columns] += z_k[:, :, source_rows, source_columns]
    return out


def _overlap(shift, size, out_size):
    """(outputs, inputs): the slices of output positions r whose input r + shift lies in
    [0, size), and of those inputs."""
    first, stop = max(0, -shift), min(out_size, size - shift)
    stop = max(first, stop)
    return slice(first, stop), slice(first + shift, stop + shift)


def gradient_windows(gy, geometry, out=None):
    """The windows of the output gradient ``gy`` (N, out_h, out_w, F) around every input
    position: (N*H*W, kh*kw*F), columns ordered by the *flipped* offset (kh-1-i, kw-1-j).

    Input position (r, c) -- (r + top, c + left) once padded -- meets the output of window
    (r + top - i*dh, c + left - j*dw) through offset (i, j). gy padded by the kernel's span less
    one, less the input's own padding, on every side, then read through the same kernel window
    (im2col), gives all those values, zero where no window lies."""
    return im2col(*_padded_gradient(gy, geometry), out=out)


def gradient_window_view(gy, geometry):
    """``gradient_windows`` as a (N, H, W, kh, kw, F) strided view of the padded gradient (no
    copy: the depthwise convolution's einsum reads it as it is)."""
    return strided_windows(*_padded_gradient(gy, geometry))


def _padded_gradient(gy, geometry):
    """gy padded by the kernel's span less one, less the input's own padding, on every side, and
    the stride-1 'valid' geometry of the kernel's windows over it (one per input position)."""
    spans = [(k - 1) * d + 1 for k, d in zip(geometry.kernel_size, geometry.dilation)]
    pads = tuple((span - 1 - before, span - 1 - after) for span, (before, after) in zip(spans, geometry.pads))
    padded_gy = pad_spatial(gy, pads)
    around = window_geometry(padded_gy.shape[1:3], geometry.kernel_size, (1, 1), "valid", geometry.dilation)
    return padded_gy, around


def flipped_kernel_rows(kernel):
    """(kh, kw, C, F) kernel as (kh*kw*F, C) rows in ``gradient_windows``' column order."""
    kh, kw, channels, filters = kernel.shape
    return xp().ascontiguousarray(kernel[::-1, ::-1].transpose(0, 1, 3, 2)).reshape(kh * kw * filters, channels)


def kernel_gradient(grad_flipped_columns, kernel_shape):
    """x^T @ gradient_windows (C, kh*kw*F, flipped offsets) as dL/dkernel (kh, kw, C, F)."""
    kh, kw, channels, filters = kernel_shape
    by_offset = grad_flipped_columns.reshape(channels, kh, kw, filters)[:, ::-1, ::-1]
    return xp().ascontiguousarray(by_offset.transpose(1, 2, 0, 3))


def few_filter_chunks(batch, geometry, channels, filters, itemsize):
    """``batch_chunks`` for these forms: their window matrix (the offset products, or the
    gradient's windows) has kh*kw*F numbers per input position and meets C channels."""
    height, width = geometry.input_size
    return window_matrix_chunks(batch, height * width, len(geometry.offsets) * filters, channels, itemsize)
