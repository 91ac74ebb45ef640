"""Activation functions, each with its derivative written in terms of its output or input.

``sigmoid`` and ``softmax`` remember the logits they were applied to (``Tensor._logits``):
the cross-entropy losses then compute from the logits directly -- stable and exact -- when a
sigmoid or softmax output feeds them, as Keras does.
"""

from minidl import custom_objects
from minidl.autograd.function import Function, xp
from minidl.ops._util import as_tensor, require_float
from minidl.ops.arguments import normalize_axis
from minidl.ops.fast.leaky_relu import FastLeakyReLU, fast_form_applies
from minidl.ops.forms import reference_forms_active
from minidl.ops.row_reductions import reduce_max, reduce_sum
from minidl.ops.select import select

SELU_ALPHA = 1.6732632423543772
SELU_SCALE = 1.0507009873554805


def stable_sigmoid(x):
    """1 / (1 + e^-x) without overflow: exp is only ever taken of min(x, 0) and -|x|, so that
    e^min(x, 0) / (1 + e^-|x|) is 1 / (1 + e^-x) for x >= 0 and e^x / (1 + e^x) for x < 0 --
    one formula for both signs, with no choice to make per element."""
    module = xp()
    return module.exp(module.minimum(x, 0)) / (1 + module.exp(-module.abs(x)))


class Tanh(Function):
    def forward(self, x):
        self.y = xp().tanh(x)
        return self.y

    def backward(self, gy):
        # d tanh(x)/dx = 1 - tanh(x)^2
        return gy * (1 - self.y * self.y)


class Sigmoid(Function):
    def forward(self, x):
        self.y = stable_sigmoid(x)
        return self.y

    def backward(self, gy):
        # d sigmoid(x)/dx = sigmoid(x) (1 - sigmoid(x))
        return gy * self.y * (1 - self.y)


class HardSigmoid(Function):
    """Keras 2's piecewise-linear sigmoid: clip(0.2 x + 0.5, 0, 1)."""

    def forward(self, x):
        linear = 0.2 * x + 0.5
        self.inside = (linear > 0) & (linear < 1)
        return xp().clip(linear, 0, 1)

    def backward(self, gy):
        # d/dx = 0.2 where 0 < 0.2x + 0.5 < 1, else 0
        return select(self.inside, 0.2 * gy, 0)


class ReLU(Function):
    def forward(self, x):
        self.positive = x > 0
        return xp().maximum(x, 0)

    def backward(self, gy):
        # d relu(x)/dx = [x > 0]
        return gy * self.positive


class LeakyReLU(Function):
    """x for x > 0, alpha x otherwise. (For 0 < alpha <= 1, ``leaky_relu`` runs the fast form
    ``minidl/ops/fast/leaky_relu.py`` outside ``minidl.reference_ops()``; it must equal this.)"""

    def __init__(self, alpha):
        self.alpha = alpha

    def forward(self, x):
        self.positive = x > 0
        return select(self.positive, x, self.alpha * x)

    def backward(self, gy):
        # d/dx = 1 for x > 0, alpha otherwise
        return select(self.positive, gy, self.alpha * gy)


class ELU(Function):
    """x for x > 0, alpha (e^x - 1) otherwise, written as the sum of its two parts -- each zero
    where the other is not, so the sum is exact -- in five passes with no mask:

        elu(x) = max(x, 0) + alpha expm1(min(x, 0))
    """

    def __init__(self, alpha=1.0):
        self.alpha = alpha

    def forward(self, x):
        module = xp()
        negative_part = module.expm1(module.minimum(x, 0))  # e^x - 1 for x <= 0, e^0 - 1 = 0 for x > 0
        negative_part *= self.alpha
        y = module.maximum(x, 0)
        y += negative_part
        self.y, self.negative_part = y, negative_part
        # y > 0 exactly where x > 0 unless alpha < 0 (then alpha (e^x - 1) > 0 for x < 0)
        self.positive = (x > 0) if self.alpha < 0 else None
        return y

    def backward(self, gy):
        # d/dx = 1 for x > 0, alpha e^x = negative part + alpha otherwise
        module = xp()
        slope = self.negative_part + self.alpha  # alpha e^x for x <= 0; alpha for x > 0
        if 0 < self.alpha <= 1:
            # alpha e^x <= 1 everywhere, so the larger of [y > 0] (1 exactly where x > 0) and the
            # slope is 1 for x > 0 and alpha e^x otherwise: the derivative without a mask
            return gy * module.maximum(slope, self.y > 0)
        positive = self.y > 0 if self.positive is None else self.positive
        return select(positive, gy, gy * slope)


