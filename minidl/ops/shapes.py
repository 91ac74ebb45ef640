"""Operations that move elements around without changing them: their backward moves the
gradient back to where each element came from."""

import numpy as np

from minidl.autograd.function import Function, xp
from minidl.autograd.tensor import Tensor
from minidl.ops._util import as_tensor
from minidl.ops.arguments import is_int, normalize_axis
from minidl.runtime import backend


class Reshape(Function):
    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        self.input_shape = x.shape
        return x.reshape(self.shape)

    def backward(self, gy):
        # reshaping is a relabelling: the gradient is reshaped back
        return gy.reshape(self.input_shape)


class Transpose(Function):
    def __init__(self, axes):
        self.axes = axes

    def forward(self, x):
        return x.transpose(self.axes)

    def backward(self, gy):
        # the gradient is permuted by the inverse permutation
        return gy.transpose(tuple(np.argsort(self.axes)))


class Concatenate(Function):
    def __init__(self, axis):
        self.axis = axis

    def forward(self, *xs):
        self.boundaries = np.cumsum([x.shape[self.axis] for x in xs])[:-1].tolist()
        return xp().concatenate(xs, axis=self.axis)

    def backward(self, gy):
        # each input receives its own slice of the gradient
        return tuple(xp().split(gy, self.boundaries, axis=self.axis))


class Stack(Function):
    def __init__(self, axis):
        self.axis = axis

    def forward(self, *xs):
        return xp().stack(xs, axis=self.axis)

    def backward(self, gy):
        # each input receives its slice of the gradient along the new axis
        count = gy.shape[self.axis]
        return tuple(gy.take(i, axis=self.axis) for i in range(count))


class Split(Function):
    def __init__(self, indices_or_sections, axis):
        self.indices_or_sections, self.axis = indices_or_sections, axis

    def forward(self, x):
        return tuple(xp().split(x, self.indices_or_sections, axis=self.axis))

    def backward(self, *gys):
        # the pieces' gradients are put back side by side
        return xp().concatenate(gys, axis=self.axis)


class ExpandDims(Function):
    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        return xp().expand_dims(x, self.axis)

    def backward(self, gy):
        # drop the inserted size-1 axis again
        return gy.squeeze(axis=self.axis)


class Squeeze(Function):
    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        self.input_shape = x.shape
        return x.squeeze(axis=self.axis)

    def backward(self, gy):
        # put the removed size-1 axes back
        return gy.reshape(self.input_shape)


class Pad(Function):
    """Constant padding; ``pad_width`` as in numpy.pad: ((before, after), ...) per axis."""

    def __init__(self, pad_width, value):
        self.pad_width, self.value = pad_width, value

    def forward(self, x):
        return xp().pad(x, self.pad_width, mode="constant", constant_values=self.value)

    def backward(self, gy):
        # padded positions are constants: the gradient is the centre crop
        crop = tuple(slice(before, gy.shape[i] - after) for i, (before, after) in enumerate(self.pad_width))
        return gy[crop]


class Flip(Function):
    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        return xp().flip(x, axis=self.axis)

    def backward(self, gy):
        # flipping is its own inverse
        return xp().flip(gy, axis=self.axis)


class GetItem(Function):
    """``x[key]`` for basic slices and fancy (integer-array or boolean) indices."""

    def __init__(self, key):
        self.key = key

    def forward(self, x):
        self.input_shape, self.input_dtype = x.shape, x.dtype
        return x[self.key]

    def backward(self, gy):
        # each selected element receives its gradient; an element selected k times gets the
        # sum of its k gradients (a scatter-add), every other element gets zero
        grad = xp().zeros(self.input_shape, dtype=gy.dtype)
        if _is_fancy(self.key):
            backend.scatter_add(grad, self.key, gy)
        else:
            grad[self.key] = gy
        return grad


def _is_fancy(key):
    parts = key if isinstance(key, tuple) else (key,)
    return any(not isinstance(part, (int, slice, type(None), type(Ellipsis))) for part in parts)


def _unwrap_key(key):
    """Tensors and lists inside an index become backend arrays."""
    if isinstance(key, tuple):
        return tuple(_unwrap_key(part) for part in key)
    if isinstance(key, Tensor):
        return key.data
    if isinstance(key, (list, np.ndarray)):
        return backend.to_device(np.asarray(key))
    return key


def reshape(x, *shape):
    x = as_tensor(x)
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    target = _resolve_shape(x, tuple(int(s) for s in shape))
    if target == x.shape:
        return x
    return Reshape(target)(x)


