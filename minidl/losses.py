"""Loss objects with Keras's names and reduction: one scalar Tensor per batch.

A loss object computes the per-sample loss with the op in ``minidl.ops.losses`` and reduces
it as Keras's default ``SUM_OVER_BATCH_SIZE`` does::

    loss = sum(per_sample_loss * sample_weight) / number_of_per_sample_losses

(the sample weights scale the terms but do not change the divisor). ``reduction='sum'`` and
``'none'`` are also accepted.

``get`` resolves what ``model.compile(loss=...)`` receives: a Keras name
('binary_crossentropy', 'mse', ...), a Loss object, a Loss class, or any callable
``fn(y_true, y_pred) -> per-sample Tensor`` (wrapped so that it is reduced the same way).
The per-sample functions themselves are importable from here under Keras's names.
"""

import numpy as np

from minidl import custom_objects
from minidl.autograd.tensor import Tensor
from minidl.layers import arguments
from minidl.ops import reductions
from minidl.ops.losses import (
    binary_crossentropy,
    categorical_crossentropy,
    huber,
    mean_absolute_error,
    mean_squared_error,
    sparse_categorical_crossentropy,
)
from minidl.runtime import backend

mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error

_REDUCTIONS = ("auto", "sum_over_batch_size", "sum", "none")


class Loss:
    """Base class: ``loss(y_true, y_pred, sample_weight=None) -> scalar Tensor``."""

    def __init__(self, reduction="auto", name=None):
        if reduction not in _REDUCTIONS:
            raise ValueError(f"{type(self).__name__}: unknown reduction {reduction!r}; expected one of {_REDUCTIONS}")
        self.reduction = reduction
        self.name = name

    def call(self, y_true, y_pred):
        """The loss of every sample (a Tensor with the batch axis first)."""
        raise NotImplementedError(f"{type(self).__name__} must define call(y_true, y_pred)")

    def __call__(self, y_true, y_pred, sample_weight=None):
        per_sample = self.call(y_true, y_pred)
        if not isinstance(per_sample, Tensor):
            raise TypeError(f"{self.name}: the loss function must return a minidl Tensor, got {type(per_sample).__name__}")
        if sample_weight is not None:
            per_sample = per_sample * _weights_like(self.name, sample_weight, per_sample)
        mask = _padding_mask(y_pred, per_sample)
        if mask is not None:
            per_sample = per_sample * _mask_weights(mask, self.reduction, per_sample.dtype)
        if self.reduction == "none":
            return per_sample
        if self.reduction == "sum":
            return reductions.sum(per_sample)
        if sample_weight is None:
            return reductions.mean(per_sample)
        return reductions.sum(per_sample) / per_sample.dtype.type(max(per_sample.size, 1))

    def get_config(self):
        return {"reduction": self.reduction, "name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r}>"


class LossFunctionWrapper(Loss):
    """A per-sample loss function ``fn(y_true, y_pred, **kwargs)`` reduced like a Loss."""

    def __init__(self, fn, reduction="auto", name=None, **kwargs):
        super().__init__(reduction, name or getattr(fn, "__name__", "loss"))
        self.fn = fn
        self.fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        return self.fn(y_true, y_pred, **self.fn_kwargs)

    def get_config(self):
        return {**super().get_config(), **self.fn_kwargs}


class _LastAxisCrossentropy(LossFunctionWrapper):
    """A cross-entropy with Keras's ``axis`` argument (the class axis), which minidl's
    cross-entropies take to be the last: -1, Keras's default and what its files record, is
    accepted; any other axis is refused by name."""

    def __init__(self, fn, axis, reduction, name, **kwargs):
        if isinstance(axis, bool) or axis != -1:
            raise ValueError(f"{_who(self, name)}: axis must be -1 (the classes along the last axis), got {axis!r}")
        super().__init__(fn, reduction, name, **kwargs)
        self.axis = -1

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


class BinaryCrossentropy(_LastAxisCrossentropy):
    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1, reduction="auto", name="binary_crossentropy"):
        from_logits = arguments.boolean(_who(self, name), "from_logits", from_logits)
        super().__init__(_smoothed_binary_crossentropy, axis, reduction, name, from_logits=from_logits,
                         label_smoothing=_smoothing(name, label_smoothing))


