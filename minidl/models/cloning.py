"""``clone_model``: the same architecture with fresh weights, as ``keras.models.clone_model``.

A clone is rebuilt from the model's config, layer by layer, so it shares nothing with the
original: its weights are newly initialised (copy them with ``clone.set_weights(
model.get_weights())``) and it is not compiled. ``clone_function(layer)`` returns the layer
to use in the clone (default: a new layer from ``layer.get_config()``), for a Sequential model;
for a functional model it is applied to every layer of the graph while the graph is rebuilt.
A subclassed model has no config to rebuild, as in Keras.
"""

from minidl.layers.input_layer import InputLayer
from minidl.models import registry


def _fresh_layer(layer):
    return registry.deserialize_layer(registry.serialize_layer(layer))


def clone_model(model, input_tensors=None, clone_function=None, **kwargs):
    """A new model with ``model``'s architecture and freshly initialised weights."""
    from minidl.models.functional import Functional
    from minidl.models.sequential import Sequential

    if kwargs:
        raise TypeError(f"clone_model: unexpected argument(s) {sorted(kwargs)} (Keras 3's call_function and "
                        "recursive are not supported)")
    if input_tensors is not None:
        raise ValueError("clone_model: input_tensors is not supported by minidl; clone the model, then call it on "
                         "new inputs: keras.Model(new_input, clone(new_input))")
    clone_function = clone_function or _fresh_layer
    if not callable(clone_function):
        raise TypeError(f"clone_model: clone_function must be a callable layer -> layer, got "
                        f"{type(clone_function).__name__}")
    if isinstance(model, Sequential):
        clone = Sequential([clone_function(layer) for layer in model.layers], name=model.name)
        shape = model.input_shape if model.built else None
        if shape is not None:
            clone.build(shape)
        return clone
    if isinstance(model, Functional):
        config = model.get_config()
        replacements = {}
        for layer in model.layers:
            if not isinstance(layer, InputLayer):
                replacements[layer.name] = clone_function(layer)
        return Functional.from_config(config, prebuilt_layers=replacements)
    raise ValueError(f"clone_model: expected a Sequential or functional model, got {type(model).__name__} (a "
                     "subclassed model has no config to rebuild; construct a new instance of its class instead)")


__all__ = ["clone_model"]
