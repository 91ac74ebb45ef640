"""``minidl.keras``: a namespace shaped like ``keras`` / ``tf.keras``, over minidl's own objects.

Lab code written for Keras runs after changing its imports::

    import minidl.keras as keras                     # was: import keras / from tensorflow import keras
    from minidl.keras.layers import Dense, LSTM      # was: from keras.layers import Dense, LSTM
    model = keras.Sequential([keras.Input(shape=(784,)), Dense(10, activation="softmax")])

Everything here *is* minidl: ``keras.layers.Dense is minidl.layers.Dense``, ``keras.Model is
minidl.models.Model``; the face adds Keras's module paths (including Keras 2's
``keras.layers.core``, ``keras.utils.np_utils``, ...), its aliases and a few adapters (the
``backend`` functions, ``keras.ops``). What Keras has and minidl does not is listed, with the
nearest minidl call, in ``docs/keras_coverage.md``.
"""

from minidl.initializers import Initializer
from minidl.keras import (
    activations,
    applications,
    backend,
    callbacks,
    config,
    datasets,
    distribution,
    initializers,
    layers,
    losses,
    metrics,
    models,
    ops,
    optimizers,
    preprocessing,
    random,
    regularizers,
    saving,
    utils,
)
from minidl.keras import unsupported as _unsupported
from minidl.keras.ops import Variable
from minidl.layers.base import Layer
from minidl.layers.input_layer import Input, InputLayer
from minidl.losses import Loss
from minidl.metrics import Metric
from minidl.models import Model, Sequential
from minidl.optimizers import Optimizer
from minidl.regularizers import Regularizer

__version__ = "2.15.0"  # the tf.keras API level this face follows (TensorFlow 2's Keras 2)

__all__ = [
    "Initializer", "Input", "InputLayer", "Layer", "Loss", "Metric", "Model", "Optimizer", "Regularizer", "Sequential", "Variable",
    "activations", "applications", "backend", "callbacks", "config", "datasets", "distribution", "initializers", "layers", "losses", "metrics",
    "models", "ops", "optimizers", "preprocessing", "random", "regularizers", "saving", "utils",
]


__getattr__ = _unsupported.attribute_hook(__name__)  # a Keras name minidl lacks: say so, and what instead
