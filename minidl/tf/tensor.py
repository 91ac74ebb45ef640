"""``EagerTensor``: a minidl Tensor that behaves like a TensorFlow 2 eager tensor.

It is the same Tensor -- it records operations for autograd, lives on the active backend, goes
into any minidl op or layer -- with TensorFlow's manners added:

* Python operators convert their other operand TensorFlow's way: ``w * [1, 2, 3]`` with a
  float32 ``w`` computes in float32 (NumPy would promote the int list to int64 and the product
  to float64); ``int_tensor * 1.5`` is a TypeError instead of a silent truncation;
* integer division ``/`` gives float64 (TensorFlow's ``truediv``), ``//`` and ``%`` floor;
* ``shape`` is a ``TensorShape`` (a tuple with ``as_list()``); ``float(t)``, ``int(t)``,
  ``np.asarray(t)``, iteration and ``print`` work as they do on a ``tf.Tensor``.

Every function of ``minidl.tf`` returns EagerTensors; ``as_tf`` makes one from an op's output.
"""

import numbers

import numpy as np

from minidl.autograd.tensor import Tensor
from minidl.layers.text_values import reported_dtype
from minidl.ops import math as math_ops
from minidl.ops import reductions as reduction_ops
from minidl.ops import shapes as shape_ops
from minidl.runtime import backend
from minidl.tf import dtypes


class TensorShape(tuple):
    """``tf.TensorShape``: a tuple of sizes (None where unknown) with TensorFlow's helpers."""

    def as_list(self):
        return list(self)

    @property
    def rank(self):
        return len(self)

    @property
    def ndims(self):
        return len(self)

    def num_elements(self):
        if any(size is None for size in self):
            return None
        return int(np.prod(self, dtype=np.int64))

    def is_fully_defined(self):
        return all(size is not None for size in self)

    def __getitem__(self, key):
        item = super().__getitem__(key)
        return TensorShape(item) if isinstance(key, slice) else item

    def __repr__(self):
        return f"TensorShape({list(self)})"

    def __str__(self):
        return "(" + ", ".join("None" if size is None else str(size) for size in self) + ("," if len(self) == 1 else "") + ")"


def _leaves_on_host(value):
    """Nested lists with tensors inside (``tf.constant([t1, t2])``) turned into NumPy."""
    if isinstance(value, Tensor):
        return value.numpy()
    if isinstance(value, (list, tuple)):
        return [_leaves_on_host(item) for item in value]
    return value


def _host_array(value, dtype=None):
    """Python or NumPy data as a NumPy array: ``dtype`` if given, else TensorFlow's inference."""
    value = _leaves_on_host(value)
    array = dtypes.inferred_array(value)
    if dtype is None or array.dtype == dtype:
        return array
    dtype = np.dtype(dtype)
    if dtypes.is_integer(dtype) and array.dtype.kind == "f" and not np.all(np.mod(array, 1) == 0):
        shown = array if array.ndim == 0 else array.ravel()[:4]
        raise TypeError(f"Cannot convert {shown} to EagerTensor of dtype {dtype.name} (the values are not whole numbers)")
    if dtype == dtypes.string:
        raise TypeError(f"Cannot convert {array.dtype.name} data to a string tensor")
    return array.astype(dtype)


def _from_host(array):
    """Wrap a NumPy array: numbers go to the active backend, byte strings stay on the host."""
    if array.dtype == object:
        return EagerTensor._from_op(array)
    return EagerTensor._from_op(backend.to_device(array))


def as_tf(tensor):
    """An op's output Tensor as an EagerTensor (the same node of the graph).

    A leaf that takes part in backprop (a Variable, a layer weight) is returned as it is: a copy
    would be a different leaf and its gradient would never reach the original.
    """
    if isinstance(tensor, EagerTensor) or (tensor.creator is None and tensor.requires_grad):
        return tensor
    out = EagerTensor.__new__(EagerTensor)
    for slot in _TENSOR_SLOTS:
        setattr(out, slot, getattr(tensor, slot))
    return out


_TENSOR_SLOTS = tuple(slot for slot in Tensor.__slots__ if slot != "__weakref__")


def convert_to_tensor(value, dtype=None, dtype_hint=None, name=None):
    """``tf.convert_to_tensor``: a Tensor for ``value``.

    Tensors are returned unchanged (cast only when ``dtype`` differs: TensorFlow raises there,
    minidl says so too). Python and NumPy data get ``dtype``, else ``dtype_hint`` when the data
    converts to it exactly (so ``[1, 2]`` next to a float32 tensor becomes float32), else
    TensorFlow's default inference.
    """
    if isinstance(value, Tensor):
        if dtype is not None and value.dtype != np.dtype(dtype):
            raise TypeError(
                f"tf.convert_to_tensor: the tensor has dtype {value.dtype.name} but dtype={np.dtype(dtype).name} "
                "was requested; use tf.cast(x, dtype) to convert it"
            )
        return as_tf(value)
    if backend.is_array(value) and not isinstance(value, np.ndarray):  # a device array
        return as_tf(Tensor._from_op(value if dtype is None else value.astype(dtype)))
    if dtype is not None:
        return _from_host(_host_array(value, dtype))
    if dtype_hint is not None:
        return _from_host(_hinted_array(value, np.dtype(dtype_hint)))
    return _from_host(_host_array(value))


