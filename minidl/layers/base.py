"""The ``Layer`` base class: weights, building on first call, Keras-compatible bookkeeping.

A layer is written by overriding two methods::

    class Dense(Layer):
        def build(self, input_shape):          # called once, on the first input
            self.kernel = self.add_weight("kernel", (input_shape[-1], self.units), ...)
        def call(self, inputs, training=False):
            return inputs @ self.kernel + self.bias

Everything else -- unique names (``dense``, ``dense_1``, ...), ``trainable`` flags,
``get_weights``/``set_weights`` in Keras's order, regularisation penalties, sub-layers assigned
to attributes (``self.dense = Dense(4)`` in a custom layer's ``__init__``), symbolic calls on
``Input`` tensors for the functional API -- lives here, once. So do the Keras conventions
about calling a layer:

* ``input_spec`` (an ``InputSpec``) is checked on every call, before ``build`` and ``call``;
* ``training`` and ``mask`` are passed to ``call`` only when its signature names them; a
  layer called without ``training`` inside another layer's call inherits the outer value,
  so a custom layer's ``Dropout`` follows ``fit``/``predict`` without passing it along;
* ``add_loss`` / ``add_metric`` inside ``call`` record values for the current forward pass;
  they are dropped when the outermost layer of that pass (the model) is called again, and
  ``layer.losses`` lists them with the regularisation penalties, as Keras does;
* an exception raised inside a layer's build or call names the layer and its input shapes,
  added once by the innermost layer (``minidl.layers.call_context``), so ops need not be told
  which layer called them.
"""

import functools
import inspect
import math
import numbers
import re

import numpy as np

from minidl import initializers, regularizers
from minidl.autograd.function import no_grad
from minidl.autograd.tensor import Tensor, as_array
from minidl.graph import depth_first
from minidl.layers import arguments as layer_arguments
from minidl.layers import auto_config
from minidl.layers.call_context import add_call_context, label
from minidl.layers.input_spec import InputSpec, check_inputs
from minidl.layers.text_values import as_dtype, as_text_array, holds_text, reported_dtype
from minidl.ops.casting import cast
from minidl.runtime import backend, host_memory

_name_counts = {}
_output_hooks = []  # callables hook(layer, outputs) run after every layer call (inspection)
_weight_checks = []  # callables check(layer, name, shape, dtype) run before a weight is allocated


class _CallState:
    """Where the current (possibly nested) layer call stands: its depth, the ``training``
    value inner layers inherit, the outermost layer, which owns the pass's added losses, the
    layers whose inputs a model already checked whole (``inputs_checked_by_model``), how many
    symbolic calls are probing their layer with a zero batch, the symbolic tensor each probe
    stands for (by the probe's id: ``declared_shape``), and the ``_ProbeRecord`` of the innermost
    symbolic call under way."""

    __slots__ = ("depth", "training", "entry", "checked", "probing", "declared", "record")

    def __init__(self):
        self.depth = 0
        self.training = None
        self.entry = None
        self.checked = ()
        self.probing = 0
        self.declared = {}
        self.record = None


_state = _CallState()


class inputs_checked_by_model:
    """Within this block, the layers in ``layers`` get inputs a model has already checked in
    full with ``Layer.check_input_data`` (once per fit/evaluate/predict), so their per-batch
    value checks -- Embedding's id range, a device-to-host read -- can be skipped."""

    def __init__(self, layers):
        self.ids = {id(layer) for layer in layers}

    def __enter__(self):
        self.previous = _state.checked
        _state.checked = self.ids
        return self

    def __exit__(self, *exc):
        _state.checked = self.previous


def inputs_already_checked(layer):
    """True inside ``inputs_checked_by_model`` for one of its layers."""
    return id(layer) in _state.checked


def probing_shapes():
    """True while a layer runs on placeholder inputs (zeros, empty strings) to learn its output
    shape for a functional model: value checks that would refuse the placeholders are skipped."""
    return _state.probing > 0


def declared_shape(tensor):
    """The shape of ``tensor`` as the model declares it. While a layer is probed for a functional
    model, the probe it is given stands for a symbolic tensor whose undefined axes (None) were
    filled with a made-up size: this returns the symbolic shape, Nones included (the batch axis
    as declared). Any other tensor: its own shape. A layer whose output depends on sizes it cannot
    know (``Reshape`` of an input with undefined axes) asks it, so that no made-up size shapes the
    model or shows in a message."""
    symbol = _state.declared.get(id(tensor)) if _state.declared else None
    return tuple(symbol.shape) if symbol is not None else tuple(tensor.shape)


def require_defined(layer, input_shape, axis, axis_name, purpose):
    """Raise a ValueError naming ``layer`` unless axis ``axis`` of ``input_shape`` (as given to
    ``build``) has a known size, e.g. ``require_defined(self, input_shape, -1, "the last axis
    (features)", "to create the kernel")`` in a Dense layer:

        dense (Dense): the last axis (features) of the input must be defined to create the kernel;
        got input shape (None, None)
    """
    shape = tuple(input_shape)
    if shape[axis] is None:
        raise undefined_axes_error(layer, f"{axis_name} of the input must be defined {purpose}; "
                                          f"got input shape {shape}")


def undefined_axes_error(layer, message):
    """A ValueError ``'<layer label>: <message>'`` marked as refusing an undefined (None) size the
    layer needs, so that a symbolic call reports it as it is (see ``Layer._call_symbolic``)."""
    error = ValueError(f"{label(layer)}: {message}")
    error._minidl_undefined_axes = layer
    return error


def _undefined_axes(shape):
    """The undefined (None) axes of ``shape`` other than the batch axis, as ``(input, axis)``
    pairs (input None for a single shape); a list or dict of shapes gives those of each."""
    if isinstance(shape, dict):
        shape = list(shape.values())
    if isinstance(shape, (list, tuple)) and shape and all(isinstance(s, (list, tuple)) for s in shape):
        return [(index, axis) for index, one in enumerate(shape) for _, axis in _undefined_axes(one)]
    if not isinstance(shape, (list, tuple)):
        return []
    return [(None, axis) for axis, size in enumerate(shape) if axis and size is None]


def _axes_text(pairs):
    """``axis 2``, ``axes 1 and 2``, ``axis 1 of input 0 and axis 2 of input 1``."""
    if all(index is None for index, _ in pairs):
        axes = [str(axis) for _, axis in pairs]
        return ("axis " if len(axes) == 1 else "axes ") + _and(axes)
    return _and([f"axis {axis} of input {index}" for index, axis in pairs])


def _and(items):
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


_call_arguments_cache = {}  # layer class -> (call takes `training`, call takes `mask`)
_loss_callables_exist = False  # set by the first add_loss(callable), anywhere


def may_have_losses(layer):
    """False only when ``layer.losses`` is surely empty apart from regularisation penalties: no
    loss was added in its last forward pass and no ``add_loss(callable)`` was ever made (lets a
    training step skip walking the layers for nothing)."""
    return _loss_callables_exist or bool(layer._loss_layers)


def _call_arguments(cls):
    found = _call_arguments_cache.get(cls)
    if found is None:
        parameters = inspect.signature(cls.call).parameters
        found = ("training" in parameters, "mask" in parameters)
        _call_arguments_cache[cls] = found
    return found


class capture_outputs:
    """Within this block, ``hook(layer, outputs)`` sees every layer's outputs (for inspection).

    >>> with capture_outputs(lambda layer, out: print(layer.name, out.shape)):
    ...     model(x)
    """

    def __init__(self, hook):
        self.hook = hook

    def __enter__(self):
        _output_hooks.append(self.hook)
        return self

    def __exit__(self, *exc):
        _output_hooks.remove(self.hook)


