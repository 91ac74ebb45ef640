"""Undefined (None) dimensions in a declared input shape.

minidl learns a layer's output shape for a functional or Sequential model by running it on a
zero batch; an axis declared as None is filled with made-up sizes for that. Those sizes must
neither size a weight nor show in a message. As in Keras (3.15, checked against it):

* a layer whose weights need the size of an undefined axis (Dense's features, a convolution's
  channels, an RNN's features, a normalisation axis, Flatten -> Dense of an image of unknown
  size, ...) is refused when the model is built, by a message naming the layer, the input shape
  as declared (None included) and what must be known;
* legitimately undefined axes (a sequence length, an image size before global pooling) build
  and run at any size.
"""

import re

import numpy as np
import pytest

from minidl import ops
from minidl.layers import (
    GRU,
    LSTM,
    RNN,
    Add,
    AdditiveAttention,
    BatchNormalization,
    Bidirectional,
    Concatenate,
    Conv1D,
    Conv1DTranspose,
    Conv2D,
    Conv2DTranspose,
    Dense,
    DepthwiseConv1D,
    DepthwiseConv2D,
    Embedding,
    Flatten,
    GlobalAveragePooling2D,
    GlobalMaxPooling1D,
    GroupNormalization,
    Input,
    Lambda,
    LayerNormalization,
    LSTMCell,
    MaxPooling2D,
    MultiHeadAttention,
    PReLU,
    Reshape,
    SeparableConv1D,
    SeparableConv2D,
    SimpleRNN,
    TimeDistributed,
)
from minidl.models import Model, Sequential

# The sizes minidl makes up for undefined axes (minidl.layers.base): none may appear in a message.
PROBE_SIZES = ("32", "64", "256", "512")


def assert_no_made_up_size(message):
    numbers = re.findall(r"(?<![\w.])\d+(?![\w.])", message)
    assert not set(numbers) & set(PROBE_SIZES), f"a made-up size in: {message}"


def functional(shape, *layers):
    inputs = x = Input(shape)
    for layer in layers:
        x = layer(x)
    return Model(inputs, x)


def refusal(build):
    with pytest.raises(ValueError) as raised:
        build()
    message = str(raised.value)
    assert_no_made_up_size(message)
    return message


# -- the tester's four cases ---------------------------------------------------------------------

def test_dense_on_an_undefined_feature_axis_is_refused_naming_the_declared_shape():
    message = refusal(lambda: Sequential([Dense(2, input_shape=(None,), name="dense")]))
    assert message == ("dense (Dense): the last axis (features) of the input must be defined to create the kernel; "
                       "got input shape (None, None)")


def test_dense_on_a_rank_3_input_with_undefined_features_is_refused():
    message = refusal(lambda: Sequential([Dense(2, input_shape=(4, None), name="d")]))
    assert message == ("d (Dense): the last axis (features) of the input must be defined to create the kernel; "
                       "got input shape (None, 4, None)")


def test_conv2d_on_undefined_channels_is_refused():
    message = refusal(lambda: Sequential([Conv2D(3, 3, input_shape=(8, 8, None), name="c")]))
    assert message == ("c (Conv2D): the last axis (channels) of the input must be defined to create the kernel; "
                       "got input shape (None, 8, 8, None)")


@pytest.mark.parametrize("style", ["functional", "sequential"])
def test_flatten_of_an_image_of_undefined_size_into_dense_is_refused_naming_flatten(style):
    def build():
        layers = [Conv2D(4, 3), Flatten(name="flat"), Dense(2, name="head")]
        if style == "functional":
            return functional((None, None, 1), *layers)
        return Sequential([Input((None, None, 1)), *layers])

    message = refusal(build)
    assert message == ("head (Dense): the last axis (features) of the input must be defined to create the kernel; "
                       "got input shape (None, None) (the output of flat (Flatten))")


# -- the rest of the class: every layer whose weights are sized by an input axis -----------------

