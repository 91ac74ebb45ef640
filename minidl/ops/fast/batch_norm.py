"""The fast batch normalisation over the last axis (channels-last, Keras's default):
``FastBatchNormTraining`` and ``FastBatchNormInference``, what ``minidl.ops.batch_norm`` runs by
default for ``axis=-1``.

They must equal the readable forms in ``minidl/ops/reference/batch_norm.py`` (read those first:
the formulas and the derivation of the backward are there) and differ only in how the work is
laid out:

* the input is seen as a (rows, channels) matrix, and every pass over it runs in ranges of whole
  rows on every CPU core (``row_ranges``, ``map_chunks``); a per-channel sum is the ordered sum
  of the ranges' partial sums (``sum_in_order``), so it never depends on which thread ran what;
* training forward makes three passes instead of seven: the sum of x (the mean); x - mean
  written straight into the x_hat buffer while the squares of that range are summed (the
  variance); then x_hat scaled in place and y = x_hat gamma + beta written from it;
* training backward makes two passes instead of about ten: the sums of gy and gy x_hat (which
  are also dL/dbeta and dL/dgamma), then dL/dx range by range;
* inference forward does the readable form's operations in the same order, range by range, so
  its numbers are the same bits.

The batch statistics are sums taken in a different order from NumPy's single reduction, so
training results equal the readable form's up to float rounding (the tests hold them to it).
"""

from minidl.autograd.function import xp
from minidl.ops.fast.column_sums import column_sums
from minidl.ops.reference.batch_norm import BatchNormInference, BatchNormTraining, broadcast_shape, reduction_axes
from minidl.runtime.parallel import largest_chunk, map_chunks, row_ranges, sum_in_order
from minidl.runtime.step_buffers import reusable_empty


def fast_form_applies(x, axis, *operands):
    """The fast forms normalise over the last axis of a non-empty input, writing into buffers of
    its dtype: every other operand (gamma, beta, the fixed statistics) must have that dtype too
    (the readable form would otherwise promote the result), and one value per channel (the
    readable form reports any other shape)."""
    channels = (x.shape[-1],)
    return axis == x.ndim - 1 and x.size > 0 and all(
        operand.dtype == x.dtype and operand.shape == channels for operand in operands)


def _as_rows(array):
    """``array`` (..., channels) as a (rows, channels) matrix (a view when it is contiguous)."""
    return array.reshape(-1, array.shape[-1])


def _column_sums_on_cores(rows, ranges):
    """Per-channel sums of a (rows, channels) matrix: each range summed on a core, the partial
    sums added in range order."""
    return sum_in_order(map_chunks(lambda start, stop, _: column_sums(rows[start:stop]), ranges))