class checking_new_weights:
    """Within this block, ``check(layer, name, shape, dtype)`` runs before every new weight is
    allocated and may raise to refuse it. Model loaders use it so that a file's configuration
    cannot make minidl allocate more weights than the file holds.
    """

    def __init__(self, check):
        self.check = check

    def __enter__(self):
        _weight_checks.append(self.check)
        return self

    def __exit__(self, *exc):
        _weight_checks.remove(self.check)


def unique_name(base, zero_based=True):
    """Keras-style default names: the first 'dense', then 'dense_1', 'dense_2', ...

    With ``zero_based=False`` the first is already numbered ('input_1'), as Keras names inputs.
    """
    count = _name_counts.get(base, 0)
    _name_counts[base] = count + 1
    if zero_based:
        return base if count == 0 else f"{base}_{count}"
    return f"{base}_{count + 1}"


def clear_session():
    """Reset the default-name counters (Keras's ``backend.clear_session``)."""
    _name_counts.clear()


def snake_case(class_name):
    """Keras's rule: 'Conv2D' -> 'conv2d', 'SpatialDropout1D' -> 'spatial_dropout1d'."""
    name = re.sub(r"(.)([A-Z][a-z0-9]+)", r"\1_\2", class_name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


class Parameter(Tensor):
    """A weight: a leaf tensor that requires grad and knows its name and regularizer."""

    __slots__ = ("trainable", "declared_trainable", "regularizer", "owner")

    def __init__(self, data, name, trainable=True, regularizer=None, owner=None):
        super().__init__(data, requires_grad=trainable, name=name)
        self.declared_trainable = trainable  # as created; a frozen layer keeps this to thaw
        self.trainable = trainable
        self.regularizer = regularizer
        self.owner = owner

    def assign(self, value):
        """Overwrite the weight's values in place (shape and dtype kept)."""
        value = as_array(value, dtype=self.data.dtype)
        if tuple(value.shape) != self.shape:
            raise ValueError(f"{self.name}: cannot assign a value of shape {tuple(value.shape)} to a weight of shape {self.shape}")
        self.data[...] = value
        return self

    def assign_add(self, delta):
        """Add ``delta`` to the weight in place (Keras's ``variable.assign_add``, used for
        running totals in ``call``); returns the weight."""
        return self.assign(self.data + as_array(delta, dtype=self.data.dtype))

    def assign_sub(self, delta):
        """Subtract ``delta`` from the weight in place; returns the weight."""
        return self.assign(self.data - as_array(delta, dtype=self.data.dtype))


class SymbolicMask:
    """What ``SymbolicTensor._keras_mask`` shows: the padding mask a functional model's tensor
    will carry, (batch, time) booleans."""

    dtype = "bool"

    def __init__(self, tensor):
        self.tensor = tensor
        self.shape = tuple(tensor.shape[:2])

    def __repr__(self):
        return f"<SymbolicMask shape={self.shape} dtype=bool of {self.tensor!r}>"


def _symbolic_ops():
    from minidl.layers import symbolic_ops  # it imports this module

    return symbolic_ops


def _binary(operator, swapped=False):
    """The method ``symbol <operator> other`` of SymbolicTensor (``other <operator> symbol`` when
    ``swapped``): it records the operator's layer (``symbolic_ops.record``)."""
    def method(self, other):
        return _symbolic_ops().record(operator, self, other, swapped)

    return method


def _unary(operator):
    """The method ``-symbol``, ``abs(symbol)`` or ``~symbol`` of SymbolicTensor, recorded as a layer."""
    def method(self):
        return _symbolic_ops().record_unary(operator, self)

    return method


class SymbolicTensor:
    """A placeholder in a functional model: a shape (batch axis None) and where it came from."""

    def __init__(self, shape, dtype, layer=None, inputs=(), call_kwargs=None, output_index=0):
        self.shape = tuple(shape)
        self.dtype = reported_dtype(as_dtype(dtype))
        self.layer = layer  # the layer that produced it (an InputLayer for model inputs)
        self.inputs = inputs  # the SymbolicTensors that layer was called on
        self.call_kwargs = call_kwargs or {}
        self.output_index = output_index

    has_mask = False  # whether the layer's output carries a padding mask when the model runs

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def _keras_mask(self):
        """Keras's padding mask of this tensor: a description of the (batch, time) boolean mask
        the model will compute, or None. It is for inspection; layers receive the mask itself."""
        return SymbolicMask(self) if self.has_mask else None

    def __repr__(self):
        producer = self.layer.name if self.layer is not None else "?"
        return f"<SymbolicTensor shape={self.shape} dtype={self.dtype} from {producer}>"

    # Operators record a layer in the graph (``res = x + inputs``, ``x[:, 0]``, ``x > 0``, ``x @ w``;
    # see symbolic_ops). ``==`` stays Python's identity test, as in Keras 3 (``keras.ops.equal`` compares).
    __array_ufunc__ = None  # NumPy defers to the reflected operators: ``w @ x``, ``array + x``
    __add__, __radd__ = _binary("add"), _binary("add", swapped=True)
    __sub__, __rsub__ = _binary("subtract"), _binary("subtract", swapped=True)
    __mul__, __rmul__ = _binary("multiply"), _binary("multiply", swapped=True)
    __truediv__, __rtruediv__ = _binary("divide"), _binary("divide", swapped=True)
    __floordiv__, __rfloordiv__ = _binary("floor_divide"), _binary("floor_divide", swapped=True)
    __mod__, __rmod__ = _binary("mod"), _binary("mod", swapped=True)
    __pow__, __rpow__ = _binary("power"), _binary("power", swapped=True)
    __matmul__, __rmatmul__ = _binary("matmul"), _binary("matmul", swapped=True)
    __and__, __rand__ = _binary("logical_and"), _binary("logical_and", swapped=True)
    __or__, __ror__ = _binary("logical_or"), _binary("logical_or", swapped=True)
    __xor__, __rxor__ = _binary("logical_xor"), _binary("logical_xor", swapped=True)
    __gt__, __ge__ = _binary("greater"), _binary("greater_equal")
    __lt__, __le__ = _binary("less"), _binary("less_equal")
    __ne__ = _binary("not_equal")
    __neg__, __abs__, __invert__ = _unary("negative"), _unary("absolute"), _unary("logical_not")

    def __getitem__(self, key):
        return _symbolic_ops().record_index(self, key)

    def __iter__(self):  # else Python would iterate by indexing, recording layers without end
        raise TypeError(f"{self!r} cannot be iterated over: it has no values yet; index it (x[:, 0]) instead")


def _is_symbolic(inputs):
    if isinstance(inputs, SymbolicTensor):
        return True
    return isinstance(inputs, (list, tuple)) and any(isinstance(x, SymbolicTensor) for x in inputs)


def symbols_in(value):
    """The SymbolicTensors inside a keyword argument (``initial_state=[h, c]``), in order."""
    if isinstance(value, SymbolicTensor):
        return [value]
    if isinstance(value, (list, tuple)):
        return [symbol for item in value for symbol in symbols_in(item)]
    if isinstance(value, dict):
        return [symbol for item in value.values() for symbol in symbols_in(item)]
    return []


def replace_symbols(value, replacement):
    """``value`` with every SymbolicTensor ``s`` in it replaced by ``replacement(s)``."""
    if isinstance(value, SymbolicTensor):
        return replacement(value)
    if isinstance(value, (list, tuple)):
        return type(value)(replace_symbols(item, replacement) for item in value)
    if isinstance(value, dict):
        return {key: replace_symbols(item, replacement) for key, item in value.items()}
    return value


# Attributes through which the base class refers to other layers without owning them.
_BOOKKEEPING = frozenset({"_sublayers", "_loss_layers", "_loss_entry", "_symbolic_input", "_symbolic_output"})


_building = []  # (layer, input shape) of the builds under way, innermost last (for add_weight's messages)


def _marking_built(build):
    """``build`` that marks the layer built once it returns (see ``Layer.__init_subclass__``).

    While it runs, the input shape it was given is known to ``add_weight``, so a weight whose size
    would come from an undefined (None) axis is refused naming that shape; a build that fails on
    such an axis in arithmetic (``None * 3``, a TypeError) is refused in the same words.
    """
    @functools.wraps(build)
    def build_and_mark(self, *args, **kwargs):
        if _state.record is not None:
            _state.record.remember(self)
        shape = args[0] if args else kwargs.get("input_shape")
        _building.append((self, shape))
        try:
            result = build(self, *args, **kwargs)
        except TypeError as error:
            undefined = _undefined_axes(shape)
            if not undefined or "NoneType" not in str(error):
                raise
            raise undefined_axes_error(
                self, f"cannot be built for inputs of shape {_shown_shape(shape)}: building it needs the size of "
                      f"{_axes_text(undefined)}, which is undefined (None) and must be known") from error
        finally:
            _building.pop()
        self.built = True
        _set_initial_weights(self)
        return result

    build_and_mark._marks_built = True
    return build_and_mark


def _drop_absent_constraints(class_name, arguments):
    """Keras's weight constraints (``kernel_constraint=``, ...) given as None -- as configs and
    generated code write them -- mean nothing and are dropped from ``arguments``; a real one is
    refused by name (minidl projects no weights after an update)."""
    for name in [name for name in arguments if name.endswith("_constraint")]:
        if arguments[name] is not None:
            raise NotImplementedError(f"{class_name}: {name}={arguments[name]!r}: weight constraints are not supported "
                                      "by minidl; clip the weights in a callback (on_train_batch_end) instead")
        del arguments[name]


def _weight_list(layer, weights):
    """``weights=`` as a list of arrays: one array alone is a list of one (Keras 3's Embedding)."""
    if hasattr(weights, "shape") and not isinstance(weights, (list, tuple)):
        return [weights]
    if not isinstance(weights, (list, tuple)):
        raise TypeError(f"{layer.name} ({type(layer).__name__}): weights must be a list of arrays (as get_weights() "
                        f"returns), got {type(weights).__name__}")
    return list(weights)


def _set_initial_weights(layer):
    """Set the ``weights=`` a layer was constructed with, once its weights exist (then forget them)."""
    weights = layer.__dict__.get("_initial_weights")
    if weights is not None:
        layer._initial_weights = None
        layer.set_weights(weights)


def _shown_shape(shape):
    """A shape as messages show it: a tuple, or a list of tuples for several inputs."""
    if isinstance(shape, dict):
        return {key: _shown_shape(value) for key, value in shape.items()}
    if isinstance(shape, (list, tuple)) and shape and all(isinstance(s, (list, tuple)) for s in shape):
        return [tuple(s) for s in shape]
    return tuple(shape) if isinstance(shape, (list, tuple)) else shape


def _json_shape(shape):
    if isinstance(shape, dict):
        return {key: _json_shape(value) for key, value in shape.items()}
    if isinstance(shape, list):
        return [_json_shape(item) for item in shape]
    return list(shape)


def _tuple_shape(shape):
    """A shape from JSON: a list of sizes -> tuple; a list of shapes -> list of tuples."""
    if isinstance(shape, dict):
        return {key: _tuple_shape(value) for key, value in shape.items()}
    if isinstance(shape, (list, tuple)) and shape and all(isinstance(item, (list, tuple)) for item in shape):
        return [tuple(item) for item in shape]
    return tuple(shape)


def _cast_floats(inputs, target):
    """Floating-point tensors among ``inputs`` in the float dtype ``target`` (others as they are)."""
    if isinstance(inputs, list):
        return [_cast_floats(x, target) for x in inputs]
    if isinstance(inputs, Tensor) and np.issubdtype(inputs.dtype, np.floating) and inputs.dtype != target:
        return cast(inputs, target)
    return inputs


class Layer:
    """Base class of all layers (see the module docstring)."""

    # The dtype a layer expects as input when it is probed symbolically (Embedding: integers).
    input_dtype = None
    _casts_float_inputs = False  # set per class by __init_subclass__
    # What the layer accepts (see ``minidl.layers.input_spec``); layers narrow it in ``build``.
    input_spec = None
    # Keras's opt-in: a custom layer that sets it passes its input's padding mask on to its
    # outputs (``compute_mask`` below). minidl's own layers set ``Tensor.mask`` in ``call``.
    supports_masking = False

    def __init_subclass__(cls, **kwargs):
        """A layer whose ``build`` is called by hand (``layer.build((None, 3))`` before
        ``set_weights``, or ``layer.build((8,), init)`` as keras.io's saving guide does for a
        ``build`` taking extra arguments) is built after it, as in Keras: ``__call__`` then does
        not build it again (which would replace the weights just set)."""
        super().__init_subclass__(**kwargs)
        # Keras casts a layer's floating-point inputs to the layer's dtype (a float64 NumPy batch
        # into float32 weights); minidl's own layers convert in their ops, a user's ``call`` here.
        cls._casts_float_inputs = not cls.__module__.startswith("minidl.")
        build = cls.__dict__.get("build")
        if build is not None and not getattr(build, "_marks_built", False):
            cls.build = _marking_built(build)
        init = cls.__dict__.get("__init__")
        if cls._casts_float_inputs and init is not None and not getattr(init, "_records_arguments", False):
            cls.__init__ = auto_config.recording_arguments(init)  # a user's class: its config without get_config

    def __init__(self, trainable=True, name=None, dtype=None, input_shape=None,
                 batch_input_shape=None, input_dim=None, input_length=None, weights=None,
                 activity_regularizer=None, **unknown):
        _drop_absent_constraints(type(self).__name__, unknown)
        if unknown:
            raise TypeError(
                f"{type(self).__name__}: unexpected argument(s) {sorted(unknown)}"
            )
        if name is not None and (not isinstance(name, str) or "/" in name):
            # Keras 3's rule: weights are stored under the layer's name, so it is a path component
            raise ValueError(
                f"{type(self).__name__}: name must be a string without '/', got {name!r} ({type(name).__name__})"
            )
        self.name = name or unique_name(snake_case(type(self).__name__))
        self.dtype = as_dtype(dtype or backend.floatx())  # 'string' (an Input of text) is NumPy's object
        self._trainable = bool(trainable)
        self._params = []
        self._sublayers = []
        self.built = False
        self.batch_input_shape = _declared_input_shape(
            input_shape, batch_input_shape, input_dim, input_length, owner=f"{self.name} ({type(self).__name__})"
        )
        self.input_shape_seen = None  # the batch shape of the first call (None for the batch)
        self.output_shape_seen = None
        self._added_losses = []  # add_loss values of the current forward pass
        self._added_metrics = []  # (name, value) pairs from add_metric, same lifetime
        self._loss_callables = []  # add_loss(callable): evaluated afresh whenever losses are read
        self._loss_layers = []  # layers that added values during this layer's outermost call
        self._loss_entry = None  # the outermost layer of the pass this layer's values come from
        # Keras 2's ``weights=[...]`` (``Embedding(..., weights=[matrix])``, the pretrained-vectors
        # labs): set once the layer is built; one array alone is a list of one, as in Keras 3
        self._initial_weights = None if weights is None else _weight_list(self, weights)
        # Keras's penalty on the layer's outputs, added to the loss at every call (``_add_activity_penalty``)
        self.activity_regularizer = layer_arguments.regularizer(self, "activity_regularizer", activity_regularizer)
        self._tracks_sublayers = True  # from here on, layers assigned to attributes are sub-layers

    def __setattr__(self, name, value):
        """A layer assigned to an attribute (``self.attention = MultiHeadAttention(...)``), or a
        list of layers, becomes a sub-layer: its weights are this layer's too, as in Keras."""
        if name not in _BOOKKEEPING and self.__dict__.get("_tracks_sublayers"):
            for item in value if isinstance(value, (list, tuple)) else (value,):
                if isinstance(item, Layer) and item is not self:
                    self.track(item)
        object.__setattr__(self, name, value)

    # -- to be overridden --------------------------------------------------------------------
    def build(self, input_shape):
        """Create the weights for inputs of ``input_shape`` (batch axis included)."""

    def call(self, inputs, training=False):
        raise NotImplementedError(f"{type(self).__name__} must define call()")

    def compute_mask(self, inputs, mask=None):
        """The padding mask of the outputs, given the inputs and their mask (Keras's hook): the
        input mask when ``supports_masking``, else None. A layer that overrides it, or sets
        ``supports_masking``, has the result attached to outputs that carry no mask yet."""
        return mask if self.supports_masking else None

    def check_input_data(self, array, what):
        """Check a whole input array once, before a model that feeds it to this layer runs on it
        (``fit``/``evaluate``/``predict``); ``what`` names the argument. Nothing by default."""

    def get_config(self):
        """Constructor arguments, for ``to_json`` / ``model_from_json``. A user's layer that does
        not write its own gets the arguments it was constructed with (``auto_config``), as in Keras 3."""
        config = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype.name}
        if self.batch_input_shape is not None:
            config["batch_input_shape"] = list(self.batch_input_shape)
        if self.activity_regularizer is not None:
            config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        if "_constructor_arguments" in self.__dict__ and type(self).get_config is Layer.get_config:
            config = {**auto_config.auto_config(self), **config}  # a class that writes get_config is left to it
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    # -- calling -----------------------------------------------------------------------------
    def __call__(self, inputs, *more_inputs, training=None, **kwargs):
        """Run the layer on ``inputs``: check and convert them, build the weights on the first
        call, run ``call`` in the call state, then attach output masks and record shapes.
        Symbolic inputs (Keras's functional API) record a node of the graph instead."""
        if _state.record is not None:  # probing for a symbolic call: undone if that call fails
            _state.record.remember(self)
        inputs, training = self._gather_inputs(inputs, more_inputs, training)
        # An exception raised while the layer builds or runs gets the layer's name and input shapes
        # in front of its message, once (``minidl.layers.call_context``); no cost until one is raised.
        try:
            if _is_symbolic(inputs):
                if self.input_spec is not None:
                    check_inputs(self, self.input_spec, inputs)
                if training is not None:
                    kwargs["training"] = training  # recorded, so the graph replays it
                return self._call_symbolic(inputs, kwargs)
            inputs = self._checked_tensors(inputs)
            keys = self._dict_keys_for(inputs)
            self._build_once(inputs, keys)
            outputs = self._call_in_state(inputs, keys, training, kwargs)
            if self.activity_regularizer is not None:
                self._add_activity_penalty(outputs)
            for hook in _output_hooks:
                hook(self, outputs)
            if self.supports_masking or type(self).compute_mask is not Layer.compute_mask:
                _attach_output_masks(self, inputs, outputs)
            if self.output_shape_seen is None:
                flat = list(outputs.values()) if isinstance(outputs, dict) else outputs  # a model's dict of outputs
                self.output_shape_seen = _with_none_batch(
                    [o.shape for o in flat] if isinstance(flat, (list, tuple)) else flat.shape
                )
            return outputs
        except Exception as error:
            # a probe is shown as the symbolic tensor it stands for: no made-up size in the message
            add_call_context(error, self, _as_declared(inputs), probing=_state.probing > 0)
            raise

    def _gather_inputs(self, inputs, more_inputs, training):
        """``(inputs, training)`` from the ways Keras code passes them.

        Keras 3 passes several positional tensors on to ``call`` one by one
        (``endpoint(logits, targets)`` -> ``call(self, logits, targets)``): they travel as one
        list, and the layer remembers to spread it. A lone bool after the inputs is TF 2's
        positional ``training``. A dict of inputs (``layer({"age": a, "sex": b})``) travels as the
        list of its values; the keys are kept on the layer and ``call``/``build`` get a dict back."""
        if more_inputs:
            flag = more_inputs[0]
            if len(more_inputs) == 1 and training is None and (flag is None or isinstance(flag, (bool, np.bool_))):
                training = flag
            else:
                inputs = [inputs, *more_inputs]
                self._spread_inputs = True
        if isinstance(inputs, dict):
            self._input_dict_keys = tuple(inputs)
            inputs = list(inputs.values())
        return inputs, training

    def _checked_tensors(self, inputs):
        """Concrete inputs as Tensors (floats cast to the layer's dtype where it casts them),
        checked against ``input_spec``."""
        float_dtype = _float_dtype(self)
        inputs = _as_tensors(inputs, float_dtype)
        if self._casts_float_inputs and float_dtype is not None:
            inputs = _cast_floats(inputs, float_dtype)
        spec = self.input_spec
        if spec is not None:
            if isinstance(inputs, Tensor) and isinstance(spec, InputSpec):
                spec.check(self, inputs.shape, inputs.dtype)
            else:
                check_inputs(self, spec, inputs)
        return inputs

    def _build_once(self, inputs, keys):
        """``build`` on the first call, with the inputs' shapes (a dict of them for dict inputs);
        the batch shape seen is kept either way (for a layer built by hand, on its first call)."""
        if self.built and self.input_shape_seen is not None:
            return
        # A probe's undefined axes are given to build as None (see ``_call_symbolic``), as in Keras.
        shapes = [declared_shape(x) for x in inputs] if isinstance(inputs, list) else declared_shape(inputs)
        if not self.built:
            self.build(dict(zip(keys, shapes)) if keys else shapes)
            self.built = True
            _set_initial_weights(self)  # a layer without a build of its own has no wrapper to do it
        self.input_shape_seen = _with_none_batch(shapes)

    def _call_in_state(self, inputs, keys, training, kwargs):
        """``call`` with the arguments its signature takes (``training`` inherited from the
        enclosing layer when not given, ``mask`` from the inputs), inside the call state
        (module docstring)."""
        state = _state
        outer_training, outer_entry = state.training, state.entry
        if training is None:
            training = outer_training
        takes_training, takes_mask = _call_arguments_cache.get(type(self)) or _call_arguments(type(self))
        if takes_training and training is not None:
            kwargs["training"] = bool(training)
        if takes_mask and "mask" not in kwargs:
            kwargs["mask"] = _mask_of(inputs)
        if state.depth == 0:
            state.entry = self
            if self._loss_layers:
                self._clear_added_values()
        state.depth += 1
        state.training = training
        try:
            if keys:
                return self.call(dict(zip(keys, inputs)), **kwargs)
            if self.__dict__.get("_spread_inputs") and isinstance(inputs, (list, tuple)):
                return self.call(*inputs, **kwargs)
            return self.call(inputs, **kwargs)
        finally:
            state.depth -= 1
            state.training, state.entry = outer_training, outer_entry

    _input_dict_keys = None  # the keys of the dict this layer was called on, if it was

    def _dict_keys_for(self, inputs):
        """The keys to rebuild a dict of inputs with: set when the layer was called on a dict and
        ``inputs`` is the list of its values (its own call, a probe or a model replaying it)."""
        keys = self._input_dict_keys
        if keys is not None and isinstance(inputs, list) and len(inputs) == len(keys):
            return keys
        return None

    def _call_symbolic(self, inputs, kwargs):
        """Run the layer on a zero batch of one sample to build it and learn its output shape.

        Axes declared as None (a variable sequence length or image size) are probed with two
        different sizes; output axes that change with them are None in the result. The sizes are
        made up, so they must not shape the weights nor show in a message:

        * ``build`` gets the declared shape, Nones included (``declared_shape``), as in Keras; a
          weight whose size would come from an undefined axis is refused there, naming the layer
          and that shape (``add_weight``, ``require_defined``);
        * a weight created inside the call from a probe's size (a wrapped layer, a layer that
          builds in ``call``) shows when the second size fails: refused in the same words;
        * a layer that fails at the first sizes (a window larger than them) is tried again at
          larger ones; one that fails at every size gets its message with the numbers that
          changed with the sizes shown as ``?`` (``_size_free_error``).

        If the call fails, every layer it touched is left as it was before (``_ProbeRecord``).
        """
        symbols = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        several = isinstance(inputs, (list, tuple))
        call_kwargs = {key: value for key, value in kwargs.items() if key != "training"}
        undefined = _undefined_axes([s.shape for s in symbols]) if several else _undefined_axes(symbols[0].shape)
        undefined_in_kwargs = any(size is None for s in symbols_in(call_kwargs) for size in s.shape[1:])
        record = _ProbeRecord()

        def output_shapes(unknown_size):
            declared = _state.declared
            probes = []

            def probe(symbol, dtype, pinned=None):
                value = _zero_probe(symbol, dtype, unknown_size, pinned)
                declared[id(value)] = symbol
                probes.append(value)
                return value

            values = [probe(s, self.input_dtype, axes) for s, axes in zip(symbols, _pinned_sizes(self.input_spec, symbols))]
            # Symbolic keyword arguments (an RNN's initial_state=[h, c]) are probed with zeros too.
            probe_kwargs = replace_symbols(call_kwargs, lambda symbol: probe(symbol, None))
            record.created.clear()
            _state.probing += 1  # an error inside names the batch size None, as the user wrote it
            try:  # zeros may divide by zero where real data would not: no warnings from probes
                with no_grad(), np.errstate(all="ignore"):
                    outputs = self(values if several else values[0], training=False, **probe_kwargs)
            finally:
                _state.probing -= 1
                for value in probes:
                    declared.pop(id(value), None)
            returned_list = isinstance(outputs, (list, tuple))
            outputs = list(outputs) if returned_list else [outputs]
            masked[:] = [getattr(o, "mask", None) is not None for o in outputs]
            return [(o.shape, o.dtype) for o in outputs], returned_list

        def probed(size):
            pinned = _pinned_sizes(self.input_spec, symbols)
            shapes, returned_list = output_shapes(size)
            if undefined or undefined_in_kwargs:
                created = list(record.created)
                if _pinned_sizes(self.input_spec, symbols) != pinned:  # built to take one size there only
                    shapes, returned_list = output_shapes(size)
                try:
                    other, _ = output_shapes(2 * size)
                except Exception as error:
                    if not created or _refuses_undefined(error):
                        raise
                    # Weights sized by the first probe that do not fit the second depend on the undefined
                    # size -- if the layer, built afresh, runs at the second size and makes them of other shapes.
                    record.restore()
                    try:
                        output_shapes(2 * size)
                    except Exception:
                        fresh = created
                    else:
                        fresh = list(record.created)
                    changed = [owner for owner, made in _weights_by_layer(created).items()
                               if made != _weights_by_layer(fresh).get(owner)]
                    if not changed:
                        raise
                    whose = "its weights" if changed == [label(self)] else f"the weights of {_and(changed)}"
                    raise undefined_axes_error(self, (
                        f"{whose} depend on the size of {_undefined_text(undefined)}: it must be known to "
                        f"create them; got {_shapes_text(symbols)}")) from None
                shapes = [
                    (tuple(a if a == b else None for a, b in zip(first, second)), dtype)
                    for (first, dtype), (second, _) in zip(shapes, other)
                ]
            return shapes, returned_list

        masked = []  # whether each output carries a padding mask (Keras's ``_keras_mask``)
        outer_record, _state.record = _state.record, record
        try:
            failure = None
            try:
                shapes, returned_list = probed(_PROBE_SIZE)
            except Exception as error:
                record.restore()
                failure = error
            if failure is not None:
                if not (undefined or undefined_in_kwargs) or _refuses_undefined(failure):
                    _add_producers(failure, self, symbols)
                    raise failure
                # fails at the small sizes: try larger ones (a wide window, a model of many poolings)
                try:
                    shapes, returned_list = probed(_LARGE_PROBE_SIZE)
                except Exception as error:
                    record.restore()
                    if _refuses_undefined(error):
                        _add_producers(error, self, symbols)
                        raise
                    raise _size_free_error(self, symbols, error, failure, undefined) from None
        finally:
            _state.record = outer_record
        self._clear_added_values()  # losses/metrics of the zero probes are not real ones
        # A batch size declared on the inputs (``Input(batch_shape=...)``) carries through, as in Keras.
        batches = {s.shape[0] for s in symbols}
        batch = batches.pop() if len(batches) == 1 else None
        results = [
            SymbolicTensor((batch,) + tuple(shape[1:]), dtype, self, symbols, kwargs, index)
            for index, (shape, dtype) in enumerate(shapes)
        ]
        for result, has_mask in zip(results, masked):
            result.has_mask = has_mask
        self.input_shape_seen = [s.shape for s in symbols] if several else symbols[0].shape
        self.output_shape_seen = [r.shape for r in results] if len(results) > 1 else results[0].shape
        self._symbolic_input = list(symbols) if several else symbols[0]
        self._symbolic_output = results if returned_list else results[0]
        return self._symbolic_output

    # -- losses and metrics added during a call ------------------------------------------------
    def add_loss(self, loss):
        """Add ``loss`` (a scalar tensor computed in ``call``) to the training loss, as Keras's
        ``add_loss``; a zero-argument callable is evaluated afresh at every step instead."""
        if callable(loss) and not isinstance(loss, Tensor):
            global _loss_callables_exist
            _loss_callables_exist = True
            self._loss_callables.append(loss)
            return
        if symbols_in(loss):
            from minidl.errors import UnsupportedError

            raise UnsupportedError(
                f"{self.name}.add_loss: a loss computed from symbolic tensors (TensorFlow 2's "
                "model.add_loss(kl_loss) on a functional model) is not supported, as in Keras 3; compute it inside "
                "a layer's call() with self.add_loss(...), or override train_step")
        self._record_added(self._added_losses, loss if isinstance(loss, Tensor) else Tensor(loss))

    def _add_activity_penalty(self, outputs):
        """Keras's ``activity_regularizer``: the penalty of every output, divided by the batch
        size (the sparse autoencoder's ``activity_regularizer=regularizers.l1(1e-5)``)."""
        for output in outputs.values() if isinstance(outputs, dict) else (
                outputs if isinstance(outputs, (list, tuple)) else [outputs]):
            if isinstance(output, Tensor):
                penalty = self.activity_regularizer(output)
                self.add_loss(penalty / max(output.shape[0], 1) if output.ndim else penalty)

    def add_metric(self, value, name=None, aggregation="mean"):
        """Report the mean of ``value`` over each epoch under ``name`` (tf.keras 2's add_metric)."""
        if aggregation not in ("mean", None):
            raise ValueError(f"{self.name}.add_metric: aggregation must be 'mean', got {aggregation!r}")
        if not name:
            raise ValueError(f"{self.name}.add_metric: a metric needs a name, e.g. add_metric(x, name='mean_x')")
        self._record_added(self._added_metrics, (str(name), value))

    def _record_added(self, target, item):
        entry = _state.entry
        if self._loss_entry is not entry:  # the values of an older pass are out of date
            self._added_losses.clear()
            self._added_metrics.clear()
            self._loss_entry = entry
        target.append(item)
        if entry is not None and all(layer is not self for layer in entry._loss_layers):
            entry._loss_layers.append(self)

    def _clear_added_values(self):
        for layer in self._loss_layers:
            layer._added_losses.clear()
            layer._added_metrics.clear()
        self._loss_layers.clear()

    def _walk(self):
        """This layer and every layer inside it, each once, parents before children."""
        found = []
        depth_first([self], lambda layer: layer._sublayers, key=id, on_enter=found.append)
        return found

    @property
    def losses(self):
        """The regularisation penalties and the losses added in the last forward pass, as Keras."""
        found = []
        for layer in self._walk():
            found += [w.regularizer(w) for w in layer._params if w.regularizer is not None]
            found += layer._added_losses
            found += [_as_loss_tensor(fn()) for fn in layer._loss_callables]
        return found

    # -- weights -----------------------------------------------------------------------------
    def add_weight(self, name=None, shape=None, initializer="glorot_uniform", regularizer=None,
                   trainable=True, dtype=None, constraint=None, **unused):
        """Create a weight, drawn on the host by ``initializer`` and moved to the device.

        Called as tf.keras 2 does (``add_weight("kernel", (3, 4))``) or as Keras 3 does
        (``add_weight(shape=(3, 4), initializer="zeros")``, or the shape first); the name then
        defaults to ``variable``, ``variable_1``, ... TensorFlow's ``aggregation``,
        ``synchronization`` and ``use_resource`` are accepted and mean nothing here.
        """
        if name is not None and not isinstance(name, str):  # Keras 3's order: add_weight(shape, initializer)
            if shape is not None:
                initializer = shape
            name, shape = None, name
        unknown = sorted(set(unused) - {"aggregation", "synchronization", "use_resource", "autocast"})
        if unknown:
            raise TypeError(f"{self.name}.add_weight: unexpected argument(s) {unknown}")
        if constraint is not None:
            raise NotImplementedError(f"{self.name}.add_weight: weight constraints are not supported by minidl")
        if shape is None:
            raise TypeError(f"{self.name}.add_weight: shape is required, e.g. add_weight(shape=(3, 4))")
        if name is None:
            count = sum(1 for w in self._params if w.name.split("/")[-1].startswith("variable"))
            name = "variable" if count == 0 else f"variable_{count}"
        dtype = np.dtype(dtype or self.dtype)
        shape = (shape,) if isinstance(shape, (int, np.integer)) else shape
        if any(size is None for size in shape):  # a size taken from an undefined axis of the input
            raise _undefined_weight_error(self, name, tuple(shape))
        shape = tuple(int(s) for s in shape)
        initializer = "glorot_uniform" if initializer is None else initializer
        for check in _weight_checks:  # a file's own, more telling checks (minidl.models.loading) first
            check(self, name, shape, dtype)
        _check_weight_fits(self, name, shape, dtype)
        values = initializers.get(initializer)(shape, dtype)
        weight = Parameter(
            backend.to_device(values), f"{self.name}/{name}",
            trainable=trainable, regularizer=regularizers.get(regularizer), owner=self,
        )
        if not self._trainable:
            weight.trainable = weight.requires_grad = False
        self._params.append(weight)
        if _state.record is not None:  # made while a probe runs (see ``_call_symbolic``)
            _state.record.created.append((label(self), name, shape))
        return weight

    def track(self, layer):
        """Register a sub-layer whose weights belong to this layer (wrappers, nested models)."""
        if all(layer is not known for known in self._sublayers):
            self._sublayers.append(layer)
        return layer

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        self._trainable = bool(value)
        for layer in self._sublayers:
            layer.trainable = value
        for weight in self._params:
            weight.trainable = self._trainable and weight.declared_trainable
            weight.requires_grad = weight.trainable

    @property
    def weights(self):
        """All weights, trainable first, as Keras orders them."""
        return self.trainable_weights + self.non_trainable_weights

    @property
    def trainable_weights(self):
        own = [w for w in self._params if w.trainable]
        return own + [w for layer in self._sublayers for w in layer.trainable_weights]

    @property
    def non_trainable_weights(self):
        own = [w for w in self._params if not w.trainable]
        return own + [w for layer in self._sublayers for w in layer.non_trainable_weights]

    def parameters(self):
        """The trainable weights, for the low-level API: ``opt = Adam(layer.parameters())``."""
        return self.trainable_weights

    # TensorFlow's names for the same lists (``model.trainable_variables`` in tf.GradientTape code)
    @property
    def trainable_variables(self):
        return self.trainable_weights

    @property
    def non_trainable_variables(self):
        return self.non_trainable_weights

    @property
    def variables(self):
        return self.weights

    # -- the symbolic tensors of the last call on Input(...) tensors (Keras's layer.output) --------
    @property
    def output(self):
        """The symbolic output of this layer's last call in a functional graph (Keras's ``layer.output``)."""
        output = getattr(self, "_symbolic_output", None)
        if output is None:
            raise AttributeError(
                f"{self.name}.output: the layer has not been called on a symbolic input (keras.Input(...)) yet, "
                "so it has no output tensor"
            )
        return output

    @output.setter
    def output(self, value):
        self._symbolic_output = value

    @property
    def input(self):
        """The symbolic input of this layer's last call in a functional graph."""
        symbolic_input = getattr(self, "_symbolic_input", None)
        if symbolic_input is None:
            raise AttributeError(f"{self.name}.input: the layer has not been called on a symbolic input yet")
        return symbolic_input

    @property
    def output_shape(self):
        """The output shape of the last call, batch axis None (Keras 2's ``layer.output_shape``)."""
        if self.output_shape_seen is None:
            raise AttributeError(f"{self.name}.output_shape: the layer has not been called yet")
        return self.output_shape_seen

    @property
    def input_shape(self):
        if self.input_shape_seen is None:
            raise AttributeError(f"{self.name}.input_shape: the layer has not been called yet")
        return self.input_shape_seen

    def get_build_config(self):
        """Keras 3's ``{"input_shape": ...}`` this layer was built for (None if unknown); saved with
        a user's layer, and given back to ``build_from_config`` when the model is loaded."""
        if not self.built or self.input_shape_seen is None:
            return None
        return {"input_shape": _json_shape(self.input_shape_seen)}

    def build_from_config(self, config):
        """Keras 3's hook run on loading: build for the saved ``config["input_shape"]``."""
        shape = (config or {}).get("input_shape")
        if shape is not None and not self.built:
            self.build(_tuple_shape(shape))
            self.built = True

    def _own_variables(self):
        """This layer's own weights in Keras 3's saving order: those declared trainable first."""
        params = list(self._params)
        return [w for w in params if w.declared_trainable] + [w for w in params if not w.declared_trainable]

    def save_own_variables(self, store):
        """Keras 3's saving hook: put this layer's own weights into ``store`` (a dict) under
        ``"0"``, ``"1"``, ... A layer may override it to save more (``store["extra"] = array``);
        ``model.save`` / ``save_weights`` then write exactly what the store holds."""
        for index, weight in enumerate(self._own_variables()):
            store[str(index)] = weight.numpy()

    def load_own_variables(self, store):
        """Keras 3's loading hook: assign this layer's own weights from ``store`` (what
        ``save_own_variables`` wrote; values are NumPy arrays)."""
        weights = self._own_variables()
        if len(store) != len(weights):
            raise ValueError(f"{self.name}.load_own_variables: expected {len(weights)} variables "
                             f"({[w.name for w in weights]}), got {len(store)} ({sorted(store)})")
        for index, weight in enumerate(weights):
            weight.assign(store[str(index)])

    def get_weights(self):
        """The weights as NumPy arrays, in Keras's order and shapes."""
        return [w.numpy().copy() for w in self.weights]

    def set_weights(self, values):
        """Load NumPy arrays (Keras's order and shapes) into the weights."""
        weights = self.weights
        if len(values) != len(weights):
            raise ValueError(
                f"{self.name}.set_weights: expected {len(weights)} arrays "
                f"({[w.name for w in weights]}), got {len(values)}"
            )
        for weight, value in zip(weights, values):
            value = np.asarray(value)
            if tuple(value.shape) != weight.shape:
                raise ValueError(
                    f"{self.name}.set_weights: {weight.name} has shape {weight.shape}, "
                    f"got an array of shape {tuple(value.shape)}"
                )
        for weight, value in zip(weights, values):
            weight.assign(backend.to_device(np.asarray(value, dtype=weight.dtype)))

    def count_params(self):
        return sum(w.size for w in self.weights)

    def regularization_losses(self):
        """The penalties of this layer's regularized weights, as scalar tensors."""
        return [w.regularizer(w) for layer in self._walk() for w in layer._params if w.regularizer is not None]

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r}>"


