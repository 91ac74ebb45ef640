"""Pooling and resampling, channels-last as in Keras.

* ``max_pool2d`` / ``avg_pool2d`` (and the 1-D versions): the maximum / mean of each window.
  ``strides`` default to the pool size; 'same' padding follows TensorFlow's rule (see
  ``minidl.ops.windows``). As in TensorFlow, padded positions never win a max and are left out
  of an average (a border window of 'same' padding averages only the values it covers).
* ``global_average_pool`` / ``global_max_pool``: reduce every spatial axis.
* ``upsample2d``: nearest-neighbour enlargement, each pixel repeated (sh, sw) times.
* ``zero_pad2d``: zeros around the height and width axes.

Max and average pooling run in one of two forms that give the same numbers: the readable one
(``minidl/ops/reference/pooling.py``: im2col, a max or mean of each window, col2im back) inside
``minidl.reference_ops()`` and always as ``*_reference``; the fast one
(``minidl/ops/fast/pooling.py``: a loop over window offsets on every core) by default.

Errors name the op and the argument; a layer calling the op adds its own name (``Layer.__call__``).
"""

from minidl.autograd.function import Function, xp
from minidl.ops import reductions, shapes
from minidl.ops._util import as_tensor, require_float
from minidl.ops.arguments import int_tuple, is_int, normalize_padding, pair
from minidl.ops.fast.pooling import FastAvgPool2D, FastMaxPool2D
from minidl.ops.forms import reference_forms_active
from minidl.ops.reference.pooling import AvgPool2D, MaxPool2D
from minidl.ops.windows import window_geometry

# -- max and average pooling, 2-D and 1-D (``op`` names the op the user called, for messages) ---

_READABLE = {"max": MaxPool2D, "avg": AvgPool2D}
_FAST = {"max": FastMaxPool2D, "avg": FastAvgPool2D}


def _pool2d(kind, x, pool_size, strides, padding, op, readable):
    x = as_tensor(x)
    require_float(op, x)
    if x.ndim != 4:
        raise ValueError(f"{op}: expected input of rank 4 (batch, height, width, channels), got shape {x.shape}")
    pool_size = pair(pool_size, "pool_size", op)
    strides = pool_size if strides is None else pair(strides, "strides", op)
    padding = normalize_padding(padding, op)
    geometry = window_geometry(x.shape[1:3], pool_size, strides, padding, (1, 1), op)
    form = _READABLE if readable or reference_forms_active() else _FAST
    return form[kind](geometry)(x)


def _pool1d(kind, x, pool_size, strides, padding, op):
    """The 1-D problem as a 2-D one of height 1."""
    x = as_tensor(x)
    require_float(op, x)
    if x.ndim != 3:
        raise ValueError(f"{op}: expected input of rank 3 (batch, steps, channels), got shape {x.shape}")
    pool_size = int_tuple(pool_size, 1, "pool_size", op)[0]
    strides = pool_size if strides is None else int_tuple(strides, 1, "strides", op)[0]
    x4 = shapes.reshape(x, (x.shape[0], 1, x.shape[1], x.shape[2]))
    y = _pool2d(kind, x4, (1, pool_size), (1, strides), padding, op, readable=False)
    return shapes.reshape(y, (y.shape[0], y.shape[2], y.shape[3]))


def max_pool2d(x, pool_size=(2, 2), strides=None, padding="valid"):
    """Maximum over each (ph, pw) window of NHWC ``x``; ``strides`` default to ``pool_size``."""
    return _pool2d("max", x, pool_size, strides, padding, "max_pool2d", readable=False)


def avg_pool2d(x, pool_size=(2, 2), strides=None, padding="valid"):
    """Mean over each (ph, pw) window of NHWC ``x`` ('same': over the unpadded part only)."""
    return _pool2d("avg", x, pool_size, strides, padding, "avg_pool2d", readable=False)


def max_pool1d(x, pool_size=2, strides=None, padding="valid"):
    """Maximum over each window of (N, steps, C) ``x``."""
    return _pool1d("max", x, pool_size, strides, padding, "max_pool1d")


def avg_pool1d(x, pool_size=2, strides=None, padding="valid"):
    """Mean over each window of (N, steps, C) ``x``."""
    return _pool1d("avg", x, pool_size, strides, padding, "avg_pool1d")


