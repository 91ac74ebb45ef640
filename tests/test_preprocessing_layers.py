"""Normalization, CategoryEncoding, Discretization, StringLookup, IntegerLookup, Hashing and
TextVectorization: plain NumPy / Python references, float64 gradient checks where the layer is
differentiable, every backend, adapt over arrays, lists, tf.data and generators, models fed
strings, and (where Keras is installed) Keras's vocabularies, bins and values."""

import collections
import re
import string

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minidl
import minidl.tf as mtf
from minidl.layers import (
    CategoryEncoding,
    Dense,
    Discretization,
    Embedding,
    GlobalAveragePooling1D,
    Hashing,
    Input,
    IntegerLookup,
    Normalization,
    StringLookup,
    TextVectorization,
)
from minidl.layers.preprocessing.string_hashes import fingerprint64, siphash24
from minidl.models import Model, Sequential
from tests.conftest import device, to_host


def keras_or_skip():
    return pytest.importorskip("keras", reason="real Keras is not installed (CI does not install it)")


# -- Normalization -----------------------------------------------------------------------------

def numpy_normalize(x, data, kept):
    """Mean and variance of ``data`` for every index of the kept axes, by looping over them."""
    out = np.empty_like(x)
    reduced = [axis for axis in range(x.ndim) if axis not in kept]
    for index in np.ndindex(*[x.shape[axis] for axis in kept]):
        pick = [slice(None)] * x.ndim
        for axis, position in zip(kept, index):
            pick[axis] = position
        values = data[tuple(pick)]
        mean, std = values.mean(), max(np.sqrt(values.var()), 1e-7)
        out[tuple(pick)] = (x[tuple(pick)] - mean) / std
    assert reduced or kept
    return out


@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3), which=st.integers(0, 2), seed=st.integers(0, 2**16))
def test_normalization_forward_adapt_and_gradcheck(any_backend, shape, which, seed):
    minidl.set_floatx("float64")
    rng = np.random.default_rng(seed)
    data = rng.standard_normal((5, *shape)) * 3 + 1
    axis = [-1, None, tuple(range(1, len(shape) + 1))][which]
    kept = {0: (len(shape),), 1: (), 2: tuple(range(1, len(shape) + 1))}[which]
    layer = Normalization(axis=axis)
    layer.adapt(data)
    x = rng.standard_normal((2, *shape))
    np.testing.assert_allclose(to_host(layer(device(x))), numpy_normalize(x, data, kept), rtol=1e-9, atol=1e-9)
    assert max(minidl.gradcheck(lambda t: layer(t), device(x))) < 1e-7
    inverse = Normalization(axis=axis, invert=True)
    inverse.adapt(data)
    np.testing.assert_allclose(to_host(inverse(layer(device(x)))), x, rtol=1e-9, atol=1e-9)


