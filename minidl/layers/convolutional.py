"""Keras's convolution layers: Conv1D, Conv2D, Conv2DTranspose, and the resampling layers
UpSampling1D/2D and ZeroPadding1D/2D that live beside them in Keras.

Channels-last only (``data_format='channels_last'``, Keras's default); weights in Keras's
layouts, so ``get_weights``/``set_weights`` exchange them with Keras unchanged:

* Conv1D           kernel (k, in_channels, filters),              bias (filters,)
* Conv2D           kernel (kh, kw, in_channels, filters),         bias (filters,)
* Conv2DTranspose  kernel (kh, kw, filters, in_channels),         bias (filters,)

The arithmetic lives in ``minidl.ops.conv`` (im2col + GEMM) and ``minidl.ops.pooling``.

Every layer also takes the base-layer keyword arguments ``name``, ``trainable``, ``dtype`` and,
for a model's first layer, ``input_shape`` / ``batch_input_shape`` (see :class:`Layer`).
"""

from minidl import initializers, regularizers
from minidl.layers import arguments
from minidl.layers.arguments import ActivationLike, InitializerLike, RegularizerLike
from minidl.layers.base import Layer, require_defined
from minidl.layers.input_spec import CHANNELS_LAST, InputSpec
from minidl.ops import activations
from minidl.ops.arguments import int_tuple, is_int, normalize_padding
from minidl.ops.casting import cast
from minidl.ops.conv import conv1d, conv2d, conv2d_transpose
from minidl.ops.image import resize
from minidl.ops.pooling import upsample2d, zero_pad2d, zero_pad2d_amounts
from minidl.ops.shapes import reshape


def check_data_format(data_format, who):
    """minidl is channels-last only; anything else is an error rather than a silent transpose."""
    if data_format not in (None, "channels_last"):
        raise ValueError(
            f"{who}: only data_format='channels_last' (NHWC, Keras's default) is supported, got "
            f"{data_format!r}; transpose channels-first data with np.moveaxis(x, 1, -1)"
        )
    return "channels_last"


def normalize_tuple(value, rank, name, who, minimum=1):
    """Keras's ``conv_utils.normalize_tuple``: an int or ``rank`` ints, each >= ``minimum``."""
    return int_tuple(value, rank, name, who, minimum)


_RANK_SPECS = {rank: InputSpec(ndim=rank + 2, layout=layout) for rank, layout in CHANNELS_LAST.items()}


def check_input_rank(layer, shape, rank, purpose="to create the layer's weights"):
    """Raise naming the layer unless ``shape`` is (batch, <rank spatial axes>, channels) with a
    known number of channels: a shape given to ``build`` may leave axes undefined (None), and the
    channels size the weights of the layers that build with it (``purpose`` says what for)."""
    _RANK_SPECS[rank].check(layer, shape)
    require_defined(layer, shape, -1, "the last axis (channels)", purpose)


def to_layer_dtype(layer, inputs):
    """Inputs in the layer's dtype, as Keras casts them (float64 arrays into a float32 model)."""
    return inputs if inputs.dtype == layer.dtype else cast(inputs, layer.dtype)


def _activation_name(activation):
    return activations.activation_config_name(activation)


