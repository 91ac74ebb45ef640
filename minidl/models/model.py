"""``Model``: a Layer that knows how to train itself -- compile, fit, evaluate, predict.

A model is a layer (so models nest inside models, share weights, and ``trainable`` propagates);
``Sequential`` and the functional ``Model(inputs, outputs)`` only add how the layers are
wired. This module holds what every model is: its structure (``layers``, ``get_layer``,
attributes tracked as layers and metrics in a subclass, ``build``), its weights, how it is
called -- a direct call checks its inputs against the model's ``input_contract`` (declared
shapes and value kinds, see ``minidl.models.input_contract``) -- and its summary and files.
How it trains (compile, fit, evaluate, predict and the steps a subclass may override) is the
``Trainer`` mixed in from ``minidl.models.trainer``.

``Model(inputs, outputs)`` builds a ``Functional`` model, and so does a subclass of ``Model``
called that way (``CustomModel(inputs, outputs)`` with its own ``train_step``), as in Keras.
"""

import inspect

import numpy as np

from minidl.autograd.function import no_grad
from minidl.autograd.tensor import Tensor
from minidl.layers import auto_config
from minidl.layers.base import Layer, SymbolicTensor, inputs_checked_by_model
from minidl.metrics import Metric
from minidl.models import data_adapter
from minidl.models.compile_utils import LossTracker
from minidl.models.input_contract import text_inputs
from minidl.models.trainer import Trainer
from minidl.runtime import backend
from minidl.runtime.denormals import flushes_denormals


