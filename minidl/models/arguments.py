"""Checks of the arguments of ``compile``/``fit``/``evaluate``/``predict``/``*_on_batch``.

Every check runs once per call, before any data is touched, and a bad value is an error that
names the method and the argument, shows the value received and says what is expected::

    fit: batch_size must be a positive integer (or None for 32), got 2.5 (float)

Nothing is truncated or coerced silently: ``batch_size=2.5`` is an error, not 2. NumPy integers
count as integers; ``True``/``False`` do not (``epochs=True`` is almost surely a slip), except
for ``verbose``, where Keras accepts them.

The error is an ``ArgumentError``: a ``ValueError``, as Keras 3 raises for invalid arguments,
and a ``TypeError`` as well, as Python raises for a value of the wrong type (``range(2.5)``),
so code written against either convention catches it.
"""

import numbers

import numpy as np

from minidl.callbacks import Callback


class ArgumentError(ValueError, TypeError):
    """A bad argument to compile/fit/evaluate/predict (see the module docstring)."""


def _received(value):
    return f"{value!r} ({type(value).__name__})"


def _is_integer(value):
    return isinstance(value, (numbers.Integral, np.integer)) and not isinstance(value, (bool, np.bool_))


def integer(value, name, what, minimum=0, allow_none=False, none_means=""):
    """``value`` as an int >= ``minimum`` (or None where allowed)."""
    if value is None and allow_none:
        return None
    if not _is_integer(value) or value < minimum:
        expected = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        if allow_none:
            expected += f" (or None{' ' + none_means if none_means else ''})"
        raise ArgumentError(f"{what}: {name} must be {expected}, got {_received(value)}")
    return int(value)


def boolean(value, name, what):
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise ArgumentError(f"{what}: {name} must be True or False, got {_received(value)}")


def verbose(value, what):
    """Keras's verbose: 0 (silent), 1 (progress bar), 2 (one line per epoch), 'auto' (1); bools too."""
    if value == "auto" and isinstance(value, str):
        return 1
    if isinstance(value, (bool, np.bool_)):
        return int(value)
    if _is_integer(value) and value in (0, 1, 2):
        return int(value)
    raise ArgumentError(f"{what}: verbose must be 0, 1, 2 or 'auto', got {_received(value)}")


def shuffle(value, what):
    """True, False (or 1, 0), or 'batch' (shuffle whole batches, Keras 2)."""
    if isinstance(value, (bool, np.bool_)) or (_is_integer(value) and value in (0, 1)):
        return bool(value)
    if isinstance(value, str) and value == "batch":
        return "batch"
    raise ArgumentError(f"{what}: shuffle must be True, False or 'batch', got {_received(value)}")


def validation_split(value, what):
    """A fraction in [0, 1): the share of the rows held out (the last ones)."""
    if not isinstance(value, (numbers.Real, np.floating, np.integer)) or isinstance(value, (bool, np.bool_)):
        raise ArgumentError(f"{what}: validation_split must be a number in [0, 1), got {_received(value)}")
    if not 0 <= value < 1:
        raise ArgumentError(f"{what}: validation_split must be in [0, 1), got {value!r}")
    return float(value)


def validation_freq(value, what):
    """Validate every ``value`` epochs, or after the listed (1-based) epochs (Keras 2)."""
    if _is_integer(value):
        return integer(value, "validation_freq", what, minimum=1)
    if isinstance(value, (list, tuple, set, range)) and all(_is_integer(v) and v >= 1 for v in value):
        return frozenset(int(v) for v in value)
    raise ArgumentError(
        f"{what}: validation_freq must be a positive integer or a list of epoch numbers (1-based), got "
        f"{_received(value)}"
    )


def validate_now(freq, epoch):
    """True when validation runs after ``epoch`` (0-based) for a checked ``validation_freq``."""
    if isinstance(freq, frozenset):
        return epoch + 1 in freq
    return (epoch + 1) % freq == 0


def class_weight(value, what):
    """A dict {class index: weight} with finite non-negative numeric weights; keys are class
    indices, as ints or whole-number floats (``np.unique`` of float labels gives those)."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ArgumentError(f"{what}: class_weight must be a dict {{class index: weight}}, got {_received(value)}")
    table = {}
    for key, weight in value.items():
        whole_float = isinstance(key, (float, np.floating)) and float(key).is_integer()
        if not (_is_integer(key) or whole_float) or key < 0:
            raise ArgumentError(
                f"{what}: class_weight keys must be class indices (integers >= 0), got key {_received(key)}"
            )
        if (not isinstance(weight, (numbers.Real, np.number)) or isinstance(weight, (bool, np.bool_))
                or not np.isfinite(weight) or weight < 0):
            raise ArgumentError(
                f"{what}: class_weight[{key}] must be a finite number >= 0, got {_received(weight)}"
            )
        table[int(key)] = float(weight)
    return table


def callback_list(value, what):
    """A list of Callback objects (a single one is accepted, as tf.keras does)."""
    if value is None:
        return []
    items = [value] if isinstance(value, Callback) else value
    if not isinstance(items, (list, tuple)):
        raise ArgumentError(f"{what}: callbacks must be a list of Callback objects, got {_received(value)}")
    for item in items:
        if not isinstance(item, Callback):
            raise ArgumentError(
                f"{what}: callbacks must be Callback objects (e.g. EarlyStopping(...)), got {_received(item)}"
            )
    return list(items)


def loss_weights(value, what):
    """None, a number, a list of numbers or a dict of numbers."""
    items = value.values() if isinstance(value, dict) else value if isinstance(value, (list, tuple)) else [value]
    for item in items:
        if item is None:
            continue
        if not isinstance(item, (numbers.Real, np.number)) or isinstance(item, (bool, np.bool_)):
            raise ArgumentError(f"{what}: loss_weights must be numbers, got {_received(item)}")
        if not np.isfinite(item):
            raise ArgumentError(f"{what}: loss_weights must be finite numbers, got {_received(item)}")
    return value


def queue_arguments(max_queue_size, workers, use_multiprocessing, what):
    """tf.keras 2's data-loading arguments: checked, then unused (minidl loads in the main thread)."""
    integer(max_queue_size, "max_queue_size", what, minimum=1)
    integer(workers, "workers", what, minimum=0)
    boolean(use_multiprocessing, "use_multiprocessing", what)
