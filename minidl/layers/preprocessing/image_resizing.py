"""``Resizing`` and ``CenterCrop``: images to a fixed size inside the model (always, not only
while training), so a model takes photographs of any size.

``Resizing(height, width)`` interpolates (``minidl.ops.image.resize``: TensorFlow's half-pixel
geometry, 'bilinear' or 'nearest'); with ``crop_to_aspect_ratio`` it first cuts the largest
centred window of the target's aspect ratio, with ``pad_to_aspect_ratio`` it first pads the
image with ``fill_value`` to that ratio, so nothing is stretched. Integer images (uint8) come
out rounded, in their own type, as in Keras.

``CenterCrop(height, width)`` cuts the centred (height, width) window; an image smaller than
that on either axis is resized to it instead, after cropping it to the target's aspect ratio
(Keras's ``smart_resize``).
"""

import numpy as np

from minidl.autograd.tensor import Tensor
from minidl.layers import arguments
from minidl.layers.call_context import label
from minidl.layers.preprocessing.image_layers import ImageLayer, data_format_argument
from minidl.ops import image as image_ops
from minidl.ops.shapes import concatenate, getitem
from minidl.runtime import backend

INTERPOLATIONS = ("bilinear", "nearest")


def aspect_crop_box(height, width, target_height, target_width):
    """(top, left, crop_height, crop_width): the largest centred window of the target's aspect ratio."""
    crop_height = max(min(height, int(np.float32(width * target_height) / np.float32(target_width))), 1)
    crop_width = max(min(width, int(np.float32(height * target_width) / np.float32(target_height))), 1)
    return int((height - crop_height) / 2), int((width - crop_width) / 2), crop_height, crop_width


def crop(images, top, left, height, width):
    return getitem(images, (slice(None), slice(top, top + height), slice(left, left + width), slice(None)))


def smart_resize(images, height, width, interpolation="bilinear"):
    """Crop to the aspect ratio of (height, width), then resize to it."""
    top, left, crop_height, crop_width = aspect_crop_box(images.shape[1], images.shape[2], height, width)
    return image_ops.resize(crop(images, top, left, crop_height, crop_width), (height, width), interpolation)


class Resizing(ImageLayer):
    """Resizes images to (height, width) (see the module docstring). Input (batch, H, W,
    channels) or one image (H, W, channels); output (batch, height, width, channels). No weights.

    Arguments:
        height, width: the output size.
        interpolation: 'bilinear' or 'nearest'.
        crop_to_aspect_ratio: first cut the largest centred window of the output's aspect ratio.
        pad_to_aspect_ratio: first pad to the output's aspect ratio with ``fill_value``.
        fill_mode: 'constant' (the only mode Keras has for the padding).
        fill_value: the value of the padding.
        antialias: must be False (minidl has no antialiasing filter).
        data_format: None or 'channels_last'; 'channels_first' is refused.
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype``, ``input_shape``, ...).
    """

    def __init__(self, height: int, width: int, interpolation: str = "bilinear", crop_to_aspect_ratio: bool = False,
                 pad_to_aspect_ratio: bool = False, fill_mode: str = "constant", fill_value: float = 0.0,
                 antialias: bool = False, data_format: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.height = arguments.positive_int(self, "height", height)
        self.width = arguments.positive_int(self, "width", width)
        self.interpolation = arguments.choice(self, "interpolation", interpolation, INTERPOLATIONS)
        self.crop_to_aspect_ratio = arguments.boolean(self, "crop_to_aspect_ratio", crop_to_aspect_ratio)
        self.pad_to_aspect_ratio = arguments.boolean(self, "pad_to_aspect_ratio", pad_to_aspect_ratio)
        if self.crop_to_aspect_ratio and self.pad_to_aspect_ratio:
            raise ValueError(f"{label(self)}: give crop_to_aspect_ratio or pad_to_aspect_ratio, not both")
        self.fill_mode = arguments.choice(self, "fill_mode", fill_mode, ("constant",))
        self.fill_value = arguments.number(self, "fill_value", fill_value)
        if arguments.boolean(self, "antialias", antialias):
            raise ValueError(f"{label(self)}: antialias=True is not supported; leave it False")
        self.antialias = False
        self.data_format = data_format_argument(self, data_format)

    def transform(self, images, training):
        integers = images.dtype.kind in "iu"
        floats = self.as_float(images)
        if self.crop_to_aspect_ratio:
            top, left, crop_height, crop_width = aspect_crop_box(floats.shape[1], floats.shape[2], self.height,
                                                                 self.width)
            floats = crop(floats, top, left, crop_height, crop_width)
        elif self.pad_to_aspect_ratio:
            floats = self._padded(floats)
        resized = image_ops.resize(floats, (self.height, self.width), self.interpolation)
        if not integers:
            return resized
        info = np.iinfo(images.dtype)  # Keras rounds integer images and keeps their type
        rounded = backend.get_xp().clip(backend.get_xp().round(resized.data), info.min, info.max)
        return Tensor._from_op(rounded.astype(images.dtype))

    def _padded(self, images):
        """``images`` padded symmetrically with ``fill_value`` to the output's aspect ratio."""
        n, height, width, channels = images.shape
        padded_height = max(height, int(np.float32(width * self.height) / np.float32(self.width)))
        padded_width = max(width, int(np.float32(height * self.width) / np.float32(self.height)))
        top, left = int((padded_height - height) / 2), int((padded_width - width) / 2)
        xp = backend.get_xp()
        if top > 0:
            band = Tensor._from_op(xp.full((n, top, width, channels), self.fill_value, dtype=images.dtype))
            images = concatenate([band, images, band], axis=1)
        if left > 0:
            band = Tensor._from_op(xp.full((n, images.shape[1], left, channels), self.fill_value, dtype=images.dtype))
            images = concatenate([band, images, band], axis=2)
        return images

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width,
                "interpolation": self.interpolation, "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
                "pad_to_aspect_ratio": self.pad_to_aspect_ratio, "fill_mode": self.fill_mode,
                "fill_value": self.fill_value, "antialias": self.antialias, "data_format": self.data_format}


class CenterCrop(ImageLayer):
    """Cuts the centred (height, width) window of every image (see the module docstring).
    Input (batch, H, W, channels) or one image; output (batch, height, width, channels) in the
    layer's float type. No weights.

    Arguments:
        height, width: the output size.
        data_format: None or 'channels_last'; 'channels_first' is refused.
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype``, ``input_shape``, ...).
    """

    def __init__(self, height: int, width: int, data_format: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.height = arguments.positive_int(self, "height", height)
        self.width = arguments.positive_int(self, "width", width)
        self.data_format = data_format_argument(self, data_format)

    def transform(self, images, training):
        images = self.as_float(images)
        height, width = images.shape[1:3]
        if height >= self.height and width >= self.width:
            return crop(images, (height - self.height) // 2, (width - self.width) // 2, self.height, self.width)
        return smart_resize(images, self.height, self.width)

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width, "data_format": self.data_format}
