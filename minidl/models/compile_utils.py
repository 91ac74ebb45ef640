"""What ``Model.compile`` resolves, and the running values that become the logs of ``fit``.

* ``resolve_losses`` / ``resolve_metrics`` turn Keras's many spellings (one value, a list per
  output, a dict keyed by output name) into one entry per model output.
* ``Compiled`` keeps everything compile chose, so re-compiling replaces all of it at once.
* ``LossTracker`` is the running, batch-size weighted mean of a loss, kept on the device; it
  is also a metric object (``name``, ``update_state``, ``result``, ``reset_state``), which is
  how a custom ``train_step`` finds it in ``model.metrics`` under the name ``"loss"``.
* ``CompiledLoss`` / ``CompiledMetrics`` are tf.keras 2's ``model.compiled_loss(y, y_pred)``
  and ``model.compiled_metrics.update_state(y, y_pred)``, for custom training steps written
  for TensorFlow 2.
* ``read_logs`` turns logs (device scalars, tensors, floats, nested dicts) into Python floats
  with one device-to-host transfer.
"""

import copy

import numpy as np

from minidl import losses
from minidl import metrics as metrics_module
from minidl.autograd.function import no_grad
from minidl.autograd.tensor import Tensor
from minidl.runtime import backend


def _raw(value):
    return value.data if isinstance(value, Tensor) else value


class LossTracker:
    """A mean weighted by batch size whose running total stays on the device."""

    __slots__ = ("name", "total", "count")

    def __init__(self, name="loss"):
        self.name = name
        self.total = None
        self.count = 0

    def reset_state(self):
        self.total = None
        self.count = 0

    reset = reset_states = reset_state

    def add(self, value, weight):
        """Add a 0-d device array ``value`` with weight ``weight`` (a Python number)."""
        term = value * weight
        self.total = term if self.total is None else self.total + term
        self.count += weight

    def update_state(self, values, sample_weight=None):
        """Keras's metric API: the mean of ``values``, weighted by ``sample_weight`` (a number)."""
        with no_grad():
            value = _raw(values)
            if not backend.is_array(value):
                value = backend.to_device(np.asarray(value, dtype=np.float64))
            weight = 1 if sample_weight is None else _raw(sample_weight)
            if backend.is_array(weight):
                weight = float(backend.to_numpy(weight).reshape(-1)[0])
            self.add(value.mean(), weight)

    def result(self):
        """The mean as a 0-d Tensor (zero before any update), as a metric's ``result()`` is:
        ``model.metrics[0].result().numpy()`` works for the loss too."""
        if self.total is None:
            return Tensor._from_op(backend.get_xp().zeros(()))
        return Tensor._from_op(self.total / self.count)

    def __repr__(self):
        return f"<LossTracker name={self.name!r}>"


class Compiled:
    """What ``compile`` resolved."""

    def __init__(self, optimizer, loss_fns, loss_weights, metrics_per_output, identifiers, weighted_metric_ids=()):
        self.optimizer = optimizer
        self.loss_fns = loss_fns
        self.loss_weights = loss_weights
        self.metrics = metrics_per_output
        self.weighted_metric_ids = set(weighted_metric_ids)  # the ids of the weighted_metrics objects
        self.identifiers = identifiers  # what the user passed, for saving
        self.train_weights = None  # captured trainable weights (None until the model is built)
        self.all_weights = None
        self.frozen_weights = None
        self.penalized = None  # whether a captured weight has a regularizer (None: not known yet)


def per_output(value, names, what):
    """One entry per model output from a single value, a list, or a dict keyed by output name."""
    if isinstance(value, dict):
        unknown = sorted(set(value) - set(names))
        if unknown:
            raise ValueError(f"compile: {what} names unknown outputs {unknown}; the outputs are {names}")
        return [value.get(name) for name in names]
    if isinstance(value, (list, tuple)) and len(names) > 1:
        if len(value) != len(names):
            raise ValueError(f"compile: {what} has {len(value)} entries but the model has {len(names)} outputs {names}")
        return list(value)
    if isinstance(value, (list, tuple)) and len(value) == 1 and what in ("loss", "loss_weights"):
        return list(value)
    return [value] * len(names)


def _metric_lists(value, names):
    if value is None:
        return [[] for _ in names]
    if isinstance(value, dict):
        lists = per_output(value, names, "metrics")
        return [[] if m is None else (list(m) if isinstance(m, (list, tuple)) else [m]) for m in lists]
    if not isinstance(value, (list, tuple)):
        value = [value]
    if len(names) > 1 and len(value) == len(names) and all(isinstance(m, (list, tuple)) for m in value):
        return [list(m) for m in value]
    return [list(value) for _ in names]


def resolve_losses(loss, names):
    return [None if identifier is None else losses.get(identifier) for identifier in per_output(loss, names, "loss")]