class FastBatchNormTraining(BatchNormTraining):
    """Batch normalisation with the batch's statistics over the last axis, in three passes over
    the input forward and two backward. Must equal ``BatchNormTraining``."""

    def forward(self, x, gamma, beta):
        module = xp()
        x_rows = _as_rows(x)
        count, channels = x_rows.shape
        ranges = row_ranges(count, channels)
        scratch_shape = (largest_chunk(ranges), channels)

        # mean = (1/n) sum x
        mean = _column_sums_on_cores(x_rows, ranges) / count

        x_hat = reusable_empty(x_rows.shape, x.dtype)

        def center(start, stop, scratch):
            """x - mean into x_hat; returns this range's sum of (x - mean)^2."""
            centered = x_hat[start:stop]
            module.subtract(x_rows[start:stop], mean, out=centered)
            square = scratch[:stop - start]
            module.multiply(centered, centered, out=square)
            return column_sums(square)

        # var = (1/n) sum (x - mean)^2
        var = sum_in_order(map_chunks(center, ranges, scratch_shape, x.dtype)) / count
        inv_std = 1.0 / module.sqrt(var + self.epsilon)
        y = reusable_empty(x_rows.shape, x.dtype)

        def normalize(start, stop, _):
            """x_hat = (x - mean) / sqrt(var + epsilon), then y = gamma x_hat + beta."""
            normalized = x_hat[start:stop]
            normalized *= inv_std
            module.multiply(normalized, gamma, out=y[start:stop])
            y[start:stop] += beta

        map_chunks(normalize, ranges)

        shape = broadcast_shape(x.ndim, self.axis, channels)
        self.reduce = reduction_axes(x.ndim, self.axis)
        self.ranges, self.scratch_shape = ranges, scratch_shape
        self.x_hat_rows, self.x_hat = x_hat, x_hat.reshape(x.shape)
        self.inv_std, self.inv_std_row = inv_std.reshape(shape), inv_std
        self.gamma, self.gamma_row = gamma.reshape(shape), gamma
        self.param_shape = gamma.shape
        self.batch_mean, self.batch_var = mean, var
        return y.reshape(x.shape)

    def backward(self, gy):
        module = xp()
        gy_rows, x_hat = _as_rows(gy), self.x_hat_rows
        count = gy_rows.shape[0]

        def partial_sums(start, stop, scratch):
            """This range's sums of gy and of gy x_hat, per channel."""
            product = scratch[:stop - start]
            module.multiply(gy_rows[start:stop], x_hat[start:stop], out=product)
            return column_sums(gy_rows[start:stop]), column_sums(product)

        parts = map_chunks(partial_sums, self.ranges, self.scratch_shape, gy.dtype)
        sum_gy = sum_in_order(part[0] for part in parts)
        sum_gy_x_hat = sum_in_order(part[1] for part in parts)
        grad_x = None
        if self.needs_input_grad[0]:
            # dx = gamma inv_std (gy - mean(gy) - x_hat mean(gy x_hat))
            mean_gy, mean_gy_x_hat = sum_gy / count, sum_gy_x_hat / count
            scale = self.gamma_row * self.inv_std_row
            grad_rows = reusable_empty(gy_rows.shape, gy.dtype)

            def input_gradient(start, stop, scratch):
                grad = grad_rows[start:stop]
                module.subtract(gy_rows[start:stop], mean_gy, out=grad)
                through_variance = scratch[:stop - start]
                module.multiply(x_hat[start:stop], mean_gy_x_hat, out=through_variance)
                grad -= through_variance
                grad *= scale

            map_chunks(input_gradient, self.ranges, self.scratch_shape, gy.dtype)
            grad_x = grad_rows.reshape(gy.shape)
        # dy/dgamma = x_hat and dy/dbeta = 1, summed over the normalised axes
        grad_gamma = sum_gy_x_hat.reshape(self.param_shape) if self.needs_input_grad[1] else None
        grad_beta = sum_gy.reshape(self.param_shape) if self.needs_input_grad[2] else None
        return grad_x, grad_gamma, grad_beta


class FastBatchNormInference(BatchNormInference):
    """Batch normalisation with fixed statistics over the last axis: the readable form's
    operations in the same order, in ranges of rows on every core (the same bits). The backward
    is ``BatchNormInference``'s."""

    def forward(self, x, gamma, beta):
        module = xp()
        x_rows = _as_rows(x)
        count, channels = x_rows.shape
        inv_std = 1.0 / module.sqrt(self.variance + self.epsilon)
        x_hat = reusable_empty(x_rows.shape, x.dtype)
        y = reusable_empty(x_rows.shape, x.dtype)

        def normalize(start, stop, _):
            """x_hat = (x - mean) inv_std, then y = gamma x_hat + beta."""
            normalized = x_hat[start:stop]
            module.subtract(x_rows[start:stop], self.mean, out=normalized)
            normalized *= inv_std
            module.multiply(normalized, gamma, out=y[start:stop])
            y[start:stop] += beta

        map_chunks(normalize, row_ranges(count, channels))
        shape = broadcast_shape(x.ndim, self.axis, channels)
        self.reduce = reduction_axes(x.ndim, self.axis)
        self.inv_std, self.x_hat = inv_std.reshape(shape), x_hat.reshape(x.shape)
        self.gamma, self.param_shape = gamma.reshape(shape), gamma.shape
        return y.reshape(x.shape)