REFUSED = {
    "conv1d": ((10, None), lambda: Conv1D(4, 3, name="l"), "l (Conv1D): the last axis (channels) of the input "
               "must be defined to create the kernel; got input shape (None, 10, None)"),
    "conv1d_transpose": ((10, None), lambda: Conv1DTranspose(4, 3, name="l"), "l (Conv1DTranspose): the last axis "
                         "(channels) of the input must be defined to create the kernel; got input shape (None, 10, None)"),
    "conv2d_transpose": ((8, 8, None), lambda: Conv2DTranspose(4, 3, name="l"), "l (Conv2DTranspose): the last axis "
                         "(channels) of the input must be defined to create the kernel; got input shape (None, 8, 8, None)"),
    "depthwise_conv2d": ((8, 8, None), lambda: DepthwiseConv2D(3, name="l"), "l (DepthwiseConv2D): the last axis "
                         "(channels) of the input must be defined to create the layer's weights; got input shape "
                         "(None, 8, 8, None)"),
    "depthwise_conv1d": ((8, None), lambda: DepthwiseConv1D(3, name="l"), "l (DepthwiseConv1D): the last axis "
                         "(channels) of the input must be defined to create the layer's weights; got input shape "
                         "(None, 8, None)"),
    "separable_conv2d": ((8, 8, None), lambda: SeparableConv2D(4, 3, name="l"), "l (SeparableConv2D): the last axis "
                         "(channels) of the input must be defined to create the layer's weights; got input shape "
                         "(None, 8, 8, None)"),
    "separable_conv1d": ((8, None), lambda: SeparableConv1D(4, 3, name="l"), "l (SeparableConv1D): the last axis "
                         "(channels) of the input must be defined to create the layer's weights; got input shape "
                         "(None, 8, None)"),
    "lstm": ((10, None), lambda: LSTM(4, name="l"), "l (LSTM): weight 'kernel' would have shape (None, 16): its size "
             "depends on axis 2 of the input, which is undefined (None) and must be known to create it; got input "
             "shape (None, 10, None)"),
    "gru": ((10, None), lambda: GRU(4, name="l"), "l (GRU): weight 'kernel' would have shape (None, 12): its size "
            "depends on axis 2 of the input, which is undefined (None) and must be known to create it; got input "
            "shape (None, 10, None)"),
    "simple_rnn": ((None, None), lambda: SimpleRNN(4, name="l"), "l (SimpleRNN): weight 'kernel' would have shape "
                   "(None, 4): its size depends on one of axes 1 and 2 of the input, which are undefined (None) and "
                   "must be known to create it; got input shape (None, None, None)"),
    "rnn_of_a_cell": ((10, None), lambda: RNN(LSTMCell(4, name="cell"), name="l"), "l (RNN), called on an input of "
                      "shape (None, 10, None) (float32): cell (LSTMCell): weight 'kernel' would have shape (None, 16): "
                      "its size depends on axis 1 of the input, which is undefined (None) and must be known to create "
                      "it; got input shape (None, None)"),
    "bidirectional": ((10, None), lambda: Bidirectional(LSTM(4, name="inner"), name="l"), "forward_inner (LSTM): "
                      "weight 'kernel' would have shape (None, 16): its size depends on axis 2 of the input, which is "
                      "undefined (None) and must be known to create it; got input shape (None, 10, None)"),
    "time_distributed": ((10, None), lambda: TimeDistributed(Dense(4, name="inner"), name="l"), "l (TimeDistributed): "
                         "the weights of inner (Dense) depend on the size of axis 2 of the input, which is undefined "
                         "(None): it must be known to create them; got input shape (None, 10, None)"),
    "batch_normalization": ((None,), lambda: BatchNormalization(name="l"), "l (BatchNormalization): weight 'gamma' "
                            "would have shape (None,): its size depends on axis 1 of the input, which is undefined "
                            "(None) and must be known to create it; got input shape (None, None)"),
    "layer_normalization": ((None,), lambda: LayerNormalization(name="l"), "l (LayerNormalization): weight 'gamma' "
                            "would have shape (None,): its size depends on axis 1 of the input, which is undefined "
                            "(None) and must be known to create it; got input shape (None, None)"),
    "group_normalization": ((8, None), lambda: GroupNormalization(groups=2, name="l"), "l (GroupNormalization): "
                            "cannot be built for inputs of shape (None, 8, None): building it needs the size of axis 2, "
                            "which is undefined (None) and must be known"),
    "prelu": ((None, 4), lambda: PReLU(name="l"), "l (PReLU): weight 'alpha' would have shape (None, 4): its size "
              "depends on axis 1 of the input, which is undefined (None) and must be known to create it; got input "
              "shape (None, None, 4)"),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_layer_whose_weights_need_an_undefined_axis_is_refused(case):
    shape, make, expected = REFUSED[case]
    layer = make()
    message = refusal(lambda: functional(shape, layer))
    assert message == expected
    assert not layer.built and layer.weights == []  # left as it was: no weights of made-up sizes


def test_attention_layers_whose_weights_need_the_undefined_width_are_refused():
    query = Input((5, None))
    message = refusal(lambda: AdditiveAttention(name="att")([query, query]))
    assert message == ("att (AdditiveAttention): weight 'scale' would have shape (None,): its size depends on one of "
                       "axis 2 of input 0 and axis 2 of input 1, which are undefined (None) and must be known to "
                       "create it; got input shapes (None, 5, None), (None, 5, None)")
    # MultiHeadAttention creates its projections in call, from the sizes it is given
    message = refusal(lambda: MultiHeadAttention(2, 4, name="mha")(query, query))
    assert message == ("mha (MultiHeadAttention): its weights depend on the size of axis 2 of the input, which is "
                       "undefined (None): it must be known to create them; got input shape (None, 5, None)")


@pytest.mark.parametrize("upstream, producer", [
    (lambda: [Embedding(10, 4), Flatten(name="p")], "p (Flatten)"),     # a sequence of undefined length, flattened
    (lambda: [Reshape((-1,), name="p")], "p (Reshape)"),                 # (None, 4) -> (None, None)
])
def test_an_undefined_size_made_by_an_earlier_layer_is_refused_naming_that_layer(upstream, producer):
    shape = (None,) if producer.endswith("(Flatten)") else (None, 4)
    message = refusal(lambda: functional(shape, *upstream(), Dense(3, name="head")))
    assert message == ("head (Dense): the last axis (features) of the input must be defined to create the kernel; "
                       f"got input shape (None, None) (the output of {producer})")


def test_concatenating_an_undefined_width_into_dense_is_refused():
    a, b = Input((4,)), Input((None,))
    joined = Concatenate(name="cat")([a, b])
    message = refusal(lambda: Dense(2, name="head")(joined))
    assert message.endswith("got input shape (None, None) (the output of cat (Concatenate))")


def test_a_nested_sequential_built_on_an_undefined_shape_is_refused_at_its_own_layer():
    inner = Sequential([Conv2D(4, 3), Flatten(name="flat"), Dense(2, name="head")])
    message = refusal(lambda: functional((None, None, 1), inner))
    assert message == ("head (Dense): the last axis (features) of the input must be defined to create the kernel; "
                       "got input shape (None, None) (the output of flat (Flatten))")


def test_a_refused_layer_leaves_the_model_and_itself_as_they_were(any_backend):
    model = Sequential([Input((None, None, 1)), Conv2D(4, 3), Flatten()])
    head = Dense(2)
    with pytest.raises(ValueError, match=r"the last axis \(features\) of the input must be defined"):
        model.add(head)
    assert len(model.layers) == 2 and model.output_shape == (None, None)
    assert not head.built and head.weights == []
    other = Sequential([Input((5,)), head])  # the same layer, where the size is known
    assert [w.shape for w in head.weights] == [(5, 2), (2,)]
    assert other.predict(np.ones((3, 5), "float32"), verbose=0).shape == (3, 2)


def test_building_a_dense_layer_by_hand_on_an_undefined_axis_is_refused():
    layer = Dense(3, name="d")
    with pytest.raises(ValueError) as raised:
        layer.build((None, None))
    assert str(raised.value) == ("d (Dense): the last axis (features) of the input must be defined to create the "
                                 "kernel; got input shape (None, None)")


# -- legitimately undefined axes: accepted, as in Keras, and run at any size ---------------------

def test_a_variable_length_sequence_into_an_lstm_builds_and_runs():
    model = functional((None, 8), LSTM(4), Dense(1))
    assert model.output_shape == (None, 1)
    assert [w.shape for w in model.layers[1].weights] == [(8, 16), (4, 16), (16,)]
    for steps in (3, 50):
        assert model.predict(np.ones((2, steps, 8), "float32"), verbose=0).shape == (2, 1)


def test_a_variable_length_sequence_into_conv1d_builds_and_runs():
    model = functional((None, 8), Conv1D(4, 3), GlobalMaxPooling1D(), Dense(2))
    assert model.output_shape == (None, 2)
    for steps in (3, 40):
        assert model.predict(np.ones((1, steps, 8), "float32"), verbose=0).shape == (1, 2)


@pytest.mark.parametrize("style", ["functional", "sequential"])
def test_an_image_of_undefined_size_into_conv2d_and_global_pooling_builds_and_runs(style, any_backend):
    layers = [Conv2D(4, 3), GlobalAveragePooling2D(), Dense(2)]
    if style == "functional":
        model = functional((None, None, 3), *layers)
    else:
        model = Sequential([Conv2D(4, 3, input_shape=(None, None, 3)), *layers[1:]])
    assert model.output_shape == (None, 2)
    for size in ((9, 11), (40, 33)):
        assert model.predict(np.ones((2, *size, 3), "float32"), verbose=0).shape == (2, 2)


def test_other_legitimately_undefined_axes_build():
    assert functional((None,), Embedding(10, 4), LSTM(3), Dense(2)).output_shape == (None, 2)
    assert functional((None, 4), BatchNormalization()).output_shape == (None, None, 4)
    assert functional((None, 4), LayerNormalization()).output_shape == (None, None, 4)
    assert functional((None, 4), PReLU(shared_axes=[1])).output_shape == (None, None, 4)
    assert functional((None, 8), Bidirectional(LSTM(3))).output_shape == (None, 6)
    assert functional((None, 8), TimeDistributed(Dense(2))).output_shape == (None, None, 2)
    assert functional((None, 8), Dense(2)).output_shape == (None, None, 2)
    query = Input((None, 6))
    assert MultiHeadAttention(2, 4)(query, query).shape == (None, None, 6)


def test_reshape_of_an_input_with_undefined_axes_is_accepted_and_checked_when_run(any_backend):
    model = functional((None,), Reshape((4, 4), name="r"))  # Keras accepts it too
    assert model.output_shape == (None, 4, 4)
    assert model.predict(np.ones((2, 16), "float32"), verbose=0).shape == (2, 4, 4)
    with pytest.raises(ValueError, match=r"r \(Reshape\): cannot reshape samples of shape \(15,\)"):
        model.predict(np.ones((2, 15), "float32"), verbose=0)
    assert functional((None, 3), Reshape((-1, 5))).output_shape == (None, None, 5)
    assert functional((None, 4), Reshape((-1, 2)), Dense(3)).output_shape == (None, None, 3)


def test_a_window_wider_than_the_made_up_sizes_still_builds():
    model = functional((None, None, 1), Conv2D(2, 40), MaxPooling2D(3))
    assert model.output_shape == (None, None, None, 2)
    assert model.predict(np.ones((1, 50, 50, 1), "float32"), verbose=0).shape == (1, 3, 3, 2)


def test_a_model_of_many_poolings_used_as_a_layer_on_undefined_sizes_builds():
    inputs = x = Input((None, None, 1))
    for _ in range(6):
        x = MaxPooling2D(2)(x)
    body = Model(inputs, x)
    model = functional((None, None, 1), body, GlobalAveragePooling2D(), Dense(2))
    assert model.output_shape == (None, 2)
    assert model.predict(np.ones((1, 64, 64, 1), "float32"), verbose=0).shape == (1, 2)


def test_a_layer_built_for_a_size_takes_an_input_whose_axis_there_is_undefined():
    dense = Dense(3)
    functional((8,), dense)
    assert dense(Input((None,))).shape == (None, 3)  # as in Keras: the size is checked when run
    embedding = Embedding(10, 4, input_length=10)
    assert embedding(Input((None,))).shape == (None, 10, 4)


# -- a layer that fails at every size tried: its message shows no made-up size ---------------------

def test_a_layer_failing_at_every_size_tried_shows_no_made_up_size():
    a, b = Input((None, 4)), Input((10, 4))
    with pytest.raises(ValueError) as raised:
        Add(name="add")([a, b])  # Keras accepts this one; minidl cannot tell the None apart from 10
    message = str(raised.value)
    assert_no_made_up_size(message)
    assert message == ("add (Add): inputs must all have the same shape, got shapes [(1, ?, 4), (1, 10, 4)] (? marks "
                       "sizes that follow axis 1 of input 0, which is undefined (None): the layer fails at every size "
                       "tried for it; declare the size the layer needs)")


def test_a_lambda_failing_at_every_size_tried_shows_no_made_up_size():
    with pytest.raises(ValueError) as raised:
        functional((None, 3), Lambda(lambda x: ops.reshape(x, (-1, 7, 7)), name="fold"))
    message = str(raised.value)
    assert_no_made_up_size(message)
    assert message.startswith("fold (Lambda), called on an input of shape (None, None, 3) (float32)")
    assert "axis 1 of the input, which is undefined (None)" in message
