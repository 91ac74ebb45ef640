"""``Conv1DTranspose``: the transposed 1-D convolution, upsampling sequences (decoders of
time-series autoencoders, audio generators) as Conv2DTranspose upsamples images.

It runs as ``minidl.ops.conv2d_transpose`` over a sequence seen as an image of height one, so
its arithmetic and output lengths are Conv2DTranspose's along one axis.
"""

from minidl.layers.arguments import ActivationLike, InitializerLike, RegularizerLike
from minidl.layers.call_context import label
from minidl.layers.convolutional import _Conv, normalize_tuple
from minidl.ops.conv import conv2d_transpose
from minidl.ops.shapes import reshape


class Conv1DTranspose(_Conv):
    """Transposed 1-D convolution ("deconvolution") over time steps, as Keras's.

    Input ``(batch, steps, in_channels)``, output ``(batch, new_steps, filters)``. new_steps,
    Keras's rule: 'same' gives steps * stride, 'valid' steps * stride + max(k - stride, 0);
    with ``output_padding`` p: (steps - 1) * stride + k - 2 * pad + p, pad = k // 2 for 'same'
    and 0 for 'valid' (k the dilated kernel's span).

    Weights, in Keras's order: ``kernel`` (kernel_size, filters, in_channels) -- note the swapped
    last two axes -- and ``bias`` (filters,).

    Arguments:
        filters: the number of output channels.
        kernel_size: the window's size: an int or a tuple of 1 int.
        strides: the upsampling step: an int or a tuple of 1 int.
        padding: 'valid' or 'same' (see above).
        output_padding: None, or the extra steps added at the end (smaller than the stride).
        data_format: None or 'channels_last'; 'channels_first' is refused.
        dilation_rate: the spacing between the window's taps (an int or a tuple of 1 int).
        activation: a Keras activation name, a callable, or None (linear).
        use_bias: whether to add a bias per output channel.
        kernel_initializer, bias_initializer: Keras initializer names, instances or callables.
        kernel_regularizer, bias_regularizer: None, 'l1', 'l2', 'l1_l2' or a regularizer.
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype``, ``input_shape``, ...).
    """

    rank = 1

    def __init__(self, filters: int, kernel_size: int | tuple[int], strides: int | tuple[int] = 1,
                 padding: str = "valid", output_padding: int | tuple[int] | None = None,
                 data_format: str | None = None, dilation_rate: int | tuple[int] = 1,
                 activation: ActivationLike = None, use_bias: bool = True,
                 kernel_initializer: InitializerLike = "glorot_uniform", bias_initializer: InitializerLike = "zeros",
                 kernel_regularizer: RegularizerLike = None, bias_regularizer: RegularizerLike = None, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                         kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer, **kwargs)
        self.output_padding = None
        if output_padding is not None:
            self.output_padding = normalize_tuple(output_padding, 1, "output_padding", label(self), minimum=0)
            if self.output_padding[0] >= self.strides[0]:
                raise ValueError(f"{label(self)}: output_padding {self.output_padding} must be smaller than the "
                                 f"strides {self.strides}")

    def kernel_shape(self, in_channels):
        return (*self.kernel_size, self.filters, in_channels)  # Keras: (k, filters, in)

    def call(self, inputs, training=False):
        inputs = self.check_input(inputs)
        n, steps, channels = inputs.shape
        image = reshape(inputs, (n, 1, steps, channels))
        kernel = reshape(self.kernel, (1, *self.kernel.shape))
        output_padding = None if self.output_padding is None else (0, self.output_padding[0])
        outputs = conv2d_transpose(image, kernel, self.bias, (1, self.strides[0]), self.padding, output_padding,
                                   (1, self.dilation_rate[0]))
        outputs = reshape(outputs, (n, outputs.shape[2], self.filters))
        return self.activation(outputs)

    def get_config(self):
        return {**super().get_config(), "output_padding": self.output_padding}


Convolution1DTranspose = Conv1DTranspose  # Keras's alias
