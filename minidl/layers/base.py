"""The ``Layer`` base class: weights, building on first call, Keras-compatible bookkeeping.

A layer is written by overriding two methods::

    class Dense(Layer):
        def build(self, input_shape):          # called once, on the first input
            self.kernel = self.add_weight("kernel", (input_shape[-1], self.units), ...)
        def call(self, inputs, training=False):
            return inputs @ self.kernel + self.bias

Everything else -- unique names (``dense``, ``dense_1``, ...), ``trainable`` flags,
``get_weights``/``set_weights`` in Keras's order, regularisation penalties, symbolic calls on
``Input`` tensors for the functional API -- lives here, once.
"""

import re

import numpy as np

from minidl import backend, initializers, regularizers
from minidl.autograd.function import no_grad
from minidl.autograd.tensor import Tensor, as_array

_name_counts = {}
_output_hooks = []  # callables hook(layer, outputs) run after every layer call (inspection)
_weight_checks = []  # callables check(layer, name, shape, dtype) run before a weight is allocated


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


class SymbolicTensor:
    """A placeholder in a functional model: a shape (batch axis None) and where it came from."""

    def __init__(self, shape, dtype, layer=None, inputs=(), call_kwargs=None, output_index=0):
        self.shape = tuple(shape)
        self.dtype = np.dtype(dtype)
        self.layer = layer  # the layer that produced it (an InputLayer for model inputs)
        self.inputs = inputs  # the SymbolicTensors that layer was called on
        self.call_kwargs = call_kwargs or {}
        self.output_index = output_index

    @property
    def ndim(self):
        return len(self.shape)

    def __repr__(self):
        producer = self.layer.name if self.layer is not None else "?"
        return f"<SymbolicTensor shape={self.shape} dtype={self.dtype} from {producer}>"


def _is_symbolic(inputs):
    if isinstance(inputs, SymbolicTensor):
        return True
    return isinstance(inputs, (list, tuple)) and any(isinstance(x, SymbolicTensor) for x in inputs)


