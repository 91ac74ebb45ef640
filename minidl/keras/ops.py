"""``keras.ops`` (Keras 3): NumPy-named tensor functions, on minidl's differentiable ops.

Each function has Keras 3's signature, defaults and dtype rules, and is built from
``minidl.ops``'s Functions (or ``minidl.tf``'s), so gradients flow through it wherever Keras's
do: a ``GradientTape``, ``loss.backward()`` and ``model.fit`` all differentiate it. Like
``minidl.tf``'s functions they also work on the symbolic tensors of a functional model
(``keras.Input``), where each call becomes a layer of the model.

Keras 3's dtype rules, kept here (they are not TensorFlow's):

* two operands meet in Keras's *result dtype* (``_result_dtype``): ``int64`` with ``float32`` is
  ``float32``, ``float32`` with ``float64`` is ``float64``, and a Python number is "weak" --
  ``ops.add(int_tensor, 1.5)`` is floatx, ``ops.add(float16_tensor, 2.0)`` stays float16;
* functions with real-valued results (``sqrt``, ``exp``, ``mean``, ``norm``, ``erf``, ``floor``, ...)
  turn integer and boolean inputs into floatx (float32); ``divide`` of integers is floatx;
* ``sum``/``prod``/``trace`` of bool, int8 and int16 give int32 (uint8/uint16: uint32);
  ``argmax``/``argmin``/``argsort``/``top_k`` indices and ``size`` are int32.

Two pieces minidl.ops lacks are written here, in readable forms: the error function
(``_ErrorFunction``, Cephes's rational approximations with d erf/dx beside them) and running sums
and products with gradients (``_scan_along``: log2(n) shifted adds or products; ``_tree_product``
for ``prod``, exact where elements are zero). Tensors that need no gradient take NumPy's (or
CuPy's) own ``cumsum``/``cumprod``/``prod`` instead.

Functions minidl does not have raise ``minidl.errors.UnsupportedError`` naming what to use instead
(``minidl/keras/unsupported.py``). ``Variable`` (``keras.Variable``) lives here too, as the tensor
these functions read and ``assign`` writes.
"""

import builtins
import collections
import functools
import math
import numbers

import numpy as np

from minidl import initializers as _initializers
from minidl.autograd.function import Function
from minidl.autograd.function import xp as _xp
from minidl.autograd.tensor import Tensor
from minidl.errors import UnsupportedError
from minidl.keras import backend as _keras_backend
from minidl.keras import unsupported as _unsupported
from minidl.layers.base import unique_name as _unique_name
from minidl.ops import activations as _activations
from minidl.ops import math as _math
from minidl.ops import reductions as _reductions
from minidl.ops import shapes as _shapes
from minidl.ops import sum_to as _sum_to
from minidl.ops.broadcast import broadcast_to as _broadcast_op
from minidl.ops.broadcast import tile as _tile_op
from minidl.ops.casting import cast as _cast_op
from minidl.runtime import backend as _backend
from minidl.tf import array_ops as _array_ops
from minidl.tf import variable as _tf_variable
from minidl.tf.op_support import operand as _operand
from minidl.tf.op_support import tf_function as _tf_function
from minidl.tf.tensor import as_tf as _as_tf
from minidl.tf.tensor import convert_to_tensor as _convert

# -- conversions and Keras 3's dtype rules -------------------------------------------------------


def _op(name):
    """Decorator: a keras.ops function that also records itself as a layer on symbolic tensors."""
    return _tf_function(name)


def _constant(array):
    """A backend array as a tensor outside the graph (no gradient flows through it)."""
    return _as_tf(Tensor._from_op(array))


def _floatx():
    return np.dtype(_backend.floatx())


def _cast(x, dtype):
    """``x`` (a tensor) as ``dtype``: differentiable between float dtypes, a constant otherwise."""
    dtype = np.dtype(dtype)
    return x if x.dtype == dtype else _as_tf(_cast_op(x, dtype))


def _tensor(x):
    """Any argument as a tensor (Python and NumPy data converted with TensorFlow's inference:
    ``[1, 2]`` is int32, ``[1.5]`` float32, a NumPy array keeps its dtype)."""
    x = _operand(x)
    if x.dtype.kind not in "biuf":
        raise TypeError(f"keras.ops: expected a tensor of numbers, got dtype {x.dtype} (shape {tuple(x.shape)})")
    return x


def _float(x):
    """``x`` as a float tensor: integers and booleans become floatx, as Keras's real-valued
    functions (``sqrt``, ``mean``, ``norm``, ...) convert them."""
    x = _tensor(x)
    return x if x.dtype.kind == "f" else _cast(x, _floatx())


def _canonical(dtype):
    """Keras has no 64-bit unsigned integers in its lattice: uint64 counts as uint32."""
    return np.dtype(np.uint32) if dtype == np.uint64 else dtype


def _join(a, b):
    """Keras 3's result dtype of two tensors' dtypes (its JAX-like lattice, not NumPy's)."""
    if a.kind == "f" or b.kind == "f":
        return builtins.max((d for d in (a, b) if d.kind == "f"), key=lambda d: d.itemsize)
    if np.dtype(np.uint64) in (a, b) and "i" in (a.kind, b.kind):
        return np.dtype(np.float32)
    a, b = _canonical(a), _canonical(b)
    if a.kind == "b" or b.kind == "b":
        return b if a.kind == "b" else a
    if a.kind == b.kind:
        return builtins.max(a, b, key=lambda d: d.itemsize)
    unsigned, signed = (a, b) if a.kind == "u" else (b, a)
    return np.dtype(f"int{builtins.max(2 * unsigned.itemsize, signed.itemsize) * 8}")


def _is_weak(value):
    """Python numbers are "weak": they take the dtype of the tensor they meet."""
    return isinstance(value, (bool, int, float)) and not isinstance(value, np.generic)


def _strong_dtype(value):
    """The dtype of a tensor or NumPy value; other data as TensorFlow infers it ([1, 2]: int32)."""
    if isinstance(value, (Tensor, np.ndarray, np.generic)):
        return np.dtype(value.dtype)
    return _operand(value).dtype


def _result_dtype(*values):
    """The dtype Keras 3 computes ``values`` in (``keras.backend.result_type``): the join of the
    tensors' dtypes, then Python numbers: a float turns integers into floatx, an int turns a
    bool into int32. Python numbers alone give int32 or floatx (bool for bools)."""
    strong = [_strong_dtype(value) for value in values if not _is_weak(value)]
    weak = {type(value) for value in values if _is_weak(value)}
    if not strong:
        return _floatx() if float in weak else np.dtype(np.int32) if int in weak else np.dtype(bool)
    dtype = functools.reduce(_join, strong)
    if float in weak and dtype.kind in "biu":
        return _floatx()
    if int in weak and dtype.kind == "b":
        return np.dtype(np.int32)
    return _canonical(dtype) if weak else dtype


def _promoted(*values):
    """``values`` as tensors of their Keras 3 result dtype."""
    dtype = _result_dtype(*values)
    return [_cast(value, dtype) if isinstance(value, Tensor) else _convert(np.asarray(value).astype(dtype))
            for value in values]


def _axes(axis, ndim, who):
    """``axis`` (None, an int, or a list/tuple of them) as None, an int or a tuple in [0, ndim)."""
    if axis is None:
        return None
    if isinstance(axis, (list, tuple)):
        axes = tuple(_axes(a, ndim, who) for a in axis)
        if len(set(axes)) != len(axes):
            raise ValueError(f"keras.ops.{who}: axis {tuple(axis)} names the same axis twice")
        return axes
    if isinstance(axis, Tensor):
        return _axes(axis.numpy().tolist(), ndim, who)
    if not isinstance(axis, numbers.Integral) or not -ndim <= axis < builtins.max(ndim, 1):
        raise ValueError(f"keras.ops.{who}: axis {axis!r} is out of range for a tensor of rank {ndim}")
    return int(axis) % builtins.max(ndim, 1)


def _int_list(values, who, argument):
    """A shape, list of sizes or indices given as an int, a sequence or a tensor, as a list of ints."""
    if isinstance(values, Tensor):
        values = values.numpy().tolist()
    if isinstance(values, numbers.Integral):
        return [int(values)]
    try:
        items = [v.numpy().item() if isinstance(v, Tensor) else v for v in values]
    except TypeError:
        items = None
    if items is None or not builtins.all(isinstance(v, numbers.Integral) for v in items):
        raise ValueError(f"keras.ops.{who}: {argument} must be integers, got {values!r}")
    return [int(v) for v in items]


def convert_to_tensor(x, dtype=None, sparse=None, ragged=None):
    """A tensor of ``x`` (a tensor is returned as it is, or cast when ``dtype`` differs)."""
    if isinstance(x, Tensor):
        return _as_tf(x) if dtype is None else _cast(_as_tf(x), dtype)
    return _convert(x, dtype=None if dtype is None else np.dtype(dtype))


def convert_to_numpy(x):
    """``x`` as a NumPy array (copied from the device when there is one)."""
    return np.asarray(x.numpy()) if isinstance(x, Tensor) else np.asarray(x)


def array(x, dtype=None):
    return convert_to_tensor(x, dtype)


def is_tensor(x):
    return isinstance(x, Tensor)


def shape(x):
    """The shape as a tuple of ints (None for an undefined axis of a symbolic tensor)."""
    return tuple(x.shape) if hasattr(x, "shape") else np.shape(x)


def ndim(x):
    """The number of axes, a Python int."""
    return len(shape(x))


def dtype(x):
    """The dtype's name: ``'float32'``, ``'int32'``, ..."""
    return np.dtype(_tensor(x).dtype).name


@_op("size")
def size(x):
    """The number of elements, an int32 scalar tensor."""
    return _constant(_xp().asarray(math.prod(_tensor(x).shape), dtype=np.int32))


@_op("cast")
def cast(x, dtype):
    """``x`` as ``dtype``; floats become integers by truncation toward zero."""
    return _array_ops.cast(_tensor(x), dtype)


@_op("stop_gradient")
def stop_gradient(variable):
    """The same values, outside the graph: no gradient flows back through it."""
    return _constant(_tensor(variable).data)


@_op("copy")
def copy(x):
    return _array_ops.identity(_tensor(x))


# -- creating tensors -------------------------------------------------------------------------


def _shape(value, who):
    sizes = _int_list(value, who, "shape")
    if builtins.any(s < 0 for s in sizes):
        raise ValueError(f"keras.ops.{who}: shape must be non-negative sizes, got {value!r}")
    return tuple(sizes)


def _new(array):
    return _constant(_backend.to_device(array))


def zeros(shape, dtype=None):
    return _new(np.zeros(_shape(shape, "zeros"), dtype=dtype or _floatx()))


def ones(shape, dtype=None):
    return _new(np.ones(_shape(shape, "ones"), dtype=dtype or _floatx()))


def empty(shape, dtype=None):
    """Keras's ``empty``: here zeros (minidl never hands out uninitialised memory)."""
    return zeros(shape, dtype)


