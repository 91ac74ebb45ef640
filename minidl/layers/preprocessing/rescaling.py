"""Keras's preprocessing layers that are plain arithmetic, so a model can take raw pixels.

``Rescaling(scale, offset)`` computes ``inputs * scale + offset`` in the layer's float type
(``Rescaling(1./255)`` turns 0-255 pixels into 0-1, inside the model).
"""

from minidl.layers import arguments
from minidl.layers.base import Layer
from minidl.layers.convolutional import to_layer_dtype


class Rescaling(Layer):
    """``inputs * scale + offset``; integer inputs (uint8 images) are cast to the float type first.

    Output shape = input shape; no weights.

    Arguments:
        scale: the factor, e.g. 1 / 255.
        offset: added after scaling (default 0).
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype``, ``input_shape``, ...).
    """

    def __init__(self, scale: float, offset: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale = arguments.number(self, "scale", scale)
        self.offset = arguments.number(self, "offset", offset)

    def call(self, inputs, training=False):
        outputs = to_layer_dtype(self, inputs) * self.scale
        return outputs + self.offset if self.offset else outputs

    def get_config(self):
        return {**super().get_config(), "scale": self.scale, "offset": self.offset}