class Model(Trainer, Layer):
    """A trainable graph of layers. ``Model(inputs, outputs)`` builds a functional model;
    subclass it and define ``call`` for a model written as code."""

    def __new__(cls, *args, **kwargs):
        from minidl.models.functional import Functional

        if cls is Model and (args or "inputs" in kwargs or "outputs" in kwargs):
            return super().__new__(Functional)
        if cls is not Model and not issubclass(cls, Functional) and _functional_arguments(args, kwargs):
            # ``class CustomModel(Model)`` built as ``CustomModel(inputs, outputs)``: a functional
            # model with the subclass's overrides (train_step, ...), as in Keras.
            return super().__new__(_functional_subclass(cls, Functional))
        return super().__new__(cls)

    def __init__(self, *args, name=None, trainable=True, **kwargs):
        if args:
            raise TypeError(f"{type(self).__name__}: unexpected positional arguments {args}")
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._init_trainer()
        self._auto_track = True

    # -- structure ---------------------------------------------------------------------------
    def __setattr__(self, name, value):
        if not name.startswith("_") and self.__dict__.get("_auto_track"):
            candidates = value if isinstance(value, (list, tuple)) else [value]
            for item in candidates:
                if isinstance(item, Layer) and item is not self and all(item is not s for s in self._sublayers):
                    self.track(item)
                elif isinstance(item, (Metric, LossTracker)) and all(item is not m for m in self._tracked_metrics):
                    self._tracked_metrics.append(item)
        object.__setattr__(self, name, value)

    def _layer_metrics(self):
        """The metric objects its layers hold (``layer_metrics``): the trainer logs them after the
        compiled ones and resets them with them."""
        return layer_metrics(self)

    def call(self, inputs, training=False):
        raise NotImplementedError(
            f"{type(self).__name__}: a subclassed Model must define call(inputs, training=False)"
        )

    def __call__(self, inputs, training=None, **kwargs):
        contract = self.input_contract()
        if contract is not None:
            inputs = self._conform_call_inputs(contract, inputs)
        if not self.built and not _has_symbols(inputs):
            # A model is built by running its layers, not by a build() of its own (which, for a
            # subclassed model, is this very call on zeros).
            self.built = True
            shapes = [tuple(np.shape(x)) for x in inputs] if isinstance(inputs, (list, tuple)) else np.shape(inputs)
            self.input_shape_seen = _with_none_batch(shapes)
        return super().__call__(inputs, training=training, **kwargs)

    def _conform_call_inputs(self, contract, inputs):
        """A direct call's inputs checked against the declared inputs (see ``input_contract``)."""
        if isinstance(inputs, dict):
            names = [spec.name for spec in contract.inputs]
            if sorted(inputs) != sorted(names):
                return inputs  # Functional.call names the missing/extra keys
            inputs = [inputs[name] for name in names]
        several = isinstance(inputs, (list, tuple))
        values = list(inputs) if several else [inputs]
        if len(values) != len(contract):
            return inputs  # Functional.call reports the count
        if _has_symbols(values):
            for index, value in enumerate(values):
                contract.check_symbolic(value, index)
            return inputs
        conformed = [contract.conform_tensor(_input_tensor(v, self, index), index) for index, v in enumerate(values)]
        return conformed if several else conformed[0]

    def input_contract(self):
        """The model's ``InputContract`` (declared shapes, value kinds); None for a subclassed
        model, whose inputs only its layers know."""
        return None

    def build(self, input_shape=None):
        """Build a subclassed model by running it once on zeros of ``input_shape`` (batch axis
        included, None allowed; a list of shapes for several inputs), as Keras's build does."""
        if self.built:
            return
        if input_shape is None:
            raise ValueError(f"{self.name}.build: an input shape is needed, e.g. build((None, 784))")
        several = isinstance(input_shape, list) and all(isinstance(s, (list, tuple)) for s in input_shape)
        shapes = input_shape if several else [input_shape]
        xp = backend.get_xp()
        probes = [xp.zeros(tuple(1 if size is None else int(size) for size in shape), dtype=backend.floatx())
                  for shape in shapes]
        with no_grad():
            self(probes if several else probes[0], training=False)

    @property
    def layers(self):
        return list(self._sublayers)

    def get_layer(self, name=None, index=None):
        """A layer by name or by index in ``self.layers``, with Keras 3's errors."""
        if name is not None and index is not None:
            raise ValueError(f"Provide only a layer name or a layer index. Received: index={index}, name={name}.")
        layers = self.layers
        if index is not None:
            if not isinstance(index, (int, np.integer)) or isinstance(index, bool):
                raise TypeError(f"get_layer: index must be an integer, got {index!r}")
            if len(layers) <= index:
                raise ValueError(
                    f"Was asked to retrieve layer at index {index} but model only has {len(layers)} layers."
                )
            return layers[index]
        if name is None:
            raise ValueError("Provide either a layer name or layer index at `get_layer`.")
        for layer in layers:
            if layer.name == name:
                return layer
        raise ValueError(f"No such layer: {name}. Existing layers are: {[layer.name for layer in layers]}.")

    @property
    def input(self):
        """The model's input tensor (a list for several inputs), as Keras's ``model.input``."""
        inputs = list(self.inputs)
        return inputs[0] if len(inputs) == 1 else inputs

    @property
    def output(self):
        outputs = list(self.outputs)
        return outputs[0] if len(outputs) == 1 else outputs

    @property
    def input_names(self):
        return ["input_1"]

    @property
    def output_names(self):
        return ["output_1"]

    def _output_shapes(self):
        """The output shapes (batch axis None) once known, else None."""
        seen = self.output_shape_seen
        if seen is None:
            return None
        return [tuple(s) for s in seen] if isinstance(seen, list) else [tuple(seen)]

    def _ensure_built(self, first_inputs):
        """Build a model that has not seen data yet by running it once on a few rows."""
        if not self.built:
            with no_grad():
                self(self._model_inputs(first_inputs), training=False)
        if self._compiled is not None and self._compiled.train_weights is None:
            self._capture_trainable_weights()

    # -- weights -----------------------------------------------------------------------------
    @staticmethod
    def _dedup(weights):
        seen = set()
        unique = []
        for weight in weights:
            if id(weight) not in seen:
                seen.add(id(weight))
                unique.append(weight)
        return unique

    @property
    def weights(self):
        """Every weight, layer after layer (each layer's trainable weights first), as Keras."""
        nested = [w for layer in self._sublayers for w in layer.weights]
        return self._dedup(nested + list(self._params))

    @property
    def trainable_weights(self):
        if not self.trainable:
            return []
        nested = [w for layer in self._sublayers for w in layer.trainable_weights]
        return self._dedup(nested + [w for w in self._params if w.trainable])

    @property
    def non_trainable_weights(self):
        if not self.trainable:
            return self.weights
        nested = [w for layer in self._sublayers for w in layer.non_trainable_weights]
        return self._dedup(nested + [w for w in self._params if not w.trainable])

    def reset_states(self):
        """Keras 2's ``model.reset_states()``: every stateful layer inside the model (recurrent
        layers made with ``stateful=True``, in nested models and wrappers too) sets its carried
        states back to zeros, e.g. after each pass over a series. Other layers are left alone."""
        for layer in self._walk():
            if layer is not self and getattr(layer, "stateful", False) and hasattr(layer, "reset_states"):
                layer.reset_states()

    _dict_input_keys = None  # set by the trainer when data came as a dict (see _model_inputs)

    def _model_inputs(self, xs):
        """A batch's input arrays as the model's ``call`` takes them: one array, a list, or --
        when the data was a dict and the model names no inputs (a subclassed model) -- the dict
        with its keys, as Keras hands it over."""
        keys = self._dict_input_keys
        if keys is not None and self._known_input_names() is None and len(keys) == len(xs):
            return dict(zip(keys, xs))
        return xs[0] if len(xs) == 1 else xs

    @flushes_denormals  # as TensorFlow's kernels: see minidl/runtime/denormals.py
    def _forward(self, inputs, training):
        """The model on a batch of data that ``_data`` already conformed to the input contract
        (once for the whole call): the per-call check of ``__call__`` is skipped, and so are the
        per-batch value checks of the layers the inputs feed."""
        contract = self.input_contract()
        if contract is None or not contract.checking_consumers:
            return Layer.__call__(self, inputs, training=training)
        with inputs_checked_by_model(contract.checking_consumers):
            return Layer.__call__(self, inputs, training=training)

    def _known_input_names(self):
        return None

    def _known_output_names(self):
        return None

    def _output_keys(self):
        """What compile, fit and the logs call the outputs (a functional model made with a dict
        of outputs: its keys)."""
        return self.output_names

    # -- summary and saving ------------------------------------------------------------------
    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False, show_trainable=False,
                layer_range=None):
        """Print Keras's table of layers, output shapes and parameter counts (``expand_nested``:
        the layers of nested models too; ``show_trainable``: a Trainable column; ``layer_range``:
        [first, last] name patterns)."""
        from minidl.models.summary import print_summary

        print_summary(self, line_length=line_length, positions=positions, print_fn=print_fn,
                      expand_nested=expand_nested, show_trainable=show_trainable, layer_range=layer_range)

    def to_json(self, **kwargs):
        """The architecture as Keras 3 JSON (``model_from_json`` rebuilds it, in minidl or Keras)."""
        from minidl.models import saving

        return saving.model_to_json(self, **kwargs)

    def save(self, filepath, overwrite=True, include_optimizer=True, save_format=None, **kwargs):
        """Architecture, weights and optimizer state; the format follows the suffix: ``.keras``,
        ``.h5``, ``.npz``, or a folder for a path without one (see ``minidl.models.saving``)."""
        from minidl.models import saving

        saving.save_model(self, filepath, overwrite=overwrite, include_optimizer=include_optimizer,
                          save_format=save_format, **kwargs)

    def save_weights(self, filepath, overwrite=True, save_format=None, **kwargs):
        """The weights: ``.weights.h5`` (Keras 3), ``.h5`` (Keras 2 layout) or minidl's ``.npz``."""
        from minidl.models import saving

        saving.save_weights(self, filepath, overwrite=overwrite, save_format=save_format, **kwargs)

    def load_weights(self, filepath, by_name=False, skip_mismatch=False, **kwargs):
        """Load weights from any format ``save_weights`` or ``save`` writes, minidl's or Keras's;
        the whole file is checked before any weight changes."""
        from minidl.models import saving

        saving.load_weights(self, filepath, by_name=by_name, skip_mismatch=skip_mismatch, **kwargs)

    def get_config(self):
        """A subclassed model's config: the arguments it was constructed with, when they are plain
        values (Keras 3's automatic config; ``minidl.layers.auto_config``), plus its name and
        ``trainable`` when its constructor passes ``**kwargs`` on. A class that writes its own
        ``get_config`` uses that."""
        arguments = self.__dict__.get("_constructor_arguments")
        if arguments is None:
            raise NotImplementedError(
                f"{type(self).__name__}: a subclassed model has no architecture config; give it get_config(), or "
                "save its weights with save_weights() and rebuild it in code"
            )
        config = auto_config.auto_config(self)
        takes_keywords = any(p.kind is p.VAR_KEYWORD for p in inspect.signature(type(self).__init__).parameters.values())
        if takes_keywords:
            config.update(name=self.name, trainable=self.trainable)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """``Model.from_config(model.get_config())`` rebuilds a functional model's graph, as in Keras;
        a subclassed model is constructed from its config's arguments."""
        if cls is Model and isinstance(config, dict) and "layers" in config and "input_layers" in config:
            from minidl.models.functional import Functional

            return Functional.from_config(config, custom_objects)
        return super().from_config(config)