def full(shape, fill_value, dtype=None):
    """A tensor of ``shape`` filled with ``fill_value`` (which may broadcast), floatx unless ``dtype``."""
    value = fill_value.numpy() if isinstance(fill_value, Tensor) else fill_value
    return _new(np.broadcast_to(np.asarray(value, dtype=dtype or _floatx()), _shape(shape, "full")).copy())


@_op("zeros_like")
def zeros_like(x, dtype=None):
    x = _tensor(x)
    return _constant(_xp().zeros(x.shape, dtype=dtype or x.dtype))


@_op("ones_like")
def ones_like(x, dtype=None):
    x = _tensor(x)
    return _constant(_xp().ones(x.shape, dtype=dtype or x.dtype))


empty_like = zeros_like


@_op("full_like")
def full_like(x, fill_value, dtype=None):
    """A tensor like ``x`` filled with ``fill_value``, in ``x``'s dtype unless ``dtype`` is given."""
    x = _tensor(x)
    return full(x.shape, fill_value, dtype=dtype or x.dtype)


def eye(N, M=None, k=0, dtype=None):  # noqa: N803 - Keras's names
    """An N x M matrix with ones on diagonal ``k`` (0: the main one, > 0 above it)."""
    for argument, value in (("N", N), ("M", M), ("k", k)):
        if value is not None and not isinstance(value, numbers.Integral):
            raise ValueError(f"keras.ops.eye: {argument} must be an integer, got {value!r}")
    if N < 0 or (M is not None and M < 0):
        raise ValueError(f"keras.ops.eye: N and M must be >= 0, got N={N}, M={M}")
    return _new(np.eye(int(N), None if M is None else int(M), k=int(k), dtype=dtype or _floatx()))


def identity(n, dtype=None):
    return eye(n, dtype=dtype)


def tri(N, M=None, k=0, dtype=None):  # noqa: N803
    """Ones on and below diagonal ``k`` of an N x M matrix, zeros above."""
    return _new(np.tri(int(N), None if M is None else int(M), k=int(k), dtype=dtype or _floatx()))


def arange(start, stop=None, step=None, dtype=None):
    """``[start, stop)`` in steps: int32 for integers, floatx when any bound is a float."""
    return _array_ops.range(start, stop, 1 if step is None else step, dtype=dtype)


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    """``num`` evenly spaced values from ``start`` to ``stop`` (floatx unless ``dtype``; an integer
    ``dtype`` floors them, as NumPy does). ``start``/``stop`` may be arrays: the values then run
    along ``axis``. With ``retstep``, also the spacing."""
    if not isinstance(num, numbers.Integral) or num < 0:
        raise ValueError(f"keras.ops.linspace: num must be an integer >= 0, got {num!r}")
    start, stop = (value.numpy() if isinstance(value, Tensor) else value for value in (start, stop))
    values, step = np.linspace(start, stop, int(num), endpoint=bool(endpoint), retstep=True, axis=axis)
    dtype = np.dtype(dtype or _floatx())
    values = (np.floor(values) if dtype.kind in "iu" else values).astype(dtype)
    if retstep:
        return _new(values), _new(np.asarray(step, dtype=dtype if dtype.kind == "f" else _floatx()))
    return _new(values)


@_op("meshgrid")
def meshgrid(*x, indexing="xy"):
    """Coordinate grids of the 1-D tensors ``x``: ``indexing='xy'`` (Cartesian, NumPy's default)
    or ``'ij'`` (matrix). Each keeps its dtype; gradients flow back to every input."""
    if indexing not in ("xy", "ij"):
        raise ValueError(f"keras.ops.meshgrid: indexing must be 'xy' or 'ij', got {indexing!r}")
    vectors = [reshape(_tensor(v), (-1,)) for v in x]
    sizes = [v.shape[0] for v in vectors]
    if indexing == "xy" and len(vectors) >= 2:
        sizes[0], sizes[1] = sizes[1], sizes[0]
    grids = []
    for position, vector in enumerate(vectors):
        axis = position
        if indexing == "xy" and len(vectors) >= 2 and position < 2:
            axis = 1 - position
        along = [1] * len(vectors)
        along[axis] = vector.shape[0]
        grids.append(broadcast_to(reshape(vector, along), sizes))
    return grids


@_op("one_hot")
def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    """Rows of ``num_classes`` values with a one at each index (floatx unless ``dtype``); an index
    outside [0, num_classes) gives a row of zeros."""
    if sparse:
        raise UnsupportedError("keras.ops.one_hot: sparse=True is not supported by minidl; leave it out")
    return _array_ops.one_hot(x, num_classes, axis=axis, dtype=dtype or _floatx())


@_op("multi_hot")
def multi_hot(inputs, num_classes=None, axis=-1, dtype=None, sparse=False, **kwargs):
    """One row per sample with ones at every index it holds (``inputs``: (batch, ids) or (ids,))."""
    num_classes = kwargs.pop("num_tokens", num_classes)
    if num_classes is None:
        raise ValueError("keras.ops.multi_hot: num_classes is required")
    encoded = one_hot(inputs, num_classes, axis=-1, dtype=dtype)
    hot = _xp().max(encoded.data, axis=-2)
    hot = hot if axis in (-1, hot.ndim - 1) else _xp().moveaxis(hot, -1, axis)
    return _constant(hot)


# -- element-wise arithmetic -----------------------------------------------------------------


def _binary(name, function):
    """A two-operand keras.ops function: Keras's result dtype, then ``function(a, b)``."""
    @_op(name)
    def binary(x1, x2):
        return _as_tf(function(*_promoted(x1, x2)))

    binary.__name__ = binary.__qualname__ = name
    return binary


add = _binary("add", _math.add)
subtract = _binary("subtract", _math.sub)
multiply = _binary("multiply", _math.mul)
maximum = _binary("maximum", _math.maximum)
minimum = _binary("minimum", _math.minimum)


@_op("divide")
def divide(x1, x2):
    """x1 / x2; integers are divided as floats (floatx), as in Keras 3."""
    x1, x2 = _promoted(x1, x2)
    if x1.dtype.kind != "f":
        x1, x2 = _cast(x1, _floatx()), _cast(x2, _floatx())
    return _as_tf(_math.div(x1, x2))


true_divide = divide


@_op("divide_no_nan")
def divide_no_nan(x1, x2):
    """x1 / x2, and 0 where x2 is 0 (with a zero gradient there)."""
    x1, x2 = _promoted(x1, x2)
    zero = x2.data == 0
    safe = _as_tf(_math.where(zero, x2.dtype.type(1), x2))
    return _as_tf(_math.where(zero, x1.dtype.type(0), divide(x1, safe)))


@_op("power")
def power(x1, x2):
    """x1 ** x2 in the operands' result dtype (integers to negative integer powers are refused)."""
    x1, x2 = _promoted(x1, x2)
    if x1.dtype.kind in "iu" and (x2.data < 0).any().item():
        raise ValueError("keras.ops.power: integers to negative integer powers are not allowed; cast x1 to float")
    return _as_tf(_math.pow(x1, x2))


def _integer_result(dtype):
    return np.dtype(np.int32) if dtype.kind == "b" else dtype


@_op("floor_divide")
def floor_divide(x1, x2):
    """floor(x1 / x2) (no gradient, as in Keras)."""
    x1, x2 = _promoted(x1, x2)
    dtype = _integer_result(x1.dtype)
    with np.errstate(divide="ignore", invalid="ignore"):
        return _constant(_xp().floor_divide(x1.data.astype(dtype), x2.data.astype(dtype)))


@_op("mod")
def mod(x1, x2):
    """x1 - floor(x1 / x2) * x2, with the sign of x2 (NumPy's and Keras's ``mod``). Its gradient
    is TensorFlow's: 1 for x1, -floor(x1 / x2) for x2."""
    x1, x2 = _promoted(x1, x2)
    if x1.dtype.kind == "b":
        x1, x2 = _cast(x1, np.int32), _cast(x2, np.int32)
    with np.errstate(divide="ignore", invalid="ignore"):
        remainder = _xp().mod(x1.data, x2.data)
        if not (x1.requires_grad or x2.requires_grad):
            return _constant(remainder)
        quotient = _constant(_xp().floor_divide(x1.data, x2.data))
    return _as_tf(_math.sub(x1, _math.mul(quotient, x2)))


@_op("negative")
def negative(x):
    return _as_tf(_math.neg(_tensor(x)))


@_op("abs")
def abs(x):  # noqa: A001 - Keras's name
    x = _tensor(x)
    return x if x.dtype.kind in "bu" else _as_tf(_math.abs(x))


absolute = abs


@_op("fabs")
def fabs(x):
    """|x| as floats (floatx for integers)."""
    return _as_tf(_math.abs(_float(x)))


@_op("square")
def square(x):
    """x * x; booleans become int32, as in Keras."""
    x = _tensor(x)
    x = _cast(x, np.int32) if x.dtype.kind == "b" else x
    return _as_tf(_math.mul(x, x))


def _unary_float(name, function, doc):
    """A keras.ops function of real values: integers and booleans become floatx first."""
    @_op(name)
    def unary(x):
        return _as_tf(function(_float(x)))

    unary.__name__ = unary.__qualname__ = name
    unary.__doc__ = doc
    return unary


def _log1p(x):
    return _math.log(_math.add(x, 1))


sqrt = _unary_float("sqrt", _math.sqrt, "The square root (floatx for integers).")
exp = _unary_float("exp", _math.exp, "e ** x.")
log = _unary_float("log", _math.log, "The natural logarithm.")
log1p = _unary_float("log1p", _log1p, "log(1 + x).")
expm1 = _unary_float("expm1", lambda x: _math.sub(_math.exp(x), 1), "e ** x - 1.")
log2 = _unary_float("log2", lambda x: _math.div(_math.log(x), math.log(2)), "The base-2 logarithm.")
log10 = _unary_float("log10", lambda x: _math.div(_math.log(x), math.log(10)), "The base-10 logarithm.")
exp2 = _unary_float("exp2", lambda x: _math.exp(_math.mul(x, math.log(2))), "2 ** x.")
reciprocal = _unary_float("reciprocal", lambda x: _math.div(x.dtype.type(1), x), "1 / x.")
rsqrt = _unary_float("rsqrt", lambda x: _math.div(x.dtype.type(1), _math.sqrt(x)), "1 / sqrt(x).")


def _rounding(name, function, doc):
    """A rounding function (no gradient); integers and booleans become floatx, as in Keras."""
    @_op(name)
    def rounding(x):
        x = _float(x)
        return _constant(function(_xp(), x.data))

    rounding.__name__ = rounding.__qualname__ = name
    rounding.__doc__ = doc
    return rounding


floor = _rounding("floor", lambda xp, data: xp.floor(data), "The largest integer <= x (floatx for integers).")
ceil = _rounding("ceil", lambda xp, data: xp.ceil(data), "The smallest integer >= x (floatx for integers).")


