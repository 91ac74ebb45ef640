"""Helpers shared by the ops: turning operands into Tensors and undoing broadcasting."""

import warnings

import numpy as np

from minidl.autograd.tensor import Tensor, as_array
from minidl.runtime import backend


def as_tensor(value, like=None):
    """``value`` as a Tensor. A Python/NumPy scalar takes the dtype of ``like`` (a Tensor), so
    that ``float32_tensor * 2.0`` stays float32 as in Keras and PyTorch.

    A host NumPy array given to an op while the backend is a device is copied there with a
    ``DeviceTransferWarning`` (see ``minidl.backend``: the policy for mixed-device operands).
    """
    if isinstance(value, Tensor):
        return value
    if like is not None and (np.isscalar(value) or getattr(value, "ndim", None) == 0):
        return Tensor._from_op(as_array(value, dtype=like.dtype))
    if isinstance(value, np.ndarray) and value.size > 1 and backend.on_device():
        warn_host_array(value)
    return Tensor._from_op(as_array(value))


def warn_host_array(value):
    warnings.warn(
        f"a host numpy.ndarray of shape {value.shape} ({value.dtype}) was given to a minidl op while the "
        f"backend is {backend.get_backend()!r}; it was copied to the device for this call only. Copy it "
        "once with minidl.tensor(x) (or minidl.backend.to_device(x)) to avoid a transfer on every call",
        backend.DeviceTransferWarning, stacklevel=4,
    )


def sum_to(grad, shape):
    """Sum ``grad`` down to ``shape``: the backward of NumPy broadcasting.

    Broadcasting copied the input along new leading axes and along its size-1 axes, so the
    gradient of the input is the sum of the output gradient over exactly those axes.
    """
    shape = tuple(shape)
    if tuple(grad.shape) == shape:
        return grad
    lead = grad.ndim - len(shape)
    axes = list(range(lead))
    for axis, size in enumerate(shape):
        if size == 1 and grad.shape[lead + axis] != 1:
            axes.append(lead + axis)
    return grad.sum(axis=tuple(axes), keepdims=True).reshape(shape)


def broadcast_shapes_or_raise(op_name, a_shape, b_shape):
    """The broadcast shape of two operands, or a ValueError naming the op and both shapes.

    NumPy's rule, written out (``numpy.broadcast_shapes`` builds arrays to find it: ~5 us, on
    every add and multiply of a small model's step): the shapes are aligned at their last axes,
    and two sizes must be equal or one of them 1."""
    a_shape, b_shape = tuple(a_shape), tuple(b_shape)
    if a_shape == b_shape:
        return a_shape
    longer, shorter = (a_shape, b_shape) if len(a_shape) >= len(b_shape) else (b_shape, a_shape)
    leading = len(longer) - len(shorter)
    merged = list(longer[:leading])
    for size, other in zip(longer[leading:], shorter):
        if size != other and size != 1 and other != 1:
            raise ValueError(f"{op_name}: shapes {a_shape} and {b_shape} cannot be broadcast together")
        merged.append(other if size == 1 else size)
    return tuple(merged)


def require_float(op_name, tensor, argument="input"):
    """Raise a TypeError naming the op if ``tensor`` does not hold floating-point data."""
    if not np.issubdtype(tensor.dtype, np.floating):
        raise TypeError(
            f"{op_name}: {argument} must have a floating-point dtype, got {tensor.dtype} "
            "(cast it, e.g. x.astype('float32'))"
        )