def test_normalization_adapts_batch_by_batch_to_the_whole_data_statistics():
    data = np.random.default_rng(1).standard_normal((100, 3)) * [1, 10, 100] + [0, 5, -50]
    whole = Normalization()
    whole.adapt(data)
    for source in (mtf.data.Dataset.from_tensor_slices(data).batch(7),
                   mtf.data.Dataset.from_tensor_slices((data, np.zeros(100))).batch(13),
                   (data[i:i + 9] for i in range(0, 100, 9)), [data[:50], data[50:]],
                   mtf.data.Dataset.from_tensor_slices(data)):  # unbatched rows are batched, as Keras does
        layer = Normalization()
        layer.adapt(source)
        np.testing.assert_allclose(layer.get_weights()[0], whole.get_weights()[0], rtol=1e-5)
        np.testing.assert_allclose(layer.get_weights()[1], whole.get_weights()[1], rtol=1e-5)
    mean, variance, count = whole.get_weights()
    np.testing.assert_allclose(mean, data.mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(variance, data.var(axis=0), rtol=1e-5)
    assert count == 100 and count.dtype == np.int64
    assert [w.name.split("/")[-1] for w in whole.weights] == ["mean", "variance", "count"]
    assert whole.count_params() == 7 and whole.trainable_weights == []


def test_normalization_with_given_statistics_and_its_errors():
    layer = Normalization(mean=[1.0, 2.0], variance=[4.0, 0.0])
    np.testing.assert_allclose(to_host(layer(np.array([[3.0, 2.0]]))), [[1.0, 0.0]])
    assert layer.weights == []
    scalar = Normalization(mean=3.0, variance=2.0)
    np.testing.assert_allclose(to_host(scalar(np.array([[1.0], [3.0]]))), [[-2 / np.sqrt(2)], [0.0]], rtol=1e-6)
    with pytest.raises(ValueError, match=r"\(Normalization\): give mean and variance together"):
        Normalization(mean=1.0)
    with pytest.raises(ValueError, match="nothing to adapt"):
        layer.adapt(np.zeros((3, 2)))
    adapted = Normalization()
    adapted.adapt(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"built for inputs of shape \(4, 3\).*shape \(2, 5\)"):
        adapted.adapt(np.zeros((2, 5)))
    with pytest.raises(ValueError, match=r"\(Normalization\): expected input of rank 2 with 3 features on the last axis"):
        adapted(np.zeros((2, 1)))


def test_normalization_axis_none_adapts_on_a_vector_and_normalizes_columns():
    """The regression tutorial's single-feature normalizer: ``Normalization(input_shape=[1,],
    axis=None)`` adapted on a 1-D array, then the first layer of a Sequential fed (batch, 1)."""
    values = np.random.default_rng(3).uniform(50, 200, 40)
    layer = Normalization(input_shape=[1], axis=None)
    layer.adapt(values)
    model = minidl.models.Sequential([layer, Dense(1)])
    normalized = to_host(layer(values[:, None]))
    np.testing.assert_allclose(normalized, ((values - values.mean()) / values.std())[:, None], atol=1e-5)
    assert model.predict(values[:5], verbose=0).shape == (5, 1)
    layer.adapt(values.reshape(8, 5))  # scalar statistics: data of any shape adapts them
    np.testing.assert_allclose(layer.get_weights()[0], values.mean(), rtol=1e-6)


def test_lookup_layers_take_a_python_list_as_one_input():
    """``IntegerLookup(vocabulary=[1, 4, 7, 99], output_mode='one_hot')([-1, 4, 1])`` (the pandas
    tutorial): a list of plain numbers is one input, not three."""
    lookup = IntegerLookup(vocabulary=[1, 4, 7, 99], output_mode="one_hot")
    np.testing.assert_array_equal(to_host(lookup([-1, 4, 1])), [[1, 0, 0, 0, 0], [0, 0, 1, 0, 0], [0, 1, 0, 0, 0]])
    assert to_host(IntegerLookup(vocabulary=[3, 5])([[3], [5], [9]])).ravel().tolist() == [1, 2, 0]


# -- CategoryEncoding --------------------------------------------------------------------------

def numpy_encoding(ids, mode, depth, weights=None):
    ids = np.asarray(ids)
    if mode == "one_hot":
        squeezed = ids[..., 0] if ids.ndim > 1 and ids.shape[-1] == 1 else ids
        out = np.zeros(squeezed.shape + (depth,))
        for index in np.ndindex(*squeezed.shape):
            out[index + (squeezed[index],)] = 1
        return out
    rows = ids.reshape(-1, 1) if ids.ndim == 1 else ids
    out = np.zeros(rows.shape[:-1] + (depth,))
    for index in np.ndindex(*rows.shape):
        token = rows[index]
        if mode == "multi_hot":
            out[index[:-1] + (token,)] = 1
        else:
            out[index[:-1] + (token,)] += 1 if weights is None else weights.reshape(rows.shape)[index]
    return out


@given(mode=st.sampled_from(["one_hot", "multi_hot", "count"]), shape=st.lists(st.integers(1, 4), min_size=1,
       max_size=2), depth=st.integers(1, 6), seed=st.integers(0, 2**16))
def test_category_encoding_matches_loops(any_backend, mode, shape, depth, seed):
    ids = np.random.default_rng(seed).integers(0, depth, size=shape)
    out = to_host(CategoryEncoding(depth, output_mode=mode)(ids))
    np.testing.assert_array_equal(out, numpy_encoding(ids, mode, depth))
    assert out.dtype == np.float32


def test_category_encoding_counts_with_weights_and_refuses_ids_out_of_range(any_backend):
    ids = np.array([[0, 1, 1], [3, 3, 3]])
    weights = np.array([[0.5, 1.0, 2.0], [1.0, 1.0, 1.0]], np.float32)
    np.testing.assert_allclose(to_host(CategoryEncoding(4, "count")(ids, count_weights=weights)),
                               [[0.5, 3.0, 0, 0], [0, 0, 0, 3.0]])
    with pytest.raises(ValueError, match=r"\(CategoryEncoding\): every id must be in \[0, 4\), got \[5\]"):
        CategoryEncoding(4)(np.array([[1, 5]]))
    with pytest.raises(ValueError, match=r"num_tokens must be set"):
        CategoryEncoding()
    with pytest.raises(ValueError, match=r"count_weights is only used with output_mode='count'"):
        CategoryEncoding(4)(ids, count_weights=weights)


# -- Discretization ------------------------------------------------------------------------------

@given(values=st.lists(st.floats(-5, 5), min_size=1, max_size=12),
       boundaries=st.lists(st.floats(-4, 4), min_size=1, max_size=4, unique=True))
def test_discretization_buckets_like_a_comparison_loop(any_backend, values, boundaries):
    boundaries = sorted(boundaries)
    x = np.array(values, np.float32)[None, :]
    expected = [[sum(value >= b for b in np.float32(boundaries)) for value in x[0]]]  # in float32, as TensorFlow
    out = to_host(Discretization(bin_boundaries=boundaries)(x))
    np.testing.assert_array_equal(out, expected)
    assert out.dtype == np.int32
    encoded = to_host(Discretization(bin_boundaries=boundaries, output_mode="count")(x))
    np.testing.assert_array_equal(encoded, numpy_encoding(np.array(expected), "count", len(boundaries) + 1))


def test_discretization_adapts_to_quantiles_and_refuses_bad_arguments():
    data = np.random.default_rng(0).standard_normal(10000)
    layer = Discretization(num_bins=4)
    layer.adapt(data)
    np.testing.assert_allclose(layer.bin_boundaries, np.quantile(data, [0.25, 0.5, 0.75]), atol=0.05)
    rebuilt = Discretization.from_config(layer.get_config())
    assert rebuilt.bin_boundaries == layer.bin_boundaries
    with pytest.raises(ValueError, match="give num_bins or bin_boundaries, not both"):
        Discretization(bin_boundaries=[0.0], num_bins=3)
    with pytest.raises(ValueError, match="sorted list"):
        Discretization(bin_boundaries=[1.0, 0.0])
    with pytest.raises(ValueError, match="call adapt"):
        Discretization(num_bins=3)(np.zeros((1, 2)))


# -- StringLookup, IntegerLookup ---------------------------------------------------------------------

def python_vocabulary(rows, max_tokens=None, reserved=1):
    """Most frequent first, ties by the larger string's UTF-8 bytes (Keras's order)."""
    counts = collections.Counter(token for row in rows for token in row)
    ordered = sorted(counts, key=lambda t: (counts[t], t.encode() if isinstance(t, str) else t), reverse=True)
    return ordered if max_tokens is None else ordered[:max_tokens - reserved]


@given(rows=st.lists(st.lists(st.sampled_from(["a", "b", "cat", "dog", "é", "zz"]), min_size=2, max_size=2),
                     min_size=1, max_size=8), max_tokens=st.sampled_from([None, 3, 5]))
def test_string_lookup_vocabulary_and_indices_follow_counts(any_backend, rows, max_tokens):
    layer = StringLookup(max_tokens=max_tokens)
    layer.adapt(np.array(rows))
    vocabulary = python_vocabulary(rows, max_tokens)
    assert layer.get_vocabulary() == ["[UNK]"] + vocabulary
    queries = np.array([["a", "nope"], ["zz", "dog"]])
    expected = [[vocabulary.index(t) + 1 if t in vocabulary else 0 for t in row] for row in queries.tolist()]
    out = to_host(layer(queries))
    np.testing.assert_array_equal(out, expected)
    assert out.dtype == np.int64


def test_lookup_special_tokens_invert_oov_buckets_and_errors():
    layer = StringLookup(mask_token="", vocabulary=["x", "y"])
    assert layer.get_vocabulary() == ["", "[UNK]", "x", "y"]
    np.testing.assert_array_equal(to_host(layer(np.array([["x", "", "q"]]))), [[2, 0, 1]])
    inverse = StringLookup(mask_token="", vocabulary=["x", "y"], invert=True)
    assert inverse(np.array([[0, 1, 2, 3, 9]])).data.tolist() == [["", "[UNK]", "x", "y", "[UNK]"]]
    buckets = StringLookup(num_oov_indices=3, vocabulary=["x"])
    unknown = ["p", "q", "r", "s", "t"]
    expected = [fingerprint64(t.encode()) % 3 for t in unknown]
    np.testing.assert_array_equal(to_host(buckets(np.array(unknown))), expected)
    salted = StringLookup(num_oov_indices=3, vocabulary=["x"], salt=[5, 7])
    np.testing.assert_array_equal(to_host(salted(np.array(unknown))), [siphash24([5, 7], t.encode()) % 3 for t in unknown])
    integers = IntegerLookup(num_oov_indices=3)
    integers.adapt(np.array([3, 3, 7, -1]))
    assert integers.get_vocabulary() == [-1, -1, -1, 3, 7]
    np.testing.assert_array_equal(to_host(integers(np.array([[3, 7, 9, 100, -5]]))), [[3, 4, 0, 1, 1]])
    with pytest.raises(ValueError, match="repeats"):
        StringLookup(vocabulary=["a", "a"])
    with pytest.raises(ValueError, match="not in the vocabulary and num_oov_indices=0"):
        StringLookup(vocabulary=["a"], num_oov_indices=0)(np.array(["b"]))
    with pytest.raises(RuntimeError, match="vocabulary must be set before the layer is called"):
        StringLookup(output_mode="one_hot")(np.array(["b"]))
    with pytest.raises(ValueError, match="cannot also adapt"):
        StringLookup(vocabulary=["a"]).adapt(np.array(["b"]))
    with pytest.raises(TypeError, match=r"\(StringLookup\): the input: expected strings"):
        StringLookup(vocabulary=["a"])(np.array([1.5]))


def test_lookup_encodings_drop_masked_values_and_weight_tf_idf():
    layer = StringLookup(num_oov_indices=2, mask_token="", output_mode="multi_hot")
    layer.adapt(np.array([["a", "b", ""], ["a", "c", "x"]]))
    assert layer.get_vocabulary() == ["[UNK]", "[UNK]", "a", "x", "c", "b"]
    out = to_host(layer(np.array([["a", "", "b"], ["c", "c", "x"]])))
    np.testing.assert_array_equal(out, [[0, 0, 1, 0, 0, 1], [0, 0, 0, 1, 1, 0]])
    tf_idf = StringLookup(output_mode="tf_idf")
    tf_idf.adapt(np.array([["a", "b"], ["a", "c"], ["a", "a"]]))
    idf = {"a": np.log(1 + 3 / 4), "b": np.log(1 + 3 / 2), "c": np.log(1 + 3 / 2)}
    oov_idf = np.mean(list(idf.values()))
    np.testing.assert_allclose(to_host(tf_idf(np.array([["a", "b"], ["z", "z"]]))),
                               [[0, idf["a"], 0, idf["b"]], [2 * oov_idf, 0, 0, 0]], rtol=1e-6)


def test_lookup_config_round_trips_the_learned_vocabulary():
    layer = StringLookup(output_mode="count")
    layer.adapt(np.array(["b", "a", "b"]))
    rebuilt = StringLookup.from_config(layer.get_config())
    assert rebuilt.get_vocabulary() == layer.get_vocabulary() == ["[UNK]", "b", "a"]
    np.testing.assert_array_equal(to_host(rebuilt(np.array([["a", "b", "b"]]))), [[0, 2, 1]])


# -- Hashing -----------------------------------------------------------------------------------

def test_hashing_bins_strings_and_numbers_by_fingerprint(any_backend):
    words = np.array([["the"], ["cat"], ["sat"], ["on"], ["the"]])
    np.testing.assert_array_equal(to_host(Hashing(5)(words)), [[fingerprint64(w.encode()) % 5] for w in words[:, 0]])
    numbers = np.array([[12], [-3], [7]])
    np.testing.assert_array_equal(to_host(Hashing(4)(numbers)), [[fingerprint64(str(n).encode()) % 4] for n in [12, -3, 7]])
    masked = to_host(Hashing(4, mask_value="the")(words))
    assert masked[0, 0] == 0 and masked[4, 0] == 0 and all(1 <= v <= 3 for v in masked[1:4, 0])
    salted = to_host(Hashing(6, salt=11)(words))
    np.testing.assert_array_equal(salted, [[siphash24([11, 11], w.encode()) % 6] for w in words[:, 0]])
    assert to_host(Hashing(3, output_mode="multi_hot")(words)).shape == (5, 3)


# -- TextVectorization ----------------------------------------------------------------------------

CORPUS = np.array(["The cat sat on the mat.", "The dog ate my homework!", "Élan vital, ÉCOLE", "a\tb  c\u00a0d"])


def python_tokens(text, standardize="lower_and_strip_punctuation"):
    if standardize in ("lower", "lower_and_strip_punctuation"):
        text = "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in text)
    if standardize in ("strip_punctuation", "lower_and_strip_punctuation"):
        text = "".join(c for c in text if c not in string.punctuation)
    return [token for token in re.split("[ \t\n\r\f\v]+", text) if token]


def test_text_vectorization_tokenizes_counts_and_pads_like_the_python_reference(any_backend):
    layer = TextVectorization(output_sequence_length=6)
    layer.adapt(CORPUS)
    rows = [python_tokens(text) for text in CORPUS]
    vocabulary = python_vocabulary(rows)
    assert layer.get_vocabulary() == ["", "[UNK]"] + vocabulary
    query = np.array(["the cat ate the unknown word here", "b"])
    ids = [[vocabulary.index(t) + 2 if t in vocabulary else 1 for t in python_tokens(text)][:6] for text in query]
    expected = [row + [0] * (6 - len(row)) for row in ids]
    out = to_host(layer(query))
    np.testing.assert_array_equal(out, expected)
    assert out.dtype == np.int64
    unpadded = TextVectorization(vocabulary=vocabulary)
    assert to_host(unpadded(np.array([["cat"], ["the cat sat"]]))).shape == (2, 3)


def test_text_vectorization_ngrams_characters_and_vector_modes():
    bigrams = TextVectorization(ngrams=2, vocabulary=["the", "cat", "the cat"])
    np.testing.assert_array_equal(to_host(bigrams(np.array(["the cat"]))), [[2, 3, 4]])
    characters = TextVectorization(split="character", standardize=None, vocabulary=["a", "b"])
    np.testing.assert_array_equal(to_host(characters(np.array(["abA"]))), [[2, 3, 1]])
    counts = TextVectorization(output_mode="count", vocabulary=["a", "b"])
    np.testing.assert_array_equal(to_host(counts(np.array(["a a b c", ""]))), [[1, 2, 1], [0, 0, 0]])
    multi_hot = TextVectorization(output_mode="multi_hot", max_tokens=5, pad_to_max_tokens=True, vocabulary=["a"])
    np.testing.assert_array_equal(to_host(multi_hot(np.array(["a a"]))), [[0, 1, 0, 0, 0]])
    with pytest.raises(ValueError, match="one_hot.*needs split=None"):
        TextVectorization(output_mode="one_hot")
    with pytest.raises(ValueError, match=r"standardize must be one of"):
        TextVectorization(standardize="upper")


def custom_standardization(input_data):
    """The standardisation of TensorFlow's text-classification tutorial."""
    lowercase = mtf.strings.lower(input_data)
    stripped_html = mtf.strings.regex_replace(lowercase, "<br />", " ")
    return mtf.strings.regex_replace(stripped_html, f"[{re.escape(string.punctuation)}]", "")


def test_text_vectorization_takes_a_tf_strings_standardization():
    layer = TextVectorization(standardize=custom_standardization, vocabulary=["great", "movie"])
    np.testing.assert_array_equal(to_host(layer(np.array(["Great<br />MOVIE!!"]))), [[2, 3]])
    rebuilt = TextVectorization.from_config(layer.get_config())
    assert rebuilt.standardize is custom_standardization


TEXTS = np.array(["good movie", "bad movie", "great film", "awful film", "good good", "bad bad"] * 4)
LABELS = np.array([1, 0, 1, 0, 1, 0] * 4)


def test_models_train_on_strings_sequential_functional_and_tf_data(any_backend):
    minidl.set_seed(0)
    vectorize = TextVectorization(max_tokens=20, output_sequence_length=3)
    vectorize.adapt(mtf.data.Dataset.from_tensor_slices((TEXTS, LABELS)).batch(5).map(lambda x, y: x))
    sequential = Sequential([vectorize, Embedding(20, 4), GlobalAveragePooling1D(), Dense(1, activation="sigmoid")])
    sequential.compile("adam", "binary_crossentropy")
    sequential.fit(TEXTS, LABELS, epochs=1, batch_size=8, verbose=0)
    assert sequential.predict(["good film", "bad"], verbose=0).shape == (2, 1)
    assert sequential.layers[0].output_shape == (None, 3)
    inputs = Input(shape=(1,), dtype="string")
    outputs = Dense(1)(GlobalAveragePooling1D()(Embedding(20, 2)(vectorize(inputs))))
    functional = Model(inputs, outputs)
    functional.compile("adam", "mse")
    functional.fit(mtf.data.Dataset.from_tensor_slices((TEXTS, LABELS)).batch(8), epochs=1, verbose=0)
    assert functional.predict(TEXTS[:, None], verbose=0).shape == (24, 1)
    assert functional(np.array([["good"]])).shape == (1, 1)
    lookup_model = Sequential([Input(shape=(1,), dtype="string"), StringLookup(vocabulary=["good", "bad"]),
                               Embedding(3, 2)])
    assert lookup_model.predict(np.array([["good"], ["x"]]), verbose=0).shape == (2, 1, 2)


def test_text_is_refused_with_advice_unless_the_first_layer_takes_strings():
    numbers = Sequential([Input((2,)), Dense(1)])
    numbers.compile("adam", "mse")
    with pytest.raises(TypeError, match=r"fit: x: got text.*TextVectorization layer the model's first layer"):
        numbers.fit(np.array([["a", "b"]]), np.zeros(1), verbose=0)
    text = Sequential([Input((1,), dtype="string"), TextVectorization(vocabulary=["a"])])
    with pytest.raises(TypeError, match=r"\(TextVectorization\): expected strings in predict: x, got an array of "
                                        r"dtype float"):
        text.predict(np.zeros((2, 1)), verbose=0)


def test_string_model_round_trips_through_json_and_files(tmp_path):
    vectorize = TextVectorization(max_tokens=10, output_sequence_length=4)
    vectorize.adapt(TEXTS)
    inputs = Input(shape=(1,), dtype="string")
    model = Model(inputs, Dense(1)(GlobalAveragePooling1D()(Embedding(10, 3)(vectorize(inputs)))))
    expected = model.predict(TEXTS[:3, None], verbose=0)
    for name in ("m.keras", "m.npz"):
        model.save(tmp_path / name)
        loaded = minidl.models.load_model(tmp_path / name)
        assert loaded.layers[1].get_vocabulary() == vectorize.get_vocabulary()
        np.testing.assert_allclose(loaded.predict(TEXTS[:3, None], verbose=0), expected, rtol=1e-6)
    rebuilt = minidl.models.model_from_json(model.to_json())
    assert rebuilt.layers[1].get_vocabulary() == vectorize.get_vocabulary()


# -- against Keras ---------------------------------------------------------------------------------

def test_preprocessing_layers_match_keras():
    keras = keras_or_skip()
    rng = np.random.default_rng(3)
    features = rng.standard_normal((40, 3)).astype("float32") * [1, 5, 9]
    ours, theirs = Normalization(), keras.layers.Normalization()
    ours.adapt(features)
    theirs.adapt(features)
    np.testing.assert_allclose(to_host(ours(features[:5])), np.asarray(theirs(features[:5])), rtol=1e-4, atol=1e-5)
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.get_weights()]
    assert ours.count_params() == theirs.count_params()
    data = rng.standard_normal(500).astype("float32")
    ours, theirs = Discretization(num_bins=5), keras.layers.Discretization(num_bins=5)
    ours.adapt(data)
    theirs.adapt(data)
    np.testing.assert_allclose(ours.bin_boundaries, theirs.bin_boundaries, rtol=1e-6)
    np.testing.assert_array_equal(to_host(ours(data[:20, None])), np.asarray(theirs(data[:20, None])))
    words = np.array([["the", "cat"], ["sat", "on"], ["the", "mat"], ["a", "é"]])
    for kwargs in ({}, {"num_oov_indices": 3}, {"mask_token": "", "output_mode": "multi_hot"},
                   {"output_mode": "tf_idf"}, {"max_tokens": 4, "output_mode": "count", "pad_to_max_tokens": True},
                   {"salt": 9, "num_oov_indices": 2}):
        ours, theirs = StringLookup(**kwargs), keras.layers.StringLookup(**kwargs)
        ours.adapt(words[:3])
        theirs.adapt(words[:3])
        assert ours.get_vocabulary() == [str(t) for t in theirs.get_vocabulary()], kwargs
        np.testing.assert_allclose(to_host(ours(words)), np.asarray(theirs(words)), rtol=1e-5, err_msg=str(kwargs))
    for kwargs in ({}, {"salt": [3, 4]}, {"mask_value": "the"}, {"output_mode": "count"}):
        np.testing.assert_array_equal(to_host(Hashing(7, **kwargs)(words)),
                                      np.asarray(keras.layers.Hashing(7, **kwargs)(words)), err_msg=str(kwargs))
    numbers = np.array([[1, 22], [-5, 3]])
    np.testing.assert_array_equal(to_host(Hashing(9)(numbers)), np.asarray(keras.layers.Hashing(9)(numbers)))
    np.testing.assert_array_equal(to_host(Hashing(9)(numbers.astype("float32") + 0.7)),
                                  np.asarray(keras.layers.Hashing(9)(numbers.astype("float32") + 0.7)))
    ints = np.array([[3, 3, 7], [9, 9, 9]])
    for kwargs in ({}, {"num_oov_indices": 2}, {"mask_token": 0, "output_mode": "one_hot"}, {"oov_method": "farmhash",
                                                                                              "num_oov_indices": 3}):
        ours, theirs = IntegerLookup(**kwargs), keras.layers.IntegerLookup(**kwargs)
        ours.adapt(ints)
        theirs.adapt(ints)
        assert ours.get_vocabulary() == [int(t) for t in theirs.get_vocabulary()], kwargs
        query = np.array([[3, 9, 11, -4]])
        if "one_hot" in kwargs.values():
            query = np.array([[3], [9], [11], [0]])
        np.testing.assert_array_equal(to_host(ours(query)), np.asarray(theirs(query)), err_msg=str(kwargs))


