"""Stateful metrics with Keras's names, accumulated on the device.

A metric is updated once per batch with ``update_state(y_true, y_pred, sample_weight=None)``
and read with ``result()``. Everything stays on the device: the running totals are 0-d backend
arrays, ``update_state`` adds to them without reading anything back, and ``result()`` returns
them as a Tensor, not recorded for backprop, as Keras returns a tensor: a custom training loop's
``acc.result().numpy()``, ``float(acc.result())`` and ``f"{acc.result():.4f}"`` read it (one
transfer each). The Tensor holds the metric's ``dtype``, float64 unless another is given: the
totals are summed in float64 so that ``history`` and ``evaluate`` report the exact mean. The
training loop converts all its logs to Python floats with a single transfer when it needs to
print them -- so a metric never stalls a GPU.

The functions ``keras.metrics.binary_accuracy(y_true, y_pred)``, ``mean_absolute_error`` ...
return a Tensor too, as Keras's do (``keras.metrics.mean_absolute_error(x_valid,
forecast).numpy()``, the time-series lab's line); the loss-like ones are the loss functions
themselves, as in Keras. A metric object computes its per-sample values with the private
functions below them, on raw backend arrays and without building Tensors.

Most metrics are a per-sample value averaged over all samples seen (``MeanMetricWrapper``):
accuracy variants, MSE, MAE. ``AUC``, ``Precision`` and ``Recall`` accumulate confusion counts.

``get(identifier, loss=None)`` resolves what ``compile(metrics=[...])`` receives. As in
TensorFlow 2's Keras, 'accuracy' / 'acc' become binary, categorical or sparse-categorical
accuracy, chosen from the shapes of the first batch (a one-unit output is binary; labels with
one axis fewer than the output, or a last axis of 1 against several units, are sparse), and
a string keeps its own spelling as the metric's name -- the key in ``history``.
"""

import numpy as np

from minidl import custom_objects
from minidl.autograd.tensor import Tensor, as_array
from minidl.labels import check_label_shape, label_shapes
from minidl.layers import arguments
from minidl.ops import losses as loss_ops
from minidl.runtime import backend


def _xp():
    return backend.get_xp()


def _device(value, dtype=None):
    """A Tensor, backend array or host data as a backend array (host data moved explicitly)."""
    if isinstance(value, Tensor):
        value = value.data
    if not backend.is_array(value):
        value = backend.to_device(np.asarray(value))
    if dtype is not None and value.dtype != dtype:
        value = value.astype(dtype)
    return value


def _result(value):
    """A metric's result as Keras gives it: a Tensor over the 0-d (or per-threshold) device
    array, cut off from autograd -- ``.numpy()``, ``float()``, format specs, comparisons and
    arithmetic work on it as on ``tf.Tensor``, and the data is not copied or moved."""
    return Tensor._from_op(value)


def _matched_target(name, y_true, y_pred):
    """Keras's squeeze-or-expand: a target with one axis fewer (or one extra axis of size 1)
    is reshaped to the prediction's shape; any other mismatch is an error."""
    if y_true.shape == y_pred.shape:
        return y_true
    if y_true.ndim == y_pred.ndim - 1 and tuple(y_true.shape) + (1,) == tuple(y_pred.shape):
        return y_true.reshape(y_pred.shape)
    if y_true.ndim == y_pred.ndim + 1 and y_true.shape[-1] == 1 and tuple(y_true.shape[:-1]) == tuple(y_pred.shape):
        return y_true.reshape(y_pred.shape)
    raise ValueError(
        f"{name}: y_true has shape {tuple(y_true.shape)} but y_pred has shape {tuple(y_pred.shape)}; "
        "they must match (an (n,) target is accepted for an (n, 1) prediction)"
    )


