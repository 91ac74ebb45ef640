"""``BatchNormalization``: per-channel normalisation with learned scale/shift and moving stats."""

from minidl import initializers, regularizers
from minidl.autograd.function import xp
from minidl.layers import arguments
from minidl.layers.arguments import InitializerLike, RegularizerLike
from minidl.layers.base import Layer
from minidl.layers.input_spec import InputSpec
from minidl.ops.arguments import normalize_axis
from minidl.ops.normalization import batch_norm


class BatchNormalization(Layer):
    """Keras's BatchNormalization for inputs of any rank >= 2 (channels on ``axis``):
    ``gamma * (x - mean) / sqrt(variance + epsilon) + beta`` per channel.

    Output shape = input shape, e.g. (batch, features) or (batch, height, width, channels).

    Weights, in Keras's order: ``gamma`` and ``beta`` (channels,) (trainable, present when
    ``scale``/``center``), ``moving_mean`` and ``moving_variance`` (channels,) (non-trainable).
    Training normalises with the batch's mean and biased variance and then updates, in place
    and outside the graph,

        moving = moving * momentum + batch_statistic * (1 - momentum)

    Inference (and a layer frozen with ``trainable=False``, as in TF2) uses the moving stats.

    Which variance feeds the moving average follows TF2 exactly: for rank 2 and 3 inputs
    tf.keras uses tf.nn.moments' biased variance; rank 4 and 5 inputs with the channel axis
    first or last take TensorFlow's fused kernel, which stores the Bessel-corrected
    n/(n-1) * variance. ``fused=None`` (the default) picks as TF2 does, ``fused=False`` always
    uses the biased variance, ``fused=True`` always the corrected one. Normalisation itself
    always uses the biased variance.

    Arguments:
        axis: the channel axis (default the last); a list of one axis is accepted too.
        momentum: the moving averages' decay, in [0, 1].
        epsilon: added to the variance before the square root, > 0.
        center, scale: whether to learn ``beta`` / ``gamma``.
        beta_initializer, gamma_initializer, moving_mean_initializer, moving_variance_initializer:
            Keras initializer names, instances or callables.
        beta_regularizer, gamma_regularizer: None, 'l1', 'l2', 'l1_l2' or a regularizer.
        fused: None, True or False: which variance feeds the moving average (see above).
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype``, ``input_shape``, ...).
    """

    def __init__(self, axis: int = -1, momentum: float = 0.99, epsilon: float = 1e-3, center: bool = True,
                 scale: bool = True, beta_initializer: InitializerLike = "zeros",
                 gamma_initializer: InitializerLike = "ones", moving_mean_initializer: InitializerLike = "zeros",
                 moving_variance_initializer: InitializerLike = "ones", beta_regularizer: RegularizerLike = None,
                 gamma_regularizer: RegularizerLike = None, fused: bool | None = None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            if len(axis) != 1:
                raise ValueError(f"{self.name} (BatchNormalization): only a single channel axis is supported, got {axis}")
            axis = axis[0]
        self.axis = arguments.integer(self, "axis", axis)
        self.momentum = arguments.number(self, "momentum", momentum, minimum=0, maximum=1)
        self.epsilon = arguments.number(self, "epsilon", epsilon, minimum=0, above_minimum=True)
        self.center = arguments.boolean(self, "center", center)
        self.scale = arguments.boolean(self, "scale", scale)
        self.fused = None if fused is None else arguments.boolean(self, "fused", fused)
        self.beta_initializer = arguments.initializer(self, "beta_initializer", beta_initializer)
        self.gamma_initializer = arguments.initializer(self, "gamma_initializer", gamma_initializer)
        self.moving_mean_initializer = arguments.initializer(self, "moving_mean_initializer", moving_mean_initializer)
        self.moving_variance_initializer = arguments.initializer(
            self, "moving_variance_initializer", moving_variance_initializer
        )
        self.beta_regularizer = arguments.regularizer(self, "beta_regularizer", beta_regularizer)
        self.gamma_regularizer = arguments.regularizer(self, "gamma_regularizer", gamma_regularizer)

    def build(self, input_shape):
        label = arguments.label(self)
        InputSpec(min_ndim=2, layout=("batch", "...", "channels")).check(self, input_shape)
        axis = normalize_axis(self.axis, len(input_shape), label)
        if axis == 0:
            raise ValueError(f"{label}: axis {self.axis} is the batch axis; pick the channel axis")
        self.rank = len(input_shape)
        self.channel_axis = axis
        channels = input_shape[axis]
        self.input_spec = InputSpec(ndim=self.rank, axes={axis: channels},
                                    layout=["batch"] + ["channels" if a == axis else "?" for a in range(1, self.rank)])
        self.gamma = self.beta = None
        if self.scale:
            self.gamma = self.add_weight("gamma", (channels,), self.gamma_initializer, self.gamma_regularizer)
        if self.center:
            self.beta = self.add_weight("beta", (channels,), self.beta_initializer, self.beta_regularizer)
        self.moving_mean = self.add_weight("moving_mean", (channels,), self.moving_mean_initializer, trainable=False)
        self.moving_variance = self.add_weight(
            "moving_variance", (channels,), self.moving_variance_initializer, trainable=False
        )
        self._ones = xp().ones((channels,), dtype=self.dtype)
        self._zeros = xp().zeros((channels,), dtype=self.dtype)

    def _uses_bessel_correction(self):
        if self.fused is not None:
            return bool(self.fused)
        return self.rank in (4, 5) and self.channel_axis in (1, self.rank - 1)

    def call(self, inputs, training=False):
        channels = self.moving_mean.shape[0]
        gamma = self.gamma if self.gamma is not None else self._ones
        beta = self.beta if self.beta is not None else self._zeros
        if not (training and self.trainable):
            outputs = batch_norm(inputs, gamma, beta, self.channel_axis, self.epsilon, training=False,
                                 moving_mean=self.moving_mean, moving_variance=self.moving_variance)
        else:
            outputs, batch_mean, batch_var = batch_norm(inputs, gamma, beta, self.channel_axis, self.epsilon,
                                                        training=True)
            self._update_moving_statistics(batch_mean, batch_var, inputs.size // channels)
        outputs.mask = inputs.mask
        return outputs

    def _update_moving_statistics(self, batch_mean, batch_var, count):
        if self._uses_bessel_correction() and count > 1:
            batch_var = batch_var * (count / (count - 1))
        decay = 1.0 - self.momentum
        for moving, batch in ((self.moving_mean.data, batch_mean), (self.moving_variance.data, batch_var)):
            moving *= self.momentum
            moving += decay * batch.astype(moving.dtype, copy=False)

    def get_config(self):
        return {
            **super().get_config(), "axis": self.axis, "momentum": self.momentum, "epsilon": self.epsilon,
            "center": self.center, "scale": self.scale, "fused": self.fused,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
            "moving_variance_initializer": initializers.serialize(self.moving_variance_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
        }