class CategoricalCrossentropy(_LastAxisCrossentropy):
    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1, reduction="auto",
                 name="categorical_crossentropy"):
        from_logits = arguments.boolean(_who(self, name), "from_logits", from_logits)
        super().__init__(_smoothed_categorical_crossentropy, axis, reduction, name, from_logits=from_logits,
                         label_smoothing=_smoothing(name, label_smoothing))


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    def __init__(self, from_logits=False, reduction="auto", name="sparse_categorical_crossentropy"):
        from_logits = arguments.boolean(_who(self, name), "from_logits", from_logits)
        super().__init__(sparse_categorical_crossentropy, reduction, name, from_logits=from_logits)


class MeanSquaredError(LossFunctionWrapper):
    def __init__(self, reduction="auto", name="mean_squared_error"):
        super().__init__(mean_squared_error, reduction, name)


class MeanAbsoluteError(LossFunctionWrapper):
    def __init__(self, reduction="auto", name="mean_absolute_error"):
        super().__init__(mean_absolute_error, reduction, name)


class Huber(LossFunctionWrapper):
    def __init__(self, delta=1.0, reduction="auto", name="huber_loss"):
        delta = arguments.number(_who(self, name), "delta", delta, minimum=0, above_minimum=True)
        super().__init__(huber, reduction, name, delta=delta)


def _padding_mask(y_pred, per_sample):
    """The padding mask ``y_pred`` carries (a sequence output after ``mask_zero`` or ``Masking``)
    when it marks the per-sample losses' entries -- one per step -- else None."""
    mask = getattr(y_pred, "mask", None) if isinstance(y_pred, Tensor) else None
    if mask is None:
        return None
    mask = mask.data if isinstance(mask, Tensor) else mask
    return mask if tuple(mask.shape) == per_sample.shape else None


def _mask_weights(mask, reduction, dtype):
    """Keras's weights for a padding mask: padded steps 0; for a mean, every real step
    total / real, so that the mean over all steps is the mean over the real ones
    (sum(loss * mask) / real; 0 when no step is real)."""
    weights = mask.astype(dtype)
    if reduction in ("auto", "sum_over_batch_size"):
        real = float(weights.sum())
        weights = (weights * (weights.size / real if real > 0 else 0.0)).astype(dtype, copy=False)
    return Tensor._from_op(weights)


def _who(loss, name):
    """How an argument error names a loss being constructed: ``'huber_loss (Huber)'``."""
    return f"{name} ({type(loss).__name__})"


def _smoothing(name, value):
    value = float(value)
    if not 0 <= value <= 1:
        raise ValueError(f"{name}: label_smoothing must be in [0, 1], got {value}")
    return value


def _smoothed_binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0):
    """Keras: targets moved toward 0.5, y * (1 - s) + 0.5 s, before the cross-entropy."""
    if label_smoothing:
        y_true = _target_array(y_true) * (1 - label_smoothing) + 0.5 * label_smoothing
    return binary_crossentropy(y_true, y_pred, from_logits=from_logits)


def _smoothed_categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0):
    """Keras: one-hot targets moved toward uniform, y * (1 - s) + s / classes."""
    if label_smoothing:
        target = _target_array(y_true)
        y_true = target * (1 - label_smoothing) + label_smoothing / target.shape[-1]
    return categorical_crossentropy(y_true, y_pred, from_logits=from_logits)


def _target_array(y_true):
    if isinstance(y_true, Tensor):
        return y_true.data
    if backend.is_array(y_true):
        return y_true
    return backend.to_device(np.asarray(y_true, dtype=np.float64))


def _weights_like(name, sample_weight, per_sample):
    """Sample weights as a backend array that broadcasts against the per-sample losses,
    following Keras's squeeze-or-expand rule for a rank difference of one."""
    weights = _target_array(sample_weight)
    if weights.dtype != per_sample.dtype:
        weights = weights.astype(per_sample.dtype)
    shape = per_sample.shape
    if weights.ndim == len(shape) + 1 and weights.shape[-1] == 1:
        weights = weights.reshape(weights.shape[:-1])
    elif weights.ndim == len(shape) - 1:
        weights = weights.reshape(tuple(weights.shape) + (1,))
    try:
        np.broadcast_shapes(tuple(weights.shape), shape)
    except ValueError:
        raise ValueError(
            f"{name}: sample_weight of shape {tuple(weights.shape)} does not match the per-sample losses "
            f"of shape {shape}"
        ) from None
    if weights.ndim > len(shape) or any(w not in (1, s) for w, s in zip(weights.shape, shape)):
        raise ValueError(
            f"{name}: sample_weight of shape {tuple(weights.shape)} does not match the per-sample losses "
            f"of shape {shape}"
        )
    return Tensor._from_op(weights)


