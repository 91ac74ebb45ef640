"""word2vec on minidl: pair generation, learning on a corpus with known structure, and the
KeyedVectors query API and file formats."""

import numpy as np
import pytest

from minidl.text import KeyedVectors, Word2Vec
from tests.conftest import data_dir, to_host


def topic_corpus(seed=0, sentences=600):
    """Sentences drawn from one of two disjoint topics: words of a topic share contexts."""
    rng = np.random.default_rng(seed)
    topics = [[f"fruit{i}" for i in range(8)], [f"tool{i}" for i in range(8)]]
    return [list(rng.choice(topics[s % 2], size=8)) for s in range(sentences)]


@pytest.mark.parametrize("sg", [0, 1])
def test_words_of_a_topic_end_up_closer_than_words_across_topics(sg):
    model = Word2Vec(topic_corpus(), vector_size=16, window=3, min_count=1, sample=0, epochs=5,
                     sg=sg, seed=3, batch_size=256)
    within = np.mean([model.wv.similarity("fruit0", f"fruit{i}") for i in range(1, 8)])
    across = np.mean([model.wv.similarity("fruit0", f"tool{i}") for i in range(8)])
    assert within > across + 0.3, (within, across)
    neighbours = [word for word, _ in model.wv.most_similar("tool3", topn=5)]
    assert all(word.startswith("tool") for word in neighbours), neighbours
    assert model.words_per_second > 0


def test_skipgram_pairs_stay_in_window_and_sentence():
    model = Word2Vec(vector_size=4, window=2, min_count=1, sample=0, seed=0)
    sentences = [["a", "b", "c", "d"], ["e", "f"]]
    model.build_vocab(sentences)
    ids, numbers = model._encode(sentences)
    inputs, targets = model._skipgram_pairs(ids, numbers)
    position = {int(word_id): index for index, word_id in enumerate(ids)}  # all words distinct
    for word_in, word_target in zip(inputs, targets):
        i, j = position[int(word_in)], position[int(word_target)]
        assert 1 <= abs(i - j) <= 2 and numbers[i] == numbers[j]
    assert len(inputs) > 0


def test_alice_vectors_are_nearly_parallel_as_the_book_shows():
    """The book's point on a tiny corpus: trained vectors have cosine similarities near 1."""
    text = (data_dir() / "text" / "carroll-alice.txt").read_text().lower()
    sentences = [s.split() for s in text.replace("\n", " ").split(".") if s.strip()]
    model = Word2Vec(sentences, seed=1)
    assert model.wv.similarity("alice", "queen") > 0.9


def test_most_similar_follows_3cosadd_on_constructed_vectors():
    words = ["king", "queen", "man", "woman", "apple"]
    vectors = np.array([[1, 1, 0], [1, 0, 1], [0, 1, 0], [0, 0, 1], [-1, -1, -1]], dtype=np.float32)
    kv = KeyedVectors(words, vectors)
    assert kv.most_similar(positive=["king", "woman"], negative=["man"], topn=1)[0][0] == "queen"
    assert kv.similarity("man", "woman") == pytest.approx(0.0)
    np.testing.assert_allclose(KeyedVectors.cosine_similarities([1, 0, 0], vectors[:2]), [1 / np.sqrt(2)] * 2, rtol=1e-6)
    with pytest.raises(KeyError, match="'pear' not in vocabulary"):
        kv["pear"]


def test_word2vec_and_glove_text_formats_round_trip(tmp_path):
    kv = KeyedVectors(["a", "b"], np.array([[0.5, -1.0], [2.0, 0.25]]))
    kv.save_word2vec_format(tmp_path / "vectors.txt")
    loaded = KeyedVectors.load_word2vec_format(tmp_path / "vectors.txt")
    assert loaded.index_to_key == ["a", "b"]
    np.testing.assert_allclose(loaded.vectors, kv.vectors)
    (tmp_path / "glove.txt").write_text("the 0.1 0.2 0.3\ncat 0.4 0.5 0.6\n")
    glove = KeyedVectors.load_word2vec_format(tmp_path / "glove.txt")
    assert glove.index_to_key == ["the", "cat"] and glove.vector_size == 3


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="window must be a positive integer"):
        Word2Vec(window=0)
    with pytest.raises(ValueError, match="min_count=50"):
        Word2Vec([["a", "b"]], min_count=50)


