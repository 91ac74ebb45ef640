"""Activation functions as layers (Keras's LeakyReLU, ReLU, ELU, Softmax, PReLU).

Usually an activation is a Dense/Conv argument; these exist for activations with parameters
(LeakyReLU's slope) and for models that list the activation as its own layer.
"""

from minidl import initializers, ops, regularizers
from minidl.layers import arguments
from minidl.layers.arguments import InitializerLike, RegularizerLike
from minidl.layers.base import Layer
from minidl.layers.call_context import label
from minidl.layers.core import carry_mask
from minidl.layers.input_spec import InputSpec


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


class PReLU(Layer):
    """A leaky ReLU whose negative slope is learned: ``x`` for x > 0, ``alpha * x`` otherwise,
    with one trainable ``alpha`` per input position (He et al.), element-wise::

        y = relu(x) - alpha * relu(-x)

    ``shared_axes`` shares one slope along the listed axes (``shared_axes=[1, 2]`` on images:
    one slope per channel). Output shape = input shape.

    Weights: ``alpha``, shaped like one sample with the shared axes of size 1.

    Arguments:
        alpha_initializer: a Keras initializer name, instance or callable (Keras's 'Zeros': the
            layer starts as a ReLU).
        alpha_regularizer: None, 'l1', 'l2', 'l1_l2' or a regularizer.
        shared_axes: None, an axis or a list of axes (numbered from 1, the batch axis being 0).
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype``, ``input_shape``, ...).
    """

    def __init__(self, alpha_initializer: InitializerLike = "Zeros", alpha_regularizer: RegularizerLike = None,
                 shared_axes: int | list[int] | None = None, **kwargs):
        super().__init__(**kwargs)
        self.alpha_initializer = arguments.initializer(self, "alpha_initializer", alpha_initializer)
        self.alpha_regularizer = arguments.regularizer(self, "alpha_regularizer", alpha_regularizer)
        if shared_axes is None:
            self.shared_axes = None
        else:
            axes = list(shared_axes) if isinstance(shared_axes, (list, tuple)) else [shared_axes]
            if not all(arguments.is_integral(axis) and axis >= 1 for axis in axes):
                raise ValueError(f"{label(self)}: shared_axes must be None or axes >= 1 (the batch axis 0 "
                                 f"cannot be shared), got {shared_axes!r}")
            self.shared_axes = [int(axis) for axis in axes]

    def build(self, input_shape):
        shape = list(input_shape[1:])
        for axis in self.shared_axes or []:
            if axis >= len(input_shape):
                raise ValueError(f"{label(self)}: shared axis {axis} does not exist in inputs of shape "
                                 f"{tuple(input_shape)}")
            shape[axis - 1] = 1
        self.alpha = self.add_weight("alpha", tuple(shape), self.alpha_initializer, self.alpha_regularizer)
        axes = {axis: size for axis, size in enumerate(input_shape) if axis and (axis not in (self.shared_axes or []))}
        self.input_spec = InputSpec(ndim=len(input_shape), axes=axes)

    def call(self, inputs, training=False):
        return carry_mask(inputs, ops.relu(inputs) - self.alpha * ops.relu(-inputs))

    def get_config(self):
        return {**super().get_config(), "alpha_initializer": initializers.serialize(self.alpha_initializer),
                "alpha_regularizer": regularizers.serialize(self.alpha_regularizer), "shared_axes": self.shared_axes}
