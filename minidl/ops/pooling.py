"""Pooling and resampling, channels-last as in Keras.

* ``max_pool2d`` / ``avg_pool2d`` (and the 1-D versions): the maximum / mean of each window.
  ``strides`` default to the pool size; 'same' padding follows TensorFlow's rule (see
  ``minidl.ops.im2col``). As in TensorFlow, padded positions never win a max and are left out of
  an average (a border window of 'same' padding averages only the values it covers).
* ``global_average_pool`` / ``global_max_pool``: reduce every spatial axis.
* ``upsample2d``: nearest-neighbour enlargement, each pixel repeated (sh, sw) times.
* ``zero_pad2d``: zeros around the height and width axes.

The fused Functions loop over the pool's window offsets only (4 for a 2x2 pool): each offset
is one vectorised operation over the whole batch. Max pooling routes the gradient to the
first maximum of each window (row-major order, TensorFlow's tie rule); with overlapping windows
an input element collects the gradient of every window it wins. The ``*_reference`` forms
compute the same from primitive ops, for teaching and as the tests' oracle.
"""

import functools

import numpy as np

from minidl import backend
from minidl.autograd.function import Function, xp
from minidl.ops import math, reductions, shapes
from minidl.ops._util import as_tensor, require_float
from minidl.ops.im2col import (
    crop_spatial,
    int_tuple,
    is_int,
    normalize_padding,
    pad_spatial,
    pair,
    window_geometry,
)
from minidl.ops.parallel import map_chunks, sample_chunks

# -- max pooling ------------------------------------------------------------------------------

class MaxPool2DFunction(Function):
    """Window maxima, remembering (while recording) which offset of each window won."""

    def __init__(self, geometry):
        self.geometry = geometry

    def forward(self, x):
        geometry = self.geometry
        padded = pad_spatial(x, geometry.pads, value=-np.inf)
        record = bool(self.needs_input_grad)
        index_dtype = np.uint8 if len(geometry.offsets) <= 255 else np.int32
        n, channels = x.shape[0], x.shape[3]
        y = xp().empty((n, *geometry.output_size, channels), dtype=x.dtype)
        winner = xp().empty(y.shape, dtype=index_dtype) if record else None

        def pool(start, stop, _):
            y_chunk = y[start:stop]
            if record:
                greater = xp().empty(y_chunk.shape, dtype=bool)
                candidate = xp().empty(y_chunk.shape, dtype=index_dtype)
            for index, (i, j) in enumerate(geometry.offsets):
                window = padded[start:stop][geometry.window_slice(i, j)]
                if index == 0:
                    y_chunk[...] = window
                    if record:
                        winner[start:stop] = 0
                    continue
                if record:
                    # strictly greater: the first maximum keeps its place. The offsets come in
                    # increasing order, so winner = max(winner, index * [window > y]) moves the
                    # winner to this offset exactly where it beats the maximum so far (a masked
                    # copy would do the same some ten times slower)
                    xp().greater(window, y_chunk, out=greater)
                    xp().multiply(greater, index_dtype(index), out=candidate)
                    xp().maximum(winner[start:stop], candidate, out=winner[start:stop])
                xp().maximum(y_chunk, window, out=y_chunk)

        map_chunks(pool, _pool_chunks(padded))
        self.winner, self.x_shape = winner, x.shape
        return y

    def backward(self, gy):
        geometry = self.geometry
        n, _, _, channels = self.x_shape
        if _windows_tile(geometry):
            return crop_spatial(self._tiled_backward(gy, n, channels), geometry.pads)
        padded = xp().zeros((n, *geometry.padded_size, channels), dtype=gy.dtype)

        def route(start, stop, _):
            for index, (i, j) in enumerate(geometry.offsets):
                # d max(window) / d window[k] = 1 for the winning k, 0 for the others
                won = self.winner[start:stop] == index
                padded[start:stop][geometry.window_slice(i, j)] += xp().where(won, gy[start:stop], 0)

        map_chunks(route, _pool_chunks(padded))
        return crop_spatial(padded, geometry.pads)

    def _tiled_backward(self, gy, n, channels):
        """The common case -- windows side by side, e.g. a 2x2 pool with stride 2 -- where every
        input element lies in exactly one window: each offset's gradient is written straight into
        its place in a (n, out_h, kh, out_w, kw, channels) view, with no zero fill and no adds."""
        (kh, kw), (out_h, out_w) = self.geometry.kernel_size, self.geometry.output_size
        grad = xp().empty((n, out_h, kh, out_w, kw, channels), dtype=gy.dtype)

        def route(start, stop, _):
            for index, (i, j) in enumerate(self.geometry.offsets):
                # d max(window) / d window[k] = 1 for the winning k, 0 for the others
                won = self.winner[start:stop] == index
                xp().multiply(gy[start:stop], won, out=grad[start:stop, :, i, :, j, :])

        map_chunks(route, sample_chunks(n, gy[:1].nbytes * kh * kw))
        return grad.reshape(n, out_h * kh, out_w * kw, channels)


