"""Loss functions with Keras semantics, as ops returning one loss per sample.

Each returns the loss of every sample (the mean over the last axis, as Keras's loss functions
do); ``minidl.losses`` averages those over the batch. Probabilities are clipped to
[eps, 1 - eps] with eps = 1e-7. When the prediction is the output of ``sigmoid``/``softmax``
(or ``from_logits=True``), the loss is computed from the logits instead: the stable fused form,
whose gradient is simply (probability - target).
"""

import numpy as np

from minidl.autograd.function import Function, xp
from minidl.autograd.tensor import Tensor
from minidl.labels import as_label_indices, check_label_shape, check_label_values
from minidl.ops import activations
from minidl.ops._util import as_tensor, require_float
from minidl.ops.reductions import mean
from minidl.ops.row_reductions import reduce_max, reduce_sum
from minidl.ops.select import select
from minidl.runtime import backend

EPSILON = 1e-7


# -- binary cross-entropy ---------------------------------------------------------------------

class BinaryCrossentropy(Function):
    """-[y log(p + eps) + (1 - y) log(1 - p + eps)] with p clipped, averaged over the last axis."""

    def __init__(self, target):
        self.target = target

    def forward(self, p):
        module = xp()
        self.clipped = module.clip(p, EPSILON, 1 - EPSILON)
        self.inside = (p >= EPSILON) & (p <= 1 - EPSILON)
        y, q = self.target, self.clipped
        loss = -(y * module.log(q + EPSILON) + (1 - y) * module.log(1 - q + EPSILON))
        return loss.mean(axis=-1)

    def backward(self, gy):
        # dL/dp = -(y / (p + eps) - (1 - y) / (1 - p + eps)) / n, zero where p was clipped
        y, q = self.target, self.clipped
        n = q.shape[-1]
        grad = (1 - y) / (1 - q + EPSILON) - y / (q + EPSILON)
        return grad * self.inside * (gy[..., None] / n)


class SigmoidCrossentropyWithLogits(Function):
    """Elementwise max(z, 0) - z y + log(1 + e^-|z|): cross-entropy of sigmoid(z) vs y."""

    def __init__(self, target):
        self.target = target

    def forward(self, z):
        module = xp()
        self.z = z
        return module.maximum(z, 0) - z * self.target + module.log1p(module.exp(-module.abs(z)))

    def backward(self, gy):
        # dL/dz = sigmoid(z) - y
        return gy * (activations.stable_sigmoid(self.z) - self.target)


def sigmoid_cross_entropy_with_logits(labels, logits):
    """TensorFlow's ``tf.nn.sigmoid_cross_entropy_with_logits``: elementwise, no reduction."""
    logits = as_tensor(logits)
    require_float("sigmoid_cross_entropy_with_logits", logits, "logits")
    target = _target_like("sigmoid_cross_entropy_with_logits", labels, logits)
    return SigmoidCrossentropyWithLogits(target)(logits)


def binary_crossentropy(y_true, y_pred, from_logits=False):
    """Keras's binary cross-entropy per sample (mean over the last axis)."""
    y_pred = as_tensor(y_pred)
    require_float("binary_crossentropy", y_pred, "y_pred")
    logits = _logits_of(y_pred, "sigmoid", from_logits)
    if logits is not None:
        target = _target_like("binary_crossentropy", y_true, logits)
        return mean(SigmoidCrossentropyWithLogits(target)(logits), axis=-1)
    target = _target_like("binary_crossentropy", y_true, y_pred)
    return BinaryCrossentropy(target)(y_pred)


# -- categorical cross-entropy ----------------------------------------------------------------

class CategoricalCrossentropy(Function):
    """-sum(y log p) over the last axis, with p renormalised to sum 1 and then clipped."""

    def __init__(self, target):
        self.target = target

    def forward(self, p):
        module = xp()
        self.total = reduce_sum(p, keepdims=True)
        normalised = p / self.total
        self.clipped = module.clip(normalised, EPSILON, 1 - EPSILON)
        self.inside = (normalised >= EPSILON) & (normalised <= 1 - EPSILON)
        return -reduce_sum(self.target * module.log(self.clipped))

    def backward(self, gy):
        # with q = p / sum(p):  dL/dq = -y/q (0 where clipped), and
        # dq_i/dp_j = (delta_ij - q_i) / sum(p)  =>  dL/dp = (g - sum(g q)) / sum(p)
        q = self.clipped
        grad_q = -self.target / q * self.inside
        normalised = q  # equal to p / sum(p) wherever the gradient is non-zero
        grad_p = (grad_q - reduce_sum(grad_q * normalised, keepdims=True)) / self.total
        return grad_p * gy[..., None]


