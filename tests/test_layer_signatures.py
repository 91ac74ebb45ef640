"""Every public layer shows its real signature, documents it, and refuses bad arguments clearly.

``help(minidl.layers.LSTM)`` must list every argument the layer has, with its Keras default and
a type hint; ``**kwargs`` may carry only the base-layer arguments (name, trainable, dtype,
input_shape, batch_input_shape, input_dim, input_length). A bad value fails in the constructor
with a message naming the layer, the argument and the value received.
"""

import inspect
import json
import subprocess
import sys

import numpy as np
import pytest

import minidl
from minidl import layers
from minidl.layers import Layer

BASE_CONFIG_KEYS = {"name", "trainable", "dtype", "batch_input_shape"}
NOT_CONSTRUCTED_BY_USERS = {"Layer", "InputLayer"}  # the base class; Input() builds InputLayer

# The required arguments of each layer that has some; a layer missing here with required
# arguments fails test_every_layer_has_an_example, so new layers get covered.
EXAMPLE_ARGUMENTS = {
    "Activation": {"activation": "relu"},
    "BaseRNN": {"units": 2},
    "Bidirectional": lambda: {"layer": layers.LSTM(2)},  # a fresh layer each time
    "Conv1D": {"filters": 2, "kernel_size": 3},
    "Conv2D": {"filters": 2, "kernel_size": 3},
    "Conv2DTranspose": {"filters": 2, "kernel_size": 3},
    "Dense": {"units": 3},
    "Dropout": {"rate": 0.5},
    "Embedding": {"input_dim": 10, "output_dim": 3},
    "GaussianDropout": {"rate": 0.5},
    "GaussianNoise": {"stddev": 0.1},
    "GRU": {"units": 2},
    "Lambda": {"function": abs},
    "LSTM": {"units": 2},
    "Permute": {"dims": (2, 1)},
    "RepeatVector": {"n": 3},
    "Rescaling": {"scale": 1 / 255},
    "Reshape": {"target_shape": (2, -1)},
    "SimpleRNN": {"units": 2},
    "SpatialDropout1D": {"rate": 0.5},
    "TimeDistributed": lambda: {"layer": layers.Dense(2)},
    "AlphaDropout": {"rate": 0.1},
    "CategoryEncoding": {"num_tokens": 3},
    "CenterCrop": {"height": 2, "width": 3},
    "Conv1DTranspose": {"filters": 2, "kernel_size": 3},
    "DepthwiseConv1D": {"kernel_size": 3},
    "DepthwiseConv2D": {"kernel_size": 3},
    "Discretization": {"num_bins": 3},
    "Dot": {"axes": 1},
    "GRUCell": {"units": 2},
    "Hashing": {"num_bins": 4, "output_mode": "count"},  # an int output needs an integer dtype, as in Keras
    "LSTMCell": {"units": 2},
    "MultiHeadAttention": {"num_heads": 2, "key_dim": 3},
    "RandomBrightness": {"factor": 0.2},
    "RandomContrast": {"factor": 0.2},
    "RandomCrop": {"height": 2, "width": 3},
    "RandomRotation": {"factor": 0.1},
    "RandomTranslation": {"height_factor": 0.1, "width_factor": 0.2},
    "RandomZoom": {"height_factor": 0.1},
    "Resizing": {"height": 2, "width": 3},
    "RNN": lambda: {"cell": layers.LSTMCell(2)},
    "SeparableConv1D": {"filters": 2, "kernel_size": 3},
    "SeparableConv2D": {"filters": 2, "kernel_size": 3},
    "SimpleRNNCell": {"units": 2},
    "SpatialDropout2D": {"rate": 0.5},
    "StackedRNNCells": lambda: {"cells": [layers.LSTMCell(2), layers.GRUCell(3)]},
}


def public_layer_classes():
    classes = []
    for name in layers.__all__:
        value = getattr(layers, name)
        if inspect.isclass(value) and issubclass(value, Layer) and name not in NOT_CONSTRUCTED_BY_USERS:
            classes.append(value)
    return classes


LAYER_CLASSES = public_layer_classes()
LAYER_IDS = [cls.__name__ for cls in LAYER_CLASSES]


def example_arguments(cls):
    arguments = EXAMPLE_ARGUMENTS.get(cls.__name__, {})
    return arguments() if callable(arguments) else dict(arguments)


def make(cls, **extra):
    return cls(**example_arguments(cls), **extra)


def own_parameters(cls):
    """The named parameters of the layer's own constructor (no *args/**kwargs); none for a layer
    such as Add that has only the base-layer arguments."""
    if cls.__init__ is Layer.__init__:
        return []
    return [p for p in inspect.signature(cls).parameters.values()
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]