def _declared_input_shape(input_shape, batch_input_shape, input_dim, input_length, owner="layer"):
    """Keras's ways to declare a first layer's input: input_shape, batch_input_shape, input_dim.

    Every size must be a positive integer or None (unknown); anything else is refused here,
    where it was given, rather than failing later inside an operation.
    """
    if batch_input_shape is not None:
        return checked_shape(batch_input_shape, f"{owner}: batch_input_shape", with_batch=True)
    if input_shape is not None:
        return (None,) + checked_shape(input_shape, f"{owner}: input_shape")
    if input_dim is not None:
        (input_dim,) = checked_shape((input_dim,), f"{owner}: input_dim")
        if input_length is not None:
            (input_length,) = checked_shape((input_length,), f"{owner}: input_length")
            return (None, input_length, input_dim)
        return (None, input_dim)
    return None


def checked_shape(shape, argument, with_batch=False):
    """``shape`` as a tuple of positive ints and Nones, or a ValueError naming ``argument``."""
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        shape = (shape,)
    if isinstance(shape, (str, bytes)) or not hasattr(shape, "__iter__"):
        raise ValueError(f"{argument} must be a tuple of positive integers (None for an unknown size), got {shape!r}")
    sizes = tuple(shape)
    for size in sizes:
        if size is None:
            continue
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
            raise ValueError(
                f"{argument} must be a tuple of positive integers (None for an unknown size), got {shape!r}"
            )
    if with_batch and not sizes:
        raise ValueError(f"{argument} must include the batch axis, e.g. (None, 3), got {shape!r}")
    return tuple(None if size is None else int(size) for size in sizes)