class SoftmaxCrossentropyWithLogits(Function):
    """-sum(y log softmax(z)) over the last axis, computed stably from the logits."""

    def __init__(self, target):
        self.target = target

    def forward(self, z):
        module = xp()
        shifted = z - reduce_max(z, keepdims=True)
        log_probs = shifted - module.log(reduce_sum(module.exp(shifted), keepdims=True))
        self.probs = module.exp(log_probs)
        return -reduce_sum(self.target * log_probs)

    def backward(self, gy):
        # dL/dz = softmax(z) * sum(y) - y   (= softmax(z) - y for a one-hot or normalised y)
        target_mass = reduce_sum(self.target, keepdims=True)
        return (self.probs * target_mass - self.target) * gy[..., None]


class SparseSoftmaxCrossentropyWithLogits(Function):
    """-log softmax(z)[label] per sample, from integer labels."""

    def __init__(self, labels):
        self.labels = labels

    def forward(self, z):
        module = xp()
        shifted = z - reduce_max(z, keepdims=True)
        log_probs = shifted - module.log(reduce_sum(module.exp(shifted), keepdims=True))
        self.probs = module.exp(log_probs)
        return -module.take_along_axis(log_probs, self.labels[..., None], axis=-1)[..., 0]

    def backward(self, gy):
        # dL/dz = softmax(z) - onehot(label)
        module = xp()
        index = self.labels[..., None]
        grad = self.probs.copy()
        module.put_along_axis(grad, index, module.take_along_axis(grad, index, axis=-1) - 1, axis=-1)
        return grad * gy[..., None]


class SparseCategoricalCrossentropy(Function):
    """-log(q[label] / sum(q)) per sample with q = clip(p, eps, 1 - eps), from integer labels.

    Keras clips the probabilities first and then treats log(q) as logits of a softmax, so the
    renormalisation comes after the clipping (categorical_crossentropy does it the other way).
    """

    def __init__(self, labels):
        self.labels = labels

    def forward(self, p):
        module = xp()
        self.clipped = module.clip(p, EPSILON, 1 - EPSILON)
        self.inside = (p >= EPSILON) & (p <= 1 - EPSILON)
        self.total = reduce_sum(self.clipped, keepdims=True)
        chosen = module.take_along_axis(self.clipped, self.labels[..., None], axis=-1)
        return (module.log(self.total) - module.log(chosen))[..., 0]

    def backward(self, gy):
        # L = log(S) - log(q_k), S = sum(q):  dL/dq_j = 1/S - [j = k]/q_k;  dq/dp = [p not clipped]
        module = xp()
        index = self.labels[..., None]
        grad = module.broadcast_to(1 / self.total, self.clipped.shape).copy()
        q_label = module.take_along_axis(self.clipped, index, axis=-1)
        module.put_along_axis(grad, index, 1 / self.total - 1 / q_label, axis=-1)
        return grad * self.inside * gy[..., None]


def softmax_cross_entropy_with_logits(labels, logits, axis=-1):
    """TensorFlow's ``tf.nn.softmax_cross_entropy_with_logits``: one loss per row."""
    logits = as_tensor(logits)
    require_float("softmax_cross_entropy_with_logits", logits, "logits")
    if axis not in (-1, logits.ndim - 1):
        from minidl.ops.shapes import transpose

        order = [a for a in range(logits.ndim) if a != axis % logits.ndim] + [axis % logits.ndim]
        logits = transpose(logits, order)
        labels = np.moveaxis(_host(labels), axis, -1)
    target = _target_like("softmax_cross_entropy_with_logits", labels, logits)
    return SoftmaxCrossentropyWithLogits(target)(logits)


def categorical_crossentropy(y_true, y_pred, from_logits=False):
    """Keras's categorical cross-entropy per sample, from one-hot (or soft) targets."""
    y_pred = as_tensor(y_pred)
    require_float("categorical_crossentropy", y_pred, "y_pred")
    logits = _logits_of(y_pred, "softmax", from_logits)
    source = logits if logits is not None else y_pred
    target = _target_like("categorical_crossentropy", y_true, source)
    if logits is not None:
        return SoftmaxCrossentropyWithLogits(target)(logits)
    return CategoricalCrossentropy(target)(y_pred)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False):
    """Keras's sparse categorical cross-entropy: integer labels of shape (n,) or (n, 1)."""
    y_pred = as_tensor(y_pred)
    require_float("sparse_categorical_crossentropy", y_pred, "y_pred")
    labels = _sparse_labels(y_true, y_pred)
    logits = _logits_of(y_pred, "softmax", from_logits)
    if logits is not None:
        return SparseSoftmaxCrossentropyWithLogits(labels)(logits)
    return SparseCategoricalCrossentropy(labels)(y_pred)


