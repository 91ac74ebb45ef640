"""im2col and col2im, fast: the forms the fast convolution (``fast/conv.py``) runs (and, for
col2im, the backward of overlapping max pooling, ``fast/pooling.py``).

They compute exactly what the readable ``minidl/ops/reference/im2col.py`` computes -- every
window of the input as one row of a matrix, and the adjoint that adds rows back onto their
windows -- with these differences, all for speed:

* ``im2col`` copies all windows at once through a strided view of the input (``as_strided``)
  into a buffer the caller reuses chunk after chunk; for a one-channel image it writes the
  matrix transposed (each offset's windows are then one copy along whole image rows);
* the backward's window gradients are laid out kernel offset by kernel offset
  (``windows_by_offset``), so that ``col2im`` adds long contiguous runs (with a stride, phase by
  phase);
* ``batch_chunks`` cuts a batch into chunks of a few samples whose im2col matrix fits in cache
  (a GEMM on a cache-resident matrix runs several times faster than on one streamed from
  memory); ``minidl.runtime.parallel.map_chunks`` runs the chunks on every core. On a GPU the whole
  batch is one chunk.
"""

from minidl.autograd.function import xp
from minidl.runtime import parallel
from minidl.runtime.parallel import MIN_SPLIT_BYTES, OPENBLAS_ONE_THREAD_MACS, core_chunks

# Strided convolutions run in chunks this many times ``CPU_CHUNK_BYTES`` (``batch_chunks``).
# Measured with old and new trees in turns on a 2-core Xeon: the DCGAN step 172 -> 163 ms and,
# in a second series, 182 -> 172 (x8 and x16 gained less), Conv2D(64, 5, strides 2) 38.6 -> 33.8 ms,
# Conv2D(32, 3, strides 2) 15.5 -> 14.2, Conv2D(64, 7, strides 2) on 3 channels 54.3 -> 52.5.
STRIDED_CHUNK_FACTOR = 4


def _as_strided():
    """The backend's ``lib.stride_tricks.as_strided``, or None where it has none."""
    stride_tricks = getattr(getattr(xp(), "lib", None), "stride_tricks", None)
    return getattr(stride_tricks, "as_strided", None)


def has_strided_views():
    """Whether ``strided_windows`` can make its views on the active backend."""
    return _as_strided() is not None


def strided_windows(padded, geometry):
    """All windows as a (N, out_h, out_w, kh, kw, C) view of ``padded`` (no copy), or None when
    the backend has no ``lib.stride_tricks.as_strided``."""
    as_strided = _as_strided()
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
    Where every window is one whole pixel (a 1x1 kernel, stride 1, no padding) the matrix is
    ``padded`` itself seen as rows of channels, a view, when ``padded`` is contiguous: nothing
    is copied.
    """
    n, channels = padded.shape[0], padded.shape[3]
    out_h, out_w = geometry.output_size
    kh, kw = geometry.kernel_size
    if _windows_are_pixels(geometry) and padded.flags.c_contiguous:
        return padded.reshape(-1, channels)
    if out is None:
        out = xp().empty((n * out_h * out_w, kh * kw * channels), dtype=padded.dtype)
    if channels == 1:
        by_offset = out.reshape(kh * kw, n, out_h, out_w)
        for k, (i, j) in enumerate(geometry.offsets):
            by_offset[k] = padded[geometry.window_slice(i, j)][..., 0]
        return by_offset.reshape(kh * kw, -1).T
    blocks = out.reshape(n, out_h, out_w, kh, kw, channels)
    windows = strided_windows(padded, geometry)
    if windows is not None:
        blocks[...] = windows  # the whole im2col: one strided copy
    else:  # no strided views on this backend: one vectorised copy per kernel offset
        for i, j in geometry.offsets:
            blocks[:, :, :, i, j, :] = padded[geometry.window_slice(i, j)]
    return out


def _windows_are_pixels(geometry):
    """A 1x1 kernel at stride 1 over an unpadded input: window (r, c) is pixel (r, c)."""
    return (tuple(geometry.kernel_size) == (1, 1) and tuple(geometry.strides) == (1, 1)
            and tuple(geometry.output_size) == tuple(geometry.input_size))


def windows_by_offset(rows, kernel, out=None):
    """What every window receives from ``rows`` (R, B) through ``kernel`` (kh, kw, A, B), kernel
    offset by offset: block k of the result (kh*kw, R, A) is ``rows @ kernel[i, j]^T`` for the
    k-th offset (i, j). Together the blocks are ``rows @ kernel.reshape(-1, B)^T`` with its
    columns regrouped by offset -- the layout ``col2im`` reads fastest."""
    kh, kw, a, b = kernel.shape
    per_offset = kernel.reshape(kh * kw, a, b).transpose(0, 2, 1)  # (kh*kw, B, A)
    return xp().matmul(rows, per_offset, out=out)


def col2im(blocks, geometry, out):
    """The adjoint of ``im2col``: ``out`` (N, Hp, Wp, C) is overwritten with the sum, at every
    position, of the window values that were read from there (zero where no window reaches).

    ``blocks`` is (kh*kw, N*out_h*out_w, C), one block per kernel offset (``windows_by_offset``),
    so that each offset's add reads one contiguous block. With stride 1 each add writes runs of
    out_w*C contiguous elements of ``out`` -- far fewer, longer inner loops than adding the
    (N*out_h*out_w, kh*kw*C) im2col layout, whose runs are only C long. With a larger stride the
    windows of one offset are spread out and the runs shrink to C; those sums are then made
    phase by phase (``_col2im_by_phase``). Either way every position receives its windows' values
    in the order of the kernel offsets, starting from zero: the same sums, bit for bit.
    """
    if geometry.strides == (1, 1):
        out.fill(0)
        for k, (i, j) in enumerate(geometry.offsets):
            # block k was read from out[window_slice(i, j)] (derivative 1): route it back there
            out[geometry.window_slice(i, j)] += _window_values(blocks, k, geometry, out)
    else:
        _col2im_by_phase(blocks, geometry, out)
    return out


def _window_values(blocks, k, geometry, out):
    """Block k of ``blocks`` as the (N, out_h, out_w, C) values of offset k's windows."""
    return blocks[k].reshape(out.shape[0], *geometry.output_size, out.shape[3])


