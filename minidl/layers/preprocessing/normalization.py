"""``Normalization``: standardise features with a mean and variance learned by ``adapt``.

    y = (x - mean) / max(sqrt(variance), 1e-7)          (invert=True: x * max(...) + mean)

Keras's preprocessing layer: ``layer.adapt(x_train)`` computes the mean and (biased) variance
of every position of the kept axes (``axis``; the last by default: one mean per feature) over
all the other axes, and stores them as non-trainable weights, so a model can take raw
features and saves its normalisation with its weights. The statistics may instead be given as
``mean=`` and ``variance=`` (then the layer has no weights).

``adapt`` reads the data in batches (``adapt_data``) and merges each batch's mean and variance
into the running ones, so a dataset never has to be in memory whole::

    n = n_a + n_b,   mean = mean_a + (mean_b - mean_a) * n_b / n
    var = (n_a * (var_a + (mean_a - mean)^2) + n_b * (var_b + (mean_b - mean)^2)) / n

in float64. The layer is the arithmetic above in differentiable ops, so gradients flow back to
its input (the statistics are constants).
"""

import math

import numpy as np

from minidl.layers import arguments
from minidl.layers.base import Layer
from minidl.layers.call_context import label
from minidl.layers.convolutional import to_layer_dtype
from minidl.layers.input_spec import FEATURES_LAST, InputSpec
from minidl.layers.preprocessing import adapt_data
from minidl.runtime import backend

EPSILON = 1e-7  # Keras's backend.epsilon(): the smallest standard deviation divided by


