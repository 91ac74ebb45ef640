"""``InputSpec``: what a layer accepts as input, declared once and checked by the base class.

A layer states its contract as Keras does -- ``InputSpec(ndim=3)`` for a recurrent layer,
``InputSpec(min_ndim=2, axes={-1: 784})`` for a built Dense layer -- by setting
``input_spec`` (a class attribute for what holds before the layer is built, an instance
attribute set in ``build`` once the weights fix more). ``Layer.__call__`` checks every call
against it, eager or symbolic, before ``call`` runs, so a wrong input is reported once, at the
layer, naming it, instead of failing somewhere inside NumPy.

The messages name the layer and its class, what was expected and the shape received::

    dense (Dense): expected input of rank >= 2 with 3 features on the last axis, (batch, ..., 3),
    got shape (2, 5)

``layout`` gives the axes names used in those messages; ``"..."`` stands for any number of
axes. A spec with a full ``shape`` (a model's declared input) is reported in Keras's own words:
``Input 0 of layer "sequential" is incompatible with the layer: expected shape=(None, 3), found
shape=(2, 3, 3)``. Unknown sizes (``None``) match anything.
"""

import numpy as np

from minidl.layers.call_context import label

# Axis names for messages, channels-last as everywhere in minidl.
FEATURES_LAST = ("batch", "...", "features")
SEQUENCE = ("batch", "time", "features")
CHANNELS_LAST = {
    1: ("batch", "steps", "channels"),
    2: ("batch", "height", "width", "channels"),
    3: ("batch", "depth", "height", "width", "channels"),
}


class InputSpec:
    """Keras's ``InputSpec``: rank bounds, sizes of given axes, a full shape, a dtype."""

    __slots__ = ("dtype", "shape", "ndim", "min_ndim", "max_ndim", "axes", "allow_last_axis_squeeze",
                 "name", "layout")

    def __init__(self, dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None, axes=None,
                 allow_last_axis_squeeze=False, name=None, layout=None):
        self.dtype = None if dtype is None else np.dtype(dtype)
        self.shape = None if shape is None else tuple(None if s is None else int(s) for s in shape)
        self.ndim = len(self.shape) if self.shape is not None else ndim
        self.min_ndim = min_ndim
        self.max_ndim = max_ndim
        # a None size (an axis a declared shape leaves undefined) pins nothing, as in Keras
        self.axes = {int(axis): int(size) for axis, size in (axes or {}).items() if size is not None}
        self.allow_last_axis_squeeze = bool(allow_last_axis_squeeze)
        self.name = name
        self.layout = None if layout is None else tuple(layout)

    def __repr__(self):
        fields = [f"{key}={getattr(self, key)!r}" for key in ("dtype", "shape", "ndim", "min_ndim", "max_ndim")
                  if getattr(self, key) is not None]
        if self.axes:
            fields.append(f"axes={self.axes}")
        return f"InputSpec({', '.join(fields)})"

    # -- checking ----------------------------------------------------------------------------
    def check(self, layer, shape, dtype=None, index=0):
        """Raise ``ValueError`` naming ``layer`` unless an input of ``shape`` (and ``dtype``) fits."""
        shape = tuple(shape)
        if self.shape is not None:
            self._check_full_shape(layer, shape, index)
        rank = len(shape)
        exact_rank = self.ndim is not None and not self.allow_last_axis_squeeze  # else the shape check decides
        if ((exact_rank and rank != self.ndim) or (self.min_ndim is not None and rank < self.min_ndim)
                or (self.max_ndim is not None and rank > self.max_ndim)):
            raise ValueError(f"{_who(layer, index)}: expected input of rank {self._rank_text()}"
                             f"{self._layout_text(None)}, got shape {shape}")
        for axis, size in self.axes.items():
            found = shape[axis] if -rank <= axis < rank else None
            if found is not None and found != size:
                raise ValueError(
                    f"{_who(layer, index)}: expected input of rank {self._rank_text()} with {size} "
                    f"{self._axis_noun(axis)} on {_axis_text(axis)}{self._layout_text(axis)}, got shape {shape}"
                )
        if self.dtype is not None and dtype is not None and np.dtype(dtype) != self.dtype:
            raise ValueError(f"{_who(layer, index)}: expected input of dtype {self.dtype.name}, got dtype "
                             f"{np.dtype(dtype).name} (shape {shape})")

    def _check_full_shape(self, layer, shape, index):
        expected = self.shape
        if self.allow_last_axis_squeeze:
            shape, expected = _squeeze_last(shape), _squeeze_last(expected)
        if len(shape) != len(expected) or any(e is not None and s is not None and s != e
                                              for s, e in zip(shape, expected)):
            raise ValueError(
                f'Input {index} of layer "{layer.name}" is incompatible with the layer: '
                f"expected shape={self.shape}, found shape={tuple(shape)}"
            )

    # -- message pieces ----------------------------------------------------------------------
    def _rank_text(self):
        if self.ndim is not None:
            return str(self.ndim)
        if self.min_ndim is not None and self.max_ndim is not None:
            return f"{self.min_ndim} to {self.max_ndim}"
        if self.min_ndim is not None:
            return f">= {self.min_ndim}"
        if self.max_ndim is not None:
            return f"<= {self.max_ndim}"
        return "any"

    def _axis_noun(self, axis):
        if self.layout is None:
            return "entries"
        names = self.layout
        return names[axis] if -len(names) <= axis < len(names) and names[axis] != "..." else "entries"

    def _layout_text(self, pinned_axis):
        """`` (batch, height, width, channels)`` -- or, for an axis check, ``, (batch, ..., 3)``."""
        if self.layout is None:
            return ""
        names = list(self.layout)
        if pinned_axis is not None:
            for axis, size in self.axes.items():
                if -len(names) <= axis < len(names) and names[axis] != "...":
                    names[axis] = str(size)
            return ", (" + ", ".join(names) + ")"
        return " (" + ", ".join(names) + ")"


def _who(layer, index):
    return label(layer) if index == 0 else f"{label(layer)}, input {index}"


def _axis_text(axis):
    return "the last axis" if axis == -1 else f"axis {axis}"


def _squeeze_last(shape):
    return shape[:-1] if shape and shape[-1] == 1 else shape


def check_inputs(layer, spec, inputs):
    """Check ``inputs`` (one tensor-like, or a list) against ``spec`` (one spec, or one per input)."""
    if isinstance(spec, (list, tuple)):
        values = inputs if isinstance(inputs, (list, tuple)) else [inputs]
        if len(values) != len(spec):
            raise ValueError(f"{label(layer)}: expected {len(spec)} input tensor(s), "
                             f"got {len(values)}")
        for index, (value, one) in enumerate(zip(values, spec)):
            if one is not None:
                one.check(layer, value.shape, getattr(value, "dtype", None), index)
        return
    if isinstance(inputs, (list, tuple)):
        raise ValueError(f"{label(layer)}: expected one input tensor, got a list of "
                         f"{len(inputs)}")
    spec.check(layer, inputs.shape, getattr(inputs, "dtype", None))
