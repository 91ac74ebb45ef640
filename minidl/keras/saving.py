"""``keras.saving`` (Keras 3): loading and saving models, the custom-object registry, and
``serialize_keras_object`` / ``deserialize_keras_object`` for any Keras object."""

from minidl.custom_objects import (
    CustomObjectScope,
    custom_object_scope,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
)
from minidl.models import load_model, save_model
from minidl.models.serialization import deserialize_keras_object, serialize_keras_object

__all__ = [
    "CustomObjectScope", "custom_object_scope", "deserialize_keras_object", "get_custom_objects",
    "get_registered_name", "get_registered_object", "load_model", "register_keras_serializable", "save_model",
    "serialize_keras_object",
]
