"""Geometric image operations, channels-last: ``resize`` and ``affine_transform``.

Both decide, for every output pixel, which input point (y, x) it shows, and read that point
with ``SampleImages`` (``minidl/ops/reference/image_sampling.py``: a weighted gather whose
backward is a scatter-add), so they are differentiable in the images. A resize samples rows and
columns independently, so on the CPU it runs one axis at a time (``minidl/ops/fast/resize.py``),
which must equal ``SampleImages``. The geometry follows
TensorFlow's kernels, which Keras's image layers run, so the outputs match Keras's:

* ``resize`` (``tf.image.resize``, half-pixel centres): output pixel i of a size-``n`` axis
  resized to ``m`` shows input point ``(i + 0.5) * n / m - 0.5``; 'bilinear' blends the two
  pixels around it (the edge pixel beyond the border), 'nearest' takes pixel
  ``min(floor((i + 0.5) * n / m), n - 1)``.
* ``affine_transform`` (``ImageProjectiveTransformV3``): a transform ``[a0, a1, a2, b0, b1,
  b2, c0, c1]`` per image maps output (x, y) to input ``x' = (a0 x + a1 y + a2) / k``,
  ``y' = (b0 x + b1 y + b2) / k`` with ``k = c0 x + c1 y + 1``. A point outside the image is
  first brought back by ``fill_mode``: 'reflect' mirrors it about the edge (d c b a | a b c d |
  d c b a), 'wrap' tiles the image, 'nearest' repeats the edge pixel, 'constant' leaves it out
  and reads ``fill_value`` there. 'bilinear' blends the four pixels around the point,
  'nearest' takes the closest (halves rounded away from zero).

The coordinates are computed in float32, as TensorFlow computes them.
"""

import numpy as np

from minidl.ops._util import as_tensor, require_float
from minidl.ops.fast import resize as fast_resize
from minidl.ops.forms import reference_forms_active
from minidl.ops.reference.image_sampling import SampleImages
from minidl.runtime import backend

INTERPOLATIONS = ("bilinear", "nearest")
FILL_MODES = ("reflect", "wrap", "constant", "nearest")


def _check_images(images, what):
    images = as_tensor(images)
    require_float(what, images, "images")
    if images.ndim != 4:
        raise ValueError(f"{what}: expected images of rank 4 (batch, height, width, channels), got shape "
                         f"{images.shape}")
    return images


def _check_choice(value, choices, argument, what):
    if value not in choices:
        raise ValueError(f"{what}: {argument} must be one of {', '.join(repr(c) for c in choices)}, got {value!r}")


# -- resize ---------------------------------------------------------------------------------------

def _resize_axis(in_size, out_size, interpolation):
    """(indices (out, K), weights (out, K)) of one axis, K = 2 taps (bilinear) or 1 (nearest)."""
    scale = np.float32(in_size / out_size)
    out = np.arange(out_size, dtype=np.float32)
    if interpolation == "nearest":
        index = np.minimum(np.floor((out + np.float32(0.5)) * scale), in_size - 1).astype(np.int64)
        return index[:, None], np.ones((out_size, 1), np.float32)
    point = (out + np.float32(0.5)) * scale - np.float32(0.5)
    below = np.floor(point)
    fraction = point - below
    lower = np.clip(below, 0, in_size - 1).astype(np.int64)
    upper = np.clip(below + 1, 0, in_size - 1).astype(np.int64)
    return np.stack([lower, upper], axis=1), np.stack([1 - fraction, fraction], axis=1)


def resize(images, size, interpolation="bilinear"):
    """``images`` (N, H, W, C) resized to ``size`` = (height, width) (see the module docstring)."""
    what = "resize"
    images = _check_images(images, what)
    _check_choice(interpolation, INTERPOLATIONS, "interpolation", what)
    out_h, out_w = (int(s) for s in size)
    if out_h < 1 or out_w < 1:
        raise ValueError(f"{what}: size must be two positive integers, got {tuple(size)}")
    rows_1d, row_weights = _resize_axis(images.shape[1], out_h, interpolation)
    cols_1d, col_weights = _resize_axis(images.shape[2], out_w, interpolation)
    if fast_resize.fast_form_applies() and not reference_forms_active():
        return fast_resize.SeparableResize(rows_1d, row_weights, cols_1d, col_weights)(images)
    # every (row tap, column tap) pair of an output pixel: K = taps_y * taps_x, shared by the batch
    rows = np.broadcast_to(rows_1d.T[:, None, :, None], (rows_1d.shape[1], cols_1d.shape[1], out_h, out_w))
    cols = np.broadcast_to(cols_1d.T[None, :, None, :], rows.shape)
    weights = row_weights.T[:, None, :, None] * col_weights.T[None, :, None, :]
    taps = rows.shape[0] * rows.shape[1]
    return SampleImages(*(backend.to_device(np.ascontiguousarray(a).reshape(taps, 1, out_h, out_w))
                          for a in (rows, cols, weights)))(images)


# -- affine transforms ----------------------------------------------------------------------------

def _trunc(xp, values):
    return xp.trunc(values)


