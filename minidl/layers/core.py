"""The everyday layers: Dense, Activation, Flatten, Reshape, Dropout.

Every layer also takes the base-layer keyword arguments ``name``, ``trainable``, ``dtype`` and,
for a model's first layer, ``input_shape`` / ``batch_input_shape`` / ``input_dim`` (see
:class:`minidl.layers.Layer`).
"""

import math

from minidl import initializers, ops, regularizers
from minidl.autograd.tensor import Tensor
from minidl.layers import arguments
from minidl.layers.arguments import ActivationLike, InitializerLike, RegularizerLike
from minidl.layers.base import Layer, declared_shape, require_defined
from minidl.layers.convolutional import check_data_format
from minidl.layers.input_spec import FEATURES_LAST, InputSpec
from minidl.ops.activations import activation_config_name
from minidl.runtime import backend


def carry_mask(inputs, outputs):
    """Pass a padding mask (``Tensor.mask``, set by ``Embedding(mask_zero=True)``) through a
    layer that keeps the time axis, as Keras's mask propagation does; returns ``outputs``."""
    mask = getattr(inputs, "mask", None)
    if mask is not None and outputs is not inputs:
        outputs.mask = mask
    return outputs


class Dense(Layer):
    """A fully connected layer: ``outputs = activation(inputs @ kernel + bias)``.

    Input ``(batch, ..., features)``, output ``(batch, ..., units)``: inputs of rank above 2 are
    multiplied along their last axis, as Keras's Dense does.

    Weights, in Keras's order: ``kernel`` (features, units), ``bias`` (units,) when ``use_bias``.

    Arguments:
        units: the size of each output vector.
        activation: a Keras activation name ('relu', 'sigmoid', 'softmax', ...), a callable, or
            None for none (linear).
        use_bias: whether to add the bias vector.
        kernel_initializer, bias_initializer: a Keras initializer name, instance or callable.
        kernel_regularizer, bias_regularizer: None, 'l1', 'l2', 'l1_l2' or a regularizer; its
            penalty is added to the training loss.
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype``, ``input_shape``,
            ``batch_input_shape``, ``input_dim``).
    """

    def __init__(self, units: int, activation: ActivationLike = None, use_bias: bool = True,
                 kernel_initializer: InitializerLike = "glorot_uniform", bias_initializer: InitializerLike = "zeros",
                 kernel_regularizer: RegularizerLike = None, bias_regularizer: RegularizerLike = None, **kwargs):
        super().__init__(**kwargs)
        self.units = arguments.positive_int(self, "units", units)
        self.activation_name = activation
        self.activation = arguments.activation(self, "activation", activation)
        self.use_bias = arguments.boolean(self, "use_bias", use_bias)
        self.kernel_initializer = arguments.initializer(self, "kernel_initializer", kernel_initializer)
        self.bias_initializer = arguments.initializer(self, "bias_initializer", bias_initializer)
        self.kernel_regularizer = arguments.regularizer(self, "kernel_regularizer", kernel_regularizer)
        self.bias_regularizer = arguments.regularizer(self, "bias_regularizer", bias_regularizer)

    input_spec = InputSpec(min_ndim=2, layout=FEATURES_LAST)  # until build() pins the feature count

    def build(self, input_shape):
        require_defined(self, input_shape, -1, "the last axis (features)", "to create the kernel")
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
    return activation_config_name(activation)


class Activation(Layer):
    """Applies an activation function element-wise (softmax: along the last axis).

    Output shape = input shape; no weights.

    Arguments:
        activation: a Keras activation name ('relu', 'tanh', 'softmax', ...), a callable, or None
            (the identity).
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype``, ``input_shape``, ...).
    """

    def __init__(self, activation: ActivationLike, **kwargs):
        super().__init__(**kwargs)
        self.activation_name = activation
        self.activation = arguments.activation(self, "activation", activation)

    def call(self, inputs, training=False):
        return carry_mask(inputs, self.activation(inputs))

    def get_config(self):
        return {**super().get_config(), "activation": _activation_name(self.activation_name)}


