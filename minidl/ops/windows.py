"""Where the windows of a convolution or a pooling lie: the geometry both forms of those ops
share (their arguments are checked by ``minidl.ops.arguments``).

``window_geometry`` gives the kernel size, strides, dilation, the padding on each side and the
output size. 'valid' uses no padding; 'same' follows TensorFlow's asymmetric rule, so results
match Keras to the last bit::

    out       = ceil(in / stride)
    pad_total = max((out - 1) * stride + dilated_kernel - in, 0)
    before    = pad_total // 2,  after = pad_total - before   (the odd one goes after)

Kernel offset (i, j) of a window meets the padded input at rows i*dh, i*dh + sh, ... and
columns j*dw, j*dw + sw, ... (``WindowGeometry.window_slice``): one strided slice per offset
covers that offset of every window at once.
"""

from dataclasses import dataclass

import numpy as np

from minidl.runtime.step_buffers import reusable_empty


@dataclass(frozen=True)
class WindowGeometry:
    """Where the windows of one 2-D convolution or pooling lie (all pairs are (rows, columns))."""

    input_size: tuple  # (H, W) before padding
    kernel_size: tuple  # (kh, kw)
    strides: tuple
    dilation: tuple
    pads: tuple  # ((top, bottom), (left, right))
    output_size: tuple  # (out_h, out_w)

    @property
    def padded_size(self):
        return tuple(size + before + after for size, (before, after) in zip(self.input_size, self.pads))

    @property
    def has_padding(self):
        return any(before or after for before, after in self.pads)

    @property
    def offsets(self):
        """The kernel offsets (i, j) in row-major order, the order of im2col's columns."""
        return [(i, j) for i in range(self.kernel_size[0]) for j in range(self.kernel_size[1])]

    def window_slice(self, i, j):
        """Index of the padded input's elements that kernel offset (i, j) meets, one per output
        position: rows i*dh, i*dh + sh, ..., and likewise for the columns."""
        return (slice(None),) + tuple(
            slice(offset * dilation, offset * dilation + (count - 1) * stride + 1, stride)
            for offset, dilation, stride, count in zip((i, j), self.dilation, self.strides, self.output_size)
        ) + (slice(None),)


def dilated_size(kernel, dilation):
    """The span of a dilated kernel: k taps spaced ``dilation`` apart cover (k-1)*d + 1."""
    return (kernel - 1) * dilation + 1


def same_pads(input_length, kernel, stride, dilation=1):
    """TensorFlow's 'same' padding (before, after) along one axis; the extra one goes after."""
    output_length = -(-input_length // stride)
    total = max((output_length - 1) * stride + dilated_size(kernel, dilation) - input_length, 0)
    return total // 2, total - total // 2


def window_geometry(input_size, kernel_size, strides, padding, dilation=(1, 1), op="conv2d"):
    """The geometry of sliding a (kh, kw) kernel over an (H, W) input.

    ``padding`` is 'valid', 'same', or explicit ((top, bottom), (left, right)) amounts.
    Raises a ValueError naming ``op`` when the (dilated) kernel is larger than the padded
    input, i.e. when not a single window fits.
    """
    if isinstance(padding, str):
        if padding == "same":
            pads = tuple(same_pads(n, k, s, d) for n, k, s, d in zip(input_size, kernel_size, strides, dilation))
        else:
            pads = ((0, 0), (0, 0))
    else:
        pads = tuple((int(before), int(after)) for before, after in padding)
    padded = [n + before + after for n, (before, after) in zip(input_size, pads)]
    spans = [dilated_size(k, d) for k, d in zip(kernel_size, dilation)]
    if any(span > size for span, size in zip(spans, padded)):
        dilated = "" if tuple(dilation) == (1, 1) else f" (spanning {spans[0]}x{spans[1]} with dilation {tuple(dilation)})"
        described = padding if isinstance(padding, str) else f"explicit {pads}"
        raise ValueError(
            f"{op}: the {kernel_size[0]}x{kernel_size[1]} window{dilated} is larger than the padded "
            f"input {padded[0]}x{padded[1]} (input {input_size[0]}x{input_size[1]}, padding {described}); "
            "use a smaller kernel, padding='same', or a larger input"
        )
    output = tuple((size - span) // stride + 1 for size, span, stride in zip(padded, spans, strides))
    return WindowGeometry(tuple(input_size), tuple(kernel_size), tuple(strides), tuple(dilation), pads, output)


def pad_spatial(x, pads, value=0.0, out=None):
    """``x`` (N, H, W, C) with ``pads`` added around H and W, filled with ``value``.

    One copy of the interior and a fill of the border strips only (filling the whole array
    first would write the interior twice); ``x`` itself when there is no padding. ``out``, when
    given, is the padded array to write (e.g. one chunk of samples of a larger one).
    """
    (top, bottom), (left, right) = pads
    if not (top or bottom or left or right):
        return x
    n, height, width, channels = x.shape
    if out is None:
        out = reusable_empty((n, height + top + bottom, width + left + right, channels), x.dtype)
    rows = slice(top, top + height)
    out[:, :top] = value
    out[:, top + height:] = value
    out[:, rows, :left] = value
    out[:, rows, left + width:] = value
    out[:, rows, left:left + width] = x
    return out


def padding_buffer(x, geometry):
    """Where ``x`` (N, H, W, C) is to be padded chunk by chunk (``pad_spatial(x[a:b], pads,
    out=buffer[a:b])`` on each core): an uninitialised (N, Hp, Wp, C) step buffer, or ``x`` itself
    when ``geometry`` has no padding."""
    if not geometry.has_padding:
        return x
    return reusable_empty((x.shape[0], *geometry.padded_size, x.shape[3]), x.dtype)


def crop_spatial(x, pads):
    """The interior of a padded (N, H, W, C) array: a view, no copy."""
    (top, bottom), (left, right) = pads
    if not (top or bottom or left or right):
        return x
    return x[:, top:x.shape[1] - bottom, left:x.shape[2] - right, :]


def window_counts(geometry):
    """How many real (unpadded) inputs each window covers: (out_h, out_w) host array."""
    per_axis = []
    for size, kernel, stride, (before, _), count in zip(
        geometry.input_size, geometry.kernel_size, geometry.strides, geometry.pads, geometry.output_size
    ):
        starts = np.arange(count) * stride - before
        per_axis.append(np.minimum(starts + kernel, size) - np.maximum(starts, 0))
    return np.outer(per_axis[0], per_axis[1])


def deconv_output_length(input_length, kernel, stride, padding, output_padding=None, dilation=1):
    """Keras's output length of a transposed convolution (``conv_utils.deconv_output_length``)."""
    span = dilated_size(kernel, dilation)
    if output_padding is None:
        if padding == "valid":
            return input_length * stride + max(span - stride, 0)
        return input_length * stride
    pad = span // 2 if padding == "same" else 0
    return (input_length - 1) * stride + span - 2 * pad + output_padding