@_op("trunc")
def trunc(x):
    """x rounded toward zero; integers are returned as they are."""
    x = _tensor(x)
    return x if x.dtype.kind in "biu" else _constant(_xp().trunc(x.data))


@_op("sign")
def sign(x):
    """-1, 0 or 1 (no gradient); the dtype of ``x``."""
    x = _tensor(x)
    if x.dtype.kind == "b":
        raise TypeError("keras.ops.sign: x is boolean; cast it to a number first")
    return _constant(_xp().sign(x.data))


@_op("round")
def round(x, decimals=0):  # noqa: A001 - Keras's name
    """Round half to even at ``decimals`` places (negative: to tens, hundreds, ...; integers stay
    integers). No gradient, as in Keras."""
    if not isinstance(decimals, numbers.Integral):
        raise ValueError(f"keras.ops.round: decimals must be an integer, got {decimals!r}")
    x, xp = _tensor(x), _xp()
    if x.dtype.kind in "biu":
        if decimals >= 0:
            return x
        factor = 10 ** -int(decimals)
        return _constant((xp.round(x.data / factor) * factor).astype(x.dtype))
    factor = x.dtype.type(10.0 ** int(decimals))
    return _constant(xp.round(x.data * factor) / factor if decimals else xp.round(x.data))


@_op("clip")
def clip(x, x_min, x_max):
    """``x`` limited to [x_min, x_max] (bounds may be tensors), in x's dtype (booleans: int32); the
    gradient is 0 where it was clipped."""
    x = _tensor(x)
    x = _cast(x, np.int32) if x.dtype.kind == "b" else x
    low, high = (_cast(bound, x.dtype) if isinstance(bound, Tensor) else _convert(bound, dtype=x.dtype)
                 for bound in (x_min, x_max))
    return _as_tf(_math.minimum(_math.maximum(x, low), high))


def _nan_ignoring(name, function):
    """``fmax``/``fmin``: ``function`` of the two, or the one that is not NaN where the other is."""
    @_op(name)
    def choose(x1, x2):
        x1, x2 = _promoted(x1, x2)
        chosen = function(x1, x2)
        if x1.dtype.kind == "f":
            xp = _xp()
            chosen = _math.where(xp.isnan(x2.data), x1, _math.where(xp.isnan(x1.data), x2, chosen))
        return _as_tf(chosen)

    choose.__name__ = choose.__qualname__ = name
    choose.__doc__ = f"The element-wise {name[1:]}imum, NaN only where both are NaN."
    return choose


fmax = _nan_ignoring("fmax", _math.maximum)
fmin = _nan_ignoring("fmin", _math.minimum)


@_op("logaddexp")
def logaddexp(x1, x2):
    """log(exp(x1) + exp(x2)), computed without overflow."""
    x1, x2 = (_float(t) for t in _promoted(x1, x2))
    peak = _math.maximum(x1, x2)
    gap = _math.neg(_math.abs(_math.sub(x1, x2)))
    return _as_tf(_math.add(peak, _log1p(_math.exp(gap))))


@_op("nan_to_num")
def nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    """NaN, +inf and -inf replaced by ``nan``, ``posinf`` and ``neginf`` (default: the dtype's
    largest and smallest values); the gradient flows to the other elements."""
    x = _tensor(x)
    if x.dtype.kind != "f":
        return x
    xp, limits = _xp(), np.finfo(x.dtype)
    for mask, value in ((xp.isnan(x.data), nan), (xp.isposinf(x.data), limits.max if posinf is None else posinf),
                        (xp.isneginf(x.data), limits.min if neginf is None else neginf)):
        x = _as_tf(_math.where(mask, x.dtype.type(value), x))
    return x


# -- erf: Cephes's rational approximations (no SciPy) ------------------------------------------------

# Moshier's Cephes library (ndtr.c), as SciPy's erf/erfc use them; highest power first; relative
# error a few units in the last place of a double over the whole line (tests: against math.erf).
_ERF_T = (9.60497373987051638749e0, 9.00260197203842689217e1, 2.23200534594684319226e3, 7.00332514112805075473e3,
          5.55923013010394962768e4)
_ERF_U = (1.0, 3.35617141647503099647e1, 5.21357949780152679795e2, 4.59432382970980127987e3,
          2.26290000613890934246e4, 4.92673942608635921086e4)
_ERFC_P = (2.46196981473530512524e-10, 5.64189564831068821977e-1, 7.46321056442269912687e0, 4.86371970985681366614e1,
           1.96520832956077098242e2, 5.26445194995477358631e2, 9.34528527171957607540e2, 1.02755188689515710272e3,
           5.57535335369399327526e2)
_ERFC_Q = (1.0, 1.32281951154744992508e1, 8.67072140885989742329e1, 3.54937778887819891062e2,
           9.75708501743205489753e2, 1.82390916687909736289e3, 2.24633760818710981792e3, 1.65666309194161350182e3,
           5.57535340817727675546e2)
_ERFC_R = (5.64189583547755073984e-1, 1.27536670759978104416e0, 5.01905042251180477414e0, 6.16021097993053585195e0,
           7.40974269950448939160e0, 2.97886665372100240670e0)
