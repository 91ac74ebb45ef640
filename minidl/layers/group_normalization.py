"""``GroupNormalization``: normalise each sample over groups of channels -- between
LayerNormalization (one group) and instance normalisation (a group per channel), and, unlike
BatchNormalization, independent of the batch size (Wu and He).

The channels (``axis``) are split into ``groups`` consecutive groups; every sample's values
in one group, over all its positions, share one mean and (biased) variance::

    y = (x - mean_group) / sqrt(var_group + epsilon) * gamma + beta      gamma, beta per channel

Weights in Keras's order [gamma, beta]; defaults (groups 32, epsilon 1e-3) are Keras's. The
normalisation is ``minidl.ops.layer_norm`` over every axis of a sample but the group axis (the
mean, variance and their backward in one Function), then gamma and beta per channel.
"""

from minidl import initializers, regularizers
from minidl.layers import arguments
from minidl.layers.arguments import InitializerLike, RegularizerLike
from minidl.layers.base import Layer
from minidl.layers.call_context import label
from minidl.layers.input_spec import InputSpec
from minidl.ops import normalization
from minidl.ops.shapes import reshape


class GroupNormalization(Layer):
    """Normalises every sample over groups of channels (see the module docstring); output
    shape = input shape.

    Weights, in Keras's order: ``gamma`` and ``beta``, one per channel (present when ``scale``
    / ``center``).

    Arguments:
        groups: how many groups the channels are split into; it must divide their number
            (-1: one group per channel, instance normalisation).
        axis: the channel axis (default the last), not the batch axis.
        epsilon: added to the variance before the square root, > 0.
        center, scale: whether to learn ``beta`` / ``gamma``.
        beta_initializer, gamma_initializer: Keras initializer names, instances or callables.
        beta_regularizer, gamma_regularizer: None, 'l1', 'l2', 'l1_l2' or a regularizer.
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype``, ``input_shape``, ...).
    """

    def __init__(self, groups: int = 32, axis: int = -1, epsilon: float = 1e-3, center: bool = True,
                 scale: bool = True, beta_initializer: InitializerLike = "zeros",
                 gamma_initializer: InitializerLike = "ones", beta_regularizer: RegularizerLike = None,
                 gamma_regularizer: RegularizerLike = None, **kwargs):
        super().__init__(**kwargs)
        if not arguments.is_integral(groups) or (groups < 1 and groups != -1):
            raise ValueError(f"{label(self)}: groups must be a positive integer or -1, got {groups!r}")
        self.groups = int(groups)
        self.axis = arguments.integer(self, "axis", axis)
        self.epsilon = arguments.number(self, "epsilon", epsilon, minimum=0, above_minimum=True)
        self.center = arguments.boolean(self, "center", center)
        self.scale = arguments.boolean(self, "scale", scale)
        self.beta_initializer = arguments.initializer(self, "beta_initializer", beta_initializer)
        self.gamma_initializer = arguments.initializer(self, "gamma_initializer", gamma_initializer)
        self.beta_regularizer = arguments.regularizer(self, "beta_regularizer", beta_regularizer)
        self.gamma_regularizer = arguments.regularizer(self, "gamma_regularizer", gamma_regularizer)

    def _channel_axis(self, rank):
        if not -rank <= self.axis < rank or self.axis % rank == 0:
            raise ValueError(f"{label(self)}: axis {self.axis} is not a channel axis of inputs of rank {rank} "
                             "(axis 0 is the batch)")
        return self.axis % rank

    def build(self, input_shape):
        axis = self._channel_axis(len(input_shape))
        channels = input_shape[axis]
        groups = channels if self.groups == -1 else self.groups
        if groups > channels or channels % groups:
            raise ValueError(f"{label(self)}: {groups} groups must divide the {channels} channels of inputs "
                             f"of shape {tuple(input_shape)}")
        self.group_count = groups
        self.input_spec = InputSpec(ndim=len(input_shape), axes={axis: channels})
        self.gamma = self.add_weight("gamma", (channels,), self.gamma_initializer, self.gamma_regularizer) \
            if self.scale else None
        self.beta = self.add_weight("beta", (channels,), self.beta_initializer, self.beta_regularizer) \
            if self.center else None

    def call(self, inputs, training=False):
        axis = self._channel_axis(inputs.ndim)
        shape = inputs.shape
        width = shape[axis] // self.group_count
        grouped = reshape(inputs, shape[:axis] + (self.group_count, width) + shape[axis + 1:])
        # every axis of a sample but the group axis: layer normalisation over them, and every
        # channel its own gamma and beta (the group axis and the one after it), in one Function
        # with its backward written out (minidl/ops/reference/layer_norm.py)
        reduced = tuple(a for a in range(1, grouped.ndim) if a != axis)
        gamma, beta = (None if weight is None else reshape(weight, (self.group_count, width))
                       for weight in (self.gamma, self.beta))
        outputs = normalization.layer_norm(grouped, gamma, beta, axis=reduced, epsilon=self.epsilon,
                                           parameter_axis=(axis, axis + 1))
        return reshape(outputs, shape)

    def get_config(self):
        return {**super().get_config(), "groups": self.groups, "axis": self.axis, "epsilon": self.epsilon,
                "center": self.center, "scale": self.scale,
                "beta_initializer": initializers.serialize(self.beta_initializer),
                "gamma_initializer": initializers.serialize(self.gamma_initializer),
                "beta_regularizer": regularizers.serialize(self.beta_regularizer),
                "gamma_regularizer": regularizers.serialize(self.gamma_regularizer)}