@pytest.mark.parametrize("cls", LAYER_CLASSES, ids=LAYER_IDS)
def test_every_layer_has_an_example(cls):
    required = {p.name for p in own_parameters(cls) if p.default is inspect.Parameter.empty}
    missing = required - set(example_arguments(cls))
    assert not missing, f"add {cls.__name__}'s required arguments {sorted(missing)} to EXAMPLE_ARGUMENTS"


@pytest.mark.parametrize("cls", LAYER_CLASSES, ids=LAYER_IDS)
def test_signature_names_every_argument_the_layer_keeps(cls):
    """Nothing the layer stores in its config hides behind **kwargs."""
    named = {p.name for p in own_parameters(cls)}
    config_keys = set(make(cls).get_config()) - BASE_CONFIG_KEYS
    hidden = config_keys - named
    assert not hidden, f"{cls.__name__}'s signature {inspect.signature(cls)} hides {sorted(hidden)}"


@pytest.mark.parametrize("cls", LAYER_CLASSES, ids=LAYER_IDS)
def test_every_argument_has_a_type_hint(cls):
    unannotated = [p.name for p in own_parameters(cls) if p.annotation is inspect.Parameter.empty]
    assert not unannotated, f"{cls.__name__}: no type hint on {unannotated}"


@pytest.mark.parametrize("cls", LAYER_CLASSES, ids=LAYER_IDS)
def test_docstring_describes_every_argument(cls):
    doc = inspect.getdoc(cls) or ""
    assert len(doc) > 40, f"{cls.__name__} has no real docstring"
    if cls is layers.BaseRNN:
        doc = inspect.getdoc(layers.LSTM)  # BaseRNN points there
    undocumented = [p.name for p in own_parameters(cls) if p.name not in doc]
    assert not undocumented, f"{cls.__name__}'s docstring does not mention {undocumented}"


@pytest.mark.parametrize("cls", LAYER_CLASSES, ids=LAYER_IDS)
def test_only_base_layer_arguments_travel_in_kwargs(cls):
    layer = make(cls, name="custom_name", trainable=False, dtype="float64")
    assert (layer.name, layer.trainable, layer.dtype) == ("custom_name", False, np.float64)
    with pytest.raises(TypeError, match=rf"{cls.__name__}: unexpected argument\(s\) \['not_an_argument'\]"):
        make(cls, not_an_argument=1)


@pytest.mark.parametrize("cls", LAYER_CLASSES, ids=LAYER_IDS)
def test_config_round_trip(cls):
    config = make(cls).get_config()
    assert cls.from_config(config).get_config() == config


@pytest.mark.parametrize("factory, inputs", [
    (lambda: layers.Dense(3), np.zeros((2, 4), np.float32)),
    (lambda: layers.Embedding(10, 3), np.zeros((2, 5), np.int64)),
    (lambda: layers.SimpleRNN(2), np.zeros((2, 3, 4), np.float32)),
    (lambda: layers.LSTM(2), np.zeros((2, 3, 4), np.float32)),
    (lambda: layers.GRU(2), np.zeros((2, 3, 4), np.float32)),
    (lambda: layers.Conv1D(2, 3), np.zeros((1, 5, 2), np.float32)),
    (lambda: layers.Conv2D(2, 3), np.zeros((1, 5, 5, 2), np.float32)),
    (lambda: layers.Conv2DTranspose(2, 3), np.zeros((1, 5, 5, 2), np.float32)),
    (lambda: layers.BatchNormalization(), np.zeros((2, 4), np.float32)),
    (lambda: layers.Bidirectional(layers.LSTM(2)), np.zeros((2, 3, 4), np.float32)),
], ids=["Dense", "Embedding", "SimpleRNN", "LSTM", "GRU", "Conv1D", "Conv2D", "Conv2DTranspose",
        "BatchNormalization", "Bidirectional"])
def test_docstring_names_the_weights_in_keras_order(factory, inputs):
    layer = factory()
    layer(inputs)
    doc = inspect.getdoc(type(layer))
    names = [weight.name.split("/")[-1] for weight in layer.weights]
    positions = [doc.find(f"``{name}``") if f"``{name}``" in doc else doc.find(name) for name in names]
    assert all(position >= 0 for position in positions), f"{type(layer).__name__}: {names} not all in the docstring"
    distinct = list(dict.fromkeys(names))  # Bidirectional repeats the wrapped layer's names
    first = [positions[names.index(name)] for name in distinct]
    assert first == sorted(first), f"{type(layer).__name__}: docstring order differs from weights {names}"


