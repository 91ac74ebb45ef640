"""Elementwise arithmetic, exponentials, comparisons-as-selection, and matrix products.

Each class is one operation: ``forward`` on raw arrays, ``backward`` returning the gradient of
each input, with the derivative written beside it. The lower-case functions at the bottom of
each section are the public ops: they accept Tensors, arrays or scalars.
"""

import math

from minidl.autograd.function import Function, xp
from minidl.autograd.tensor import Tensor
from minidl.ops._util import as_tensor, broadcast_shapes_or_raise, require_float, sum_to
from minidl.ops.forms import reference_forms_active
from minidl.ops.select import select
from minidl.runtime.parallel import matmul_on_cores


def _binary_operands(op_name, a, b):
    like = a if isinstance(a, Tensor) else b if isinstance(b, Tensor) else None
    a = as_tensor(a, like)
    b = as_tensor(b, like)
    if a.shape != b.shape:
        broadcast_shapes_or_raise(op_name, a.shape, b.shape)
    return a, b


# -- arithmetic -------------------------------------------------------------------------------

class Add(Function):
    def forward(self, a, b):
        self.shapes = (a.shape, b.shape)
        return a + b

    def backward(self, gy):
        # d(a+b)/da = 1, d(a+b)/db = 1
        return sum_to(gy, self.shapes[0]), sum_to(gy, self.shapes[1])


class Sub(Function):
    def forward(self, a, b):
        self.shapes = (a.shape, b.shape)
        return a - b

    def backward(self, gy):
        # d(a-b)/da = 1, d(a-b)/db = -1
        return sum_to(gy, self.shapes[0]), sum_to(-gy, self.shapes[1])


class Mul(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, gy):
        # d(ab)/da = b, d(ab)/db = a
        grad_a = sum_to(gy * self.b, self.a.shape) if self.needs_input_grad[0] else None
        grad_b = sum_to(gy * self.a, self.b.shape) if self.needs_input_grad[1] else None
        return grad_a, grad_b


