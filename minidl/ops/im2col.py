"""Sliding windows over the spatial axes of channels-last arrays: the shared machinery of
convolution and pooling.

Three pieces:

* ``window_geometry`` -- where the windows lie: kernel size, strides, dilation, the padding on
  each side and the output size. 'valid' uses no padding; 'same' follows TensorFlow's
  asymmetric rule, so results match Keras to the last bit::

      out       = ceil(in / stride)
      pad_total = max((out - 1) * stride + dilated_kernel - in, 0)
      before    = pad_total // 2,  after = pad_total - before   (the odd one goes after)

* ``im2col`` -- copies every window of a padded (N, H, W, C) array into one row of a matrix
  (N * out_h * out_w, kh * kw * C), in the order (kernel row, kernel column, channel). A
  Keras kernel (kh, kw, C, filters) reshaped to (kh * kw * C, filters) then multiplies it
  directly: the whole convolution is one GEMM and no transposed copy is needed. The windows
  are read through a strided view of the input (``as_strided``), so building the matrix is a
  single vectorised copy with no Python loop over pixels.

* ``col2im_add`` -- the adjoint of ``im2col``: adds every window's values back onto the window
  they came from. Overlapping windows accumulate. It loops over the kh * kw kernel offsets only;
  each offset is one vectorised add of a strided slice. Its input is laid out offset by offset
  (``windows_by_offset``), so each add runs over long contiguous stretches.

On the CPU the ops run a batch in chunks of a few samples (``batch_chunks``) whose im2col
matrix fits in cache, each thread reusing one buffer for its chunks (``map_chunks``, one thread
per core): a GEMM on a cache-resident matrix runs several times faster than one on a matrix
streamed from memory, which more than pays for the short loop over chunks. On a GPU the whole
batch is one chunk.
"""

from dataclasses import dataclass

import numpy as np

from minidl.autograd.function import xp
from minidl.ops.parallel import sample_chunks

PADDINGS = ("valid", "same")


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


