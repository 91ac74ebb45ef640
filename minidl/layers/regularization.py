"""Dropout variants beyond plain ``Dropout`` (which lives in ``core``)."""

from minidl.layers.core import Dropout
from minidl.layers.input_spec import InputSpec


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
