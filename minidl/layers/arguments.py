"""Checks for layer constructor arguments, shared by every layer.

Each check takes the layer (for its name), the argument's name and the value received; it
returns the value in the form the layer keeps, or raises with a message that names the layer,
the argument, what was received and what is expected::

    lstm (LSTM): units must be a positive integer, got 0
    dense (Dense): activation: unknown activation 'relu6'; expected one of [...] or a callable

A layer calls them in ``__init__`` right after ``Layer.__init__`` (which sets the name), so a
wrong argument fails where the model is written, not at the first batch.
"""

import math
import numbers
from collections.abc import Callable

import numpy as np

from minidl import initializers, regularizers
from minidl.layers.call_context import label
from minidl.ops import get_activation

ActivationLike = str | Callable | None
InitializerLike = str | Callable
RegularizerLike = str | Callable | None


def is_integral(value):
    """A Python or NumPy integer, or an integral float such as 32.0 (never a bool)."""
    if isinstance(value, (bool, np.bool_)):
        return False
    if isinstance(value, (int, np.integer)):
        return True
    return isinstance(value, (float, np.floating)) and float(value).is_integer()


def positive_int(layer, argument, value):
    """An integer >= 1 (an integral float such as 32.0 is accepted, as Keras does)."""
    if not is_integral(value) or value < 1:
        raise ValueError(f"{label(layer)}: {argument} must be a positive integer, got {value!r}")
    return int(value)


def integer(layer, argument, value):
    """Any integer (an axis, which may be negative)."""
    if not is_integral(value):
        raise ValueError(f"{label(layer)}: {argument} must be an integer, got {value!r}")
    return int(value)


def _is_real(value):
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def rate(layer, argument, value):
    """A fraction in [0, 1): a dropout rate (1 would drop everything)."""
    if not _is_real(value) or not 0 <= value < 1:
        raise ValueError(f"{label(layer)}: {argument} must be in [0, 1), got {value!r}")
    return float(value)


def number(layer, argument, value, minimum=None, maximum=None, above_minimum=False):
    """A finite real number, at least ``minimum`` (above it with ``above_minimum``) and at most
    ``maximum`` where those are given; the message states the bounds."""
    valid = _is_real(value) and math.isfinite(value)
    if valid and minimum is not None:
        valid = value > minimum if above_minimum else value >= minimum
    if valid and maximum is not None:
        valid = value <= maximum
    if not valid:
        bounds = []
        if minimum is not None:
            bounds.append(f"> {minimum}" if above_minimum else f">= {minimum}")
        if maximum is not None:
            bounds.append(f"<= {maximum}")
        expected = " and ".join(bounds) if bounds else "a finite number"
        raise ValueError(f"{label(layer)}: {argument} must be {expected}, got {value!r}")
    return float(value)


def boolean(layer, argument, value):
    """True or False (NumPy booleans and the integers 0 and 1 too); anything else -- such as the
    string 'false', which Python would take as true -- is an error."""
    if isinstance(value, (bool, np.bool_)) or (isinstance(value, (int, np.integer)) and value in (0, 1)):
        return bool(value)
    raise ValueError(f"{label(layer)}: {argument} must be True or False, got {value!r}")


def choice(layer, argument, value, choices):
    """One of ``choices``."""
    if value not in choices:
        raise ValueError(
            f"{label(layer)}: {argument} must be one of {', '.join(repr(c) for c in choices)}, got {value!r}"
        )
    return value


def activation(layer, argument, value):
    """An activation function from its Keras name ('relu', 'tanh', ...), None, or a callable."""
    try:
        return get_activation(value)
    except ValueError as error:
        raise ValueError(f"{label(layer)}: {argument}: {error}") from None


def initializer(layer, argument, value):
    """An initializer from its Keras name, a config dict, an instance or a callable. None is
    Keras's ``add_weight`` default for float weights, 'glorot_uniform' (the imbalanced-data
    tutorial passes ``bias_initializer=None`` when it has no bias to give)."""
    try:
        return initializers.get("glorot_uniform" if value is None else value)
    except (ValueError, KeyError, TypeError) as error:
        raise ValueError(f"{label(layer)}: {argument}: {_message(error)}") from None


def regularizer(layer, argument, value):
    """None, 'l1', 'l2', 'l1_l2', a config dict, or a callable."""
    try:
        return regularizers.get(value)
    except (ValueError, KeyError, TypeError) as error:
        raise ValueError(f"{label(layer)}: {argument}: {_message(error)}") from None


def _message(error):
    if isinstance(error, KeyError):
        return f"unknown name {error.args[0]!r}"
    return str(error)