def _pool_chunks(padded):
    """Cache-sized chunks of samples; pooling runs them in parallel (``map_chunks``)."""
    return sample_chunks(padded.shape[0], padded[:1].nbytes)


def _windows_tile(geometry):
    """True when the windows cover the padded input exactly once (stride = pool size)."""
    return (
        tuple(geometry.strides) == tuple(geometry.kernel_size) and tuple(geometry.dilation) == (1, 1)
        and tuple(geometry.padded_size) == tuple(o * k for o, k in zip(geometry.output_size, geometry.kernel_size))
    )


# -- average pooling --------------------------------------------------------------------------

def _window_counts(geometry):
    """How many real (unpadded) inputs each window covers: (out_h, out_w) host array."""
    per_axis = []
    for size, kernel, stride, (before, _), count in zip(
        geometry.input_size, geometry.kernel_size, geometry.strides, geometry.pads, geometry.output_size
    ):
        starts = np.arange(count) * stride - before
        per_axis.append(np.minimum(starts + kernel, size) - np.maximum(starts, 0))
    return np.outer(per_axis[0], per_axis[1])


def _divisor(geometry, dtype):
    """The window size as a number, or a (1, out_h, out_w, 1) device array when 'same' padding
    makes the border windows smaller."""
    if not geometry.has_padding:
        return float(np.prod(geometry.kernel_size))
    return _device_counts(geometry, np.dtype(dtype).name, backend.get_backend())


@functools.lru_cache(maxsize=64)
def _device_counts(geometry, dtype_name, backend_name):
    """The window counts moved to the device once per geometry, dtype and backend."""
    return backend.to_device(_window_counts(geometry).astype(dtype_name)[None, :, :, None])


class AvgPool2DFunction(Function):
    """Window means: the sum over the window offsets divided by each window's real size."""

    def __init__(self, geometry):
        self.geometry = geometry

    def forward(self, x):
        geometry = self.geometry
        padded = pad_spatial(x, geometry.pads)
        total = None
        for i, j in geometry.offsets:
            window = padded[geometry.window_slice(i, j)]
            if total is None:
                total = window.copy()
            else:
                total += window
        self.divisor, self.x_shape = _divisor(geometry, x.dtype), x.shape
        total /= self.divisor
        return total

    def backward(self, gy):
        geometry = self.geometry
        n, _, _, channels = self.x_shape
        share = gy / self.divisor  # d mean(window) / d window[k] = 1 / (window count)
        padded = xp().zeros((n, *geometry.padded_size, channels), dtype=gy.dtype)
        for i, j in geometry.offsets:
            padded[geometry.window_slice(i, j)] += share
        return crop_spatial(padded, geometry.pads)


# -- argument handling, 2-D and 1-D -----------------------------------------------------------

def _pool2d_setup(x, pool_size, strides, padding, caller):
    x = as_tensor(x)
    require_float(caller, x)
    if x.ndim != 4:
        raise ValueError(f"{caller}: expected input of rank 4 (batch, height, width, channels), got shape {x.shape}")
    pool_size = pair(pool_size, "pool_size", caller)
    strides = pool_size if strides is None else pair(strides, "strides", caller)
    padding = normalize_padding(padding, caller)
    return x, window_geometry(x.shape[1:3], pool_size, strides, padding, (1, 1), caller)