class Metric:
    """Base class: ``update_state``, ``result``, ``reset_state``, and a ``name``."""

    def __init__(self, name=None, dtype=None):
        self.name = name or _snake(type(self).__name__)
        self.dtype = np.dtype(dtype or np.float64)

    def update_state(self, y_true, y_pred, sample_weight=None):
        raise NotImplementedError(f"{type(self).__name__} must define update_state()")

    def result(self):
        raise NotImplementedError(f"{type(self).__name__} must define result()")

    def add_variable(self, shape, initializer, dtype=None, aggregation="sum", name=None):
        """A non-trainable state variable (Keras 3's ``Metric.add_variable``): a weight with
        ``assign`` / ``assign_add``, set back to zeros by the default ``reset_state``."""
        from minidl.layers.base import Parameter  # here: minidl.layers imports this module

        shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(int(s) for s in (shape or ()))
        dtype = np.dtype(dtype or self.dtype)
        initializer = "zeros" if initializer is None else initializer
        from minidl import initializers

        values = initializers.get(initializer)(shape, dtype)
        count = len(self.__dict__.get("_state_variables", ()))
        name = name or ("variable" if count == 0 else f"variable_{count}")
        variable = Parameter(backend.to_device(np.asarray(values, dtype=dtype)), f"{self.name}/{name}", trainable=False)
        self.__dict__.setdefault("_state_variables", []).append(variable)
        return variable

    def add_weight(self, shape=(), initializer=None, dtype=None, name=None):
        """Keras 3's ``Metric.add_weight``: ``add_variable`` with a scalar, zero default."""
        return self.add_variable(shape, initializer, dtype=dtype, name=name)

    @property
    def variables(self):
        return list(self.__dict__.get("_state_variables", ()))

    def reset_state(self):
        """Keras 3's default: every variable made by ``add_variable`` / ``add_weight`` back to zeros."""
        if "_state_variables" not in self.__dict__:
            raise NotImplementedError(
                f"{type(self).__name__} must define reset_state(), or create its state with self.add_weight()"
            )
        for variable in self._state_variables:
            variable.assign(_xp().zeros(variable.shape, dtype=variable.data.dtype))

    def reset_states(self):
        """The TF 2.0-2.4 spelling of ``reset_state`` (a method, so subclasses' versions are called)."""
        self.reset_state()

    def __call__(self, *args, **kwargs):
        """Update with one batch and return the running result, as a Keras metric does; the
        arguments are ``update_state``'s (``(y_true, y_pred)``, or ``(values,)`` for ``Mean``)."""
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r}>"


class Mean(Metric):
    """The (weighted) mean of all values seen: ``sum(w * value) / sum(w)``."""

    def __init__(self, name="mean", dtype=None):
        super().__init__(name, dtype)
        self.reset_state()

    def reset_state(self):
        self.total = None  # 0-d device arrays, created on the first update (on the active backend)
        self.count = None

    def update_state(self, values, sample_weight=None):
        self._accumulate(_device(values), sample_weight)

    def _accumulate(self, values, sample_weight):
        values = values.astype(self.dtype) if values.dtype != self.dtype else values
        if sample_weight is None:
            total, count = values.sum(), values.size
        else:
            weights = _device(sample_weight, self.dtype)
            weights = _weights_for(self.name, weights, values)
            total = (values * weights).sum()
            count = _xp().broadcast_to(weights, values.shape).sum()
        if self.total is None:
            xp = _xp()
            self.total = xp.zeros((), dtype=self.dtype)
            self.count = xp.zeros((), dtype=self.dtype)
        self.total += total
        self.count += count

    def result(self):
        """total / count as a 0-d Tensor (0 before any update, like Keras's div_no_nan)."""
        xp = _xp()
        if self.total is None:
            return _result(xp.zeros((), dtype=self.dtype))
        empty = self.count == 0
        return _result(xp.where(empty, 0, self.total / xp.where(empty, 1, self.count)))


class MeanMetricWrapper(Mean):
    """The mean over samples of ``fn(y_true, y_pred)`` (one value per sample, or per element)."""

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        super().__init__(name or fn.__name__, dtype)
        self.fn = fn
        self.fn_kwargs = kwargs

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = _device(y_pred)
        y_true = _device(y_true)
        values = self.fn(y_true, y_pred, **self.fn_kwargs)
        if isinstance(values, Tensor):  # a user's metric written with tensor ops (keras.backend, minidl.tf)
            values = values.data
        self._accumulate(values, sample_weight)

    def get_config(self):
        return {**super().get_config(), **self.fn_kwargs}


def _weights_for(name, weights, values):
    """Sample weights reshaped (Keras's squeeze-or-expand) to broadcast against ``values``."""
    if weights.ndim == values.ndim + 1 and weights.shape[-1] == 1:
        weights = weights.reshape(weights.shape[:-1])
    while weights.ndim < values.ndim:
        weights = weights.reshape(tuple(weights.shape) + (1,))
    if weights.ndim != values.ndim or any(w not in (1, v) for w, v in zip(weights.shape, values.shape)):
        raise ValueError(
            f"{name}: sample_weight of shape {tuple(weights.shape)} does not fit values of shape {tuple(values.shape)}"
        )
    return weights


# -- per-sample functions (raw backend arrays in, per-sample float arrays out) ------------------
# What the metric objects average, batch after batch: no Tensors, no graph. The public functions
# of the same names (further down) wrap them for user code.

def _accuracy(y_true, y_pred):
    """1 where prediction equals target exactly (element-wise), else 0."""
    y_true = _matched_target("accuracy", y_true, y_pred)
    if y_pred.dtype != y_true.dtype:
        y_pred = y_pred.astype(y_true.dtype)
    return (y_true == y_pred).astype(np.float32)


