"""Keras's convolution layers: Conv1D, Conv2D, Conv2DTranspose, and the resampling layers
UpSampling1D/2D and ZeroPadding1D/2D that live beside them in Keras.

Channels-last only (``data_format='channels_last'``, Keras's default); weights in Keras's
layouts, so ``get_weights``/``set_weights`` exchange them with Keras unchanged:

* Conv1D           kernel (k, in_channels, filters),              bias (filters,)
* Conv2D           kernel (kh, kw, in_channels, filters),         bias (filters,)
* Conv2DTranspose  kernel (kh, kw, filters, in_channels),         bias (filters,)

The arithmetic lives in ``minidl.ops.conv`` (im2col + GEMM) and ``minidl.ops.pooling``.
"""

from minidl import initializers, regularizers
from minidl.layers.base import Layer
from minidl.ops import activations, get_activation
from minidl.ops.casting import cast
from minidl.ops.conv import conv1d, conv2d, conv2d_transpose
from minidl.ops.pooling import upsample2d, zero_pad2d, zero_pad2d_amounts
from minidl.ops.shapes import reshape
from minidl.ops.windows import int_tuple, is_int, normalize_padding

_LAYOUTS = {
    1: "(batch, steps, channels)",
    2: "(batch, height, width, channels)",
}


def check_data_format(data_format, caller):
    """minidl is channels-last only; anything else is an error rather than a silent transpose."""
    if data_format not in (None, "channels_last"):
        raise ValueError(
            f"{caller}: only data_format='channels_last' (NHWC, Keras's default) is supported, got "
            f"{data_format!r}; transpose channels-first data with np.moveaxis(x, 1, -1)"
        )
    return "channels_last"


def normalize_tuple(value, rank, name, caller, minimum=1):
    """Keras's ``conv_utils.normalize_tuple``: an int or ``rank`` ints, each >= ``minimum``."""
    return int_tuple(value, rank, name, caller, minimum)


def check_input_rank(layer, shape, rank):
    """Raise naming the layer unless ``shape`` is (batch, <rank spatial axes>, channels)."""
    if len(shape) != rank + 2:
        raise ValueError(
            f"{layer.name} ({type(layer).__name__}): expected input of rank {rank + 2} {_LAYOUTS[rank]}, "
            f"got shape {tuple(shape)}"
        )


def to_layer_dtype(layer, inputs):
    """Inputs in the layer's dtype, as Keras casts them (float64 arrays into a float32 model)."""
    return inputs if inputs.dtype == layer.dtype else cast(inputs, layer.dtype)


def _activation_name(activation):
    if activation is None or isinstance(activation, str):
        return activation or "linear"
    return getattr(activation, "__name__", "custom")


class _Conv(Layer):
    """What Conv1D, Conv2D and Conv2DTranspose share: arguments, weights, input checks."""

    rank = 2
    paddings = ("valid", "same")

    def __init__(self, filters, kernel_size, strides, padding, data_format, dilation_rate, activation,
                 use_bias, kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer, **kwargs):
        super().__init__(**kwargs)
        caller = self.caller
        if not is_int(filters) or filters <= 0:
            raise ValueError(f"{caller}: filters must be a positive integer, got {filters!r}")
        self.filters = int(filters)
        self.kernel_size = normalize_tuple(kernel_size, self.rank, "kernel_size", caller)
        self.strides = normalize_tuple(strides, self.rank, "strides", caller)
        self.padding = normalize_padding(padding, caller, self.paddings)
        self.data_format = check_data_format(data_format, caller)
        self.dilation_rate = normalize_tuple(dilation_rate, self.rank, "dilation_rate", caller)
        self.activation_name = activation
        self.activation = get_activation(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)

    @property
    def fused_activation(self):
        """'relu' when the layer's activation is ReLU, which the convolution op applies in the same
        pass (see ``minidl.ops.conv``); None otherwise: the activation then runs as its own op."""
        return "relu" if self.activation is activations.relu else None

    def activate(self, outputs):
        """The layer's activation, unless the convolution op already applied it."""
        return outputs if self.fused_activation else self.activation(outputs)

    @property
    def caller(self):
        return f"{self.name} ({type(self).__name__})"

    def kernel_shape(self, in_channels):
        return (*self.kernel_size, in_channels, self.filters)

    def build(self, input_shape):
        check_input_rank(self, input_shape, self.rank)
        self.in_channels = int(input_shape[-1])
        self.kernel = self.add_weight("kernel", self.kernel_shape(self.in_channels), self.kernel_initializer,
                                      self.kernel_regularizer)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight("bias", (self.filters,), self.bias_initializer, self.bias_regularizer)

    def check_input(self, inputs):
        """Rank and channel count as at build time; returns the inputs in the layer's dtype."""
        check_input_rank(self, inputs.shape, self.rank)
        if inputs.shape[-1] != self.in_channels:
            expected = (None,) * self.rank
            layout = "(batch, " + ", ".join("?" for _ in expected) + f", {self.in_channels})"
            raise ValueError(
                f"{self.caller}: expected input with {self.in_channels} channels on the last axis, "
                f"{layout}, as when the layer was built; got shape {inputs.shape}"
            )
        return to_layer_dtype(self, inputs)

    def get_config(self):
        return {
            **super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size,
            "strides": self.strides, "padding": self.padding, "data_format": self.data_format,
            "dilation_rate": self.dilation_rate, "activation": _activation_name(self.activation_name),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
        }


