"""Keras's preprocessing layers that are plain arithmetic, so a model can take raw pixels.

``Rescaling(scale, offset)`` computes ``inputs * scale + offset`` in the layer's float type
(``Rescaling(1./255)`` turns 0-255 pixels into 0-1, inside the model).
"""

from minidl.layers.base import Layer
from minidl.layers.convolutional import to_layer_dtype


class Rescaling(Layer):
    """``inputs * scale + offset``; integer inputs (uint8 images) are cast to the float type first."""

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale = float(scale)
        self.offset = float(offset)

    def call(self, inputs, training=False):
        outputs = to_layer_dtype(self, inputs) * self.scale
        return outputs + self.offset if self.offset else outputs

    def get_config(self):
        return {**super().get_config(), "scale": self.scale, "offset": self.offset}
