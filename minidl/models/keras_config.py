"""Model configurations in Keras's JSON dialects, read into minidl and written for Keras 3.

A model's architecture travels as JSON: ``model.to_json()``, the ``config.json`` of a
``.keras`` file, the ``model_config`` attribute of an ``.h5`` file. Each layer is an object
``{"class_name": "Dense", "config": {...constructor arguments...}}``; a model's config lists
its layers. Three dialects exist, and minidl reads all of them:

* **minidl's own** (what ``layer.get_config()`` returns; kept inside minidl's ``.npz``):
  Keras 2's argument names, ``"dtype": "float32"``, functional calls as
  ``[[layer_name, node_index, tensor_index, kwargs], ...]``, plus ``input_structure`` /
  ``output_structure`` keys.
* **Keras 2** (``tf.keras`` in TensorFlow 2.x, and Keras 1): the same shapes of objects;
  a Sequential's first layer may carry ``batch_input_shape``; a nested model's node indices
  count its built-in first node (``["inner_model", 1, 0]`` is its first call).
* **Keras 3**: every object also names its ``module`` and ``registered_name``, layers carry a
  ``build_config``; ``dtype`` is a DTypePolicy object ``{"class_name": "DTypePolicy",
  "config": {"name": "float32"}}``; ``InputLayer`` takes ``batch_shape``; a Sequential lists
  its ``InputLayer`` first; a functional call is ``{"args": [tensor or [tensors]],
  "kwargs": {...}}`` where each tensor is ``{"class_name": "__keras_tensor__", "config":
  {"shape", "dtype", "keras_history": [layer_name, node_index, tensor_index]}}``; a single
  model input or output is written as one address, not a list of one; a nested *functional*
  model's node indices count its built-in node (a nested Sequential's do not).

Reading (:func:`normalize_config`, called by ``registry.deserialize_layer`` for every layer)
turns any of these into the arguments of the minidl class. A Keras argument minidl's class
does not take is dropped when it has its neutral value (``None``, ``False``, ``groups=1``,
``data_format='channels_last'``, ``implementation``, ...) and refused with a clear error
otherwise -- a model is never silently rebuilt as something else.

Writing (:func:`keras_spec`) produces Keras 3's dialect from a live minidl model, so that
``keras.models.model_from_json`` and ``keras.saving.load_model`` rebuild it. With
``legacy=True`` it leaves out ``module``/``registered_name``/``build_config`` at the layer
level, as Keras 3 writes the ``model_config`` of an ``.h5`` file.
"""

import inspect
import math

import numpy as np

from minidl import initializers, regularizers
from minidl.layers.base import Layer, replace_symbols
from minidl.layers.text_values import dtype_name, is_text_dtype
from minidl.models.file_checks import MAX_INPUT_SAMPLE_ELEMENTS
from minidl.ops.activations import is_builtin_activation

# Keras arguments with no effect on the computation (or whose neutral value is not falsy).
_ANY_VALUE = object()
_NEUTRAL_VALUES = {
    "groups": 1, "data_format": "channels_last", "synchronized": False, "renorm_momentum": 0.99,
    "implementation": _ANY_VALUE, "use_cudnn": _ANY_VALUE, "unroll": _ANY_VALUE,
    "interpolation": "nearest", "ema_momentum": _ANY_VALUE, "jit_compile": _ANY_VALUE,
    "vocabulary_size": _ANY_VALUE,  # what a lookup layer's vocabulary gives (TextVectorization, StringLookup)
}
# Arguments that hold a layer of their own (wrappers, ``RNN(cell)``).
_NESTED_LAYERS = ("layer", "backward_layer", "cell")
# Keras 3 spellings of arguments minidl names the Keras 2 way: (class name, Keras 3) -> minidl.
_RENAMED = {("LeakyReLU", "negative_slope"): "alpha"}
_DROPPED_ON_WRITE = {"batch_input_shape", "input_length", "fused"}
# Keras 3 classes whose constructor takes only these arguments (no ``trainable``, ...).
_KERAS_ARGUMENTS_ONLY = {
    "SpatialDropout1D": {"rate", "seed", "name", "dtype"},
    "SpatialDropout2D": {"rate", "data_format", "seed", "name", "dtype"},
    "SpatialDropout3D": {"rate", "data_format", "seed", "name", "dtype"},
    "Discretization": {"bin_boundaries", "num_bins", "epsilon", "output_mode", "sparse", "name", "dtype"},
}


