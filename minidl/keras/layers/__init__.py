"""``keras.layers``: minidl's layers under Keras's names and aliases.

The classes are minidl's own (``minidl.keras.layers.Dense is minidl.layers.Dense``). Keras 2's
module paths (``keras.layers.core``, ``keras.layers.convolutional``, ...) are submodules here
too, for code that imports from them. What Keras has and minidl does not is listed in
``docs/keras_coverage.md``.
"""

import minidl.layers as _minidl_layers
from minidl.keras import unsupported as _unsupported
from minidl.keras._export import export as _export
from minidl.keras.layers import experimental
from minidl.layers.conv1d_transpose import Convolution1DTranspose
from minidl.layers.convolutional import Convolution1D, Convolution2D, Convolution2DTranspose, Deconvolution2D
from minidl.layers.depthwise_convolutional import SeparableConvolution1D, SeparableConvolution2D
from minidl.layers.lambda_layer import TFOpLambda
from minidl.layers.merge import Average, Dot, Maximum, Minimum, Multiply, Subtract
from minidl.layers.pooling import (
    AvgPool1D,
    AvgPool2D,
    GlobalAvgPool1D,
    GlobalAvgPool2D,
    GlobalMaxPool1D,
    GlobalMaxPool2D,
    MaxPool1D,
    MaxPool2D,
)
from minidl.models import registry as _registry
from minidl.models import serialization as _serialization

__all__ = _export(_minidl_layers, globals()) + [
    "AvgPool1D", "AvgPool2D", "Convolution1D", "Convolution1DTranspose", "Convolution2D", "Convolution2DTranspose",
    "Deconvolution2D", "GlobalAvgPool1D", "GlobalAvgPool2D", "GlobalMaxPool1D", "GlobalMaxPool2D", "MaxPool1D",
    "MaxPool2D", "SeparableConvolution1D", "SeparableConvolution2D", "TFOpLambda", "average", "deserialize", "dot",
    "experimental", "maximum", "minimum", "multiply", "serialize", "subtract",
]


def serialize(layer):
    """``keras.layers.serialize``: a layer as Keras 3's ``{"module", "class_name", "config",
    "registered_name"}`` (a user's layer's config values serialized too)."""
    return _serialization.serialize_keras_object(layer)


def deserialize(config, custom_objects=None):
    """``keras.layers.deserialize``: the layer ``config`` describes, its class found among
    minidl's layers, ``custom_objects`` and the registered custom objects."""
    return _registry.deserialize_layer(config, custom_objects)


# Keras's functional forms of the merge layers: ``multiply([a, b])`` is ``Multiply()([a, b])``.
def subtract(inputs, **kwargs):
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    return Minimum(**kwargs)(inputs)


def dot(inputs, axes, normalize=False, **kwargs):
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)


__getattr__ = _unsupported.attribute_hook(__name__)  # a Keras name minidl lacks: say so, and what instead
