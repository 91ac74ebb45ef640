"""``keras.saving`` (Keras 3): loading and saving models, and the custom-object registry."""

from minidl.keras.utils.generic_utils import (
    custom_object_scope,
    get_custom_objects,
    register_keras_serializable,
)
from minidl.models import load_model, save_model

__all__ = ["custom_object_scope", "get_custom_objects", "load_model", "register_keras_serializable", "save_model"]
