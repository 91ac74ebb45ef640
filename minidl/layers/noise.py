"""Noise layers that regularise while training and do nothing at inference:
``GaussianNoise(stddev)`` adds N(0, stddev^2) noise (denoising autoencoders, robustness);
``GaussianDropout(rate)`` multiplies by N(1, rate / (1 - rate)) noise.

The noise is drawn on the active device from minidl's seeded device generator, like dropout
masks; it is a constant of the graph, so the gradient is 1 (or the noise) as for any addition
(multiplication) by a constant.
"""

from minidl.autograd.tensor import Tensor
from minidl.layers import arguments
from minidl.layers.base import Layer
from minidl.layers.core import carry_mask
from minidl.runtime import backend


def _normal_noise(shape, mean, stddev, dtype):
    noise = backend.device_rng().standard_normal(shape, dtype=dtype)
    return Tensor._from_op(noise * dtype.type(stddev) + dtype.type(mean))


class GaussianNoise(Layer):
    """Add zero-mean Gaussian noise of standard deviation ``stddev`` while training; the
    identity at inference. Output shape = input shape; no weights.

    Arguments:
        stddev: the noise's standard deviation, >= 0.
        seed: accepted for Keras compatibility; the noise comes from minidl's generator, which
            ``minidl.set_seed`` seeds.
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype``, ``input_shape``, ...).
    """

    def __init__(self, stddev: float, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.stddev = arguments.number(self, "stddev", stddev, minimum=0)
        self.seed = None if seed is None else arguments.integer(self, "seed", seed)

    def call(self, inputs, training=False):
        if not training or self.stddev == 0:
            return inputs
        return carry_mask(inputs, inputs + _normal_noise(inputs.shape, 0.0, self.stddev, inputs.dtype))

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}


class GaussianDropout(Layer):
    """Multiply by Gaussian noise of mean 1 and variance ``rate / (1 - rate)`` while training;
    the identity at inference. Output shape = input shape; no weights.

    Arguments:
        rate: the equivalent dropout rate, in [0, 1).
        seed: accepted for Keras compatibility; the noise comes from minidl's generator, which
            ``minidl.set_seed`` seeds.
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype``, ``input_shape``, ...).
    """

    def __init__(self, rate: float, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.rate = arguments.rate(self, "rate", rate)
        self.seed = None if seed is None else arguments.integer(self, "seed", seed)

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        stddev = (self.rate / (1.0 - self.rate)) ** 0.5
        return carry_mask(inputs, inputs * _normal_noise(inputs.shape, 1.0, stddev, inputs.dtype))

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}
