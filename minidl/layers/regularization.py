"""Dropout variants beyond plain ``Dropout`` (which lives in ``core``)."""

from minidl.layers.core import Dropout
from minidl.layers.input_spec import InputSpec


class SpatialDropout1D(Dropout):
    """Drops whole channels of a (batch, time, channels) input: one keep/drop decision per
    sample and channel, shared by every time step (noise_shape (batch, 1, channels)).

    Neighbouring time steps of an embedded sequence are strongly correlated, so dropping single
    elements regularises little; dropping a channel for the whole sequence does (Tompson et al.).
    """

    input_spec = InputSpec(ndim=3, layout=("batch", "time", "channels"))

    def _noise_shape(self, inputs):
        return (inputs.shape[0], 1, inputs.shape[2])