def test_help_shows_lstm_arguments_with_keras_defaults():
    text = str(inspect.signature(layers.LSTM))
    for fragment in ("units: int", "activation: str | None = 'tanh'", "recurrent_activation: str | None = 'sigmoid'",
                     "unit_forget_bias: bool = True", "dropout: float = 0.0", "recurrent_dropout: float = 0.0",
                     "return_sequences: bool = False", "return_state: bool = False", "go_backwards: bool = False"):
        assert fragment in text, (fragment, text)


# -- bad values fail in the constructor, naming layer, argument and value ----------------------

BAD_ARGUMENTS = [
    (layers.Dense, {"units": 0}, "units", "0"),
    (layers.Dense, {"units": -3}, "units", "-3"),
    (layers.Dense, {"units": 2.5}, "units", "2.5"),
    (layers.Dense, {"units": "8"}, "units", "'8'"),
    (layers.Dense, {"units": True}, "units", "True"),
    (layers.Dense, {"units": 3, "activation": "relu7"}, "activation", "'relu7'"),
    (layers.Dense, {"units": 3, "use_bias": "no"}, "use_bias", "'no'"),
    (layers.Dense, {"units": 3, "kernel_initializer": "nope"}, "kernel_initializer", "'nope'"),
    (layers.Dense, {"units": 3, "bias_regularizer": "l3"}, "bias_regularizer", "'l3'"),
    (layers.Activation, {"activation": "swishy"}, "activation", "'swishy'"),
    (layers.Flatten, {"data_format": "channels_first"}, "data_format", "'channels_first'"),
    (layers.Reshape, {"target_shape": (0,)}, "target_shape", "(0,)"),
    (layers.Reshape, {"target_shape": (-1, -1)}, "target_shape", "(-1, -1)"),
    (layers.Reshape, {"target_shape": (2.5, 2)}, "target_shape", "(2.5, 2)"),
    (layers.Reshape, {"target_shape": 6}, "target_shape", "6"),
    (layers.Dropout, {"rate": 1}, "rate", "1"),
    (layers.Dropout, {"rate": -0.5}, "rate", "-0.5"),
    (layers.Dropout, {"rate": "0.5"}, "rate", "'0.5'"),
    (layers.Dropout, {"rate": 0.5, "noise_shape": "all"}, "noise_shape", "'all'"),
    (layers.SpatialDropout1D, {"rate": 1.5}, "rate", "1.5"),
    (layers.Embedding, {"input_dim": 0, "output_dim": 3}, "input_dim", "0"),
    (layers.Embedding, {"input_dim": 10, "output_dim": -1}, "output_dim", "-1"),
    (layers.Embedding, {"input_dim": 10, "output_dim": 3, "mask_zero": "yes"}, "mask_zero", "'yes'"),
    (layers.Embedding, {"input_dim": 10, "output_dim": 3, "input_length": 0}, "input_length", "0"),
    (layers.SimpleRNN, {"units": 0}, "units", "0"),
    (layers.SimpleRNN, {"units": 2, "dropout": 1.0}, "dropout", "1.0"),
    (layers.LSTM, {"units": 2, "recurrent_dropout": -0.1}, "recurrent_dropout", "-0.1"),
    (layers.LSTM, {"units": 2, "activation": "softsign"}, "activation", "'softsign'"),
    (layers.LSTM, {"units": 2, "recurrent_activation": "relu6"}, "recurrent_activation", "'relu6'"),
    (layers.LSTM, {"units": 2, "return_sequences": "yes"}, "return_sequences", "'yes'"),
    (layers.LSTM, {"units": 2, "unit_forget_bias": None}, "unit_forget_bias", "None"),
    (layers.LSTM, {"units": 2, "stateful": "yes"}, "stateful", "'yes'"),
    (layers.LSTM, {"units": 2, "recurrent_initializer": "nope"}, "recurrent_initializer", "'nope'"),
    (layers.GRU, {"units": 2, "reset_after": "x"}, "reset_after", "'x'"),
    (layers.Conv2D, {"filters": 0, "kernel_size": 3}, "filters", "0"),
    (layers.Conv2D, {"filters": 2, "kernel_size": 0}, "kernel_size", "0"),
    (layers.Conv2D, {"filters": 2, "kernel_size": (3,)}, "kernel_size", "(3,)"),
    (layers.Conv2D, {"filters": 2, "kernel_size": 3, "strides": 0}, "strides", "0"),
    (layers.Conv2D, {"filters": 2, "kernel_size": 3, "padding": "full"}, "padding", "'full'"),
    (layers.Conv2D, {"filters": 2, "kernel_size": 3, "data_format": "channels_first"}, "data_format",
     "'channels_first'"),
    (layers.Conv2D, {"filters": 2, "kernel_size": 3, "dilation_rate": 0}, "dilation_rate", "0"),
    (layers.Conv2D, {"filters": 2, "kernel_size": 3, "activation": "nope"}, "activation", "'nope'"),
    (layers.Conv1D, {"filters": 2, "kernel_size": 3, "padding": "full"}, "padding", "'full'"),
    (layers.Conv2DTranspose, {"filters": 2, "kernel_size": 3, "strides": 2, "output_padding": 2}, "output_padding",
     "(2, 2)"),
    (layers.MaxPooling2D, {"pool_size": 0}, "pool_size", "0"),
    (layers.MaxPooling2D, {"strides": (1, 2, 3)}, "strides", "(1, 2, 3)"),
    (layers.AveragePooling2D, {"padding": "full"}, "padding", "'full'"),
    (layers.MaxPooling1D, {"pool_size": 2.0}, "pool_size", "2.0"),
    (layers.AveragePooling1D, {"pool_size": 0}, "pool_size", "0"),
    (layers.GlobalAveragePooling2D, {"keepdims": "no"}, "keepdims", "'no'"),
    (layers.GlobalMaxPooling1D, {"data_format": "channels_middle"}, "data_format", "'channels_middle'"),
    (layers.UpSampling2D, {"size": 0}, "size", "0"),
    (layers.UpSampling2D, {"interpolation": "lanczos3"}, "interpolation", "'lanczos3'"),
    (layers.UpSampling1D, {"size": 0}, "size", "0"),
    (layers.ZeroPadding2D, {"padding": -1}, "padding", "-1"),
    (layers.ZeroPadding1D, {"padding": -1}, "padding", "(-1, -1)"),
    (layers.BatchNormalization, {"momentum": 1.5}, "momentum", "1.5"),
    (layers.BatchNormalization, {"epsilon": 0}, "epsilon", "0"),
    (layers.BatchNormalization, {"axis": "x"}, "axis", "'x'"),
    (layers.BatchNormalization, {"center": "yes"}, "center", "'yes'"),
    (layers.LeakyReLU, {"alpha": -1}, "alpha", "-1"),
    (layers.LeakyReLU, {"negative_slope": -1}, "negative_slope", "-1"),
    (layers.ReLU, {"max_value": -1}, "max_value", "-1"),
    (layers.ReLU, {"negative_slope": -1}, "negative_slope", "-1"),
    (layers.ReLU, {"threshold": "0"}, "threshold", "'0'"),
    (layers.ELU, {"alpha": "one"}, "alpha", "'one'"),
    (layers.Softmax, {"axis": 1.5}, "axis", "1.5"),
    (layers.Concatenate, {"axis": "last"}, "axis", "'last'"),
    (layers.Bidirectional, {"layer": "lstm"}, "layer", "str"),
]


