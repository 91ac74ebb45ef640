"""Keras's reshaping layers that move values without computing new ones: RepeatVector,
Permute, Cropping1D and Cropping2D (Reshape and Flatten are in ``core``, ZeroPadding and
UpSampling beside the convolutions, as in Keras 2).

None of them has weights; each is one or two differentiable ops (``broadcast_to``,
``transpose``, slicing), so their gradients come from those ops.
"""

from minidl.layers import arguments
from minidl.layers.base import Layer
from minidl.layers.convolutional import check_data_format, check_input_rank, normalize_tuple
from minidl.ops.arguments import is_int
from minidl.ops.broadcast import broadcast_to
from minidl.ops.shapes import expand_dims, getitem, transpose


class RepeatVector(Layer):
    """(batch, features) -> (batch, n, features): the input vector repeated ``n`` times, e.g. to
    feed an encoder's summary to every step of a decoder. No weights.

    Arguments:
        n: how many times the vector is repeated, a positive int.
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype``, ``input_shape``, ...).
    """

    def __init__(self, n: int, **kwargs):
        super().__init__(**kwargs)
        if not is_int(n) or n < 1:
            raise ValueError(f"{self.name} (RepeatVector): n must be a positive int, got {n!r}")
        self.n = int(n)

    def call(self, inputs, training=False):
        if inputs.ndim != 2:
            raise ValueError(
                f"{self.name} (RepeatVector): expected input of rank 2 (batch, features), got shape {inputs.shape}"
            )
        batch, features = inputs.shape
        return broadcast_to(expand_dims(inputs, 1), (batch, self.n, features))

    def get_config(self):
        return {**super().get_config(), "n": self.n}


class Permute(Layer):
    """Reorder the axes of every sample: ``dims`` is a permutation of 1..rank-1 (the batch axis,
    0, stays first), e.g. ``Permute((2, 1))`` swaps time and features. No weights.

    Arguments:
        dims: the new order of the non-batch axes, numbered from 1.
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype``, ``input_shape``, ...).
    """

    def __init__(self, dims: tuple[int, ...], **kwargs):
        super().__init__(**kwargs)
        dims = tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)
        if not all(is_int(d) for d in dims) or sorted(dims) != list(range(1, len(dims) + 1)):
            raise ValueError(
                f"{self.name} (Permute): dims must be a permutation of 1..{len(dims)} (the batch axis is not "
                f"included), got {dims!r}"
            )
        self.dims = tuple(int(d) for d in dims)

    def call(self, inputs, training=False):
        if inputs.ndim != len(self.dims) + 1:
            raise ValueError(
                f"{self.name} (Permute): dims {self.dims} permute {len(self.dims)} axes, so the input must have "
                f"rank {len(self.dims) + 1}; got shape {inputs.shape}"
            )
        return transpose(inputs, (0,) + self.dims)

    def get_config(self):
        return {**super().get_config(), "dims": self.dims}


def _crop(layer, inputs, amounts):
    """``inputs`` without ``amounts[i] = (before, after)`` positions on spatial axis i + 1."""
    key = [slice(None)]
    for axis, (before, after) in enumerate(amounts, start=1):
        size = inputs.shape[axis]
        if before + after >= size:
            raise ValueError(
                f"{layer.name} ({type(layer).__name__}): cropping {before} + {after} from axis {axis} of size {size} "
                f"leaves nothing (input shape {inputs.shape})"
            )
        key.append(slice(before, size - after))
    return getitem(inputs, tuple(key))


class Cropping1D(Layer):
    """Remove ``cropping = (start, end)`` steps (or an int for both) from the time axis of
    (batch, steps, features), giving (batch, steps - start - end, features). No weights.

    Arguments:
        cropping: an int (both ends) or (start, end), each >= 0.
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype``, ``input_shape``, ...).
    """

    def __init__(self, cropping: int | tuple[int, int] = (1, 1), **kwargs):
        super().__init__(**kwargs)
        amounts = (cropping, cropping) if is_int(cropping) else cropping
        self.cropping = normalize_tuple(amounts, 2, "cropping", f"{self.name} (Cropping1D)", minimum=0)

    def call(self, inputs, training=False):
        check_input_rank(self, inputs.shape, 1)
        return _crop(self, inputs, [self.cropping])

    def get_config(self):
        return {**super().get_config(), "cropping": self.cropping}


class Cropping2D(Layer):
    """Remove rows and columns at the borders of (batch, height, width, channels). No weights.

    Arguments:
        cropping: an int, (symmetric_height, symmetric_width), or ((top, bottom), (left, right)),
            as in Keras; each amount >= 0.
        data_format: None or 'channels_last'; 'channels_first' is refused.
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype``, ``input_shape``, ...).
    """

    def __init__(self, cropping: int | tuple[int, int] | tuple[tuple[int, int], tuple[int, int]] = ((0, 0), (0, 0)),
                 data_format: str | None = None, **kwargs):
        super().__init__(**kwargs)
        label = arguments.label(self)
        self.cropping = _pairs_of_amounts(cropping, label)
        self.data_format = check_data_format(data_format, label)

    def call(self, inputs, training=False):
        check_input_rank(self, inputs.shape, 2)
        return _crop(self, inputs, self.cropping)

    def get_config(self):
        return {**super().get_config(), "cropping": self.cropping, "data_format": self.data_format}


def _pairs_of_amounts(cropping, label):
    """Keras's three forms of a 2-D cropping as ((top, bottom), (left, right))."""
    message = (
        f"{label}: cropping must be a non-negative int, a pair (symmetric_height, symmetric_width) or a pair "
        f"of pairs ((top, bottom), (left, right)), got {cropping!r}"
    )
    if is_int(cropping):
        pairs = ((cropping, cropping), (cropping, cropping))
    elif isinstance(cropping, (tuple, list)) and len(cropping) == 2 and all(is_int(c) for c in cropping):
        pairs = ((cropping[0], cropping[0]), (cropping[1], cropping[1]))
    elif (isinstance(cropping, (tuple, list)) and len(cropping) == 2
          and all(isinstance(c, (tuple, list)) and len(c) == 2 for c in cropping)):
        pairs = tuple(tuple(c) for c in cropping)
    else:
        raise ValueError(message)
    if not all(is_int(v) and v >= 0 for pair in pairs for v in pair):
        raise ValueError(message)
    return tuple((int(before), int(after)) for before, after in pairs)


class Identity(Layer):
    """Returns its input unchanged (a placeholder, e.g. for an optional block)."""

    def call(self, inputs, training=False):
        return inputs
