"""Merge layers: combine a list of tensors into one (Keras's Add, Concatenate, ...).

Element-wise merges need inputs of identical shapes: nothing is broadcast silently, and a
mismatch names the layer and every shape received. They are called on a list of tensors,
``Add()([a, b])``, return one tensor of the inputs' shape and have no weights. Their only
arguments are the base-layer ones (``name``, ``trainable``, ``dtype``).
"""

from minidl import ops
from minidl.layers import arguments
from minidl.layers.base import Layer


class _Merge(Layer):
    """Shared checks: a list of at least two tensors; subclasses combine them in ``merge``."""

    def _check_list(self, inputs):
        """``inputs``: what the layer was called on (a list of tensors, or of their shapes)."""
        if not isinstance(inputs, list) or len(inputs) < 2:
            if isinstance(inputs, list):
                received = f"a list of {len(inputs)}"
            else:
                received = f"a single tensor of shape {tuple(getattr(inputs, 'shape', inputs))}"
            raise ValueError(
                f"{self.name} ({type(self).__name__}): expected a list of at least 2 input tensors, got {received}"
            )

    def build(self, input_shape):
        self._check_list(input_shape)

    def call(self, inputs, training=False):
        self._check_list(inputs)
        self._check_shapes([x.shape for x in inputs])
        return self.merge(list(inputs))

    def _check_shapes(self, shapes):
        if any(shape != shapes[0] for shape in shapes[1:]):
            raise ValueError(
                f"{self.name} ({type(self).__name__}): inputs must all have the same shape, got shapes "
                f"{[tuple(s) for s in shapes]}"
            )

    def merge(self, tensors):
        raise NotImplementedError


def _sum(tensors):
    total = tensors[0]
    for tensor in tensors[1:]:
        total = total + tensor
    return total


class Add(_Merge):
    """The element-wise sum of a list of tensors of one shape: ``[a, b, ...] -> a + b + ...``."""

    def merge(self, tensors):
        return _sum(tensors)


class Subtract(_Merge):
    """The element-wise difference ``inputs[0] - inputs[1]`` of exactly two tensors of one shape, as in Keras."""

    def _check_list(self, inputs):
        super()._check_list(inputs)
        if len(inputs) != 2:
            raise ValueError(f"{self.name} (Subtract): expected exactly 2 inputs, got {len(inputs)}")

    def merge(self, tensors):
        return tensors[0] - tensors[1]


class Multiply(_Merge):
    """The element-wise product of a list of tensors of one shape: ``[a, b, ...] -> a * b * ...``."""

    def merge(self, tensors):
        product = tensors[0]
        for tensor in tensors[1:]:
            product = product * tensor
        return product


class Average(_Merge):
    """The element-wise mean of a list of tensors of one shape: ``(a + b + ...) / n``."""

    def merge(self, tensors):
        return _sum(tensors) * (1.0 / len(tensors))


class Maximum(_Merge):
    """The element-wise maximum of a list of tensors of one shape."""

    def merge(self, tensors):
        result = tensors[0]
        for tensor in tensors[1:]:
            result = ops.maximum(result, tensor)
        return result


class Minimum(_Merge):
    """The element-wise minimum of a list of tensors of one shape."""

    def merge(self, tensors):
        result = tensors[0]
        for tensor in tensors[1:]:
            result = ops.minimum(result, tensor)
        return result


class Concatenate(_Merge):
    """Joins the inputs along ``axis`` (default the last); all other axes must agree.

    E.g. (batch, 5) and (batch, 3) give (batch, 8). No weights.

    Arguments:
        axis: the axis joined, not the batch axis (default -1, the last).
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype``).
    """

    def __init__(self, axis: int = -1, **kwargs):
        super().__init__(**kwargs)
        self.axis = arguments.integer(self, "axis", axis)

    def _check_shapes(self, shapes):
        rank = len(shapes[0])
        axis = self.axis if self.axis >= 0 else rank + self.axis
        if not 0 < axis < rank:
            raise ValueError(
                f"{self.name} (Concatenate): axis {self.axis} is not a non-batch axis of inputs of rank {rank}"
            )
        for shape in shapes:
            if len(shape) != rank or any(a != b for i, (a, b) in enumerate(zip(shape, shapes[0])) if i != axis):
                raise ValueError(
                    f"{self.name} (Concatenate): inputs must match on every axis except the concatenation "
                    f"axis {self.axis}, got shapes {[tuple(s) for s in shapes]}"
                )

    def merge(self, tensors):
        return ops.concatenate(tensors, axis=self.axis)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


def add(inputs: list, **kwargs):
    """Functional form of ``Add(**kwargs)(inputs)``: the element-wise sum of a list of tensors."""
    return Add(**kwargs)(inputs)


def concatenate(inputs: list, axis: int = -1, **kwargs):
    """Functional form of ``Concatenate(axis, **kwargs)(inputs)``: the tensors joined along ``axis``."""
    return Concatenate(axis=axis, **kwargs)(inputs)