class SELU(Function):
    """scale * elu(x) with the fixed alpha of Klambauer et al.; like ``ELU``, the sum of a
    positive part and a negative part (alpha e^x - alpha, exactly 0 for x > 0)."""

    def forward(self, x):
        module = xp()
        self.exp_part = SELU_ALPHA * module.exp(module.minimum(x, 0))  # alpha e^x; alpha for x > 0
        y = module.maximum(x, 0)
        y += self.exp_part - SELU_ALPHA
        y *= SELU_SCALE
        self.y = y
        return y

    def backward(self, gy):
        # d/dx = scale for x > 0, scale alpha e^x otherwise; y > 0 exactly where x > 0
        return SELU_SCALE * select(self.y > 0, gy, gy * self.exp_part)


class Softmax(Function):
    def __init__(self, axis=-1):
        self.axis = axis

    def forward(self, x):
        shifted = xp().exp(x - reduce_max(x, self.axis, keepdims=True))
        self.y = shifted / reduce_sum(shifted, self.axis, keepdims=True)
        return self.y

    def backward(self, gy):
        # d softmax_i / dx_j = y_i (delta_ij - y_j)  =>  gx = y * (gy - sum(gy * y))
        y = self.y
        return y * (gy - reduce_sum(gy * y, self.axis, keepdims=True))


class LogSoftmax(Function):
    def __init__(self, axis=-1):
        self.axis = axis

    def forward(self, x):
        shifted = x - reduce_max(x, self.axis, keepdims=True)
        self.y = shifted - xp().log(reduce_sum(xp().exp(shifted), self.axis, keepdims=True))
        return self.y

    def backward(self, gy):
        # d logsoftmax_i / dx_j = delta_ij - softmax_j  =>  gx = gy - softmax * sum(gy)
        return gy - xp().exp(self.y) * reduce_sum(gy, self.axis, keepdims=True)


class Softplus(Function):
    def forward(self, x):
        self.x = x
        return xp().logaddexp(x, 0)

    def backward(self, gy):
        # d ln(1 + e^x)/dx = sigmoid(x)
        return gy * stable_sigmoid(self.x)


class Swish(Function):
    """x sigmoid(x): Keras's 'swish', also called 'silu'."""

    def forward(self, x):
        self.s = stable_sigmoid(x)
        self.y = x * self.s
        return self.y

    def backward(self, gy):
        # d(x s)/dx = s + x s (1 - s) = s + y (1 - s)
        return gy * (self.s + self.y * (1 - self.s))


class Mish(Function):
    """x tanh(softplus(x))."""

    def forward(self, x):
        self.x = x
        self.t = xp().tanh(xp().logaddexp(x, 0))
        return x * self.t

    def backward(self, gy):
        # d(x tanh(sp(x)))/dx = t + x (1 - t^2) sigmoid(x), with t = tanh(sp(x)) and sp'(x) = sigmoid(x)
        return gy * (self.t + self.x * (1 - self.t * self.t) * stable_sigmoid(self.x))


class Softsign(Function):
    """x / (1 + |x|)."""

    def forward(self, x):
        self.denominator = 1 + xp().abs(x)
        return x / self.denominator

    def backward(self, gy):
        # d(x / (1 + |x|))/dx = 1 / (1 + |x|)^2
        return gy / (self.denominator * self.denominator)


class ReLU6(Function):
    """min(max(x, 0), 6)."""

    def forward(self, x):
        self.inside = (x > 0) & (x < 6)
        return xp().minimum(xp().maximum(x, 0), 6).astype(x.dtype, copy=False)

    def backward(self, gy):
        # 1 on (0, 6), 0 outside
        return gy * self.inside


class Exponential(Function):
    """e^x (Keras's 'exponential' activation)."""

    def forward(self, x):
        self.y = xp().exp(x)
        return self.y

    def backward(self, gy):
        # d e^x/dx = e^x
        return gy * self.y


def _float_input(op_name, x):
    x = as_tensor(x)
    require_float(op_name, x)
    return x