def _as_loss_tensor(value):
    return value if isinstance(value, Tensor) else Tensor(value)


def _attach_output_masks(layer, inputs, outputs):
    """Keras's mask propagation: ``layer.compute_mask(inputs, mask)`` put on the outputs, unless
    ``call`` already set every output's mask."""
    flat_outputs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
    if all(getattr(o, "mask", None) is not None for o in flat_outputs):
        return
    masks = layer.compute_mask(inputs, _mask_of(inputs))
    if masks is None:
        return
    flat_masks = list(masks) if isinstance(masks, (list, tuple)) else [masks]
    if len(flat_masks) != len(flat_outputs):
        raise ValueError(f"{layer.name} ({type(layer).__name__}).compute_mask returned {len(flat_masks)} "
                         f"mask(s) for {len(flat_outputs)} output(s)")
    for output, mask in zip(flat_outputs, flat_masks):
        if isinstance(output, Tensor) and output.mask is None and mask is not None:
            output._keras_mask = mask


def _mask_of(inputs):
    """The padding mask(s) riding on ``inputs`` (``Tensor.mask``), for a call that takes ``mask``."""
    if isinstance(inputs, list):
        masks = [getattr(x, "mask", None) for x in inputs]
        return None if all(m is None for m in masks) else masks
    return getattr(inputs, "mask", None)


