"""Any Keras object as JSON and back: ``keras.saving.serialize_keras_object`` /
``deserialize_keras_object`` and ``keras.layers.serialize`` / ``deserialize``.

An object becomes Keras 3's form ``{"module", "class_name", "config", "registered_name"}``:
layers (a built-in one in the dialect :mod:`minidl.models.keras_config` writes; a user's
with ``module: None`` and its registered name, ``"package>Name"`` or the class name),
initializers, regularizers, losses, metrics and optimizers; a function becomes ``{"module":
"builtins", "class_name": "function", "config": <its registered name>}``; a NumPy array
``{"class_name": "__numpy__", ...}``. Lists, tuples and dicts are serialized item by item;
plain values stay as they are. A user's layer's ``get_config`` may therefore hold other
layers, regularizers or functions, as Keras's guide on serialization writes them.

Reading does the reverse; a config's inner values are handed to the class's ``from_config``
as they are, as in Keras (a layer taking a sublayer deserializes it in its ``from_config``).
"""

import numpy as np

from minidl import custom_objects as registration
from minidl import initializers, losses, metrics, optimizers, regularizers
from minidl.layers.base import Layer
from minidl.ops.activations import get_activation

# (base class, Keras module, minidl module with a ``serialize``/``get``) for the objects with a config.
_FAMILIES = [
    (initializers.Initializer, "keras.initializers", initializers),
    (regularizers.Regularizer, "keras.regularizers", regularizers),
    (losses.Loss, "keras.losses", losses),
    (metrics.Metric, "keras.metrics", metrics),
    (optimizers.Optimizer, "keras.optimizers", optimizers),
]
_MODULES = {keras_module: module for _, keras_module, module in _FAMILIES}


def _is_builtin(obj):
    return type(obj).__module__.startswith("minidl.")


def _registered_class_name(cls):
    registered = registration.get_registered_name(cls)
    return registered if ">" in registered else cls.__name__


def serialize_keras_object(obj):
    """``obj`` in Keras 3's JSON form (see the module docstring)."""
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return {"class_name": "__numpy__", "config": {"value": obj.tolist(), "dtype": str(obj.dtype)}}
    if isinstance(obj, (list, tuple)):
        return type(obj)(serialize_keras_object(item) for item in obj)
    if isinstance(obj, dict):
        return {key: serialize_keras_object(value) for key, value in obj.items()}
    if isinstance(obj, Layer):
        return serialize_layer(obj)
    for base, keras_module, module in _FAMILIES:
        if isinstance(obj, base):
            return _serialize_with_config(obj, keras_module, module)
    if callable(obj) and not isinstance(obj, type):
        return {"module": "builtins", "class_name": "function", "config": registration.get_registered_name(obj),
                "registered_name": "function"}
    raise TypeError(f"serialize_keras_object: cannot serialize {obj!r:.80} ({type(obj).__name__}); expected a "
                    "layer, initializer, regularizer, loss, metric, optimizer, function, array or plain value")


def _serialize_with_config(obj, keras_module, module):
    if _is_builtin(obj):
        serialized = module.serialize(obj)
        if isinstance(serialized, str):  # a named metric or loss: Keras writes its name
            return serialized
        return {"module": keras_module, "class_name": serialized["class_name"],
                "config": serialize_keras_object(serialized.get("config") or {}), "registered_name": None}
    return {"module": None, "class_name": type(obj).__name__, "config": serialize_keras_object(obj.get_config()),
            "registered_name": _registered_class_name(type(obj))}


def serialize_layer(layer):
    """A layer or model as Keras 3 writes it: a built-in one in Keras's dialect, a user's one
    with its config's values serialized and its registered name."""
    from minidl.models.keras_config import keras_spec

    if _is_builtin(layer) or _is_builtin_model_config(layer):
        return keras_spec(layer)
    return serialize_user_layer(layer)


def serialize_user_layer(layer):
    """A user's layer: its ``get_config()`` with each value serialized (a sublayer, regularizer or
    function in it included), ``module: None`` and its registered name, as Keras 3 writes it."""
    config = serialize_keras_object(layer.get_config())
    if isinstance(config.get("dtype"), str):
        config["dtype"] = {"module": "keras", "class_name": "DTypePolicy", "config": {"name": config["dtype"]},
                           "registered_name": None}
    return {"module": None, "class_name": type(layer).__name__, "config": config,
            "registered_name": _registered_class_name(type(layer))}


def _is_builtin_model_config(model):
    """A user's subclass of Sequential or a functional Model that keeps the built-in config."""
    from minidl.models.functional import Functional
    from minidl.models.sequential import Sequential

    return isinstance(model, (Functional, Sequential)) and type(model).get_config in (
        Functional.get_config, Sequential.get_config)


def deserialize_keras_object(config, custom_objects=None):
    """The object ``config`` describes (the reverse of :func:`serialize_keras_object`)."""
    if config is None or isinstance(config, (bool, int, float)):
        return config
    if isinstance(config, str):
        return _named_object(config, custom_objects)
    if isinstance(config, (list, tuple)):
        return type(config)(deserialize_keras_object(item, custom_objects) for item in config)
    if not isinstance(config, dict):
        raise TypeError(f"deserialize_keras_object: expected a dict, list or name, got {type(config).__name__}")
    class_name = config.get("class_name")
    if class_name is None:
        return {key: deserialize_keras_object(value, custom_objects) for key, value in config.items()}
    if class_name == "__numpy__":
        inner = config.get("config") or {}
        return np.asarray(inner.get("value"), dtype=inner.get("dtype"))
    if class_name == "function":
        return _named_object(config.get("config"), custom_objects)
    with registration.custom_object_scope(custom_objects):
        module = _MODULES.get(config.get("module"))
        if module is not None:
            return module.get({"class_name": class_name, "config": config.get("config") or {}})
        registered = registration.get_registered_object(config.get("registered_name") or class_name, custom_objects)
        if isinstance(registered, type) and not issubclass(registered, Layer):
            return registered.from_config(config.get("config") or {})
        from minidl.models import registry

        return registry.deserialize_layer(config, custom_objects)


def _named_object(name, custom_objects):
    """A function or object saved by name: a registered/custom one, else a built-in activation."""
    found = registration.get_registered_object(name, custom_objects)
    if found is not None:
        return found
    try:
        return get_activation(name)
    except ValueError:
        raise ValueError(f"deserialize_keras_object: unknown object name {name!r}; register it with "
                         "register_keras_serializable or pass custom_objects={name: object}") from None