# -- regression losses ------------------------------------------------------------------------

class MeanSquaredError(Function):
    def __init__(self, target):
        self.target = target

    def forward(self, p):
        self.diff = p - self.target
        return (self.diff * self.diff).mean(axis=-1)

    def backward(self, gy):
        # d mean((p - y)^2)/dp = 2 (p - y) / n
        return (2.0 / self.diff.shape[-1]) * self.diff * gy[..., None]


class MeanAbsoluteError(Function):
    def __init__(self, target):
        self.target = target

    def forward(self, p):
        self.diff = p - self.target
        return xp().abs(self.diff).mean(axis=-1)

    def backward(self, gy):
        # d mean|p - y|/dp = sign(p - y) / n
        return xp().sign(self.diff) * (gy[..., None] / self.diff.shape[-1])


class Huber(Function):
    """0.5 d^2 where |d| <= delta, else delta (|d| - 0.5 delta); mean over the last axis."""

    def __init__(self, target, delta):
        self.target, self.delta = target, delta

    def forward(self, p):
        module = xp()
        self.diff = p - self.target
        absolute = module.abs(self.diff)
        quadratic = 0.5 * self.diff * self.diff
        linear = self.delta * (absolute - 0.5 * self.delta)
        return select(absolute <= self.delta, quadratic, linear).mean(axis=-1)

    def backward(self, gy):
        # dL/dp = d inside the band, delta * sign(d) outside; divided by n
        clipped = xp().clip(self.diff, -self.delta, self.delta)
        return clipped * (gy[..., None] / self.diff.shape[-1])


def mean_squared_error(y_true, y_pred):
    y_pred = as_tensor(y_pred)
    require_float("mean_squared_error", y_pred, "y_pred")
    return MeanSquaredError(_target_like("mean_squared_error", y_true, y_pred))(y_pred)


def mean_absolute_error(y_true, y_pred):
    y_pred = as_tensor(y_pred)
    require_float("mean_absolute_error", y_pred, "y_pred")
    return MeanAbsoluteError(_target_like("mean_absolute_error", y_true, y_pred))(y_pred)


def huber(y_true, y_pred, delta=1.0):
    y_pred = as_tensor(y_pred)
    require_float("huber", y_pred, "y_pred")
    return Huber(_target_like("huber", y_true, y_pred), float(delta))(y_pred)


# -- helpers ----------------------------------------------------------------------------------

def _logits_of(y_pred, kind, from_logits):
    """The logits behind ``y_pred``: itself if from_logits, the sigmoid/softmax input if known."""
    if from_logits:
        return y_pred
    remembered = y_pred._logits
    if remembered is not None and remembered[0] == kind:
        return remembered[1]
    return None


def _host(value):
    """Labels as a host NumPy array (an explicit copy when they live on the device)."""
    if isinstance(value, Tensor):
        return value.numpy()
    return backend.to_numpy(value) if backend.is_array(value) else np.asarray(value)


def _target_like(op_name, y_true, y_pred):
    """The target as a backend array of y_pred's dtype and exactly y_pred's shape.

    Keras accepts (n,) targets against an (n, 1) prediction; any other shape difference is an
    error here rather than a silent broadcast.
    """
    if isinstance(y_true, Tensor):
        data = y_true.data
    elif isinstance(y_true, backend.get_xp().ndarray):
        data = y_true
    else:
        data = backend.to_device(np.asarray(y_true))
    if tuple(data.shape) != y_pred.shape:
        if tuple(data.shape) + (1,) == y_pred.shape:
            data = data.reshape(y_pred.shape)
        elif data.shape == y_pred.shape[:-1] + (1,) and y_pred.shape[-1] == 1:
            data = data.reshape(y_pred.shape)
        else:
            raise ValueError(
                f"{op_name}: y_true has shape {tuple(data.shape)} but y_pred has shape {y_pred.shape}; "
                "they must match (an (n,) target is accepted for an (n, 1) prediction)"
            )
    if data.dtype != y_pred.dtype:
        data = data.astype(y_pred.dtype)
    return data


def _sparse_labels(y_true, y_pred):
    """Integer labels of shape y_pred.shape[:-1]; host labels are checked against the classes."""
    who = "sparse_categorical_crossentropy"
    data = y_true.data if isinstance(y_true, Tensor) else y_true
    if isinstance(data, np.ndarray) or not backend.is_array(data):
        # Checked on the host, where it is cheap. Labels already on a device are not checked:
        # that would stall every step (and CuPy would index out of range without a word).
        host = np.asarray(data)
        check_label_shape(host.shape, y_pred.shape, who)
        check_label_values(host, y_pred.shape[-1], who)
        data = backend.to_device(host)
    return as_label_indices(data, y_pred.shape, who)