# -- reading ---------------------------------------------------------------------------------------

def normalize_config(cls, spec, custom_objects=None):
    """The constructor config of ``cls`` from a layer spec in any dialect (see the module docstring)."""
    class_name = spec.get("class_name")
    config = spec.get("config")
    if config is None:
        config = {}
    if not isinstance(config, dict):
        raise ValueError(f"layer {class_name!r}: 'config' should be a JSON object, found {type(config).__name__}")
    config = dict(config)
    name = config.get("name", spec.get("name"))
    where = f"layer {name!r} ({class_name})" if name else f"layer {class_name}"
    from minidl.models.model import Model

    if "dtype" in config:
        config["dtype"] = _dtype_name(config["dtype"], where)
    for key in ("batch_input_shape", "batch_shape", "build_input_shape"):
        if key in config and config[key] is not None:
            _check_input_shape(config[key], f"{where}, {key}")
    if issubclass(cls, Model):
        return _normalize_model(cls, config, where)
    from minidl.layers.input_layer import InputLayer

    if issubclass(cls, InputLayer):
        if "batch_shape" in config:
            batch_shape = config.pop("batch_shape")
            config.setdefault("batch_input_shape", batch_shape)
        if "shape" in config:
            config.setdefault("input_shape", config.pop("shape"))
    for key in _NESTED_LAYERS:
        if isinstance(config.get(key), dict):
            config[key] = _normalized_spec(_without_wrapper_settings(config[key]), custom_objects, where)
    if isinstance(config.get("cells"), list):  # StackedRNNCells
        config["cells"] = [_normalized_spec(spec, custom_objects, where) for spec in config["cells"]]
    if class_name == "Bidirectional":
        _fold_default_backward_layer(config)
    for key in list(config):
        config[key] = _argument_value(key, config[key], where)
    return _accepted_arguments_only(cls, class_name, config, where)


def _normalized_spec(spec, custom_objects, where):
    from minidl.models import registry

    if not isinstance(spec, dict) or not isinstance(spec.get("class_name"), str):
        raise ValueError(f"{where}: a wrapped layer should be {{'class_name': ..., 'config': ...}}, found {spec!r:.80}")
    cls = registry.get_layer_class(spec["class_name"], custom_objects)
    return {"class_name": spec["class_name"], "config": normalize_config(cls, spec, custom_objects)}


def _without_wrapper_settings(spec):
    """Keras's Bidirectional sets ``zero_output_for_mask = return_sequences`` on the layers it
    wraps; it is the wrapper's behaviour, not an option of the layer, so it is left out."""
    config = spec.get("config")
    if isinstance(config, dict) and config.get("zero_output_for_mask") == config.get("return_sequences", False):
        spec = {**spec, "config": {key: value for key, value in config.items() if key != "zero_output_for_mask"}}
    return spec


def _fold_default_backward_layer(config):
    """Keras 3 always writes the backward layer of a Bidirectional; when it is the default copy
    of the forward one, drop it and give the forward layer its original name back, so the
    rebuilt wrapper has minidl's (and Keras's) names ``forward_x`` / ``backward_x``."""
    layer, backward = config.get("layer"), config.get("backward_layer")
    if not isinstance(layer, dict) or not isinstance(backward, dict):
        return
    forward_config, backward_config = dict(layer["config"]), dict(backward["config"])
    forward_name, backward_name = str(forward_config.get("name", "")), str(backward_config.get("name", ""))
    if layer["class_name"] != backward["class_name"] or not forward_name.startswith("forward_"):
        return
    base = forward_name[len("forward_"):]
    if backward_name != "backward_" + base:
        return
    flipped = {**forward_config, "name": backward_name, "go_backwards": not forward_config.get("go_backwards", False)}
    if flipped != backward_config:
        return
    del config["backward_layer"]
    config["layer"] = {"class_name": layer["class_name"], "config": {**forward_config, "name": base}}


