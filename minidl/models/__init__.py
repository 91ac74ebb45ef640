"""Keras-style models: ``Sequential``, the functional ``Model(inputs, outputs)``, training
(compile / fit / evaluate / predict), ``summary()``, and saving/loading in minidl's and Keras's
file formats (see ``minidl.models.saving``)."""

from minidl.errors import ModelFileError
from minidl.models.cloning import clone_model
from minidl.models.functional import Functional
from minidl.models.model import Model
from minidl.models.saving import (
    load_model,
    load_weights,
    model_from_config,
    model_from_json,
    save_model,
    save_weights,
)
from minidl.models.sequential import Sequential

__all__ = [
    "Functional", "Model", "ModelFileError", "Sequential", "clone_model", "load_model", "load_weights", "model_from_config",
    "model_from_json", "save_model", "save_weights",
]