@pytest.mark.parametrize("kwargs", [
    {}, {"output_sequence_length": 4}, {"ngrams": 2}, {"ngrams": (1, 3), "output_mode": "tf_idf"},
    {"split": "character", "max_tokens": 12}, {"standardize": "lower", "output_mode": "count"},
    {"standardize": None, "output_mode": "multi_hot", "max_tokens": 8, "pad_to_max_tokens": True},
    {"split": None, "output_mode": "one_hot"},
], ids=lambda kwargs: ",".join(f"{k}={v}" for k, v in kwargs.items()) or "defaults")
def test_text_vectorization_matches_keras(kwargs):
    keras = keras_or_skip()
    ours, theirs = TextVectorization(**kwargs), keras.layers.TextVectorization(**kwargs)
    ours.adapt(CORPUS)
    theirs.adapt(CORPUS)
    assert ours.get_vocabulary() == [str(t) for t in theirs.get_vocabulary()]
    query = np.array(["The cat ate a DOG!", "vital mat", "é"])
    if kwargs.get("split", "whitespace") is None:
        query = CORPUS[:2]
    np.testing.assert_allclose(to_host(ours(query)), np.asarray(theirs(query)), rtol=1e-5)


def test_custom_standardization_matches_tensorflow():
    keras_or_skip()
    import tensorflow as tf

    def tensorflow_standardization(input_data):
        lowercase = tf.strings.lower(input_data)
        stripped_html = tf.strings.regex_replace(lowercase, "<br />", " ")
        return tf.strings.regex_replace(stripped_html, f"[{re.escape(string.punctuation)}]", "")

    texts = np.array(["A <br />GREAT film!", "ÉCOLE d'été... (2019)", "tabs\tand  spaces"])
    ours = custom_standardization(texts).numpy()
    theirs = tensorflow_standardization(tf.constant(texts)).numpy()
    assert ours.tolist() == theirs.tolist()