class Conv1D(_Conv):
    """1-D convolution over (batch, steps, channels); padding 'valid', 'same' or 'causal'."""

    rank = 1
    paddings = ("valid", "same", "causal")

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format="channels_last",
                 dilation_rate=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                         kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer, **kwargs)

    def call(self, inputs, training=False):
        inputs = self.check_input(inputs)
        outputs = conv1d(inputs, self.kernel, self.bias, self.strides, self.padding, self.dilation_rate,
                         caller=self.caller, activation=self.fused_activation)
        return self.activate(outputs)


class Conv2D(_Conv):
    """2-D convolution over (batch, height, width, channels), as Keras's Conv2D."""

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1), activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                         kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer, **kwargs)

    def call(self, inputs, training=False):
        inputs = self.check_input(inputs)
        outputs = conv2d(inputs, self.kernel, self.bias, self.strides, self.padding, self.dilation_rate,
                         caller=self.caller, activation=self.fused_activation)
        return self.activate(outputs)


class Conv2DTranspose(Conv2D):
    """Transposed 2-D convolution ("deconvolution"), as Keras's Conv2DTranspose.

    Output size per axis, Keras's rule: 'same' gives in * stride, 'valid' gives
    in * stride + max(k - stride, 0); with ``output_padding`` p:
    (in - 1) * stride + k - 2 * pad + p, pad = k // 2 for 'same' and 0 for 'valid'.
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", output_padding=None,
                 data_format=None, dilation_rate=(1, 1), activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
                 bias_regularizer=None, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                         kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer, **kwargs)
        self.output_padding = None
        if output_padding is not None:
            self.output_padding = normalize_tuple(output_padding, 2, "output_padding", self.caller, minimum=0)
            if any(p >= s for p, s in zip(self.output_padding, self.strides)):
                raise ValueError(
                    f"{self.caller}: output_padding {self.output_padding} must be smaller than the strides "
                    f"{self.strides} on each axis"
                )

    def kernel_shape(self, in_channels):
        return (*self.kernel_size, self.filters, in_channels)  # Keras: (kh, kw, filters, in)

    def call(self, inputs, training=False):
        inputs = self.check_input(inputs)
        outputs = conv2d_transpose(inputs, self.kernel, self.bias, self.strides, self.padding,
                                   self.output_padding, self.dilation_rate, caller=self.caller)
        return self.activation(outputs)

    def get_config(self):
        return {**super().get_config(), "output_padding": self.output_padding}


class UpSampling2D(Layer):
    """Nearest-neighbour upsampling: each pixel becomes a ``size`` = (sh, sw) block."""

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(**kwargs)
        caller = f"{self.name} (UpSampling2D)"
        self.size = normalize_tuple(size, 2, "size", caller)
        self.data_format = check_data_format(data_format, caller)
        if interpolation != "nearest":
            raise ValueError(f"{caller}: only interpolation='nearest' is supported, got {interpolation!r}")
        self.interpolation = interpolation

    def call(self, inputs, training=False):
        check_input_rank(self, inputs.shape, 2)
        return upsample2d(to_layer_dtype(self, inputs), self.size, caller=f"{self.name} (UpSampling2D)")

    def get_config(self):
        return {**super().get_config(), "size": self.size, "data_format": self.data_format,
                "interpolation": self.interpolation}


class UpSampling1D(Layer):
    """Repeat each time step ``size`` times: (batch, steps, C) -> (batch, steps * size, C)."""

    def __init__(self, size=2, **kwargs):
        super().__init__(**kwargs)
        (self.size,) = normalize_tuple(size, 1, "size", f"{self.name} (UpSampling1D)")

    def call(self, inputs, training=False):
        check_input_rank(self, inputs.shape, 1)
        n, steps, channels = inputs.shape
        wide = upsample2d(reshape(to_layer_dtype(self, inputs), (n, 1, steps, channels)), (1, self.size),
                          caller=f"{self.name} (UpSampling1D)")
        return reshape(wide, (n, steps * self.size, channels))

    def get_config(self):
        return {**super().get_config(), "size": self.size}


class ZeroPadding2D(Layer):
    """Zeros around height and width. ``padding``: an int, (symmetric_h, symmetric_w), or
    ((top, bottom), (left, right)), as in Keras."""

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(**kwargs)
        caller = f"{self.name} (ZeroPadding2D)"
        self.padding = zero_pad2d_amounts(padding, caller)
        self.data_format = check_data_format(data_format, caller)

    def call(self, inputs, training=False):
        check_input_rank(self, inputs.shape, 2)
        return zero_pad2d(to_layer_dtype(self, inputs), self.padding, caller=f"{self.name} (ZeroPadding2D)")

    def get_config(self):
        return {**super().get_config(), "padding": self.padding, "data_format": self.data_format}


class ZeroPadding1D(Layer):
    """Zeros before and after the time axis: ``padding`` an int or (left, right)."""

    def __init__(self, padding=1, **kwargs):
        super().__init__(**kwargs)
        caller = f"{self.name} (ZeroPadding1D)"
        amounts = (padding, padding) if is_int(padding) else padding
        self.padding = normalize_tuple(amounts, 2, "padding", caller, minimum=0)

    def call(self, inputs, training=False):
        check_input_rank(self, inputs.shape, 1)
        n, steps, channels = inputs.shape
        padded = zero_pad2d(reshape(to_layer_dtype(self, inputs), (n, 1, steps, channels)), ((0, 0), self.padding),
                            caller=f"{self.name} (ZeroPadding1D)")
        return reshape(padded, (n, padded.shape[2], channels))

    def get_config(self):
        return {**super().get_config(), "padding": self.padding}


Convolution1D, Convolution2D, Convolution2DTranspose = Conv1D, Conv2D, Conv2DTranspose  # Keras aliases
Deconvolution2D = Conv2DTranspose
