"""The functional model: a graph of layer calls recorded on symbolic tensors.

``Input(shape=...)`` makes a ``SymbolicTensor``; calling a layer on symbolic tensors records
the call (which layer, on which tensors, with which keyword arguments) in the tensors it
returns. ``Model(inputs, outputs)`` walks that history back from the outputs to the inputs,
and keeps the calls ("nodes") in an order where every node comes after the nodes producing
its inputs. Running the model replays the nodes in that order on real tensors. A layer
called twice appears in two nodes and shares its weights; a model used as a layer is one
node like any other.
"""

from minidl.graph import depth_first
from minidl.layers.base import SymbolicTensor, replace_symbols, symbols_in, unique_name
from minidl.layers.input_layer import InputLayer
from minidl.models import registry
from minidl.models.input_contract import InputContract, ModelInput, direct_consumers, value_kind
from minidl.models.layer_order import call_key, keras_layer_order
from minidl.models.model import Model


def tensor_reference(address):
    """How a config names a tensor passed by keyword: Keras 3's ``__keras_tensor__`` entry with
    the ``[layer name, node index, tensor index]`` that produced it."""
    return {"class_name": "__keras_tensor__", "config": {"keras_history": list(address)}}


def is_tensor_reference(value):
    return isinstance(value, dict) and value.get("class_name") == "__keras_tensor__"


def referenced_addresses(value):
    """The addresses of the tensor references inside a config's keyword arguments."""
    if is_tensor_reference(value):
        history = (value.get("config") or {}).get("keras_history") or []
        return [tuple(history[:3])]
    if isinstance(value, (list, tuple)):
        return [address for item in value for address in referenced_addresses(item)]
    if isinstance(value, dict):
        return [address for item in value.values() for address in referenced_addresses(item)]
    return []


def resolve_references(value, produced):
    """Keyword arguments with each tensor reference replaced by the symbolic tensor it names."""
    if is_tensor_reference(value):
        return produced[referenced_addresses(value)[0]]
    if isinstance(value, (list, tuple)):
        return [resolve_references(item, produced) for item in value]
    if isinstance(value, dict):
        return {key: resolve_references(item, produced) for key, item in value.items()}
    return value


class Node:
    """One recorded layer call: ``outputs = layer(inputs, **kwargs)``."""

    __slots__ = ("layer", "inputs", "outputs", "kwargs", "kwarg_inputs", "input_ids", "output_slots",
                 "several_inputs")

    def __init__(self, layer, inputs, kwargs):
        self.layer = layer
        self.inputs = list(inputs)
        self.outputs = []
        self.kwargs = dict(kwargs)
        self.kwarg_inputs = symbols_in(self.kwargs)  # tensors passed by keyword: initial_state=[h, c]
        self.several_inputs = len(self.inputs) > 1
        self.input_ids = ()
        self.output_slots = ()

    def finish(self):
        self.outputs.sort(key=lambda symbol: symbol.output_index)
        self.input_ids = tuple(id(s) for s in self.inputs)
        self.output_slots = tuple((id(s), s.output_index) for s in self.outputs)


def _check_unique_layer_names(model_name, layers):
    """Keras refuses a model whose layers share a name: names address the layers
    (``get_layer``) and their weights in saved files."""
    seen = set()
    for layer in layers:
        if layer.name in seen:
            count = sum(other.name == layer.name for other in layers)
            raise ValueError(
                f"Model {model_name!r}: the layer name {layer.name!r} is used {count} times; all layers of a model "
                "need unique names (give each its own name=..., or leave name out for an automatic one)"
            )
        seen.add(layer.name)


def _structure_name(structure):
    """How a config records the model's outputs: one tensor, a list, or a dict (its keys beside)."""
    if isinstance(structure, dict):
        return "dict"
    return "list" if isinstance(structure, (list, tuple)) else "single"


def _flatten_symbols(value, what):
    if isinstance(value, dict):
        items = list(value.values())
    elif isinstance(value, (list, tuple)):
        items = list(value)
    else:
        items = [value]
    for item in items:
        if not isinstance(item, SymbolicTensor):
            raise TypeError(
                f"Model: {what} must be symbolic tensors made from Input(...) and layer calls, got {type(item).__name__}"
            )
    return items