class _Conv(Layer):
    """What Conv1D, Conv2D and Conv2DTranspose share: arguments, weights, input checks."""

    rank = 2
    paddings = ("valid", "same")

    def __init__(self, filters, kernel_size, strides, padding, data_format, dilation_rate, activation,
                 use_bias, kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer, **kwargs):
        super().__init__(**kwargs)
        label = arguments.label(self)
        if not is_int(filters) or filters <= 0:
            raise ValueError(f"{label}: filters must be a positive integer, got {filters!r}")
        self.filters = int(filters)
        self.kernel_size = normalize_tuple(kernel_size, self.rank, "kernel_size", label)
        self.strides = normalize_tuple(strides, self.rank, "strides", label)
        self.padding = normalize_padding(padding, label, self.paddings)
        self.data_format = check_data_format(data_format, label)
        self.dilation_rate = normalize_tuple(dilation_rate, self.rank, "dilation_rate", label)
        self.activation_name = activation
        self.activation = arguments.activation(self, "activation", activation)
        self.use_bias = arguments.boolean(self, "use_bias", use_bias)
        self.kernel_initializer = arguments.initializer(self, "kernel_initializer", kernel_initializer)
        self.bias_initializer = arguments.initializer(self, "bias_initializer", bias_initializer)
        self.kernel_regularizer = arguments.regularizer(self, "kernel_regularizer", kernel_regularizer)
        self.bias_regularizer = arguments.regularizer(self, "bias_regularizer", bias_regularizer)

    @property
    def fused_activation(self):
        """'relu' when the layer's activation is ReLU, which the convolution op applies in the same
        pass (see ``minidl.ops.conv``); None otherwise: the activation then runs as its own op."""
        return "relu" if self.activation is activations.relu else None

    def activate(self, outputs):
        """The layer's activation, unless the convolution op already applied it."""
        return outputs if self.fused_activation else self.activation(outputs)

    def kernel_shape(self, in_channels):
        return (*self.kernel_size, in_channels, self.filters)

    def build(self, input_shape):
        check_input_rank(self, input_shape, self.rank, "to create the kernel")
        self.in_channels = int(input_shape[-1])
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={-1: self.in_channels}, layout=CHANNELS_LAST[self.rank])
        self.kernel = self.add_weight("kernel", self.kernel_shape(self.in_channels), self.kernel_initializer,
                                      self.kernel_regularizer)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight("bias", (self.filters,), self.bias_initializer, self.bias_regularizer)

    def check_input(self, inputs):
        """The inputs in the layer's dtype (rank and channels are checked by ``input_spec``)."""
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
    """1-D convolution (a cross-correlation, as in every framework) over time steps.

    Input ``(batch, steps, in_channels)``, output ``(batch, new_steps, filters)``: new_steps is
    ``ceil(steps / stride)`` with 'same' padding and ``ceil((steps - span + 1) / stride)`` with
    'valid' (span = dilation * (kernel - 1) + 1); 'causal' pads only the start, so step t sees no
    later step, and keeps 'same''s length.

    Weights, in Keras's order: ``kernel`` (kernel_size, in_channels, filters), ``bias`` (filters,).

    Arguments:
        filters: the number of output channels.
        kernel_size: the window's size: an int or a tuple of 1 ints.
        strides: the step between windows: an int or a tuple of 1 ints.
        padding: 'valid' (no padding), 'same' or 'causal'.
        data_format: None or 'channels_last' (the only layout minidl has); 'channels_first' is
            refused.
        dilation_rate: the spacing between the window's taps (an int or a tuple of 1 ints).
        activation: a Keras activation name, a callable, or None (linear).
        use_bias: whether to add a bias per output channel.
        kernel_initializer, bias_initializer: Keras initializer names, instances or callables.
        kernel_regularizer, bias_regularizer: None, 'l1', 'l2', 'l1_l2' or a regularizer.
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype``, ``input_shape``, ...).
    """

    rank = 1
    paddings = ("valid", "same", "causal")

    def __init__(self, filters: int, kernel_size: int | tuple[int], strides: int | tuple[int] = 1,
                 padding: str = "valid", data_format: str | None = "channels_last",
                 dilation_rate: int | tuple[int] = 1, activation: ActivationLike = None, use_bias: bool = True,
                 kernel_initializer: InitializerLike = "glorot_uniform", bias_initializer: InitializerLike = "zeros",
                 kernel_regularizer: RegularizerLike = None, bias_regularizer: RegularizerLike = None, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                         kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer, **kwargs)

    def call(self, inputs, training=False):
        inputs = self.check_input(inputs)
        outputs = conv1d(inputs, self.kernel, self.bias, self.strides, self.padding, self.dilation_rate,
                         activation=self.fused_activation)
        return self.activate(outputs)


class Conv2D(_Conv):
    """2-D convolution (a cross-correlation, as in every framework) over images, as Keras's Conv2D.

    Input ``(batch, height, width, in_channels)``, output ``(batch, new_height, new_width,
    filters)``: per axis ``ceil(size / stride)`` with 'same' padding, ``ceil((size - span + 1) /
    stride)`` with 'valid' (span = dilation * (kernel - 1) + 1).

    Weights, in Keras's order: ``kernel`` (kh, kw, in_channels, filters), ``bias`` (filters,).

    Arguments:
        filters: the number of output channels.
        kernel_size: the window's size (height, width): an int or a tuple of 2 ints.
        strides: the step between windows: an int or a tuple of 2 ints.
        padding: 'valid' (no padding) or 'same' (zeros around, output size ceil(size / stride)).
        data_format: None or 'channels_last' (the only layout minidl has); 'channels_first' is
            refused.
        dilation_rate: the spacing between the window's taps (an int or a tuple of 2 ints).
        activation: a Keras activation name, a callable, or None (linear).
        use_bias: whether to add a bias per output channel.
        kernel_initializer, bias_initializer: Keras initializer names, instances or callables.
        kernel_regularizer, bias_regularizer: None, 'l1', 'l2', 'l1_l2' or a regularizer.
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype``, ``input_shape``, ...).
    """

    def __init__(self, filters: int, kernel_size: int | tuple[int, int], strides: int | tuple[int, int] = (1, 1),
                 padding: str = "valid", data_format: str | None = None,
                 dilation_rate: int | tuple[int, int] = (1, 1), activation: ActivationLike = None,
                 use_bias: bool = True, kernel_initializer: InitializerLike = "glorot_uniform",
                 bias_initializer: InitializerLike = "zeros", kernel_regularizer: RegularizerLike = None,
                 bias_regularizer: RegularizerLike = None, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                         kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer, **kwargs)

    def call(self, inputs, training=False):
        inputs = self.check_input(inputs)
        outputs = conv2d(inputs, self.kernel, self.bias, self.strides, self.padding, self.dilation_rate,
                         activation=self.fused_activation)
        return self.activate(outputs)


