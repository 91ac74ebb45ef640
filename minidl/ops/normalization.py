"""Batch and layer normalisation: ``gamma * (x - mean) / sqrt(var + epsilon) + beta``.

Batch normalisation (``batch_norm``) takes the statistics per channel, over the batch;
layer normalisation (``layer_norm``, at the end of this module) per sample, over its features.

In ``batch_norm``, ``axis`` is the channel axis (the last one by default); the statistics are
taken over every other axis. ``gamma``/``beta`` have shape (channels,). Training mode normalises
with the batch's own statistics, and the gradient flows through them too; inference mode uses
fixed statistics (the layer's moving averages).

Both have two forms. Batch norm's readable one, ``BatchNormTraining`` / ``BatchNormInference``
in ``minidl/ops/reference/batch_norm.py``, has the backward derived beside it; it runs inside
``minidl.reference_ops()``, always as ``batch_norm_reference``, and for a channel axis other than
the last. The fast one, ``minidl/ops/fast/batch_norm.py``, runs by default for the last axis
(channels-last, Keras's default): the same formulas in fewer passes over the input, in ranges of
rows on every CPU core. Layer norm's readable ``LayerNorm`` (``minidl/ops/reference/layer_norm.py``)
runs on chunks of samples on every core as ``FastLayerNorm`` (``minidl/ops/fast/layer_norm.py``).
This module checks the operands and picks the form.
"""

from minidl.ops._util import as_tensor, require_float
from minidl.ops.arguments import normalize_axis
from minidl.ops.fast.batch_norm import FastBatchNormInference, FastBatchNormTraining, fast_form_applies
from minidl.ops.fast.layer_norm import FastLayerNorm
from minidl.ops.fast.layer_norm import fast_form_applies as fast_layer_norm_applies
from minidl.ops.forms import reference_forms_active
from minidl.ops.reference.batch_norm import BatchNormInference, BatchNormTraining
from minidl.ops.reference.layer_norm import LayerNorm


def _check(x, gamma, beta, axis, op):
    x, gamma, beta = as_tensor(x), as_tensor(gamma), as_tensor(beta)
    require_float(op, x)
    if x.ndim < 2:
        raise ValueError(f"{op}: expected input of rank >= 2 (batch, ..., channels), got shape {x.shape}")
    axis = normalize_axis(axis, x.ndim, op)
    if axis == 0:
        raise ValueError(f"{op}: axis 0 is the batch axis; the channel axis must be another one")
    channels = x.shape[axis]
    for name, value in (("gamma", gamma), ("beta", beta)):
        if value.shape != (channels,):
            raise ValueError(
                f"{op}: {name} must have shape ({channels},) for input {x.shape} with channel "
                f"axis {axis}, got {value.shape}"
            )
    return x, gamma, beta, axis


def batch_norm(x, gamma, beta, axis=-1, epsilon=1e-3, training=True, moving_mean=None,
               moving_variance=None):
    """Batch normalisation (``minidl/ops/reference/batch_norm.py``).

    Training: returns ``(y, batch_mean, batch_var)``, the statistics as raw (channels,) arrays
    (biased variance), for the caller's moving averages. Inference: needs ``moving_mean`` and
    ``moving_variance`` (raw arrays or Tensors) and returns ``y`` alone.
    """
    return _batch_norm(x, gamma, beta, axis, epsilon, training, moving_mean, moving_variance, "batch_norm",
                       readable=False)


def _batch_norm(x, gamma, beta, axis, epsilon, training, moving_mean, moving_variance, op, readable):
    x, gamma, beta, axis = _check(x, gamma, beta, axis, op)
    fast = not readable and not reference_forms_active()
    if training:
        fast = fast and fast_form_applies(x, axis, gamma, beta)
        function = (FastBatchNormTraining if fast else BatchNormTraining)(axis, epsilon)
        y = function(x, gamma, beta)
        return y, function.batch_mean, function.batch_var
    if moving_mean is None or moving_variance is None:
        raise ValueError(f"{op}: inference mode needs moving_mean and moving_variance")
    mean = as_tensor(moving_mean).data
    variance = as_tensor(moving_variance).data
    fast = fast and fast_form_applies(x, axis, gamma, beta, mean, variance)
    return (FastBatchNormInference if fast else BatchNormInference)(axis, epsilon, mean, variance)(x, gamma, beta)


def batch_norm_reference(x, gamma, beta, axis=-1, epsilon=1e-3, training=True, moving_mean=None,
                         moving_variance=None):
    """``batch_norm`` in its readable form (``minidl/ops/reference/batch_norm.py``), always."""
    return _batch_norm(x, gamma, beta, axis, epsilon, training, moving_mean, moving_variance, "batch_norm_reference",
                       readable=True)


def layer_norm(x, gamma=None, beta=None, axis=-1, epsilon=1e-3, parameter_axis=None):
    """Layer normalisation (``minidl/ops/reference/layer_norm.py``): each sample of ``x``
    normalised over ``axis`` (an axis or a tuple of them, never the batch axis 0), then
    multiplied by ``gamma`` and shifted by ``beta`` when given, each shaped like the axes
    ``parameter_axis`` (default: ``axis``; a group normalisation's are its channel axes)."""
    x = as_tensor(x)
    require_float("layer_norm", x)
    if x.ndim < 2:
        raise ValueError(f"layer_norm: expected input of rank >= 2 (batch, ..., features), got shape {x.shape}")
    axes = _sample_axes(axis, x, "axis")
    parameter_axes = axes if parameter_axis is None else _sample_axes(parameter_axis, x, "parameter_axis")
    expected = tuple(x.shape[a] for a in parameter_axes)
    parameters = []
    for name, value in (("gamma", gamma), ("beta", beta)):
        if value is None:
            continue
        value = as_tensor(value)
        if value.shape != expected:
            described = "normalised axes" if parameter_axis is None else "parameter_axis"
            raise ValueError(f"layer_norm: {name} must have shape {expected} (the {described} {parameter_axes} of "
                             f"input {x.shape}), got {value.shape}")
        parameters.append(value)
    fast = not reference_forms_active() and fast_layer_norm_applies(x.data, *(p.data for p in parameters))
    return (FastLayerNorm if fast else LayerNorm)(axes, epsilon, scale=gamma is not None, center=beta is not None,
                                                  parameter_axes=parameter_axes)(x, *parameters)


def _sample_axes(axis, x, name):
    """``axis`` (an int or a tuple) of ``x`` as a sorted tuple of non-negative axes, none of them
    the batch axis 0."""
    axes = normalize_axis(axis, x.ndim, "layer_norm")
    axes = tuple(sorted(axes if isinstance(axes, tuple) else (axes,)))
    if 0 in axes:
        raise ValueError(f"layer_norm: axis 0 is the batch axis; {name} must name others, got {axis}")
    return axes
