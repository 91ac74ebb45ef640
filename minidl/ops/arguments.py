"""Checks of the arguments that ops and the layers built on them share: axes, sizes given as an
int or a tuple of ints, padding names.

Each check takes ``who``, the name its error message starts with: the op's name when an op
checks its own argument (``conv2d: strides must be ...``), a layer's label when a layer checks
the argument it was constructed with (``conv2d_1 (Conv2D): strides must be ...``).
"""

import numpy as np

PADDINGS = ("valid", "same")


def is_int(value):
    """A Python or NumPy integer (not a bool)."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def int_tuple(value, length, name, who, minimum=1):
    """An int, or a tuple/list of ``length`` ints, as a tuple of ``length`` Python ints each at
    least ``minimum`` (Keras's ``normalize_tuple``); otherwise a clear error."""
    if is_int(value):
        values = (value,) * length
    elif isinstance(value, (tuple, list)):
        values = tuple(value)
    else:
        values = ()
    if len(values) != length or not all(is_int(v) and v >= minimum for v in values):
        shape = "an int" if length == 1 else f"an int or a tuple of {length} ints"
        raise ValueError(f"{who}: {name} must be {shape} >= {minimum}, got {value!r}")
    return tuple(int(v) for v in values)


def pair(value, name, who, minimum=1):
    """An int or a pair of ints as a pair, each at least ``minimum``, or a clear error."""
    return int_tuple(value, 2, name, who, minimum)


def normalize_padding(padding, who, allowed=PADDINGS):
    """'valid' / 'same' (any case, as Keras accepts), or a clear error listing the choices."""
    if isinstance(padding, str) and padding.lower() in allowed:
        return padding.lower()
    raise ValueError(f"{who}: padding must be one of {', '.join(repr(p) for p in allowed)}, got {padding!r}")


def normalize_axis(axis, ndim, who):
    """A non-negative axis (or tuple of them), with a clear error when out of range."""
    if axis is None:
        return None
    if isinstance(axis, (tuple, list)):
        axes = tuple(normalize_axis(a, ndim, who) for a in axis)
        if len(set(axes)) != len(axes):
            raise ValueError(f"{who}: axis {tuple(axis)} names the same axis twice")
        return axes
    if not is_int(axis):
        raise ValueError(f"{who}: axis must be an integer (or a tuple of them), got {axis!r}")
    axis = int(axis)
    if not -ndim <= axis < max(ndim, 1):
        raise ValueError(f"{who}: axis {axis} is out of range for a tensor of rank {ndim}")
    return axis % max(ndim, 1)