def _check_weight_fits(layer, name, shape, dtype):
    """Refuse a weight with a negative size or larger than the machine's memory, before any
    allocation, naming the layer and the weight (a crafted config or a slip such as
    ``Embedding(10**9, 10**4)`` would otherwise end in NumPy's bare MemoryError)."""
    if any(size < 0 for size in shape):
        raise ValueError(f"{label(layer)}: weight '{name}' would have a negative size: shape {shape}")
    needed = math.prod(shape) * dtype.itemsize
    available = host_memory.physical_memory_bytes()
    if available is not None and needed > available:
        raise MemoryError(
            f"{label(layer)}: weight '{name}' of shape {shape} ({dtype.name}) needs {needed / 2**30:,.1f} GiB, "
            f"more than this machine's {available / 2**30:,.1f} GiB of memory; check the layer's sizes"
        )


def _as_tensors(inputs, float_dtype=None):
    if isinstance(inputs, Tensor):
        return inputs
    if isinstance(inputs, (list, tuple)) and not holds_text(inputs) and not _only_numbers(inputs):
        return [_as_tensor(x, float_dtype) for x in inputs]
    return _as_tensor(inputs, float_dtype)


def _only_numbers(items):
    """Whether a list holds plain numbers only, at any depth: ``lookup([-1, 4, 1])`` is one input
    (as in Keras), while a list holding arrays or tensors is several inputs."""
    return all(_only_numbers(item) if isinstance(item, (list, tuple))
               else isinstance(item, (numbers.Number, np.generic)) for item in items)


