"""The registry of user-defined objects that configurations name: Keras's custom objects.

A saved model or a config names its parts: ``"activation": "my_package>custom_fn"``,
``"loss": "my_loss"``, a layer's ``"class_name"``. minidl's own names are resolved by each
module (``minidl.losses.get``, ``get_activation``, ...); a name none of them knows is looked up
here, in this order, as Keras 3 does:

1. the dicts of the open ``custom_object_scope`` blocks, innermost first (``load_model(...,
   custom_objects=...)`` and ``from_config(config, custom_objects)`` open one for the time
   they rebuild a model, so every nested activation, loss or layer sees them);
2. the objects registered with ``register_keras_serializable(package, name)``, under
   ``"package>name"``;
3. for a ``"package>name"`` absent from both, its plain ``name`` in the scopes -- so a file
   saved with a registered function loads with ``custom_objects={"custom_fn": custom_fn}`` too;
   and, for functions only (``plain_names=True``), a plain name finds the one registered
   ``"package>name"`` with that name.

Plain Python, no minidl imports: every layer of the package may consult it.
"""

import contextlib
import threading

_REGISTERED = {}  # "package>name" -> class or function
_NAMES = {}  # id(object) -> "package>name", for serializing registered objects
_SCOPES = threading.local()


def get_custom_objects():
    """The process-wide dict of registered objects (``"package>name"`` -> object), as Keras's:
    mutating it (``.clear()``, ``[name] = obj``) changes what loading finds."""
    return _REGISTERED


def register_keras_serializable(package="Custom", name=None):
    """Decorator registering a class or function under ``"package>name"`` (``name`` defaults
    to the object's ``__name__``), so configs that name it can be rebuilt."""
    if not isinstance(package, str) or ">" in package:
        raise ValueError(f"register_keras_serializable: package must be a string without '>', got {package!r}")

    def decorate(obj):
        registered = f"{package}>{name or obj.__name__}"
        _REGISTERED[registered] = obj
        _NAMES[id(obj)] = registered
        return obj

    return decorate


def _open_scopes():
    if not hasattr(_SCOPES, "stack"):
        _SCOPES.stack = []
    return _SCOPES.stack


@contextlib.contextmanager
def custom_object_scope(*scopes):
    """Within the block, the given ``{name: object}`` dicts are known by name when configs are
    rebuilt (Keras's ``custom_object_scope`` / ``CustomObjectScope``)."""
    merged = {}
    for scope in scopes:
        if scope is None:
            continue
        if not isinstance(scope, dict):
            raise TypeError(f"custom_object_scope: expected dicts of name -> object, got {type(scope).__name__}")
        merged.update(scope)
    stack = _open_scopes()
    stack.append(merged)
    try:
        yield merged
    finally:
        stack.remove(merged)


CustomObjectScope = custom_object_scope


def get_registered_object(name, custom_objects=None, module_objects=None, plain_names=False):
    """The object a config names ``name`` by, or None (see the module docstring for the order).

    ``plain_names`` lets a name without a package find a registered ``"package>name"`` when
    only one has that name: for functions saved by their ``__name__`` (activations, losses and
    metrics in files written before registration, or by Keras 2); classes are found by name
    among the imported Layer subclasses instead."""
    if not isinstance(name, str):
        return None
    for scope in [custom_objects or {}, *reversed(_open_scopes())]:
        if name in scope:
            return scope[name]
    if name in _REGISTERED:
        return _REGISTERED[name]
    if ">" in name:
        plain = name.rsplit(">", 1)[1]
        for scope in [custom_objects or {}, *reversed(_open_scopes())]:
            if plain in scope:
                return scope[plain]
    elif plain_names:
        matches = [obj for key, obj in _REGISTERED.items() if key.rsplit(">", 1)[1] == name]
        if len(matches) == 1:
            return matches[0]
    if module_objects and name in module_objects:
        return module_objects[name]
    return None


def get_registered_name(obj):
    """The name ``obj`` is saved under: ``"package>name"`` when registered, else its ``__name__``."""
    registered = _NAMES.get(id(obj))
    if registered is not None and _REGISTERED.get(registered) is obj:
        return registered
    return getattr(obj, "__name__", type(obj).__name__)
