"""``Tensor``: an array on the active backend plus what backprop needs to know about it.

A Tensor holds ``data`` (a NumPy or CuPy array), and, when it takes part in a differentiable
computation, ``creator`` -- the Function that produced it. Leaves (tensors made by the user,
and layer weights) have no creator; after ``loss.backward()`` their ``grad`` holds dL/d(leaf)
as a raw backend array of the leaf's shape.

The arithmetic operators, ``t.sum()``, ``t.reshape(...)`` and friends are bound in
``minidl.ops.tensor_methods``, next to the ops they call.
"""

import numpy as np

from minidl.autograd import engine
from minidl.runtime import backend


def _is_float_dtype(dtype):
    return np.issubdtype(dtype, np.floating)


def as_array(value, dtype=None):
    """Convert array-like host data (or a backend array) to an array of the active backend.

    Python floats and lists of floats become ``floatx()`` (float32 by default), as in Keras;
    NumPy arrays keep their dtype unless ``dtype`` is given.
    """
    xp = backend.get_xp()
    if isinstance(value, Tensor):
        value = value.data
    if isinstance(value, xp.ndarray):
        if value.dtype.kind not in _NUMERIC_KINDS:
            raise TypeError(_not_numeric_message(value))
        return value if dtype is None or value.dtype == dtype else value.astype(dtype)
    if dtype is None and not isinstance(value, (np.ndarray, np.generic)):
        probe = _host_array(value)
        if _is_float_dtype(probe.dtype):
            dtype = backend.floatx()
        value = probe
    if isinstance(value, (np.ndarray, np.generic)) and value.dtype.kind not in _NUMERIC_KINDS:
        raise TypeError(_not_numeric_message(value))
    return backend.to_device(value, dtype=dtype)


_NUMERIC_KINDS = "biufc"  # bool, signed and unsigned integers, floats, complex


def _host_array(value):
    try:
        return np.asarray(value)
    except ValueError as error:  # NumPy >= 1.24 refuses ragged nested lists
        raise TypeError(
            f"tensor: the data is a ragged nested sequence (rows of different lengths) and cannot be an array "
            f"({error}); pad the rows to one length first, e.g. minidl.preprocessing.sequence.pad_sequences"
        ) from None


def _not_numeric_message(array):
    kind = {"U": "strings", "S": "bytes", "O": "Python objects (ragged rows or mixed types)",
            "M": "dates", "m": "time spans", "V": "raw records"}.get(array.dtype.kind, "non-numbers")
    advice = ("turn text into ids first (minidl.keras.preprocessing.text.Tokenizer, then pad_sequences)"
              if array.dtype.kind in "US" else "convert it to numbers with one shape, e.g. pad_sequences for ragged rows")
    return f"tensor: data must be numbers, got an array of {kind} (dtype {array.dtype}); {advice}"


