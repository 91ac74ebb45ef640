"""The everyday layers: Dense, Activation, Flatten, Reshape, Dropout."""

import math

from minidl import initializers, ops, regularizers
from minidl.layers.base import Layer
from minidl.layers.input_spec import FEATURES_LAST, InputSpec


def carry_mask(inputs, outputs):
    """Pass a padding mask (``Tensor.mask``, set by ``Embedding(mask_zero=True)``) through a
    layer that keeps the time axis, as Keras's mask propagation does; returns ``outputs``."""
    mask = getattr(inputs, "mask", None)
    if mask is not None and outputs is not inputs:
        outputs.mask = mask
    return outputs


class Dense(Layer):
    """``activation(inputs @ kernel + bias)``; kernel (in, units), bias (units,), as in Keras.

    Inputs of rank > 2 are multiplied along their last axis, like Keras's Dense.
    """

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        if int(units) <= 0:
            raise ValueError(f"Dense: units must be a positive integer, got {units}")
        self.units = int(units)
        self.activation_name = activation
        self.activation = ops.get_activation(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)

    input_spec = InputSpec(min_ndim=2, layout=FEATURES_LAST)  # until build() pins the feature count

    def build(self, input_shape):
        self.input_spec = InputSpec(min_ndim=2, axes={-1: input_shape[-1]}, layout=FEATURES_LAST)
        self.kernel = self.add_weight("kernel", (input_shape[-1], self.units), self.kernel_initializer,
                                      self.kernel_regularizer)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight("bias", (self.units,), self.bias_initializer, self.bias_regularizer)

    def call(self, inputs, training=False):
        outputs = ops.matmul(inputs, self.kernel)
        if self.bias is not None:
            outputs = outputs + self.bias
        return carry_mask(inputs, self.activation(outputs))

    def get_config(self):
        return {
            **super().get_config(), "units": self.units, "activation": _activation_name(self.activation_name),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
        }


def _activation_name(activation):
    if activation is None or isinstance(activation, str):
        return activation or "linear"
    return getattr(activation, "__name__", "custom")


class Activation(Layer):
    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation_name = activation
        self.activation = ops.get_activation(activation)

    def call(self, inputs, training=False):
        return carry_mask(inputs, self.activation(inputs))

    def get_config(self):
        return {**super().get_config(), "activation": _activation_name(self.activation_name)}


class Flatten(Layer):
    """(batch, d1, d2, ...) -> (batch, d1 * d2 * ...)."""

    def call(self, inputs, training=False):
        return ops.reshape(inputs, (inputs.shape[0], math.prod(inputs.shape[1:])))


class Reshape(Layer):
    """Reshape every sample to ``target_shape`` (one entry may be -1)."""

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        self.target_shape = tuple(int(s) for s in target_shape)
        if self.target_shape.count(-1) > 1 or any(s == 0 or s < -1 for s in self.target_shape):
            raise ValueError(
                f"{self.name} (Reshape): target_shape needs positive sizes and at most one -1, "
                f"got {self.target_shape}"
            )

    def call(self, inputs, training=False):
        sample_size = math.prod(inputs.shape[1:])
        known = math.prod(s for s in self.target_shape if s != -1)
        if (-1 not in self.target_shape and known != sample_size) or (known and sample_size % known):
            raise ValueError(
                f"{self.name} (Reshape): cannot reshape samples of shape {inputs.shape[1:]} "
                f"({sample_size} values) to {self.target_shape}"
            )
        return ops.reshape(inputs, (inputs.shape[0],) + self.target_shape)

    def get_config(self):
        return {**super().get_config(), "target_shape": list(self.target_shape)}


class Dropout(Layer):
    """Inverted dropout while training; the identity at inference."""

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= rate < 1:
            raise ValueError(f"{self.name} ({type(self).__name__}): rate must be in [0, 1), got {rate}")
        self.rate = float(rate)
        self.noise_shape = noise_shape
        self.seed = seed

    def _noise_shape(self, inputs):
        if self.noise_shape is None:
            return None
        return tuple(inputs.shape[i] if s is None else s for i, s in enumerate(self.noise_shape))

    def call(self, inputs, training=False):
        outputs = ops.dropout(inputs, self.rate, training=training, noise_shape=self._noise_shape(inputs))
        return carry_mask(inputs, outputs)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "noise_shape": self.noise_shape, "seed": self.seed}