def max_pool2d_reference(x, pool_size=(2, 2), strides=None, padding="valid"):
    """``max_pool2d`` in its readable form (``minidl/ops/reference/pooling.py``), always."""
    return _pool2d("max", x, pool_size, strides, padding, "max_pool2d_reference", readable=True)


def avg_pool2d_reference(x, pool_size=(2, 2), strides=None, padding="valid"):
    """``avg_pool2d`` in its readable form (``minidl/ops/reference/pooling.py``), always."""
    return _pool2d("avg", x, pool_size, strides, padding, "avg_pool2d_reference", readable=True)


# -- global pooling ---------------------------------------------------------------------------

def _check_global(x, rank, op):
    x = as_tensor(x)
    require_float(op, x)
    layout = "(batch, steps, channels)" if rank == 1 else "(batch, height, width, channels)"
    if x.ndim != rank + 2:
        raise ValueError(f"{op}: expected input of rank {rank + 2} {layout}, got shape {x.shape}")
    return x, tuple(range(1, rank + 1))


def global_average_pool(x, rank=2, keepdims=False):
    """Mean over the ``rank`` spatial axes: (N, ..., C) -> (N, C)."""
    x, axes = _check_global(x, rank, "global_average_pool")
    return reductions.mean(x, axis=axes, keepdims=keepdims)


def global_max_pool(x, rank=2, keepdims=False):
    """Maximum over the ``rank`` spatial axes: (N, ..., C) -> (N, C)."""
    x, axes = _check_global(x, rank, "global_max_pool")
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
        blocks = gy.reshape(n, big_h // sh, sh, big_w // sw, sw, channels)
        # each input pixel was copied sh*sw times: its gradient is the sum over its block, added
        # copy by copy (2.6x faster than NumPy's sum over the two strided axes)
        grad = blocks[:, :, 0, :, 0].copy()
        for i in range(sh):
            for j in range(sw):
                if i or j:
                    grad += blocks[:, :, i, :, j]
        return grad


def _upsample_setup(x, size, op):
    x = as_tensor(x)
    if x.ndim != 4:
        raise ValueError(f"{op}: expected input of rank 4 (batch, height, width, channels), got shape {x.shape}")
    return x, pair(size, "size", op)


def upsample2d(x, size=(2, 2)):
    """Repeat every pixel of NHWC ``x`` ``size`` = (sh, sw) times: (N, H*sh, W*sw, C)."""
    x, size = _upsample_setup(x, size, "upsample2d")
    return UpSample2DFunction(size)(x)


def upsample2d_reference(x, size=(2, 2)):
    """``upsample2d`` from primitive ops: stack copies beside each column, then each row."""
    x, (sh, sw) = _upsample_setup(x, size, "upsample2d_reference")
    n, height, width, channels = x.shape
    wide = shapes.reshape(shapes.stack([x] * sw, axis=3), (n, height, width * sw, channels))
    return shapes.reshape(shapes.stack([wide] * sh, axis=2), (n, height * sh, width * sw, channels))


def zero_pad2d_amounts(padding, who):
    """Keras's ZeroPadding2D ``padding``: an int, (sym_h, sym_w), or ((top, bottom), (left, right));
    ``who`` (the op's name or a layer's label) starts the error message."""
    message = (
        f"{who}: padding must be a non-negative int, a pair (symmetric_height, symmetric_width) or "
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


def zero_pad2d(x, padding=(1, 1)):
    """Zeros around the height and width of NHWC ``x`` (padding as Keras's ZeroPadding2D)."""
    x = as_tensor(x)
    if x.ndim != 4:
        raise ValueError(f"zero_pad2d: expected input of rank 4 (batch, height, width, channels), got shape {x.shape}")
    amounts = zero_pad2d_amounts(padding, "zero_pad2d")
    return shapes.pad(x, ((0, 0), *amounts, (0, 0)))


__all__ = [
    "UpSample2DFunction", "avg_pool1d", "avg_pool2d", "avg_pool2d_reference", "global_average_pool",
    "global_max_pool", "max_pool1d", "max_pool2d", "max_pool2d_reference", "upsample2d", "upsample2d_reference",
    "zero_pad2d", "zero_pad2d_amounts",
]
