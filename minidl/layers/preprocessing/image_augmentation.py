"""Keras's random image augmentation layers: every training batch sees each image moved,
turned, zoomed, flipped, cropped or re-lit at random, so a small data set looks larger.

Per image, with numbers drawn from minidl's device generator (see ``image_layers``):

* ``RandomFlip``: with probability 1/2 the image is mirrored left-right ('horizontal'),
  upside-down ('vertical'), or both ('horizontal_and_vertical': one draw decides both, as in
  Keras 3);
* ``RandomRotation(factor)``: turned about its centre by an angle drawn from
  ``factor * 360`` degrees (a number f: [-f, f]; a pair: that range);
* ``RandomZoom(height_factor, width_factor)``: scaled about its centre by ``1 + z``, z drawn
  from the factor (positive z zooms out, negative in; the width follows the height when
  ``width_factor`` is None);
* ``RandomTranslation(height_factor, width_factor)``: shifted by a drawn fraction of its height
  and width;
* ``RandomCrop(height, width)``: a window of that size at a drawn position; at inference (and
  for an image smaller than the window) the centred window of the output's aspect ratio,
  resized to (height, width) -- Keras 2's rule; Keras 3 returns the uncropped image at
  inference, whose size then differs from the model's output shape;
* ``RandomContrast(factor)``: ``(x - mean) * c + mean`` per channel, c drawn from
  [1 - lower, 1 + upper] (a number f: [1 - f, 1 + f], as Keras documents; Keras 3.15 draws
  from [1, 1 + f]), clipped to ``value_range``;
* ``RandomBrightness(factor)``: adds a drawn fraction of ``value_range``'s width, clipped to it.

Rotation, zoom and translation resample the image (``minidl.ops.image.affine_transform``:
TensorFlow's geometry, ``fill_mode`` and ``interpolation``), so for the same angle, zoom or
shift they give Keras's pixels. All of them are differentiable in the image.
"""

import math

import numpy as np

from minidl.layers import arguments
from minidl.layers.call_context import label
from minidl.layers.preprocessing.image_layers import (
    ImageLayer,
    config_value,
    constant,
    data_format_argument,
    factor_range,
    uniform,
)
from minidl.layers.preprocessing.image_resizing import smart_resize
from minidl.ops import image as image_ops
from minidl.ops import math as math_ops
from minidl.ops import reductions
from minidl.ops.shapes import flip, getitem
from minidl.runtime import backend

FILL_MODES = ("reflect", "wrap", "constant", "nearest")
INTERPOLATIONS = ("bilinear", "nearest")
FLIP_MODES = ("horizontal", "vertical", "horizontal_and_vertical")


def _seed(layer, seed):
    return None if seed is None else arguments.integer(layer, "seed", seed)


