"""Find a layer class from its name, and rebuild layers and models from their configs.

Every class that subclasses ``Layer`` is found by walking ``Layer.__subclasses__()``
recursively, so a layer written anywhere (inside minidl, or by a user) is known as soon as its
module has been imported -- there is no list to keep up to date. ``custom_objects`` (a dict
name -> class) takes precedence, as in Keras.

``deserialize_layer`` accepts a layer or model spec in any of the dialects described in
``minidl.models.keras_config`` (minidl's own, Keras 2, Keras 3): the spec's config is first
translated into the arguments of the minidl class.
"""

import inspect

from minidl import custom_objects as registration
from minidl.layers.base import Layer

# Names Keras writes for functional models; they all mean our Functional class.
_ALIASES = {"Model": "Functional"}


def _all_layer_classes():
    found = []
    stack = [Layer]
    seen = set()
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            if sub not in seen:
                seen.add(sub)
                found.append(sub)
                stack.append(sub)
    return found


def _import_builtin_layers():
    """Make sure minidl's own layers and models are imported (and hence registered)."""
    import importlib
    import pkgutil

    import minidl.layers
    import minidl.models  # noqa: F401  (Sequential, Functional)

    for module in pkgutil.iter_modules(minidl.layers.__path__):
        importlib.import_module(f"minidl.layers.{module.name}")


def get_layer_class(class_name, custom_objects=None, registered_name=None):
    """The Layer subclass called ``class_name``; a clear error if none or several match.

    A class given in ``custom_objects``, an open ``custom_object_scope`` or registered with
    ``register_keras_serializable`` (under the spec's ``registered_name``, ``'package>Name'``)
    comes first, as in Keras; then every imported Layer subclass of that name."""
    for name in (registered_name, class_name):
        found = registration.get_registered_object(name, custom_objects)
        if isinstance(found, type) and issubclass(found, Layer):
            return found
    _import_builtin_layers()
    wanted = _ALIASES.get(class_name, class_name)
    matches = [cls for cls in _all_layer_classes() if cls.__name__ == wanted]
    if not matches:
        raise ValueError(
            f"unknown layer class {class_name!r}: no imported Layer subclass has this name. "
            "Import the module that defines it, or pass custom_objects={'" + class_name + "': TheClass}"
        )
    own = [cls for cls in matches if cls.__module__.startswith("minidl.")]
    if len(own) == 1:
        return own[0]
    if len(matches) == 1:
        return matches[0]
    if registered_name is not None:  # saved unregistered: not a class registered under a package
        unregistered = [cls for cls in matches if ">" not in registration.get_registered_name(cls)]
        if ">" not in registered_name and len(unregistered) == 1:
            return unregistered[0]
    where = sorted(f"{cls.__module__}.{cls.__name__}" for cls in matches)
    raise ValueError(
        f"layer class name {class_name!r} is ambiguous ({where}); pass custom_objects to choose one"
    )


def serialize_layer(layer):
    """``{'class_name': ..., 'config': ...}`` as Keras writes a layer into model JSON; objects in
    a user's config (a sublayer, a regularizer, a function) are serialized too."""
    from minidl.models.serialization import serialize_keras_object

    return {"class_name": type(layer).__name__, "config": serialize_keras_object(layer.get_config())}


def deserialize_layer(spec, custom_objects=None):
    """Rebuild a layer (or a nested model) from ``serialize_layer``'s output or a Keras spec."""
    from minidl.models.keras_config import normalize_config

    if not isinstance(spec, dict) or not isinstance(spec.get("class_name"), str):
        raise ValueError(f"expected a layer description {{'class_name': ..., 'config': ...}}, got {_short(spec)}")
    registered_name = spec.get("registered_name")
    with registration.custom_object_scope(custom_objects):  # nested activations, losses, layers see them
        cls = get_layer_class(spec["class_name"], custom_objects,
                              registered_name if isinstance(registered_name, str) else None)
        config = normalize_config(cls, spec, custom_objects)
        if "custom_objects" in inspect.signature(cls.from_config).parameters:
            rebuilt = cls.from_config(config, custom_objects=custom_objects)
        else:
            rebuilt = cls.from_config(config)
    _build_from_config(rebuilt, spec.get("build_config"))
    return rebuilt


def _build_from_config(layer, build_config):
    """A user's layer or subclassed model saved built (Keras 3's ``build_config``) is built
    again through its ``build_from_config`` (by default ``build(input_shape)``; a subclassed
    model runs once on zeros), so that its weights exist for the file's to be loaded into."""
    if not isinstance(build_config, dict) or layer.built or type(layer).__module__.startswith("minidl."):
        return
    layer.build_from_config(build_config)


def _short(value):
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."
