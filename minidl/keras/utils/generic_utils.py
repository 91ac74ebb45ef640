"""Keras's registry of custom objects and small process-wide settings.

``register_keras_serializable`` and ``custom_object_scope`` make user classes and functions
(layers, activations, losses, metrics) known by name when a model or config is rebuilt; the
registry itself is ``minidl.custom_objects``, which every loader consults.
"""

from minidl.custom_objects import (  # noqa: F401 - Keras's names for the registry
    CustomObjectScope,
    custom_object_scope,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
)
from minidl.models.serialization import deserialize_keras_object, serialize_keras_object  # noqa: F401
from minidl.runtime import backend


def set_random_seed(seed):
    """Seed Python's, NumPy's and minidl's generators (and minidl.tf's), as Keras does."""
    from minidl.tf import random as tf_random

    tf_random.set_seed(int(seed))
    backend.set_seed(int(seed))


def disable_interactive_logging():
    """Accepted: minidl's progress bars follow each call's ``verbose``."""


def enable_interactive_logging():
    """Accepted: minidl's progress bars follow each call's ``verbose``."""
