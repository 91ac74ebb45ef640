"""Bad input is refused at the model's boundary, with a message naming what is wrong, before
anything has run or trained (issue #18): declared input shapes, text and ragged data, token
ids, sample counts, class weights and every argument of compile/fit/evaluate/predict."""

import numpy as np
import pytest

import minidl
from minidl.layers import LSTM, Conv2D, Dense, Embedding, Flatten, Input
from minidl.layers.base import clear_session
from minidl.models.arguments import ArgumentError
from minidl.models.model import Model
from minidl.models.sequential import Sequential

RNG = np.random.default_rng(0)


def _dense_model(**first_layer):
    clear_session()
    model = Sequential([Dense(2, **first_layer)])
    model.compile(optimizer="sgd", loss="mse")
    return model


def _unchanged(model, action, error, match):
    """Run ``action``, expect ``error`` matching ``match``, and check no weight moved."""
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(error, match=match):
        action()
    after = model.get_weights()
    assert len(before) == len(after) and all(np.array_equal(a, b) for a, b in zip(before, after))


# -- declared input shapes -------------------------------------------------------------------------

@pytest.mark.parametrize("declaration", [{"input_shape": (3,)}, {"input_dim": 3}, {"batch_input_shape": (None, 3)}])
def test_a_declared_input_shape_refuses_other_ranks_in_keras_words(declaration):
    model = _dense_model(**declaration)
    message = r'Input 0 of layer "sequential" is incompatible with the layer: expected shape=\(None, 3\), ' \
              r"found shape=\(2, 3, 3\)"
    with pytest.raises(ValueError, match=message):
        model.predict(np.zeros((2, 3, 3), "float32"))
    with pytest.raises(ValueError, match=message):
        model(np.zeros((2, 3, 3), "float32"))
    _unchanged(model, lambda: model.fit(np.zeros((2, 3, 3)), np.zeros((2, 3, 2)), verbose=0), ValueError, message)
    _unchanged(model, lambda: model.train_on_batch(np.zeros((2, 4)), np.zeros((2, 2))), ValueError,
               r"expected shape=\(None, 3\), found shape=\(2, 4\)")
    with pytest.raises(ValueError, match=r"found shape=\(5, 4\)"):
        model.evaluate(np.zeros((5, 4)), np.zeros((5, 2)), verbose=0)


def test_the_functional_input_is_a_contract_too():
    clear_session()
    inputs = Input(shape=(4, 2))
    model = Model(inputs, Dense(1)(Flatten()(inputs)))
    model.compile(optimizer="sgd", loss="mse")
    _unchanged(model, lambda: model.fit(np.zeros((3, 2, 4)), np.zeros((3, 1)), verbose=0), ValueError,
               r'layer "model" is incompatible.*expected shape=\(None, 4, 2\), found shape=\(3, 2, 4\)')
    several = Model([Input(shape=(2,)), b := Input(shape=(3,))], Dense(1)(b))
    with pytest.raises(ValueError, match=r"Input 1 of layer .* expected shape=\(None, 3\), found shape=\(2, 2\)"):
        several.predict([np.zeros((2, 2)), np.zeros((2, 2))])


def test_none_axes_accept_any_size_and_a_trailing_axis_of_one_is_adjusted():
    clear_session()
    inputs = Input(shape=(None, 3))
    model = Model(inputs, LSTM(2)(inputs))
    assert model.predict(np.zeros((2, 7, 3), "float32")).shape == (2, 2)
    assert model.predict(np.zeros((2, 11, 3), "float32")).shape == (2, 2)
    celsius = Sequential([Dense(1, input_shape=[1])])  # Keras 3: (n,) data for an Input(shape=(1,))
    celsius.compile(optimizer="sgd", loss="mse")
    celsius.fit(np.arange(5.0), 2 * np.arange(5.0), verbose=0)
    assert celsius.predict(np.array([3.0])).shape == (1, 1)
    assert celsius.predict(np.zeros((4, 1, 1))).shape == (4, 1)  # and an extra trailing 1 is dropped


