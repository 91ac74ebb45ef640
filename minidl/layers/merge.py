"""Merge layers: combine a list of tensors into one (Keras's Add, Concatenate, Dot, ...).

Element-wise merges need inputs of identical shapes: nothing is broadcast silently, and a
mismatch names the layer and every shape received. They are called on a list of tensors,
``Add()([a, b])``, return one tensor of the inputs' shape and have no weights. Their only
arguments are the base-layer ones (``name``, ``trainable``, ``dtype``).
"""

from minidl import ops
from minidl.layers import arguments
from minidl.layers.base import Layer
from minidl.layers.call_context import label


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
        return self.merge(_one_dtype(self, list(inputs)))

    def _check_shapes(self, shapes):
        if any(shape != shapes[0] for shape in shapes[1:]):
            raise ValueError(
                f"{self.name} ({type(self).__name__}): inputs must all have the same shape, got shapes "
                f"{[tuple(s) for s in shapes]}"
            )

    def merge(self, tensors):
        raise NotImplementedError


def _one_dtype(layer, tensors):
    """Inputs of mixed dtypes (int64 flags beside float32 features, as the pandas tutorial
    concatenates them) in the layer's float dtype, as Keras 3 promotes int with float32 to
    float32; inputs that already share one dtype are left as they are."""
    dtypes = {tensor.dtype for tensor in tensors}
    if len(dtypes) == 1 or layer.dtype.kind != "f":
        return tensors
    return [tensor if tensor.dtype == layer.dtype else ops.cast(tensor, layer.dtype) for tensor in tensors]


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


class Dot(_Merge):
    """The dot product of two tensors along ``axes``, sample by sample (Keras's ``batch_dot``):
    for (batch, n) and (batch, n) with ``axes=1``, (batch, 1) -- one number per sample; for
    (batch, a, d) and (batch, b, d) with ``axes=2``, (batch, a, b) -- every pair of rows, as
    attention scores are. The result's axes are those of the first input without its dot axis,
    then those of the second without the batch and its dot axis. No weights.

    Arguments:
        axes: the axis summed over: one int for both inputs, or a pair (one per input); not 0.
        normalize: L2-normalise both inputs along the dot axes first, so the result is the
            cosine similarity.
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype``).
    """

    def __init__(self, axes: int | tuple[int, int], normalize: bool = False, **kwargs):
        super().__init__(**kwargs)
        values = axes if isinstance(axes, (list, tuple)) else [axes]
        if len(values) not in (1, 2) or not all(arguments.is_integral(axis) for axis in values):
            raise ValueError(f"{label(self)}: axes must be an int or a pair of ints, got {axes!r}")
        self.axes = int(axes) if not isinstance(axes, (list, tuple)) else [int(axis) for axis in axes]
        self.normalize = arguments.boolean(self, "normalize", normalize)

    def _dot_axes(self, shapes):
        axes = [self.axes] * 2 if isinstance(self.axes, int) else list(self.axes)
        resolved = []
        for axis, shape in zip(axes, shapes):
            if not -len(shape) <= axis < len(shape) or axis % len(shape) == 0:
                raise ValueError(f"{label(self)}: axes {self.axes} must name a non-batch axis of inputs of "
                                 f"shapes {[tuple(s) for s in shapes]}")
            resolved.append(axis % len(shape))
        return resolved

    def _check_list(self, inputs):
        super()._check_list(inputs)
        if len(inputs) != 2:
            raise ValueError(f"{label(self)}: expected exactly 2 inputs, got {len(inputs)}")

    def _check_shapes(self, shapes):
        first, second = self._dot_axes(shapes)
        if shapes[0][0] != shapes[1][0] or shapes[0][first] != shapes[1][second]:
            raise ValueError(f"{label(self)}: the inputs need one batch size and the same size on the dot "
                             f"axes ({first} and {second}), got shapes {[tuple(s) for s in shapes]}")

    def merge(self, tensors):
        x, y = tensors
        first, second = self._dot_axes([x.shape, y.shape])
        if self.normalize:
            x, y = l2_normalize(x, first, 1e-7), l2_normalize(y, second, 1e-7)
        return batch_dot(x, y, first, second)

    def get_config(self):
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}


def batch_dot(x, y, x_axis, y_axis):
    """Sample-wise dot product of ``x`` and ``y`` over ``x_axis`` / ``y_axis`` (see ``Dot``): the
    dot axis moved last in x and first (after the batch) in y, then one batched matrix product."""
    x_rest = [axis for axis in range(1, x.ndim) if axis != x_axis]
    y_rest = [axis for axis in range(1, y.ndim) if axis != y_axis]
    x_moved = ops.transpose(x, [0] + x_rest + [x_axis])
    y_moved = ops.transpose(y, [0, y_axis] + y_rest)
    batch, depth = x.shape[0], x.shape[x_axis]
    product = ops.matmul(ops.reshape(x_moved, (batch, -1, depth)), ops.reshape(y_moved, (batch, depth, -1)))
    shape = (batch,) + tuple(x.shape[axis] for axis in x_rest) + tuple(y.shape[axis] for axis in y_rest)
    return ops.reshape(product, shape if len(shape) > 1 else (batch, 1))


def l2_normalize(x, axis, epsilon):
    """``x / max(||x||, epsilon)`` with the norm taken along ``axis``."""
    norm = ops.sqrt(ops.sum(x * x, axis=axis, keepdims=True))
    return x / ops.maximum(norm, epsilon)


def add(inputs: list, **kwargs):
    """Functional form of ``Add(**kwargs)(inputs)``: the element-wise sum of a list of tensors."""
    return Add(**kwargs)(inputs)


def concatenate(inputs: list, axis: int = -1, **kwargs):
    """Functional form of ``Concatenate(axis, **kwargs)(inputs)``: the tensors joined along ``axis``."""
    return Concatenate(axis=axis, **kwargs)(inputs)
