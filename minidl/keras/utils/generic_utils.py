"""Keras's registry of custom objects and small process-wide settings.

``register_keras_serializable`` and ``custom_object_scope`` make user classes (layers, losses,
metrics) known by name when a model is loaded: minidl finds Layer subclasses by name already,
and the objects registered here are passed to ``load_model`` as ``custom_objects`` by default.
"""

import contextlib

from minidl.runtime import backend

_CUSTOM_OBJECTS = {}


def get_custom_objects():
    """The global dict of registered custom objects (name -> class or function)."""
    return _CUSTOM_OBJECTS


def register_keras_serializable(package="Custom", name=None):
    """Decorator registering a class or function under ``package>name`` and under its own name."""
    def decorate(obj):
        registered = name or obj.__name__
        _CUSTOM_OBJECTS[f"{package}>{registered}"] = obj
        _CUSTOM_OBJECTS[registered] = obj
        return obj

    return decorate


@contextlib.contextmanager
def custom_object_scope(*scopes):
    """Within the block, the given ``{name: object}`` dicts are registered custom objects."""
    saved = dict(_CUSTOM_OBJECTS)
    for scope in scopes:
        _CUSTOM_OBJECTS.update(scope or {})
    try:
        yield _CUSTOM_OBJECTS
    finally:
        _CUSTOM_OBJECTS.clear()
        _CUSTOM_OBJECTS.update(saved)


CustomObjectScope = custom_object_scope


def set_random_seed(seed):
    """Seed Python's, NumPy's and minidl's generators (and minidl.tf's), as Keras does."""
    from minidl.tf import random as tf_random

    tf_random.set_seed(int(seed))
    backend.set_seed(int(seed))


def disable_interactive_logging():
    """Accepted: minidl's progress bars follow each call's ``verbose``."""


def enable_interactive_logging():
    """Accepted: minidl's progress bars follow each call's ``verbose``."""