def test_a_shape_inferred_from_data_fixes_only_the_rank():
    clear_session()
    model = Sequential([LSTM(2)])
    model.predict(np.zeros((2, 10, 3), "float32"))  # built on 10 steps
    assert model.predict(np.zeros((2, 20, 3), "float32")).shape == (2, 2)  # other lengths still run
    with pytest.raises(ValueError, match=r'"sequential" is incompatible.*found shape=\(2, 3\).*built on inputs of '
                                         r"shape \(None, 10, 3\)"):
        model.predict(np.zeros((2, 3), "float32"))
    with pytest.raises(ValueError, match=r"lstm \(LSTM\): expected input of rank 3 with 3 features on the last axis"):
        model.predict(np.zeros((2, 20, 4), "float32"))


def test_layer_specs_are_checked_when_layers_are_wired():
    clear_session()
    with pytest.raises(ValueError, match=r"lstm \(LSTM\): expected input of rank 3 \(batch, time, features\), "
                                         r"got shape \(None, 3\)"):
        Sequential([Input(shape=(3,)), LSTM(3)])
    model = Sequential([Dense(4, input_dim=3)])
    with pytest.raises(ValueError, match=r"conv2d \(Conv2D\): expected input of rank 4"):
        model.add(minidl.layers.Conv2D(2, 3))
    assert [layer.name for layer in model.layers] == ["dense"]  # the failed add left nothing behind
    assert model.output_shape == (None, 4)


# -- text, ragged sequences, other non-numbers -----------------------------------------------------