def layer_metrics(root):
    """Keras 3's ``Layer.metrics``: the metric objects assigned as attributes (or in a list or
    tuple attribute) of ``root`` and of every layer inside it, each once, in the order assigned
    (the guide's ``self.accuracy_fn = keras.metrics.BinaryAccuracy()`` in a layer updated in its
    ``call``). A model's own metrics are its trainer's (``Model.metrics``), so a model found
    inside is skipped, though not the layers inside that model, as in Keras 3."""
    found = []
    for layer in root._walk():
        # minidl's own layers hold no metrics: only a user's are searched (logs read this every step)
        if isinstance(layer, Model) or type(layer).__module__.startswith("minidl."):
            continue
        for value in vars(layer).values():
            for item in value if isinstance(value, (list, tuple)) else (value,):
                if isinstance(item, Metric) and all(item is not known for known in found):
                    found.append(item)
    return found


# Every layer has Keras 3's ``metrics``; it is bound here, not in minidl.layers.base, because metrics
# sit above layers in the package's layering (as the ops bind Tensor's operators, ops.tensor_methods).
Layer.metrics = property(layer_metrics, doc=layer_metrics.__doc__)

_functional_subclasses = {}


def _functional_arguments(args, kwargs):
    """True for (inputs, outputs) given as symbolic tensors from Input(...) and layer calls."""
    inputs = kwargs.get("inputs", args[0] if args else None)
    outputs = kwargs.get("outputs", args[1] if len(args) > 1 else None)
    return _has_symbols(_flat(inputs)) and _has_symbols(_flat(outputs))