def is_int(value):
    """A Python or NumPy integer (not a bool)."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def int_tuple(value, length, name, caller, minimum=1):
    """An int, or a tuple/list of ``length`` ints, as a tuple of ``length`` Python ints each at
    least ``minimum`` (Keras's ``normalize_tuple``); otherwise a clear error."""
    if is_int(value):
        values = (value,) * length
    elif isinstance(value, (tuple, list)):
        values = tuple(value)
    else:
        values = ()
    if len(values) != length or not all(is_int(v) and v >= minimum for v in values):
        shape = "an int" if length == 1 else f"an int or a tuple of {length} ints"
        raise ValueError(f"{caller}: {name} must be {shape} >= {minimum}, got {value!r}")
    return tuple(int(v) for v in values)


def pair(value, name, caller, minimum=1):
    """An int or a pair of ints as a pair, each at least ``minimum``, or a clear error."""
    return int_tuple(value, 2, name, caller, minimum)


def normalize_padding(padding, caller, allowed=PADDINGS):
    """'valid' / 'same' (any case, as Keras accepts), or a clear error listing the choices."""
    if isinstance(padding, str) and padding.lower() in allowed:
        return padding.lower()
    raise ValueError(f"{caller}: padding must be one of {', '.join(repr(p) for p in allowed)}, got {padding!r}")


def window_geometry(input_size, kernel_size, strides, padding, dilation=(1, 1), caller="conv2d"):
    """The geometry of sliding a (kh, kw) kernel over an (H, W) input.

    ``padding`` is 'valid', 'same', or explicit ((top, bottom), (left, right)) amounts.
    Raises a ValueError naming ``caller`` when the (dilated) kernel is larger than the padded
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
            f"{caller}: the {kernel_size[0]}x{kernel_size[1]} window{dilated} is larger than the padded "
            f"input {padded[0]}x{padded[1]} (input {input_size[0]}x{input_size[1]}, padding {described}); "
            "use a smaller kernel, padding='same', or a larger input"
        )
    output = tuple((size - span) // stride + 1 for size, span, stride in zip(padded, spans, strides))
    return WindowGeometry(tuple(input_size), tuple(kernel_size), tuple(strides), tuple(dilation), pads, output)


def pad_spatial(x, pads, value=0.0):
    """``x`` (N, H, W, C) with ``pads`` added around H and W, filled with ``value``.

    One allocation and one copy of the interior; ``x`` itself when there is no padding.
    """
    (top, bottom), (left, right) = pads
    if not (top or bottom or left or right):
        return x
    n, height, width, channels = x.shape
    padded = xp().full((n, height + top + bottom, width + left + right, channels), value, dtype=x.dtype)
    padded[:, top:top + height, left:left + width, :] = x
    return padded


def crop_spatial(x, pads):
    """The interior of a padded (N, H, W, C) array: a view, no copy."""
    (top, bottom), (left, right) = pads
    if not (top or bottom or left or right):
        return x
    return x[:, top:x.shape[1] - bottom, left:x.shape[2] - right, :]


def _strided_windows(padded, geometry):
    """All windows as a (N, out_h, out_w, kh, kw, C) view of ``padded`` (no copy), or None when
    the backend has no ``lib.stride_tricks.as_strided``."""
    stride_tricks = getattr(getattr(xp(), "lib", None), "stride_tricks", None)
    as_strided = getattr(stride_tricks, "as_strided", None)
    if as_strided is None:
        return None
    step_n, step_h, step_w, step_c = padded.strides
    (stride_h, stride_w), (dilation_h, dilation_w) = geometry.strides, geometry.dilation
    shape = (padded.shape[0], *geometry.output_size, *geometry.kernel_size, padded.shape[3])
    steps = (step_n, step_h * stride_h, step_w * stride_w, step_h * dilation_h, step_w * dilation_w, step_c)
    return as_strided(padded, shape=shape, strides=steps)


def im2col(padded, geometry, out=None):
    """Every window of ``padded`` (N, Hp, Wp, C) as one row: (N*out_h*out_w, kh*kw*C).

    Columns are ordered (kernel row, kernel column, channel), matching a (kh, kw, C, F) kernel
    reshaped to (kh*kw*C, F). ``out``, when given, is a contiguous buffer of that size to fill
    (so one buffer serves every chunk of a batch). The matrix is contiguous, except for a
    one-channel input (a grayscale image), where it is the transpose of a contiguous
    (kh*kw, N*out_h*out_w) matrix: each offset's windows are then one copy along whole image
    rows instead of one element per window -- about twice as fast (BLAS takes either layout).
    """
    n, channels = padded.shape[0], padded.shape[3]
    out_h, out_w = geometry.output_size
    kh, kw = geometry.kernel_size
    if out is None:
        out = xp().empty((n * out_h * out_w, kh * kw * channels), dtype=padded.dtype)
    if channels == 1:
        by_offset = out.reshape(kh * kw, n, out_h, out_w)
        for k, (i, j) in enumerate(geometry.offsets):
            by_offset[k] = padded[geometry.window_slice(i, j)][..., 0]
        return by_offset.reshape(kh * kw, -1).T
    blocks = out.reshape(n, out_h, out_w, kh, kw, channels)
    windows = _strided_windows(padded, geometry)
    if windows is not None:
        blocks[...] = windows  # the whole im2col: one strided copy
    else:  # no strided views on this backend: one vectorised copy per kernel offset
        for i, j in geometry.offsets:
            blocks[:, :, :, i, j, :] = padded[geometry.window_slice(i, j)]
    return out


def windows_by_offset(rows, kernel, out=None):
    """What every window receives from ``rows`` (R, B) through ``kernel`` (kh, kw, A, B), kernel
    offset by offset: block k of the result (kh*kw, R, A) is ``rows @ kernel[i, j]^T`` for the
    k-th offset (i, j). Together the blocks are ``rows @ kernel.reshape(-1, B)^T`` with its
    columns regrouped by offset -- the layout ``col2im_add`` reads fastest."""
    kh, kw, a, b = kernel.shape
    per_offset = kernel.reshape(kh * kw, a, b).transpose(0, 2, 1)  # (kh*kw, B, A)
    return xp().matmul(rows, per_offset, out=out)


def col2im_add(blocks, geometry, target):
    """The adjoint of ``im2col``: add each window's values back onto the window of ``target``
    (N, Hp, Wp, C) they belong to. Overlapping windows accumulate.

    ``blocks`` is (kh*kw, N*out_h*out_w, C), one block per kernel offset (``windows_by_offset``):
    each offset's add then reads one contiguous block and, with stride 1, writes runs of
    out_w*C contiguous elements of ``target`` -- far fewer, longer inner loops than adding the
    (N*out_h*out_w, kh*kw*C) im2col layout, whose runs are only C long."""
    n, channels = target.shape[0], target.shape[3]
    for k, (i, j) in enumerate(geometry.offsets):
        # block k was read from target[window_slice(i, j)] (derivative 1): route it back there
        target[geometry.window_slice(i, j)] += blocks[k].reshape(n, *geometry.output_size, channels)
    return target


def batch_chunks(batch, geometry, channels, itemsize):
    """(start, stop) ranges of samples, each chunk's im2col matrix about ``CPU_CHUNK_BYTES``
    (``minidl.ops.parallel``): that matrix stays in cache between being written and multiplied."""
    row_bytes = geometry.kernel_size[0] * geometry.kernel_size[1] * channels * itemsize
    return sample_chunks(batch, row_bytes * geometry.output_size[0] * geometry.output_size[1])


def deconv_output_length(input_length, kernel, stride, padding, output_padding=None, dilation=1):
    """Keras's output length of a transposed convolution (``conv_utils.deconv_output_length``)."""
    span = dilated_size(kernel, dilation)
    if output_padding is None:
        if padding == "valid":
            return input_length * stride + max(span - stride, 0)
        return input_length * stride
    pad = span // 2 if padding == "same" else 0
    return (input_length - 1) * stride + span - 2 * pad + output_padding
