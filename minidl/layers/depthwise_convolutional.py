"""Keras's per-channel convolutions: DepthwiseConv1D/2D and SeparableConv1D/2D.

A depthwise convolution filters every input channel on its own (``depth_multiplier`` kernels
per channel, no mixing); a separable convolution follows it with a 1x1 ordinary convolution
that mixes the channels into ``filters`` outputs. The pair does what one Conv2D does with far
fewer weights -- 3x3 over 64 -> 128 channels: 9*64 + 64*128 = 8768 instead of 73728 -- which
is why Xception and MobileNet, and keras.io's small image classifiers, are built from them.

Weights, in Keras 3's names, order and layouts (channels-last):

* DepthwiseConv2D  kernel (kh, kw, in_channels, depth_multiplier), bias (in_channels * depth_multiplier,)
* DepthwiseConv1D  kernel (k, in_channels, depth_multiplier),      bias likewise
* SeparableConv2D  depthwise_kernel (kh, kw, in_channels, depth_multiplier),
                   pointwise_kernel (1, 1, in_channels * depth_multiplier, filters), bias (filters,)
* SeparableConv1D  depthwise_kernel (k, in_channels, depth_multiplier),
                   pointwise_kernel (1, in_channels * depth_multiplier, filters), bias (filters,)

The arithmetic is ``minidl.ops.depthwise_conv`` and, for the pointwise step, ``minidl.ops.conv``.
"""

from minidl import initializers, regularizers
from minidl.layers import arguments
from minidl.layers.arguments import ActivationLike, InitializerLike, RegularizerLike
from minidl.layers.base import Layer
from minidl.layers.call_context import label
from minidl.layers.convolutional import _activation_name, check_data_format, check_input_rank, to_layer_dtype
from minidl.layers.input_spec import CHANNELS_LAST, InputSpec
from minidl.ops.arguments import int_tuple, normalize_padding
from minidl.ops.conv import conv1d, conv2d
from minidl.ops.depthwise_conv import depthwise_conv1d, depthwise_conv2d


class _PerChannelConv(Layer):
    """What the depthwise and separable layers share: window arguments, the depthwise kernel,
    input checks."""

    rank = 2
    depthwise_name = "depthwise_kernel"

    def _window_arguments(self, kernel_size, strides, padding, data_format, dilation_rate, depth_multiplier,
                          activation, use_bias):
        caller = label(self)
        self.kernel_size = int_tuple(kernel_size, self.rank, "kernel_size", caller)
        self.strides = int_tuple(strides, self.rank, "strides", caller)
        self.padding = normalize_padding(padding, caller, ("valid", "same"))  # Keras's choices here
        self.data_format = check_data_format(data_format, caller)
        self.dilation_rate = int_tuple(dilation_rate, self.rank, "dilation_rate", caller)
        self.depth_multiplier = arguments.positive_int(self, "depth_multiplier", depth_multiplier)
        self.activation_name = activation
        self.activation = arguments.activation(self, "activation", activation)
        self.use_bias = arguments.boolean(self, "use_bias", use_bias)

    def _window_config(self):
        return {"kernel_size": self.kernel_size, "strides": self.strides, "padding": self.padding,
                "data_format": self.data_format, "dilation_rate": self.dilation_rate,
                "depth_multiplier": self.depth_multiplier, "activation": _activation_name(self.activation_name),
                "use_bias": self.use_bias}

    def _build_depthwise(self, input_shape):
        check_input_rank(self, input_shape, self.rank)
        self.in_channels = int(input_shape[-1])
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={-1: self.in_channels}, layout=CHANNELS_LAST[self.rank])
        shape = (*self.kernel_size, self.in_channels, self.depth_multiplier)
        return self.add_weight(self.depthwise_name, shape, self.depthwise_initializer, self.depthwise_regularizer)

    def _depthwise(self, inputs, kernel, bias):
        if self.rank == 1:
            return depthwise_conv1d(inputs, kernel, bias, self.strides, self.padding, self.dilation_rate)
        return depthwise_conv2d(inputs, kernel, bias, self.strides, self.padding, self.dilation_rate)