def _binary_accuracy(y_true, y_pred, threshold=0.5):
    """Mean over the last axis of [target == (prediction > threshold)]."""
    y_true = _matched_target("binary_accuracy", y_true, y_pred)
    predicted = (y_pred > threshold).astype(y_pred.dtype)
    return (y_true == predicted).astype(np.float32).mean(axis=-1)


def _categorical_accuracy(y_true, y_pred):
    """[argmax of the one-hot target == argmax of the prediction] per sample."""
    if tuple(y_true.shape) != tuple(y_pred.shape):
        raise ValueError(
            f"categorical_accuracy: one-hot y_true of shape {tuple(y_true.shape)} does not match y_pred of shape "
            f"{tuple(y_pred.shape)} (for integer labels use sparse_categorical_accuracy)"
        )
    return (y_true.argmax(axis=-1) == y_pred.argmax(axis=-1)).astype(np.float32)


def _sparse_categorical_accuracy(y_true, y_pred):
    """[integer label == argmax of the prediction] per sample; labels (n,) or (n, 1)."""
    y_true = _sparse_rows(y_true, y_pred, "sparse_categorical_accuracy")
    predicted = y_pred.argmax(axis=-1).astype(y_true.dtype)
    return (y_true == predicted).astype(np.float32)


def _top_k_categorical_accuracy(y_true, y_pred, k=5):
    """[the target's class is among the k highest predictions] per sample (one-hot targets)."""
    return _in_top_k(y_true.argmax(axis=-1), y_pred, k)


def _sparse_top_k_categorical_accuracy(y_true, y_pred, k=5):
    """[the integer label is among the k highest predictions] per sample; labels (n,) or (n, 1)."""
    y_true = _sparse_rows(y_true, y_pred, "sparse_top_k_categorical_accuracy")
    return _in_top_k(y_true.astype(np.int64), y_pred, k)


def _sparse_rows(y_true, y_pred, who):
    """Sparse labels checked against the predictions' shape and reshaped to their rows."""
    check_label_shape(y_true.shape, y_pred.shape, who)
    return y_true.reshape(label_shapes(y_pred.shape)[0])


def _in_top_k(labels, y_pred, k):
    xp = _xp()
    target_score = xp.take_along_axis(y_pred, labels.reshape(tuple(labels.shape) + (1,)), axis=-1)
    higher = (y_pred > target_score).sum(axis=-1)  # ties count in the target's favour, as tf.math.in_top_k
    return (higher < k).astype(np.float32)


def _mean_squared_error(y_true, y_pred):
    y_true = _matched_target("mean_squared_error", y_true, y_pred)
    diff = y_pred - y_true.astype(y_pred.dtype)
    return (diff * diff).mean(axis=-1)


def _mean_absolute_error(y_true, y_pred):
    y_true = _matched_target("mean_absolute_error", y_true, y_pred)
    return _xp().abs(y_pred - y_true.astype(y_pred.dtype)).mean(axis=-1)


def _mean_absolute_percentage_error(y_true, y_pred):
    y_true = _matched_target("mean_absolute_percentage_error", y_true, y_pred).astype(y_pred.dtype)
    xp = _xp()
    denominator = xp.maximum(xp.abs(y_true), 1e-7)
    return 100.0 * (xp.abs(y_true - y_pred) / denominator).mean(axis=-1)


def _binary_crossentropy(y_true, y_pred):
    """Per-sample binary cross-entropy of probabilities (Keras's clip at 1e-7), no graph."""
    y_true = _matched_target("binary_crossentropy", y_true, y_pred).astype(y_pred.dtype)
    xp, eps = _xp(), 1e-7
    p = xp.clip(y_pred, eps, 1 - eps)
    return -(y_true * xp.log(p + eps) + (1 - y_true) * xp.log(1 - p + eps)).mean(axis=-1)


def _loss_values(loss_name, y_true, y_pred, **kwargs):
    """The per-sample values of the loss ``minidl.losses.<loss_name>`` (logits, label smoothing),
    computed without a graph: Keras's cross-entropy metrics are their losses, averaged."""
    from minidl import losses
    from minidl.autograd import no_grad

    with no_grad():
        return getattr(losses, loss_name)(y_true, Tensor(y_pred), **kwargs).data


def crossentropy_values(y_true, y_pred, kind="binary", from_logits=False, label_smoothing=0.0):
    """Per-sample cross-entropy of the loss of that ``kind`` ('binary', 'categorical', 'sparse').

    The plain binary case keeps the metric's own formula (``binary_crossentropy`` above);
    the others reuse the loss's readable op, so metric and loss agree."""
    if kind == "sparse":
        return _loss_values("sparse_categorical_crossentropy", y_true, y_pred, from_logits=from_logits)
    if kind == "binary" and not from_logits and not label_smoothing:
        return _binary_crossentropy(y_true, y_pred)
    loss_name = "_smoothed_binary_crossentropy" if kind == "binary" else "_smoothed_categorical_crossentropy"
    return _loss_values(loss_name, y_true, y_pred, from_logits=from_logits, label_smoothing=label_smoothing)


