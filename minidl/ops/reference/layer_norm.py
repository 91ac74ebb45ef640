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

``gamma`` and ``beta`` may instead vary along other axes of a sample (``parameter_axes``): a
group normalisation normalises each group of channels but scales every channel on its own. The
formulas hold as they are -- gamma only has to be constant along the batch -- with dL/dgamma and
dL/dbeta summed over the axes gamma does not vary along.

This is the readable form, one Function instead of the mean, variance, square-root, divide,
multiply and add of the formula as separate ops, whose gradient it must equal (the tests hold it
to that composition and to central differences). ``minidl.ops.layer_norm`` runs it inside
``minidl.reference_ops()``; outside, ``FastLayerNorm`` (``minidl/ops/fast/layer_norm.py``) runs
these same functions -- ``normalized``, ``scaled_and_shifted``, ``input_gradient`` -- on chunks
of samples on every core.
"""

from minidl.autograd.function import Function, xp


class LayerNorm(Function):
    """Inputs: x, then gamma if ``scale``, then beta if ``center``. ``axes``: the normalised axes
    of x, sorted, never 0; ``parameter_axes`` (default ``axes``): the axes of x gamma and beta are
    shaped like, sorted, never 0."""

    def __init__(self, axes, epsilon, scale, center, parameter_axes=None):
        self.axes, self.epsilon, self.scale, self.center = axes, epsilon, scale, center
        self.parameter_axes = axes if parameter_axes is None else parameter_axes

    def forward(self, x, *parameters):
        gamma, beta = self._broadcast_parameters(x, parameters)
        self.x_hat, self.inv_std = normalized(x, self.axes, self.epsilon)
        return scaled_and_shifted(self.x_hat, gamma, beta)

    def backward(self, gy):
        need_x, *need_parameters = self.needs_input_grad
        grad_x = input_gradient(gy, self.gamma, self.x_hat, self.inv_std, self.axes) if need_x else None
        grad_parameters = []
        if self.scale:
            # dy/dgamma = x_hat, summed over the samples
            grad_parameters.append(self._sum_over_samples(gy * self.x_hat) if need_parameters[0] else None)
        if self.center:
            # dy/dbeta = 1, summed over the samples
            grad_parameters.append(self._sum_over_samples(gy) if need_parameters[-1] else None)
        return (grad_x, *grad_parameters)

    def _broadcast_parameters(self, x, parameters):
        """(gamma, beta), each None or shaped to broadcast against x; remembers gamma and how to
        sum a per-element gradient back to the parameters' shape."""
        self.sample_axes = tuple(axis for axis in range(x.ndim) if axis not in self.parameter_axes)
        self.parameter_shape = tuple(x.shape[axis] for axis in self.parameter_axes)
        broadcast = tuple(x.shape[axis] if axis in self.parameter_axes else 1 for axis in range(x.ndim))
        gamma = parameters[0].reshape(broadcast) if self.scale else None
        beta = parameters[-1].reshape(broadcast) if self.center else None
        self.gamma = gamma
        return gamma, beta

    def _sum_over_samples(self, values):
        return values.sum(axis=self.sample_axes).reshape(self.parameter_shape)


def normalized(x, axes, epsilon, out=None):
    """(x_hat, 1 / sqrt(var + epsilon)): x normalised over ``axes`` with its own mean and
    variance, written into ``out`` when given."""
    mean = _mean(x, axes)
    centered = xp().subtract(x, mean, out=out)
    variance = _mean(centered * centered, axes)
    inv_std = 1.0 / xp().sqrt(variance + epsilon)
    centered *= inv_std  # x_hat = (x - mean) / sqrt(var + eps), in place
    return centered, inv_std


def scaled_and_shifted(x_hat, gamma, beta, out=None):
    """y = gamma * x_hat + beta (either may be None), written into ``out`` when given."""
    if gamma is None and beta is None:
        return x_hat
    y = x_hat if gamma is None else xp().multiply(x_hat, gamma, out=out)
    return xp().add(y, beta, out=out) if beta is not None else y


def input_gradient(gy, gamma, x_hat, inv_std, axes, out=None):
    """dL/dx = (g - mean(g) - x_hat mean(g x_hat)) / sqrt(var + eps), g = gy gamma (the means
    over ``axes``), written into ``out`` when given."""
    g = gy if gamma is None else gy * gamma
    mean_g = _mean(g, axes)
    mean_g_xhat = _mean(g * x_hat, axes)
    return xp().multiply(g - mean_g - x_hat * mean_g_xhat, inv_std, out=out)


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