def _embedding_model(input_length=5, input_dim=10):
    clear_session()
    model = Sequential([Embedding(input_dim, 4, input_length=input_length), Flatten(), Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    return model


def test_text_input_says_to_tokenize_first():
    model = _embedding_model()
    for text in (np.array(["the cat", "a dog"]), ["the cat", "a dog"], np.array(["x", "y"], dtype=object)):
        _unchanged(model, lambda text=text: model.fit(text, np.zeros((2, 1)), verbose=0), TypeError,
                   r"fit: x: got text.*Tokenizer.*texts_to_sequences.*pad_sequences")
    with pytest.raises(TypeError, match=r"predict: x: got text"):
        model.predict(np.array([["a", "b", "c", "d", "e"]]))


def test_ragged_sequences_say_to_pad():
    model = _embedding_model()
    ragged = [[1, 2, 3], [4, 5], [6]]
    _unchanged(model, lambda: model.fit(ragged, np.zeros((3, 1)), verbose=0), ValueError,
               r"fit: x: got 3 sequences of different lengths \(1 to 3 items\).*pad_sequences")
    as_objects = np.empty(3, dtype=object)
    as_objects[:] = [np.array([1, 2]), np.array([3]), np.array([4, 5, 6])]
    _unchanged(model, lambda: model.fit(as_objects, np.zeros((3, 1)), verbose=0), ValueError,
               r"object array of 3 sequences \(1 to 3 items each\).*pad_sequences")
    dense = _dense_model(input_dim=3)
    with pytest.raises(ValueError, match=r"predict: x: got 2 sequences of different lengths"):
        dense.predict([[1.0, 2.0, 3.0], [1.0]])


def test_objects_that_are_not_numbers_are_named():
    model = _dense_model(input_dim=1)
    with pytest.raises(TypeError, match=r"object array holding \['dict'\]"):
        model.predict(np.array([{}, {}], dtype=object).reshape(2, 1))
    numbers_as_objects = np.array([[1], [2]], dtype=object)
    assert model.predict(numbers_as_objects).shape == (2, 2)


def test_a_missing_value_is_named_not_turned_into_nan():
    """None in object or list data would become NaN (and every weight NaN after one step)."""
    model = _dense_model(input_dim=3)
    with_gap = np.array([[1, None, 3], [1, 2, 3]], dtype=object)
    _unchanged(model, lambda: model.fit(with_gap, np.zeros((2, 2)), verbose=0), ValueError,
               r"fit: x: got None at index \(0, 1\) \(a missing value\)")
    with pytest.raises(ValueError, match=r"predict: x: got None at index \(0, 1\)"):
        model.predict([[1, None, 3]])
    _unchanged(model, lambda: model.fit(np.ones((2, 3)), [[0, 1], [None, 0]], verbose=0), ValueError,
               r"fit: y: got None at index \(1, 0\)")


def test_numeric_values_are_left_alone_even_nan():
    model = _dense_model(input_dim=2)
    history = model.fit(np.array([[np.nan, 1.0], [0.0, 1.0]]), np.zeros((2, 2)), verbose=0)
    assert np.isnan(history.history["loss"][0])  # trained on, as Keras does


# -- token ids -------------------------------------------------------------------------------------

def test_a_longer_sequence_than_input_length_fails_clearly():
    model = _embedding_model(input_length=5)
    ids = RNG.integers(0, 10, size=(4, 7))
    _unchanged(model, lambda: model.fit(ids, np.zeros((4, 1)), verbose=0), ValueError,
               r'Input 0 of layer "sequential" is incompatible.*expected shape=\(None, 5\), found shape=\(4, 7\)')
    clear_session()
    recurrent = Sequential([Embedding(10, 4, input_length=5), LSTM(2)])  # no Flatten to catch it later
    recurrent.compile(optimizer="sgd", loss="mse")
    _unchanged(recurrent, lambda: recurrent.fit(ids, np.zeros((4, 2)), verbose=0), ValueError,
               r"expected shape=\(None, 5\), found shape=\(4, 7\)")
    layer = Embedding(10, 4, input_length=5, name="words")
    with pytest.raises(ValueError, match=r"words \(Embedding\): expected input of rank 2 with 5 steps on axis 1"):
        layer(ids)


@pytest.mark.parametrize("bad, match", [
    (np.full((2, 5), 1.5), r"embedding \(Embedding\): expected integer token ids in fit: x, but it holds 1\.5 "
                           r"at index \(0, 0\)"),
    (np.full((2, 5), np.nan), r"expected integer token ids.*nan"),
])
def test_ids_with_fractions_are_refused(bad, match):
    model = _embedding_model()
    _unchanged(model, lambda: model.fit(bad, np.zeros((2, 1)), verbose=0), TypeError, match)


@pytest.mark.parametrize("bad_id, match", [(-1, r"token id -1, out of range"),
                                           (10, r"token id 10, out of range.*\[0, 10\).*vocabulary size \+ 1")])
def test_ids_outside_the_vocabulary_stop_fit_before_any_update(bad_id, match):
    model = _embedding_model()
    ids = RNG.integers(0, 10, size=(64, 5))
    ids[50, 2] = bad_id  # in a late batch: without the check once per call, earlier batches would train
    _unchanged(model, lambda: model.fit(ids, np.zeros((64, 1)), batch_size=8, verbose=0), IndexError, match)
    _unchanged(model, lambda: model.fit(ids[:8], np.zeros((8, 1)), validation_data=(ids, np.zeros((64, 1))),
                                        verbose=0), IndexError, match)


def test_whole_number_float_ids_are_accepted_as_ints():
    model = _embedding_model()
    ids = RNG.integers(0, 10, size=(6, 5))
    expected = model.predict(ids)
    np.testing.assert_array_equal(model.predict(ids.astype("float64")), expected)
    clear_session()
    inputs = Input(shape=(5,), dtype="int32")
    functional = Model(inputs, Dense(1)(Flatten()(Embedding(10, 2)(inputs))))
    assert functional.predict(ids.astype("float32")).shape == (6, 1)


def test_integer_features_are_cast_to_the_float_type():
    model = _dense_model(input_dim=3)
    assert model.predict(np.ones((2, 3), dtype="int64")).dtype == np.float32


# -- sample counts and weights ---------------------------------------------------------------------

def test_mismatched_sample_counts_name_every_array():
    model = _dense_model(input_dim=3)
    x, y = np.zeros((6, 3)), np.zeros((6, 2))
    _unchanged(model, lambda: model.fit(x, y[:5], verbose=0), ValueError, r"x has 6, y has 5")
    _unchanged(model, lambda: model.fit(x, y, sample_weight=np.ones(4), verbose=0), ValueError,
               r"x has 6, y has 6, sample_weight has 4")
    _unchanged(model, lambda: model.fit(x, y, validation_data=(x, y[:2]), verbose=0), ValueError,
               r"fit \(validation_data\): all arrays must have the same number of samples, but x has 6, y has 2")
    several = Model([a := Input(shape=(1,)), b := Input(shape=(1,))], Dense(1)(minidl.layers.Concatenate()([a, b])))
    with pytest.raises(ValueError, match=r"x\[0\] has 3, x\[1\] has 2"):
        several.predict([np.zeros((3, 1)), np.zeros((2, 1))])


@pytest.mark.parametrize("class_weight, match", [
    ({0: 1.0, 5: 2.0}, r"class_weight has keys \[5\] outside the model's classes 0\.\.2"),
    ({"cat": 1.0}, r"class_weight keys must be class indices.*'cat'"),
    ({0.5: 1.0}, r"class_weight keys must be class indices.*0\.5"),
    ({0: "high"}, r"class_weight\[0\] must be a finite number >= 0, got 'high'"),
    ({0: -1.0}, r"class_weight\[0\] must be a finite number >= 0, got -1\.0"),
    ([1.0, 2.0], r"class_weight must be a dict"),
])
def test_bad_class_weights_are_refused(class_weight, match):
    clear_session()
    model = Sequential([Dense(3, input_dim=2, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    x, y = np.zeros((4, 2)), np.array([0, 1, 2, 1])
    _unchanged(model, lambda: model.fit(x, y, class_weight=class_weight, verbose=0), ValueError, match)
    _unchanged(model, lambda: model.train_on_batch(x, y, class_weight=class_weight), ValueError, match)


def test_a_binary_output_has_classes_zero_and_one():
    clear_session()
    binary = Sequential([Dense(1, input_dim=2, activation="sigmoid")])
    binary.compile(optimizer="sgd", loss="binary_crossentropy")
    binary.fit(np.zeros((4, 2)), np.array([0, 1, 0, 1]), class_weight={0: 1.0, 1: 3.0}, verbose=0)
    with pytest.raises(ValueError, match=r"keys \[2\] outside the model's classes 0\.\.1.*1 unit\)"):
        binary.fit(np.zeros((4, 2)), np.array([0, 1, 0, 1]), class_weight={2: 1.0}, verbose=0)


# -- arguments -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("method, arguments, match", [
    ("fit", {"batch_size": 2.5}, r"fit: batch_size must be a positive integer \(or None for 32\), got 2\.5 \(float\)"),
    ("fit", {"batch_size": 0}, r"fit: batch_size must be a positive integer.*got 0"),
    ("fit", {"batch_size": "32"}, r"fit: batch_size must be a positive integer.*got '32' \(str\)"),
    ("fit", {"epochs": 2.5}, r"fit: epochs must be an integer >= 0, got 2\.5"),
    ("fit", {"epochs": -1}, r"fit: epochs must be an integer >= 0, got -1"),
    ("fit", {"epochs": True}, r"fit: epochs must be an integer >= 0, got True \(bool\)"),
    ("fit", {"initial_epoch": 0.5}, r"fit: initial_epoch must be an integer >= 0"),
    ("fit", {"steps_per_epoch": 1.5}, r"fit: steps_per_epoch must be a positive integer"),
    ("fit", {"validation_split": 1.0}, r"fit: validation_split must be in \[0, 1\), got 1\.0"),
    ("fit", {"validation_split": -0.1}, r"fit: validation_split must be in \[0, 1\), got -0\.1"),
    ("fit", {"validation_split": "0.2"}, r"fit: validation_split must be a number in \[0, 1\), got '0\.2'"),
    ("fit", {"validation_freq": 0}, r"fit: validation_freq must be a positive integer"),
    ("fit", {"validation_freq": [0, 2]}, r"fit: validation_freq must be a positive integer or a list of epoch"),
    ("fit", {"verbose": 3}, r"fit: verbose must be 0, 1, 2 or 'auto', got 3"),
    ("fit", {"verbose": "loud"}, r"fit: verbose must be 0, 1, 2 or 'auto', got 'loud'"),
    ("fit", {"shuffle": "yes"}, r"fit: shuffle must be True, False or 'batch', got 'yes'"),
    ("fit", {"callbacks": ["EarlyStopping"]}, r"fit: callbacks must be Callback objects.*'EarlyStopping' \(str\)"),
    ("fit", {"workers": 1.5}, r"fit: workers must be an integer >= 0"),
    ("evaluate", {"batch_size": 2.5}, r"evaluate: batch_size must be a positive integer"),
    ("evaluate", {"steps": 0}, r"evaluate: steps must be a positive integer"),
    ("evaluate", {"return_dict": "yes"}, r"evaluate: return_dict must be True or False"),
    ("predict", {"batch_size": 2.5}, r"predict: batch_size must be a positive integer"),
    ("predict", {"verbose": -1}, r"predict: verbose must be 0, 1, 2 or 'auto'"),
    ("train_on_batch", {"reset_metrics": None}, r"train_on_batch: reset_metrics must be True or False"),
])
def test_bad_arguments_name_the_method_the_argument_and_the_value(method, arguments, match):
    model = _dense_model(input_dim=3)
    x, y = np.zeros((6, 3), "float32"), np.zeros((6, 2), "float32")
    call = getattr(model, method)
    positional = (x,) if method == "predict" else (x, y)
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(ArgumentError, match=match) as caught:
        call(*positional, **arguments)
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, TypeError)
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


def test_good_argument_spellings_still_work():
    model = _dense_model(input_dim=3)
    x, y = np.zeros((6, 3), "float32"), np.zeros((6, 2), "float32")
    history = model.fit(x, y, batch_size=np.int64(2), epochs=np.int32(2), verbose=False, shuffle="batch",
                        validation_split=0.5, validation_freq=[2], callbacks=minidl.callbacks.History())
    assert list(history.history) == ["loss", "val_loss"] and len(history.history["loss"]) == 2
    assert len(history.history["val_loss"]) == 1  # only after epoch 2
    assert model.fit(x, y, epochs=0, verbose=0).history == {}
    model.fit(x, y, shuffle=0, verbose=0)
    clear_session()
    classifier = Sequential([Dense(2, input_dim=3, activation="softmax")])
    classifier.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    labels = np.array([0.0, 1.0, 1.0, 0.0, 1.0, 1.0])
    classifier.fit(x, labels, class_weight=dict(zip(np.unique(labels), [2.0, 1.0])), verbose=0)
    model.fit(x, y, verbose=0, workers=4, use_multiprocessing=True, max_queue_size=5)  # tf.keras 2 arguments


@pytest.mark.parametrize("arguments, match", [
    ({"run_eagerly": "no"}, r"compile: run_eagerly must be True or False"),
    ({"steps_per_execution": 0}, r"compile: steps_per_execution must be a positive integer"),
    ({"loss_weights": ["heavy"]}, r"compile: loss_weights must be numbers, got 'heavy'"),
    ({"optimizer": "adamw_typo"}, r"unknown optimizer 'adamw_typo'"),
    ({"loss": "msq"}, r"unknown loss 'msq'"),
])
def test_bad_compile_arguments_leave_the_previous_compile(arguments, match):
    model = _dense_model(input_dim=3)
    optimizer = model.optimizer
    with pytest.raises((ValueError, TypeError), match=match):
        model.compile(**{"optimizer": "sgd", "loss": "mse", **arguments})
    assert model.optimizer is optimizer
    model.compile(optimizer="sgd", loss="mse", run_eagerly=True, steps_per_execution=4, jit_compile=False)


def test_ids_checked_once_per_call_are_not_checked_again_per_batch(monkeypatch, any_backend):
    model = _embedding_model()
    ids = np.random.default_rng(2).integers(0, 10, size=(64, 5))
    calls = []
    original = minidl.layers.embedding.check_indices
    monkeypatch.setattr(minidl.layers.embedding, "check_indices", lambda *a, **k: calls.append(1) or original(*a, **k))
    model.fit(ids, np.zeros((64, 1)), batch_size=8, epochs=2, verbose=0)  # 16 steps
    model.predict(ids, batch_size=8)
    assert calls == []  # the whole array was checked once at the boundary instead
    with pytest.raises(IndexError, match=r"embedding \(Embedding\), called on .*: embedding_lookup: index 12 is out of range"):
        model.layers[0](np.full((1, 5), 12))  # a direct layer call still checks its ids
    assert calls == [1]


def test_input_counts_and_non_real_numbers_are_named():
    model = _dense_model(input_dim=3)
    with pytest.raises(ValueError, match=r'Layer "sequential" expects 1 input\(s\), but it received 2 input arrays'):
        model.fit([np.zeros((4, 3)), np.zeros((4, 3))], np.zeros((4, 2)), verbose=0)
    with pytest.raises(TypeError, match=r"predict: x: got complex numbers \(dtype complex128\)"):
        model.predict(np.ones((2, 3), complex))
    clear_session()
    a, b = Input(shape=(2,)), Input(shape=(3,))
    two = Model([a, b], Dense(1)(minidl.layers.Concatenate()([a, b])))
    with pytest.raises(ValueError, match=r"predict: x: the model has 2 inputs \['input_1', 'input_2'\] but 1 array"):
        two.predict(np.zeros((2, 2)))


def test_images_without_a_channel_axis_get_one_and_generators_are_checked_per_batch():
    clear_session()
    model = Sequential([minidl.layers.Conv2D(2, 3, input_shape=(8, 8, 1)), Flatten(), Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    assert model.predict(np.zeros((2, 8, 8), "float32")).shape == (2, 1)  # (n, 8, 8) -> (n, 8, 8, 1)

    def batches():
        yield np.zeros((2, 8, 8, 1), "float32"), np.zeros((2, 1), "float32")
        yield np.zeros((2, 9, 9, 1), "float32"), np.zeros((2, 1), "float32")

    with pytest.raises(ValueError, match=r"expected shape=\(None, 8, 8, 1\), found shape=\(2, 9, 9, 1\)"):
        model.fit(batches(), steps_per_epoch=2, verbose=0)


def test_data_already_on_the_device_is_checked_there():
    minidl.set_backend("simulated")  # arrays refuse implicit host conversion, as CuPy's do
    to_device = minidl.backend.to_device
    model = _embedding_model()
    ids = np.random.default_rng(4).integers(0, 10, size=(16, 5))
    model.fit(to_device(ids.astype("float32")), to_device(np.zeros((16, 1), "float32")), verbose=0)
    fractional = ids.astype("float32")
    fractional[3, 1] = 2.5
    with pytest.raises(TypeError, match=r"holds 2\.5 at index \(3, 1\)"):
        model.predict(to_device(fractional))
    with pytest.raises(IndexError, match=r"token id 10, out of range"):
        model.predict(to_device(np.full((2, 5), 10)))
    with pytest.raises(ValueError, match=r"expected shape=\(None, 5\), found shape=\(2, 6\)"):
        model.predict(to_device(np.zeros((2, 6), "int64")))


def test_one_sample_without_its_batch_axis_is_named_as_such():
    """predict(image) for a model of (None, 8, 8, 1): the error shows the shape as passed and
    says what to do (the trailing-axis rule had made it (8, 8, 1, 1) in the message)."""
    clear_session()
    model = Sequential([Input((8, 8, 1)), Conv2D(2, 3), Flatten(), Dense(1)])
    with pytest.raises(ValueError, match=r"found shape=\(8, 8, 1\); this looks like one sample without the batch "
                                         r"axis: pass x\[None\] \(shape \(1, 8, 8, 1\)\)"):
        model.predict(np.ones((8, 8, 1)), verbose=0)
    assert model.predict(np.ones((8, 8, 1))[None], verbose=0).shape == (1, 1)