def _normalize_model(cls, config, where):
    from minidl.models.functional import Functional

    if not issubclass(cls, Functional):
        return config
    if not isinstance(config.get("layers"), list):
        raise ValueError(f"{where}: a functional model's config needs a 'layers' list")
    if "input_structure" in config or "output_structure" in config:
        return config  # minidl's own dialect
    layer_classes = {}
    for entry in config["layers"]:
        if not isinstance(entry, dict):
            raise ValueError(f"{where}: every entry of 'layers' should be a JSON object, found {entry!r:.80}")
        entry_name = entry.get("name", (entry.get("config") or {}).get("name"))
        layer_classes[entry_name] = entry
    for entry in config["layers"]:
        if not isinstance(entry.get("inbound_nodes") or [], list):
            raise ValueError(f"{where}: 'inbound_nodes' of layer {entry.get('name')!r} should be a list")
    keras3 = any(isinstance(node, dict) for entry in config["layers"] for node in entry.get("inbound_nodes") or [])
    layers = []
    for entry in config["layers"]:
        entry = dict(entry)
        entry["inbound_nodes"] = [_node(node, layer_classes, where, keras3, entry.get("class_name"))
                                  for node in entry.get("inbound_nodes") or []]
        layers.append(entry)
    inputs, input_structure = _addresses(config.get("input_layers"), layer_classes, f"{where}, input_layers", keras3)
    outputs, output_structure = _addresses(config.get("output_layers"), layer_classes, f"{where}, output_layers",
                                           keras3)
    return {
        "name": config.get("name"), "trainable": config.get("trainable", True), "layers": layers,
        "input_layers": inputs, "output_layers": outputs,
        "input_structure": input_structure, "output_structure": output_structure,
    }


def _node_offset(entry):
    """How many built-in nodes a nested model has before its first call (see module docstring)."""
    if entry is None:
        return 0
    class_name = entry.get("class_name")
    if class_name in ("Functional", "Model"):
        return 1
    if class_name == "Sequential":  # Keras 2 only: tf.keras's Sequential was a functional model
        layers = (entry.get("config") or {}).get("layers") or []
        first = layers[0] if layers and isinstance(layers[0], dict) else {}
        built = first.get("class_name") == "InputLayer" or "batch_input_shape" in (first.get("config") or {})
        return 1 if built else 0
    return 0


def _address(history, layer_classes, where, keras3):
    if (not isinstance(history, (list, tuple)) or len(history) < 3 or not isinstance(history[0], str)
            or not all(isinstance(i, int) and not isinstance(i, bool) and i >= 0 for i in history[1:3])):
        raise ValueError(f"{where}: a tensor address should be [layer_name, node_index, tensor_index], found {history!r:.80}")
    entry = layer_classes.get(history[0])
    offset = _node_offset(entry)
    if offset and entry.get("class_name") == "Sequential" and keras3:
        offset = 0
    node_index = history[1] - offset if history[1] >= offset else history[1]
    return [history[0], node_index, history[2]]


# Keras 2 recorded an RNN called with initial_state=[h, c] as a call on [inputs, h, c].
_RECURRENT_CLASSES = {"SimpleRNN", "LSTM", "GRU", "RNN"}


def _node(node, layer_classes, where, keras3, class_name=None):
    """One call of a layer, as minidl's ``[[name, node_index, tensor_index, kwargs], ...]``."""
    if isinstance(node, list):  # Keras 2: [[name, node, tensor, kwargs], ...]
        calls = []
        for item in node:
            address = _address(item, layer_classes, where, keras3)
            kwargs = item[3] if len(item) > 3 and isinstance(item[3], dict) else {}
            calls.append(address + [kwargs])
        if class_name in _RECURRENT_CLASSES and len(calls) > 1:
            from minidl.models.functional import tensor_reference

            first, states = calls[0], calls[1:]
            kwargs = dict(first[3], initial_state=[tensor_reference(state[:3]) for state in states])
            return [first[:3] + [kwargs]]
        return calls
    if not isinstance(node, dict) or "args" not in node:
        raise ValueError(f"{where}: an inbound node should be a list or {{'args', 'kwargs'}}, found {node!r:.80}")
    args = node["args"]
    if not isinstance(args, list) or not args:
        raise ValueError(f"{where}: an inbound node's 'args' should be a non-empty list, found {args!r:.80}")
    tensors = args[0] if isinstance(args[0], list) else [args[0]]
    kwargs = {}
    for name, value in zip(_positional_names(class_name, len(args) - 1, where), args[1:]):
        kwargs[name] = _tensor_arguments(value, layer_classes, where, keras3)  # layer(query, value): value=
    for key, value in (node.get("kwargs") or {}).items():
        if key == "training" or value is None:
            continue  # Keras 3 replaces a recorded training flag by the caller's at run time
        kwargs[key] = _tensor_arguments(value, layer_classes, where, keras3)
    calls = []
    for tensor in tensors:
        if not _is_keras_tensor(tensor):
            raise ValueError(f"{where}: an inbound node's argument should be a Keras tensor, found {tensor!r:.80}")
        history = (tensor.get("config") or {}).get("keras_history")
        calls.append(_address(history, layer_classes, where, keras3) + [kwargs])
    return calls