def test_cbow_forwards_the_window_mean_and_hands_each_context_word_the_whole_gradient():
    """As word2vec.c: h = mean(window) going forward, dL/dv_c = dL/dh (not divided) going back."""
    model = Word2Vec(vector_size=3, window=2, min_count=1, sample=0, seed=0, sg=0)
    model.build_vocab([["a", "b", "c", "d"]])
    window = np.array([[0, 1, -1, -1]])  # two real context words, two empty slots
    hidden = model._hidden(window)
    table = model.input_vectors.numpy()
    np.testing.assert_allclose(hidden.numpy()[0], table[[0, 1]].mean(axis=0), rtol=1e-6)
    upstream = np.array([[1.0, 2.0, 3.0]], dtype=np.float32)
    (hidden * upstream).sum().backward()
    grad = np.asarray(model.input_vectors.grad)
    np.testing.assert_allclose(grad[0], upstream[0])
    np.testing.assert_allclose(grad[1], upstream[0])
    np.testing.assert_allclose(grad[2:], 0)


@pytest.mark.parametrize("sg, cbow_mean", [(0, 1), (0, 0), (1, 1)])
def test_the_fast_step_equals_the_readable_autograd_step(sg, cbow_mean, any_backend):
    """The hand-derived sparse update (_step_fast) against loss.backward() on whole tables."""
    sentences = topic_corpus()[:40]
    fast, readable = (Word2Vec(vector_size=8, window=3, min_count=1, sample=0, sg=sg, seed=0, batch_size=64,
                               cbow_mean=cbow_mean) for _ in range(2))
    for model in (fast, readable):
        model.build_vocab(sentences)
        model.output_vectors.data[...] = model.input_vectors.data[::-1]  # not zero: every term counts
    ids, numbers = fast._encode(sentences)
    pairs = fast._skipgram_pairs(ids, numbers) if sg else fast._cbow_windows(ids, numbers)
    inputs, targets = pairs[0][:64], pairs[1][:64]
    candidates = fast._candidates(targets)
    assert len(np.unique(candidates)) < candidates.size  # repeated rows: their gradients must add up
    loss_fast = fast._step_fast(inputs, candidates, 0.05)
    loss_readable = readable._step_readable(inputs, candidates, 0.05)
    np.testing.assert_allclose(to_host(loss_fast), to_host(loss_readable), rtol=1e-5)
    for name in ("input_vectors", "output_vectors"):
        np.testing.assert_allclose(to_host(getattr(fast, name).data), to_host(getattr(readable, name).data),
                                   rtol=1e-5, atol=1e-7, err_msg=name)


def test_reference_ops_trains_word2vec_with_the_readable_step(monkeypatch):
    import minidl

    used = []
    monkeypatch.setattr(Word2Vec, "_step_readable", lambda self, *a, **k: used.append("readable") or 0.0)
    monkeypatch.setattr(Word2Vec, "_step_fast", lambda self, *a, **k: used.append("fast") or 0.0)
    with minidl.reference_ops():
        Word2Vec(topic_corpus()[:20], vector_size=4, min_count=1, epochs=1)
    Word2Vec(topic_corpus()[:20], vector_size=4, min_count=1, epochs=1)
    assert set(used[:1]) == {"readable"} and used[-1] == "fast" and len(set(used)) == 2


def test_the_alias_table_draws_negatives_from_the_noise_distribution_exactly():
    """Slot i (probability 1/n) yields word i with probability keep[i], else alias[i]: summed up,
    every word must come out with its own probability, and samples must follow it."""
    from minidl.text.word2vec import _alias_table

    rng = np.random.default_rng(0)
    probabilities = rng.random(200) ** 4
    probabilities /= probabilities.sum()
    keep, alias = _alias_table(probabilities)
    size = len(probabilities)
    implied = keep / size + np.bincount(alias, weights=(1 - keep) / size, minlength=size)
    np.testing.assert_allclose(implied, probabilities, atol=1e-15)
    model = Word2Vec(vector_size=2, min_count=1, negative=5, seed=0)
    model.build_vocab([["a"] * 50 + ["b"] * 20 + ["c"] * 5])
    drawn = np.bincount(model._negatives(20_000).ravel(), minlength=3) / 100_000
    expected = np.array([50, 20, 5]) ** 0.75 / np.sum(np.array([50, 20, 5]) ** 0.75)
    np.testing.assert_allclose(drawn, expected, atol=0.01)