@pytest.mark.parametrize("cls, kwargs, argument, shown", BAD_ARGUMENTS,
                         ids=[f"{cls.__name__}-{argument}-{shown}" for cls, _, argument, shown in BAD_ARGUMENTS])
def test_bad_argument_fails_naming_layer_argument_and_value(cls, kwargs, argument, shown):
    with pytest.raises((ValueError, TypeError)) as caught:
        cls(**kwargs)
    message = str(caught.value)
    assert f"({cls.__name__})" in message, message
    assert argument in message, message
    assert shown in message, message


def test_leaky_relu_with_two_slopes_is_refused():
    with pytest.raises(ValueError, match=r"\(LeakyReLU\): give the slope as alpha \(tf.keras\) or negative_slope"):
        layers.LeakyReLU(alpha=0.1, negative_slope=0.2)


def test_leaky_relu_takes_keras_3_negative_slope():
    assert layers.LeakyReLU(negative_slope=0.2).alpha == pytest.approx(0.2)


@pytest.mark.parametrize("cls, kwargs, expected", [
    (layers.Dense, {"units": 3, "input_shape": (4,)}, (None, 4)),
    (layers.Dense, {"units": 3, "input_dim": 4}, (None, 4)),
    (layers.Dense, {"units": 3, "batch_input_shape": (8, 4)}, (8, 4)),
    (layers.LSTM, {"units": 3, "input_shape": (10, 4)}, (None, 10, 4)),
    (layers.LSTM, {"units": 3, "input_dim": 4, "input_length": 10}, (None, 10, 4)),
    (layers.Embedding, {"input_dim": 100, "output_dim": 8, "input_length": 20}, (None, 20)),
    (layers.Conv2D, {"filters": 2, "kernel_size": 3, "input_shape": (28, 28, 1)}, (None, 28, 28, 1)),
])
def test_first_layer_input_declarations_stay_accepted(cls, kwargs, expected):
    assert cls(**kwargs).batch_input_shape == expected