def _positional_names(class_name, count, where):
    """The names of the ``count`` positional arguments after the first with which a layer of
    ``class_name`` is called (MultiHeadAttention's ``value``, ``key``), from its signature."""
    if count == 0:
        return []
    from minidl.models import registry

    cls = registry.get_layer_class(class_name) if isinstance(class_name, str) else None
    call = cls.__call__ if cls is not None and cls.__call__ is not Layer.__call__ else getattr(cls, "call", None)
    names = []
    if call is not None:
        parameters = list(inspect.signature(call).parameters.values())[2:]  # after self and the inputs
        names = [p.name for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
                 and p.name not in ("training", "mask")]
    if len(names) < count:
        raise ValueError(f"{where}: a layer called with {count + 1} positional arguments cannot be rebuilt by minidl")
    return names[:count]


def _tensor_arguments(value, layer_classes, where, keras3):
    """A keyword argument with each Keras tensor in it (``initial_state=[h, c]``) reduced to a
    reference to the call that produced it, in minidl's node numbering."""
    from minidl.models.functional import tensor_reference

    if _is_keras_tensor(value):
        history = (value.get("config") or {}).get("keras_history")
        return tensor_reference(_address(history, layer_classes, where, keras3))
    if isinstance(value, list):
        return [_tensor_arguments(item, layer_classes, where, keras3) for item in value]
    return value


def _is_keras_tensor(value):
    return isinstance(value, dict) and value.get("class_name") == "__keras_tensor__"


def _addresses(value, layer_classes, where, keras3):
    """The model's input or output addresses and whether they were a single tensor or a list."""
    if isinstance(value, dict):
        raise ValueError(f"{where}: models with inputs or outputs named by a dict cannot be rebuilt by minidl")
    if isinstance(value, list) and value and isinstance(value[0], str):  # Keras 3: one address
        return [_address(value, layer_classes, where, keras3)], "single"
    if not isinstance(value, list) or not value:
        raise ValueError(f"{where}: expected a list of tensor addresses, found {value!r:.80}")
    return [_address(item, layer_classes, where, keras3) for item in value], "list"


def _dtype_name(value, where):
    if isinstance(value, dict):  # Keras 3's DTypePolicy
        value = (value.get("config") or {}).get("name")
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{where}: dtype should be a name like 'float32', found {value!r:.80}")
    if is_text_dtype(value):
        return "string"
    if value.startswith("mixed_"):
        raise ValueError(f"{where}: the mixed-precision policy {value!r} is not supported; minidl computes in one dtype")
    try:
        return np.dtype(value).name
    except TypeError:
        raise ValueError(f"{where}: unknown dtype {value!r}") from None


def _check_input_shape(shape, where):
    if not isinstance(shape, (list, tuple)) or not all(
            s is None or (isinstance(s, int) and not isinstance(s, bool) and s >= 0) for s in shape):
        raise ValueError(f"{where}: an input shape should be a list of sizes (integers or null), found {shape!r:.80}")
    sample = math.prod(s for s in list(shape)[1:] if s is not None)
    if sample > MAX_INPUT_SAMPLE_ELEMENTS:
        raise ValueError(f"{where}: an input of shape {list(shape)} has {sample} elements per sample; more than the "
                         f"{MAX_INPUT_SAMPLE_ELEMENTS} minidl accepts from a configuration")


def _argument_value(key, value, where):
    """A Keras 3 argument value (initializer, regularizer, activation objects) in minidl's form."""
    if not isinstance(value, dict):
        return value
    if key == "activation" or key == "recurrent_activation":
        if value.get("class_name") == "function" and isinstance(value.get("config"), str):
            return value["config"]
        raise ValueError(f"{where}: activation {value!r:.80} is not a built-in activation name")
    if key.endswith("_initializer"):
        return _object_config(value, initializers, where, key)
    if key.endswith("_regularizer"):
        return _object_config(value, regularizers, where, key)
    return value