def _hinted_array(value, hint):
    """Python/NumPy data next to a tensor of dtype ``hint``, as TensorFlow's operators convert it."""
    array = _host_array(value)
    if array.dtype == hint or array.dtype == object:
        return array
    if dtypes.is_integer(hint) and array.dtype.kind == "f":
        return _host_array(value, hint)  # raises unless the floats are whole numbers
    if array.dtype.kind in "biuf" and hint.kind in "biuf":
        return array.astype(hint)
    return array


def constant(value, dtype=None, shape=None, name=None):
    """``tf.constant``: a new tensor holding ``value`` (copied), of ``dtype`` and ``shape``.

    A scalar ``value`` with a ``shape`` fills that shape, as in TensorFlow.
    """
    if isinstance(value, Tensor):
        array = value.numpy()
        if dtype is not None:
            array = array.astype(dtype)
    else:
        array = _host_array(value, None if dtype is None else np.dtype(dtype))
    if shape is not None:
        shape = tuple(int(size) for size in shape)
        if array.size == 1:
            array = np.full(shape, array.reshape(()), dtype=array.dtype)
        elif array.size == int(np.prod(shape)):
            array = array.reshape(shape)
        else:
            raise TypeError(f"tf.constant: a value of {array.size} elements cannot have shape {shape}")
    return _from_host(np.array(array, copy=True))


def is_tensor(value):
    return isinstance(value, Tensor)


# -- the EagerTensor class ------------------------------------------------------------------------

def _operands(a, b):
    """Both operands as tensors, the Python/NumPy one converted to the tensor's dtype."""
    if isinstance(a, Tensor) and not isinstance(b, Tensor):
        return a, convert_to_tensor(b, dtype_hint=a.dtype)
    if isinstance(b, Tensor) and not isinstance(a, Tensor):
        return convert_to_tensor(a, dtype_hint=b.dtype), b
    if a.dtype != b.dtype:
        raise TypeError(
            f"cannot combine a {a.dtype.name} tensor with a {b.dtype.name} tensor: TensorFlow does not "
            "promote dtypes; convert one with tf.cast(x, tf.float32)"
        )
    return a, b


def _binary(function):
    def operator(self, other):
        return as_tf(function(*_operands(self, other)))

    return operator


def _reflected_binary(function):
    def operator(self, other):
        other, this = _operands(other, self)
        return as_tf(function(other, this))

    return operator


def true_divide(a, b):
    """TensorFlow's ``truediv``: integers are divided as floats (float64 for 32/64-bit ints)."""
    a, b = _operands(a, b) if isinstance(a, Tensor) or isinstance(b, Tensor) else (convert_to_tensor(a), convert_to_tensor(b))
    if not dtypes.is_floating(a.dtype):
        target = np.float32 if a.dtype.itemsize <= 2 else np.float64
        a = as_tf(Tensor._from_op(a.data.astype(target)))
        b = as_tf(Tensor._from_op(b.data.astype(target)))
    return as_tf(math_ops.div(a, b))


def _no_gradient(array_function):
    """An operator with no derivative (floor division, modulo, comparisons): a constant result."""
    def operator(a, b):
        a, b = _operands(a, b)
        return as_tf(Tensor._from_op(array_function(a.data, b.data)))

    return operator