# -- defaults match Keras's --------------------------------------------------------------------

# Where minidl deliberately follows tf.keras 2.x rather than Keras 3 (or Keras 3 has no default).
KERAS_3_DIFFERENCES = {
    ("AveragePooling1D", "pool_size"),  # tf.keras: 2; Keras 3: required
    ("AveragePooling2D", "pool_size"),  # tf.keras: (2, 2); Keras 3: required
    ("LeakyReLU", "negative_slope"),  # None: the slope is alpha's, 0.3 -- Keras 3's negative_slope default
}
EQUIVALENT_DATA_FORMATS = {None, "channels_last"}


def _keras_signatures(names):
    program = (
        "import inspect, json, sys\n"
        "import keras\n"
        "names = json.loads(sys.argv[1])\n"
        "result = {}\n"
        "for name in names:\n"
        "    cls = getattr(keras.layers, name, None)\n"
        "    if cls is None:\n"
        "        continue\n"
        "    result[name] = {p.name: repr(p.default) for p in inspect.signature(cls).parameters.values()\n"
        "                    if p.default is not inspect.Parameter.empty}\n"
        "print(json.dumps(result))\n"
    )
    completed = subprocess.run([sys.executable, "-c", program, json.dumps(names)], capture_output=True, text=True,
                               timeout=300)
    assert completed.returncode == 0, completed.stderr[-2000:]
    return json.loads(completed.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_defaults_equal_keras_defaults():
    pytest.importorskip("keras", reason="comparing defaults with Keras needs keras installed")
    keras_defaults = _keras_signatures([cls.__name__ for cls in LAYER_CLASSES])
    assert len(keras_defaults) >= 25, sorted(keras_defaults)
    differences = []
    for cls in LAYER_CLASSES:
        theirs = keras_defaults.get(cls.__name__)
        if theirs is None:
            continue
        for parameter in own_parameters(cls):
            if parameter.name not in theirs or (cls.__name__, parameter.name) in KERAS_3_DIFFERENCES:
                continue
            mine = parameter.default
            if parameter.name == "data_format" and mine in EQUIVALENT_DATA_FORMATS and \
                    theirs["data_format"] in ("None", "'channels_last'"):
                continue
            if mine is inspect.Parameter.empty or repr(mine) != theirs[parameter.name]:
                differences.append(f"{cls.__name__}.{parameter.name}: minidl {mine!r}, Keras {theirs[parameter.name]}")
    assert not differences, "\n".join(differences)
    assert keras_defaults["LeakyReLU"]["negative_slope"] == repr(layers.LeakyReLU().alpha)


# -- public functions ---------------------------------------------------------------------------

# Callables whose **kwargs are their documented meaning (forwarded to the wrapped function).
KWARGS_BY_DESIGN = {"LossFunctionWrapper", "MeanMetricWrapper"}


@pytest.mark.parametrize("module_name", ["minidl.ops", "minidl.losses", "minidl.metrics",
                                         "minidl.preprocessing.sequence", "minidl.preprocessing.text",
                                         "minidl.preprocessing.image"])
def test_public_functions_do_not_hide_arguments_in_kwargs(module_name):
    module = __import__(module_name, fromlist=["_"])
    names = getattr(module, "__all__", [n for n in dir(module) if not n.startswith("_")])
    hiding = []
    for name in names:
        value = getattr(module, name, None)
        if not (inspect.isfunction(value) or inspect.isclass(value)) or name in KWARGS_BY_DESIGN:
            continue
        if not getattr(value, "__module__", "").startswith("minidl") or inspect.isclass(value) and issubclass(
                value, (Layer, BaseException)):
            continue  # layers are checked above; exceptions take a message
        parameters = inspect.signature(value).parameters.values()
        if any(p.kind is p.VAR_KEYWORD for p in parameters):
            hiding.append(name)
    assert not hiding, f"{module_name}: {hiding} take **kwargs"


def test_layer_functions_forward_only_base_arguments():
    """``add`` and ``concatenate`` take the base-layer arguments in **kwargs, as Keras's do."""
    a, b = minidl.tensor(np.ones((2, 3), np.float32)), minidl.tensor(np.ones((2, 3), np.float32))
    assert layers.concatenate([a, b], axis=-1, name="joined").shape == (2, 6)
    with pytest.raises(TypeError, match="unexpected argument"):
        layers.add([a, b], axes=1)