class Normalization(Layer):
    """Shifts and scales inputs to mean 0 and variance 1 per position of ``axis`` (see the
    module docstring). Output shape = input shape, in the layer's float type.

    Weights (non-trainable, in Keras's order; only when ``mean`` and ``variance`` are not
    given): ``mean`` and ``variance``, shaped like the kept axes (``(features,)`` by default,
    ``()`` for ``axis=None``), and ``count``, an int64 scalar: the number of values per
    position that ``adapt`` saw.

    Arguments:
        axis: the axis or axes that keep a separate mean and variance per index (default the
            last); None for one mean and variance over everything.
        mean, variance: the statistics, given instead of learned (both or neither); scalars
            or arrays broadcast to the kept axes.
        invert: apply the inverse, turning normalised values back into original ones.
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype``, ``input_shape``, ...).

    ``adapt(data, batch_size=None, steps=None)`` learns the statistics from an array, a list,
    a ``tf.data`` dataset, a Sequence or a generator of batches.
    """

    def __init__(self, axis: int | tuple[int, ...] | None = -1, mean: float | np.ndarray | None = None,
                 variance: float | np.ndarray | None = None, invert: bool = False, **kwargs):
        super().__init__(**kwargs)
        if axis is None:
            axes = ()
        elif isinstance(axis, (list, tuple)):
            axes = tuple(axis)
        else:
            axes = (axis,)
        self.axis = tuple(arguments.integer(self, "axis", a) for a in axes)
        self.invert = arguments.boolean(self, "invert", invert)
        if (mean is None) != (variance is None):
            raise ValueError(f"{label(self)}: give mean and variance together (or neither, and call "
                             f"adapt()), got mean={mean!r} and variance={variance!r}")
        self.input_mean = None if mean is None else self._statistic("mean", mean)
        self.input_variance = None if variance is None else self._statistic("variance", variance)
        if self.input_mean is not None:
            if self.input_mean.shape != self.input_variance.shape:
                raise ValueError(f"{label(self)}: mean and variance must have the same shape, got "
                                 f"{self.input_mean.shape} and {self.input_variance.shape}")
            if self.input_mean.ndim > len(self.axis):
                raise ValueError(f"{label(self)}: mean of shape {self.input_mean.shape} has more axes than "
                                 f"axis={self.axis} keeps")
            if np.any(self.input_variance < 0):
                raise ValueError(f"{label(self)}: variance must be >= 0, got {variance!r}")

    def _statistic(self, argument, value):
        array = np.asarray(value.numpy() if hasattr(value, "numpy") else value, dtype=np.float64)
        if not np.all(np.isfinite(array)):
            raise ValueError(f"{label(self)}: {argument} must hold finite numbers, got {value!r}")
        return array

    # -- shapes ------------------------------------------------------------------------------
    def _kept_axes(self, rank):
        kept = []
        for axis in self.axis:
            if not -rank <= axis < rank:
                raise ValueError(f"{label(self)}: axis {axis} is out of range for inputs of rank {rank}")
            kept.append(axis % rank)
        return tuple(sorted(kept))

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        rank = len(input_shape)
        self.kept_axes = self._kept_axes(rank)
        self.reduced_axes = tuple(axis for axis in range(rank) if axis not in self.kept_axes)
        statistics_shape = tuple(input_shape[axis] for axis in self.kept_axes)
        if any(size is None for size in statistics_shape):
            raise ValueError(f"{label(self)}: the kept axes {self.kept_axes} of inputs of shape "
                             f"{input_shape} must have known sizes")
        self.broadcast_shape = tuple(input_shape[axis] if axis in self.kept_axes else 1 for axis in range(rank))
        self.built_shape = input_shape
        if self.input_mean is not None:
            self._check_given_statistics(statistics_shape, input_shape)
        if not self.kept_axes:
            # axis=None: one scalar mean and variance, which broadcast against inputs of any rank
            # (Keras adapts such a layer on a 1-D array, then calls it on (batch, 1) columns).
            self.input_spec = None
        elif self.kept_axes == (rank - 1,) and rank > 1:
            self.input_spec = InputSpec(ndim=rank, axes={-1: input_shape[-1]}, layout=FEATURES_LAST)
        else:
            self.input_spec = InputSpec(ndim=rank, axes={axis: input_shape[axis] for axis in self.kept_axes})
        if self.input_mean is None:
            self.mean = self.add_weight("mean", statistics_shape, "zeros", trainable=False)
            self.variance = self.add_weight("variance", statistics_shape, "ones", trainable=False)
            self.count = self.add_weight("count", (), "zeros", trainable=False, dtype="int64")
        else:
            self.mean = self.variance = self.count = None

    def _check_given_statistics(self, statistics_shape, input_shape):
        """The ``mean``/``variance`` given to the constructor must be one number or one per
        position of the kept axes (they broadcast over nothing else)."""
        given = self.input_mean.shape
        fits = len(given) <= len(statistics_shape) and all(
            g in (1, s) for g, s in zip(given[::-1], statistics_shape[::-1]))
        if not fits:
            raise ValueError(f"{label(self)}: mean and variance of shape {given} do not fit inputs of shape "
                             f"{input_shape}: expected one number or shape {statistics_shape} (the sizes of the "
                             f"kept axes {self.kept_axes})")

    def _statistics(self):
        """(mean, variance) broadcastable against the input, on the device, in the layer's dtype."""
        if self.input_mean is not None:
            mean = _expand_to(self.input_mean, self.kept_axes, self.broadcast_shape)
            variance = _expand_to(self.input_variance, self.kept_axes, self.broadcast_shape)
            return (backend.to_device(mean.astype(self.dtype)), backend.to_device(variance.astype(self.dtype)))
        return self.mean.data.reshape(self.broadcast_shape), self.variance.data.reshape(self.broadcast_shape)

    # -- calling -----------------------------------------------------------------------------
    def call(self, inputs, training=False):
        inputs = to_layer_dtype(self, inputs)
        mean, variance = self._statistics()
        xp = backend.get_xp()
        scale = xp.maximum(xp.sqrt(variance), self.dtype.type(EPSILON))
        if self.invert:
            return inputs * scale + mean
        return (inputs - mean) / scale

    # -- adapting ----------------------------------------------------------------------------
    def adapt(self, data, batch_size=None, steps=None):
        """Compute the mean and variance of ``data`` (see the class docstring)."""
        what = f"{label(self)}.adapt"
        if self.input_mean is not None:
            raise ValueError(f"{what}: the layer was given mean and variance; it has nothing to adapt")
        if adapt_data.is_dataset(data) and _element_rank(data) == 1:
            data = data.batch(128)  # unbatched rows, as Keras does
        mean = variance = None
        count = 0
        for batch in adapt_data.batches(data, what, steps):
            batch = np.asarray(batch, dtype=np.float64)
            if not self.built:
                self.build(batch.shape)
                self.built = True
            self._check_adapt_shape(batch.shape, what)
            reduced_axes = self.reduced_axes if self.kept_axes else tuple(range(batch.ndim))
            batch_count = math.prod(batch.shape[axis] for axis in reduced_axes)
            if batch_count == 0:
                continue
            batch_mean = batch.mean(axis=reduced_axes)
            batch_variance = batch.var(axis=reduced_axes)
            if mean is None:
                mean, variance, count = batch_mean, batch_variance, batch_count
                continue
            total = count + batch_count
            new_mean = mean + (batch_mean - mean) * (batch_count / total)
            variance = (count * (variance + (mean - new_mean) ** 2)
                        + batch_count * (batch_variance + (batch_mean - new_mean) ** 2)) / total
            mean, count = new_mean, total
        if mean is None:
            raise ValueError(f"{what}: the data holds no values")
        self.mean.assign(backend.to_device(mean.astype(self.dtype)))
        self.variance.assign(backend.to_device(variance.astype(self.dtype)))
        self.count.assign(backend.to_device(np.asarray(count, dtype=np.int64)))

    def _check_adapt_shape(self, shape, what):
        if not self.kept_axes:
            return  # axis=None: the statistics are scalars, any shape of data will do
        if len(shape) != len(self.built_shape) or any(
                shape[axis] != self.built_shape[axis] for axis in self.kept_axes):
            raise ValueError(f"{what}: the layer was built for inputs of shape {self.built_shape}, but the data has "
                             f"shape {tuple(shape)} (the kept axes {self.kept_axes} must match)")

    def get_config(self):
        def listed(array):
            return None if array is None else array.tolist()

        return {**super().get_config(), "axis": list(self.axis) if len(self.axis) != 1 else self.axis[0],
                "mean": listed(self.input_mean), "variance": listed(self.input_variance), "invert": self.invert}


def _expand_to(statistic, kept_axes, broadcast_shape):
    """A given mean/variance (a scalar, or shaped like the last kept axes) as ``broadcast_shape``."""
    if statistic.ndim == 0:
        return np.broadcast_to(statistic, broadcast_shape)
    expanded = [1] * len(broadcast_shape)
    for offset in range(1, statistic.ndim + 1):
        expanded[kept_axes[-offset]] = statistic.shape[-offset]
    return np.broadcast_to(statistic.reshape(expanded), broadcast_shape)


def _element_rank(dataset):
    """The rank of the features of a dataset's first element."""
    element = next(iter(dataset), None)
    if element is None:
        return None
    if isinstance(element, tuple) and len(element) in (2, 3):
        element = element[0]
    return getattr(element, "ndim", None)