def _as_tensor(value, float_dtype=None):
    """A Tensor of ``value``; text stays a host array of ``str`` (``minidl.layers.text_values``).
    Host floating-point data is cast to ``float_dtype`` when given (see ``_float_dtype``)."""
    if isinstance(value, Tensor):
        return value
    if holds_text(value):
        return Tensor._from_op(as_text_array(value, "layer input"))
    array = as_array(value)
    if float_dtype is not None and array.dtype.kind == "f" and array.dtype != float_dtype:
        array = array.astype(float_dtype)
    return Tensor._from_op(array)


def _float_dtype(layer):
    """The float dtype host data given to ``layer`` is cast to: the layer's own, as Keras casts
    floating inputs (``model(x_train / 255.0)`` computes in float32 and returns float32, not
    float64). Tensors keep their dtype; integer and text data are never cast."""
    try:
        dtype = np.dtype(layer.dtype)
    except TypeError:  # a user's layer may hold something NumPy does not know as a dtype
        return None
    return dtype if dtype.kind == "f" else None


def _with_none_batch(shapes):
    if isinstance(shapes, list):
        return [(None,) + tuple(s[1:]) for s in shapes]
    return (None,) + tuple(shapes[1:])


_PROBE_SIZE = 32  # the size given to None axes (other than the batch) when probing a layer
_LARGE_PROBE_SIZE = 256  # tried when a layer fails at _PROBE_SIZE (a window wider than it)


