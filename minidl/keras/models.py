"""``keras.models``: minidl's model classes and saving functions under Keras's names."""

import minidl.models as _minidl_models
from minidl.keras._export import export as _export
from minidl.layers.input_layer import Input

__all__ = _export(_minidl_models, globals()) + ["Input"]
