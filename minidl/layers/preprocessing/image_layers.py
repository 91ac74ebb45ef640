"""What Keras's image preprocessing layers share: channels-last image batches (a single image
(height, width, channels) is accepted and returned as such), the ``factor`` arguments of the
random layers, and random numbers drawn per image from minidl's device generator (seeded by
``minidl.set_seed``; ``seed=`` is accepted for Keras compatibility).

The random layers act only while training (``fit``, or a direct call, whose ``training``
defaults to True as in Keras); ``predict``/``evaluate`` pass ``training=False`` and the images
go through unchanged (cast to the layer's float type).
"""

import numpy as np

from minidl.autograd.tensor import Tensor
from minidl.layers.base import Layer
from minidl.layers.call_context import label
from minidl.layers.convolutional import check_data_format, to_layer_dtype
from minidl.layers.input_spec import InputSpec
from minidl.ops.shapes import expand_dims, squeeze
from minidl.runtime import backend

IMAGES = InputSpec(min_ndim=3, max_ndim=4, layout=("batch", "height", "width", "channels"))


class ImageLayer(Layer):
    """The base of the image layers: batches a single image, casts to the layer's float type."""

    input_spec = IMAGES

    def call(self, inputs, training=True):
        single = inputs.ndim == 3
        images = expand_dims(inputs, 0) if single else inputs
        outputs = self.transform(images, training)
        return squeeze(outputs, 0) if single else outputs

    def transform(self, images, training):
        raise NotImplementedError

    def as_float(self, images):
        return to_layer_dtype(self, images) if images.dtype != self.dtype else images


def data_format_argument(layer, data_format):
    return check_data_format(data_format, label(layer))


def factor_range(layer, argument, factor, low=-1.0, high=1.0, symmetric_low=None):
    """Keras's ``factor``: a number f gives the range (-f, f) -- (``symmetric_low`` if given, f)
    --, a pair (a, b) the range (min, max); every bound within [low, high]."""
    message = (f"{label(layer)}: {argument} must be a number or a pair of numbers in [{low:g}, {high:g}], "
               f"got {factor!r}")
    if isinstance(factor, (tuple, list)):
        if len(factor) != 2 or not all(_is_number(f) for f in factor):
            raise ValueError(message)
        lower, upper = sorted(float(f) for f in factor)
    elif _is_number(factor):
        upper = abs(float(factor))
        lower = -upper if symmetric_low is None else symmetric_low(upper)
    else:
        raise ValueError(message)
    if lower < low or upper > high:
        raise ValueError(message)
    return lower, upper


def _is_number(value):
    """A finite real number (NaN would slip through every bound check, as NaN < x is False)."""
    return (isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))
            and bool(np.isfinite(value)))


def config_value(value):
    """A factor as a configuration holds it (a pair as a list)."""
    return list(value) if isinstance(value, tuple) else value


def uniform(low, high, shape, dtype):
    """Numbers drawn uniformly from [low, high) on the device, from minidl's generator."""
    draws = backend.device_rng().random(shape, dtype=np.float32).astype(dtype)
    return draws * dtype.type(high - low) + dtype.type(low)


def constant(array):
    """A device array as a graph constant."""
    return Tensor._from_op(array)
