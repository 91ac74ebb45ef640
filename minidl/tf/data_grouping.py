"""Grouping ``tf.data`` elements by position: the windows of ``Dataset.window`` and the padded
batches of ``Dataset.padded_batch``, with TensorFlow's rules.

``window(size, shift, stride, drop_remainder)`` starts a window at every ``shift``-th element;
a window holds up to ``size`` elements, ``stride`` apart. Windows are cut while the elements
stream past: only the elements of the window being filled are held, never the whole dataset.
Without ``drop_remainder`` the windows that start near the end are shorter, as in TensorFlow
(``range(5).window(3, shift=1)`` gives ``[0 1 2] [1 2 3] [2 3 4] [3 4] [4]``).

``padded_batch`` stacks elements whose components differ in length: each component is padded
(after its values, along every axis) to ``padded_shapes`` -- a dimension given as ``None`` or
``-1``, or no shape at all, is padded to the longest in the batch -- with ``padding_values``
(0, or ``b''`` for strings, by default). A padding value is taken in its component's dtype when
it converts exactly; TensorFlow asks for the exact dtype (``tf.constant(-1, tf.int64)`` for an
int64 component) where minidl also takes ``-1``.
"""

import numpy as np

from minidl.autograd.tensor import Tensor

# -- windows ------------------------------------------------------------------------------------

def window_runs(elements, size, shift, stride, drop_remainder):
    """The elements of each window, as lists, read from the iterator ``elements`` as it goes.

    A buffer holds the elements from the current window's first one to its last
    (``(size - 1) * stride + 1`` of them); once full, the window is taken from it every
    ``stride``-th element, and the buffer moves on by ``shift`` (skipping elements no window
    reaches when ``shift`` is longer than the buffer).
    """
    span = (size - 1) * stride + 1
    buffer = []
    skip = 0
    for element in elements:
        if skip:
            skip -= 1
            continue
        buffer.append(element)
        if len(buffer) == span:
            yield buffer[::stride]
            buffer, skip = buffer[shift:], max(shift - len(buffer), 0)
    if drop_remainder:
        return
    while buffer:  # the windows that start too near the end to be full
        yield buffer[::stride][:size]
        buffer = buffer[shift:]