class Flatten(Layer):
    """Flattens each sample: input ``(batch, d1, d2, ...)``, output ``(batch, d1 * d2 * ...)``.

    No weights. Values keep their channels-last order (the only layout minidl has).

    Arguments:
        data_format: None or 'channels_last' (Keras's default); 'channels_first' is refused.
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype``, ``input_shape``, ...).
    """

    def __init__(self, data_format: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = check_data_format(data_format, arguments.label(self))

    def call(self, inputs, training=False):
        return ops.reshape(inputs, (inputs.shape[0], math.prod(inputs.shape[1:])))

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


class Reshape(Layer):
    """Reshapes every sample: input ``(batch, ...)``, output ``(batch, *target_shape)``.

    The sample's values keep their order; their count must match. No weights.

    Arguments:
        target_shape: the new shape of one sample, without the batch axis, as a tuple of
            positive ints; one entry may be -1, meaning "whatever size is left".
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype``, ``input_shape``, ...).
    """

    def __init__(self, target_shape: tuple[int, ...], **kwargs):
        super().__init__(**kwargs)
        sizes = tuple(target_shape) if isinstance(target_shape, (tuple, list)) else None
        valid = sizes is not None and all(arguments.is_integral(s) and (s >= 1 or s == -1) for s in sizes)
        if not valid or sizes.count(-1) > 1:
            raise ValueError(
                f"{self.name} (Reshape): target_shape needs positive sizes and at most one -1, "
                f"as a tuple, got {target_shape!r}"
            )
        self.target_shape = tuple(int(s) for s in sizes)

    def call(self, inputs, training=False):
        if any(size is None for size in declared_shape(inputs)[1:]):
            return self._undefined_size_output(inputs)
        sample_size = math.prod(inputs.shape[1:])
        known = math.prod(s for s in self.target_shape if s != -1)
        if (-1 not in self.target_shape and known != sample_size) or (known and sample_size % known):
            raise ValueError(
                f"{self.name} (Reshape): cannot reshape samples of shape {inputs.shape[1:]} "
                f"({sample_size} values) to {self.target_shape}"
            )
        return ops.reshape(inputs, (inputs.shape[0],) + self.target_shape)

    def _undefined_size_output(self, inputs):
        """The output while a model is being built from an input with undefined (None) axes,
        whose number of values is unknown (Keras accepts it and checks the count at run time):
        ``target_shape``, its -1 entry undefined too."""
        sample_size = math.prod(inputs.shape[1:])  # differs with the probe's sizes: -1 comes out None
        shape = tuple(sample_size if size == -1 else size for size in self.target_shape)
        return Tensor._from_op(backend.get_xp().zeros((inputs.shape[0],) + shape, dtype=inputs.dtype))

    def get_config(self):
        return {**super().get_config(), "target_shape": list(self.target_shape)}


class Dropout(Layer):
    """Inverted dropout: while training, each value is zeroed with probability ``rate`` and the
    rest are scaled by 1 / (1 - rate), so the expected output equals the input; at inference it
    is the identity.

    Output shape = input shape; no weights.

    Arguments:
        rate: the fraction of values to drop, in [0, 1).
        noise_shape: the shape of the keep/drop mask, broadcast against the input (None entries
            take the input's size); e.g. (None, 1, C) drops whole channels of (batch, time, C).
        seed: accepted for Keras compatibility; the masks come from minidl's generator, which
            ``minidl.set_seed`` seeds.
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype``, ``input_shape``, ...).
    """

    def __init__(self, rate: float, noise_shape: tuple[int | None, ...] | None = None, seed: int | None = None,
                 **kwargs):
        super().__init__(**kwargs)
        self.rate = arguments.rate(self, "rate", rate)
        if noise_shape is not None:
            if not isinstance(noise_shape, (tuple, list)) or not all(
                    size is None or arguments.is_integral(size) and size >= 1 for size in noise_shape):
                raise ValueError(
                    f"{arguments.label(self)}: noise_shape must be None or a tuple of positive ints and "
                    f"None entries, got {noise_shape!r}"
                )
            noise_shape = tuple(None if size is None else int(size) for size in noise_shape)
        self.noise_shape = noise_shape
        if seed is not None:
            seed = arguments.integer(self, "seed", seed)
        self.seed = seed

    def _noise_shape(self, inputs):
        if self.noise_shape is None:
            return None
        return tuple(inputs.shape[i] if s is None else s for i, s in enumerate(self.noise_shape))

    def call(self, inputs, training=False):
        outputs = ops.dropout(inputs, self.rate, training=training, noise_shape=self._noise_shape(inputs))
        return carry_mask(inputs, outputs)

    def get_config(self):
        noise_shape = None if self.noise_shape is None else list(self.noise_shape)
        return {**super().get_config(), "rate": self.rate, "noise_shape": noise_shape, "seed": self.seed}