def _object_config(value, module, where, key):
    class_name = value.get("class_name")
    cls = getattr(module, class_name, None) if isinstance(class_name, str) else None
    config = value.get("config") or {}
    if not isinstance(config, dict):
        raise ValueError(f"{where}: {key} has a config that is not a JSON object: {config!r:.80}")
    if cls is None or not isinstance(cls, type):
        raise ValueError(f"{where}: unknown {key.rsplit('_', 1)[-1]} {class_name!r}")
    accepted = set(inspect.signature(cls.__init__).parameters) - {"self"}
    kept = {}
    for name, item in config.items():
        if name in accepted:
            kept[name] = item
        elif not is_neutral(name, item):
            raise ValueError(f"{where}: {key} {class_name} has option {name}={item!r}, which minidl does not support")
    return {"class_name": class_name, "config": kept}


def is_neutral(key, value):
    """Whether a Keras argument minidl does not take can be dropped: it has its neutral value."""
    if value is None or value is False or (isinstance(value, (list, dict, tuple)) and not value):
        return True
    neutral = _NEUTRAL_VALUES.get(key, ...)
    return neutral is _ANY_VALUE or (neutral is not ... and value == neutral)


def constructor_arguments(cls):
    """The keyword arguments ``cls(...)`` accepts, following ``**kwargs`` up to ``Layer``."""
    accepted = set()
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        parameters = inspect.signature(init).parameters.values()
        accepted |= {p.name for p in parameters
                     if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.name != "self"}
        if klass is Layer or not any(p.kind == p.VAR_KEYWORD for p in parameters):
            break
    return accepted


def _accepted_arguments_only(cls, class_name, config, where):
    accepted = constructor_arguments(cls)
    if hasattr(cls, "awaits_vocabulary"):
        accepted = accepted | {"vocabulary_size"}  # its from_config reads it (the vocabulary comes apart)
    result = {}
    for key, value in config.items():
        target = _RENAMED.get((class_name, key), key)
        if target in accepted:
            result.setdefault(target, value)
        elif key in accepted:
            result[key] = value
        elif not is_neutral(key, value):
            raise ValueError(f"{where}: the Keras option {key}={value!r:.80} is not supported by minidl's {cls.__name__}")
    return result


# -- writing Keras 3's dialect ---------------------------------------------------------------------

def _policy(dtype_name):
    return {"module": "keras", "class_name": "DTypePolicy", "config": {"name": dtype_name}, "registered_name": None}


def _keras_object(value, module_name):
    if isinstance(value, dict) and "class_name" in value:
        return {"module": module_name, "class_name": value["class_name"], "config": value.get("config") or {},
                "registered_name": None}
    return value


def keras_layer_config(class_name, config):
    """A leaf layer's minidl config in Keras 3's form."""
    result = {}
    for key, value in config.items():
        if key in _DROPPED_ON_WRITE:
            continue
        if key == "dtype":
            value = _policy(value) if isinstance(value, str) else value
        elif key.endswith("_initializer"):
            value = _keras_object(value, "keras.initializers")
        elif key.endswith("_regularizer"):
            value = _keras_object(value, "keras.regularizers")
        elif key in ("activation", "recurrent_activation") and isinstance(value, str):
            value = _activation_object(value)
        elif key in _NESTED_LAYERS and isinstance(value, dict):
            value = _leaf_spec(value["class_name"], value["config"], legacy=False)
        elif key == "cells" and isinstance(value, list):
            value = [_leaf_spec(cell["class_name"], cell["config"], legacy=False) for cell in value]
        elif isinstance(value, tuple):
            value = list(value)
        renamed = next((k3 for (cls, k3), k2 in _RENAMED.items() if cls == class_name and k2 == key), key)
        result[renamed] = value
    only = _KERAS_ARGUMENTS_ONLY.get(class_name)
    if only is not None:
        result = {key: value for key, value in result.items() if key in only}
    return result


def _activation_object(name):
    """A built-in activation stays a name; a user's function is written as Keras 3 writes it,
    ``{"class_name": "function", "config": "package>name"}`` (read back through the registry)."""
    if is_builtin_activation(name):
        return name
    return {"module": "builtins", "class_name": "function", "config": name, "registered_name": "function"}


def _leaf_spec(class_name, config, legacy):
    spec = {"module": "keras.layers", "class_name": class_name, "config": keras_layer_config(class_name, config),
            "registered_name": None}
    return _legacy(spec) if legacy else spec


