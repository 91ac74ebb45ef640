"""``Masking``: mark the time steps of a padded sequence that hold only ``mask_value`` as
padding, so that the recurrent layers after it skip them (their state carries over unchanged).

For (batch, time, features) inputs the mask is ``any(x != mask_value)`` over the features; the
output is the input with the masked steps set to zero (as Keras does) and carries the mask in
``Tensor.mask``, the same channel ``Embedding(mask_zero=True)`` uses. The zeroing is a product
with a constant 0/1 array, so the gradient is that array.
"""

from minidl.autograd.tensor import Tensor
from minidl.layers import arguments
from minidl.layers.base import Layer


class Masking(Layer):
    """``Masking(mask_value=0.0)`` before an RNN on zero-padded float sequences.

    Input ``(batch, time, features, ...)``; output the same shape, the masked steps set to
    zero, carrying the mask (see the module docstring). No weights.

    Arguments:
        mask_value: a step whose every feature equals this value is padding.
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype``, ``input_shape``, ...).
    """

    def __init__(self, mask_value: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        self.mask_value = arguments.number(self, "mask_value", mask_value)

    def call(self, inputs, training=False):
        if inputs.ndim < 3:
            raise ValueError(
                f"{self.name} (Masking): expected input of rank >= 3 (batch, time, features), got shape {inputs.shape}"
            )
        keep = (inputs.data != inputs.dtype.type(self.mask_value)).any(axis=tuple(range(2, inputs.ndim)))
        weights = keep.astype(inputs.dtype).reshape(keep.shape + (1,) * (inputs.ndim - 2))
        outputs = inputs * Tensor._from_op(weights)
        outputs.mask = keep
        return outputs

    def compute_mask(self, inputs, mask=None):
        data = inputs.data if isinstance(inputs, Tensor) else inputs
        return (data != self.mask_value).any(axis=tuple(range(2, data.ndim)))

    def get_config(self):
        return {**super().get_config(), "mask_value": self.mask_value}
