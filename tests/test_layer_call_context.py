"""An error raised inside a layer names the layer and its inputs, added once where the layer is
called (``minidl.layers.call_context``), and keeps its type; an op called directly names itself."""

import numpy as np
import pytest

import minidl
from minidl.layers import LSTM, Bidirectional, Conv2D, Dense, Embedding, Input, MaxPooling2D, TimeDistributed
from minidl.layers.base import Layer, clear_session
from minidl.models import Model, Sequential
from minidl.ops import conv2d

CONTEXT = "called on"


def image(height=3, width=3, channels=1, batch=1):
    return np.zeros((batch, height, width, channels), np.float32)


def test_an_op_error_inside_a_layer_names_the_layer_and_its_input(any_backend):
    clear_session()
    with pytest.raises(ValueError) as caught:
        Conv2D(2, 5, name="features")(image())
    message = str(caught.value)
    assert message.startswith("features (Conv2D), called on an input of shape (1, 3, 3, 1) (float32): conv2d: ")
    assert "the 5x5 window is larger than the padded input 3x3" in message
    assert caught.type is ValueError  # not a wrapper class
    assert caught.value.__cause__ is None and caught.value.__context__ is None  # no chained noise


def test_an_op_called_directly_names_the_op_and_the_argument():
    with pytest.raises(ValueError, match=r"^conv2d: the 5x5 window is larger") as caught:
        conv2d(image(), np.zeros((5, 5, 1, 2), np.float32))
    assert CONTEXT not in str(caught.value)
    with pytest.raises(ValueError, match=r"^conv2d: strides must be an int or a tuple of 2 ints >= 1, got 0"):
        conv2d(image(), np.zeros((1, 1, 1, 2), np.float32), strides=0)


@pytest.mark.parametrize("wrap", ["sequential", "functional", "subclassed", "time_distributed"])
def test_nested_layers_add_the_context_once_the_innermost_layer_s(wrap):
    clear_session()
    inner = Conv2D(2, 5, name="inner")
    if wrap == "sequential":
        outer = Sequential([MaxPooling2D(1, name="pool"), inner])
        data = image()
    elif wrap == "functional":  # any image size: the model builds, and fails on a small image
        symbol = Input((None, None, 1))
        outer = Model(symbol, inner(MaxPooling2D(1, name="pool")(symbol)))
        data = image()
    elif wrap == "subclassed":
        class Net(Model):
            def __init__(self):
                super().__init__(name="net")
                self.conv = inner

            def call(self, inputs, training=False):
                return self.conv(inputs)

        outer = Net()
        data = image()
    else:
        outer = TimeDistributed(inner, name="per_step")
        data = np.zeros((1, 2, 3, 3, 1), np.float32)
    with pytest.raises(ValueError) as caught:
        outer(data)
    message = str(caught.value)
    assert message.startswith("inner (Conv2D), called on an input of shape (")
    assert message.count(CONTEXT) == 1 and message.count("conv2d: ") == 1


def test_the_exception_is_the_one_raised_inside_with_its_type_and_attributes():
    class CodedError(RuntimeError):
        def __init__(self, code):
            super().__init__(f"code {code}")
            self.code = code

    raised = CodedError(7)

    class Failing(Layer):
        armed = False

        def call(self, inputs, training=False):
            if self.armed:
                raise raised
            return inputs

    clear_session()
    failing = Failing(name="failing")
    model = Sequential([Dense(3), failing])
    model(np.ones((2, 4), np.float32))
    failing.armed = True
    with pytest.raises(CodedError) as caught:
        model(np.ones((2, 4), np.float32))
    assert caught.value is raised and caught.value.code == 7
    assert str(caught.value) == "failing (Failing), called on an input of shape (2, 3) (float32): code 7"


def test_an_exception_whose_text_is_not_its_message_gets_a_note():
    class Lookup(Layer):
        def call(self, inputs, training=False):
            return {"a": inputs}["b"]

    clear_session()
    with pytest.raises(KeyError) as caught:
        Lookup(name="lookup")(np.ones((2, 4), np.float32))
    assert str(caught.value) == "'b'"  # KeyError's own text is left as it is
    assert caught.value.__notes__ == ["(raised in lookup (Lookup), called on an input of shape (2, 4) (float32))"]


def test_a_message_that_already_names_the_layer_is_left_alone(any_backend):
    clear_session()
    with pytest.raises(ValueError) as caught:
        Sequential([Conv2D(2, 3, name="features")])(np.zeros((28, 28), np.float32))
    assert str(caught.value).startswith("features (Conv2D): expected input of rank 4")
    assert CONTEXT not in str(caught.value)


def test_a_symbolic_call_reports_the_batch_axis_as_none():
    """Building on Input(...) (or an unbuilt Sequential's first call) runs the layers on a zero
    batch of one sample; an error then shows the batch axis as the user declared it."""
    clear_session()
    with pytest.raises(ValueError) as caught:
        Conv2D(2, 5, name="features")(Input((3, 3, 1)))
    assert str(caught.value).startswith("features (Conv2D), called on an input of shape (None, 3, 3, 1) (float32): ")
    with pytest.raises(ValueError) as caught:
        Sequential([Dense(2), Conv2D(2, 5, name="late")])(np.ones((4, 3), np.float32))
    assert str(caught.value).startswith("late (Conv2D): expected input of rank 4")


def test_several_inputs_are_all_described():
    class Pair(Layer):
        def call(self, inputs, training=False):
            first, second = inputs
            return minidl.ops.matmul(first, second)

    clear_session()
    with pytest.raises(ValueError) as caught:
        Pair(name="pair")([np.ones((2, 3), np.float32), np.ones((4, 5), np.int32)])
    assert str(caught.value).startswith(
        "pair (Pair), called on inputs of shapes (2, 3) (float32), (4, 5) (int32): matmul: ")


def test_a_model_call_reports_the_failing_layer_once():
    clear_session()
    model = Sequential([Embedding(10, 4, name="words"), Bidirectional(LSTM(3)), Dense(1)])
    model.compile("adam", "mse")
    with pytest.raises(IndexError) as caught:
        model(np.full((2, 5), 12))
    message = str(caught.value)
    assert message.startswith("words (Embedding), called on an input of shape (2, 5) (int64): embedding_lookup: ")
    assert message.count(CONTEXT) == 1


def test_the_next_call_after_an_error_is_not_marked():
    """The mark belongs to an exception, not to the layer: a later error gets its context again."""
    clear_session()
    layer = Conv2D(2, 5, name="features")
    for _ in range(2):
        with pytest.raises(ValueError, match=r"^features \(Conv2D\), called on an input of shape"):
            layer(image())
