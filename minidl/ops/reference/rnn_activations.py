"""The activations a recurrent cell may use, each with its derivative written from its output.

A cell's backward has each gate's value y = f(z) at hand, not z; for these activations f'(z)
is a simple function of y, so nothing else needs to be kept:

    tanh          y = tanh(z)                    f'(z) = 1 - y^2
    sigmoid       y = 1 / (1 + e^-z)             f'(z) = y (1 - y)
    hard_sigmoid  y = clip(0.2 z + 0.5, 0, 1)    f'(z) = 0.2 where 0 < y < 1, else 0   (Keras 2's)
    relu          y = max(z, 0)                  f'(z) = 1 where y > 0, else 0
    linear        y = z                          f'(z) = 1

These are the choices of Keras's ``activation`` / ``recurrent_activation`` that minidl's
recurrent ops accept, in both their readable and their fast forms.
"""

from minidl.autograd.function import xp
from minidl.ops.activations import stable_sigmoid


class CellActivation:
    """``activation(z)`` computes y = f(z); ``activation.derivative(y)`` is f'(z) written from y."""

    def __init__(self, name, function, derivative):
        self.name, self.function, self.derivative = name, function, derivative

    def __call__(self, z):
        return self.function(z)

    def __repr__(self):
        return f"<CellActivation {self.name}>"


def _tanh(z):
    return xp().tanh(z)


def _tanh_derivative(y):
    return 1 - y * y


def _sigmoid_derivative(y):
    return y * (1 - y)


def _hard_sigmoid(z):
    return xp().clip(0.2 * z + 0.5, 0, 1)


def _hard_sigmoid_derivative(y):
    return ((y > 0) & (y < 1)).astype(y.dtype) * 0.2


def _relu(z):
    return xp().maximum(z, 0)


def _relu_derivative(y):
    return (y > 0).astype(y.dtype)


def _linear(z):
    return z


def _linear_derivative(y):
    return xp().ones_like(y)


CELL_ACTIVATIONS = {
    "tanh": CellActivation("tanh", _tanh, _tanh_derivative),
    "sigmoid": CellActivation("sigmoid", stable_sigmoid, _sigmoid_derivative),
    "hard_sigmoid": CellActivation("hard_sigmoid", _hard_sigmoid, _hard_sigmoid_derivative),
    "relu": CellActivation("relu", _relu, _relu_derivative),
    "linear": CellActivation("linear", _linear, _linear_derivative),
}


def cell_activation(identifier, op_name, argument):
    """The activation named ``identifier`` (a Keras name, None for linear, or an object with
    the ``name`` of one of them), or a ValueError naming the op and the argument."""
    if identifier is None:
        return CELL_ACTIVATIONS["linear"]
    name = identifier if isinstance(identifier, str) else getattr(identifier, "name", None)
    found = CELL_ACTIVATIONS.get(name.lower()) if isinstance(name, str) else None
    if found is None:
        raise ValueError(
            f"{op_name}: {argument} must be one of {sorted(CELL_ACTIVATIONS)} (each cell's backward "
            f"writes the derivative from the activation's output), got {identifier!r}"
        )
    return found
