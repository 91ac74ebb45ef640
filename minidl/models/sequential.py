"""``Sequential``: a plain stack of layers, each feeding the next.

The model is built -- weights created, output shapes known -- as soon as its input shape is
known: from the first layer's ``input_shape=`` / ``batch_input_shape=`` / ``input_dim=`` /
``input_length=``, from an ``Input(...)`` given as the first element, from ``build(shape)``, or,
failing all, from the first data it sees. Once built, every added layer is called symbolically
right away, so ``summary()`` works before any training, as in Keras, and a layer that does not
fit is refused by ``add`` with the model unchanged.

A declared shape is the model's input contract and is enforced in full; a shape from
``build`` or from data fixes the rank only (see ``minidl.models.input_contract``).
"""

import numpy as np

from minidl.autograd.tensor import Tensor
from minidl.layers.base import Layer, SymbolicTensor, declared_shape
from minidl.layers.input_layer import InputLayer
from minidl.layers.text_values import dtype_name
from minidl.models import registry
from minidl.models.input_contract import InputContract, ModelInput, direct_consumers, value_kind
from minidl.models.model import Model
from minidl.runtime import backend


class Sequential(Model):
    """``Sequential([Dense(64, activation='relu', input_shape=(10,)), Dense(1)])``."""

    def __init__(self, layers=None, name=None, trainable=True):
        super().__init__(name=name, trainable=trainable)
        self._layers = []
        self._input_layer = None
        self._declared_input = False  # True when the input shape was declared, not inferred from data
        self._symbols = []  # the output SymbolicTensor of every layer once built
        self._build_input_shape = None
        self._contract = None  # cached InputContract, rebuilt when the structure changes
        for layer in layers or []:
            self.add(layer)

    # -- structure ---------------------------------------------------------------------------
    @property
    def layers(self):
        return list(self._layers)

    def add(self, layer):
        """Append a layer (or an ``Input(...)`` as the first element).

        Once the model is built the layer is called symbolically at once, so a layer that does
        not fit the previous one is an error here, and the model is left as it was.
        """
        if isinstance(layer, SymbolicTensor):
            if self._layers or self._input_layer is not None or not isinstance(layer.layer, InputLayer):
                raise TypeError(f"{self.name}.add: only an Input(...) may be added as a tensor, and only first")
            self._set_input(layer.layer, declared=True)
            return
        if isinstance(layer, InputLayer):
            if self._layers or self._input_layer is not None:
                raise ValueError(f"{self.name}.add: an InputLayer can only be the first layer")
            self._set_input(layer, declared=True)
            return
        if not isinstance(layer, Layer):
            raise TypeError(
                f"{self.name}.add: expected a Layer instance, got {type(layer).__name__} ({layer!r})"
            )
        if any(existing.name == layer.name for existing in self._layers):
            raise ValueError(
                f"{self.name}.add: all layers of a Sequential model need unique names; {layer.name!r} is already used"
            )
        declared = getattr(layer, "batch_input_shape", None)
        if not self._layers and self._input_layer is None and declared is not None:
            input_layer = InputLayer(batch_input_shape=declared, dtype=layer.dtype,
                                     name=f"{layer.name}_input")
            output = self._symbolic_output(layer, input_layer.output)
            self._set_input(input_layer, declared=True, call_layers=False)
            self._symbols = [output]
        elif self._input_layer is not None:
            self._symbols.append(self._symbolic_output(layer, self._last_symbol()))
        self._layers.append(layer)
        self.track(layer)
        self._structure_changed()

    def pop(self):
        """Remove the last layer (the model then ends with the one before, as in Keras)."""
        if not self._layers:
            raise TypeError(f"{self.name}.pop: there are no layers in the model")
        layer = self._layers.pop()
        self._sublayers = [s for s in self._sublayers if s is not layer]
        if self._symbols:
            self._symbols.pop()
        self._structure_changed()
        return layer

    def _structure_changed(self):
        self._contract = None
        self.output_shape_seen = self._symbols[-1].shape if self._symbols else None
        if self._compiled is not None:
            self._compiled.train_weights = None  # captured again, with the new layers, before training

    def _last_symbol(self):
        return self._symbols[-1] if self._symbols else self._input_layer.output

    def _symbolic_output(self, layer, previous):
        output = layer(previous)
        if isinstance(output, (list, tuple)):
            raise ValueError(
                f"{self.name}: layer {layer.name!r} returns {len(output)} outputs; every layer of a Sequential "
                "model must have exactly one output (use the functional Model for several)"
            )
        return output

    def _set_input(self, input_layer, declared, call_layers=True):
        """Give the model its input; the layers are called on it first, so nothing changes on failure."""
        symbols = []
        if call_layers:
            for layer in self._layers:
                symbols.append(self._symbolic_output(layer, symbols[-1] if symbols else input_layer.output))
            self._symbols = symbols
        self._input_layer = input_layer
        self._declared_input = declared
        self.batch_input_shape = tuple(input_layer.batch_input_shape)
        self._build_input_shape = self.batch_input_shape
        self.built = True
        self._structure_changed()

    def build(self, input_shape=None, dtype=None):
        """Build for inputs of ``input_shape`` (batch axis included, may be None).

        As in tf.keras 2, a shape given to ``build`` is treated like one inferred from data: it
        fixes the rank, while a shape declared on the first layer or with ``Input`` is enforced
        in full.
        """
        if input_shape is None:
            if self._input_layer is not None:
                return
            raise ValueError(f"{self.name}.build: an input shape is needed, e.g. build((None, 784))")
        self._build(input_shape, dtype, declared=False)

    def _build(self, input_shape, dtype, declared):
        shape = (None,) + tuple(None if s is None else int(s) for s in tuple(input_shape)[1:])
        if self._input_layer is not None:
            if shape[1:] != tuple(self._input_layer.batch_input_shape)[1:]:
                raise ValueError(
                    f"Sequential model '{self.name}' has already been configured to use input shape "
                    f"{tuple(self._input_layer.batch_input_shape)}. You cannot build it with input_shape "
                    f"{tuple(input_shape)}"
                )
            return
        self._set_input(InputLayer(batch_input_shape=shape, dtype=dtype or backend.floatx(),
                                   name=f"{self._layers[0].name}_input" if self._layers else None),
                        declared=declared)

    # -- running -----------------------------------------------------------------------------
    def call(self, inputs, training=None):
        outputs = inputs
        for layer in self._layers:
            outputs = layer(outputs, training=training)
        return outputs

    def __call__(self, inputs, training=None, **kwargs):
        if self._input_layer is None and not isinstance(inputs, (SymbolicTensor, list, tuple)):
            sample = inputs.data if isinstance(inputs, Tensor) else inputs
            shape = tuple(sample.shape) if hasattr(sample, "shape") else np.shape(sample)
            if isinstance(inputs, Tensor):  # a probe of a functional model: built for its declared shape
                shape = declared_shape(inputs)
            dtype = getattr(sample, "dtype", None)
            self._build(shape, None if dtype is None or np.dtype(dtype).kind == "f" else dtype, declared=False)
        return super().__call__(inputs, training=training, **kwargs)

    def input_contract(self):
        """The contract of the single input (see ``minidl.models.input_contract``)."""
        if self._contract is None and (self._layers or self._input_layer is not None):
            consumers = direct_consumers(self._layers[0]) if self._layers else []
            declared_dtype = self._input_layer.dtype if self._input_layer is not None and self._declared_input else None
            shape = self._input_layer.batch_input_shape if self._input_layer is not None else None
            self._contract = InputContract(self, [ModelInput(
                self.input_names[0], shape, self._declared_input, value_kind(declared_dtype, consumers), consumers,
            )])
        return self._contract

    # -- shapes and names --------------------------------------------------------------------
    @property
    def inputs(self):
        if self._input_layer is None:
            raise AttributeError(f"Sequential model '{self.name}' has no defined inputs yet.")
        return [self._input_layer.output]

    @property
    def outputs(self):
        if self._input_layer is None:
            raise AttributeError(f"Sequential model '{self.name}' has no defined outputs yet.")
        return [self._last_symbol()]

    @property
    def input_shape(self):
        self._require_built("input_shape")
        return self._input_layer.batch_input_shape

    @property
    def output_shape(self):
        self._require_built("output_shape")
        return self._symbols[-1].shape if self._symbols else self._input_layer.batch_input_shape

    def _require_built(self, what):
        if self._input_layer is None:
            raise AttributeError(
                f"{self.name}.{what}: the model has not been built yet; give the first layer an input_shape, "
                "start with Input(shape=...), call build(), or fit it on data"
            )

    @property
    def input_names(self):
        return [self._input_layer.name] if self._input_layer is not None else ["input_1"]

    @property
    def output_names(self):
        return [self._layers[-1].name] if self._layers else ["output_1"]

    def _known_input_names(self):
        return None  # one input: a list of arrays is never split across inputs

    def _known_output_names(self):
        return None

    def _output_shapes(self):
        if self._symbols:
            return [self._symbols[-1].shape]
        return super()._output_shapes()

    def layer_output_shapes(self):
        """(layer, output shape) for the summary."""
        if self._symbols:
            return [(layer, symbol.shape) for layer, symbol in zip(self._layers, self._symbols)]
        return [(layer, layer.output_shape_seen) for layer in self._layers]

    # -- config ------------------------------------------------------------------------------
    def get_config(self):
        config = {
            "name": self.name,
            "trainable": self.trainable,
            "layers": [registry.serialize_layer(layer) for layer in self._layers],
        }
        if self._input_layer is not None:
            config["build_input_shape"] = list(self._input_layer.batch_input_shape)
            config["build_input_dtype"] = dtype_name(self._input_layer.dtype)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        model = cls(name=config.get("name"))
        for spec in config.get("layers", []):
            model.add(registry.deserialize_layer(spec, custom_objects))
        if not model.built and config.get("build_input_shape") is not None:
            # Only the shape is saved, not whether it was declared: rebuilt as inferred (rank fixed).
            model._build(tuple(config["build_input_shape"]), config.get("build_input_dtype"), declared=False)
        if not config.get("trainable", True):
            model.trainable = False
        return model
