"""Declared input shapes and tensor data are checked where they are given: a size that is not a
positive integer, or data that is not numbers, fails at once with a message naming it."""

import numpy as np
import pytest

import minidl
from minidl.layers import LSTM, Dense, Embedding, Input


@pytest.mark.parametrize("shape", [(-1,), (0, 3), "3", (2.5,), (True,), ("28", 28)])
def test_input_shapes_must_be_positive_integers(shape):
    with pytest.raises(ValueError, match=r"Input: shape must be a tuple of positive integers"):
        Input(shape=shape)


@pytest.mark.parametrize("argument, value", [("input_shape", (0,)), ("input_shape", (3, -2)),
                                             ("batch_input_shape", (None, 1.5)), ("input_dim", 0)])
def test_a_layers_declared_input_must_be_positive_integers(argument, value):
    with pytest.raises(ValueError, match=rf"dense\w* \(Dense\): {argument} must be a tuple of positive integers"):
        Dense(2, **{argument: value})


def test_unknown_sizes_and_plain_integers_are_accepted():
    assert Input(shape=(None, 3)).shape == (None, None, 3)
    assert Input(shape=7).shape == (None, 7)
    assert LSTM(2, input_shape=(None, 4)).batch_input_shape == (None, None, 4)
    assert Embedding(10, 2, input_length=np.int64(5)).batch_input_shape == (None, 5)


@pytest.mark.parametrize("data, words", [
    (["a", "b"], "strings"),
    (np.array([b"x"]), "bytes"),
    (np.array([1, "x"], dtype=object), "Python objects"),
    (np.array(["2020-01-01"], dtype="datetime64[D]"), "dates"),
    ([[1, 2], [3]], "ragged"),
])
def test_tensors_refuse_data_that_is_not_numbers(data, words):
    with pytest.raises(TypeError, match=words):
        minidl.tensor(data)


def test_tensors_take_booleans_integers_and_floats():
    assert minidl.tensor([True, False]).dtype == np.bool_
    assert minidl.tensor(np.array([1, 2], np.uint8)).dtype == np.uint8
    assert minidl.tensor([1.5]).dtype == np.float32


def test_a_declared_batch_size_does_not_fix_the_number_of_training_samples():
    """batch_input_shape=(2, 3) fixes the batch, not the data: fit on 4 samples in batches of 2
    (its target check compared the data with the declared batch and refused it)."""
    model = minidl.models.Sequential([minidl.layers.Dense(1, batch_input_shape=(2, 3))])
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(np.ones((4, 3), np.float32), np.ones((4, 1), np.float32), batch_size=2, epochs=1, verbose=0)
    assert len(history.history["loss"]) == 1