def test_cbow_windows_are_filled_from_the_left_with_words_of_the_window():
    """The fast step reads column c of the windows sorted by size as a leading block: that needs
    every window's words first and its empty slots (-1) after them."""
    model = Word2Vec(vector_size=4, window=3, min_count=1, sample=0, seed=0, sg=0)
    sentences = topic_corpus()[:30] + [["fruit1"], ["tool2", "tool3"]]
    model.build_vocab(sentences)
    ids, numbers = model._encode(sentences)
    windows, centres = model._cbow_windows(ids, numbers)
    present = windows >= 0
    assert present[:, 0].all()  # a centre without any context word is left out
    assert (present[:, 1:] <= present[:, :-1]).all()  # no word after an empty slot
    assert len(centres) == len(ids) - 1  # only the one-word sentence has no context


def test_gensims_build_vocab_then_train_pattern_works():
    """gensim 4's tutorial: build_vocab, then train(corpus, total_examples=model.corpus_count,
    epochs=model.epochs); gensim 3's epochs=model.iter and corpus_iterable= too."""
    corpus = topic_corpus()
    model = Word2Vec(vector_size=8, window=3, min_count=1, workers=4, hs=0, seed=0)
    model.build_vocab(corpus)
    assert model.corpus_count == len(corpus) and model.corpus_total_words == sum(map(len, corpus))
    before = model.input_vectors.numpy().copy()
    model.train(corpus, total_examples=model.corpus_count, epochs=model.epochs)
    assert model.iter == model.epochs == 5
    model.train(corpus_iterable=corpus, total_examples=model.corpus_count, epochs=1)
    assert not np.allclose(model.input_vectors.numpy(), before)


def test_a_cbow_sum_model_learns_the_topics_too():
    # batches of 64, not 256: a summed context makes steps up to 2 x window times the mean's, and
    # in a 16-word corpus every word recurs in a batch dozens of times (256 diverged here)
    model = Word2Vec(topic_corpus(), vector_size=16, window=3, min_count=1, sample=0, epochs=5, sg=0, seed=3,
                     batch_size=64, cbow_mean=0)
    within = np.mean([model.wv.similarity("fruit0", f"fruit{i}") for i in range(1, 8)])
    across = np.mean([model.wv.similarity("fruit0", f"tool{i}") for i in range(8)])
    assert within > across + 0.3, (within, across)


def test_corpora_that_would_train_on_nothing_or_on_characters_are_refused():
    with pytest.raises(TypeError, match="read more than once.*one-pass generator.*list"):
        Word2Vec((sentence for sentence in topic_corpus()), min_count=1)
    with pytest.raises(TypeError, match="list of words.*the first is a str: 'the cat sat'.*split"):
        Word2Vec(["the cat sat", "on the mat"], min_count=1)
    model = Word2Vec(vector_size=4, min_count=1)
    model.build_vocab(topic_corpus()[:10])
    with pytest.raises(TypeError, match="one-pass list_iterator"):
        model.train(iter(topic_corpus()[:10]))
    with pytest.raises(TypeError, match="give the sentences"):
        model.train()


def test_unsupported_gensim_options_are_refused_by_name():
    with pytest.raises(NotImplementedError, match="hs=1 .hierarchical softmax. is not implemented"):
        Word2Vec(hs=1)
    with pytest.raises(ValueError, match="cbow_mean must be 1 .* or 0 .*got 2"):
        Word2Vec(cbow_mean=2)


