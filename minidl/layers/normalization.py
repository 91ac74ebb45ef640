"""``BatchNormalization``: per-channel normalisation with learned scale/shift and moving stats."""

from minidl import initializers, regularizers
from minidl.autograd.function import xp
from minidl.layers.base import Layer
from minidl.layers.input_spec import InputSpec
from minidl.ops._util import normalize_axis
from minidl.ops.normalization import batch_norm


class BatchNormalization(Layer):
    """Keras's BatchNormalization for inputs of any rank >= 2 (channels on ``axis``).

    Weights, in Keras's order: gamma and beta (trainable, present when ``scale``/``center``),
    moving_mean and moving_variance (non-trainable). Training normalises with the batch's
    mean and biased variance and then updates, in place and outside the graph,

        moving = moving * momentum + batch_statistic * (1 - momentum)

    Inference (and a layer frozen with ``trainable=False``, as in TF2) uses the moving stats.

    Which variance feeds the moving average follows TF2 exactly: for rank 2 and 3 inputs
    tf.keras uses tf.nn.moments' biased variance; rank 4 and 5 inputs with the channel axis
    first or last take TensorFlow's fused kernel, which stores the Bessel-corrected
    n/(n-1) * variance. ``fused=None`` (the default) picks as TF2 does, ``fused=False`` always
    uses the biased variance, ``fused=True`` always the corrected one. Normalisation itself
    always uses the biased variance.
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", moving_mean_initializer="zeros",
                 moving_variance_initializer="ones", beta_regularizer=None, gamma_regularizer=None,
                 fused=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            if len(axis) != 1:
                raise ValueError(f"{self.name} (BatchNormalization): only a single channel axis is supported, got {axis}")
            axis = axis[0]
        if not 0 <= momentum <= 1:
            raise ValueError(f"{self.name} (BatchNormalization): momentum must be in [0, 1], got {momentum}")
        if epsilon <= 0:
            raise ValueError(f"{self.name} (BatchNormalization): epsilon must be positive, got {epsilon}")
        self.axis = int(axis)
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.center = bool(center)
        self.scale = bool(scale)
        self.fused = fused
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)

    def build(self, input_shape):
        caller = f"{self.name} (BatchNormalization)"
        InputSpec(min_ndim=2, layout=("batch", "...", "channels")).check(self, input_shape)
        axis = normalize_axis(self.axis, len(input_shape), caller)
        if axis == 0:
            raise ValueError(f"{caller}: axis {self.axis} is the batch axis; pick the channel axis")
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
        caller = f"{self.name} (BatchNormalization)"
        channels = self.moving_mean.shape[0]
        gamma = self.gamma if self.gamma is not None else self._ones
        beta = self.beta if self.beta is not None else self._zeros
        if not (training and self.trainable):
            outputs = batch_norm(inputs, gamma, beta, self.channel_axis, self.epsilon, training=False,
                                 moving_mean=self.moving_mean, moving_variance=self.moving_variance,
                                 caller=caller)
        else:
            outputs, batch_mean, batch_var = batch_norm(inputs, gamma, beta, self.channel_axis, self.epsilon,
                                                        training=True, caller=caller)
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