def window_count(count, size, shift, stride, drop_remainder):
    """How many windows ``window_runs`` cuts from ``count`` elements (TensorFlow's cardinality)."""
    if count < 0:
        return count  # endless stays endless, unknown stays unknown
    if not drop_remainder:
        return -(-count // shift)
    span = (size - 1) * stride + 1
    return 0 if count < span else (count - span) // shift + 1


# -- padded batches -----------------------------------------------------------------------------

class PaddingSpec:
    """How one component of the elements is padded: to ``shape`` (a dimension None: to the
    longest in the batch) with ``value``, a NumPy scalar of the component's dtype."""

    def __init__(self, shape, value):
        self.shape = shape
        self.value = value

    def __repr__(self):
        return f"PaddingSpec(shape={self.shape}, value={self.value!r})"


def padding_specs(element, padded_shapes, padding_values, what):
    """One ``PaddingSpec`` per component of ``element`` (a structure of arrays), in its structure.

    ``padded_shapes`` and ``padding_values`` follow the element's structure (a tuple of shapes for
    a tuple element, a dict for a dict); ``None`` anywhere means the default, and one scalar
    padding value serves every component, as in TensorFlow.
    """
    if isinstance(element, dict):
        return {key: padding_specs(component, _part(padded_shapes, key, element, "padded_shapes", what),
                                   _part(padding_values, key, element, "padding_values", what), what)
                for key, component in element.items()}
    if isinstance(element, tuple):
        return tuple(padding_specs(component, _part(padded_shapes, index, element, "padded_shapes", what),
                                   _part(padding_values, index, element, "padding_values", what), what)
                     for index, component in enumerate(element))
    array = np.asarray(element)
    return PaddingSpec(_padded_shape(padded_shapes, array, what), _padding_value(padding_values, array.dtype, what))


def _part(given, key, element, argument, what):
    """The part of ``padded_shapes`` / ``padding_values`` for component ``key`` of ``element``."""
    if given is None:
        return None
    if isinstance(element, dict):
        if not isinstance(given, dict):
            if argument == "padding_values" and _is_scalar(given):
                return given
            raise ValueError(f"{what}: {argument} must be a dict with the element's keys {sorted(element)}, "
                             f"got {given!r}")
        if set(given) != set(element):
            raise ValueError(f"{what}: {argument} must have the element's keys {sorted(element)}, got "
                             f"{sorted(given)}")
        return given[key]
    if isinstance(given, (tuple, list)) and not _is_scalar(given):
        if len(given) != len(element):
            raise ValueError(f"{what}: {argument} must have one entry per component of the element "
                             f"({len(element)}), got {len(given)}: {given!r}")
        return given[key]
    if argument == "padding_values" and _is_scalar(given):
        return given
    raise ValueError(f"{what}: {argument} must be a tuple with one entry per component of the element "
                     f"({len(element)}), got {given!r}")


def _is_scalar(value):
    """Whether ``value`` is one padding value (a number, a string, a 0-d array or tensor)."""
    if isinstance(value, (str, bytes, int, float, bool, np.generic)):
        return True
    if isinstance(value, (Tensor, np.ndarray)):
        return np.ndim(_host(value)) == 0
    return False


def _host(value):
    return value.numpy() if isinstance(value, Tensor) else value


def _padded_shape(shape, array, what):
    """``shape`` (a list, tuple, TensorShape or 1-D tensor of sizes, None or -1 for "the longest")
    as a tuple of ints and Nones of the component's rank."""
    if shape is None:
        return (None,) * array.ndim
    shape = _host(shape)
    if isinstance(shape, np.ndarray):
        shape = shape.tolist() if shape.ndim == 1 else shape
    if not isinstance(shape, (list, tuple)):
        raise ValueError(f"{what}: padded_shapes must give a shape (a list of sizes, None for the longest) for each "
                         f"component, got {shape!r}")
    sizes = []
    for size in shape:
        size = _host(size)
        if size is None or (_is_integer(size) and int(size) == -1):
            sizes.append(None)
        elif _is_integer(size) and int(size) >= 0:
            sizes.append(int(size))
        else:
            raise ValueError(f"{what}: padded_shapes sizes must be non-negative ints, None or -1, got {size!r} in "
                             f"{list(shape)!r}")
    if len(sizes) != array.ndim:
        raise ValueError(f"{what}: the padded shape {tuple(sizes)} is not compatible with the shape "
                         f"{array.shape} of the corresponding component (rank {len(sizes)} against {array.ndim})")
    return tuple(sizes)


def _is_integer(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool) or (
        isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iu")


def _padding_value(value, dtype, what):
    """``value`` as a scalar of ``dtype``: 0 (``b''`` for strings) when None; refused when it
    is not one value or would change in the conversion (0.5 for integers, text for numbers)."""
    text = dtype.kind in "OSU"
    if value is None:
        return b"" if text else dtype.type(0)
    value = _host(value)
    if np.ndim(value) != 0:
        raise ValueError(f"{what}: padding_values must be scalars, got one of shape {np.shape(value)}: {value!r}")
    value = value.item() if isinstance(value, (np.ndarray, np.generic)) else value
    if text:
        if not isinstance(value, (str, bytes)):
            raise TypeError(f"{what}: padding_values for a string component must be a string, got {value!r}")
        return value.encode() if isinstance(value, str) else value
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{what}: padding_values for the {dtype.name} component must be a number, got {value!r}")
    converted = np.asarray(value).astype(dtype)
    if converted != value:
        raise TypeError(f"{what}: padding value {value!r} cannot be stored exactly as {dtype.name} (the "
                        f"component's dtype); give a value of that dtype")
    return converted[()]


def pad_and_stack(spec, *arrays, what):
    """The arrays of one component, each padded to ``spec.shape`` and stacked into one batch."""
    arrays = [np.asarray(array) for array in arrays]
    ranks = sorted({array.ndim for array in arrays})
    if ranks != [len(spec.shape)]:
        raise ValueError(f"{what}: the elements' components must all have rank {len(spec.shape)}, got ranks {ranks}")
    longest = np.max([array.shape for array in arrays], axis=0) if spec.shape else ()
    target = tuple(int(longest[axis]) if size is None else size for axis, size in enumerate(spec.shape))
    batch = np.full((len(arrays),) + target, spec.value, dtype=arrays[0].dtype)
    for row, array in enumerate(arrays):
        if any(have > want for have, want in zip(array.shape, target)):
            raise ValueError(f"{what}: an element's component of shape {array.shape} is larger than its padded "
                             f"shape {target} (padded_shapes={spec.shape}); padding cannot make it smaller")
        batch[(row,) + tuple(slice(0, size) for size in array.shape)] = array
    return batch