class Conv2DTranspose(Conv2D):
    """Transposed 2-D convolution ("deconvolution"): the gradient of a Conv2D with respect to
    its input, used to upsample (GAN generators, decoders), as Keras's Conv2DTranspose.

    Input ``(batch, height, width, in_channels)``, output ``(batch, new_height, new_width,
    filters)``. Output size per axis, Keras's rule: 'same' gives in * stride, 'valid' gives
    in * stride + max(k - stride, 0); with ``output_padding`` p:
    (in - 1) * stride + k - 2 * pad + p, pad = k // 2 for 'same' and 0 for 'valid'.

    Weights, in Keras's order: ``kernel`` (kh, kw, filters, in_channels) -- note the swapped last
    two axes -- and ``bias`` (filters,).

    Arguments:
        filters: the number of output channels.
        kernel_size: the window's size (height, width): an int or a tuple of 2 ints.
        strides: the step between windows: an int or a tuple of 2 ints.
        padding: 'valid' or 'same' (see above).
        output_padding: None, or the extra rows/columns added at the end of each axis (an int
            or a pair, each smaller than the stride).
        data_format: None or 'channels_last' (the only layout minidl has); 'channels_first' is
            refused.
        dilation_rate: the spacing between the window's taps (an int or a tuple of 2 ints).
        activation: a Keras activation name, a callable, or None (linear).
        use_bias: whether to add a bias per output channel.
        kernel_initializer, bias_initializer: Keras initializer names, instances or callables.
        kernel_regularizer, bias_regularizer: None, 'l1', 'l2', 'l1_l2' or a regularizer.
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype``, ``input_shape``, ...).
    """

    def __init__(self, filters: int, kernel_size: int | tuple[int, int], strides: int | tuple[int, int] = (1, 1),
                 padding: str = "valid", output_padding: int | tuple[int, int] | None = None,
                 data_format: str | None = None, dilation_rate: int | tuple[int, int] = (1, 1),
                 activation: ActivationLike = None, use_bias: bool = True,
                 kernel_initializer: InitializerLike = "glorot_uniform", bias_initializer: InitializerLike = "zeros",
                 kernel_regularizer: RegularizerLike = None, bias_regularizer: RegularizerLike = None, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                         kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer, **kwargs)
        self.output_padding = None
        if output_padding is not None:
            self.output_padding = normalize_tuple(output_padding, 2, "output_padding", arguments.label(self), minimum=0)
            if any(p >= s for p, s in zip(self.output_padding, self.strides)):
                raise ValueError(
                    f"{arguments.label(self)}: output_padding {self.output_padding} must be smaller than the strides "
                    f"{self.strides} on each axis"
                )

    def kernel_shape(self, in_channels):
        return (*self.kernel_size, self.filters, in_channels)  # Keras: (kh, kw, filters, in)

    def call(self, inputs, training=False):
        inputs = self.check_input(inputs)
        outputs = conv2d_transpose(inputs, self.kernel, self.bias, self.strides, self.padding,
                                   self.output_padding, self.dilation_rate)
        return self.activation(outputs)

    def get_config(self):
        return {**super().get_config(), "output_padding": self.output_padding}


UPSAMPLING_INTERPOLATIONS = ("nearest", "bilinear")