_ERFC_S = (1.0, 2.26052863220117276590e0, 9.39603524938001434673e0, 1.20489539808096656605e1,
           1.70814450747565897222e1, 9.60896809063285878198e0, 3.36907645100081516050e0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _polynomial(x, coefficients):
    """Horner's rule; ``coefficients`` from the highest power down."""
    result = coefficients[0] * x + coefficients[1]
    for coefficient in coefficients[2:]:
        result *= x
        result += coefficient
    return result


def _erf_and_erfc(x):
    """(erf(x), erfc(x)) of a float64 array, each in its accurate form: for |x| <= 1 the erf series
    T/U; beyond, erfc(|x|) = exp(-x^2) P/Q (|x| < 8) or R/S, with exp(-x^2) computed from x split
    into a multiple of 1/128 and a rest so that x*x loses no digits (Cephes's ``expx2``)."""
    xp = _xp()
    erf, erfc = xp.empty_like(x), xp.empty_like(x)
    magnitude = xp.abs(x)
    near = magnitude <= 1
    x_near = x[near]
    squares = x_near * x_near
    erf_near = x_near * _polynomial(squares, _ERF_T) / _polynomial(squares, _ERF_U)
    erf[near], erfc[near] = erf_near, 1 - erf_near
    far = ~near  # NaN lands here and stays NaN
    a = xp.minimum(magnitude[far], 28.0)  # erfc(28) underflows to 0: no inf - inf below
    whole = xp.floor(a * 128 + 0.5) / 128
    rest = a - whole
    gauss = xp.exp(-whole * whole) * xp.exp(-(2 * whole * rest + rest * rest))
    tail = xp.empty_like(a)
    middle = a < 8
    a_middle, a_high = a[middle], a[~middle]
    tail[middle] = gauss[middle] * _polynomial(a_middle, _ERFC_P) / _polynomial(a_middle, _ERFC_Q)
    tail[~middle] = gauss[~middle] * _polynomial(a_high, _ERFC_R) / _polynomial(a_high, _ERFC_S)
    x_far = x[far]
    erf[far] = xp.copysign(1 - tail, x_far)
    erfc[far] = xp.where(x_far < 0, 2 - tail, tail)
    return erf, erfc


class _ErrorFunction(Function):
    """erf(x) or erfc(x) = 1 - erf(x). minidl.ops has no special functions; this is their one form."""

    def __init__(self, complement):
        self.complement = complement

    def forward(self, x):
        self.x = x
        with np.errstate(all="ignore"):
            erf, erfc = _erf_and_erfc(x.astype(np.float64))
        return (erfc if self.complement else erf).astype(x.dtype)

    def backward(self, gy):
        # d erf(x)/dx = 2/sqrt(pi) exp(-x^2);  d erfc(x)/dx = -2/sqrt(pi) exp(-x^2)
        slope = _TWO_OVER_SQRT_PI * _xp().exp(-self.x * self.x)
        return gy * (-slope if self.complement else slope)


@_op("erf")
def erf(x):
    """The error function 2/sqrt(pi) * integral_0^x exp(-t^2) dt (floatx for integers)."""
    return _as_tf(_ErrorFunction(False)(_float(x)))


@_op("erfc")
def erfc(x):
    """1 - erf(x), accurate where erf(x) is close to 1."""
    return _as_tf(_ErrorFunction(True)(_float(x)))


# -- comparisons and logic (no gradient) -------------------------------------------------------------


def _comparison(name, compare):
    @_op(name)
    def comparison(x1, x2):
        x1, x2 = _promoted(x1, x2)
        return _constant(compare(x1.data, x2.data))

    comparison.__name__ = comparison.__qualname__ = name
    return comparison


equal = _comparison("equal", lambda a, b: a == b)
not_equal = _comparison("not_equal", lambda a, b: a != b)
greater = _comparison("greater", lambda a, b: a > b)
greater_equal = _comparison("greater_equal", lambda a, b: a >= b)
less = _comparison("less", lambda a, b: a < b)
less_equal = _comparison("less_equal", lambda a, b: a <= b)


def _logical(name, combine):
    @_op(name)
    def logical(x1, x2):
        return _constant(combine(_tensor(x1).data.astype(bool), _tensor(x2).data.astype(bool)))

    logical.__name__ = logical.__qualname__ = name
    return logical


logical_and = _logical("logical_and", lambda a, b: a & b)
logical_or = _logical("logical_or", lambda a, b: a | b)
logical_xor = _logical("logical_xor", lambda a, b: a ^ b)


@_op("logical_not")
def logical_not(x):
    return _constant(~_tensor(x).data.astype(bool))


def _float_test(name, test, for_integers):
    @_op(name)
    def check(x):
        x = _tensor(x)
        if x.dtype.kind != "f":
            return _constant(_xp().full(x.shape, for_integers))
        return _constant(test(_xp(), x.data))

    check.__name__ = check.__qualname__ = name
    return check


isnan = _float_test("isnan", lambda xp, data: xp.isnan(data), False)
isinf = _float_test("isinf", lambda xp, data: xp.isinf(data), False)
isfinite = _float_test("isfinite", lambda xp, data: xp.isfinite(data), True)
isposinf = _float_test("isposinf", lambda xp, data: xp.isposinf(data), False)
isneginf = _float_test("isneginf", lambda xp, data: xp.isneginf(data), False)


@_op("isclose")
def isclose(x1, x2, rtol=1e-05, atol=1e-08, equal_nan=False):
    """|x1 - x2| <= atol + rtol * |x2|, element-wise."""
    x1, x2 = _promoted(x1, x2)
    return _constant(_xp().isclose(x1.data, x2.data, rtol=rtol, atol=atol, equal_nan=equal_nan))


@_op("allclose")
def allclose(x1, x2, rtol=1e-05, atol=1e-08, equal_nan=False):
    return _constant(isclose(x1, x2, rtol, atol, equal_nan).data.all())


@_op("where")
def where(condition, x1=None, x2=None):
    """``x1`` where ``condition`` holds, else ``x2`` (broadcast together; gradients flow to both).
    With the condition alone, like ``np.where``: a tuple of int32 index tensors, one per axis."""
    condition = _tensor(condition)
    if x1 is None and x2 is None:
        return nonzero(condition)
    if x1 is None or x2 is None:
        raise ValueError("keras.ops.where: x1 and x2 must both be given, or neither")
    x1, x2 = _promoted(x1, x2)
    return _as_tf(_math.where(condition.data.astype(bool), x1, x2))


@_op("nonzero")
def nonzero(x):
    """The indices of the non-zero elements, one int32 tensor per axis (as ``np.nonzero``)."""
    x = _tensor(x)
    if x.ndim == 0:
        raise ValueError("keras.ops.nonzero: x is a scalar; give it at least one axis (ops.reshape(x, (1,)))")
    return tuple(_constant(index.astype(np.int32)) for index in _xp().nonzero(x.data))


@_op("select")
def select(condlist, choicelist, default=0):
    """The element of the first ``choicelist`` entry whose condition holds, else ``default``."""
    if len(condlist) != len(choicelist):
        raise ValueError(f"keras.ops.select: condlist and choicelist differ in length ({len(condlist)} and "
                         f"{len(choicelist)})")
    result = default
    for condition, choice in reversed(list(zip(condlist, choicelist))):
        result = where(condition, choice, result)
    return _as_tf(result) if isinstance(result, Tensor) else convert_to_tensor(result)


# -- reductions ---------------------------------------------------------------------------------------


def _accumulator(dtype):
    """Keras's dtype of sums and products: bool, int8 and int16 add up in int32, uint8 and uint16
    in uint32; other dtypes keep theirs."""
    if dtype.kind == "b" or dtype in (np.int8, np.int16):
        return np.dtype(np.int32)
    if dtype in (np.uint8, np.uint16):
        return np.dtype(np.uint32)
    return dtype


@_op("sum")
def sum(x, axis=None, keepdims=False):  # noqa: A001 - Keras's name
    """The sum over ``axis`` (all axes when None)."""
    x = _tensor(x)
    axis = _axes(axis, x.ndim, "sum")
    if x.dtype.kind == "f":
        return _as_tf(_reductions.sum(x, axis=axis, keepdims=keepdims))
    dtype = _accumulator(x.dtype)
    return _constant(x.data.sum(axis=axis, keepdims=keepdims, dtype=dtype))


@_op("mean")
def mean(x, axis=None, keepdims=False):
    """The mean over ``axis``; integers and booleans give floatx (Keras 3: ``mean([1, 2])`` is 1.5)."""
    x = _float(x)
    return _as_tf(_reductions.mean(x, axis=_axes(axis, x.ndim, "mean"), keepdims=keepdims))


@_op("var")
def var(x, axis=None, keepdims=False):
    """The (biased, divide-by-n) variance over ``axis``."""
    x = _float(x)
    return _as_tf(_reductions.var(x, axis=_axes(axis, x.ndim, "var"), keepdims=keepdims))


@_op("std")
def std(x, axis=None, keepdims=False):
    return sqrt(var(x, axis, keepdims))


def _extremum(name, reduce, combine, x, axis, keepdims, initial):
    x = _tensor(x)
    axis = _axes(axis, x.ndim, name)
    empty = x.data.size == 0 or builtins.any(x.shape[a] == 0 for a in ((axis,) if isinstance(axis, int) else axis or ()))
    if empty:
        if initial is None:
            raise ValueError(f"keras.ops.{name}: x has no elements along the reduced axes; give initial=")
        reduced = np.empty(x.shape).sum(axis=axis, keepdims=keepdims).shape
        return full(reduced, initial, dtype=x.dtype)
    if x.dtype.kind == "f":
        result = _as_tf(reduce(x, axis=axis, keepdims=keepdims))
    else:
        result = _constant(getattr(x.data, name)(axis=axis, keepdims=keepdims))
    if initial is not None:
        result = _as_tf(combine(result, _convert(initial, dtype=x.dtype)))
    return result


@_op("max")
def max(x, axis=None, keepdims=False, initial=None):  # noqa: A001 - Keras's name
    """The largest value over ``axis`` (and ``initial``, when given: required for empty axes). The
    gradient goes to the largest elements, shared among ties."""
    return _extremum("max", _reductions.max, _math.maximum, x, axis, keepdims, initial)


@_op("min")
def min(x, axis=None, keepdims=False, initial=None):  # noqa: A001 - Keras's name
    return _extremum("min", _reductions.min, _math.minimum, x, axis, keepdims, initial)


def amax(x, axis=None, keepdims=False):
    return max(x, axis, keepdims)


def amin(x, axis=None, keepdims=False):
    return min(x, axis, keepdims)


@_op("ptp")
def ptp(x, axis=None, keepdims=False):
    """max - min over ``axis``."""
    return subtract(max(x, axis, keepdims), min(x, axis, keepdims))


def _arg_extremum(name, x, axis, keepdims):
    x = _tensor(x)
    data = x.data
    if axis is None:
        index = getattr(data.reshape(-1), name)()
        return _constant(index.astype(np.int32).reshape((1,) * x.ndim if keepdims else ()))
    axis = _axes(axis, x.ndim, name)
    index = getattr(data, name)(axis=axis).astype(np.int32)
    return _constant(_xp().expand_dims(index, axis) if keepdims else index)


@_op("argmax")
def argmax(x, axis=None, keepdims=False):
    """The index of the largest value along ``axis`` (of the flattened tensor when None), int32."""
    return _arg_extremum("argmax", x, axis, keepdims)


@_op("argmin")
def argmin(x, axis=None, keepdims=False):
    return _arg_extremum("argmin", x, axis, keepdims)


@_op("any")
def any(x, axis=None, keepdims=False):  # noqa: A001 - Keras's name
    """Whether any element along ``axis`` is non-zero (bool)."""
    x = _tensor(x)
    return _constant(x.data.astype(bool).any(axis=_axes(axis, x.ndim, "any"), keepdims=keepdims))


@_op("all")
def all(x, axis=None, keepdims=False):  # noqa: A001 - Keras's name
    x = _tensor(x)
    return _constant(x.data.astype(bool).all(axis=_axes(axis, x.ndim, "all"), keepdims=keepdims))


@_op("count_nonzero")
def count_nonzero(x, axis=None):
    """How many elements along ``axis`` are not zero (int32)."""
    x = _tensor(x)
    return _constant((x.data != 0).sum(axis=_axes(axis, x.ndim, "count_nonzero")).astype(np.int32))


def _tree_product(x, axis):
    """The product along ``axis`` as a tree of element-wise products (pairs, then pairs of pairs):
    log2(n) differentiable multiplications whose gradient is exact, zeros included."""
    while x.shape[axis] > 1:
        if x.shape[axis] % 2:
            widths = [(0, 0)] * x.ndim
            widths[axis] = (0, 1)
            x = _shapes.pad(x, widths, value=1)
        even = [builtins.slice(None)] * x.ndim
        odd = [builtins.slice(None)] * x.ndim
        even[axis], odd[axis] = builtins.slice(0, None, 2), builtins.slice(1, None, 2)
        x = _math.mul(_shapes.getitem(x, tuple(even)), _shapes.getitem(x, tuple(odd)))
    return x


@_op("prod")
def prod(x, axis=None, keepdims=False, dtype=None):
    """The product over ``axis`` (all axes when None); bool, int8 and int16 multiply in int32.
    Differentiable, with the exact gradient where some elements are zero."""
    x = _tensor(x)
    x = _cast(x, dtype if dtype is not None else _accumulator(x.dtype))
    axes = _axes(axis, x.ndim, "prod")
    axes = tuple(range(x.ndim)) if axes is None else (axes,) if isinstance(axes, int) else axes
    if not x.requires_grad:
        return _constant(_xp().prod(x.data, axis=axes, keepdims=keepdims, dtype=x.dtype))
    kept = [a for a in range(x.ndim) if a not in axes]
    rows = reshape(transpose(x, kept + list(axes)), [x.shape[a] for a in kept] + [-1])
    if rows.shape[-1] == 0:
        return ones_like(sum(x, axis, keepdims))
    product = _as_tf(_shapes.squeeze(_tree_product(rows, rows.ndim - 1), rows.ndim - 1))
    if keepdims:
        product = reshape(product, [1 if a in axes else size for a, size in enumerate(x.shape)])
    return product


def _scan_along(x, axis, combine, identity):
    """Running ``combine`` (add or mul) along ``axis`` by Hillis and Steele's doubling: step k
    combines each element with the one 2^k before it -- log2(n) differentiable steps."""
    shift = 1
    while shift < x.shape[axis]:
        kept = [builtins.slice(None)] * x.ndim
        kept[axis] = builtins.slice(0, x.shape[axis] - shift)
        widths = [(0, 0)] * x.ndim
        widths[axis] = (shift, 0)
        x = combine(x, _shapes.pad(_shapes.getitem(x, tuple(kept)), widths, value=identity))
        shift *= 2
    return x


def _cumulative(name, x, axis, dtype, combine, identity):
    x = _tensor(x)
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    x = _cast(x, dtype if dtype is not None else _integer_result(x.dtype))
    axis = _axes(axis, x.ndim, name)
    if not x.requires_grad:
        return _constant(getattr(_xp(), name)(x.data, axis=axis, dtype=x.dtype))
    return _as_tf(_scan_along(x, axis, combine, identity))


@_op("cumsum")
def cumsum(x, axis=None, dtype=None):
    """Running sums along ``axis`` (of the flattened tensor when None); booleans count in int32.
    Differentiable (the gradient of each element is the sum of the gradients after it)."""
    return _cumulative("cumsum", x, axis, dtype, _math.add, 0)


@_op("cumprod")
def cumprod(x, axis=None, dtype=None):
    """Running products along ``axis``; differentiable, with the exact gradient at zeros."""
    return _cumulative("cumprod", x, axis, dtype, _math.mul, 1)


@_op("logsumexp")
def logsumexp(x, axis=None, keepdims=False):
    """log(sum(exp(x))) over ``axis``, computed stably (the maximum taken out first; all -inf
    gives -inf)."""
    x = _float(x)
    axis = _axes(axis, x.ndim, "logsumexp")
    peak = x.data.max(axis=axis, keepdims=True)
    peak = _constant(_xp().where(_xp().isfinite(peak), peak, 0).astype(x.dtype))
    with np.errstate(divide="ignore"):
        total = _math.log(_reductions.sum(_math.exp(_math.sub(x, peak)), axis=axis, keepdims=True))
    result = _math.add(total, peak)
    if not keepdims:
        result = _shapes.squeeze(result, tuple(range(x.ndim)) if axis is None else axis)
    return _as_tf(result)


@_op("average")
def average(x, axis=None, weights=None):
    """The mean over ``axis``, or the ``weights``-weighted mean (``weights`` of x's shape, or 1-D
    along ``axis``)."""
    x = _float(x)
    if weights is None:
        return mean(x, axis)
    x, weights = _promoted(x, weights)
    if weights.ndim == 1 and x.ndim > 1 and axis is not None:
        along = [1] * x.ndim
        along[_axes(axis, x.ndim, "average")] = -1
        weights = reshape(weights, along)
    return divide(sum(multiply(x, weights), axis), sum(broadcast_to(weights, x.shape), axis))


@_op("norm")
def norm(x, ord=None, axis=None, keepdims=False):  # noqa: A002 - Keras's name
    """Vector norms over one axis (``ord`` None/2, 1, inf, -inf, 0 or any p) and matrix norms over
    two (None/'fro', 1, -1, inf, -inf; 'nuc', 2 and -2 without a gradient). ``axis=None`` takes
    every axis of a vector or matrix. floatx for integers."""
    x = _float(x)
    axes = tuple(range(x.ndim)) if axis is None else _axes(axis, x.ndim, "norm")
    axes = (axes,) if isinstance(axes, int) else axes
    if len(axes) == 1:
        return _vector_norm(x, ord, axes[0], keepdims)
    if len(axes) == 2:
        return _matrix_norm(x, ord, axes, keepdims)
    raise ValueError(f"keras.ops.norm: axis must name one axis (a vector norm) or two (a matrix norm), got "
                     f"{axis!r} for a tensor of rank {x.ndim}")


def _vector_norm(x, ord, axis, keepdims):  # noqa: A002
    if isinstance(ord, str):
        raise ValueError(f"keras.ops.norm: ord={ord!r} is a matrix norm; a vector norm takes a number")
    if ord is None or ord == 2:
        return sqrt(sum(multiply(x, x), axis, keepdims))
    if ord == np.inf:
        return max(abs(x), axis, keepdims)
    if ord == -np.inf:
        return min(abs(x), axis, keepdims)
    if ord == 0:
        return sum(cast(not_equal(x, 0), x.dtype), axis, keepdims)
    p = x.dtype.type(ord)
    return power(sum(power(abs(x), p), axis, keepdims), x.dtype.type(1) / p)


def _matrix_norm(x, ord, axes, keepdims):  # noqa: A002
    rows, columns = axes
    if ord in (None, "fro"):
        return sqrt(sum(multiply(x, x), axes, keepdims))
    if ord in (1, -1, np.inf, -np.inf):
        summed, then = (rows, columns) if ord in (1, -1) else (columns, rows)
        if not keepdims and then > summed:
            then -= 1
        pick = max if ord in (1, np.inf) else min
        return pick(sum(abs(x), summed, keepdims), then, keepdims)
    if ord in ("nuc", 2, -2):
        if x.requires_grad:
            raise UnsupportedError(f"keras.ops.norm: ord={ord!r} needs singular values, which minidl cannot "
                                   "differentiate; use ord='fro' in a loss")
        singular = np.linalg.svd(np.moveaxis(x.numpy(), axes, (-2, -1)), compute_uv=False)
        value = singular.sum(-1) if ord == "nuc" else singular.max(-1) if ord == 2 else singular.min(-1)
        if keepdims:
            value = np.expand_dims(value, tuple(sorted(axes)))
        return _new(value.astype(x.dtype))
    raise ValueError(f"keras.ops.norm: ord={ord!r} is not a matrix norm; use None, 'fro', 'nuc', 1, -1, 2, -2, "
                     "inf or -inf")


# -- shapes ----------------------------------------------------------------------------------------


@_op("reshape")
def reshape(x, newshape):
    """``x`` with the shape ``newshape`` (one entry may be -1)."""
    return _as_tf(_shapes.reshape(_tensor(x), tuple(_int_list(newshape, "reshape", "newshape"))))


@_op("transpose")
def transpose(x, axes=None):
    """``x`` with its axes permuted (reversed when ``axes`` is None)."""
    x = _tensor(x)
    return _as_tf(_shapes.transpose(x, None if axes is None else tuple(_int_list(axes, "transpose", "axes"))))


@_op("moveaxis")
def moveaxis(x, source, destination):
    """``x`` with the axes ``source`` moved to the positions ``destination``."""
    x = _tensor(x)
    sources = [_axes(a, x.ndim, "moveaxis") for a in _int_list(source, "moveaxis", "source")]
    destinations = [_axes(a, x.ndim, "moveaxis") for a in _int_list(destination, "moveaxis", "destination")]
    if len(sources) != len(destinations):
        raise ValueError(f"keras.ops.moveaxis: source {source!r} and destination {destination!r} differ in length")
    order = [a for a in range(x.ndim) if a not in sources]
    for place, axis in sorted(zip(destinations, sources)):
        order.insert(place, axis)
    return transpose(x, order)


@_op("swapaxes")
def swapaxes(x, axis1, axis2):
    x = _tensor(x)
    order = list(range(x.ndim))
    first, second = _axes(axis1, x.ndim, "swapaxes"), _axes(axis2, x.ndim, "swapaxes")
    order[first], order[second] = order[second], order[first]
    return transpose(x, order)


@_op("expand_dims")
def expand_dims(x, axis):
    """``x`` with a new axis of size 1 at ``axis`` (or at each of a tuple of axes)."""
    x = _tensor(x)
    axes = _int_list(axis, "expand_dims", "axis")
    rank = x.ndim + len(axes)
    for position in sorted(a % rank for a in axes):
        x = _as_tf(_shapes.expand_dims(x, position))
    return x


@_op("squeeze")
def squeeze(x, axis=None):
    x = _tensor(x)
    return _as_tf(_shapes.squeeze(x, _axes(axis, x.ndim, "squeeze")))


@_op("ravel")
def ravel(x):
    return reshape(x, (-1,))


def _joined(xs):
    """A list of tensors promoted to their common Keras dtype."""
    return _promoted(*xs) if len(xs) > 1 else [_tensor(xs[0])]


@_op("concatenate")
def concatenate(xs, axis=0):
    """The tensors ``xs`` joined along ``axis`` (NumPy's default 0)."""
    tensors = _joined(list(xs))
    return _as_tf(_shapes.concatenate(tensors, axis=axis))


@_op("stack")
def stack(x, axis=0):
    """The tensors ``x`` (of one shape) stacked along a new axis."""
    return _as_tf(_shapes.stack(_joined(list(x)), axis=axis))


@_op("hstack")
def hstack(xs):
    """Joined along axis 1 (axis 0 for 1-D tensors), as ``np.hstack``."""
    tensors = _joined(list(xs))
    return concatenate(tensors, axis=0 if tensors[0].ndim == 1 else 1)


@_op("vstack")
def vstack(xs):
    """Joined along axis 0, 1-D tensors as rows, as ``np.vstack``."""
    tensors = [reshape(t, (1, -1)) if t.ndim < 2 else t for t in _joined(list(xs))]
    return concatenate(tensors, axis=0)


@_op("dstack")
def dstack(xs):
    """Joined along axis 2 (depth), vectors as (1, n, 1) and matrices as (m, n, 1), as ``np.dstack``."""
    tensors = []
    for t in _joined(list(xs)):
        if t.ndim < 3:
            t = reshape(t, (1, -1, 1) if t.ndim < 2 else tuple(t.shape) + (1,))
        tensors.append(t)
    return concatenate(tensors, axis=2)


@_op("append")
def append(x1, x2, axis=None):
    """x2 joined after x1 along ``axis`` (both flattened when None)."""
    if axis is None:
        return concatenate([ravel(x1), ravel(x2)], axis=0)
    return concatenate([x1, x2], axis=axis)


@_op("split")
def split(x, indices_or_sections, axis=0):
    """NumPy's split: into ``indices_or_sections`` equal parts (an int), or at the given indices
    (a list: ``[2, 5]`` gives x[:2], x[2:5], x[5:])."""
    x = _tensor(x)
    axis = _axes(axis, x.ndim, "split")
    length = x.shape[axis]
    if isinstance(indices_or_sections, numbers.Integral):
        sections = int(indices_or_sections)
        if sections < 1 or length % sections:
            raise ValueError(f"keras.ops.split: indices_or_sections={sections} does not divide axis {axis} of "
                             f"length {length} into equal parts; give the split indices as a list instead")
        cuts = [part * (length // sections) for part in range(1, sections)]
    else:
        cuts = [builtins.min(builtins.max(c if c >= 0 else c + length, 0), length)
                for c in _int_list(indices_or_sections, "split", "indices_or_sections")]
    bounds = list(zip([0] + cuts, cuts + [length]))
    pieces = []
    for start, stop in bounds:
        index = [builtins.slice(None)] * x.ndim
        index[axis] = builtins.slice(start, builtins.max(start, stop))
        pieces.append(_as_tf(_shapes.getitem(x, tuple(index))))
    return pieces


@_op("array_split")
def array_split(x, indices_or_sections, axis=0):
    """``split`` that also takes a number of parts that does not divide the axis: the first
    ``length % parts`` parts are one longer (``np.array_split``)."""
    x = _tensor(x)
    axis = _axes(axis, x.ndim, "array_split")
    if not isinstance(indices_or_sections, numbers.Integral):
        return split(x, indices_or_sections, axis)
    sections = int(indices_or_sections)
    if sections < 1:
        raise ValueError(f"keras.ops.array_split: indices_or_sections must be >= 1, got {sections}")
    longer, size = x.shape[axis] % sections, x.shape[axis] // sections
    cuts = np.cumsum([size + 1] * longer + [size] * (sections - longer))[:-1]
    return split(x, cuts.tolist(), axis)


def _split_along(name, axis_of):
    @_op(name)
    def split_along(x, indices_or_sections):
        x = _tensor(x)
        axis = axis_of(x.ndim)
        if x.ndim <= axis:
            raise ValueError(f"keras.ops.{name}: x must have more than {axis} axes, got shape {tuple(x.shape)}")
        return split(x, indices_or_sections, axis)

    split_along.__name__ = split_along.__qualname__ = name
    split_along.__doc__ = f"``split`` along axis {axis_of(2)} (``np.{name}``)."
    return split_along


hsplit = _split_along("hsplit", lambda ndim: 0 if ndim == 1 else 1)
vsplit = _split_along("vsplit", lambda ndim: 0)
dsplit = _split_along("dsplit", lambda ndim: 2)


@_op("unstack")
def unstack(x, num=None, axis=0):
    """The slices of ``x`` along ``axis``, as a list (``num``, when given, must be their number)."""
    x = _tensor(x)
    axis = _axes(axis, x.ndim, "unstack")
    if num is not None and num != x.shape[axis]:
        raise ValueError(f"keras.ops.unstack: num={num} but axis {axis} of shape {tuple(x.shape)} has "
                         f"{x.shape[axis]} slices")
    return [_as_tf(_shapes.getitem(x, (builtins.slice(None),) * axis + (i,))) for i in range(x.shape[axis])]


@_op("tile")
def tile(x, repeats):
    """``x`` repeated ``repeats[i]`` times along axis i (NumPy's tile: a shorter ``repeats`` counts
    from the last axis, a longer one adds leading axes)."""
    x = _tensor(x)
    repeats = _int_list(repeats, "tile", "repeats")
    if builtins.any(r < 0 for r in repeats):
        raise ValueError(f"keras.ops.tile: repeats must be >= 0, got {repeats}")
    if len(repeats) > x.ndim:
        x = reshape(x, (1,) * (len(repeats) - x.ndim) + tuple(x.shape))
    repeats = [1] * (x.ndim - len(repeats)) + repeats
    return _as_tf(_tile_op(x, repeats))


@_op("repeat")
def repeat(x, repeats, axis=None):
    """Each element repeated ``repeats`` times (an int, or one count per element) along ``axis``
    (of the flattened tensor when None); the gradient sums the copies."""
    x = _tensor(x)
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    axis = _axes(axis, x.ndim, "repeat")
    counts = _int_list(repeats, "repeat", "repeats")
    if len(counts) not in (1, x.shape[axis]) or builtins.any(c < 0 for c in counts):
        raise ValueError(f"keras.ops.repeat: repeats must be one count >= 0 or one per element along axis "
                         f"{axis} ({x.shape[axis]}), got {repeats!r}")
    source = np.repeat(np.arange(x.shape[axis]), counts[0] if len(counts) == 1 else counts)
    return _as_tf(_shapes.getitem(x, (builtins.slice(None),) * axis + (source,)))


@_op("broadcast_to")
def broadcast_to(x, shape):
    """``x`` copied along new leading axes and its size-1 axes to ``shape``; the gradient sums the copies."""
    return _as_tf(_broadcast_op(_tensor(x), _shape(shape, "broadcast_to")))


@_op("flip")
def flip(x, axis=None):
    """``x`` in reverse order along ``axis`` (every axis when None)."""
    x = _tensor(x)
    return _as_tf(_shapes.flip(x, _axes(axis, x.ndim, "flip")))


@_op("fliplr")
def fliplr(x):
    return flip(x, 1)


@_op("flipud")
def flipud(x):
    return flip(x, 0)


@_op("rot90")
def rot90(array, k=1, axes=(0, 1)):
    """``array`` rotated by 90 degrees ``k`` times in the plane of ``axes``, from the first axis
    toward the second (``np.rot90``)."""
    x = _tensor(array)
    first, second = (_axes(a, x.ndim, "rot90") for a in axes)
    if first == second:
        raise ValueError(f"keras.ops.rot90: axes must be two different axes, got {axes!r}")
    turns = int(k) % 4
    if turns == 0:
        return x
    if turns == 2:
        return flip(x, (first, second))
    swapped = swapaxes(x, first, second)
    return swapaxes(flip(x, second), first, second) if turns == 1 else flip(swapped, second)


@_op("roll")
def roll(x, shift, axis=None):
    """Elements shifted by ``shift`` along ``axis`` (of the flattened tensor when None), those
    pushed past the end coming back at the start."""
    x = _tensor(x)
    if axis is None:
        return reshape(roll(reshape(x, (-1,)), shift, 0), x.shape)
    axes = _int_list(axis, "roll", "axis")
    shifts = _int_list(shift, "roll", "shift") * (len(axes) if isinstance(shift, numbers.Integral) else 1)
    for a, s in zip(axes, shifts):
        a = _axes(a, x.ndim, "roll")
        source = (np.arange(x.shape[a]) - s) % builtins.max(x.shape[a], 1)
        x = _as_tf(_shapes.getitem(x, (builtins.slice(None),) * a + (source,)))
    return x


_PAD_MODES = ("constant", "reflect", "symmetric", "edge", "wrap")


@_op("pad")
def pad(x, pad_width, mode="constant", constant_values=None):
    """``x`` padded by ``pad_width`` (NumPy's forms: an int, a (before, after) pair, or one pair per
    axis) with ``constant_values`` (0) or, by ``mode``, its own elements mirrored ('reflect',
    'symmetric'), repeated ('edge') or wrapped around ('wrap'). Differentiable in every mode."""
    x = _tensor(x)
    mode = str(mode).lower()
    if mode not in _PAD_MODES:
        raise ValueError(f"keras.ops.pad: mode must be one of {', '.join(map(repr, _PAD_MODES))}, got {mode!r}")
    if mode != "constant" and constant_values is not None:
        raise ValueError(f"keras.ops.pad: constant_values can only be given with mode='constant', not {mode!r}")
    widths = pad_width.numpy() if isinstance(pad_width, Tensor) else pad_width
    try:
        widths = np.broadcast_to(np.asarray(widths), (x.ndim, 2))
    except ValueError:
        raise ValueError(f"keras.ops.pad: pad_width must be an int, a (before, after) pair or one pair per axis of "
                         f"shape {tuple(x.shape)}, got {pad_width!r}") from None
    if widths.dtype.kind not in "iu" or (widths < 0).any():
        raise ValueError(f"keras.ops.pad: pad_width must be non-negative integers, got {pad_width!r}")
    pairs = [(int(before), int(after)) for before, after in widths]
    if mode == "constant":
        value = 0 if constant_values is None else constant_values
        return _as_tf(_shapes.pad(x, pairs, value=x.dtype.type(value)))
    for axis, (before, after) in enumerate(pairs):
        if before or after:
            # the source element of every output position along this axis: np.pad of 0, 1, ..., n-1
            source = np.pad(np.arange(x.shape[axis]), (before, after), mode=mode)
            x = _as_tf(_shapes.getitem(x, (builtins.slice(None),) * axis + (source,)))
    return x


# -- indexing --------------------------------------------------------------------------------------


def _indices(indices, length, who):
    """Integer indices as a host array, negative ones counted from the end."""
    array = np.asarray(indices.numpy() if isinstance(indices, Tensor) else indices)
    if array.dtype.kind not in "iu":
        if array.dtype.kind == "f" and array.size and not np.all(np.mod(array, 1) == 0):
            raise ValueError(f"keras.ops.{who}: indices must be integers, got {array.dtype} values")
        array = array.astype(np.int64)
    if array.size and (array.min() < -length or array.max() >= length):
        raise IndexError(f"keras.ops.{who}: an index is out of range for an axis of length {length}")
    return np.where(array < 0, array + length, array)


@_op("take")
def take(x, indices, axis=None):
    """Elements of ``x`` at ``indices`` along ``axis`` (of the flattened tensor when None); the
    result has the indices' shape in place of that axis. The gradient scatters back."""
    x = _tensor(x)
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    axis = _axes(axis, x.ndim, "take")
    index = _indices(indices, x.shape[axis], "take")
    return _as_tf(_shapes.getitem(x, (builtins.slice(None),) * axis + (index,)))


@_op("take_along_axis")
def take_along_axis(x, indices, axis=None):
    """``np.take_along_axis``: at each position, the element of ``x`` that ``indices`` names along
    ``axis`` (indices have x's rank; other axes broadcast). The gradient scatters back."""
    x = _tensor(x)
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    axis = _axes(axis, x.ndim, "take_along_axis")
    index = _indices(indices, x.shape[axis], "take_along_axis")
    if index.ndim != x.ndim:
        raise ValueError(f"keras.ops.take_along_axis: indices must have x's rank {x.ndim}, got shape {index.shape}")
    return _as_tf(_shapes.getitem(x, _along_axis_key(x.shape, index, axis)))


def _along_axis_key(x_shape, index, axis):
    """The fancy index that takes ``index`` along ``axis`` and broadcasts the other axes."""
    sizes = [x_shape[a] if a != axis else index.shape[a] for a in range(len(x_shape))]
    out_shape = np.broadcast_shapes(tuple(sizes), index.shape)
    key = []
    for a, size in enumerate(out_shape):
        if a == axis:
            key.append(np.broadcast_to(index, out_shape))
        else:
            along = [1] * len(out_shape)
            along[a] = size
            positions = np.arange(size) if x_shape[a] != 1 else np.zeros(size, dtype=np.int64)
            key.append(np.broadcast_to(positions.reshape(along), out_shape))
    return tuple(key)


@_op("get_item")
def get_item(x, key):
    """``x[key]``."""
    return _as_tf(_shapes.getitem(_tensor(x), key))


@_op("slice")
def slice(inputs, start_indices, shape):  # noqa: A001 - Keras's name
    """The block of ``inputs`` starting at ``start_indices`` with sizes ``shape`` (-1: to the end)."""
    x = _tensor(inputs)
    starts = _int_list(start_indices, "slice", "start_indices")
    sizes = _int_list(shape, "slice", "shape")
    if len(starts) != x.ndim or len(sizes) != x.ndim:
        raise ValueError(f"keras.ops.slice: start_indices and shape need one entry per axis of shape "
                         f"{tuple(x.shape)}, got {starts} and {sizes}")
    key = []
    for start, length, extent in zip(starts, sizes, x.shape):
        stop = extent if length == -1 else start + length
        if start < 0 or stop > extent or stop < start:
            raise ValueError(f"keras.ops.slice: start {start} with size {length} does not fit an axis of length "
                             f"{extent}")
        key.append(builtins.slice(start, stop))
    return _as_tf(_shapes.getitem(x, tuple(key)))


def _diagonal_indices(rows, columns, offset):
    """(row, column) index arrays of diagonal ``offset`` of a rows x columns matrix."""
    first_row, first_column = builtins.max(-offset, 0), builtins.max(offset, 0)
    length = builtins.max(builtins.min(rows - first_row, columns - first_column), 0)
    return np.arange(length) + first_row, np.arange(length) + first_column


@_op("diagonal")
def diagonal(x, offset=0, axis1=0, axis2=1):
    """The diagonal ``offset`` of the matrices on axes ``axis1``, ``axis2``, as a last axis."""
    x = _tensor(x)
    if x.ndim < 2:
        raise ValueError(f"keras.ops.diagonal: x must have at least 2 axes, got shape {tuple(x.shape)}")
    x = moveaxis(x, [_axes(axis1, x.ndim, "diagonal"), _axes(axis2, x.ndim, "diagonal")], [-2, -1])
    rows, columns = _diagonal_indices(x.shape[-2], x.shape[-1], int(offset))
    return _as_tf(_shapes.getitem(x, (builtins.slice(None),) * (x.ndim - 2) + (rows, columns)))


@_op("trace")
def trace(x, offset=0, axis1=0, axis2=1):
    """The sum of the diagonal ``offset`` (integers add up as in ``sum``)."""
    return sum(diagonal(x, offset, axis1, axis2), axis=-1)


@_op("diag")
def diag(x, k=0):
    """For a vector, the square matrix with it on diagonal ``k``; for a matrix, its diagonal ``k``."""
    x = _tensor(x)
    k = int(k)
    if x.ndim == 2:
        return diagonal(x, k)
    if x.ndim != 1:
        raise ValueError(f"keras.ops.diag: x must be a vector or a matrix, got shape {tuple(x.shape)}")
    n = x.shape[0] + builtins.abs(k)
    # the value on (i, i + k) depends on the column alone: a padded row times the identity shifted by k
    row = _as_tf(_shapes.pad(x, [(k, 0) if k > 0 else (0, -k)]))
    return _as_tf(_math.mul(reshape(row, (1, n)), _new(np.eye(n, k=k, dtype=x.dtype))))


@_op("diagflat")
def diagflat(x, k=0):
    """The square matrix with flattened ``x`` on diagonal ``k``."""
    return diag(ravel(x), k)


def _triangle(name, keep, x, k):
    x = _tensor(x)
    if x.ndim < 2:
        raise ValueError(f"keras.ops.{name}: x must have at least 2 axes, got shape {tuple(x.shape)}")
    mask = keep(np.ones(x.shape[-2:], dtype=bool), int(k))
    return _as_tf(_math.where(_backend.to_device(mask), x, x.dtype.type(0)))


@_op("triu")
def triu(x, k=0):
    """The matrices of ``x`` (last two axes) with zeros below diagonal ``k``."""
    return _triangle("triu", np.triu, x, k)


@_op("tril")
def tril(x, k=0):
    """The matrices of ``x`` with zeros above diagonal ``k``."""
    return _triangle("tril", np.tril, x, k)


@_op("diff")
def diff(a, n=1, axis=-1):
    """The ``n``-th difference along ``axis``: a[1:] - a[:-1], ``n`` times."""
    x = _tensor(a)
    axis = _axes(axis, x.ndim, "diff")
    for _ in range(int(n)):
        later, earlier = [builtins.slice(None)] * x.ndim, [builtins.slice(None)] * x.ndim
        later[axis], earlier[axis] = builtins.slice(1, None), builtins.slice(None, -1)
        x = subtract(_as_tf(_shapes.getitem(x, tuple(later))), _as_tf(_shapes.getitem(x, tuple(earlier))))
    return x


# -- sorting ---------------------------------------------------------------------------------------


def _descending_order(data, axis):
    """Indices that sort ``data`` from largest to smallest along ``axis``; ties keep index order."""
    xp = _xp()
    keys = data.astype(np.int64) if data.dtype.kind in "bu" else data
    return xp.argsort(-keys, axis=axis, kind="stable")


@_op("argsort")
def argsort(x, axis=-1):
    """The indices that sort ``x`` along ``axis`` (of the flattened tensor when None), int32;
    equal elements keep their order."""
    x = _tensor(x)
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    axis = _axes(axis, x.ndim, "argsort")
    return _constant(_xp().argsort(x.data, axis=axis, kind="stable").astype(np.int32))


@_op("sort")
def sort(x, axis=-1):
    """``x`` sorted along ``axis`` (flattened when None); the gradient goes back to each element's
    place before sorting."""
    x = _tensor(x)
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    axis = _axes(axis, x.ndim, "sort")
    order = _backend.to_numpy(_xp().argsort(x.data, axis=axis, kind="stable"))
    return _as_tf(_shapes.getitem(x, _along_axis_key(x.shape, order, axis)))


TopK = collections.namedtuple("TopK", ["values", "indices"])


@_op("top_k")
def top_k(x, k, sorted=True):  # noqa: A002 - Keras's name
    """The ``k`` largest values along the last axis, largest first, and their indices (int32);
    gradients flow back through the values. (Always sorted: ``sorted=False`` only allows any order.)"""
    x = _tensor(x)
    if x.ndim == 0:
        raise ValueError("keras.ops.top_k: x must have at least one axis")
    if not isinstance(k, numbers.Integral) or not 0 <= k <= x.shape[-1]:
        raise ValueError(f"keras.ops.top_k: k must be an integer in [0, {x.shape[-1]}] (the last axis), got {k!r}")
    order = _backend.to_numpy(_descending_order(x.data, -1))[..., :int(k)]
    values = _as_tf(_shapes.getitem(x, _along_axis_key(x.shape, order, x.ndim - 1)))
    return TopK(values, _new(order.astype(np.int32)))


@_op("in_top_k")
def in_top_k(targets, predictions, k):
    """Whether each target class is among the ``k`` highest predictions of its row (ties count in)."""
    predictions = _tensor(predictions).data
    targets = _xp().asarray(_tensor(targets).data).astype(np.int64)
    target_scores = predictions[_xp().arange(targets.shape[0]), targets]
    return _constant((predictions > target_scores[:, None]).sum(axis=1) < k)


# -- products --------------------------------------------------------------------------------------


@_op("matmul")
def matmul(x1, x2):
    """The matrix product (NumPy's matmul: leading axes broadcast, a 1-D operand is a vector)."""
    x1, x2 = _promoted(x1, x2)
    if x1.ndim == 0 or x2.ndim == 0:
        raise ValueError("keras.ops.matmul: operands must not be scalars; use keras.ops.multiply")
    left, right = x1.ndim == 1, x2.ndim == 1
    product = _math.matmul(reshape(x1, (1, -1)) if left else x1, reshape(x2, (-1, 1)) if right else x2)
    if right:
        product = _shapes.squeeze(product, product.ndim - 1)
    if left:
        product = _shapes.squeeze(product, product.ndim - 1 if right else product.ndim - 2)
    return _as_tf(product)


@_op("tensordot")
def tensordot(x1, x2, axes=2):
    """Sum over the last ``axes`` axes of x1 and the first ``axes`` of x2 (or over the axis
    lists ``axes=(a1, a2)``), by transposes, reshapes and one matrix product."""
    x1, x2 = _promoted(x1, x2)
    if isinstance(axes, numbers.Integral):
        first = list(range(x1.ndim - int(axes), x1.ndim))
        second = list(range(int(axes)))
    else:
        first, second = (_int_list(a, "tensordot", "axes") for a in axes)
        first, second = [a % x1.ndim for a in first], [a % x2.ndim for a in second]
    if [x1.shape[a] for a in first] != [x2.shape[a] for a in second]:
        raise ValueError(f"keras.ops.tensordot: axes {first} of shape {tuple(x1.shape)} and {second} of shape "
                         f"{tuple(x2.shape)} differ in size")
    free1 = [a for a in range(x1.ndim) if a not in first]
    free2 = [a for a in range(x2.ndim) if a not in second]
    inner = math.prod(x1.shape[a] for a in first)
    left = reshape(transpose(x1, free1 + first), (-1, inner))
    right = reshape(transpose(x2, second + free2), (inner, -1))
    result = _math.matmul(left, right)
    return reshape(result, [x1.shape[a] for a in free1] + [x2.shape[a] for a in free2])


@_op("dot")
def dot(x1, x2):
    """NumPy's dot: scalars multiply, vectors and matrices take the matrix product, and N-D
    tensors sum over the last axis of x1 and the second-to-last of x2."""
    x1, x2 = _promoted(x1, x2)
    if x1.ndim == 0 or x2.ndim == 0:
        return multiply(x1, x2)
    if x2.ndim <= 2:
        return matmul(x1, x2)
    return tensordot(x1, x2, axes=([-1], [-2]))


@_op("vdot")
def vdot(x1, x2):
    """The sum of the element-wise product of the flattened tensors."""
    return sum(multiply(ravel(x1), ravel(x2)))


@_op("inner")
def inner(x1, x2):
    """The sum over the last axes of both (scalars multiply)."""
    x1, x2 = _promoted(x1, x2)
    if x1.ndim == 0 or x2.ndim == 0:
        return multiply(x1, x2)
    return tensordot(x1, x2, axes=([-1], [-1]))


@_op("outer")
def outer(x1, x2):
    """Every element of flattened x1 times every element of flattened x2: (x1.size, x2.size)."""
    x1, x2 = _promoted(x1, x2)
    return multiply(reshape(x1, (-1, 1)), reshape(x2, (1, -1)))


class _Einsum(Function):
    """``einsum`` with explicit labels (every operand's labels distinct, sizes matching): the
    gradient of an operand is the einsum of the output gradient with the other operands, onto
    that operand's labels, broadcast along labels that appear nowhere else (and summed along a
    size-1 label NumPy broadcast)."""

    def __init__(self, inputs, output):
        self.labels, self.output = inputs, output

    def forward(self, *arrays):
        self.arrays = arrays
        return _xp().einsum(",".join(self.labels) + "->" + self.output, *arrays, optimize=len(arrays) > 2)

    def backward(self, gy):
        grads = []
        for position, (labels, array) in enumerate(zip(self.labels, self.arrays)):
            if self.needs_input_grad and not self.needs_input_grad[position]:
                grads.append(None)
                continue
            others = [(lab, arr) for i, (lab, arr) in enumerate(zip(self.labels, self.arrays)) if i != position]
            known = set(self.output).union(*(set(lab) for lab, _ in others))
            kept = "".join(label for label in labels if label in known)
            # d out / d operand: the output gradient contracted with every other operand
            subscripts = ",".join([self.output] + [lab for lab, _ in others]) + "->" + kept
            grad = _xp().einsum(subscripts, gy, *[arr for _, arr in others], optimize=len(others) > 1)
            # labels summed away from this operand alone: their gradient is the same at every index;
            # a label of size 1 here that NumPy broadcast against a longer one: the copies add up
            grad = grad.reshape([grad.shape[kept.index(label)] if label in known else 1 for label in labels])
            grad = _xp().broadcast_to(grad, np.broadcast_shapes(grad.shape, array.shape))
            grads.append(_sum_to(grad, array.shape).astype(array.dtype))
        return tuple(grads)


_LABELS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


@_op("einsum")
def einsum(subscripts, *operands, **kwargs):
    """Einstein summation (``'ij,jk->ik'``, ``'...ij,...jk->...ik'``, implicit outputs too), with
    gradients. Not supported: a label repeated within one operand (a diagonal or trace: use
    ``ops.diagonal`` / ``ops.trace``)."""
    tensors = _promoted(*operands) if len(operands) > 1 else [_tensor(operands[0])]
    if tensors[0].dtype in (np.int8, np.uint8):  # Keras sums 8-bit integers in int32
        tensors = [_cast(t, np.int32) for t in tensors]
    text = subscripts.replace(" ", "")
    inputs, arrow, output = text.partition("->")
    inputs = inputs.split(",")
    if len(inputs) != len(tensors):
        raise ValueError(f"keras.ops.einsum: subscripts {subscripts!r} name {len(inputs)} operands, got {len(tensors)}")
    for labels in inputs:
        letters = labels.replace("...", "")
        if len(set(letters)) != len(letters):
            raise UnsupportedError(
                f"keras.ops.einsum: {subscripts!r} repeats a label within one operand ({labels!r}), a diagonal "
                "minidl's einsum does not take; use keras.ops.diagonal or keras.ops.trace first")
    if not arrow:  # NumPy's implicit output: the labels used once, in alphabetical order
        counts = collections.Counter("".join(labels.replace("...", "") for labels in inputs))
        output = ("..." if builtins.any("..." in labels for labels in inputs) else "") + "".join(
            sorted(label for label, count in counts.items() if count == 1))
    inputs, output, tensors = _explicit_ellipsis(inputs, output, tensors, subscripts)
    return _as_tf(_Einsum(inputs, output)(*tensors))


def _explicit_ellipsis(inputs, output, tensors, subscripts):
    """Labels with ``...`` replaced by unused letters, the operands broadcast along them."""
    if not builtins.any("..." in labels for labels in inputs):
        return inputs, output, tensors
    if "..." not in output:
        raise UnsupportedError(f"keras.ops.einsum: {subscripts!r} sums over the '...' axes; sum them with "
                               "keras.ops.sum after an einsum that keeps them")
    spare = [letter for letter in _LABELS if letter not in "".join(inputs) + output]
    extents = {}  # each operand's axes under '...'
    for position, (labels, tensor) in enumerate(zip(inputs, tensors)):
        if "..." in labels:
            before, after = labels.split("...")
            extents[position] = tuple(tensor.shape[len(before):tensor.ndim - len(after)])
    shape = np.broadcast_shapes(*extents.values())
    letters = "".join(spare[:len(shape)])
    explicit, broadcast = [], []
    for position, (labels, tensor) in enumerate(zip(inputs, tensors)):
        if "..." in labels:
            before, after = labels.split("...")
            if extents[position] != shape:  # fewer or size-1 axes under '...': copy them out
                head, tail = tuple(tensor.shape[:len(before)]), tuple(tensor.shape[tensor.ndim - len(after):])
                padded = (1,) * (len(shape) - len(extents[position])) + extents[position]
                tensor = broadcast_to(reshape(tensor, head + padded + tail), head + shape + tail)
            labels = before + letters + after
        explicit.append(labels)
        broadcast.append(tensor)
    return explicit, output.replace("...", letters), broadcast


# -- neural-network functions ----------------------------------------------------------------------


@_op("relu")
def relu(x):
    """max(x, 0); integers stay integers."""
    x = _tensor(x)
    if x.dtype.kind != "f":
        return _constant(_xp().maximum(x.data, 0).astype(x.dtype))
    return _as_tf(_activations.relu(x))


@_op("relu6")
def relu6(x):
    """min(max(x, 0), 6); integers stay integers."""
    x = _tensor(x)
    return _as_tf(_math.clip(x, 0, 6) if x.dtype.kind != "f" else _activations.relu6(x))


def _activation(name, function, doc):
    """An activation of real values (integers become floatx first)."""
    @_op(name)
    def activation(x):
        return _as_tf(function(_float(x)))

    activation.__name__ = activation.__qualname__ = name
    activation.__doc__ = doc
    return activation


sigmoid = _activation("sigmoid", _activations.sigmoid, "1 / (1 + exp(-x)).")
tanh = _activation("tanh", _activations.tanh, "The hyperbolic tangent.")
softplus = _activation("softplus", _activations.softplus, "log(1 + exp(x)).")
softsign = _activation("softsign", _activations.softsign, "x / (1 + |x|).")
silu = _activation("silu", _activations.swish, "x * sigmoid(x).")
swish = _activation("swish", _activations.swish, "x * sigmoid(x) (the same as silu).")
selu = _activation("selu", _activations.selu, "The scaled exponential linear unit.")
log_sigmoid = _activation("log_sigmoid", lambda x: _math.neg(_activations.softplus(_math.neg(x))),
                          "log(sigmoid(x)) = -softplus(-x).")
hard_sigmoid = _activation("hard_sigmoid", lambda x: _math.div(_activations.relu6(_math.add(x, 3)), 6),
                           "relu6(x + 3) / 6 (Keras 3's form).")
hard_silu = _activation("hard_silu", lambda x: _math.mul(x, _math.div(_activations.relu6(_math.add(x, 3)), 6)),
                        "x * hard_sigmoid(x).")
hard_swish = hard_silu
hard_tanh = _activation("hard_tanh", lambda x: _math.clip(x, -1, 1), "x limited to [-1, 1].")


@_op("squareplus")
def squareplus(x, b=4):
    """(x + sqrt(x^2 + b)) / 2, a smooth relu."""
    x = _float(x)
    return _as_tf(_math.mul(_math.add(x, _math.sqrt(_math.add(_math.mul(x, x), b))), 0.5))


@_op("elu")
def elu(x, alpha=1.0):
    return _as_tf(_activations.elu(_float(x), alpha))


@_op("celu")
def celu(x, alpha=1.0):
    """max(x, 0) + alpha * (exp(min(x, 0) / alpha) - 1)."""
    x = _float(x)
    negative_part = _math.sub(_math.exp(_math.div(_math.minimum(x, 0), alpha)), 1)
    return _as_tf(_math.add(_math.maximum(x, 0), _math.mul(negative_part, alpha)))


@_op("leaky_relu")
def leaky_relu(x, negative_slope=0.2):
    """x where x >= 0, else ``negative_slope`` * x."""
    return _as_tf(_activations.leaky_relu(_float(x), alpha=negative_slope))


@_op("gelu")
def gelu(x, approximate=True):
    """x * P(X <= x) for a standard normal X: with ``approximate`` (Keras's default) the tanh form
    0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), else the exact 0.5 x (1 + erf(x / sqrt(2)))."""
    x = _float(x)
    if approximate:
        cubic = _math.add(x, _math.mul(_math.mul(_math.mul(x, x), x), 0.044715))
        inner_value = _activations.tanh(_math.mul(cubic, math.sqrt(2 / math.pi)))
    else:
        inner_value = _ErrorFunction(False)(_math.mul(x, 1 / math.sqrt(2)))
    return _as_tf(_math.mul(_math.mul(x, 0.5), _math.add(inner_value, 1)))


@_op("glu")
def glu(x, axis=-1):
    """The first half of ``axis`` times the sigmoid of the second half."""
    x = _float(x)
    first, second = split(x, 2, axis)
    return _as_tf(_math.mul(first, _activations.sigmoid(second)))


@_op("softmax")
def softmax(x, axis=-1):
    """exp(x) / sum(exp(x)) along ``axis`` (every axis when None)."""
    x = _float(x)
    if axis is None:
        return reshape(softmax(reshape(x, (-1,)), 0), x.shape)
    return _as_tf(_activations.softmax(x, axis=axis))


@_op("log_softmax")
def log_softmax(x, axis=-1):
    """x - logsumexp(x) along ``axis``."""
    x = _float(x)
    if axis is None:
        return reshape(log_softmax(reshape(x, (-1,)), 0), x.shape)
    return _as_tf(_activations.log_softmax(x, axis=axis))


@_op("moments")
def moments(x, axes, keepdims=False, synchronized=False):
    """(mean, variance) over ``axes``; integers give floatx (Keras on TensorFlow keeps them integer)."""
    x = _float(x)
    axes = _axes(axes, x.ndim, "moments")
    return (_as_tf(_reductions.mean(x, axis=axes, keepdims=keepdims)),
            _as_tf(_reductions.var(x, axis=axes, keepdims=keepdims)))


@_op("normalize")
def normalize(x, axis=-1, order=2, epsilon=None):
    """x / max(||x||_order, epsilon) along ``axis`` (``order`` an int >= 1; epsilon defaults to
    ``keras.config.epsilon()``). For order 2, Keras's x * min(rsqrt(sum(x^2)), 1/epsilon)."""
    if not isinstance(order, numbers.Integral) or order < 1:
        raise ValueError(f"keras.ops.normalize: order must be an int >= 1, got {order!r}")
    x = _float(x)
    if x.ndim == 0:
        x = reshape(x, (1,))
    epsilon = _keras_backend.epsilon() if epsilon is None else epsilon
    if order == 2:
        with np.errstate(divide="ignore"):
            inverse = rsqrt(sum(multiply(x, x), axis, keepdims=True))
        return multiply(x, minimum(inverse, x.dtype.type(1 / epsilon)))
    return divide(x, maximum(norm(x, ord=int(order), axis=axis, keepdims=True), x.dtype.type(epsilon)))


@_op("binary_crossentropy")
def binary_crossentropy(target, output, from_logits=False):
    return _keras_backend.binary_crossentropy(target, output, from_logits)


@_op("categorical_crossentropy")
def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    return _keras_backend.categorical_crossentropy(target, output, from_logits, axis)


@_op("sparse_categorical_crossentropy")
def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    return _keras_backend.sparse_categorical_crossentropy(target, output, from_logits, axis)


# -- keras.Variable ---------------------------------------------------------------------------------


class Variable(_tf_variable.Variable):
    """``keras.Variable(initializer, shape=None, dtype=None, trainable=True, name=None)`` (Keras 3).

    ``initializer`` is a value (a number, list, array or tensor: its dtype is kept unless
    ``dtype`` is given, as in Keras) or an initializer (``'zeros'``, ``keras.initializers.Ones()``,
    a callable ``(shape, dtype)``), which needs ``shape`` and gives floatx unless ``dtype``.

    It is ``minidl.tf.Variable`` with Keras 3's face: ``value`` is a property, ``path`` the
    unique name ('variable', 'variable_1', ...), ``trainable`` switches gradients on and off;
    ``assign``/``assign_add``/``assign_sub``/``numpy()`` are the tf.Variable's. It goes into every
    op, and a ``GradientTape`` watches it while it is trainable (and floating-point).
    """

    __slots__ = ("path",)

    def __init__(self, initializer, shape=None, dtype=None, trainable=True, autocast=True, aggregation="none",
                 synchronization="auto", name=None, **kwargs):
        unknown = sorted(set(kwargs) - {"layout"})
        if unknown:
            raise TypeError(f"keras.Variable: unexpected argument(s) {unknown}")
        if isinstance(initializer, str) or (callable(initializer) and not isinstance(initializer, Tensor)):
            if shape is None:
                raise ValueError(f"keras.Variable: an initializer ({initializer!r}) needs shape=, e.g. "
                                 "keras.Variable('zeros', shape=(3,))")
            dtype = np.dtype(dtype or _floatx())
            value = np.asarray(_initializers.get(initializer)(_shape(shape, "Variable"), dtype), dtype=dtype)
        else:
            value = initializer.numpy() if isinstance(initializer, Tensor) else initializer
            if dtype is not None:  # Keras converts as NumPy does: 1.5 becomes the integer 1
                value = np.asarray(value).astype(dtype)
            if shape is not None and tuple(np.shape(value)) != _shape(shape, "Variable"):
                raise ValueError(f"keras.Variable: the value has shape {np.shape(value)}, not shape={tuple(shape)}")
        path = _unique_name("variable") if name is None else str(name)
        super().__init__(value, trainable=bool(trainable), dtype=dtype, name=path)
        self.name = self.path = path

    @property
    def trainable(self):
        return _tf_variable.Variable.trainable.__get__(self)

    @trainable.setter
    def trainable(self, value):
        _tf_variable.Variable.trainable.__set__(self, bool(value))
        self.requires_grad = bool(value) and self.data.dtype.kind == "f"

    @property
    def value(self):
        """The current value: this variable itself, so that gradients reach it."""
        return self

    def __repr__(self):
        return f"<Variable path={self.path}, shape={tuple(self.shape)}, dtype={self.dtype.name}, value={self.numpy()}>"

    __str__ = __repr__


__getattr__ = _unsupported.attribute_hook(__name__)  # a Keras op minidl lacks: say so, and what instead