def test_a_saved_model_loads_back_to_query_and_to_train_on_exactly_as_it_would_have(tmp_path):
    """gensim's model.save / Word2Vec.load: the vocabulary, both tables and the random state."""
    corpus = topic_corpus()
    model = Word2Vec(corpus, vector_size=8, window=3, min_count=1, epochs=2, seed=4, workers=1, cbow_mean=0,
                     batch_size=64)
    model.save(tmp_path / "word2vec.model")
    loaded = Word2Vec.load(tmp_path / "word2vec.model")
    assert loaded.wv.index_to_key == model.wv.index_to_key and loaded.cbow_mean == 0 and loaded.epochs == 2
    np.testing.assert_array_equal(loaded.wv.vectors, model.wv.vectors)
    assert loaded.wv.most_similar("fruit1", topn=3) == model.wv.most_similar("fruit1", topn=3)
    model.train(corpus, epochs=1)
    loaded.train(corpus, epochs=1)
    np.testing.assert_array_equal(loaded.wv.vectors, model.wv.vectors)
    with pytest.raises(ValueError, match="no vocabulary yet"):
        Word2Vec().save(tmp_path / "empty.model")


def test_keyed_vectors_save_and_load_round_trip_any_words(tmp_path):
    kv = KeyedVectors(["café", "naïve", "日本", "a b"], np.arange(8, dtype=np.float32).reshape(4, 2))
    kv.save(tmp_path / "vectors.kv")
    loaded = KeyedVectors.load(tmp_path / "vectors.kv", mmap="r")
    assert loaded.index_to_key == kv.index_to_key
    np.testing.assert_array_equal(loaded.vectors, kv.vectors)


def test_files_that_are_not_saved_models_are_refused_by_name(tmp_path):
    import pickle

    kv = KeyedVectors(["a", "b"], np.ones((2, 3)))
    kv.save(tmp_path / "vectors.kv")
    with pytest.raises(ValueError, match=r"vectors.kv is not a file saved by minidl's Word2Vec.save .format 'KeyedVectors'"):
        Word2Vec.load(tmp_path / "vectors.kv")
    (tmp_path / "gensim.model").write_bytes(pickle.dumps({"a gensim model": 1}))
    with pytest.raises(ValueError, match="gensim.model is not a file saved by minidl's Word2Vec.save.*pickled"):
        Word2Vec.load(tmp_path / "gensim.model")
    with pytest.raises(FileNotFoundError, match="missing.model: no such file"):
        Word2Vec.load(tmp_path / "missing.model")
    np.savez(tmp_path / "odd.npz", minidl_format=np.array("KeyedVectors"), words=np.array(["a", "b"]),
             vectors=np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"'vectors' must be a float array of shape \(2, dimension\).*\(3, 2\)"):
        KeyedVectors.load(tmp_path / "odd.npz")
    model = Word2Vec(topic_corpus()[:50], vector_size=4, min_count=1, epochs=1)
    model.save(tmp_path / "good.model")
    data = (tmp_path / "good.model").read_bytes()
    for length in np.linspace(0, len(data) - 1, 25).astype(int):  # every cut is refused, never half-read
        (tmp_path / "cut.model").write_bytes(data[:length])
        with pytest.raises(ValueError, match="cut.model"):
            Word2Vec.load(tmp_path / "cut.model")


def test_a_flipped_bit_in_a_saved_model_is_refused_or_harmless(tmp_path):
    """Zip's checksums guard the arrays: a flip either leaves what is read unchanged (zip fields
    nobody reads) or is refused as a ValueError naming the file -- never another exception."""
    model = Word2Vec(topic_corpus()[:50], vector_size=4, min_count=1, epochs=1)
    model.save(tmp_path / "good.model")
    data = (tmp_path / "good.model").read_bytes()
    rng = np.random.default_rng(0)
    for _ in range(150):
        damaged = bytearray(data)
        damaged[rng.integers(len(data))] ^= 1 << int(rng.integers(8))
        (tmp_path / "flipped.model").write_bytes(bytes(damaged))
        try:
            loaded = Word2Vec.load(tmp_path / "flipped.model")
        except ValueError as error:
            assert "flipped.model" in str(error)
        else:
            np.testing.assert_array_equal(loaded.wv.vectors, model.wv.vectors)
            assert loaded.wv.index_to_key == model.wv.index_to_key