def _resolve_shape(x, shape):
    unknown = [i for i, s in enumerate(shape) if s == -1]
    known = 1
    for s in shape:
        if s != -1:
            known *= s
    if len(unknown) > 1:
        raise ValueError(f"reshape: at most one dimension may be -1, got {shape}")
    if unknown:
        if known == 0 or x.size % known:
            raise ValueError(f"reshape: cannot reshape a tensor of shape {x.shape} ({x.size} elements) into {shape}")
        shape = tuple(x.size // known if s == -1 else s for s in shape)
    elif known != x.size:
        raise ValueError(f"reshape: cannot reshape a tensor of shape {x.shape} ({x.size} elements) into {shape}")
    return shape


def transpose(x, axes=None):
    x = as_tensor(x)
    if axes is None:
        axes = tuple(reversed(range(x.ndim)))
    axes = tuple(normalize_axis(a, x.ndim, "transpose") for a in axes)
    if sorted(axes) != list(range(x.ndim)):
        raise ValueError(f"transpose: axes {axes} are not a permutation of the {x.ndim} axes of shape {x.shape}")
    return Transpose(axes)(x)


def _check_same_shapes(op_name, tensors, axis):
    first = tensors[0].shape
    for position, t in enumerate(tensors[1:], start=1):
        if t.ndim != len(first) or any(
            a != b for i, (a, b) in enumerate(zip(t.shape, first)) if i != axis
        ):
            raise ValueError(
                f"{op_name}: input {position} has shape {t.shape}, which does not match input 0's "
                f"shape {first} outside axis {axis}"
            )


def concatenate(tensors, axis=-1):
    tensors = [as_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("concatenate: needs at least one tensor")
    axis = normalize_axis(axis, tensors[0].ndim, "concatenate")
    _check_same_shapes("concatenate", tensors, axis)
    return Concatenate(axis)(*tensors)


def stack(tensors, axis=0):
    tensors = [as_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("stack: needs at least one tensor")
    axis = normalize_axis(axis, tensors[0].ndim + 1, "stack")
    _check_same_shapes("stack", tensors, None)
    return Stack(axis)(*tensors)


def split(x, indices_or_sections, axis=0):
    """Split into equal sections (an int) or at the given indices (a list), like numpy.split."""
    x = as_tensor(x)
    axis = normalize_axis(axis, x.ndim, "split")
    if is_int(indices_or_sections) and indices_or_sections < 1:
        raise ValueError(f"split: the number of sections must be a positive integer, got {indices_or_sections!r}")
    if is_int(indices_or_sections) and x.shape[axis] % indices_or_sections:
        raise ValueError(
            f"split: axis {axis} of length {x.shape[axis]} does not divide into {indices_or_sections} equal sections"
        )
    if is_int(indices_or_sections):
        indices_or_sections = int(indices_or_sections)
    elif not isinstance(indices_or_sections, (list, tuple, np.ndarray)) or not all(is_int(i) for i in indices_or_sections):
        raise ValueError(f"split: expected a number of sections or a list of integer indices, got {indices_or_sections!r}")
    else:
        indices_or_sections = [int(i) for i in indices_or_sections]
    return Split(indices_or_sections, axis)(x)


def expand_dims(x, axis):
    x = as_tensor(x)
    return ExpandDims(normalize_axis(axis, x.ndim + 1, "expand_dims"))(x)


def squeeze(x, axis=None):
    x = as_tensor(x)
    if axis is None:
        axis = tuple(i for i, s in enumerate(x.shape) if s == 1)
    else:
        axis = normalize_axis(axis, x.ndim, "squeeze")
        for a in axis if isinstance(axis, tuple) else (axis,):
            if x.shape[a] != 1:
                raise ValueError(f"squeeze: axis {a} of shape {x.shape} has size {x.shape[a]}, not 1")
    return Squeeze(axis)(x)


def pad(x, pad_width, value=0.0):
    x = as_tensor(x)
    pad_width = tuple((int(before), int(after)) for before, after in pad_width)
    if len(pad_width) != x.ndim or any(b < 0 or a < 0 for b, a in pad_width):
        raise ValueError(
            f"pad: pad_width needs one non-negative (before, after) pair per axis of shape {x.shape}, got {pad_width}"
        )
    return Pad(pad_width, value)(x)


def flip(x, axis=None):
    x = as_tensor(x)
    axis = tuple(range(x.ndim)) if axis is None else normalize_axis(axis, x.ndim, "flip")
    return Flip(axis)(x)


def getitem(x, key):
    """``x[key]``; an index out of range is an IndexError that shows the tensor's shape (NumPy's
    message alone names neither the tensor nor the call)."""
    x = as_tensor(x)
    try:
        return GetItem(_unwrap_key(key))(x)
    except IndexError as error:
        raise IndexError(f"indexing a tensor of shape {tuple(x.shape)}: {error}") from None
