"""``Input``: the entry point of a functional model, a placeholder with a shape."""

import numpy as np

from minidl.layers.base import Layer, SymbolicTensor, checked_shape, unique_name
from minidl.layers.text_values import dtype_name
from minidl.runtime import backend


class InputLayer(Layer):
    """The layer behind ``Input``: it only passes its input through."""

    def __init__(self, input_shape=None, batch_size=None, dtype=None, name=None,
                 batch_input_shape=None, shape=None, batch_shape=None, **kwargs):
        # Keras 3 spells them shape= and batch_shape=; tf.keras 2 input_shape= and batch_input_shape=
        input_shape = _one_of("shape", shape, "input_shape", input_shape)
        batch_input_shape = _one_of("batch_shape", batch_shape, "batch_input_shape", batch_input_shape)
        if batch_input_shape is None:
            if input_shape is None:
                raise ValueError("Input: pass shape=(...) (without the batch axis)")
            input_shape = checked_shape(input_shape, "Input: shape")
            batch_input_shape = (batch_size,) + input_shape
        super().__init__(name=name or unique_name("input", zero_based=False), dtype=dtype or backend.floatx(),
                         batch_input_shape=batch_input_shape, **kwargs)
        self.built = True
        self.output = SymbolicTensor(self.batch_input_shape, self.dtype, layer=self)

    def call(self, inputs, training=False):
        return inputs

    def get_config(self):
        return {"batch_input_shape": list(self.batch_input_shape), "dtype": dtype_name(self.dtype), "name": self.name}


def _one_of(keras3_name, keras3_value, keras2_name, keras2_value):
    if keras3_value is not None and keras2_value is not None:
        raise ValueError(f"InputLayer: give {keras3_name} or {keras2_name}, not both")
    return keras2_value if keras3_value is None else keras3_value


def Input(shape=None, batch_size=None, dtype=None, name=None, batch_shape=None):  # noqa: N802 - Keras's name
    """A symbolic input of ``shape`` (without the batch axis), e.g. ``Input(shape=(28, 28))``."""
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        shape = (shape,)
    layer = InputLayer(input_shape=shape, batch_size=batch_size, dtype=dtype, name=name,
                       batch_input_shape=batch_shape)
    return layer.output
