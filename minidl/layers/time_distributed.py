"""``TimeDistributed``: apply one layer to every time step of a sequence, with one set of
weights shared by all steps.

(batch, steps, ...) is folded into (batch * steps, ...), the inner layer runs once on that big
batch -- one GEMM for a Dense instead of a loop over steps -- and the result is unfolded to
(batch, steps, ...). The inner layer's weights are this layer's weights, in the inner layer's
Keras order, so ``get_weights`` matches Keras's TimeDistributed.
"""

from minidl.layers.base import Layer
from minidl.layers.core import carry_mask
from minidl.ops.shapes import reshape


class TimeDistributed(Layer):
    """``TimeDistributed(Dense(8))`` on (batch, steps, features) gives (batch, steps, 8).

    Input ``(batch, steps, ...)``; output ``(batch, steps, ...)`` with the inner layer's output
    shape per step. Weights: the inner layer's, in its Keras order.

    Arguments:
        layer: the layer applied to every step (one set of weights for all steps).
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype``, ``input_shape``, ...).
    """

    def __init__(self, layer: Layer, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(layer, Layer):
            raise TypeError(f"{self.name} (TimeDistributed): layer must be a Layer instance to wrap, got "
                            f"{type(layer).__name__}")
        self.layer = self.track(layer)

    def call(self, inputs, training=False):
        if inputs.ndim < 3:
            raise ValueError(
                f"{self.name} (TimeDistributed): expected input of rank >= 3 (batch, steps, ...), got shape "
                f"{inputs.shape}"
            )
        batch, steps = inputs.shape[:2]
        folded = reshape(inputs, (batch * steps,) + tuple(inputs.shape[2:]))
        outputs = self.layer(folded, training=training)
        return carry_mask(inputs, reshape(outputs, (batch, steps) + tuple(outputs.shape[1:])))

    def get_config(self):
        from minidl.models import registry

        return {**super().get_config(), "layer": registry.serialize_layer(self.layer)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from minidl.models import registry

        config = dict(config)
        config["layer"] = registry.deserialize_layer(config["layer"], custom_objects)
        return cls(**config)