def _pool1d_setup(x, pool_size, strides, padding, caller):
    """The 1-D problem as a 2-D one of height 1."""
    x = as_tensor(x)
    require_float(caller, x)
    if x.ndim != 3:
        raise ValueError(f"{caller}: expected input of rank 3 (batch, steps, channels), got shape {x.shape}")
    pool_size = _positive_int(pool_size, "pool_size", caller)
    strides = pool_size if strides is None else _positive_int(strides, "strides", caller)
    x4 = shapes.reshape(x, (x.shape[0], 1, x.shape[1], x.shape[2]))
    return x4, (1, pool_size), (1, strides)


def _positive_int(value, name, caller):
    return int_tuple(value, 1, name, caller)[0]


def _drop_height(y):
    return shapes.reshape(y, (y.shape[0], y.shape[2], y.shape[3]))


def max_pool2d(x, pool_size=(2, 2), strides=None, padding="valid", caller="max_pool2d"):
    """Maximum over each (ph, pw) window of NHWC ``x``; ``strides`` default to ``pool_size``."""
    x, geometry = _pool2d_setup(x, pool_size, strides, padding, caller)
    return MaxPool2DFunction(geometry)(x)


def avg_pool2d(x, pool_size=(2, 2), strides=None, padding="valid", caller="avg_pool2d"):
    """Mean over each (ph, pw) window of NHWC ``x`` ('same': over the unpadded part only)."""
    x, geometry = _pool2d_setup(x, pool_size, strides, padding, caller)
    return AvgPool2DFunction(geometry)(x)


def max_pool1d(x, pool_size=2, strides=None, padding="valid", caller="max_pool1d"):
    """Maximum over each window of (N, steps, C) ``x``."""
    x4, pool_size, strides = _pool1d_setup(x, pool_size, strides, padding, caller)
    return _drop_height(max_pool2d(x4, pool_size, strides, padding, caller))


def avg_pool1d(x, pool_size=2, strides=None, padding="valid", caller="avg_pool1d"):
    """Mean over each window of (N, steps, C) ``x``."""
    x4, pool_size, strides = _pool1d_setup(x, pool_size, strides, padding, caller)
    return _drop_height(avg_pool2d(x4, pool_size, strides, padding, caller))


def max_pool2d_reference(x, pool_size=(2, 2), strides=None, padding="valid", caller="max_pool2d_reference"):
    """``max_pool2d`` from primitive ops: pad with -inf, then a running ``maximum`` over the
    window offsets (ties keep the earlier element, so the first maximum wins)."""
    x, geometry = _pool2d_setup(x, pool_size, strides, padding, caller)
    if geometry.has_padding:
        x = shapes.pad(x, ((0, 0), *geometry.pads, (0, 0)), value=-np.inf)
    y = None
    for i, j in geometry.offsets:
        window = shapes.getitem(x, geometry.window_slice(i, j))
        y = window if y is None else math.maximum(y, window)
    return y


def avg_pool2d_reference(x, pool_size=(2, 2), strides=None, padding="valid", caller="avg_pool2d_reference"):
    """``avg_pool2d`` from primitive ops: pad with zeros, add the window offsets, divide by
    the number of real inputs in each window."""
    x, geometry = _pool2d_setup(x, pool_size, strides, padding, caller)
    if geometry.has_padding:
        x = shapes.pad(x, ((0, 0), *geometry.pads, (0, 0)))
    total = None
    for i, j in geometry.offsets:
        window = shapes.getitem(x, geometry.window_slice(i, j))
        total = window if total is None else total + window
    counts = _window_counts(geometry).astype(total.dtype)[None, :, :, None]
    return total / backend.to_device(counts)


# -- global pooling ---------------------------------------------------------------------------

def _check_global(x, rank, caller):
    x = as_tensor(x)
    require_float(caller, x)
    layout = "(batch, steps, channels)" if rank == 1 else "(batch, height, width, channels)"
    if x.ndim != rank + 2:
        raise ValueError(f"{caller}: expected input of rank {rank + 2} {layout}, got shape {x.shape}")
    return x, tuple(range(1, rank + 1))


def global_average_pool(x, rank=2, keepdims=False, caller="global_average_pool"):
    """Mean over the ``rank`` spatial axes: (N, ..., C) -> (N, C)."""
    x, axes = _check_global(x, rank, caller)
    return reductions.mean(x, axis=axes, keepdims=keepdims)


