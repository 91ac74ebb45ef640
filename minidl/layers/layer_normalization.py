"""``LayerNormalization``: normalise each sample over its feature axis (or axes), then scale
and shift -- the normalisation of transformers and of RNNs, independent of the batch.

    y = (x - mean) / sqrt(var + epsilon) * gamma + beta

with mean and (biased) variance taken over ``axis`` for every sample separately; gamma and beta
have the shape of those axes. Weights in Keras's order [gamma, beta]; defaults (epsilon 1e-3,
axis -1) are Keras's. The op, with its backward written out, is ``minidl.ops.layer_norm``
(``minidl/ops/reference/layer_norm.py``).
"""

from minidl.layers import arguments
from minidl.layers.arguments import InitializerLike, RegularizerLike
from minidl.layers.base import Layer
from minidl.ops import normalization


class LayerNormalization(Layer):
    """Normalises each sample over ``axis`` (see the module docstring); output shape = input shape.

    Weights, in Keras's order: ``gamma`` and ``beta``, shaped like the normalised axes (present
    when ``scale`` / ``center``).

    Arguments:
        axis: the axis or axes normalised (default the last), never the batch axis 0.
        epsilon: added to the variance before the square root, > 0.
        center, scale: whether to learn ``beta`` / ``gamma``.
        beta_initializer, gamma_initializer: Keras initializer names, instances or callables.
        beta_regularizer, gamma_regularizer: None, 'l1', 'l2', 'l1_l2' or a regularizer.
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype``, ``input_shape``, ...).
    """

    def __init__(self, axis: int | tuple[int, ...] = -1, epsilon: float = 1e-3, center: bool = True,
                 scale: bool = True, beta_initializer: InitializerLike = "zeros",
                 gamma_initializer: InitializerLike = "ones", beta_regularizer: RegularizerLike = None,
                 gamma_regularizer: RegularizerLike = None, **kwargs):
        super().__init__(**kwargs)
        axes = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
        self.axis = tuple(arguments.integer(self, "axis", a) for a in axes)
        self.epsilon = arguments.number(self, "epsilon", epsilon, minimum=0, above_minimum=True)
        self.center = arguments.boolean(self, "center", center)
        self.scale = arguments.boolean(self, "scale", scale)
        arguments.initializer(self, "beta_initializer", beta_initializer)  # fail here, not at build
        arguments.initializer(self, "gamma_initializer", gamma_initializer)
        arguments.regularizer(self, "beta_regularizer", beta_regularizer)
        arguments.regularizer(self, "gamma_regularizer", gamma_regularizer)
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
        return normalization.layer_norm(inputs, self.gamma, self.beta, self._axes(inputs.ndim), self.epsilon)

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
