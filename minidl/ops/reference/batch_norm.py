"""Batch normalisation, readable: ``gamma * (x - mean) / sqrt(var + epsilon) + beta`` per channel,
as two Functions (training, inference) whose backward is written out.

The statistics are taken over every axis but the channel axis, so the same code serves
(batch, features), (batch, time, features) and (batch, height, width, channels).

Training normalises with the batch's own mean and (biased, divide-by-n) variance::

    mean  = (1/n) sum x                 over the n values of a channel
    var   = (1/n) sum (x - mean)^2
    x_hat = (x - mean) / sqrt(var + epsilon)
    y     = gamma * x_hat + beta

Backward, with gy = dL/dy::

    dL/dbeta  = sum gy
    dL/dgamma = sum gy * x_hat
    dL/dx     = gamma / sqrt(var + epsilon) * (gy - mean(gy) - x_hat * mean(gy * x_hat))

The last line is the chain rule through x_hat, the mean and the variance at once: x_hat moves
with x directly (the gy term), through the mean (every x shifts it by 1/n: the mean(gy) term)
and through the variance (the x_hat * mean(gy * x_hat) term).

Inference uses fixed statistics (the layer's moving averages), so the op is a per-channel
affine map and dL/dx = gamma / sqrt(var + epsilon) * gy.

This is the readable form: ``minidl.ops.batch_norm`` runs it inside ``minidl.reference_ops()``
and for a channel axis other than the last; otherwise the fast form
``minidl/ops/fast/batch_norm.py`` (the same formulas in fewer passes, on every core) runs, and
the tests hold it to this one.
"""

from minidl.autograd.function import Function, xp


def broadcast_shape(ndim, axis, channels):
    """(1, ..., channels, ..., 1): a per-channel vector laid along ``axis``."""
    shape = [1] * ndim
    shape[axis] = channels
    return tuple(shape)


def reduction_axes(ndim, axis):
    """Every axis but the channel axis: the ones the statistics are taken over."""
    return tuple(a for a in range(ndim) if a != axis)


class BatchNormTraining(Function):
    """Normalise with the batch statistics; ``batch_mean``/``batch_var`` (channels,) are kept
    on the Function for the layer's moving averages."""

    def __init__(self, axis, epsilon):
        self.axis, self.epsilon = axis, epsilon

    def forward(self, x, gamma, beta):
        self.reduce = reduction_axes(x.ndim, self.axis)
        shape = broadcast_shape(x.ndim, self.axis, x.shape[self.axis])
        mean = x.mean(axis=self.reduce, keepdims=True)
        centered = x - mean
        var = (centered * centered).mean(axis=self.reduce, keepdims=True)
        self.inv_std = 1.0 / xp().sqrt(var + self.epsilon)
        self.x_hat = centered * self.inv_std
        self.gamma = gamma.reshape(shape)
        self.param_shape = gamma.shape
        self.batch_mean = mean.reshape(gamma.shape)
        self.batch_var = var.reshape(gamma.shape)
        return self.x_hat * self.gamma + beta.reshape(shape)

    def backward(self, gy):
        grad_x = grad_gamma = grad_beta = None
        if self.needs_input_grad[0]:
            # dx = gamma inv_std (gy - mean(gy) - x_hat mean(gy x_hat))
            mean_gy = gy.mean(axis=self.reduce, keepdims=True)
            mean_gy_xhat = (gy * self.x_hat).mean(axis=self.reduce, keepdims=True)
            grad_x = (self.gamma * self.inv_std) * (gy - mean_gy - self.x_hat * mean_gy_xhat)
        if self.needs_input_grad[1]:
            # dy/dgamma = x_hat, summed over the normalised axes
            grad_gamma = (gy * self.x_hat).sum(axis=self.reduce).reshape(self.param_shape)
        if self.needs_input_grad[2]:
            # dy/dbeta = 1, summed over the normalised axes
            grad_beta = gy.sum(axis=self.reduce).reshape(self.param_shape)
        return grad_x, grad_gamma, grad_beta


class BatchNormInference(Function):
    """Normalise with fixed statistics ``mean`` and ``variance`` (channels,): a per-channel
    affine map of x."""

    def __init__(self, axis, epsilon, mean, variance):
        self.axis, self.epsilon = axis, epsilon
        self.mean, self.variance = mean, variance

    def forward(self, x, gamma, beta):
        self.reduce = reduction_axes(x.ndim, self.axis)
        shape = broadcast_shape(x.ndim, self.axis, x.shape[self.axis])
        self.inv_std = 1.0 / xp().sqrt(self.variance.reshape(shape) + self.epsilon)
        self.x_hat = (x - self.mean.reshape(shape)) * self.inv_std
        self.gamma = gamma.reshape(shape)
        self.param_shape = gamma.shape
        return self.x_hat * self.gamma + beta.reshape(shape)

    def backward(self, gy):
        grad_x = grad_gamma = grad_beta = None
        if self.needs_input_grad[0]:
            # the statistics are constants: dy/dx = gamma inv_std
            grad_x = gy * (self.gamma * self.inv_std)
        if self.needs_input_grad[1]:
            # dy/dgamma = x_hat
            grad_gamma = (gy * self.x_hat).sum(axis=self.reduce).reshape(self.param_shape)
        if self.needs_input_grad[2]:
            # dy/dbeta = 1
            grad_beta = gy.sum(axis=self.reduce).reshape(self.param_shape)
        return grad_x, grad_gamma, grad_beta