def _col2im_by_phase(blocks, geometry, out):
    """col2im for strides (sh, sw) other than 1, phase by phase.

    The positions of ``out`` with row % sh == p and column % sw == q (a phase) form a lattice,
    out[:, p::sh, q::sw]; offset (i, j) writes only into the lattice of phase (i*dh % sh,
    j*dw % sw), and there into a plain stride-1 window starting at (i*dh // sh, j*dw // sw).
    Each phase's windows are summed into a small contiguous buffer -- adds whose runs are out_w*C
    long, like stride 1's -- which is then copied into its lattice once: the phases cover every
    position of ``out`` exactly once, so nothing needs zeroing first.
    """
    (stride_h, stride_w), (dilation_h, dilation_w) = geometry.strides, geometry.dilation
    out_h, out_w = geometry.output_size
    for phase_h in range(stride_h):
        for phase_w in range(stride_w):
            lattice = out[:, phase_h::stride_h, phase_w::stride_w]
            sums = xp().zeros(lattice.shape, dtype=out.dtype)
            for k, (i, j) in enumerate(geometry.offsets):
                if i * dilation_h % stride_h == phase_h and j * dilation_w % stride_w == phase_w:
                    top, left = i * dilation_h // stride_h, j * dilation_w // stride_w
                    sums[:, top:top + out_h, left:left + out_w] += _window_values(blocks, k, geometry, out)
            lattice[...] = sums


def batch_chunks(batch, geometry, channels, filters, itemsize):
    """(start, stop) ranges of samples for the cores (``core_chunks``), each chunk's im2col matrix
    (``channels`` per window offset) at most about ``CPU_CHUNK_BYTES``: that matrix stays in cache
    between being written and multiplied by a kernel with ``filters`` columns.

    With a stride the chunks are ``STRIDED_CHUNK_FACTOR`` times larger: col2im then adds phase by
    phase in many short calls, and on several threads each call's hand-off of the interpreter
    costs more than a chunk that no longer fits in cache."""
    kh, kw = geometry.kernel_size
    out_h, out_w = geometry.output_size
    chunk_bytes = None if tuple(geometry.strides) == (1, 1) else STRIDED_CHUNK_FACTOR * parallel.CPU_CHUNK_BYTES
    return window_matrix_chunks(batch, out_h * out_w, kh * kw * channels, filters, itemsize, chunk_bytes)


def window_matrix_chunks(batch, rows_per_sample, row_length, product_columns, itemsize, chunk_bytes=None):
    """Chunks of a batch whose window matrix -- ``rows_per_sample`` rows of ``row_length``
    numbers per sample, multiplied by ``product_columns`` columns -- is about ``chunk_bytes``
    (default ``CPU_CHUNK_BYTES``).

    The batch is split over the cores as soon as the whole product is large enough for OpenBLAS to
    use its own threads on it (``OPENBLAS_ONE_THREAD_MACS``): run as one chunk, those threads would
    spin after the call and slow the next op's."""
    sample_bytes = rows_per_sample * row_length * itemsize
    # the product's multiply-adds are (its window matrix's elements) x product_columns
    threaded_from_bytes = OPENBLAS_ONE_THREAD_MACS * itemsize // max(product_columns, 1)
    return core_chunks(batch, sample_bytes, min(MIN_SPLIT_BYTES, threaded_from_bytes), chunk_bytes)
