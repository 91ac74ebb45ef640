"""Keras's pooling layers: Max/AveragePooling1D/2D and the global poolings, channels-last.

``strides`` default to ``pool_size``; 'same' padding follows TensorFlow (padded positions never
win a max and are not counted in an average). The arithmetic is in ``minidl.ops.pooling``.

Output sizes per pooled axis: ``ceil(size / stride)`` with 'same' padding,
``floor((size - pool) / stride) + 1`` with 'valid'. Pooling layers have no weights. Every layer
also takes the base-layer keyword arguments ``name``, ``trainable``, ``dtype`` and
``input_shape`` / ``batch_input_shape`` (see :class:`Layer`).
"""

from minidl.autograd.tensor import Tensor
from minidl.layers import arguments
from minidl.layers.base import Layer
from minidl.layers.convolutional import check_data_format, check_input_rank, normalize_tuple, to_layer_dtype
from minidl.ops import math, reductions
from minidl.ops.arguments import normalize_padding
from minidl.ops.pooling import (
    avg_pool1d,
    avg_pool2d,
    global_average_pool,
    global_max_pool,
    max_pool1d,
    max_pool2d,
)


class _Pooling(Layer):
    """Window pooling of rank 1 or 2: arguments, checks and config."""

    rank = 2

    def __init__(self, pool_size, strides, padding, data_format, **kwargs):
        super().__init__(**kwargs)
        label = arguments.label(self)
        self.pool_size = normalize_tuple(pool_size, self.rank, "pool_size", label)
        self.strides = self.pool_size if strides is None else normalize_tuple(strides, self.rank, "strides", label)
        self.padding = normalize_padding(padding, label)
        self.data_format = check_data_format(data_format, label)

    def pool(self, inputs):
        raise NotImplementedError

    def call(self, inputs, training=False):
        check_input_rank(self, inputs.shape, self.rank)
        return self.pool(to_layer_dtype(self, inputs))

    def get_config(self):
        return {**super().get_config(), "pool_size": self.pool_size, "strides": self.strides,
                "padding": self.padding, "data_format": self.data_format}


class MaxPooling2D(_Pooling):
    """The maximum of each pooling window.

    Input ``(batch, height, width, channels)``, output ``(batch, new_height, new_width, channels)``.

    Arguments:
        pool_size: the window's size, an int or a pair of ints.
        strides: the step between windows, an int or a pair of ints; None (the default) means ``pool_size``.
        padding: 'valid' (windows inside the input only) or 'same' (the edges padded so that
            the output has ceil(size / stride) entries per axis).
        data_format: None or 'channels_last'; 'channels_first' is refused.
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype``, ``input_shape``, ...).
    """

    def __init__(self, pool_size: int | tuple[int, int] = (2, 2), strides: int | tuple[int, int] | None = None,
                 padding: str = "valid", data_format: str | None = None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)

    def pool(self, inputs):
        return max_pool2d(inputs, self.pool_size, self.strides, self.padding)


class AveragePooling2D(_Pooling):
    """The mean of each pooling window.

    Input ``(batch, height, width, channels)``, output ``(batch, new_height, new_width, channels)``.

    Arguments:
        pool_size: the window's size, an int or a pair of ints.
        strides: the step between windows, an int or a pair of ints; None (the default) means ``pool_size``.
        padding: 'valid' (windows inside the input only) or 'same' (the edges padded so that
            the output has ceil(size / stride) entries per axis).
        data_format: None or 'channels_last'; 'channels_first' is refused.
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype``, ``input_shape``, ...).
    """

    def __init__(self, pool_size: int | tuple[int, int] = (2, 2), strides: int | tuple[int, int] | None = None,
                 padding: str = "valid", data_format: str | None = None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)

    def pool(self, inputs):
        return avg_pool2d(inputs, self.pool_size, self.strides, self.padding)


class MaxPooling1D(_Pooling):
    """The maximum of each pooling window.

    Input ``(batch, steps, channels)``, output ``(batch, new_steps, channels)``.

    Arguments:
        pool_size: the window's size, an int.
        strides: the step between windows, an int; None (the default) means ``pool_size``.
        padding: 'valid' (windows inside the input only) or 'same' (the edges padded so that
            the output has ceil(size / stride) entries per axis).
        data_format: None or 'channels_last'; 'channels_first' is refused.
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype``, ``input_shape``, ...).
    """

    rank = 1

    def __init__(self, pool_size: int = 2, strides: int | None = None, padding: str = "valid",
                 data_format: str | None = "channels_last", **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)

    def pool(self, inputs):
        return max_pool1d(inputs, self.pool_size, self.strides, self.padding)


class AveragePooling1D(_Pooling):
    """The mean of each pooling window.

    Input ``(batch, steps, channels)``, output ``(batch, new_steps, channels)``.

    Arguments:
        pool_size: the window's size, an int.
        strides: the step between windows, an int; None (the default) means ``pool_size``.
        padding: 'valid' (windows inside the input only) or 'same' (the edges padded so that
            the output has ceil(size / stride) entries per axis).
        data_format: None or 'channels_last'; 'channels_first' is refused.
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype``, ``input_shape``, ...).
    """

    rank = 1

    def __init__(self, pool_size: int = 2, strides: int | None = None, padding: str = "valid",
                 data_format: str | None = "channels_last", **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)

    def pool(self, inputs):
        return avg_pool1d(inputs, self.pool_size, self.strides, self.padding)