floor_divide = _no_gradient(lambda a, b: a // b)
floor_mod = _no_gradient(lambda a, b: a % b)


def _pow(a, b):
    a, b = _operands(a, b)
    return as_tf(math_ops.pow(a, b))


class EagerTensor(Tensor):
    """A Tensor with TensorFlow 2's eager behaviour (see the module docstring)."""

    __slots__ = ()

    @property
    def shape(self):
        return TensorShape(self.data.shape)

    @property
    def dtype(self):
        """The data's dtype; a text tensor reports ``tf.string``, which equals ``"string"``."""
        return reported_dtype(self.data.dtype)

    def get_shape(self):
        return self.shape

    @property
    def ndim(self):
        return self.data.ndim

    @property
    def device(self):
        return f"/job:localhost/replica:0/task:0/device:{'GPU' if backend.on_device() else 'CPU'}:0"

    def numpy(self):
        if self.data.dtype == object:
            array = np.array(self.data, copy=True)
            return array[()] if array.ndim == 0 else array
        array = backend.to_numpy(self.data)
        return array[()] if array.ndim == 0 else array

    def __array__(self, dtype=None, copy=None):
        array = np.asarray(self.numpy())
        return array if dtype is None else array.astype(dtype)

    def __index__(self):
        if not dtypes.is_integer(self.dtype):
            raise TypeError(f"only integer scalar tensors can be used as an index, this one is {self.dtype.name}")
        return int(self._scalar("index"))

    # NumPy's reductions (``np.max(score)`` in TensorFlow's tutorials) call these methods with
    # ``out=``; the tensor's own reduction runs, or NumPy's on a host copy when NumPy options are set.
    def sum(self, axis=None, out=None, keepdims=False, **numpy_options):
        return self._reduce("sum", axis, out, keepdims, numpy_options)

    def mean(self, axis=None, out=None, keepdims=False, **numpy_options):
        return self._reduce("mean", axis, out, keepdims, numpy_options)

    def max(self, axis=None, out=None, keepdims=False, **numpy_options):
        return self._reduce("max", axis, out, keepdims, numpy_options)

    def min(self, axis=None, out=None, keepdims=False, **numpy_options):
        return self._reduce("min", axis, out, keepdims, numpy_options)

    def _reduce(self, name, axis, out, keepdims, numpy_options):
        if out is None and not numpy_options:
            return as_tf(getattr(reduction_ops, name)(self, axis=axis, keepdims=keepdims))
        return getattr(np, name)(self.numpy(), axis=axis, out=out, keepdims=keepdims, **numpy_options)

    def __format__(self, spec):
        if self.data.size == 1 and self.data.ndim == 0:
            return format(self._scalar("format"), spec)
        return format(str(self), spec)

    def _scalar(self, what):
        if self.data.size != 1:
            raise TypeError(f"{what}(): only a tensor with one element converts to a Python number, this one has shape {tuple(self.shape)}")
        return self.data.reshape(()).item()

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iterating over a 0-d tensor (a scalar) is not possible")
        for index in range(len(self)):
            yield self[index]

    def __getitem__(self, key):
        if isinstance(key, Tensor):
            key = key.data
        if self.dtype == dtypes.string:  # strings stay host arrays (one string: a 0-d array)
            return _from_host(np.asarray(self.data[key], dtype=object))
        return as_tf(shape_ops.getitem(self, key))

    __add__ = _binary(math_ops.add)
    __radd__ = _reflected_binary(math_ops.add)
    __sub__ = _binary(math_ops.sub)
    __rsub__ = _reflected_binary(math_ops.sub)
    __mul__ = _binary(math_ops.mul)
    __rmul__ = _reflected_binary(math_ops.mul)

    def __truediv__(self, other):
        return true_divide(self, other)

    def __rtruediv__(self, other):
        return true_divide(other, self)

    def __floordiv__(self, other):
        return floor_divide(self, other)

    def __rfloordiv__(self, other):
        return floor_divide(other, self)

    def __mod__(self, other):
        return floor_mod(self, other)

    def __rmod__(self, other):
        return floor_mod(other, self)

    def __pow__(self, other):
        return _pow(self, other)

    def __rpow__(self, other):
        return _pow(other, self)

    def __matmul__(self, other):
        return as_tf(math_ops.matmul(*_operands(self, other)))

    def __rmatmul__(self, other):
        other, this = _operands(other, self)
        return as_tf(math_ops.matmul(other, this))

    def __neg__(self):
        return as_tf(math_ops.neg(self))

    def __pos__(self):
        return self

    def __abs__(self):
        return as_tf(math_ops.abs(self))

    def __invert__(self):
        return as_tf(Tensor._from_op(~self.data))

    __and__ = _no_gradient(lambda a, b: a & b)
    __or__ = _no_gradient(lambda a, b: a | b)
    __xor__ = _no_gradient(lambda a, b: a ^ b)
    __lt__ = _no_gradient(lambda a, b: a < b)
    __le__ = _no_gradient(lambda a, b: a <= b)
    __gt__ = _no_gradient(lambda a, b: a > b)
    __ge__ = _no_gradient(lambda a, b: a >= b)
    __eq__ = _no_gradient(lambda a, b: a == b)
    __ne__ = _no_gradient(lambda a, b: a != b)
    __hash__ = Tensor.__hash__

    def __str__(self):
        text = _numpy_text(self)
        opening = "tf.Tensor(\n" if "\n" in text else "tf.Tensor("
        return f"{opening}{text}, shape={self.shape}, dtype={_dtype_name(self.dtype)})"

    def __repr__(self):
        return f"<tf.Tensor: shape={self.shape}, dtype={_dtype_name(self.dtype)}, numpy={_numpy_repr(self)}>"


def _dtype_name(dtype):
    return "string" if np.dtype(dtype) == dtypes.string else np.dtype(dtype).name


def _numpy_text(tensor):
    value = tensor.numpy()
    return str(value) if isinstance(value, np.ndarray) else np.array2string(np.asarray(value))


def _numpy_repr(tensor):
    value = tensor.numpy()
    if isinstance(value, np.ndarray):
        return repr(value)
    return repr(value.item()) if isinstance(value, np.generic) and isinstance(value.item(), numbers.Number) else repr(value)