class Layer:
    """Base class of all layers (see the module docstring)."""

    # The dtype a layer expects as input when it is probed symbolically (Embedding: integers).
    input_dtype = None

    def __init__(self, trainable=True, name=None, dtype=None, input_shape=None,
                 batch_input_shape=None, input_dim=None, input_length=None, **unknown):
        if unknown:
            raise TypeError(
                f"{type(self).__name__}: unexpected argument(s) {sorted(unknown)}"
            )
        self.name = name or unique_name(snake_case(type(self).__name__))
        self.dtype = np.dtype(dtype or backend.floatx())
        self._trainable = bool(trainable)
        self._params = []
        self._sublayers = []
        self.built = False
        self.batch_input_shape = _declared_input_shape(
            input_shape, batch_input_shape, input_dim, input_length
        )
        self.input_shape_seen = None  # the batch shape of the first call (None for the batch)
        self.output_shape_seen = None

    # -- to be overridden --------------------------------------------------------------------
    def build(self, input_shape):
        """Create the weights for inputs of ``input_shape`` (batch axis included)."""

    def call(self, inputs, training=False):
        raise NotImplementedError(f"{type(self).__name__} must define call()")

    def get_config(self):
        """Constructor arguments, for ``to_json`` / ``model_from_json``."""
        config = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype.name}
        if self.batch_input_shape is not None:
            config["batch_input_shape"] = list(self.batch_input_shape)
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    # -- calling -----------------------------------------------------------------------------
    def __call__(self, inputs, training=None, **kwargs):
        if _is_symbolic(inputs):
            if training is not None:
                kwargs["training"] = training  # recorded, so the graph replays it
            return self._call_symbolic(inputs, kwargs)
        inputs = _as_tensors(inputs)
        if not self.built:
            shapes = [x.shape for x in inputs] if isinstance(inputs, list) else inputs.shape
            self.build(shapes)
            self.built = True
            self.input_shape_seen = _with_none_batch(shapes)
        outputs = self.call(inputs, training=bool(training), **kwargs)
        for hook in _output_hooks:
            hook(self, outputs)
        if self.output_shape_seen is None:
            self.output_shape_seen = _with_none_batch(
                [o.shape for o in outputs] if isinstance(outputs, (list, tuple)) else outputs.shape
            )
        return outputs

    def _call_symbolic(self, inputs, kwargs):
        """Run the layer on a zero batch of one sample to build it and learn its output shape.

        Axes declared as None (a variable sequence length or image size) are probed with two
        different sizes; output axes that change with them are None in the result.
        """
        symbols = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        several = isinstance(inputs, (list, tuple))
        probe_kwargs = {key: value for key, value in kwargs.items() if key != "training"}

        def output_shapes(unknown_size):
            probes = [_zero_probe(s, self.input_dtype, unknown_size) for s in symbols]
            with no_grad():
                outputs = self(probes if several else probes[0], training=False, **probe_kwargs)
            returned_list = isinstance(outputs, (list, tuple))
            outputs = list(outputs) if returned_list else [outputs]
            return [(o.shape, o.dtype) for o in outputs], returned_list

        shapes, returned_list = output_shapes(_PROBE_SIZE)
        if any(size is None for s in symbols for size in s.shape[1:]):
            other, _ = output_shapes(2 * _PROBE_SIZE)
            shapes = [
                (tuple(a if a == b else None for a, b in zip(first, second)), dtype)
                for (first, dtype), (second, _) in zip(shapes, other)
            ]
        results = [
            SymbolicTensor((None,) + tuple(shape[1:]), dtype, self, symbols, kwargs, index)
            for index, (shape, dtype) in enumerate(shapes)
        ]
        self.input_shape_seen = [s.shape for s in symbols] if several else symbols[0].shape
        self.output_shape_seen = [r.shape for r in results] if len(results) > 1 else results[0].shape
        return results if returned_list else results[0]

    # -- weights -----------------------------------------------------------------------------
    def add_weight(self, name, shape, initializer="glorot_uniform", regularizer=None,
                   trainable=True, dtype=None):
        """Create a weight, drawn on the host by ``initializer`` and moved to the device."""
        dtype = np.dtype(dtype or self.dtype)
        shape = tuple(int(s) for s in shape)
        for check in _weight_checks:
            check(self, name, shape, dtype)
        values = initializers.get(initializer)(shape, dtype)
        weight = Parameter(
            backend.to_device(values), f"{self.name}/{name}",
            trainable=trainable, regularizer=regularizers.get(regularizer), owner=self,
        )
        if not self._trainable:
            weight.trainable = weight.requires_grad = False
        self._params.append(weight)
        return weight

    def track(self, layer):
        """Register a sub-layer whose weights belong to this layer (wrappers, nested models)."""
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
        own = [w.regularizer(w) for w in self._params if w.regularizer is not None]
        return own + [loss for layer in self._sublayers for loss in layer.regularization_losses()]

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r}>"


def _declared_input_shape(input_shape, batch_input_shape, input_dim, input_length):
    """Keras's ways to declare a first layer's input: input_shape, batch_input_shape, input_dim."""
    if batch_input_shape is not None:
        return tuple(batch_input_shape)
    if input_shape is not None:
        return (None,) + tuple(input_shape)
    if input_dim is not None:
        if input_length is not None:
            return (None, input_length, input_dim)
        return (None, input_dim)
    return None


def _as_tensors(inputs):
    if isinstance(inputs, Tensor):
        return inputs
    if isinstance(inputs, (list, tuple)):
        return [x if isinstance(x, Tensor) else Tensor._from_op(as_array(x)) for x in inputs]
    return Tensor._from_op(as_array(inputs))


def _with_none_batch(shapes):
    if isinstance(shapes, list):
        return [(None,) + tuple(s[1:]) for s in shapes]
    return (None,) + tuple(shapes[1:])


_PROBE_SIZE = 32  # the size given to None axes (other than the batch) when probing a layer


def _zero_probe(symbol, dtype=None, unknown_size=_PROBE_SIZE):
    batch, *rest = symbol.shape
    shape = (1,) + tuple(unknown_size if size is None else size for size in rest)
    return Tensor._from_op(backend.get_xp().zeros(shape, dtype=dtype or symbol.dtype))
