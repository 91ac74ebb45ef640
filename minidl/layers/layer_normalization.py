"""``LayerNormalization``: normalise each sample over its feature axis (or axes), then scale
and shift -- the normalisation of transformers and of RNNs, independent of the batch.

    y = (x - mean) / sqrt(var + epsilon) * gamma + beta

with mean and (biased) variance taken over ``axis`` for every sample separately; gamma and beta
have the shape of those axes. Weights in Keras's order [gamma, beta]; defaults (epsilon 1e-3,
axis -1) are Keras's. The layer is written with differentiable ops (mean, var, sqrt), so its
gradient is theirs.
"""

from minidl.layers.base import Layer
from minidl.ops import math, reductions
from minidl.ops.shapes import reshape


class LayerNormalization(Layer):
    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        self.axis = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
        self.epsilon = float(epsilon)
        self.center = bool(center)
        self.scale = bool(scale)
        self.beta_initializer, self.gamma_initializer = beta_initializer, gamma_initializer
        self.beta_regularizer, self.gamma_regularizer = beta_regularizer, gamma_regularizer

    def _axes(self, rank):
        axes = []
        for axis in self.axis:
            if not -rank < axis < rank or axis % rank == 0:
                raise ValueError(
                    f"{self.name} (LayerNormalization): axis {axis} is not a feature axis of an input of rank {rank} "
                    "(axis 0 is the batch)"
                )
            axes.append(axis % rank)
        return tuple(sorted(axes))

    def build(self, input_shape):
        axes = self._axes(len(input_shape))
        shape = tuple(input_shape[axis] for axis in axes)
        self.gamma = self.add_weight("gamma", shape, self.gamma_initializer, self.gamma_regularizer) if self.scale else None
        self.beta = self.add_weight("beta", shape, self.beta_initializer, self.beta_regularizer) if self.center else None

    def call(self, inputs, training=False):
        axes = self._axes(inputs.ndim)
        mean = reductions.mean(inputs, axis=axes, keepdims=True)
        variance = reductions.var(inputs, axis=axes, keepdims=True)
        outputs = (inputs - mean) / math.sqrt(variance + self.epsilon)
        # gamma and beta hold the normalised axes only; give them size-1 axes elsewhere to broadcast
        broadcast_shape = tuple(inputs.shape[axis] if axis in axes else 1 for axis in range(inputs.ndim))
        if self.gamma is not None:
            outputs = outputs * reshape(self.gamma, broadcast_shape)
        if self.beta is not None:
            outputs = outputs + reshape(self.beta, broadcast_shape)
        return outputs

    def get_config(self):
        from minidl import initializers, regularizers

        return {
            **super().get_config(), "axis": list(self.axis) if len(self.axis) > 1 else self.axis[0],
            "epsilon": self.epsilon, "center": self.center, "scale": self.scale,
            "beta_initializer": initializers.serialize(initializers.get(self.beta_initializer)),
            "gamma_initializer": initializers.serialize(initializers.get(self.gamma_initializer)),
            "beta_regularizer": regularizers.serialize(regularizers.get(self.beta_regularizer)),
            "gamma_regularizer": regularizers.serialize(regularizers.get(self.gamma_regularizer)),
        }
