"""Layer normalisation: every sample normalised over its feature axes, then scaled and shifted,
as one Function whose backward is written out.

Batch normalisation's mirror image: the statistics are taken *within* a sample, over the
normalised axes (the last one by default), so they do not depend on the batch; ``gamma`` and
``beta`` have the shape of the normalised axes. For each sample, over its n normalised values::

    mean  = (1/n) sum x
    var   = (1/n) sum (x - mean)^2
    x_hat = (x - mean) / sqrt(var + epsilon)
    y     = gamma * x_hat + beta

Backward, with gy = dL/dy and g = gy * gamma = dL/dx_hat::

    dL/dbeta  = sum gy               over the samples (every axis but the normalised ones)
    dL/dgamma = sum gy * x_hat       likewise
    dL/dx     = (g - mean(g) - x_hat * mean(g * x_hat)) / sqrt(var + epsilon)

with the means over the normalised axes: x_hat moves with x directly (the g term), through the
mean (each x shifts it by 1/n: the mean(g) term) and through the variance (the x_hat term) --
batch norm's formula, with gamma inside the means because here it varies along them.

This is the op's only form (``minidl.ops.layer_norm`` runs it, with or without
``minidl.reference_ops()``): one Function instead of the mean, variance, square-root, divide,
multiply and add of the formula as separate ops, whose gradient it must equal (the tests hold it
to that composition and to central differences).
"""

from minidl.autograd.function import Function, xp


class LayerNorm(Function):
    """Inputs: x, then gamma if ``scale``, then beta if ``center`` (each shaped like the
    normalised axes). ``axes``: the normalised axes of x, sorted, never 0."""

    def __init__(self, axes, epsilon, scale, center):
        self.axes, self.epsilon, self.scale, self.center = axes, epsilon, scale, center

    def forward(self, x, *parameters):
        gamma = parameters[0] if self.scale else None
        beta = parameters[-1] if self.center else None
        self.sample_axes = tuple(axis for axis in range(x.ndim) if axis not in self.axes)
        self.parameter_shape = tuple(x.shape[axis] for axis in self.axes)
        broadcast = tuple(x.shape[axis] if axis in self.axes else 1 for axis in range(x.ndim))
        mean = _mean(x, self.axes)
        centered = x - mean
        variance = _mean(centered * centered, self.axes)
        self.inv_std = 1.0 / xp().sqrt(variance + self.epsilon)
        self.x_hat = centered * self.inv_std
        self.gamma = None if gamma is None else gamma.reshape(broadcast)
        y = self.x_hat if self.gamma is None else self.x_hat * self.gamma
        return y if beta is None else y + beta.reshape(broadcast)

    def backward(self, gy):
        need_x, *need_parameters = self.needs_input_grad
        grad_x = None
        if need_x:
            # dx = (g - mean(g) - x_hat mean(g x_hat)) / sqrt(var + eps), g = gy gamma
            g = gy if self.gamma is None else gy * self.gamma
            mean_g = _mean(g, self.axes)
            mean_g_xhat = _mean(g * self.x_hat, self.axes)
            grad_x = (g - mean_g - self.x_hat * mean_g_xhat) * self.inv_std
        grad_parameters = []
        if self.scale:
            # dy/dgamma = x_hat, summed over the samples
            grad_parameters.append(self._sum_over_samples(gy * self.x_hat) if need_parameters[0] else None)
        if self.center:
            # dy/dbeta = 1, summed over the samples
            grad_parameters.append(self._sum_over_samples(gy) if need_parameters[-1] else None)
        return (grad_x, *grad_parameters)

    def _sum_over_samples(self, values):
        return values.sum(axis=self.sample_axes).reshape(self.parameter_shape)


def _mean(values, axes):
    """``values.mean(axis=axes, keepdims=True)``, with the last axis, when it is among several
    normalised ones, summed after the others: NumPy reduces several axes at once in an order that
    then walks memory badly (a group norm's (64, 16, 16, 8, 8) over axes 1, 2 and 4: 2.6 ms,
    against 0.5 ms with axes 1 and 2 first). Only the order of the additions differs."""
    last = values.ndim - 1
    if last not in axes or len(axes) == 1:
        return values.mean(axis=axes, keepdims=True)
    count = 1
    for axis in axes:
        count *= values.shape[axis]
    leading = tuple(axis for axis in axes if axis != last)
    return values.sum(axis=leading, keepdims=True).sum(axis=last, keepdims=True) / count