class _ProbeRecord:
    """What the probes of one symbolic call did: the state of every layer they touched, as it was
    before (``restore`` puts it back when the call fails, so a refused layer is not left half
    built with made-up sizes), and the weights created in the probe under way, as (layer label,
    name, shape)."""

    __slots__ = ("saved", "created")

    def __init__(self):
        self.saved = {}
        self.created = []

    def remember(self, layer):
        if id(layer) in self.saved:
            return
        for one in layer._walk() if hasattr(layer, "_sublayers") else [layer]:
            if id(one) not in self.saved:
                self.saved[id(one)] = (one, dict(one.__dict__), list(getattr(one, "_params", ())),
                                       list(getattr(one, "_sublayers", ())))

    def restore(self):
        for layer, attributes, params, sublayers in self.saved.values():
            layer.__dict__.clear()
            layer.__dict__.update(attributes)
            if "_params" in attributes:
                layer._params[:] = params
            if "_sublayers" in attributes:
                layer._sublayers[:] = sublayers
        self.saved.clear()


def _weights_by_layer(created):
    """{layer label: [(name, shape), ...]} of ``_ProbeRecord.created`` entries, layers in order."""
    found = {}
    for owner, name, shape in created:
        found.setdefault(owner, []).append((name, shape))
    return found


