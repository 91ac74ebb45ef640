"""A word listed twice has no single vector: ``KeyedVectors.load_word2vec_format`` (text, GloVe,
binary, gzip) and the ``KeyedVectors`` constructor refuse it, naming the word, the file and where
the two copies are, as ``KeyedVectors.load`` does. Before, such a file loaded with both copies,
``most_similar('the')`` answered 'the', and ``save`` wrote a file that ``load`` refused."""

import gzip

import numpy as np
import pytest

from minidl.datasets import word_vectors
from minidl.errors import CorruptDatasetError
from minidl.text import KeyedVectors


def binary_file(words, vectors):
    """word2vec's binary format, as word2vec.c writes it."""
    data = f"{len(words)} {len(vectors[0])}\n".encode()
    for word, vector in zip(words, vectors):
        data += word + b" " + np.asarray(vector, dtype="<f4").tobytes() + b"\n"
    return data


@pytest.mark.parametrize("name, text, where", [
    ("w2v.txt", "2 2\nthe .1 .2\nthe .3 .4\n", "lines 2 and 3"),
    ("glove.txt", "the .1 .2\nof .5 .6\n\nthe .3 .4\n", "lines 1 and 4"),
    ("w2v.txt.gz", "3 2\nof .5 .6\nthe .1 .2\nthe .3 .4\n", "lines 3 and 4"),
])
def test_a_text_file_listing_a_word_twice_is_refused(tmp_path, name, text, where):
    path = tmp_path / name
    path.write_bytes(gzip.compress(text.encode()) if name.endswith(".gz") else text.encode())
    with pytest.raises(CorruptDatasetError, match=f"the word 'the' is listed more than once \\({where}\\)") as caught:
        KeyedVectors.load_word2vec_format(path)
    assert str(caught.value).startswith(f"{path}: ") and isinstance(caught.value, ValueError)


def test_a_binary_file_listing_a_word_twice_is_refused(tmp_path):
    path = tmp_path / "w2v.bin"
    path.write_bytes(binary_file([b"of", b"the", b"the"], [[0.5, 0.6], [0.1, 0.2], [0.3, 0.4]]))
    with pytest.raises(CorruptDatasetError, match=r"w2v.bin: the word 'the' is listed more than once \(vectors 2 and 3\)"):
        KeyedVectors.load_word2vec_format(path, binary=True)


def test_words_made_equal_by_lossy_decoding_are_refused_with_a_hint(tmp_path):
    """Two different byte strings that ``unicode_errors='replace'`` turns into the same word."""
    path = tmp_path / "broken.bin"
    path.write_bytes(binary_file([b"caf\xe9", b"caf\xff"], [[0.1, 0.2], [0.3, 0.4]]))
    with pytest.raises(CorruptDatasetError, match="listed more than once .*unicode_errors='replace' may have made"):
        KeyedVectors.load_word2vec_format(path, binary=True, unicode_errors="replace")


def test_duplicates_past_the_limit_are_not_read(tmp_path):
    """``limit`` stops before the second copy, so the words kept are all different."""
    path = tmp_path / "w2v.txt"
    path.write_text("3 2\nthe .1 .2\nof .5 .6\nthe .3 .4\n")
    kv = KeyedVectors.load_word2vec_format(path, limit=2)
    assert kv.index_to_key == ["the", "of"]
    np.testing.assert_allclose(kv["the"], [0.1, 0.2])
    with pytest.raises(CorruptDatasetError, match="lines 2 and 4"):
        word_vectors.load_word_vectors(path)


def test_the_constructor_refuses_a_word_given_twice():
    with pytest.raises(ValueError, match=r"KeyedVectors: the word 'a' is listed more than once \(at indexes 0 and 2\)"):
        KeyedVectors(["a", "b", "a"], np.ones((3, 2)))


def test_distinct_words_still_round_trip(tmp_path):
    """Words that differ only by case or accents are different words, and every saved file loads."""
    words = ["The", "the", "café", "cafe"]
    kv = KeyedVectors(words, np.arange(8, dtype=np.float32).reshape(4, 2) + 1)
    for binary in (False, True):
        kv.save_word2vec_format(tmp_path / "v", binary=binary)
        loaded = KeyedVectors.load_word2vec_format(tmp_path / "v", binary=binary)
        assert loaded.index_to_key == words
        np.testing.assert_array_equal(loaded.vectors, kv.vectors)
    kv.save(tmp_path / "kv.npz")
    assert KeyedVectors.load(tmp_path / "kv.npz").index_to_key == words