class Div(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        return a / b

    def backward(self, gy):
        # d(a/b)/da = 1/b, d(a/b)/db = -a/b^2
        grad_a = sum_to(gy / self.b, self.a.shape) if self.needs_input_grad[0] else None
        grad_b = None
        if self.needs_input_grad[1]:
            grad_b = sum_to(-gy * self.a / (self.b * self.b), self.b.shape)
        return grad_a, grad_b


class Neg(Function):
    def forward(self, x):
        return -x

    def backward(self, gy):
        # d(-x)/dx = -1
        return -gy


class PowScalar(Function):
    """x ** c for a constant exponent c."""

    def __init__(self, exponent):
        self.exponent = exponent

    def forward(self, x):
        self.x = x
        return x ** self.exponent

    def backward(self, gy):
        # d(x^c)/dx = c x^(c-1)
        c = self.exponent
        return gy * (c * self.x ** (c - 1))


class Pow(Function):
    """a ** b where both are tensors."""

    def forward(self, a, b):
        self.a, self.b = a, b
        self.y = a ** b
        return self.y

    def backward(self, gy):
        # d(a^b)/da = b a^(b-1),  d(a^b)/db = a^b ln(a)
        grad_a = grad_b = None
        if self.needs_input_grad[0]:
            grad_a = sum_to(gy * self.b * self.a ** (self.b - 1), self.a.shape)
        if self.needs_input_grad[1]:
            grad_b = sum_to(gy * self.y * xp().log(self.a), self.b.shape)
        return grad_a, grad_b


class Abs(Function):
    def forward(self, x):
        self.x = x
        return xp().abs(x)

    def backward(self, gy):
        # d|x|/dx = sign(x)  (0 at x = 0, as in TensorFlow)
        return gy * xp().sign(self.x)


def add(a, b):
    return Add()(*_binary_operands("add", a, b))


def sub(a, b):
    return Sub()(*_binary_operands("sub", a, b))


def mul(a, b):
    return Mul()(*_binary_operands("mul", a, b))


def div(a, b):
    return Div()(*_binary_operands("div", a, b))


def neg(x):
    return Neg()(as_tensor(x))


def pow(a, b):  # noqa: A001 - the op is called pow, as in NumPy's power and Python's **
    """``a ** b``; a constant scalar exponent takes the cheaper PowScalar path."""
    if isinstance(a, Tensor) and not isinstance(b, Tensor) and _is_python_scalar(b):
        return PowScalar(_plain_scalar(b))(a)
    return Pow()(*_binary_operands("pow", a, b))


def abs(x):  # noqa: A001 - mirrors numpy.abs
    return Abs()(as_tensor(x))


def _is_python_scalar(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _plain_scalar(value):
    """A Python int or float: a NumPy float64 scalar would promote float32 arrays to float64."""
    return int(value) if isinstance(value, int) else float(value)


# -- exponentials and roots -------------------------------------------------------------------

class Exp(Function):
    def forward(self, x):
        self.y = xp().exp(x)
        return self.y

    def backward(self, gy):
        # d exp(x)/dx = exp(x)
        return gy * self.y


class Log(Function):
    def forward(self, x):
        self.x = x
        return xp().log(x)

    def backward(self, gy):
        # d ln(x)/dx = 1/x
        return gy / self.x


class Sqrt(Function):
    def forward(self, x):
        self.y = xp().sqrt(x)
        return self.y

    def backward(self, gy):
        # d sqrt(x)/dx = 1 / (2 sqrt(x))
        return gy / (2 * self.y)


def exp(x):
    x = as_tensor(x)
    require_float("exp", x)
    return Exp()(x)


def log(x):
    x = as_tensor(x)
    require_float("log", x)
    return Log()(x)


def sqrt(x):
    x = as_tensor(x)
    require_float("sqrt", x)
    return Sqrt()(x)


def square(x):
    return PowScalar(2)(as_tensor(x))


# -- selection --------------------------------------------------------------------------------

class Maximum(Function):
    def forward(self, a, b):
        self.a_wins = a >= b
        self.shapes = (a.shape, b.shape)
        return xp().maximum(a, b)

    def backward(self, gy):
        # d max(a,b)/da = [a >= b], d max(a,b)/db = [a < b]  (ties go to a, as in TensorFlow)
        grad_a = sum_to(select(self.a_wins, gy, 0), self.shapes[0])
        grad_b = sum_to(select(self.a_wins, 0, gy), self.shapes[1])
        return grad_a, grad_b


class Minimum(Function):
    def forward(self, a, b):
        self.a_wins = a <= b
        self.shapes = (a.shape, b.shape)
        return xp().minimum(a, b)

    def backward(self, gy):
        # d min(a,b)/da = [a <= b], d min(a,b)/db = [a > b]
        grad_a = sum_to(select(self.a_wins, gy, 0), self.shapes[0])
        grad_b = sum_to(select(self.a_wins, 0, gy), self.shapes[1])
        return grad_a, grad_b


class Clip(Function):
    def __init__(self, low, high):
        self.low, self.high = low, high

    def forward(self, x):
        self.inside = (x >= self.low) & (x <= self.high)
        return xp().clip(x, self.low, self.high)

    def backward(self, gy):
        # d clip(x)/dx = 1 inside [low, high], 0 outside
        return gy * self.inside


class Where(Function):
    """``where(condition, a, b)``: a where the condition holds, else b; no gradient to it."""

    def __init__(self, condition):
        self.condition = condition

    def forward(self, a, b):
        self.shapes = (a.shape, b.shape)
        return select(self.condition, a, b)

    def backward(self, gy):
        # d/da = [condition], d/db = [not condition]
        grad_a = sum_to(select(self.condition, gy, 0), self.shapes[0])
        grad_b = sum_to(select(self.condition, 0, gy), self.shapes[1])
        return grad_a, grad_b


def maximum(a, b):
    return Maximum()(*_binary_operands("maximum", a, b))


def minimum(a, b):
    return Minimum()(*_binary_operands("minimum", a, b))


def clip(x, low, high):
    """``x`` limited to [low, high] (scalar bounds); the gradient is zero where it was clipped."""
    low, high = _plain_scalar(low), _plain_scalar(high)
    if low > high:
        raise ValueError(f"clip: low ({low}) must not exceed high ({high})")
    return Clip(low, high)(as_tensor(x))


def where(condition, a, b):
    condition = condition.data if isinstance(condition, Tensor) else as_tensor(condition).data
    a, b = _binary_operands("where", a, b)
    broadcast_shapes_or_raise("where", condition.shape, broadcast_shapes_or_raise("where", a.shape, b.shape))
    return Where(condition)(a, b)


# -- matrix product ---------------------------------------------------------------------------

class MatMul(Function):
    """Batched matrix product a @ b over the last two axes; leading axes broadcast.

    Outside ``minidl.reference_ops()`` a large 2-D product (a Dense layer on a big batch or a
    wide input) runs split by rows over the CPU cores (``minidl.runtime.parallel.matmul_on_cores``,
    the fast form), and a stack of rows times one matrix (a Dense layer on a sequence, an
    attention projection) is one product of all the rows instead of one per leading index; the
    numbers are those of a @ b up to the order BLAS sums in.
    """

    def forward(self, a, b):
        self.a, self.b = a, b
        return _product(a, b)

    def backward(self, gy):
        # d(a@b)/da = gy @ b^T,  d(a@b)/db = a^T @ gy   (transposes of the last two axes),
        # each summed over the leading axes its operand was broadcast along
        a, b = self.a, self.b
        grad_a = grad_b = None
        if self.needs_input_grad[0]:
            grad_a = sum_to(_product(gy, b.swapaxes(-1, -2)), a.shape)
        if self.needs_input_grad[1]:
            if b.ndim == 2 and a.ndim > 2:
                # one b for every leading index: the sum over them of a^T @ gy is one product of
                # all the rows, (rows of a)^T @ (rows of gy)
                grad_b = _rows(a).T @ _rows(gy)
            else:
                grad_b = sum_to(_product(a.swapaxes(-1, -2), gy), b.shape)
        return grad_a, grad_b


def _rows(array):
    """An (..., k) array as the (rows, k) matrix of its last axis (a view when it is contiguous)."""
    return array.reshape(math.prod(array.shape[:-1]), array.shape[-1])


def _product(a, b):
    if reference_forms_active():
        return a @ b
    if a.ndim == 2 and b.ndim == 2:
        return matmul_on_cores(a, b)
    if b.ndim == 2:
        # every leading index's rows times the same b: one product, left to BLAS's own threads as
        # each small one was (MultiHeadAttention(4, 32) on (32, 64, 128): 20.6 -> 15.4 ms; through
        # matmul_on_cores, 25 ms -- benchmarks/RESULTS.md)
        return (_rows(a) @ b).reshape(*a.shape[:-1], b.shape[-1])
    return a @ b


def matmul(a, b):
    """Matrix product of tensors with at least two dimensions (leading axes broadcast)."""
    a, b = as_tensor(a), as_tensor(b)
    if a.ndim < 2 or b.ndim < 2:
        raise ValueError(
            f"matmul: both operands need at least 2 dimensions, got shapes {a.shape} and {b.shape} "
            "(reshape a vector to (1, n) or (n, 1))"
        )
    if a.shape[-1] != b.shape[-2]:
        raise ValueError(
            f"matmul: shapes {a.shape} and {b.shape} do not fit: the last axis of the first "
            f"({a.shape[-1]}) must equal the second-to-last of the second ({b.shape[-2]})"
        )
    try:
        broadcast_shapes_or_raise("matmul", a.shape[:-2], b.shape[:-2])
    except ValueError:
        raise ValueError(
            f"matmul: shapes {a.shape} and {b.shape} cannot be broadcast together: the leading "
            f"(batch) axes {a.shape[:-2]} and {b.shape[:-2]} must match or be 1"
        ) from None
    return MatMul()(a, b)