class DepthwiseConv2D(_PerChannelConv):
    """Depthwise 2-D convolution: every input channel convolved with its own
    ``depth_multiplier`` kernels (see the module docstring).

    Input ``(batch, height, width, in_channels)``, output ``(batch, new_height, new_width,
    in_channels * depth_multiplier)`` (channel c's outputs at c * depth_multiplier + m); the
    new sizes as Conv2D's.

    Weights, in Keras's order: ``kernel`` (kh, kw, in_channels, depth_multiplier), ``bias``
    (in_channels * depth_multiplier,).

    Arguments:
        kernel_size: the window's size (height, width): an int or a tuple of 2 ints.
        strides: the step between windows: an int or a tuple of 2 ints.
        padding: 'valid' or 'same'.
        depth_multiplier: how many output channels each input channel gets.
        data_format: None or 'channels_last'; 'channels_first' is refused.
        dilation_rate: the spacing between the window's taps (an int or a tuple of 2 ints).
        activation: a Keras activation name, a callable, or None (linear).
        use_bias: whether to add a bias per output channel.
        depthwise_initializer, bias_initializer: Keras initializer names, instances or callables.
        depthwise_regularizer, bias_regularizer: None, 'l1', 'l2', 'l1_l2' or a regularizer.
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype``, ``input_shape``, ...).
    """

    depthwise_name = "kernel"

    def __init__(self, kernel_size: int | tuple[int, int], strides: int | tuple[int, int] = (1, 1),
                 padding: str = "valid", depth_multiplier: int = 1, data_format: str | None = None,
                 dilation_rate: int | tuple[int, int] = (1, 1), activation: ActivationLike = None,
                 use_bias: bool = True, depthwise_initializer: InitializerLike = "glorot_uniform",
                 bias_initializer: InitializerLike = "zeros", depthwise_regularizer: RegularizerLike = None,
                 bias_regularizer: RegularizerLike = None, **kwargs):
        super().__init__(**kwargs)
        self._window_arguments(kernel_size, strides, padding, data_format, dilation_rate, depth_multiplier,
                               activation, use_bias)
        self.depthwise_initializer = arguments.initializer(self, "depthwise_initializer", depthwise_initializer)
        self.bias_initializer = arguments.initializer(self, "bias_initializer", bias_initializer)
        self.depthwise_regularizer = arguments.regularizer(self, "depthwise_regularizer", depthwise_regularizer)
        self.bias_regularizer = arguments.regularizer(self, "bias_regularizer", bias_regularizer)

    def build(self, input_shape):
        self.kernel = self._build_depthwise(input_shape)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight("bias", (self.in_channels * self.depth_multiplier,), self.bias_initializer,
                                        self.bias_regularizer)

    def call(self, inputs, training=False):
        return self.activation(self._depthwise(to_layer_dtype(self, inputs), self.kernel, self.bias))

    def get_config(self):
        return {**super().get_config(), **self._window_config(),
                "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "depthwise_regularizer": regularizers.serialize(self.depthwise_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer)}


class DepthwiseConv1D(DepthwiseConv2D):
    """Depthwise 1-D convolution: every input channel convolved with its own
    ``depth_multiplier`` kernels along the time axis (see the module docstring).

    Input ``(batch, steps, in_channels)``, output ``(batch, new_steps, in_channels *
    depth_multiplier)``; new_steps as Conv1D's.

    Weights, in Keras's order: ``kernel`` (kernel_size, in_channels, depth_multiplier),
    ``bias`` (in_channels * depth_multiplier,).

    Arguments:
        kernel_size: the window's size: an int or a tuple of 1 int.
        strides: the step between windows: an int or a tuple of 1 int.
        padding: 'valid' or 'same'.
        depth_multiplier: how many output channels each input channel gets.
        data_format: None or 'channels_last'; 'channels_first' is refused.
        dilation_rate: the spacing between the window's taps (an int or a tuple of 1 int).
        activation: a Keras activation name, a callable, or None (linear).
        use_bias: whether to add a bias per output channel.
        depthwise_initializer, bias_initializer: Keras initializer names, instances or callables.
        depthwise_regularizer, bias_regularizer: None, 'l1', 'l2', 'l1_l2' or a regularizer.
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype``, ``input_shape``, ...).
    """

    rank = 1

    def __init__(self, kernel_size: int | tuple[int], strides: int | tuple[int] = 1, padding: str = "valid",
                 depth_multiplier: int = 1, data_format: str | None = None, dilation_rate: int | tuple[int] = 1,
                 activation: ActivationLike = None, use_bias: bool = True,
                 depthwise_initializer: InitializerLike = "glorot_uniform", bias_initializer: InitializerLike = "zeros",
                 depthwise_regularizer: RegularizerLike = None, bias_regularizer: RegularizerLike = None, **kwargs):
        super().__init__(kernel_size, strides, padding, depth_multiplier, data_format, dilation_rate, activation,
                         use_bias, depthwise_initializer, bias_initializer, depthwise_regularizer, bias_regularizer,
                         **kwargs)


class SeparableConv2D(_PerChannelConv):
    """Separable 2-D convolution: a depthwise convolution, then a 1x1 convolution mixing its
    channels into ``filters`` (see the module docstring).

    Input ``(batch, height, width, in_channels)``, output ``(batch, new_height, new_width,
    filters)``; the new sizes as Conv2D's.

    Weights, in Keras's order: ``depthwise_kernel`` (kh, kw, in_channels, depth_multiplier),
    ``pointwise_kernel`` (1, 1, in_channels * depth_multiplier, filters), ``bias`` (filters,).

    Arguments:
        filters: the number of output channels.
        kernel_size: the depthwise window's size (height, width): an int or a tuple of 2 ints.
        strides: the step between windows: an int or a tuple of 2 ints.
        padding: 'valid' or 'same'.
        data_format: None or 'channels_last'; 'channels_first' is refused.
        dilation_rate: the spacing between the window's taps (an int or a tuple of 2 ints).
        depth_multiplier: how many channels the depthwise step makes of each input channel.
        activation: a Keras activation name, a callable, or None (linear).
        use_bias: whether to add a bias per output channel.
        depthwise_initializer, pointwise_initializer, bias_initializer: Keras initializer names,
            instances or callables.
        depthwise_regularizer, pointwise_regularizer, bias_regularizer: None, 'l1', 'l2',
            'l1_l2' or a regularizer.
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype``, ``input_shape``, ...).
    """

    def __init__(self, filters: int, kernel_size: int | tuple[int, int], strides: int | tuple[int, int] = (1, 1),
                 padding: str = "valid", data_format: str | None = None,
                 dilation_rate: int | tuple[int, int] = (1, 1), depth_multiplier: int = 1,
                 activation: ActivationLike = None, use_bias: bool = True,
                 depthwise_initializer: InitializerLike = "glorot_uniform",
                 pointwise_initializer: InitializerLike = "glorot_uniform", bias_initializer: InitializerLike = "zeros",
                 depthwise_regularizer: RegularizerLike = None, pointwise_regularizer: RegularizerLike = None,
                 bias_regularizer: RegularizerLike = None, **kwargs):
        super().__init__(**kwargs)
        self.filters = arguments.positive_int(self, "filters", filters)
        self._window_arguments(kernel_size, strides, padding, data_format, dilation_rate, depth_multiplier,
                               activation, use_bias)
        self.depthwise_initializer = arguments.initializer(self, "depthwise_initializer", depthwise_initializer)
        self.pointwise_initializer = arguments.initializer(self, "pointwise_initializer", pointwise_initializer)
        self.bias_initializer = arguments.initializer(self, "bias_initializer", bias_initializer)
        self.depthwise_regularizer = arguments.regularizer(self, "depthwise_regularizer", depthwise_regularizer)
        self.pointwise_regularizer = arguments.regularizer(self, "pointwise_regularizer", pointwise_regularizer)
        self.bias_regularizer = arguments.regularizer(self, "bias_regularizer", bias_regularizer)

    def build(self, input_shape):
        self.depthwise_kernel = self._build_depthwise(input_shape)
        pointwise_shape = (1,) * self.rank + (self.in_channels * self.depth_multiplier, self.filters)
        self.pointwise_kernel = self.add_weight("pointwise_kernel", pointwise_shape, self.pointwise_initializer,
                                                self.pointwise_regularizer)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight("bias", (self.filters,), self.bias_initializer, self.bias_regularizer)

    def call(self, inputs, training=False):
        channels = self._depthwise(to_layer_dtype(self, inputs), self.depthwise_kernel, None)
        pointwise = conv1d if self.rank == 1 else conv2d
        return self.activation(pointwise(channels, self.pointwise_kernel, self.bias))

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, **self._window_config(),
                "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
                "pointwise_initializer": initializers.serialize(self.pointwise_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "depthwise_regularizer": regularizers.serialize(self.depthwise_regularizer),
                "pointwise_regularizer": regularizers.serialize(self.pointwise_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer)}


class SeparableConv1D(SeparableConv2D):
    """Separable 1-D convolution: a depthwise convolution along time, then a width-1
    convolution mixing its channels into ``filters`` (see the module docstring).

    Input ``(batch, steps, in_channels)``, output ``(batch, new_steps, filters)``; new_steps
    as Conv1D's.

    Weights, in Keras's order: ``depthwise_kernel`` (kernel_size, in_channels,
    depth_multiplier), ``pointwise_kernel`` (1, in_channels * depth_multiplier, filters),
    ``bias`` (filters,).

    Arguments:
        filters: the number of output channels.
        kernel_size: the depthwise window's size: an int or a tuple of 1 int.
        strides: the step between windows: an int or a tuple of 1 int.
        padding: 'valid' or 'same'.
        data_format: None or 'channels_last'; 'channels_first' is refused.
        dilation_rate: the spacing between the window's taps (an int or a tuple of 1 int).
        depth_multiplier: how many channels the depthwise step makes of each input channel.
        activation: a Keras activation name, a callable, or None (linear).
        use_bias: whether to add a bias per output channel.
        depthwise_initializer, pointwise_initializer, bias_initializer: Keras initializer names,
            instances or callables.
        depthwise_regularizer, pointwise_regularizer, bias_regularizer: None, 'l1', 'l2',
            'l1_l2' or a regularizer.
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype``, ``input_shape``, ...).
    """

    rank = 1

    def __init__(self, filters: int, kernel_size: int | tuple[int], strides: int | tuple[int] = 1,
                 padding: str = "valid", data_format: str | None = None, dilation_rate: int | tuple[int] = 1,
                 depth_multiplier: int = 1, activation: ActivationLike = None, use_bias: bool = True,
                 depthwise_initializer: InitializerLike = "glorot_uniform",
                 pointwise_initializer: InitializerLike = "glorot_uniform", bias_initializer: InitializerLike = "zeros",
                 depthwise_regularizer: RegularizerLike = None, pointwise_regularizer: RegularizerLike = None,
                 bias_regularizer: RegularizerLike = None, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate, depth_multiplier,
                         activation, use_bias, depthwise_initializer, pointwise_initializer, bias_initializer,
                         depthwise_regularizer, pointwise_regularizer, bias_regularizer, **kwargs)


SeparableConvolution1D, SeparableConvolution2D = SeparableConv1D, SeparableConv2D  # Keras aliases