def test_a_saved_model_with_impossible_settings_is_refused_naming_the_file(tmp_path):
    from minidl.text.saved_arrays import load_arrays, save_arrays

    Word2Vec(topic_corpus()[:50], vector_size=4, min_count=1, epochs=1).save(tmp_path / "good.model")
    arrays, settings = load_arrays(tmp_path / "good.model", "Word2Vec", ())
    save_arrays(tmp_path / "bad.model", "Word2Vec", arrays, dict(settings, window=-2))
    with pytest.raises(ValueError, match="bad.model: the file's settings are not valid.*window must be a positive"):
        Word2Vec.load(tmp_path / "bad.model")


def _royal_vectors():
    words = ["king", "queen", "man", "woman", "apple"]
    vectors = np.array([[1, 1, 0], [1, 0, 1], [0, 1, 0], [0, 0, 1], [-1, -1, -1]], dtype=np.float32)
    return KeyedVectors(words, vectors), dict(zip(words, vectors.astype(np.float64)))


def test_gensims_other_queries_follow_their_definitions():
    kv, vector = _royal_vectors()

    def cosine(a, b):
        return a @ b / np.linalg.norm(a) / np.linalg.norm(b)

    def unit(v):
        return v / np.linalg.norm(v)

    assert kv.distance("king", "man") == pytest.approx(1 - cosine(vector["king"], vector["man"]))
    np.testing.assert_allclose(kv.distances("king", ["man", "apple"]),
                               [1 - cosine(vector["king"], vector[w]) for w in ("man", "apple")], rtol=1e-6)
    assert len(kv.distances(vector["king"])) == 5
    first = (unit(vector["king"]) + unit(vector["man"])) / 2
    second = (unit(vector["queen"]) + unit(vector["woman"])) / 2
    assert kv.n_similarity(["king", "man"], ["queen", "woman"]) == pytest.approx(cosine(first, second))
    # weights and vectors as terms; topn=None gives every word's score
    query = 2 * unit(vector["king"]) - unit(vector["man"]) + unit(vector["woman"])
    scores = kv.most_similar(positive=[("king", 2.0), vector["woman"]], negative=["man"], topn=None)
    np.testing.assert_allclose(scores, [cosine(query, vector[w]) for w in kv.index_to_key], rtol=1e-6)
    assert kv.most_similar(positive=[("king", 2.0), vector["woman"]], negative=["man"], topn=1)[0][0] == "queen"
    assert kv.most_similar_cosmul(positive=["king", "woman"], negative=["man"], topn=1)[0][0] == "queen"
    expected = {w: (1 + cosine(vector[w], vector["king"])) / 2 * (1 + cosine(vector[w], vector["woman"])) / 2
                / ((1 + cosine(vector[w], vector["man"])) / 2 + 1e-6) for w in ("queen", "apple")}
    cosmul = dict(kv.most_similar_cosmul(positive=["king", "woman"], negative=["man"], topn=2))
    assert cosmul["queen"] == pytest.approx(expected["queen"], rel=1e-5)
    assert kv.doesnt_match(["king", "queen", "man", "woman", "apple", "pear"]) == "apple"
    assert kv.similar_by_word("king", topn=2) == kv.most_similar("king", topn=2)
    assert kv.similar_by_vector(vector["queen"], topn=1)[0][0] == "queen"
    np.testing.assert_allclose(kv.get_vector("king", norm=True), unit(vector["king"]), rtol=1e-6)
    np.testing.assert_array_equal(kv.word_vec("king"), vector["king"])
    with pytest.raises(ValueError, match=r"query vector must have shape \(3,\), got \(2,\)"):
        kv.most_similar(positive=[np.ones(2)])


def test_a_trained_models_vectors_answer_gensim_3s_vocab_and_gensim_4s_counts(tmp_path):
    corpus = topic_corpus()
    model = Word2Vec(corpus, vector_size=4, min_count=1, epochs=1)
    count = sum(sentence.count("fruit3") for sentence in corpus)
    entry = model.wv.vocab["fruit3"]
    assert entry.count == count == model.wv.get_vecattr("fruit3", "count")
    assert model.wv.index2word[entry.index] == "fruit3" == model.wv.index_to_key[model.wv.get_index("fruit3")]
    assert set(model.wv.vocab) == set(model.wv.index_to_key) and model.wv.has_index_for("tool0")
    kv, _ = _royal_vectors()
    assert kv.vocab["queen"].count is None
    model.wv.save(tmp_path / "vectors.kv")
    assert KeyedVectors.load(tmp_path / "vectors.kv").get_vecattr("fruit3", "count") == count
    with pytest.raises(KeyError, match="carry no word counts"):
        kv.get_vecattr("queen", "count")


