"""Activation functions as layers (Keras's LeakyReLU, ReLU, ELU, Softmax).

Usually an activation is a Dense/Conv argument; these exist for activations with parameters
(LeakyReLU's slope) and for models that list the activation as its own layer.
"""

from minidl import ops
from minidl.layers import arguments
from minidl.layers.base import Layer
from minidl.layers.core import carry_mask


class LeakyReLU(Layer):
    """``x`` for x > 0, ``alpha * x`` otherwise, element-wise; output shape = input shape, no weights.

    Arguments:
        alpha: the slope for x <= 0, >= 0 (tf.keras's name; Keras's default 0.3).
        negative_slope: Keras 3's name for ``alpha``; give one or the other.
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype``, ``input_shape``, ...).
    """

    def __init__(self, alpha: float = 0.3, negative_slope: float | None = None, **kwargs):
        super().__init__(**kwargs)
        if negative_slope is not None:
            if alpha != 0.3:
                raise ValueError(
                    f"{self.name} (LeakyReLU): give the slope as alpha (tf.keras) or negative_slope "
                    f"(Keras 3), not both; got alpha={alpha!r}, negative_slope={negative_slope!r}"
                )
            alpha, argument = negative_slope, "negative_slope"
        else:
            argument = "alpha"
        self.alpha = arguments.number(self, argument, alpha, minimum=0)

    def call(self, inputs, training=False):
        return carry_mask(inputs, ops.leaky_relu(inputs, self.alpha))

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}


class ReLU(Layer):
    """Keras's ReLU with its options, element-wise: ``x`` above ``threshold`` (capped at
    ``max_value``), ``negative_slope * (x - threshold)`` below it. The defaults give max(x, 0).
    Output shape = input shape; no weights.

    Arguments:
        max_value: None (no cap) or the largest output, >= 0.
        negative_slope: the slope below the threshold, >= 0.
        threshold: where the function bends.
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype``, ``input_shape``, ...).
    """

    def __init__(self, max_value: float | None = None, negative_slope: float = 0.0, threshold: float = 0.0,
                 **kwargs):
        super().__init__(**kwargs)
        self.max_value = None if max_value is None else arguments.number(self, "max_value", max_value, minimum=0)
        self.negative_slope = arguments.number(self, "negative_slope", negative_slope, minimum=0)
        self.threshold = arguments.number(self, "threshold", threshold)

    def call(self, inputs, training=False):
        if self.max_value is None and self.negative_slope == 0 and self.threshold == 0:
            return carry_mask(inputs, ops.relu(inputs))
        above = ops.where(inputs.data > self.threshold, inputs, 0.0)
        if self.max_value is not None:
            above = ops.clip(above, 0.0, self.max_value)
        if self.negative_slope:
            above = above - self.negative_slope * ops.relu(self.threshold - inputs)
        return carry_mask(inputs, above)

    def get_config(self):
        return {**super().get_config(), "max_value": self.max_value, "negative_slope": self.negative_slope,
                "threshold": self.threshold}


class ELU(Layer):
    """``x`` for x > 0, ``alpha * (exp(x) - 1)`` otherwise, element-wise; output shape = input
    shape, no weights.

    Arguments:
        alpha: the scale of the negative part (Keras's default 1.0).
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype``, ``input_shape``, ...).
    """

    def __init__(self, alpha: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = arguments.number(self, "alpha", alpha)

    def call(self, inputs, training=False):
        return carry_mask(inputs, ops.elu(inputs, self.alpha))

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}


class Softmax(Layer):
    """``exp(x) / sum(exp(x))`` along ``axis``, so each slice along it sums to 1; output shape =
    input shape, no weights.

    Arguments:
        axis: the axis normalised (default the last).
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype``, ``input_shape``, ...).
    """

    def __init__(self, axis: int = -1, **kwargs):
        super().__init__(**kwargs)
        self.axis = arguments.integer(self, "axis", axis)

    def call(self, inputs, training=False):
        return carry_mask(inputs, ops.softmax(inputs, axis=self.axis))

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}
