"""``Discretization``: continuous values into bucket ids, by boundaries given or learned.

With boundaries ``b_0 < b_1 < ... < b_{k-1}`` a value x goes to bucket i when
``b_{i-1} <= x < b_i`` (bucket 0 below b_0, bucket k from b_{k-1} on), as ``np.digitize``
counts. ``adapt`` learns ``num_bins - 1`` boundaries at the data's quantiles, so each bucket
holds about the same number of values.

The quantiles are Keras's approximate ones, so an adapted layer has Keras's boundaries: each
batch is sorted and thinned to about ``1 / epsilon`` weighted points (every ``step``-th value,
weighing ``step``); summaries are merged and re-thinned to ``1 / epsilon`` points by
interpolating the cumulative weights at the percents ``epsilon, 2 epsilon, ..., 1``; the
boundaries are the summary thinned once more to ``num_bins`` points, less the last (the
maximum). The buckets can then be encoded like categories (``output_mode``).
"""

import numpy as np

from minidl.autograd.tensor import Tensor
from minidl.layers import arguments
from minidl.layers.base import Layer
from minidl.layers.call_context import label
from minidl.layers.preprocessing import adapt_data
from minidl.layers.preprocessing.category_encoding import encode, output_mode_argument, refuse_sparse
from minidl.runtime import backend

OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count")


class Discretization(Layer):
    """Buckets continuous values (see the module docstring). Output: int32 bucket ids of the
    input's shape (``output_mode='int'``), else their one-hot / multi-hot / count encoding over
    ``len(bin_boundaries) + 1`` buckets in the layer's float type. No weights.

    Arguments:
        bin_boundaries: the sorted boundaries, or None to learn them with ``adapt``.
        num_bins: how many buckets ``adapt`` makes (give this or ``bin_boundaries``).
        epsilon: the error tolerance of the approximate quantiles, in (0, 1) (Keras's 0.01).
        output_mode: 'int', 'one_hot', 'multi_hot' or 'count'.
        sparse: must be False (minidl has no sparse tensors).
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype``, ``input_shape``, ...).

    ``adapt(data, steps=None)`` learns the boundaries from an array, a list, a ``tf.data``
    dataset or a generator of batches.
    """

    def __init__(self, bin_boundaries: list[float] | None = None, num_bins: int | None = None, epsilon: float = 0.01,
                 output_mode: str = "int", sparse: bool = False, **kwargs):
        super().__init__(**kwargs)
        caller = label(self)
        if num_bins is not None and bin_boundaries is not None:
            raise ValueError(f"{caller}: give num_bins or bin_boundaries, not both (got num_bins={num_bins!r}, "
                             f"bin_boundaries={bin_boundaries!r})")
        if num_bins is None and bin_boundaries is None:
            raise ValueError(f"{caller}: give num_bins (and call adapt) or bin_boundaries")
        self.num_bins = None if num_bins is None else arguments.positive_int(self, "num_bins", num_bins)
        self.bin_boundaries = None if bin_boundaries is None else _boundaries(bin_boundaries, caller)
        self.epsilon = arguments.number(self, "epsilon", epsilon, minimum=0, maximum=1, above_minimum=True)
        self.output_mode = output_mode_argument(self, output_mode, OUTPUT_MODES)
        self.sparse = refuse_sparse(self, sparse)

    def call(self, inputs, training=False):
        if self.bin_boundaries is None:
            raise ValueError(f"{label(self)}: the layer has no bin boundaries yet; call adapt(data) first "
                             "or pass bin_boundaries=")
        xp = backend.get_xp() if not isinstance(inputs.data, np.ndarray) else np
        # compared in the layer's float type, as TensorFlow compares (float32 boundaries)
        boundaries = xp.asarray(np.asarray(self.bin_boundaries, dtype=self.dtype))
        buckets = xp.searchsorted(boundaries, inputs.data.astype(self.dtype), side="right").astype(np.int32)
        if self.output_mode == "int":
            return Tensor._from_op(buckets)
        depth = len(self.bin_boundaries) + 1
        return Tensor._from_op(encode(buckets, self.output_mode, depth, self.dtype, who=label(self),
                                      check_range=False))

    def adapt(self, data, steps=None):
        """Learn ``num_bins - 1`` boundaries at the approximate quantiles of ``data``."""
        what = f"{label(self)}.adapt"
        if self.num_bins is None:
            raise ValueError(f"{what}: the layer was built with bin_boundaries; give num_bins to adapt it")
        summary = np.zeros((2, 0), dtype=np.float32)
        for batch in adapt_data.batches(data, what, steps):
            values = np.asarray(batch, dtype=np.float32)
            if not np.all(np.isfinite(values)):
                raise ValueError(f"{what}: the data holds NaN or infinite values")
            summary = _merge(summary, _summarize(values, self.epsilon), self.epsilon)
        if summary.shape[1] == 0:
            raise ValueError(f"{what}: the data holds no values")
        self.bin_boundaries = _compress(summary, 1.0 / self.num_bins)[0, :-1].tolist()

    def get_config(self):
        return {**super().get_config(), "bin_boundaries": self.bin_boundaries, "num_bins": self.num_bins,
                "epsilon": self.epsilon, "output_mode": self.output_mode, "sparse": self.sparse}

    @classmethod
    def from_config(cls, config):
        """An adapted layer's config names both its ``num_bins`` and the boundaries learned."""
        config = dict(config)
        learned = config.pop("bin_boundaries", None) if config.get("num_bins") is not None else None
        layer = cls(**config)
        if learned is not None:
            layer.bin_boundaries = _boundaries(learned, label(layer))
        return layer


def _boundaries(values, caller):
    boundaries = np.asarray(values, dtype=np.float64).reshape(-1) if not isinstance(values, str) else None
    if boundaries is None or not np.all(np.isfinite(boundaries)) or np.any(np.diff(boundaries) < 0):
        raise ValueError(f"{caller}: bin_boundaries must be a sorted list of finite numbers, got {values!r}")
    return [float(b) for b in boundaries]


def _summarize(values, epsilon):
    """A batch as weighted points: every ``step``-th sorted value, each weighing ``step``."""
    values = np.sort(values.reshape(-1))
    step = max(values.size * epsilon, 1)
    points = values[int(step - 1)::int(step)]
    return np.stack([points, np.ones_like(points) * step])


def _merge(summary, other, epsilon):
    merged = np.concatenate((summary, other), axis=1)
    merged = merged[:, np.argsort(merged[0])]
    return _compress(merged, epsilon)


def _compress(summary, epsilon):
    """About ``1 / epsilon`` points: the values at the percents epsilon, 2 epsilon, ..., 1 of the
    cumulative weight, each weighing what lies between it and the previous one."""
    if summary.shape[1] * epsilon < 1:
        return summary
    percents = epsilon + np.arange(0.0, 1.0, epsilon)
    cumulative = summary[1].cumsum()
    cumulative_share = cumulative / cumulative[-1]
    values = np.interp(percents, cumulative_share, summary[0])
    cumulative_at = np.interp(percents, cumulative_share, cumulative)
    weights = cumulative_at - np.concatenate(([0.0], cumulative_at[:-1]))
    return np.stack((values, weights)).astype(np.float32)