def _word2vec_c_binary(words, vectors, newline=True):
    """word2vec's binary format written independently: header, then word, space, float32 values."""
    import struct

    out = f"{len(words)} {vectors.shape[1]}\n".encode()
    for word, vector in zip(words, vectors):
        out += word.encode("utf-8") + b" " + struct.pack(f"<{len(vector)}f", *vector) + (b"\n" if newline else b"")
    return out


@pytest.mark.parametrize("newline", [True, False], ids=["word2vec.c", "gensim-4"])
def test_binary_word2vec_files_load_and_save(tmp_path, newline):
    words = ["the", "café", "日本"]
    vectors = np.array([[0.1, -2.5], [3.0, 1e-8], [-0.0, 7.25]], dtype=np.float32)
    (tmp_path / "vectors.bin").write_bytes(_word2vec_c_binary(words, vectors, newline))
    kv = KeyedVectors.load_word2vec_format(tmp_path / "vectors.bin", binary=True)
    assert kv.index_to_key == words
    np.testing.assert_array_equal(kv.vectors, vectors)
    assert KeyedVectors.load_word2vec_format(tmp_path / "vectors.bin", binary=True, limit=2).index_to_key == words[:2]
    kv.save_word2vec_format(tmp_path / "again.bin", binary=True)
    assert (tmp_path / "again.bin").read_bytes() == _word2vec_c_binary(words, vectors)
    kv.save_word2vec_format(tmp_path / "again.txt")  # the text format keeps every bit too
    np.testing.assert_array_equal(KeyedVectors.load_word2vec_format(tmp_path / "again.txt").vectors, vectors)


def test_damaged_binary_word2vec_files_are_refused_by_name(tmp_path):
    from minidl.errors import CorruptDatasetError

    words, vectors = ["a", "b"], np.ones((2, 3), dtype=np.float32)
    good = _word2vec_c_binary(words, vectors)
    for length in range(len(good) - 1):  # every cut (the last byte is word2vec.c's closing line break)
        (tmp_path / "cut.bin").write_bytes(good[:length])
        with pytest.raises(CorruptDatasetError, match="cut.bin"):
            KeyedVectors.load_word2vec_format(tmp_path / "cut.bin", binary=True)
    cases = {
        b"9999999 300\n" + good[4:]: "header declares 9999999 vectors",
        good + b"c " + bytes(12): "holds more",
        _word2vec_c_binary(words, np.array([[1, np.nan, 0], [1, 1, 1]], np.float32)): "not a finite number",
        good.replace(b"b ", b"\xff "): "not UTF-8",
        b"hello world\n": "first line must be 'count dimension'",
    }
    for content, problem in cases.items():
        (tmp_path / "bad.bin").write_bytes(content)
        with pytest.raises(CorruptDatasetError, match=f"bad.bin.*{problem}"):
            KeyedVectors.load_word2vec_format(tmp_path / "bad.bin", binary=True)
    (tmp_path / "broken-word.bin").write_bytes(good.replace(b"b ", b"\xff "))
    kv = KeyedVectors.load_word2vec_format(tmp_path / "broken-word.bin", binary=True, unicode_errors="replace")
    assert kv.index_to_key == ["a", "\ufffd"]


def test_a_vectors_file_listing_a_word_twice_is_refused(tmp_path):
    np.savez(tmp_path / "twice.npz", minidl_format=np.array("KeyedVectors"), words=np.array(["a", "b", "a"]),
             vectors=np.ones((3, 2), np.float32))
    with pytest.raises(ValueError, match="twice.npz: the word 'a' is listed more than once"):
        KeyedVectors.load(tmp_path / "twice.npz")
