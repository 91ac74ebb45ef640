"""``Lambda``: a layer made from a function, for the small steps that need no weights
(``Lambda(lambda x: x / 255.0)``, splitting or merging tensors, a sampling step).

The function receives the layer's input -- a tensor, or a list for several inputs -- plus the
``arguments`` dict as keyword arguments, and ``training`` when it has a parameter of that name.
Its output shape is found the way every minidl layer's is, by running it on a small probe, so
``output_shape`` is only needed by Keras's other backends and is accepted and checked here.

A Lambda is saved into a model's JSON by the function's import path, which works for functions
defined at the top level of a module; an anonymous ``lambda`` cannot be written (Keras pickles
its bytecode, which minidl does not do), and saving says so.
"""

import importlib
import inspect
from collections.abc import Callable

from minidl.layers.base import Layer


class Lambda(Layer):
    """A layer that computes ``function(inputs, **arguments)``; no weights.

    Arguments:
        function: the callable, taking a tensor (or a list of tensors) and returning one (or a list).
        output_shape: optional: the output shape of one sample, checked against the function's.
        mask: accepted for Keras compatibility.
        arguments: keyword arguments passed to ``function`` on every call.
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype``, ``input_shape``, ...).
    """

    def __init__(self, function: Callable, output_shape: tuple | Callable | None = None, mask: Callable | None = None,
                 arguments: dict | None = None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(f"{self.name} (Lambda): function must be callable, got {type(function).__name__}")
        self.function = function
        self.declared_output_shape = None if output_shape is None or callable(output_shape) else tuple(output_shape)
        self.mask = mask
        self.arguments = dict(arguments or {})
        self._passes_training = _accepts(function, "training")

    def call(self, inputs, training=False):
        keywords = dict(self.arguments)
        if self._passes_training:
            keywords["training"] = training
        outputs = self.function(inputs, **keywords)
        self._check_declared_shape(outputs)
        return outputs

    def _check_declared_shape(self, outputs):
        declared = self.declared_output_shape
        if declared is None or isinstance(outputs, (list, tuple)):
            return
        sample_shape = tuple(outputs.shape[1:])
        if len(declared) != len(sample_shape) or any(d is not None and d != s for d, s in zip(declared, sample_shape)):
            raise ValueError(
                f"{self.name} (Lambda): the function returned samples of shape {sample_shape} but output_shape="
                f"{declared} was declared"
            )

    def get_config(self):
        return {**super().get_config(), "function": _import_path(self), "output_shape": self.declared_output_shape,
                "arguments": self.arguments}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["function"] = _function_at(config["function"])
        return cls(**config)


def _accepts(function, name):
    try:
        return name in inspect.signature(function).parameters
    except (TypeError, ValueError):  # builtins without a signature
        return False


def _import_path(layer):
    function = layer.function
    module, name = getattr(function, "__module__", None), getattr(function, "__qualname__", "")
    if module is None or not name or "<" in name:
        raise ValueError(
            f"{layer.name} (Lambda): its function ({name or function!r}) has no import path, so the layer cannot be "
            "saved as JSON. Define the function at the top level of a module, write a Layer subclass, or save "
            "only the weights (save_weights) and rebuild the model in code"
        )
    return {"module": module, "name": name}


def _function_at(path):
    if not isinstance(path, dict) or "module" not in path or "name" not in path:
        raise ValueError(f"Lambda: expected the function as {{'module': ..., 'name': ...}}, got {path!r}")
    target = importlib.import_module(path["module"])
    for part in path["name"].split("."):
        target = getattr(target, part)
    return target


class TFOpLambda(Lambda):
    """A TensorFlow-style function (``tf.concat``, ``tf.reduce_mean``, ...) called on the symbolic
    tensors of a functional model, recorded as a layer named after the function, as in Keras 2."""