def _legacy(spec):
    return {"class_name": spec["class_name"], "config": spec["config"]}


def keras_spec(layer, legacy=False):
    """``{"class_name", "config", ...}`` of a minidl layer or model in Keras 3's dialect."""
    from minidl.models.functional import Functional
    from minidl.models.model import Model
    from minidl.models.sequential import Sequential

    if isinstance(layer, Sequential):
        return _sequential_spec(layer, legacy)
    if isinstance(layer, Functional):
        return _functional_spec(layer, legacy)
    if isinstance(layer, Model) and type(layer).get_config is Model.get_config \
            and layer.__dict__.get("_constructor_arguments") is None:
        raise ValueError(f"{layer.name}: a subclassed model has no architecture config; give it get_config() (and "
                         "from_config() if its arguments are not plain values), or save its weights instead")
    if not type(layer).__module__.startswith("minidl."):  # a user's layer or model: its config as written
        from minidl.models.serialization import serialize_user_layer

        spec = serialize_user_layer(layer)
        build_config = layer.get_build_config()
        if build_config is not None:
            spec["build_config"] = build_config
        return _legacy(spec) if legacy else spec
    return _leaf_spec(type(layer).__name__, layer.get_config(), legacy)


def _input_layer_spec(batch_shape, dtype, name, legacy):
    spec = {"module": "keras.layers", "class_name": "InputLayer",
            "config": {"batch_shape": list(batch_shape), "dtype": dtype, "sparse": False, "ragged": False,
                       "name": name},
            "registered_name": None}
    return _legacy(spec) if legacy else spec


def _sequential_spec(model, legacy):
    layers = []
    input_layer = model._input_layer
    if input_layer is not None:
        layers.append(_input_layer_spec(input_layer.batch_input_shape, dtype_name(input_layer.dtype), input_layer.name, legacy))
    layers.extend(keras_spec(layer, legacy) for layer in model.layers)
    config = {"name": model.name, "trainable": model.trainable, "dtype": _policy(model.dtype.name), "layers": layers}
    if input_layer is not None:
        config["build_input_shape"] = list(input_layer.batch_input_shape)
    spec = {"module": "keras", "class_name": "Sequential", "config": config, "registered_name": None}
    if input_layer is not None:
        spec["build_config"] = {"input_shape": list(input_layer.batch_input_shape)}
    return _legacy(spec) if legacy else spec


def _functional_spec(model, legacy):
    from minidl.layers.input_layer import InputLayer
    from minidl.models.functional import Functional

    def tensor(symbol):
        name, node_index, tensor_index = model._address(symbol)
        if isinstance(symbol.layer, Functional):
            node_index += 1  # Keras 3 counts a nested functional model's built-in node
        return {"class_name": "__keras_tensor__",
                "config": {"shape": list(symbol.shape), "dtype": dtype_name(symbol.dtype),
                           "keras_history": [name, node_index, tensor_index]}}

    def address(symbol):
        return tensor(symbol)["config"]["keras_history"]

    entries = []
    for layer in model.layers:
        if isinstance(layer, InputLayer):
            spec = _input_layer_spec(layer.batch_input_shape, dtype_name(layer.dtype), layer.name, legacy)
            nodes = []
        else:
            spec = keras_spec(layer, legacy)
            nodes = []
            for node in model.nodes_of(layer):
                arguments = [tensor(symbol) for symbol in node.inputs]
                nodes.append({"args": [arguments] if node.several_inputs else arguments,
                              "kwargs": replace_symbols(node.kwargs, tensor)})
        spec["name"] = layer.name
        spec["inbound_nodes"] = nodes
        entries.append(spec)
    single_input = not isinstance(model._input_structure, (list, tuple, dict))
    single_output = not isinstance(model._output_structure, (list, tuple, dict))
    config = {
        "name": model.name, "trainable": model.trainable, "layers": entries,
        "input_layers": address(model.inputs[0]) if single_input else [address(s) for s in model.inputs],
        "output_layers": address(model.outputs[0]) if single_output else [address(s) for s in model.outputs],
    }
    spec = {"module": "keras.src.models.functional", "class_name": "Functional", "config": config,
            "registered_name": "Functional", "build_config": {"input_shape": None}}
    return _legacy(spec) if legacy else spec
