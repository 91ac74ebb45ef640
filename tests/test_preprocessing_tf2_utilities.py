"""TensorFlow 2.15's preprocessing names students still use: ``keras.preprocessing.sequence``'s
``TimeseriesGenerator``, ``skipgrams`` and ``make_sampling_table``, and ``Tokenizer``'s JSON
(``get_config``, ``to_json``, ``text.tokenizer_from_json``).

The expected values are worked out by hand (each test says how); where Keras is installed,
``test_*_equal_keras`` compare with Keras 2's code as Keras 3 keeps it
(``keras.src.legacy.preprocessing``).
"""

import json
import random

import numpy as np
import pytest

import minidl.keras as keras
from minidl.keras.preprocessing.sequence import TimeseriesGenerator, make_sampling_table, skipgrams
from minidl.keras.preprocessing.text import Tokenizer, tokenizer_from_json


def legacy_keras():
    pytest.importorskip("keras", reason="real Keras is not installed (CI does not install it)")
    from keras.src.legacy.preprocessing import sequence, text

    return sequence, text


def test_the_names_resolve_where_keras_and_tf_keras_have_them():
    import minidl.preprocessing.sequence as sequence
    import minidl.preprocessing.text as text
    from minidl.tf.keras.preprocessing.sequence import TimeseriesGenerator as TfGenerator
    from minidl.tf.keras.preprocessing.text import tokenizer_from_json as tf_from_json

    assert TfGenerator is TimeseriesGenerator is sequence.TimeseriesGenerator
    assert keras.preprocessing.sequence.skipgrams is sequence.skipgrams
    assert keras.preprocessing.sequence.make_sampling_table is sequence.make_sampling_table
    assert tf_from_json is tokenizer_from_json is text.tokenizer_from_json


# -- TimeseriesGenerator ----------------------------------------------------------------------------

SERIES = np.arange(10)  # step t holds t, so every sample shows which steps it took


def test_timeseries_generator_batches_by_hand():
    generator = TimeseriesGenerator(SERIES, SERIES * 10, length=3, batch_size=2)
    # targets at steps 3..9 (7 samples), two per batch -> 4 batches, the last with one sample
    assert len(generator) == 4
    x, y = generator[0]
    assert x.tolist() == [[0, 1, 2], [1, 2, 3]] and y.tolist() == [30, 40]
    x, y = generator[3]
    assert x.tolist() == [[6, 7, 8]] and y.tolist() == [90]
    assert [batch[1].tolist() for batch in generator] == [[30, 40], [50, 60], [70, 80], [90]]
    assert generator[-1][1].tolist() == [90]


def test_timeseries_generator_options_by_hand():
    # sampling_rate 2: every other step of the last 4; stride 3: targets at 4, 7 (then 10 > end)
    sampled = TimeseriesGenerator(SERIES, SERIES, length=4, sampling_rate=2, stride=3, batch_size=5)
    assert len(sampled) == 1 and sampled[0][0].tolist() == [[0, 2], [3, 5]] and sampled[0][1].tolist() == [4, 7]
    # start_index 2 + length 2: the first target is step 4; end_index 6 is the last; reversed samples
    window = TimeseriesGenerator(SERIES, SERIES, length=2, start_index=2, end_index=6, reverse=True, batch_size=2)
    assert len(window) == 2
    assert [(x.tolist(), y.tolist()) for x, y in window] == [([[3, 2], [4, 3]], [4, 5]), ([[5, 4]], [6])]
    features = np.arange(20).reshape(10, 2)  # (steps, features) -> samples (batch, length, features)
    x, y = TimeseriesGenerator(features, SERIES, length=2, batch_size=3)[0]
    assert x.shape == (3, 2, 2) and x[0].tolist() == [[0, 1], [2, 3]] and y.tolist() == [2, 3, 4]
    listed = TimeseriesGenerator(list(range(6)), list(range(6)), length=2, batch_size=10)  # lists work too
    assert listed[0][0].tolist() == [[0, 1], [1, 2], [2, 3], [3, 4]]


def test_timeseries_generator_shuffles_from_numpys_generator():
    generator = TimeseriesGenerator(SERIES, SERIES, length=3, shuffle=True, batch_size=4)
    np.random.seed(0)
    x, y = generator[0]
    np.random.seed(0)
    assert y.tolist() == np.random.randint(3, 10, size=4).tolist()  # Keras's draw: rows from start to end
    assert x.tolist() == [[row - 3, row - 2, row - 1] for row in y.tolist()]