def _flat(value):
    if isinstance(value, dict):
        return list(value.values())
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _functional_subclass(cls, functional):
    """``cls`` with the functional graph machinery mixed in (one class per subclass)."""
    combined = _functional_subclasses.get(cls)
    if combined is None:
        combined = type(cls.__name__, (cls, functional), {"__module__": cls.__module__,
                                                          "__qualname__": cls.__qualname__})
        _functional_subclasses[cls] = combined
    return combined


def _has_symbols(inputs):
    if isinstance(inputs, (list, tuple)):
        return any(isinstance(x, SymbolicTensor) for x in inputs)
    return isinstance(inputs, SymbolicTensor)


def _with_none_batch(shapes):
    if isinstance(shapes, list):
        return [(None,) + tuple(s[1:]) for s in shapes]
    return (None,) + tuple(shapes[1:])


def _input_tensor(value, model, index):
    """One input of a direct model call as a Tensor (host data checked for text / raggedness)."""
    if isinstance(value, Tensor):
        return value
    contract = model.input_contract()
    text = text_inputs(model, contract)
    accepts_text = text is True or (bool(text) and index < len(text) and text[index])
    array = data_adapter.as_array(value, f"{model.name}: input {index}", accepts_text)
    if array.dtype.kind == "O":
        return Tensor._from_op(array)  # text stays on the host
    kind = contract.inputs[index].kind if contract is not None and index < len(contract.inputs) else "float"
    if kind == "float" and array.dtype.kind == "f" and model.dtype.kind == "f" and array.dtype != model.dtype:
        array = array.astype(model.dtype)  # Keras casts float data to the model's dtype (x / 255.0 is float64)
    return Tensor._from_op(array if backend.is_array(array) else backend.to_device(array))
