"""Regularisation layers beyond plain ``Dropout`` (which lives in ``core``): the spatial
dropouts, AlphaDropout for self-normalising networks, and ActivityRegularization."""

from minidl.autograd.tensor import Tensor
from minidl.layers import arguments
from minidl.layers.base import Layer
from minidl.layers.call_context import label
from minidl.layers.convolutional import check_data_format
from minidl.layers.core import Dropout, carry_mask
from minidl.layers.input_spec import InputSpec
from minidl.ops import math as math_ops
from minidl.ops import reductions
from minidl.ops.activations import SELU_ALPHA, SELU_SCALE
from minidl.runtime import backend


class SpatialDropout1D(Dropout):
    """Drops whole channels of a (batch, time, channels) input: one keep/drop decision per
    sample and channel, shared by every time step (noise_shape (batch, 1, channels)); kept
    values are scaled by 1 / (1 - rate). The identity at inference.

    Neighbouring time steps of an embedded sequence are strongly correlated, so dropping single
    elements regularises little; dropping a channel for the whole sequence does (Tompson et al.).

    Input and output ``(batch, time, channels)``; no weights.

    Arguments:
        rate: the fraction of channels to drop, in [0, 1).
        seed: accepted for Keras compatibility; the masks come from minidl's generator, which
            ``minidl.set_seed`` seeds.
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype``, ``input_shape``, ...).
    """

    input_spec = InputSpec(ndim=3, layout=("batch", "time", "channels"))

    def __init__(self, rate: float, seed: int | None = None, **kwargs):
        super().__init__(rate, seed=seed, **kwargs)

    def get_config(self):
        config = super().get_config()
        del config["noise_shape"]  # always (batch, 1, channels); not an argument of this layer
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if config.get("noise_shape", None) is None:
            config.pop("noise_shape", None)  # written by earlier minidl versions
        return cls(**config)

    def _noise_shape(self, inputs):
        return (inputs.shape[0], 1, inputs.shape[2])


class SpatialDropout2D(Dropout):
    """Drops whole feature maps of a (batch, height, width, channels) input: one keep/drop
    decision per sample and channel, shared by every pixel (noise_shape (batch, 1, 1,
    channels)); kept values are scaled by 1 / (1 - rate). The identity at inference.

    Neighbouring pixels of a convolution's feature map are strongly correlated, so dropping
    single pixels regularises little; dropping a whole map does (Tompson et al.).

    Input and output ``(batch, height, width, channels)``; no weights.

    Arguments:
        rate: the fraction of channels to drop, in [0, 1).
        data_format: None or 'channels_last'; 'channels_first' is refused.
        seed: accepted for Keras compatibility; the masks come from minidl's generator, which
            ``minidl.set_seed`` seeds.
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype``, ``input_shape``, ...).
    """

    input_spec = InputSpec(ndim=4, layout=("batch", "height", "width", "channels"))

    def __init__(self, rate: float, data_format: str | None = None, seed: int | None = None, **kwargs):
        super().__init__(rate, seed=seed, **kwargs)
        self.data_format = check_data_format(data_format, label(self))

    def get_config(self):
        config = super().get_config()
        del config["noise_shape"]  # always (batch, 1, 1, channels); not an argument of this layer
        return {**config, "data_format": self.data_format}

    def _noise_shape(self, inputs):
        return (inputs.shape[0], 1, 1, inputs.shape[3])


class AlphaDropout(Layer):
    """Dropout for self-normalising networks (``selu`` activations, ``lecun_normal`` weights):
    while training, dropped values are set to SELU's negative saturation value
    alpha' = -scale * alpha instead of 0, and everything is then moved and scaled, ``a * x + b``,
    so that inputs of mean 0 and variance 1 keep mean 0 and variance 1 (Klambauer et al.)::

        a = ((1 - rate) * (1 + rate * alpha'^2)) ** -0.5,   b = -a * alpha' * rate

    The identity at inference. Output shape = input shape; no weights.

    Arguments:
        rate: the fraction of values to drop, in [0, 1).
        noise_shape: the shape of the keep/drop mask, broadcast against the input (None
            entries take the input's size), as Dropout's.
        seed: accepted for Keras compatibility; the masks come from minidl's generator, which
            ``minidl.set_seed`` seeds.
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype``, ``input_shape``, ...).
    """

    def __init__(self, rate: float, noise_shape: tuple[int | None, ...] | None = None, seed: int | None = None,
                 **kwargs):
        super().__init__(**kwargs)
        self.rate = arguments.rate(self, "rate", rate)
        self.noise_shape = _noise_shape(self, noise_shape)
        self.seed = None if seed is None else arguments.integer(self, "seed", seed)

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        dtype = inputs.dtype
        shape = inputs.shape if self.noise_shape is None else tuple(
            inputs.shape[axis] if size is None else size for axis, size in enumerate(self.noise_shape))
        if len(shape) != inputs.ndim or any(size not in (1, full) for size, full in zip(shape, inputs.shape)):
            raise ValueError(f"{label(self)}: noise_shape {self.noise_shape} does not fit an input of shape "
                             f"{inputs.shape}; each entry must be 1, None or the input's size")
        keep = (backend.device_rng().random(shape, dtype=dtype) >= self.rate).astype(dtype)
        alpha_p = -SELU_ALPHA * SELU_SCALE
        a = ((1 - self.rate) * (1 + self.rate * alpha_p ** 2)) ** -0.5
        b = -a * alpha_p * self.rate
        # x * keep + alpha' * (1 - keep): keep and its complement are constants of the graph
        kept = inputs * Tensor._from_op(keep) + Tensor._from_op((1 - keep) * dtype.type(alpha_p))
        return carry_mask(inputs, kept * dtype.type(a) + dtype.type(b))

    def get_config(self):
        noise_shape = None if self.noise_shape is None else list(self.noise_shape)
        return {**super().get_config(), "rate": self.rate, "noise_shape": noise_shape, "seed": self.seed}


def _noise_shape(layer, noise_shape):
    """None, or a tuple of positive ints and None entries (Dropout's rule)."""
    if noise_shape is None:
        return None
    if not isinstance(noise_shape, (tuple, list)) or not all(
            size is None or (arguments.is_integral(size) and size >= 1) for size in noise_shape):
        raise ValueError(f"{label(layer)}: noise_shape must be None or a tuple of positive ints and None "
                         f"entries, got {noise_shape!r}")
    return tuple(None if size is None else int(size) for size in noise_shape)


class ActivityRegularization(Layer):
    """Passes its input through unchanged and adds a penalty on it to the training loss,
    Keras 3's activity regularisation::

        loss += (l1 * sum(|x|) + l2 * sum(x^2)) / batch_size

    Output shape = input shape; no weights.

    Arguments:
        l1: the L1 factor, >= 0.
        l2: the L2 factor, >= 0.
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype``, ``input_shape``, ...).
    """

    def __init__(self, l1: float = 0.0, l2: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        self.l1 = arguments.number(self, "l1", l1, minimum=0)
        self.l2 = arguments.number(self, "l2", l2, minimum=0)

    def call(self, inputs, training=False):
        penalty = 0.0
        if self.l1:
            penalty = reductions.sum(math_ops.abs(inputs)) * self.l1
        if self.l2:
            penalty = penalty + reductions.sum(inputs * inputs) * self.l2
        if self.l1 or self.l2:
            self.add_loss(penalty / max(inputs.shape[0], 1) if inputs.ndim else penalty)
        return inputs

    def get_config(self):
        return {**super().get_config(), "l1": self.l1, "l2": self.l2}