def test_normalization_statistics_that_do_not_fit_the_input_are_named():
    layer = minidl.layers.Normalization(mean=[1.0, 2.0], variance=[1.0, 1.0])
    with pytest.raises(ValueError, match=r"mean and variance of shape \(2,\) do not fit inputs of shape \(2, 3\): "
                                         r"expected one number or shape \(3,\)"):
        layer(np.ones((2, 3), np.float32))
    np.testing.assert_allclose(minidl.layers.Normalization(mean=1.0, variance=4.0)(np.full((2, 3), 3.0)).numpy(), 1.0)


def test_adapt_takes_pandas_columns_and_frames():
    """TextVectorization.adapt(df['review']) (or .values, pandas' own string array) is one batch
    of texts, not a text per batch; a numeric DataFrame is one batch of rows."""
    pandas = pytest.importorskip("pandas", reason="adapting to pandas data needs pandas")
    frame = pandas.DataFrame({"review": ["good movie", "bad film", "good good"], "a": [1.0, 2.0, 3.0],
                              "b": [2.0, 4.0, 6.0]})
    for column in (frame["review"], frame["review"].values):
        vectorizer = minidl.layers.TextVectorization(max_tokens=10, output_sequence_length=4)
        vectorizer.adapt(column)
        assert vectorizer.get_vocabulary()[2] == "good"
    normalization = minidl.layers.Normalization()
    normalization.adapt(frame[["a", "b"]])
    np.testing.assert_allclose(np.asarray(normalization.mean).ravel(), [2.0, 4.0])


def test_input_layer_takes_keras_3_shape_arguments():
    assert minidl.layers.InputLayer(shape=(4,)).batch_input_shape == (None, 4)
    assert minidl.layers.InputLayer(batch_shape=(2, 3)).batch_input_shape == (2, 3)
    with pytest.raises(ValueError, match="give shape or input_shape, not both"):
        minidl.layers.InputLayer(shape=(4,), input_shape=(4,))
