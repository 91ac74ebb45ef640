"""``UnitNormalization``: scale every sample to unit Euclidean length along ``axis``::

    y = x / max(||x||, 1e-12)         ||x|| = sqrt(sum of x^2 along axis)

e.g. to compare embeddings by cosine similarity with a plain dot product. Written with
differentiable ops, so its gradient is theirs.
"""

from minidl.layers import arguments
from minidl.layers.base import Layer
from minidl.layers.call_context import label
from minidl.layers.merge import l2_normalize

EPSILON = 1e-12  # Keras's: the smallest norm divided by


class UnitNormalization(Layer):
    """Divides every sample by its L2 norm along ``axis`` (see the module docstring); output
    shape = input shape; no weights.

    Arguments:
        axis: the axis, or list of axes, the norm is taken over (default the last).
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype``, ``input_shape``, ...).
    """

    def __init__(self, axis: int | list[int] = -1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            self.axis = [arguments.integer(self, "axis", a) for a in axis]
        else:
            self.axis = arguments.integer(self, "axis", axis)

    def call(self, inputs, training=False):
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        for axis in axes:
            if not -inputs.ndim <= axis < inputs.ndim:
                raise ValueError(f"{label(self)}: axis {axis} is out of range for inputs of shape "
                                 f"{inputs.shape}")
        return l2_normalize(inputs, tuple(a % inputs.ndim for a in axes), EPSILON)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}