class Functional(Model):
    """``Model(inputs, outputs, name=None)``; see the module docstring."""

    def __init__(self, inputs=None, outputs=None, name=None, trainable=True):
        super().__init__(name=name or unique_name("model"), trainable=trainable)
        if inputs is None or outputs is None:
            raise TypeError("Model: pass both inputs=Input(...) (or a list of them) and outputs=...")
        self.inputs = _flatten_symbols(inputs, "inputs")
        self.outputs = _flatten_symbols(outputs, "outputs")
        if not all(isinstance(symbol.layer, InputLayer) for symbol in self.inputs):
            inputs, outputs = self._from_intermediate_inputs(inputs, outputs)
            self.inputs = _flatten_symbols(inputs, "inputs")
            self.outputs = _flatten_symbols(outputs, "outputs")
        self._input_structure = inputs
        self._output_structure = outputs
        self._contract = None
        self._nodes = self._trace()
        self._layers = self._ordered_layers()
        _check_unique_layer_names(self.name, self._layers)
        for layer in self._layers:
            if not isinstance(layer, InputLayer):
                self.track(layer)
        self.built = True
        self.batch_input_shape = tuple(self.inputs[0].shape) if len(self.inputs) == 1 else None
        if not trainable:
            self.trainable = False

    # -- graph -------------------------------------------------------------------------------
    def _from_intermediate_inputs(self, inputs, outputs):
        """Inputs and outputs for a model whose inputs include tensors some layer produced.

        Keras 3 allows ``Model(normalized_features, outputs)``: each such tensor is replaced by a
        new ``Input`` of its shape and dtype, and the layers between the inputs and the outputs
        are called again on the new inputs (the layers before them are not part of the model,
        and the model is fed the values those tensors stand for). A dict of inputs keeps its keys,
        which also name the new Inputs.
        """
        from minidl.layers.input_layer import Input

        keys = list(inputs) if isinstance(inputs, dict) else [None] * len(self.inputs)
        fresh = {}
        for key, symbol in zip(keys, self.inputs):
            if isinstance(symbol.layer, InputLayer):
                fresh[id(symbol)] = symbol
            else:
                fresh[id(symbol)] = Input(batch_shape=symbol.shape, dtype=symbol.dtype,
                                          name=key if key is not None else f"{symbol.layer.name}_input")
        new_outputs = self._replay(self._trace(), fresh)
        new_inputs = [fresh[id(symbol)] for symbol in self.inputs]
        if isinstance(inputs, dict):
            new_inputs = dict(zip(keys, new_inputs))
        elif not isinstance(inputs, (list, tuple)):
            new_inputs = new_inputs[0]
        if isinstance(outputs, dict):
            return new_inputs, dict(zip(outputs, new_outputs))
        return new_inputs, new_outputs if isinstance(outputs, (list, tuple)) else new_outputs[0]

    def _replay(self, nodes, tensors, training=None):
        """Run ``nodes`` on ``tensors`` (symbol id -> value, the model's inputs filled in): the
        values of the model's outputs, in order. Real tensors compute, symbolic ones record."""
        for node in nodes:
            arguments = [tensors[i] for i in node.input_ids]
            kwargs = replace_symbols(node.kwargs, lambda symbol: tensors[id(symbol)]) if node.kwarg_inputs \
                else dict(node.kwargs)
            node_training = kwargs.pop("training", training)  # a call recorded as training=True keeps it
            result = node.layer(arguments if node.several_inputs else arguments[0], training=node_training, **kwargs)
            if isinstance(result, (list, tuple)):
                for symbol_id, index in node.output_slots:
                    tensors[symbol_id] = result[index]
            else:
                tensors[node.output_slots[0][0]] = result
        return [tensors[id(symbol)] for symbol in self.outputs]

    def _input_keys(self, given):
        """The key of each input in a dict fed to the model: the key it had in a dict of inputs
        given to ``Model`` (Keras 3 matches those), else its Input's name."""
        structure = self._input_structure
        if isinstance(structure, dict) and all(key in given for key in structure):
            return list(structure)
        return [symbol.layer.name for symbol in self.inputs]

    def _trace(self):
        """The nodes between inputs and outputs, each after the nodes it depends on."""
        input_ids = {id(s) for s in self.inputs}

        def producers(symbol):
            """The symbols ``symbol``'s call read, but the model's inputs (which no node makes)."""
            parents = list(symbol.inputs) + symbols_in(symbol.call_kwargs)
            for parent in parents:
                self._check_reachable(parent, symbol.layer, input_ids)
            return [parent for parent in parents if id(parent) not in input_ids]

        roots = [symbol for symbol in self.outputs if id(symbol) not in input_ids]
        for symbol in roots:
            self._check_reachable(symbol, None, input_ids)
        nodes = {}  # call_key -> Node, in running order
        for symbol in depth_first(roots, producers, key=call_key):
            nodes[call_key(symbol)] = Node(symbol.layer, symbol.inputs, symbol.call_kwargs)
        # A node's outputs: every symbol of its call that a later node or the model reads.
        used = self.outputs + [parent for node in nodes.values() for parent in node.inputs + node.kwarg_inputs]
        for symbol in used:
            node = nodes.get(call_key(symbol))
            if node is not None and all(existing is not symbol for existing in node.outputs):
                node.outputs.append(symbol)
        for node in nodes.values():
            node.finish()
        return list(nodes.values())

    def _check_reachable(self, symbol, consumer, input_ids):
        if id(symbol) not in input_ids and (isinstance(symbol.layer, InputLayer) or symbol.layer is None):
            raise ValueError(
                f"Model: graph disconnected: cannot reach {symbol!r} (needed by layer "
                f"{getattr(consumer, 'name', 'the outputs')!r}) from the model's inputs "
                f"{[s.layer.name for s in self.inputs]}; pass that Input in inputs=[...]"
            )

    def _ordered_layers(self):
        """Keras's order (by depth from the outputs), which get_weights and weight files follow."""
        return keras_layer_order(self.inputs, self.outputs)

    @property
    def layers(self):
        return list(self._layers)

    def nodes_of(self, layer):
        """The calls of ``layer`` inside this model, in execution order."""
        return [node for node in self._nodes if node.layer is layer]

    # -- running -----------------------------------------------------------------------------
    def call(self, inputs, training=None):
        if isinstance(inputs, dict):
            inputs = [inputs[name] for name in self._input_keys(inputs)]
        values = inputs if isinstance(inputs, (list, tuple)) else [inputs]
        if len(values) != len(self.inputs):
            raise ValueError(
                f"{self.name}: expects {len(self.inputs)} input(s) {self.input_names}, got {len(values)}"
            )
        tensors = {id(symbol): value for symbol, value in zip(self.inputs, values)}
        outputs = self._replay(self._nodes, tensors, training)
        if isinstance(self._output_structure, dict):  # Keras: a dict of outputs comes back as one
            return dict(zip(self._output_structure, outputs))
        if isinstance(self._output_structure, (list, tuple)):
            return outputs
        return outputs[0]

    # -- shapes and names --------------------------------------------------------------------
    @property
    def input_names(self):
        return [symbol.layer.name for symbol in self.inputs]

    @property
    def output_names(self):
        return [symbol.layer.name for symbol in self.outputs]

    @property
    def output(self):
        """The output tensor, a list of them, or -- for a model made with a dict of outputs -- that dict."""
        if isinstance(self._output_structure, dict):
            return dict(zip(self._output_structure, self.outputs))
        return super().output

    def _output_keys(self):
        """What compile, fit and the logs call the outputs: the keys of a dict of outputs (Keras:
        ``loss={'cls': ...}``, ``y={'cls': ...}``, history's ``cls_loss``), else the layers' names."""
        if isinstance(self._output_structure, dict):
            return list(self._output_structure)
        return self.output_names

    def _known_input_names(self):
        return self.input_names

    def input_contract(self):
        """Each ``Input``'s declared shape and dtype and the layers it feeds (see
        ``minidl.models.input_contract``)."""
        if self._contract is None:
            specs = []
            for symbol in self.inputs:
                consumers = []
                for node in self._nodes:
                    for position, source in enumerate(node.inputs):
                        if source is symbol:
                            consumers += direct_consumers(node.layer, position)
                specs.append(ModelInput(symbol.layer.name, symbol.shape, True,
                                        value_kind(symbol.dtype, consumers), consumers))
            self._contract = InputContract(self, specs)
        return self._contract

    def _known_output_names(self):
        return self._output_keys()

    def _output_shapes(self):
        return [symbol.shape for symbol in self.outputs]

    @property
    def input_shape(self):
        shapes = [symbol.shape for symbol in self.inputs]
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def output_shape(self):
        shapes = [symbol.shape for symbol in self.outputs]
        return shapes[0] if len(shapes) == 1 else shapes

    def layer_output_shapes(self):
        """(layer, output shape or 'multiple') for the summary."""
        rows = []
        for layer in self._layers:
            if isinstance(layer, InputLayer):
                rows.append((layer, [tuple(layer.batch_input_shape)]))
                continue
            shapes = []
            for node in self.nodes_of(layer):
                node_shapes = [s.shape for s in node.outputs]
                shapes.append(node_shapes[0] if len(node_shapes) == 1 else node_shapes)
            distinct = {str(s) for s in shapes}
            rows.append((layer, shapes[0] if len(distinct) == 1 else "multiple"))
        return rows

    def is_chain(self):
        """True when the graph is a plain chain (the summary then omits 'Connected to')."""
        if len(self.inputs) != 1 or len(self.outputs) != 1:
            return False
        seen_layers = set()
        for node in self._nodes:
            if node.several_inputs or id(node.layer) in seen_layers:
                return False
            seen_layers.add(id(node.layer))
        consumers = {}
        for node in self._nodes:
            for i in node.input_ids:
                consumers[i] = consumers.get(i, 0) + 1
        return all(count == 1 for count in consumers.values())

    def _node_index(self, node):
        return next(i for i, n in enumerate(self.nodes_of(node.layer)) if n is node)

    def inbound_of(self, node):
        """Keras's [layer name, node index, tensor index] for each input of ``node``."""
        return [self._address(symbol) for symbol in node.inputs]

    def keyword_inbound_of(self, node):
        """The addresses of the tensors ``node`` was given by keyword (``initial_state=[h, c]``)."""
        return [self._address(symbol) for symbol in node.kwarg_inputs]

    def _address(self, symbol):
        if isinstance(symbol.layer, InputLayer):
            return [symbol.layer.name, 0, 0]
        for node in self._nodes:
            if node.layer is symbol.layer and any(s is symbol for s in node.outputs):
                return [symbol.layer.name, self._node_index(node), symbol.output_index]
        raise ValueError(f"{self.name}: tensor {symbol!r} is not part of this model")

    # -- config ------------------------------------------------------------------------------
    def get_config(self):
        layers = []
        for layer in self._layers:
            entry = registry.serialize_layer(layer)
            entry["name"] = layer.name
            if isinstance(layer, InputLayer):
                entry["inbound_nodes"] = []
            else:
                entry["inbound_nodes"] = [
                    [address + [self._serializable_kwargs(node)] for address in self.inbound_of(node)]
                    for node in self.nodes_of(layer)
                ]
            layers.append(entry)
        return {
            "name": self.name,
            "trainable": self.trainable,
            "layers": layers,
            "input_layers": [self._address(s) for s in self.inputs],
            "output_layers": [self._address(s) for s in self.outputs],
            "output_structure": _structure_name(self._output_structure),
            **({"output_keys": list(self._output_structure)} if isinstance(self._output_structure, dict) else {}),
            "input_structure": "single" if not isinstance(self._input_structure, (list, tuple, dict)) else "list",
        }

    def _serializable_kwargs(self, node):
        """The node's keyword arguments with every tensor in them written as its address."""
        return replace_symbols(node.kwargs, lambda symbol: tensor_reference(self._address(symbol)))

    @classmethod
    def from_config(cls, config, custom_objects=None, prebuilt_layers=None):
        """Rebuild the graph of ``config``; ``prebuilt_layers`` (name -> layer) supplies layers to
        use instead of deserialising their entries (``clone_model``'s ``clone_function``)."""
        prebuilt_layers = prebuilt_layers or {}
        created = {}  # layer name -> layer
        produced = {}  # (layer name, node index, tensor index) -> SymbolicTensor
        pending = []  # (layer, inbound node list, node index)
        for entry in config["layers"]:
            layer = prebuilt_layers.get(entry.get("name"))
            if layer is None:
                layer = registry.deserialize_layer(entry, custom_objects)
            name = entry.get("name", layer.name)
            created[name] = layer
            if isinstance(layer, InputLayer):
                produced[(name, 0, 0)] = layer.output
            for index, inbound in enumerate(entry.get("inbound_nodes", [])):
                pending.append((name, layer, inbound, index))
        while pending:
            progressed = False
            remaining = []
            for name, layer, inbound, index in pending:
                kwargs = inbound[0][3] if inbound and len(inbound[0]) > 3 else {}
                keys = [(item[0], item[1], item[2]) for item in inbound] + referenced_addresses(kwargs)
                if not all(key in produced for key in keys):
                    remaining.append((name, layer, inbound, index))
                    continue
                arguments = [produced[(item[0], item[1], item[2])] for item in inbound]
                kwargs = resolve_references(kwargs, produced)
                result = layer(arguments if len(arguments) > 1 else arguments[0], **kwargs)
                results = result if isinstance(result, (list, tuple)) else [result]
                for tensor_index, symbol in enumerate(results):
                    produced[(name, index, tensor_index)] = symbol
                progressed = True
            if not progressed:
                wanted = {tuple(item[:3]) for _, _, inbound, _ in remaining for item in inbound}
                wanted |= {key for _, _, inbound, _ in remaining if inbound and len(inbound[0]) > 3
                           for key in referenced_addresses(inbound[0][3])}
                missing = sorted(wanted - set(produced))
                raise ValueError(f"model config {config.get('name')!r}: cannot connect layers; missing tensors {missing}")
            pending = remaining

        def pick(addresses, structure, keys=None):
            symbols = [produced[tuple(address[:3])] for address in addresses]
            if structure == "dict" and keys is not None and len(keys) == len(symbols):
                return dict(zip(keys, symbols))
            return symbols[0] if structure == "single" and len(symbols) == 1 else symbols

        inputs = pick(config["input_layers"], config.get("input_structure", "list"))
        outputs = pick(config["output_layers"], config.get("output_structure", "list"), config.get("output_keys"))
        return cls(inputs, outputs, name=config.get("name"), trainable=config.get("trainable", True))