def _map_coordinates(xp, coords, size, fill_mode):
    """Points outside [0, size - 1] brought back inside by ``fill_mode`` (TensorFlow's rules).
    ``coords`` is a fresh array the caller hands over: it is overwritten."""
    if fill_mode == "constant":
        return coords
    if size <= 1:
        return xp.zeros_like(coords)
    last = np.float32(size - 1)
    if fill_mode in _FILL_MAPS:  # 'nearest' repeats the edge pixel: the clip below does it
        mapped = _FILL_MAPS[fill_mode]
        outside = (coords < 0) | (coords > last)
        if xp is not np:  # on a device, without reading the mask back to the host
            coords = xp.where(outside, mapped(xp, coords, size), coords)
        elif outside.any():  # on the host, most points of a rotated or zoomed image lie inside: map the others
            coords[outside] = mapped(xp, coords[outside], size)
    return xp.clip(coords, 0, last)


def _reflect(xp, coords, size):
    """'reflect' (d c b a | a b c d | d c b a) for points outside [0, size - 1]."""
    double = np.float32(2 * size)
    below = coords + double * _trunc(xp, -coords / double)
    below = xp.where(below < -size, below + double, -below - 1)
    above = coords - double * _trunc(xp, coords / double)
    above = xp.where(above >= size, double - above - 1, above)
    return xp.where(coords < 0, below, above)


def _wrap(xp, coords, size):
    """'wrap' (a b c d | a b c d | a b c d) for points outside [0, size - 1]."""
    span = np.float32(size - 1)
    below = coords + np.float32(size) * (_trunc(xp, -coords / span) + 1)
    above = coords - np.float32(size) * _trunc(xp, coords / span)
    return xp.where(coords < 0, below, above)


_FILL_MAPS = {"reflect": _reflect, "wrap": _wrap}


def _round_half_away(xp, values):
    return xp.sign(values) * xp.floor(xp.abs(values) + np.float32(0.5))


def sampling_taps(transforms, height, width, interpolation, fill_mode):
    """(rows, cols, weights), each a tuple of K arrays (N, H, W) -- tap k of every output pixel at
    index k -- of ``affine_transform`` on images of H x W (the bilinear taps share their row and
    column arrays in pairs)."""
    xp = backend.get_xp()
    transforms = transforms.astype(np.float32)
    y, x = xp.meshgrid(xp.arange(height, dtype=np.float32), xp.arange(width, dtype=np.float32), indexing="ij")
    a0, a1, a2, b0, b1, b2, c0, c1 = (transforms[:, i].reshape(-1, 1, 1) for i in range(8))
    projection = c0 * x + c1 * y + 1
    in_x = _map_coordinates(xp, (a0 * x + a1 * y + a2) / projection, width, fill_mode)
    in_y = _map_coordinates(xp, (b0 * x + b1 * y + b2) / projection, height, fill_mode)
    # a point more than a pixel outside reads nothing from the image wherever it lies: brought to
    # the band just outside, its taps stay outside and are small enough for int32
    in_x, in_y = xp.clip(in_x, -2, width + 1), xp.clip(in_y, -2, height + 1)
    if interpolation == "nearest":
        rows = _round_half_away(xp, in_y).astype(np.int32)
        cols = _round_half_away(xp, in_x).astype(np.int32)
        return (rows,), (cols,), (xp.ones(rows.shape, dtype=np.float32),)
    top, left = xp.floor(in_y), xp.floor(in_x)
    dy, dx = in_y - top, in_x - left
    top, left = top.astype(np.int32), left.astype(np.int32)
    below, right = top + 1, left + 1
    rows, cols = (top, top, below, below), (left, right, left, right)
    weights = ((1 - dy) * (1 - dx), (1 - dy) * dx, dy * (1 - dx), dy * dx)
    return rows, cols, weights


def affine_transform(images, transforms, interpolation="bilinear", fill_mode="constant", fill_value=0.0):
    """``images`` (N, H, W, C) transformed by ``transforms`` (N, 8), or (N, 6) without the
    projective terms (see the module docstring)."""
    what = "affine_transform"
    images = _check_images(images, what)
    _check_choice(interpolation, INTERPOLATIONS, "interpolation", what)
    _check_choice(fill_mode, FILL_MODES, "fill_mode", what)
    transforms = as_tensor(transforms).data
    if transforms.ndim != 2 or transforms.shape[0] != images.shape[0] or transforms.shape[1] not in (6, 8):
        raise ValueError(f"{what}: transforms must have shape ({images.shape[0]}, 8) -- one per image -- got "
                         f"{tuple(transforms.shape)}")
    if transforms.shape[1] == 6:
        transforms = backend.get_xp().concatenate([transforms, backend.get_xp().zeros((len(transforms), 2),
                                                                                       transforms.dtype)], axis=1)
    rows, cols, weights = sampling_taps(transforms, images.shape[1], images.shape[2], interpolation, fill_mode)
    fill = float(fill_value) if fill_mode == "constant" else 0.0
    return SampleImages(rows, cols, weights, fill)(images)


__all__ = ["affine_transform", "resize", "sampling_taps"]