class RandomFlip(ImageLayer):
    """Mirrors images at random while training (see the module docstring). Input (batch, H, W,
    channels) or one image; output the same shape in the layer's float type. No weights.

    Arguments:
        mode: 'horizontal', 'vertical' or 'horizontal_and_vertical'.
        seed: accepted for Keras compatibility (minidl's generator, seeded by ``minidl.set_seed``).
        data_format: None or 'channels_last'; 'channels_first' is refused.
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype``, ``input_shape``, ...).
    """

    def __init__(self, mode: str = "horizontal_and_vertical", seed: int | None = None,
                 data_format: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.mode = arguments.choice(self, "mode", mode, FLIP_MODES)
        self.seed = _seed(self, seed)
        self.data_format = data_format_argument(self, data_format)

    def transform(self, images, training):
        images = self.as_float(images)
        if not training:
            return images
        flips = uniform(0.0, 1.0, (images.shape[0], 1, 1, 1), images.dtype) <= 0.5
        flipped = images
        if self.mode in ("horizontal", "horizontal_and_vertical"):
            flipped = flip(flipped, 2)
        if self.mode in ("vertical", "horizontal_and_vertical"):
            flipped = flip(flipped, 1)
        return math_ops.where(flips, flipped, images)

    def get_config(self):
        return {**super().get_config(), "mode": self.mode, "seed": self.seed, "data_format": self.data_format}


class _AffineAugmentation(ImageLayer):
    """Rotation, zoom and translation: a random affine transform per image, then resampling."""

    def _geometry_arguments(self, fill_mode, interpolation, seed, fill_value, data_format):
        self.fill_mode = arguments.choice(self, "fill_mode", fill_mode, FILL_MODES)
        self.interpolation = arguments.choice(self, "interpolation", interpolation, INTERPOLATIONS)
        self.seed = _seed(self, seed)
        self.fill_value = arguments.number(self, "fill_value", fill_value)
        self.data_format = data_format_argument(self, data_format)

    def transform(self, images, training):
        images = self.as_float(images)
        if not training:
            return images
        transforms = self.transforms(images.shape[0], images.shape[1], images.shape[2])
        return image_ops.affine_transform(images, transforms, self.interpolation, self.fill_mode, self.fill_value)

    def transforms(self, count, height, width):
        """(count, 8) transforms in ``affine_transform``'s convention, drawn at random."""
        raise NotImplementedError

    def _geometry_config(self):
        return {"fill_mode": self.fill_mode, "interpolation": self.interpolation, "seed": self.seed,
                "fill_value": self.fill_value, "data_format": self.data_format}


def _matrices(*columns):
    """Stack (count,) columns a0, a1, a2, b0, b1, b2 into (count, 8) transforms (no projection)."""
    xp = backend.get_xp()
    count = columns[0].shape[0]
    zeros = xp.zeros(count, dtype=np.float32)
    return xp.stack([c.astype(np.float32) for c in columns] + [zeros, zeros], axis=1)


class RandomRotation(_AffineAugmentation):
    """Rotates images by a random angle while training (see the module docstring). Input
    (batch, H, W, channels) or one image; output the same shape in the layer's float type.

    Arguments:
        factor: the angle as a fraction of a full turn: a number f (angles in [-f, f] * 360
            degrees) or a pair (lower, upper); within [-1, 1].
        fill_mode: how points outside the image are filled: 'reflect', 'wrap', 'constant' or
            'nearest'.
        interpolation: 'bilinear' or 'nearest'.
        seed: accepted for Keras compatibility (minidl's generator, seeded by ``minidl.set_seed``).
        fill_value: the value outside the image with fill_mode='constant'.
        data_format: None or 'channels_last'; 'channels_first' is refused.
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype``, ``input_shape``, ...).
    """

    def __init__(self, factor: float | tuple[float, float], fill_mode: str = "reflect",
                 interpolation: str = "bilinear", seed: int | None = None, fill_value: float = 0.0,
                 data_format: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor
        self.lower, self.upper = factor_range(self, "factor", factor)
        self._geometry_arguments(fill_mode, interpolation, seed, fill_value, data_format)

    def transforms(self, count, height, width):
        xp = backend.get_xp()
        angles = uniform(self.lower * 360.0, self.upper * 360.0, (count,), np.dtype(np.float32))
        return rotation_transforms(xp, angles * np.float32(math.pi / 180.0), height, width)

    def get_config(self):
        return {**super().get_config(), "factor": config_value(self.factor), **self._geometry_config()}


def rotation_transforms(xp, radians, height, width):
    """Transforms turning each image by ``radians`` about its centre (Keras's matrix)."""
    cx, cy = np.float32((width - 1) / 2), np.float32((height - 1) / 2)
    cos, sin = xp.cos(radians), xp.sin(radians)
    return _matrices(cos, -sin, cx - cx * cos + cy * sin, sin, cos, cy - cx * sin - cy * cos)


class RandomZoom(_AffineAugmentation):
    """Zooms images in or out at random while training (see the module docstring). Input
    (batch, H, W, channels) or one image; output the same shape in the layer's float type.

    Arguments:
        height_factor: the vertical zoom range: a number f ([-f, f]) or a pair, each in (-1, 1];
            positive values zoom out, negative ones in.
        width_factor: the horizontal range likewise, or None to keep the aspect ratio.
        fill_mode: 'reflect', 'wrap', 'constant' or 'nearest'.
        interpolation: 'bilinear' or 'nearest'.
        seed: accepted for Keras compatibility (minidl's generator, seeded by ``minidl.set_seed``).
        fill_value: the value outside the image with fill_mode='constant'.
        data_format: None or 'channels_last'; 'channels_first' is refused.
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype``, ``input_shape``, ...).
    """

    def __init__(self, height_factor: float | tuple[float, float], width_factor: float | tuple[float, float] | None = None,
                 fill_mode: str = "reflect", interpolation: str = "bilinear", seed: int | None = None,
                 fill_value: float = 0.0, data_format: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.height_factor, self.width_factor = height_factor, width_factor
        self.height_range = _zoom_range(self, "height_factor", height_factor)
        self.width_range = None if width_factor is None else _zoom_range(self, "width_factor", width_factor)
        self._geometry_arguments(fill_mode, interpolation, seed, fill_value, data_format)

    def transforms(self, count, height, width):
        xp = backend.get_xp()
        float32 = np.dtype(np.float32)
        zoom_y = 1 + uniform(*self.height_range, (count,), float32)
        zoom_x = zoom_y if self.width_range is None else 1 + uniform(*self.width_range, (count,), float32)
        zero = xp.zeros(count, dtype=np.float32)
        return _matrices(zoom_x, zero, np.float32((width - 1) / 2) * (1 - zoom_x),
                         zero, zoom_y, np.float32((height - 1) / 2) * (1 - zoom_y))

    def get_config(self):
        return {**super().get_config(), "height_factor": config_value(self.height_factor),
                "width_factor": config_value(self.width_factor), **self._geometry_config()}


def _zoom_range(layer, argument, factor):
    lower, upper = factor_range(layer, argument, factor)
    if lower <= -1:
        raise ValueError(f"{label(layer)}: {argument} must lie in (-1, 1] (a zoom of -1 would shrink the "
                         f"image to nothing), got {factor!r}")
    return lower, upper


class RandomTranslation(_AffineAugmentation):
    """Shifts images at random while training (see the module docstring). Input (batch, H, W,
    channels) or one image; output the same shape in the layer's float type.

    Arguments:
        height_factor: the vertical shift as a fraction of the height: a number f ([-f, f]) or
            a pair, within [-1, 1].
        width_factor: the horizontal shift as a fraction of the width, likewise.
        fill_mode: 'reflect', 'wrap', 'constant' or 'nearest'.
        interpolation: 'bilinear' or 'nearest'.
        seed: accepted for Keras compatibility (minidl's generator, seeded by ``minidl.set_seed``).
        fill_value: the value outside the image with fill_mode='constant'.
        data_format: None or 'channels_last'; 'channels_first' is refused.
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype``, ``input_shape``, ...).
    """

    def __init__(self, height_factor: float | tuple[float, float], width_factor: float | tuple[float, float],
                 fill_mode: str = "reflect", interpolation: str = "bilinear", seed: int | None = None,
                 fill_value: float = 0.0, data_format: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.height_factor, self.width_factor = height_factor, width_factor
        self.height_range = factor_range(self, "height_factor", height_factor)
        self.width_range = factor_range(self, "width_factor", width_factor)
        self._geometry_arguments(fill_mode, interpolation, seed, fill_value, data_format)

    def transforms(self, count, height, width):
        xp = backend.get_xp()
        float32 = np.dtype(np.float32)
        shift_y = uniform(*self.height_range, (count,), float32) * np.float32(height)
        shift_x = uniform(*self.width_range, (count,), float32) * np.float32(width)
        one, zero = xp.ones(count, dtype=np.float32), xp.zeros(count, dtype=np.float32)
        return _matrices(one, zero, -shift_x, zero, one, -shift_y)

    def get_config(self):
        return {**super().get_config(), "height_factor": config_value(self.height_factor),
                "width_factor": config_value(self.width_factor), **self._geometry_config()}


class RandomCrop(ImageLayer):
    """Cuts a (height, width) window at a random position of every image while training; at
    inference resizes the centred window of that aspect ratio (see the module docstring). Input (batch, H, W, channels) or one
    image; output (batch, height, width, channels) in the layer's float type. No weights.

    Arguments:
        height, width: the output size.
        seed: accepted for Keras compatibility (minidl's generator, seeded by ``minidl.set_seed``).
        data_format: None or 'channels_last'; 'channels_first' is refused.
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype``, ``input_shape``, ...).
    """

    def __init__(self, height: int, width: int, seed: int | None = None, data_format: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.height = arguments.positive_int(self, "height", height)
        self.width = arguments.positive_int(self, "width", width)
        self.seed = _seed(self, seed)
        self.data_format = data_format_argument(self, data_format)

    def transform(self, images, training):
        images = self.as_float(images)
        count, height, width = images.shape[:3]
        if not training or height < self.height or width < self.width:
            if (height, width) == (self.height, self.width):
                return images
            return smart_resize(images, self.height, self.width)
        if (height, width) == (self.height, self.width):
            return images
        xp = backend.get_xp()
        float32 = np.dtype(np.float32)
        # a top-left corner per image, then the window's rows and columns as index arrays
        top = xp.floor(uniform(0, height - self.height + 1, (count,), float32)).astype(np.int64)
        left = xp.floor(uniform(0, width - self.width + 1, (count,), float32)).astype(np.int64)
        rows = (top[:, None] + xp.arange(self.height))[:, :, None]
        cols = (left[:, None] + xp.arange(self.width))[:, None, :]
        batch = xp.arange(count)[:, None, None]
        return getitem(images, (batch, rows, cols))

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width, "seed": self.seed,
                "data_format": self.data_format}


class _ColorAugmentation(ImageLayer):
    """Contrast and brightness: a random number per image, the result clipped to ``value_range``."""

    def _value_range(self, value_range):
        if (not isinstance(value_range, (tuple, list)) or len(value_range) != 2
                or not all(isinstance(v, (int, float, np.integer, np.floating)) for v in value_range)
                or value_range[0] == value_range[1]):
            raise ValueError(f"{label(self)}: value_range must be a pair of different numbers (low, high), "
                             f"got {value_range!r}")
        return tuple(sorted(float(v) for v in value_range))

    def clipped(self, images):
        low, high = self.value_range
        return math_ops.clip(images, low, high)


class RandomContrast(_ColorAugmentation):
    """Changes every image's contrast at random while training (see the module docstring).
    Input (batch, H, W, channels) or one image; output the same shape in the layer's float type.

    Arguments:
        factor: a number f in [0, 1] (contrast factors in [1 - f, 1 + f]) or a pair (lower, upper)
            within [-1, 1] (factors in [1 - lower, 1 + upper]).
        value_range: the (low, high) range of the pixel values; the output is clipped to it.
        seed: accepted for Keras compatibility (minidl's generator, seeded by ``minidl.set_seed``).
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype``, ``input_shape``, ...).
    """

    def __init__(self, factor: float | tuple[float, float], value_range: tuple[float, float] = (0, 255),
                 seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor
        if isinstance(factor, (tuple, list)):  # (lower, upper): factors in [1 - lower, 1 + upper]
            self.lower, self.upper = factor_range(self, "factor", factor)
        else:
            self.lower, self.upper = factor_range(self, "factor", factor, low=0.0, symmetric_low=lambda f: f)
        self.value_range = self._value_range(value_range)
        self.seed = _seed(self, seed)

    def transform(self, images, training):
        images = self.as_float(images)
        if not training:
            return images
        factors = constant(uniform(1 - self.lower, 1 + self.upper, (images.shape[0], 1, 1, 1), images.dtype))
        means = reductions.mean(images, axis=(1, 2), keepdims=True)
        return self.clipped((images - means) * factors + means)

    def get_config(self):
        return {**super().get_config(), "factor": config_value(self.factor), "value_range": list(self.value_range),
                "seed": self.seed}


class RandomBrightness(_ColorAugmentation):
    """Brightens or darkens every image at random while training (see the module docstring).
    Input (batch, H, W, channels) or one image; output the same shape in the layer's float type.

    Arguments:
        factor: the change as a fraction of ``value_range``'s width: a number f ([-f, f]) or a
            pair (lower, upper), within [-1, 1].
        value_range: the (low, high) range of the pixel values; the output is clipped to it.
        seed: accepted for Keras compatibility (minidl's generator, seeded by ``minidl.set_seed``).
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype``, ``input_shape``, ...).
    """

    def __init__(self, factor: float | tuple[float, float], value_range: tuple[float, float] = (0, 255),
                 seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor
        self.lower, self.upper = factor_range(self, "factor", factor)
        self.value_range = self._value_range(value_range)
        self.seed = _seed(self, seed)

    def transform(self, images, training):
        images = self.as_float(images)
        if not training:
            return images
        low, high = self.value_range
        deltas = uniform(self.lower, self.upper, (images.shape[0], 1, 1, 1), images.dtype) * images.dtype.type(high - low)
        return self.clipped(images + constant(deltas))

    def get_config(self):
        return {**super().get_config(), "factor": config_value(self.factor), "value_range": list(self.value_range),
                "seed": self.seed}