@pytest.mark.parametrize("arguments, message", [
    (dict(targets=SERIES[:5]), "data and targets must have the same length, got 10 steps of data and 5 targets"),
    (dict(length=0), "length must be a positive int, got 0"),
    (dict(length=2.0), "length must be a positive int, got 2.0"),
    (dict(sampling_rate=0), "sampling_rate must be a positive int, got 0"),
    (dict(stride=-1), "stride must be a positive int, got -1"),
    (dict(batch_size=0), "batch_size must be a positive int, got 0"),
    (dict(start_index=-1), "start_index must be a non-negative int, got -1"),
    (dict(end_index=10), r"end_index must be at most the last step of data \(9\), got 10"),
    (dict(length=8, start_index=2), "start_index \\+ length = 10 is beyond end_index = 9"),
])
def test_timeseries_generator_names_a_bad_argument(arguments, message):
    arguments = {"data": SERIES, "targets": SERIES, "length": 3, **arguments}
    with pytest.raises(ValueError, match="TimeseriesGenerator: " + message):
        TimeseriesGenerator(**arguments)


def test_timeseries_generator_trains_a_model():
    steps = np.arange(200, dtype="float32")
    series = np.sin(steps / 8).reshape(-1, 1)
    generator = TimeseriesGenerator(series, series, length=6, batch_size=16)
    model = keras.Sequential([keras.layers.LSTM(8, input_shape=(6, 1)), keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(generator, epochs=3, verbose=0)
    assert len(history.history["loss"]) == 3 and history.history["loss"][-1] < history.history["loss"][0]
    assert model.predict(generator, verbose=0).shape == (194, 1)
    assert np.isfinite(model.evaluate(generator, verbose=0))


def test_timeseries_generator_equals_keras():
    sequence, _ = legacy_keras()
    data = np.arange(60, dtype="float32").reshape(30, 2)
    targets = np.arange(30) * 3
    for arguments in [dict(length=5), dict(length=4, sampling_rate=2, stride=3, batch_size=3),
                      dict(length=3, start_index=2, end_index=20, reverse=True, batch_size=4),
                      dict(length=2, shuffle=True, batch_size=5)]:
        theirs, ours = sequence.TimeseriesGenerator(data, targets, **arguments), TimeseriesGenerator(data, targets,
                                                                                                   **arguments)
        assert len(ours) == len(theirs), arguments
        for index in range(len(ours)):
            np.random.seed(index)
            their_x, their_y = theirs[index]
            np.random.seed(index)
            our_x, our_y = ours[index]
            np.testing.assert_array_equal(our_x, their_x)
            np.testing.assert_array_equal(our_y, their_y)


# -- skipgrams and make_sampling_table --------------------------------------------------------------

def test_skipgrams_pairs_by_hand():
    # word 0 is padding: no pair has it; window 1 pairs each word with its direct neighbours
    couples, labels = skipgrams([1, 2, 0, 3, 4], vocabulary_size=5, window_size=1, negative_samples=0, shuffle=False)
    assert couples == [[1, 2], [2, 1], [3, 4], [4, 3]] and labels == [1, 1, 1, 1]
    couples, labels = skipgrams([1, 2, 3], 4, window_size=2, negative_samples=0, shuffle=False, categorical=True)
    assert couples == [[1, 2], [1, 3], [2, 1], [2, 3], [3, 1], [3, 2]] and labels == [[0, 1]] * 6
    assert skipgrams([1, 2, 3], 4, window_size=0, negative_samples=0) == ([], [])
    assert skipgrams([], 4) == ([], [])


def test_skipgrams_negative_samples_and_shuffling():
    random.seed(1)
    couples, labels = skipgrams([1, 2, 3, 4], vocabulary_size=9, window_size=1, negative_samples=1.5, shuffle=False)
    positive = [[1, 2], [2, 1], [2, 3], [3, 2], [3, 4], [4, 3]]
    assert couples[:6] == positive and labels == [1] * 6 + [0] * 9  # int(6 * 1.5) negatives
    # a negative pair's target cycles through the positive targets, shuffled; its context is any id in [1, 9)
    targets = [target for target, _ in couples[6:]]
    assert sorted(targets[:6]) == [1, 2, 2, 3, 3, 4] and targets[6:] == targets[:3]
    assert all(1 <= context <= 8 for _, context in couples[6:])
    shuffled, shuffled_labels = skipgrams([1, 2, 3, 4], 9, window_size=1, seed=7)
    again, again_labels = skipgrams([1, 2, 3, 4], 9, window_size=1, seed=7)
    assert len(shuffled) == 12 and sorted(shuffled_labels) == [0] * 6 + [1] * 6
    kept = [couple for couple, label in zip(shuffled, shuffled_labels) if label == 1]
    assert sorted(kept) == sorted(positive)  # couples and labels are shuffled alike
    assert again_labels == shuffled_labels  # the order depends only on the seed
    assert [couple for couple, label in zip(again, again_labels) if label == 1] == kept


def test_skipgrams_sampling_table_keeps_words_by_their_probability():
    never = np.zeros(5)
    assert skipgrams([1, 2, 3, 4], 5, negative_samples=0, sampling_table=never) == ([], [])
    always = np.ones(5)
    assert len(skipgrams([1, 2, 3, 4], 5, window_size=1, negative_samples=0, sampling_table=always)[0]) == 6
    with pytest.raises(ValueError, match=r"skipgrams: sampling_table has 5 entries but sequence holds word id 7; "
                                         r"make it with make_sampling_table\(vocabulary_size\)"):
        skipgrams([1, 7], 8, sampling_table=always)


@pytest.mark.parametrize("arguments, message", [
    (dict(vocabulary_size=0), "vocabulary_size must be a positive int, got 0"),
    (dict(window_size=-1), "window_size must be a non-negative int, got -1"),
    (dict(window_size=1.5), "window_size must be a non-negative int, got 1.5"),
    (dict(negative_samples=-1), r"negative_samples must be a number >= 0 .* got -1"),
    (dict(negative_samples="1"), r"negative_samples must be a number >= 0 .* got '1'"),
    (dict(sequence=["a", "b"]), r"sequence must be a list of word ids \(ints\), got \['a', 'b'\]"),
    (dict(vocabulary_size=1), "vocabulary_size must be at least 2 to draw negative samples"),
])
def test_skipgrams_names_a_bad_argument(arguments, message):
    arguments = {"sequence": [1, 2, 3], "vocabulary_size": 4, **arguments}
    with pytest.raises(ValueError, match="skipgrams: " + message):
        skipgrams(**arguments)


def test_make_sampling_table_by_hand():
    # Keras's formula: f = factor * (r (ln r + 0.577) + 1/2 - 1/(12 r)), p = min(1, sqrt(f)), rank 0 as rank 1
    table = make_sampling_table(4, sampling_factor=0.01)
    by_hand = [min(1.0, (0.01 * (r * (np.log(r) + 0.577) + 0.5 - 1 / (12 * r))) ** 0.5) for r in (1, 1, 2, 3)]
    np.testing.assert_allclose(table, by_hand, rtol=1e-12)
    assert table.shape == (4,) and table[0] == table[1]
    np.testing.assert_allclose(make_sampling_table(3)[1], (1e-5 * (0.577 + 0.5 - 1 / 12)) ** 0.5, rtol=1e-12)
    assert make_sampling_table(100000, 1e-5)[-1] == 1.0  # rare words are always kept
    with pytest.raises(ValueError, match="make_sampling_table: size must be a positive int, got 0"):
        make_sampling_table(0)
    with pytest.raises(ValueError, match="make_sampling_table: sampling_factor must be a positive number, got -1"):
        make_sampling_table(5, -1)


# Keras draws a shuffling seed with random.randint(0, 10e6), a float bound Python 3.10-3.11 warn about
@pytest.mark.filterwarnings("ignore:non-integer arguments to randrange:DeprecationWarning")
def test_skipgrams_and_sampling_table_equal_keras():
    sequence, _ = legacy_keras()
    for size, factor in [(50, 1e-5), (7, 1e-3), (1000, 0.05)]:
        np.testing.assert_array_equal(make_sampling_table(size, factor), sequence.make_sampling_table(size, factor))
    words = [0, 3, 1, 4, 1, 5, 9, 2, 6, 0, 5, 3]
    table = sequence.make_sampling_table(10, 0.05)
    for arguments in [dict(), dict(shuffle=False), dict(negative_samples=0.5, categorical=True),
                      dict(window_size=1, seed=3), dict(sampling_table=table),
                      dict(sampling_table=table, negative_samples=2, seed=11)]:
        random.seed(42)
        theirs, their_next = sequence.skipgrams(words, 10, **arguments), random.random()
        random.seed(42)
        ours, our_next = skipgrams(words, 10, **arguments), random.random()
        assert ours == theirs and our_next == their_next, arguments  # the same pairs, and random left alike


# -- Tokenizer's JSON -------------------------------------------------------------------------------

TEXTS = ["The cat sat on the mat.", "The dog ate my homework!", "cat and dog"]


def fitted(**settings):
    tokenizer = Tokenizer(**settings)
    tokenizer.fit_on_texts(TEXTS)
    return tokenizer


def test_get_config_holds_the_settings_and_the_tables_as_json():
    config = fitted(num_words=5, oov_token="<OOV>").get_config()
    assert list(config) == ["num_words", "filters", "lower", "split", "char_level", "oov_token", "document_count",
                            "word_counts", "word_docs", "index_docs", "index_word", "word_index"]
    assert (config["num_words"], config["oov_token"], config["document_count"]) == (5, "<OOV>", 3)
    # counts in first-seen order; ranks by count, ties in first-seen order, the OOV token first
    assert config["word_counts"] == ('{"the": 3, "cat": 2, "sat": 1, "on": 1, "mat": 1, "dog": 2, "ate": 1, '
                                     '"my": 1, "homework": 1, "and": 1}')
    assert json.loads(config["word_index"]) == {"<OOV>": 1, "the": 2, "cat": 3, "dog": 4, "sat": 5, "on": 6,
                                                "mat": 7, "ate": 8, "my": 9, "homework": 10, "and": 11}
    assert json.loads(config["index_word"])["3"] == "cat"  # integer keys become strings in JSON
    assert json.loads(config["index_docs"]) == {"2": 2, "3": 2, "4": 2, "5": 1, "6": 1, "7": 1, "8": 1, "9": 1,
                                                "10": 1, "11": 1}
    assert json.loads(config["word_docs"])["the"] == 2


@pytest.mark.parametrize("settings", [dict(), dict(num_words=5, oov_token="<OOV>"),
                                      dict(char_level=True, lower=False), dict(filters="", split=",")])
def test_tokenizer_from_json_gives_back_an_equivalent_tokenizer(settings):
    original = fitted(**settings)
    text = original.to_json()
    assert json.loads(text)["class_name"] == "Tokenizer"
    restored = tokenizer_from_json(text)
    for name in ("num_words", "filters", "lower", "split", "char_level", "oov_token", "document_count",
                 "word_index", "index_word", "index_docs", "word_docs"):
        assert getattr(restored, name) == getattr(original, name), name
    assert list(restored.word_counts.items()) == list(original.word_counts.items())  # order kept
    assert restored.texts_to_sequences(TEXTS + ["a zebra"]) == original.texts_to_sequences(TEXTS + ["a zebra"])
    np.testing.assert_array_equal(restored.texts_to_matrix(TEXTS, "tfidf"), original.texts_to_matrix(TEXTS, "tfidf"))
    assert restored.to_json() == text
    restored.fit_on_texts(["a new text, the end"])  # it goes on fitting like the original
    original.fit_on_texts(["a new text, the end"])
    assert restored.get_config() == original.get_config()


def test_to_json_passes_its_options_to_json_dumps():
    text = fitted().to_json(indent=2, sort_keys=True)
    assert text.startswith('{\n  "class_name": "Tokenizer",\n  "config": {\n    "char_level": false')
    assert tokenizer_from_json(text).word_index == fitted().word_index


@pytest.mark.parametrize("text, error, message", [
    (42, TypeError, "json_string must be the text Tokenizer.to_json\\(\\) wrote, got int"),
    ("{not json", ValueError, "json_string is not JSON"),
    ('{"class_name": "Model", "config": {}}', ValueError, "json_string must hold {'class_name': 'Tokenizer'"),
    ('[1, 2]', ValueError, "json_string must hold {'class_name': 'Tokenizer'"),
    ('{"config": {"num_words": 3}}', ValueError, r"the tokenizer's config has no JSON text for the tables \['word_counts', 'word_docs'"),
])
def test_tokenizer_from_json_names_what_is_wrong(text, error, message):
    with pytest.raises(error, match="tokenizer_from_json: " + message):
        tokenizer_from_json(text)


def test_tokenizer_from_json_refuses_settings_it_does_not_know():
    config = json.loads(fitted().to_json())
    config["config"]["analyser"] = None
    with pytest.raises(ValueError, match=r"tokenizer_from_json: the tokenizer's config has unknown keys "
                                         r"\['analyser'\]; expected the keys \['num_words'"):
        tokenizer_from_json(json.dumps(config))


def test_tokenizer_json_equals_keras():
    _, text = legacy_keras()
    for settings in [dict(), dict(num_words=5, oov_token="<OOV>"), dict(char_level=True)]:
        theirs, ours = text.Tokenizer(**settings), Tokenizer(**settings)
        theirs.fit_on_texts(TEXTS)
        ours.fit_on_texts(TEXTS)
        assert ours.to_json() == theirs.to_json() and ours.get_config() == theirs.get_config()
        from_keras = tokenizer_from_json(theirs.to_json())
        to_keras = text.tokenizer_from_json(ours.to_json())
        assert from_keras.get_config() == theirs.get_config() and to_keras.get_config() == ours.get_config()
        assert from_keras.texts_to_sequences(TEXTS) == theirs.texts_to_sequences(TEXTS)