class Tensor:
    """An n-dimensional array that can record the operations applied to it."""

    __slots__ = (
        "data", "grad", "requires_grad", "creator", "output_index", "name", "_logits", "mask",
        "__weakref__",
    )
    # No __array_ufunc__: NumPy's operators defer to a higher-priority operand's reflected method
    # (`numpy_array + tensor` is Tensor.__radd__, a Tensor), while NumPy functions convert the
    # tensor with __array__ (`np.isfinite(t)` is an array) -- as TensorFlow's tensors behave.
    __array_priority__ = 1000

    def __init__(self, data, requires_grad=False, dtype=None, name=None):
        self.data = as_array(data, dtype)
        if requires_grad and not _is_float_dtype(self.data.dtype):
            raise TypeError(
                f"Tensor: requires_grad=True needs a floating-point dtype, got {self.data.dtype}; "
                "gradients of integer tensors are not defined (cast with dtype='float32')"
            )
        self.grad = None
        self.requires_grad = bool(requires_grad)
        self.creator = None
        self.output_index = 0
        self.name = name
        self._logits = None  # (kind, pre-activation Tensor) when made by sigmoid/softmax
        self.mask = None  # Keras-style padding mask (batch, time) set by Embedding(mask_zero)

    @classmethod
    def _from_op(cls, data):
        """Wrap an op's output array without any conversion (the hot path)."""
        if isinstance(data, np.generic):  # NumPy turns 0-d results into scalars; keep arrays
            data = np.asarray(data)
        tensor = cls.__new__(cls)
        tensor.data = data
        tensor.grad = None
        tensor.requires_grad = False
        tensor.creator = None
        tensor.output_index = 0
        tensor.name = None
        tensor._logits = None
        tensor.mask = None
        return tensor

    # Keras's name for the padding mask: a boolean Tensor (batch, time) or None; ``mask`` holds
    # the raw array.
    @property
    def _keras_mask(self):
        return None if self.mask is None else Tensor._from_op(self.mask)

    @_keras_mask.setter
    def _keras_mask(self, value):
        if value is not None:
            value = value.data if isinstance(value, Tensor) else np.asarray(value)
            if value.dtype != bool:
                raise TypeError(f"_keras_mask: a padding mask must be boolean, got dtype {value.dtype}")
        self.mask = value

    # -- array facts -------------------------------------------------------------------
    @property
    def shape(self):
        return tuple(self.data.shape)

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def ndim(self):
        return self.data.ndim

    @property
    def size(self):
        return self.data.size

    @property
    def is_leaf(self):
        return self.creator is None

    def __len__(self):
        return len(self.data)

    def __bool__(self):
        if self.data.size != 1:
            raise ValueError(
                f"the truth value of a tensor of shape {self.shape} is ambiguous; use (t == u).all() "
                "or compare .numpy() arrays"
            )
        return bool(self.data.item())

    # -- leaving the graph ---------------------------------------------------------------
    def numpy(self):
        """A NumPy copy of the data on the host (an explicit device-to-host transfer)."""
        return backend.to_numpy(self.data)

    def __array__(self, dtype=None, copy=None):
        """``np.asarray(model(x))``, ``np.testing.assert_allclose(layer(x), expected)``: the data on
        the host, as TensorFlow's eager tensors convert. It is a device-to-host transfer like
        ``numpy()`` (one copy on a GPU backend), for user code; minidl's own hot paths never
        rely on it."""
        array = self.numpy()
        return array if dtype is None else array.astype(dtype, copy=False)

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"Tensor.item: only one-element tensors convert, got shape {self.shape}")
        return self.data.item()

    def tolist(self):
        return self.numpy().tolist()

    # ``float(loss)``, ``int(t)`` and ``f"{loss:.4f}"`` read a one-element tensor explicitly, as in
    # PyTorch and TensorFlow; they copy one number to the host, so keep them out of hot loops.
    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __format__(self, spec):
        if self.data.size == 1:
            return format(self.item(), spec)
        return format(repr(self), spec)

    def detach(self):
        """A new leaf sharing this tensor's data, cut off from the graph."""
        return Tensor._from_op(self.data)

    # -- backprop ------------------------------------------------------------------------
    def backward(self, grad=None, retain_graph=False):
        """Fill ``.grad`` of every leaf this tensor depends on with d(self)/d(leaf).

        ``grad`` is dL/d(self); it may be omitted for a one-element tensor (it is then 1).
        The graph is freed afterwards unless ``retain_graph=True``.
        """
        engine.backward(self, grad, retain_graph)

    def zero_grad(self):
        self.grad = None

    def requires_grad_(self, flag=True):
        if flag and not _is_float_dtype(self.data.dtype):
            raise TypeError(f"Tensor.requires_grad_: needs a floating-point dtype, got {self.dtype}")
        self.requires_grad = bool(flag)
        return self

    def __repr__(self):
        body = np.array2string(self.numpy(), separator=", ", prefix="tensor(")
        extra = ", requires_grad=True" if self.requires_grad else ""
        if self.dtype != backend.floatx() and _is_float_dtype(self.dtype):
            extra = f", dtype={self.dtype}" + extra
        return f"tensor({body}{extra})"

    __hash__ = object.__hash__


def tensor(data, dtype=None, requires_grad=False, name=None):
    """Create a leaf Tensor from array-like data on the active backend.

    >>> x = minidl.tensor([[1., 2.], [3., 4.]], requires_grad=True)
    """
    return Tensor(data, requires_grad=requires_grad, dtype=dtype, name=name)