def global_max_pool(x, rank=2, keepdims=False, caller="global_max_pool"):
    """Maximum over the ``rank`` spatial axes: (N, ..., C) -> (N, C)."""
    x, axes = _check_global(x, rank, caller)
    return reductions.max(x, axis=axes, keepdims=keepdims)


# -- upsampling and zero padding --------------------------------------------------------------

class UpSample2DFunction(Function):
    """Nearest-neighbour upsampling: every pixel becomes an (sh, sw) block of copies."""

    def __init__(self, size):
        self.size = size

    def forward(self, x):
        n, height, width, channels = x.shape
        sh, sw = self.size
        blocks = xp().broadcast_to(x[:, :, None, :, None, :], (n, height, sh, width, sw, channels))
        return blocks.reshape(n, height * sh, width * sw, channels)

    def backward(self, gy):
        n, big_h, big_w, channels = gy.shape
        sh, sw = self.size
        # each input pixel was copied sh*sw times: its gradient is the sum over its block
        return gy.reshape(n, big_h // sh, sh, big_w // sw, sw, channels).sum(axis=(2, 4))


def _upsample_setup(x, size, caller):
    x = as_tensor(x)
    if x.ndim != 4:
        raise ValueError(f"{caller}: expected input of rank 4 (batch, height, width, channels), got shape {x.shape}")
    return x, pair(size, "size", caller)


def upsample2d(x, size=(2, 2), caller="upsample2d"):
    """Repeat every pixel of NHWC ``x`` ``size`` = (sh, sw) times: (N, H*sh, W*sw, C)."""
    x, size = _upsample_setup(x, size, caller)
    return UpSample2DFunction(size)(x)


def upsample2d_reference(x, size=(2, 2), caller="upsample2d_reference"):
    """``upsample2d`` from primitive ops: stack copies beside each column, then each row."""
    x, (sh, sw) = _upsample_setup(x, size, caller)
    n, height, width, channels = x.shape
    wide = shapes.reshape(shapes.stack([x] * sw, axis=3), (n, height, width * sw, channels))
    return shapes.reshape(shapes.stack([wide] * sh, axis=2), (n, height * sh, width * sw, channels))


def zero_pad2d_amounts(padding, caller):
    """Keras's ZeroPadding2D ``padding``: an int, (sym_h, sym_w), or ((top, bottom), (left, right))."""
    message = (
        f"{caller}: padding must be a non-negative int, a pair (symmetric_height, symmetric_width) or "
        f"a pair of pairs ((top, bottom), (left, right)), got {padding!r}"
    )
    if is_int(padding):
        amounts = ((padding, padding), (padding, padding))
    elif isinstance(padding, (tuple, list)) and len(padding) == 2 and all(is_int(p) for p in padding):
        amounts = ((padding[0], padding[0]), (padding[1], padding[1]))
    elif (isinstance(padding, (tuple, list)) and len(padding) == 2
          and all(isinstance(p, (tuple, list)) and len(p) == 2 for p in padding)):
        amounts = tuple((p[0], p[1]) for p in padding)
    else:
        raise ValueError(message)
    if not all(is_int(v) and v >= 0 for pair_ in amounts for v in pair_):
        raise ValueError(message)
    return tuple((int(before), int(after)) for before, after in amounts)


def zero_pad2d(x, padding=(1, 1), caller="zero_pad2d"):
    """Zeros around the height and width of NHWC ``x`` (padding as Keras's ZeroPadding2D)."""
    x = as_tensor(x)
    if x.ndim != 4:
        raise ValueError(f"{caller}: expected input of rank 4 (batch, height, width, channels), got shape {x.shape}")
    amounts = zero_pad2d_amounts(padding, caller)
    return shapes.pad(x, ((0, 0), *amounts, (0, 0)))


__all__ = [
    "AvgPool2DFunction", "MaxPool2DFunction", "UpSample2DFunction", "avg_pool1d", "avg_pool2d",
    "avg_pool2d_reference", "global_average_pool", "global_max_pool", "max_pool1d", "max_pool2d",
    "max_pool2d_reference", "upsample2d", "upsample2d_reference", "zero_pad2d", "zero_pad2d_amounts",
]