_FUNCTIONS = {
    "binary_crossentropy": binary_crossentropy,
    "categorical_crossentropy": categorical_crossentropy,
    "sparse_categorical_crossentropy": sparse_categorical_crossentropy,
    "mean_squared_error": mean_squared_error, "mse": mean_squared_error, "MSE": mean_squared_error,
    "mean_absolute_error": mean_absolute_error, "mae": mean_absolute_error, "MAE": mean_absolute_error,
    "huber": huber, "huber_loss": huber,
}
_CLASSES = {cls.__name__: cls for cls in (
    BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy, MeanSquaredError,
    MeanAbsoluteError, Huber, LossFunctionWrapper)}
_OBJECT_FOR_FUNCTION = {
    binary_crossentropy: BinaryCrossentropy, categorical_crossentropy: CategoricalCrossentropy,
    sparse_categorical_crossentropy: SparseCategoricalCrossentropy, mean_squared_error: MeanSquaredError,
    mean_absolute_error: MeanAbsoluteError, huber: Huber,
}


def get(identifier):
    """A Loss object for a Keras name, a Loss instance or class, a serialized dict, or a callable
    returning per-sample losses. Named losses carry the function's Keras name
    (``get('mse').name == 'mean_squared_error'``, as Keras's compile names it)."""
    if identifier is None:
        return None
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if isinstance(identifier, str):
        fn = _FUNCTIONS.get(identifier)
        if fn is not None:
            return _OBJECT_FOR_FUNCTION[fn](name=fn.__name__)
        if identifier in _CLASSES and identifier != "LossFunctionWrapper":  # Keras: loss="BinaryCrossentropy"
            return _CLASSES[identifier]()
        return _custom_loss(identifier)
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if callable(identifier):
        cls = _OBJECT_FOR_FUNCTION.get(identifier)
        if cls is not None:
            return cls(name=identifier.__name__)
        return LossFunctionWrapper(identifier)
    raise TypeError(
        f"losses.get: could not interpret loss identifier {identifier!r}; expected a name "
        f"({sorted(_FUNCTIONS)}), a Loss, or a function fn(y_true, y_pred) returning per-sample losses"
    )


def _custom_loss(name):
    """A loss a user registered (``register_keras_serializable``) or gave in ``custom_objects``."""
    found = custom_objects.get_registered_object(name, plain_names=True)
    if found is None or isinstance(found, str):
        raise ValueError(f"unknown loss {name!r}; expected one of {sorted(_FUNCTIONS)}, a loss class name such as "
                         "'BinaryCrossentropy', or the name of a loss "
                         "registered with register_keras_serializable or given in custom_objects")
    return get(found)


def serialize(loss):
    """``{'class_name', 'config'}`` for a built-in loss; the function's name for a wrapped
    built-in function; a custom function's ``__name__`` (restore it with custom_objects)."""
    if isinstance(loss, LossFunctionWrapper) and type(loss) is LossFunctionWrapper:
        return getattr(loss.fn, "__name__", loss.name)
    if isinstance(loss, Loss):
        if type(loss).__name__ not in _CLASSES:
            return loss.name
        return {"class_name": type(loss).__name__, "config": loss.get_config()}
    if callable(loss):
        return getattr(loss, "__name__", repr(loss))
    raise TypeError(f"losses.serialize: expected a Loss or a function, got {type(loss).__name__}")


def deserialize(config):
    if isinstance(config, str):
        return get(config)
    cls = _CLASSES.get(config.get("class_name")) if isinstance(config, dict) else None
    if cls is None or cls is LossFunctionWrapper:
        raise ValueError(f"losses.deserialize: unknown loss {config!r}; expected one of {sorted(_CLASSES)}")
    return cls.from_config(config.get("config") or {})


__all__ = [
    "MAE", "MSE", "BinaryCrossentropy", "CategoricalCrossentropy", "Huber", "Loss", "LossFunctionWrapper",
    "MeanAbsoluteError", "MeanSquaredError", "SparseCategoricalCrossentropy", "binary_crossentropy",
    "categorical_crossentropy", "deserialize", "get", "huber", "mae", "mean_absolute_error", "mean_squared_error",
    "mse", "serialize", "sparse_categorical_crossentropy",
]