def resolve_metrics(metrics, weighted_metrics, names, loss_fns):
    """``(groups, weighted)``: per output, its metric objects -- those of ``metrics``, then those
    of ``weighted_metrics`` -- and the set of ids of the weighted ones. As in Keras, only those
    are updated with the sample weights (and so with ``class_weight``); a metric object given
    once gets a copy for every further output."""
    groups, weighted = [], set()
    for index, (plain_ids, weighted_ids) in enumerate(zip(_metric_lists(metrics, names),
                                                          _metric_lists(weighted_metrics, names))):
        plain_group = [_metric_object(identifier, index, loss_fns) for identifier in plain_ids]
        weighted_group = [_metric_object(identifier, index, loss_fns) for identifier in weighted_ids]
        weighted.update(id(metric) for metric in weighted_group)
        groups.append(plain_group + weighted_group)
    return groups, weighted


def _metric_object(identifier, index, loss_fns):
    if not isinstance(identifier, (str, dict)) and index > 0:
        identifier = copy.deepcopy(identifier)  # one stateful metric per output
    return metrics_module.get(identifier, loss=loss_fns[index])


class CompiledLoss:
    """tf.keras 2's ``model.compiled_loss``: the compiled loss of ``y_pred`` against ``y``, plus
    ``regularization_losses``; it also updates the model's ``"loss"`` tracker."""

    def __init__(self, model):
        self.model = model

    def __call__(self, y_true, y_pred, sample_weight=None, regularization_losses=None):
        model = self.model
        outputs = model._as_output_list(y_pred)
        ys = [_raw(y) for y in (y_true if isinstance(y_true, (list, tuple)) else [y_true])]
        total, _ = model._compiled_total(outputs, ys, _raw(sample_weight))
        if total is None:
            raise RuntimeError(f"{model.name}.compiled_loss: compile() was given no loss; pass loss= to compile()")
        for penalty in regularization_losses or []:
            total = total + penalty
        model._loss_tracker.add(total.data, len(ys[0]))
        return total

    @property
    def metrics(self):
        return [self.model._loss_tracker]


class CompiledMetrics:
    """tf.keras 2's ``model.compiled_metrics``: ``update_state(y, y_pred, sample_weight)``."""

    def __init__(self, model):
        self.model = model

    def update_state(self, y_true, y_pred, sample_weight=None):
        model = self.model
        outputs = model._as_output_list(y_pred)
        ys = [_raw(y) for y in (y_true if isinstance(y_true, (list, tuple)) else [y_true])]
        with no_grad():
            for index, group in enumerate(model._compiled.metrics):
                for metric in group:
                    weights = metric_weights(model._compiled, metric, outputs[index], _raw(sample_weight))
                    metric.update_state(ys[index], _raw(outputs[index]), weights)

    def reset_state(self):
        for group in self.model._compiled.metrics:
            for metric in group:
                metric.reset_state()

    @property
    def metrics(self):
        return [m for group in self.model._compiled.metrics for m in group]


def metric_weights(compiled, metric, output, sample_weight):
    """The weights ``metric`` is updated with: the sample weights for a weighted metric only
    (Keras's ``weighted_metrics``), and -- for a metric averaged over samples or steps -- the
    output's padding mask, so that padded steps count for nothing (Keras turns the mask of
    ``y_pred`` into weights of 0 and 1)."""
    weights = sample_weight if id(metric) in compiled.weighted_metric_ids else None
    mask = getattr(output, "mask", None)
    if mask is None or not isinstance(metric, (metrics_module.MeanMetricWrapper, metrics_module.AutoAccuracy)):
        return weights
    mask = _raw(mask).astype(np.float32)
    if weights is None:
        return mask
    weights = backend.get_xp().asarray(weights, dtype=np.float32)
    return mask * weights.reshape(weights.shape + (1,) * (mask.ndim - weights.ndim))


def read_floats(values):
    """Device scalars -> Python floats with ONE device-to-host transfer."""
    if not values:
        return []
    xp = backend.get_xp()
    stacked = xp.stack([xp.asarray(_raw(v), dtype=np.float64).reshape(()) for v in values])
    return [float(v) for v in backend.to_numpy(stacked)]


def read_logs(logs, what="train_step"):
    """A logs dict as {name: float}: tensors, device scalars and numbers, and a nested dict's
    entries (a metric whose ``result()`` is a dict) flattened into the top level."""
    if logs is None:
        return {}
    if not isinstance(logs, dict):
        raise TypeError(f"{what} must return a dict of logs such as {{'loss': loss}}, got {type(logs).__name__}")
    flat = {}
    for name, value in logs.items():
        if isinstance(value, dict):
            flat.update(value)
        else:
            flat[name] = value
    names, device_values, numbers = [], [], {}
    for name, value in flat.items():
        value = _raw(value)
        if hasattr(value, "result") and callable(value.result):
            value = _raw(value.result())
        if backend.is_array(value):
            if value.size != 1:
                raise ValueError(f"{what}: log {name!r} must be a scalar, got an array of shape {tuple(value.shape)}")
            names.append(name)
            device_values.append(value)
        else:
            try:
                numbers[name] = float(value)
            except (TypeError, ValueError):
                raise TypeError(f"{what}: log {name!r} must be a number or a scalar tensor, "
                                f"got {type(value).__name__}") from None
    floats = dict(zip(names, read_floats(device_values)))
    return {name: floats[name] if name in floats else numbers[name] for name in flat}