def _categorical_crossentropy(y_true, y_pred):
    """Per-sample categorical cross-entropy of probabilities and one-hot targets."""
    return crossentropy_values(y_true, y_pred, "categorical")


def _sparse_categorical_crossentropy(y_true, y_pred):
    """Per-sample cross-entropy of probabilities and integer labels."""
    return crossentropy_values(y_true, y_pred, "sparse")


# -- Keras's metric functions, for user code ----------------------------------------------------
# ``keras.metrics.mean_absolute_error(x_valid, forecast).numpy()``: called directly, Keras's metric
# functions take tensors, arrays or lists and return a Tensor of per-sample values. The loss-like
# ones *are* Keras's loss functions (``keras.metrics.mse is keras.losses.mse``): minidl's loss ops,
# which are differentiated too. The others wrap the per-sample functions above. ``get`` maps each
# public function back to its per-sample twin, so ``metrics=[keras.metrics.binary_accuracy]``
# trains exactly as ``metrics=['binary_accuracy']``.

mean_squared_error = loss_ops.mean_squared_error
mean_absolute_error = loss_ops.mean_absolute_error
binary_crossentropy = loss_ops.binary_crossentropy
categorical_crossentropy = loss_ops.categorical_crossentropy
sparse_categorical_crossentropy = loss_ops.sparse_categorical_crossentropy


def _per_sample_tensor(fn, y_true, y_pred, **kwargs):
    """``fn`` (a per-sample function above) on any tensor-like inputs, as a Tensor without a graph."""
    return Tensor._from_op(fn(as_array(y_true), as_array(y_pred), **kwargs))


def accuracy(y_true, y_pred):
    """1.0 where prediction equals target exactly (element-wise), else 0.0, as a float32 Tensor."""
    return _per_sample_tensor(_accuracy, y_true, y_pred)


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """Per sample, the mean over the last axis of [target == (prediction > threshold)] (float32 Tensor)."""
    return _per_sample_tensor(_binary_accuracy, y_true, y_pred, threshold=threshold)


def categorical_accuracy(y_true, y_pred):
    """Per sample, [argmax of the one-hot target == argmax of the prediction] (float32 Tensor)."""
    return _per_sample_tensor(_categorical_accuracy, y_true, y_pred)


def sparse_categorical_accuracy(y_true, y_pred):
    """Per sample, [integer label == argmax of the prediction] (float32 Tensor); labels (n,) or (n, 1)."""
    return _per_sample_tensor(_sparse_categorical_accuracy, y_true, y_pred)


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """Per sample, [the one-hot target's class is among the k highest predictions] (float32 Tensor)."""
    return _per_sample_tensor(_top_k_categorical_accuracy, y_true, y_pred, k=k)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5):
    """Per sample, [the integer label is among the k highest predictions] (float32 Tensor)."""
    return _per_sample_tensor(_sparse_top_k_categorical_accuracy, y_true, y_pred, k=k)


def mean_absolute_percentage_error(y_true, y_pred):
    """Per sample, 100 * mean(|y_true - y_pred| / max(|y_true|, 1e-7)) over the last axis, as a
    Tensor of the prediction's dtype (not differentiated: minidl has no such loss)."""
    return _per_sample_tensor(_mean_absolute_percentage_error, y_true, y_pred)


mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error

_PER_SAMPLE = {  # public function -> the per-sample function a metric object averages
    accuracy: _accuracy, binary_accuracy: _binary_accuracy, categorical_accuracy: _categorical_accuracy,
    sparse_categorical_accuracy: _sparse_categorical_accuracy, top_k_categorical_accuracy: _top_k_categorical_accuracy,
    sparse_top_k_categorical_accuracy: _sparse_top_k_categorical_accuracy, mean_squared_error: _mean_squared_error,
    mean_absolute_error: _mean_absolute_error, mean_absolute_percentage_error: _mean_absolute_percentage_error,
    binary_crossentropy: _binary_crossentropy, categorical_crossentropy: _categorical_crossentropy,
    sparse_categorical_crossentropy: _sparse_categorical_crossentropy,
}


# -- metric classes -----------------------------------------------------------------------------

class Accuracy(MeanMetricWrapper):
    def __init__(self, name="accuracy", dtype=None):
        super().__init__(_accuracy, name, dtype)


class BinaryAccuracy(MeanMetricWrapper):
    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        threshold = arguments.number(f"{name} ({type(self).__name__})", "threshold", threshold)
        super().__init__(_binary_accuracy, name, dtype, threshold=threshold)


class CategoricalAccuracy(MeanMetricWrapper):
    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(_categorical_accuracy, name, dtype)


class SparseCategoricalAccuracy(MeanMetricWrapper):
    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(_sparse_categorical_accuracy, name, dtype)