class _GlobalPooling(Layer):
    """Reduce every spatial axis: (batch, ..., channels) -> (batch, channels)."""

    rank = 2

    def __init__(self, data_format: str | None = None, keepdims: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = check_data_format(data_format, arguments.label(self))
        self.keepdims = arguments.boolean(self, "keepdims", keepdims)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format, "keepdims": self.keepdims}


class GlobalAveragePooling2D(_GlobalPooling):
    """The mean over height and width.

    Input ``(batch, height, width, channels)``, output ``(batch, channels)``
    (``(batch, 1, 1, channels)`` with ``keepdims``).

    Arguments:
        data_format: None or 'channels_last'; 'channels_first' is refused.
        keepdims: keep the pooled axes, with size 1.
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype``, ``input_shape``, ...).
    """

    def call(self, inputs, training=False):
        return global_average_pool(to_layer_dtype(self, inputs), 2, self.keepdims)


class GlobalMaxPooling2D(_GlobalPooling):
    """The maximum over height and width.

    Input ``(batch, height, width, channels)``, output ``(batch, channels)``
    (``(batch, 1, 1, channels)`` with ``keepdims``).

    Arguments:
        data_format: None or 'channels_last'; 'channels_first' is refused.
        keepdims: keep the pooled axes, with size 1.
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype``, ``input_shape``, ...).
    """

    def call(self, inputs, training=False):
        return global_max_pool(to_layer_dtype(self, inputs), 2, self.keepdims)


class GlobalAveragePooling1D(_GlobalPooling):
    """The mean over the time steps.

    Input ``(batch, steps, channels)``, output ``(batch, channels)``
    (``(batch, 1, channels)`` with ``keepdims``).
    With a padding mask (``inputs.mask`` from ``Embedding(mask_zero=True)``) only the
    unmasked steps count, as in Keras.

    Arguments:
        data_format: None or 'channels_last'; or 'channels_first', which reads the input as
            (batch, channels, steps) and averages the last axis, as keras.io's timeseries
            transformer uses it.
        keepdims: keep the pooled axes, with size 1.
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype``, ``input_shape``, ...).
    """

    rank = 1

    def __init__(self, data_format: str | None = "channels_last", keepdims: bool = False, **kwargs):
        super().__init__(_channels_last_or_first(data_format), keepdims, **kwargs)
        self.data_format = data_format if data_format == "channels_first" else self.data_format

    def call(self, inputs, training=False):
        if self.data_format == "channels_first":  # (batch, steps, features) read as (batch, channels, steps)
            return reductions.mean(to_layer_dtype(self, inputs), axis=2, keepdims=self.keepdims)
        mask = getattr(inputs, "mask", None)
        inputs = to_layer_dtype(self, inputs)
        if mask is None:
            return global_average_pool(inputs, 1, self.keepdims)
        check_input_rank(self, inputs.shape, 1)
        weights = Tensor._from_op(mask.astype(inputs.dtype)[:, :, None])  # (batch, steps, 1)
        total = reductions.sum(inputs * weights, axis=1, keepdims=self.keepdims)
        return math.div(total, reductions.sum(weights, axis=1, keepdims=self.keepdims))


class GlobalMaxPooling1D(_GlobalPooling):
    """The maximum over the time steps.

    Input ``(batch, steps, channels)``, output ``(batch, channels)``
    (``(batch, 1, channels)`` with ``keepdims``).

    Arguments:
        data_format: None or 'channels_last'; or 'channels_first', which reads the input as
            (batch, channels, steps) and takes the maximum of the last axis.
        keepdims: keep the pooled axes, with size 1.
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype``, ``input_shape``, ...).
    """

    rank = 1

    def __init__(self, data_format: str | None = "channels_last", keepdims: bool = False, **kwargs):
        super().__init__(_channels_last_or_first(data_format), keepdims, **kwargs)
        self.data_format = data_format if data_format == "channels_first" else self.data_format

    def call(self, inputs, training=False):
        if self.data_format == "channels_first":  # (batch, steps, features) read as (batch, channels, steps)
            return reductions.max(to_layer_dtype(self, inputs), axis=2, keepdims=self.keepdims)
        return global_max_pool(to_layer_dtype(self, inputs), 1, self.keepdims)


def _channels_last_or_first(data_format):
    """What the base class checks: channels-first 1-D global pooling is handled by the layer."""
    return None if data_format == "channels_first" else data_format


# Keras's short aliases
MaxPool1D, MaxPool2D = MaxPooling1D, MaxPooling2D
AvgPool1D, AvgPool2D = AveragePooling1D, AveragePooling2D
GlobalAvgPool1D, GlobalAvgPool2D = GlobalAveragePooling1D, GlobalAveragePooling2D
GlobalMaxPool1D, GlobalMaxPool2D = GlobalMaxPooling1D, GlobalMaxPooling2D