class UpSampling2D(Layer):
    """Upsampling by ``size`` = (sh, sw): with 'nearest' each pixel becomes an (sh, sw) block;
    with 'bilinear' the image is resized to (height * sh, width * sw) as Keras does it
    (``minidl.ops.image.resize``: TensorFlow's half-pixel centres, edges repeated).

    Input ``(batch, height, width, channels)``, output ``(batch, height * sh, width * sw,
    channels)``. No weights.

    Arguments:
        size: the upsampling factors (sh, sw), or one int for both.
        data_format: None or 'channels_last'; 'channels_first' is refused.
        interpolation: 'nearest' or 'bilinear' (any case, as Keras takes it); Keras's 'bicubic'
            and 'lanczos' kernels are refused.
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype``, ``input_shape``, ...).
    """

    def __init__(self, size: int | tuple[int, int] = (2, 2), data_format: str | None = None,
                 interpolation: str = "nearest", **kwargs):
        super().__init__(**kwargs)
        label = arguments.label(self)
        self.size = normalize_tuple(size, 2, "size", label)
        self.data_format = check_data_format(data_format, label)
        choice = interpolation.lower() if isinstance(interpolation, str) else interpolation
        if choice not in UPSAMPLING_INTERPOLATIONS:
            raise ValueError(f"{label}: interpolation must be one of {', '.join(map(repr, UPSAMPLING_INTERPOLATIONS))}, "
                             f"got {interpolation!r}")
        self.interpolation = choice

    def call(self, inputs, training=False):
        check_input_rank(self, inputs.shape, 2)
        inputs = to_layer_dtype(self, inputs)
        if self.interpolation == "bilinear":
            (sh, sw), (height, width) = self.size, inputs.shape[1:3]
            return resize(inputs, (height * sh, width * sw), interpolation="bilinear")
        return upsample2d(inputs, self.size)

    def get_config(self):
        return {**super().get_config(), "size": self.size, "data_format": self.data_format,
                "interpolation": self.interpolation}


class UpSampling1D(Layer):
    """Repeats each time step ``size`` times: input ``(batch, steps, channels)``, output
    ``(batch, steps * size, channels)``. No weights.

    Arguments:
        size: how many times each step is repeated (a positive int).
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype``, ``input_shape``, ...).
    """

    def __init__(self, size: int = 2, **kwargs):
        super().__init__(**kwargs)
        (self.size,) = normalize_tuple(size, 1, "size", arguments.label(self))

    def call(self, inputs, training=False):
        check_input_rank(self, inputs.shape, 1)
        n, steps, channels = inputs.shape
        wide = upsample2d(reshape(to_layer_dtype(self, inputs), (n, 1, steps, channels)), (1, self.size))
        return reshape(wide, (n, steps * self.size, channels))

    def get_config(self):
        return {**super().get_config(), "size": self.size}


class ZeroPadding2D(Layer):
    """Adds rows and columns of zeros around each image: input ``(batch, height, width,
    channels)``, output ``(batch, top + height + bottom, left + width + right, channels)``.
    No weights.

    Arguments:
        padding: an int (the same on all four sides), (symmetric_height, symmetric_width), or
            ((top, bottom), (left, right)), as in Keras; each amount >= 0.
        data_format: None or 'channels_last'; 'channels_first' is refused.
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype``, ``input_shape``, ...).
    """

    def __init__(self, padding: int | tuple[int, int] | tuple[tuple[int, int], tuple[int, int]] = (1, 1),
                 data_format: str | None = None, **kwargs):
        super().__init__(**kwargs)
        label = arguments.label(self)
        self.padding = zero_pad2d_amounts(padding, label)
        self.data_format = check_data_format(data_format, label)

    def call(self, inputs, training=False):
        check_input_rank(self, inputs.shape, 2)
        return zero_pad2d(to_layer_dtype(self, inputs), self.padding)

    def get_config(self):
        return {**super().get_config(), "padding": self.padding, "data_format": self.data_format}


class ZeroPadding1D(Layer):
    """Adds zero steps before and after the time axis: input ``(batch, steps, channels)``,
    output ``(batch, left + steps + right, channels)``. No weights.

    Arguments:
        padding: an int (the same on both ends) or (left, right), each >= 0.
        data_format: None or 'channels_last' (Keras 3 has this argument; 'channels_first' is
            refused).
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype``, ``input_shape``, ...).
    """

    def __init__(self, padding: int | tuple[int, int] = 1, data_format: str | None = None, **kwargs):
        super().__init__(**kwargs)
        label = arguments.label(self)
        amounts = (padding, padding) if is_int(padding) else padding
        self.padding = normalize_tuple(amounts, 2, "padding", label, minimum=0)
        self.data_format = check_data_format(data_format, label)

    def call(self, inputs, training=False):
        check_input_rank(self, inputs.shape, 1)
        n, steps, channels = inputs.shape
        padded = zero_pad2d(reshape(to_layer_dtype(self, inputs), (n, 1, steps, channels)), ((0, 0), self.padding))
        return reshape(padded, (n, padded.shape[2], channels))

    def get_config(self):
        return {**super().get_config(), "padding": self.padding, "data_format": self.data_format}


Convolution1D, Convolution2D, Convolution2DTranspose = Conv1D, Conv2D, Conv2DTranspose  # Keras aliases
Deconvolution2D = Conv2DTranspose