class TopKCategoricalAccuracy(MeanMetricWrapper):
    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        k = arguments.positive_int(f"{name} ({type(self).__name__})", "k", k)
        super().__init__(_top_k_categorical_accuracy, name, dtype, k=k)


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None):
        k = arguments.positive_int(f"{name} ({type(self).__name__})", "k", k)
        super().__init__(_sparse_top_k_categorical_accuracy, name, dtype, k=k)


class MeanSquaredError(MeanMetricWrapper):
    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(_mean_squared_error, name, dtype)


class RootMeanSquaredError(Mean):
    """sqrt of the (weighted) mean of (y_pred - y_true)^2 over every element seen -- the square
    root of the whole run's mean, not a mean of per-batch roots (Keras's RootMeanSquaredError)."""

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name, dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = _device(y_pred)
        y_true = _matched_target(self.name, _device(y_true), y_pred)
        error = y_pred - y_true
        self._accumulate(error * error, sample_weight)

    def result(self):
        return _result(_xp().sqrt(super().result().data))


class MeanAbsoluteError(MeanMetricWrapper):
    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(_mean_absolute_error, name, dtype)


class MeanAbsolutePercentageError(MeanMetricWrapper):
    def __init__(self, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(_mean_absolute_percentage_error, name, dtype)


class BinaryCrossentropy(MeanMetricWrapper):
    """The mean binary cross-entropy, of probabilities or (``from_logits=True``) of logits."""

    def __init__(self, name="binary_crossentropy", dtype=None, from_logits=False, label_smoothing=0.0):
        super().__init__(crossentropy_values, name, dtype, kind="binary",
                         **_crossentropy_options(self, name, from_logits, label_smoothing))

    def get_config(self):
        return _without_kind(super().get_config())


class CategoricalCrossentropy(MeanMetricWrapper):
    """The mean categorical cross-entropy of one-hot targets (``from_logits`` as the loss)."""

    def __init__(self, name="categorical_crossentropy", dtype=None, from_logits=False, label_smoothing=0.0,
                 axis=-1):
        _last_axis_only(self, name, axis)
        super().__init__(crossentropy_values, name, dtype, kind="categorical",
                         **_crossentropy_options(self, name, from_logits, label_smoothing))

    def get_config(self):
        return _without_kind(super().get_config())


class SparseCategoricalCrossentropy(MeanMetricWrapper):
    """The mean cross-entropy of integer labels (``from_logits`` as the loss)."""

    def __init__(self, name="sparse_categorical_crossentropy", dtype=None, from_logits=False, ignore_class=None,
                 axis=-1):
        _last_axis_only(self, name, axis)
        if ignore_class is not None:
            raise ValueError(f"{name} ({type(self).__name__}): ignore_class={ignore_class!r} is not supported "
                             "(expected None); drop those samples, or give them sample_weight 0")
        options = _crossentropy_options(self, name, from_logits, 0.0)
        super().__init__(crossentropy_values, name, dtype, kind="sparse", from_logits=options["from_logits"])

    def get_config(self):
        return _without_kind(super().get_config())


def _crossentropy_options(metric, name, from_logits, label_smoothing):
    who = f"{name} ({type(metric).__name__})"
    label_smoothing = arguments.number(who, "label_smoothing", label_smoothing, minimum=0, maximum=1)
    return {"from_logits": arguments.boolean(who, "from_logits", from_logits), "label_smoothing": label_smoothing}


def _last_axis_only(metric, name, axis):
    if axis != -1:
        raise ValueError(f"{name} ({type(metric).__name__}): axis={axis!r} is not supported (expected -1, the "
                         "class axis last); move the class axis last with np.moveaxis")


def _without_kind(config):
    return {key: value for key, value in config.items() if key != "kind"}


class AutoAccuracy(Metric):
    """What Keras 2 makes of ``metrics=['accuracy']``: binary, categorical or sparse-categorical
    accuracy, decided from the shapes of the first batch (TensorFlow 2's compile_utils rule)."""

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(name, dtype)
        self.resolved = None

    def _resolve(self, y_true, y_pred):
        if y_pred.shape[-1] == 1:
            return BinaryAccuracy(self.name, self.dtype)
        sparse = y_true.ndim < y_pred.ndim or (y_true.shape[-1] == 1 and y_pred.shape[-1] > 1)
        if sparse:
            return SparseCategoricalAccuracy(self.name, self.dtype)
        return CategoricalAccuracy(self.name, self.dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = _device(y_true), _device(y_pred)
        if self.resolved is None:
            self.resolved = self._resolve(y_true, y_pred)
        self.resolved.update_state(y_true, y_pred, sample_weight)

    def result(self):
        if self.resolved is None:
            return _result(_xp().zeros((), dtype=self.dtype))
        return self.resolved.result()

    def reset_state(self):
        if self.resolved is not None:
            self.resolved.reset_state()


class _ConfusionMetric(Metric):
    """Weighted true/false positive/negative counts at one or more thresholds (on the device).

    A prediction is positive when it is strictly greater than the threshold; a label is
    positive when it is non-zero (Keras's ``update_confusion_matrix_variables``).
    """

    def __init__(self, thresholds, name, dtype, in_unit_interval=True):
        super().__init__(name or _unique_name(_snake(type(self).__name__)), dtype)
        bounds = (0, 1) if in_unit_interval else (None, None)  # AUC adds -1e-7 and 1 + 1e-7 itself
        self.thresholds = [arguments.number(f"{self.name} ({type(self).__name__})", "thresholds", t, *bounds)
                           for t in (thresholds.tolist() if isinstance(thresholds, np.ndarray) else thresholds)]
        self.reset_state()

    def reset_state(self):
        self.counts = None  # {'tp','fp','tn','fn'} -> device arrays of shape (thresholds,)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = _device(y_pred)
        y_true = _matched_target(self.name, _device(y_true), y_pred)
        xp = _xp()
        if self.counts is None:
            self.counts = {key: xp.zeros(len(self.thresholds), dtype=self.dtype) for key in ("tp", "fp", "tn", "fn")}
            self._threshold_array = backend.to_device(np.asarray(self.thresholds, dtype=y_pred.dtype))
        predictions = y_pred.reshape(1, -1)
        positive_label = (y_true != 0).reshape(1, -1)
        if sample_weight is None:
            weights = xp.ones(predictions.shape, dtype=self.dtype)
        else:
            weights = _weights_for(self.name, _device(sample_weight, self.dtype), y_pred)
            weights = xp.broadcast_to(weights, y_pred.shape).reshape(1, -1)
        predicted_positive = predictions > self._threshold_array.reshape(-1, 1)  # (thresholds, samples)
        self.counts["tp"] += (weights * (predicted_positive & positive_label)).sum(axis=1)
        self.counts["fp"] += (weights * (predicted_positive & ~positive_label)).sum(axis=1)
        self.counts["fn"] += (weights * (~predicted_positive & positive_label)).sum(axis=1)
        self.counts["tn"] += (weights * (~predicted_positive & ~positive_label)).sum(axis=1)

    def _count(self, key):
        if self.counts is None:
            return _xp().zeros(len(self.thresholds), dtype=self.dtype)
        return self.counts[key]


def _one_or_per_threshold(value, threshold_argument):
    """A scalar for the default or a single threshold, else one value per threshold (Keras)."""
    return value[0:1].reshape(()) if threshold_argument is None or np.ndim(threshold_argument) == 0 else value


def _divide_no_nan(numerator, denominator):
    xp = _xp()
    empty = denominator == 0
    return xp.where(empty, 0, numerator / xp.where(empty, 1, denominator))


class Precision(_ConfusionMetric):
    """tp / (tp + fp) with predictions above ``thresholds`` (default 0.5) counted positive."""

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__([0.5] if thresholds is None else np.atleast_1d(thresholds), name, dtype)
        self.threshold_argument = thresholds

    def result(self):
        value = _divide_no_nan(self._count("tp"), self._count("tp") + self._count("fp"))
        return _result(_one_or_per_threshold(value, self.threshold_argument))

    def get_config(self):
        return {**super().get_config(), "thresholds": self.threshold_argument}


class Recall(_ConfusionMetric):
    """tp / (tp + fn) with predictions above ``thresholds`` (default 0.5) counted positive."""

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__([0.5] if thresholds is None else np.atleast_1d(thresholds), name, dtype)
        self.threshold_argument = thresholds

    def result(self):
        value = _divide_no_nan(self._count("tp"), self._count("tp") + self._count("fn"))
        return _result(_one_or_per_threshold(value, self.threshold_argument))

    def get_config(self):
        return {**super().get_config(), "thresholds": self.threshold_argument}


class _ConfusionCount(_ConfusionMetric):
    """One weighted count (``key``: 'tp', 'fp', 'tn' or 'fn') with predictions above
    ``thresholds`` (default 0.5) counted positive; a scalar for one threshold, else one per
    threshold (Keras's ``TruePositives`` and its three siblings)."""

    key = None

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__([0.5] if thresholds is None else np.atleast_1d(thresholds), name, dtype)
        self.threshold_argument = thresholds

    def result(self):
        value = self._count(self.key)
        return _result(_one_or_per_threshold(value, self.threshold_argument))

    def get_config(self):
        return {**super().get_config(), "thresholds": self.threshold_argument}


class TruePositives(_ConfusionCount):
    key = "tp"


class FalsePositives(_ConfusionCount):
    key = "fp"


class TrueNegatives(_ConfusionCount):
    key = "tn"


class FalseNegatives(_ConfusionCount):
    key = "fn"


class AUC(_ConfusionMetric):
    """Area under the ROC (or PR) curve from confusion counts at ``num_thresholds`` thresholds,
    as Keras computes it: thresholds evenly spaced in (0, 1) plus -1e-7 and 1 + 1e-7, and the
    'interpolation' rule (trapezoids for ROC; Davis & Goadrich interpolation for PR)."""

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation", name=None,
                 dtype=None, thresholds=None):
        curve = curve.upper()
        if curve not in ("ROC", "PR"):
            raise ValueError(f"AUC: curve must be 'ROC' or 'PR', got {curve!r}")
        if summation_method not in ("interpolation", "minoring", "majoring"):
            raise ValueError(
                f"AUC: summation_method must be 'interpolation', 'minoring' or 'majoring', got {summation_method!r}"
            )
        if thresholds is None:
            if num_thresholds <= 1:
                raise ValueError(f"AUC: num_thresholds must be > 1, got {num_thresholds}")
            inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        else:
            inner = sorted(arguments.number("AUC", "thresholds", t, 0, 1) for t in thresholds)
        self.num_thresholds = len(inner) + 2
        self.curve = curve
        self.summation_method = summation_method
        self.threshold_argument = None if thresholds is None else list(inner)
        super().__init__([-1e-7] + inner + [1 + 1e-7], name, dtype, in_unit_interval=False)

    def result(self):
        tp, fp, tn, fn = (self._count(key) for key in ("tp", "fp", "tn", "fn"))
        if self.curve == "PR" and self.summation_method == "interpolation":
            return _result(self._interpolated_pr_auc(tp, fp, fn))
        recall = _divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x, y = _divide_no_nan(fp, fp + tn), recall
        else:
            x, y = recall, _divide_no_nan(tp, tp + fp)
        xp = _xp()
        if self.summation_method == "interpolation":
            heights = (y[:-1] + y[1:]) / 2
        elif self.summation_method == "minoring":
            heights = xp.minimum(y[:-1], y[1:])
        else:
            heights = xp.maximum(y[:-1], y[1:])
        return _result(_xp().asarray(((x[:-1] - x[1:]) * heights).sum()).reshape(()))

    @staticmethod
    def _interpolated_pr_auc(tp, fp, fn):
        """Keras's ``interpolate_pr_auc`` (Davis & Goadrich 2006): precision interpolated
        between thresholds along the line through the true-positive counts."""
        xp = _xp()
        dtp = tp[:-1] - tp[1:]
        p = tp + fp
        dp = p[:-1] - p[1:]
        prec_slope = _divide_no_nan(dtp, xp.maximum(dp, 0))
        intercept = tp[1:] - prec_slope * p[1:]
        safe_p_ratio = xp.where(
            (p[:-1] > 0) & (p[1:] > 0), _divide_no_nan(p[:-1], xp.maximum(p[1:], 0)), xp.ones_like(p[1:])
        )
        log_ratio = xp.log(xp.maximum(safe_p_ratio, 1e-300))
        summation = _divide_no_nan(
            prec_slope * (dtp + intercept * log_ratio), xp.maximum(tp[1:] + fn[1:], 0)
        )
        return xp.asarray(summation.sum()).reshape(())

    def get_config(self):
        return {**super().get_config(), "num_thresholds": self.num_thresholds, "curve": self.curve,
                "summation_method": self.summation_method, "thresholds": self.threshold_argument}


def _snake(class_name):
    from minidl.layers.base import snake_case

    return snake_case(class_name)


def _unique_name(base):
    """Keras 2 names metrics created without a name like layers: 'auc', then 'auc_1', ..."""
    from minidl.layers.base import unique_name

    return unique_name(base)


# -- resolution -----------------------------------------------------------------------------------

_FUNCTIONS = {
    "binary_accuracy": _binary_accuracy, "categorical_accuracy": _categorical_accuracy,
    "sparse_categorical_accuracy": _sparse_categorical_accuracy,
    "top_k_categorical_accuracy": _top_k_categorical_accuracy,
    "sparse_top_k_categorical_accuracy": _sparse_top_k_categorical_accuracy,
    "mean_squared_error": _mean_squared_error, "mse": _mean_squared_error, "MSE": _mean_squared_error,
    "mean_absolute_error": _mean_absolute_error, "mae": _mean_absolute_error, "MAE": _mean_absolute_error,
    "mean_absolute_percentage_error": _mean_absolute_percentage_error, "mape": _mean_absolute_percentage_error,
    "MAPE": _mean_absolute_percentage_error, "binary_crossentropy": _binary_crossentropy,
    "categorical_crossentropy": _categorical_crossentropy, "sparse_categorical_crossentropy": _sparse_categorical_crossentropy,
}
_CLASSES = {cls.__name__: cls for cls in (
    Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy, TopKCategoricalAccuracy,
    SparseTopKCategoricalAccuracy, MeanSquaredError, RootMeanSquaredError, MeanAbsoluteError,
    MeanAbsolutePercentageError,
    BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy, Mean, AUC, Precision, Recall,
    TruePositives, FalsePositives, TrueNegatives, FalseNegatives, AutoAccuracy)}
_CLASS_NAMES = {"auc": AUC, "precision": Precision, "recall": Recall}


def get(identifier, loss=None):
    """A Metric for ``identifier``: a name (its spelling becomes the metric's name, the key
    Keras puts in history), a Metric instance (returned as is), a Metric class, a serialized
    dict, or a per-sample function ``fn(y_true, y_pred)`` on backend arrays (Keras's own,
    ``keras.metrics.binary_accuracy``, runs as the per-sample function of that name).

    ``loss`` is accepted for compatibility with Keras 1, which chose the accuracy variant from
    the loss; like TensorFlow 2's Keras, 'accuracy' is resolved from the first batch's shapes.
    """
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        if identifier in ("accuracy", "acc"):
            return AutoAccuracy(name=identifier)
        if identifier in _CLASS_NAMES:
            return _CLASS_NAMES[identifier](name=identifier)
        if identifier in _CLASSES and identifier != "AutoAccuracy":  # Keras: metrics=["AUC", "BinaryAccuracy"]
            return _CLASSES[identifier]()
        fn = _FUNCTIONS.get(identifier)
        if fn is None:
            return _custom_metric(identifier)
        return MeanMetricWrapper(fn, name=identifier)
    if callable(identifier):  # Keras's own functions run as their per-sample twins (_PER_SAMPLE)
        try:
            fn = _PER_SAMPLE.get(identifier, identifier)
        except TypeError:  # an unhashable callable object: a user's own
            fn = identifier
        return MeanMetricWrapper(fn, name=getattr(identifier, "__name__", "metric"))
    raise TypeError(
        f"metrics.get: could not interpret metric identifier {identifier!r}; expected a name, a Metric, "
        "or a function fn(y_true, y_pred)"
    )


def _custom_metric(name):
    """A metric a user registered (``register_keras_serializable``) or gave in ``custom_objects``."""
    found = custom_objects.get_registered_object(name, plain_names=True)
    if found is None or isinstance(found, str):
        valid = sorted(set(_FUNCTIONS) | set(_CLASS_NAMES) | {"accuracy", "acc"})
        raise ValueError(f"unknown metric {name!r}; expected one of {valid}, a metric class name such as 'AUC' or "
                         "'BinaryAccuracy', or the name of a metric registered with register_keras_serializable or "
                         "given in custom_objects")
    return get(found)


def serialize(metric):
    """A string for named metrics (so that the history key survives), else a class config."""
    if isinstance(metric, (AutoAccuracy,)) or (type(metric) is MeanMetricWrapper and metric.fn in _FUNCTIONS.values()):
        return metric.name
    if isinstance(metric, Metric) and type(metric).__name__ in _CLASSES:
        return {"class_name": type(metric).__name__, "config": metric.get_config()}
    if isinstance(metric, Metric):
        return metric.name
    if callable(metric):
        return getattr(metric, "__name__", repr(metric))
    raise TypeError(f"metrics.serialize: expected a Metric or a function, got {type(metric).__name__}")


def deserialize(config):
    if isinstance(config, str):
        return get(config)
    cls = _CLASSES.get(config.get("class_name")) if isinstance(config, dict) else None
    if cls is None:
        raise ValueError(f"metrics.deserialize: unknown metric {config!r}; expected one of {sorted(_CLASSES)}")
    return cls.from_config(config.get("config") or {})


__all__ = [
    "AUC", "Accuracy", "AutoAccuracy", "BinaryAccuracy", "BinaryCrossentropy", "CategoricalAccuracy",
    "CategoricalCrossentropy", "SparseCategoricalCrossentropy", "binary_crossentropy", "categorical_crossentropy",
    "sparse_categorical_crossentropy", "Mean",
    "MeanAbsoluteError", "MeanAbsolutePercentageError", "MeanMetricWrapper", "MeanSquaredError", "Metric",
    "RootMeanSquaredError",
    "FalseNegatives", "FalsePositives", "Precision", "Recall", "TrueNegatives", "TruePositives", "SparseCategoricalAccuracy", "SparseTopKCategoricalAccuracy", "TopKCategoricalAccuracy",
    "accuracy", "binary_accuracy", "categorical_accuracy", "deserialize", "get", "mae", "mape",
    "mean_absolute_error", "mean_absolute_percentage_error", "mean_squared_error", "mse", "serialize",
    "sparse_categorical_accuracy", "sparse_top_k_categorical_accuracy", "top_k_categorical_accuracy",
]