def _pinned_sizes(spec, symbols):
    """For each symbolic input, {axis: size} of the axes ``spec`` (a layer's ``input_spec``, one
    or one per input) pins: an undefined axis is probed at that size, the only one the layer takes."""
    specs = spec if isinstance(spec, (list, tuple)) else [spec] * len(symbols)
    pinned = []
    for one, symbol in zip(specs, symbols):
        rank = len(symbol.shape)
        axes = getattr(one, "axes", None) or {}
        pinned.append({axis % rank: size for axis, size in axes.items() if -rank <= axis < rank and axis % rank})
    return pinned + [{}] * (len(symbols) - len(pinned))


def _as_declared(inputs):
    """``inputs`` with every probe replaced by the symbolic tensor it stands for (for messages)."""
    declared = _state.declared
    if not declared:
        return inputs
    if isinstance(inputs, (list, tuple)):
        return [declared.get(id(x), x) for x in inputs]
    return declared.get(id(inputs), inputs)


def _refuses_undefined(error):
    return getattr(error, "_minidl_undefined_axes", None) is not None


def _message_of(error):
    """The message of ``error`` when it is its one string argument (else None: left as it is)."""
    if len(error.args) == 1 and isinstance(error.args[0], str) and type(error).__str__ is BaseException.__str__:
        return error.args[0]
    return None


def _undefined_text(undefined):
    """``axis 2 of the input, which is undefined (None)`` (from ``_undefined_axes`` pairs)."""
    if not undefined:
        return "an undefined (None) axis of the input"
    verb = "is" if len(undefined) == 1 else "are"
    where = "" if undefined[0][0] is not None else " of the input"
    return f"{_axes_text(undefined)}{where}, which {verb} undefined (None)"


def _shapes_text(symbols):
    if len(symbols) == 1:
        return f"input shape {tuple(symbols[0].shape)}"
    return "input shapes " + ", ".join(str(tuple(s.shape)) for s in symbols)


def _add_producers(error, layer, symbols):
    """Append to ``layer``'s own refusal of an undefined size which layers produced the inputs
    with undefined axes (``Flatten`` of an image of unknown size, say), when not model inputs."""
    message = _message_of(error)
    if getattr(error, "_minidl_undefined_axes", None) is not layer or message is None \
            or getattr(error, "_minidl_producers", False):
        return
    producers = [label(s.layer) for s in symbols
                 if s.inputs and s.layer is not None and any(size is None for size in s.shape[1:])]
    error._minidl_producers = True
    if producers:
        error.args = (f"{message} (the output of {_and(list(dict.fromkeys(producers)))})",)


def _undefined_weight_error(layer, name, shape):
    """``add_weight``'s refusal of a size that is None: it came from an undefined input axis."""
    building = next((s for one, s in reversed(_building) if one is layer), None)
    undefined = _undefined_axes(building) if building is not None else []
    if undefined:
        source = ("one of " if len(undefined) > 1 else "") + _undefined_text(undefined)
    elif isinstance(building, (list, tuple)) and building and building[0] is None:
        source = "the batch size, which is undefined (None)"
    else:
        source = "an undefined (None) size of the input"
    shown = _shown_shape(building)
    got = "" if building is None else (f"; got input shapes {', '.join(str(s) for s in shown)}"
                                       if isinstance(shown, list) else f"; got input shape {shown}")
    return undefined_axes_error(layer, f"weight '{name}' would have shape {shape}: its size depends on {source} "
                                       f"and must be known to create it{got}")


def _size_free_error(layer, symbols, error, earlier, undefined):
    """``error``, raised by ``layer`` at every probe size tried, without the made-up sizes: the
    numbers in which its message differs from ``earlier``'s (the same failure at the smaller
    sizes) are shown as ``?``; a message that differs in more than numbers is replaced by one
    that names the undefined axes. A message the same at all sizes is left as it is."""
    message, earlier_message = _message_of(error), _message_of(earlier)
    if message is None or message == earlier_message:
        return error
    parts, earlier_parts = re.split(r"(\d+)", message), re.split(r"(\d+)", earlier_message or "")
    where = _undefined_text(undefined)
    if len(parts) == len(earlier_parts) and parts[0::2] == earlier_parts[0::2]:
        text = "".join(part if index % 2 == 0 or part == other else "?"
                       for index, (part, other) in enumerate(zip(parts, earlier_parts)))
        error.args = (f"{text} (? marks sizes that follow {where}: the layer fails at every size tried for it; "
                      "declare the size the layer needs)",)
    else:
        error.args = (f"{label(layer)}, called on {_shapes_text(symbols)}: the layer fails at every size tried for "
                      f"{where} ({type(error).__name__}); declare the size the layer needs",)
    return error


def _zero_probe(symbol, dtype=None, unknown_size=_PROBE_SIZE, pinned=None):
    """A batch of one sample of zeros for ``symbol``: its undefined axes at ``unknown_size``, or at
    the size ``pinned`` ({axis: size}) gives them."""
    batch, *rest = symbol.shape
    pinned = pinned or {}
    shape = (1,) + tuple(pinned.get(axis, unknown_size) if size is None else size
                         for axis, size in enumerate(rest, start=1))
    dtype = as_dtype(dtype or symbol.dtype)
    if dtype.kind == "O":  # text: empty strings, on the host (see minidl.layers.text_values)
        return Tensor._from_op(np.full(shape, "", dtype=object))
    probe = Tensor._from_op(backend.get_xp().zeros(shape, dtype=dtype))
    if getattr(symbol, "has_mask", False) and len(shape) >= 2:  # mask-aware layers see one
        probe.mask = backend.get_xp().ones(shape[:2], dtype=bool)
    return probe