def tanh(x):
    return Tanh()(_float_input("tanh", x))


def sigmoid(x):
    x = _float_input("sigmoid", x)
    y = Sigmoid()(x)
    y._logits = ("sigmoid", x)
    return y


def hard_sigmoid(x):
    return HardSigmoid()(_float_input("hard_sigmoid", x))


def relu(x):
    return ReLU()(_float_input("relu", x))


def leaky_relu(x, alpha=0.3):
    """Keras's LeakyReLU default slope is 0.3 (not PyTorch's 0.01)."""
    x, alpha = _float_input("leaky_relu", x), float(alpha)
    if fast_form_applies(alpha) and not reference_forms_active():
        return FastLeakyReLU(alpha)(x)
    return LeakyReLU(alpha)(x)


def elu(x, alpha=1.0):
    return ELU(float(alpha))(_float_input("elu", x))


def selu(x):
    return SELU()(_float_input("selu", x))


def softplus(x):
    return Softplus()(_float_input("softplus", x))


def swish(x):
    """x sigmoid(x) (Keras's 'swish' and 'silu')."""
    return Swish()(_float_input("swish", x))


def mish(x):
    return Mish()(_float_input("mish", x))


def softsign(x):
    return Softsign()(_float_input("softsign", x))


def relu6(x):
    return ReLU6()(_float_input("relu6", x))


def exponential(x):
    return Exponential()(_float_input("exponential", x))


def _leaky_relu_activation(x):
    """The activation named 'leaky_relu': Keras's and TensorFlow's slope 0.2 (the LeakyReLU
    layer's default is 0.3)."""
    return leaky_relu(x, alpha=0.2)


_leaky_relu_activation.__name__ = "leaky_relu"


def softmax(x, axis=-1):
    x = _float_input("softmax", x)
    axis = normalize_axis(axis, x.ndim, "softmax")
    y = Softmax(axis)(x)
    if axis == x.ndim - 1:  # the losses' fused path normalises over the last axis only
        y._logits = ("softmax", x)
    return y


def log_softmax(x, axis=-1):
    x = _float_input("log_softmax", x)
    return LogSoftmax(normalize_axis(axis, x.ndim, "log_softmax"))(x)


def linear(x):
    """The identity activation (Keras's 'linear')."""
    return as_tensor(x)


_ACTIVATIONS = {
    "linear": linear, None: linear, "tanh": tanh, "sigmoid": sigmoid,
    "hard_sigmoid": hard_sigmoid, "relu": relu, "leaky_relu": _leaky_relu_activation, "elu": elu,
    "selu": selu, "softmax": softmax, "softplus": softplus, "swish": swish, "silu": swish, "mish": mish,
    "softsign": softsign, "relu6": relu6, "exponential": exponential, "log_softmax": log_softmax,
}


def is_builtin_activation(name):
    """Whether ``name`` is one of minidl's activation names (None counts: linear)."""
    return isinstance(name, str) and name in _ACTIVATIONS


def activation_config_name(activation):
    """The name a layer's config stores for ``activation``: a name as given (None: 'linear'), a
    built-in function's name, a registered user function's ``'package>name'``, else its ``__name__``."""
    if activation is None or isinstance(activation, str):
        return activation or "linear"
    return custom_objects.get_registered_name(activation)


def get_activation(identifier):
    """An activation function from its Keras name ('relu', 'softmax', ...), a callable, or the
    name of a user's function known to the custom-object registry ('my_package>custom_fn', or a
    name given in ``custom_objects`` / ``custom_object_scope``), as Keras resolves it when loading."""
    if callable(identifier):
        return identifier
    if isinstance(identifier, dict) and identifier.get("class_name") == "function":  # Keras 3's form of a function
        identifier = identifier.get("config")
    if isinstance(identifier, str) and identifier not in _ACTIVATIONS:
        registered = custom_objects.get_registered_object(identifier, plain_names=True)
        if callable(registered):
            return registered
    try:
        return _ACTIVATIONS[identifier]
    except (KeyError, TypeError):
        names = sorted(name for name in _ACTIVATIONS if name)
        raise ValueError(f"unknown activation {identifier!r}; expected one of {names}, a callable, or the name of a "
                         "function registered with register_keras_serializable or given in custom_objects") from None
