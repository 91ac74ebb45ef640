"""``tf.Variable``: a tensor whose value can be changed in place, and that training updates.

A Variable is a leaf of the autograd graph. A floating-point Variable is trainable by default,
so every operation on it is recorded and ``tf.GradientTape`` (or an optimizer's ``minimize``)
can differentiate with respect to it; ``assign``, ``assign_add`` and ``assign_sub`` change its
values in place without being recorded, as in TensorFlow.
"""

import numpy as np

from minidl.autograd.tensor import Tensor
from minidl.tf import dtypes
from minidl.tf.tensor import EagerTensor, _host_array, constant


def _unique_variable_name(name):
    """'Variable:0' for every unnamed variable, as TensorFlow 2 shows it; 'w:0' for name='w'."""
    base = name or "Variable"
    return base if ":" in base else f"{base}:0"


class Variable(EagerTensor):
    """``tf.Variable(initial_value, trainable=True, name=None, dtype=None, shape=None)``."""

    __slots__ = ("trainable", "constraint")

    def __init__(self, initial_value=None, trainable=None, validate_shape=True, caching_device=None, name=None,
                 variable_def=None, dtype=None, import_scope=None, constraint=None, synchronization=None,
                 aggregation=None, shape=None, experimental_enable_variable_lifting=None):
        if initial_value is None:
            raise ValueError("tf.Variable: initial_value must be given")
        if callable(initial_value) and not isinstance(initial_value, Tensor):
            initial_value = initial_value()
        dtype = None if dtype is None else np.dtype(dtype)
        if isinstance(initial_value, Tensor):
            array = initial_value.numpy()
            array = np.asarray(array if dtype is None else array.astype(dtype))
        else:
            array = _host_array(initial_value, dtype)
        if array.dtype == dtypes.string:
            raise TypeError("tf.Variable: string variables are not supported by minidl; keep text in Python or NumPy")
        initial = constant(np.array(array, copy=True))
        # TensorFlow's second positional argument is ``trainable``; code such as
        # ``tf.Variable(x, tf.float32)`` passes a dtype there, which TensorFlow takes as truthy.
        trainable = True if trainable is None else bool(trainable) if not isinstance(trainable, np.dtype) else True
        floating = dtypes.is_floating(array.dtype)
        super().__init__(initial.data, requires_grad=trainable and floating, name=_unique_variable_name(name))
        self.trainable = trainable
        self.constraint = constraint

    # -- reading -------------------------------------------------------------------------------
    def value(self):
        """The current value as a tensor that keeps the link to this variable for gradients."""
        return self

    def read_value(self):
        """A copy of the current value (not connected to the variable)."""
        return constant(self.numpy())

    @property
    def dtype(self):
        return self.data.dtype

    # -- writing -------------------------------------------------------------------------------
    def assign(self, value, use_locking=False, name=None, read_value=True):
        """Overwrite the values in place (shape and dtype kept); returns the variable."""
        self.data[...] = self._checked_value(value, "assign")
        return self if read_value else None

    def assign_add(self, delta, use_locking=False, name=None, read_value=True):
        self.data[...] = self.data + self._checked_value(delta, "assign_add")
        return self if read_value else None

    def assign_sub(self, delta, use_locking=False, name=None, read_value=True):
        self.data[...] = self.data - self._checked_value(delta, "assign_sub")
        return self if read_value else None

    def _checked_value(self, value, what):
        """``value`` as an array of this variable's dtype that broadcasts to exactly its shape."""
        array = value.data if isinstance(value, Tensor) else constant(value, dtype=self.dtype).data
        if array.dtype != self.dtype:
            array = array.astype(self.dtype)
        shape = tuple(self.data.shape)
        try:
            fits = np.broadcast_shapes(tuple(array.shape), shape) == shape
        except ValueError:
            fits = False
        if not fits:
            raise ValueError(
                f"{self.name}.{what}: a value of shape {tuple(array.shape)} does not fit a variable of shape {shape}"
            )
        return array

    def __str__(self):
        return self.__repr__()

    def __repr__(self):
        from minidl.tf.tensor import _numpy_repr

        text = _numpy_repr(self)
        separator = "\n" if "\n" in text else ""
        return f"<tf.Variable '{self.name}' shape={self.shape} dtype={self.dtype.name}, numpy={separator}{text}>"
