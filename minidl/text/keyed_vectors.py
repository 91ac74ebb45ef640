"""``KeyedVectors``: words and their vectors, with gensim's query API.

``most_similar(positive, negative, topn)`` ranks the vocabulary by cosine similarity to the sum
of the unit-normalised positive vectors minus the negative ones (3CosAdd, so
``most_similar(positive=['king', 'woman'], negative=['man'])`` solves the analogy);
``similarity``, ``cosine_similarities``, and reading/writing the word2vec text format (a header
line ``count dimension``, then ``word v1 v2 ...`` per line) and GloVe's (the same without the
header).
"""

import pathlib

import numpy as np

from minidl.fileio import atomic_write
from minidl.text.saved_arrays import load_arrays, save_arrays


class KeyedVectors:
    def __init__(self, words, vectors):
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or len(words) != len(vectors):
            raise ValueError(
                f"KeyedVectors: need one vector per word, got {len(words)} words and vectors of shape {vectors.shape}"
            )
        self.index_to_key = list(words)
        self.key_to_index = {word: index for index, word in enumerate(self.index_to_key)}
        self.vectors = vectors
        self._unit = None

    @property
    def vector_size(self):
        return self.vectors.shape[1]

    def __len__(self):
        return len(self.index_to_key)

    def __contains__(self, word):
        return word in self.key_to_index

    def __getitem__(self, word):
        return self.vectors[self._index(word)]

    def _index(self, word):
        try:
            return self.key_to_index[word]
        except KeyError:
            raise KeyError(f"word {word!r} not in vocabulary ({len(self)} words)") from None

    def unit_vectors(self):
        """Every vector scaled to length one (cached until the vectors change)."""
        if self._unit is None or self._unit.shape != self.vectors.shape:
            norms = np.linalg.norm(self.vectors, axis=1, keepdims=True)
            self._unit = self.vectors / np.maximum(norms, 1e-12)
        return self._unit

    def invalidate(self):
        self._unit = None

    @staticmethod
    def cosine_similarities(vector, vectors):
        """Cosine similarity of ``vector`` with each row of ``vectors``."""
        vector = np.asarray(vector, dtype=np.float64)
        vectors = np.asarray(vectors, dtype=np.float64)
        norms = np.linalg.norm(vectors, axis=1) * np.linalg.norm(vector)
        return vectors @ vector / np.maximum(norms, 1e-12)

    def similarity(self, first, second):
        unit = self.unit_vectors()
        return float(unit[self._index(first)] @ unit[self._index(second)])

    def most_similar(self, positive=(), negative=(), topn=10):
        """The ``topn`` words closest to mean(positive) - mean(negative), query words excluded."""
        positive = [positive] if isinstance(positive, str) else list(positive)
        negative = [negative] if isinstance(negative, str) else list(negative)
        if not positive and not negative:
            raise ValueError("most_similar: give at least one positive or negative word")
        unit = self.unit_vectors()
        query = np.zeros(self.vector_size)
        for word in positive:
            query += unit[self._index(word)]
        for word in negative:
            query -= unit[self._index(word)]
        query /= max(np.linalg.norm(query), 1e-12)
        scores = unit @ query
        excluded = {self._index(word) for word in positive + negative}
        ranked = np.argsort(-scores)
        result = []
        for index in ranked:
            if int(index) in excluded:
                continue
            result.append((self.index_to_key[index], float(scores[index])))
            if len(result) == topn:
                break
        return result

    def save_word2vec_format(self, path):
        """Write the word2vec text format atomically (a failure leaves no file and no temporary).

        Words that the format cannot carry (empty, or holding whitespace) and vectors that are
        not finite are refused before anything is written, so every saved file loads back.
        """
        for word in self.index_to_key:
            if not isinstance(word, str) or not word or any(character.isspace() for character in word):
                raise ValueError(f"save_word2vec_format: the word {word!r} cannot be written in the word2vec text "
                                 "format (words must be non-empty strings without whitespace)")
        if not np.isfinite(self.vectors).all():
            raise ValueError("save_word2vec_format: the vectors hold NaN or infinite values")

        def write(stream):
            stream.write(f"{len(self)} {self.vector_size}\n")
            for word, vector in zip(self.index_to_key, self.vectors):
                stream.write(word + " " + " ".join(f"{value:.6g}" for value in vector) + "\n")

        atomic_write(pathlib.Path(path), write, text=True, make_parents=False)

    def save(self, path):
        """Write the words and vectors to ``path`` (gensim's ``wv.save``), atomically; read them
        back with :meth:`load`. The file is a NumPy ``.npz`` archive, not gensim's pickle."""
        save_arrays(path, "KeyedVectors", {"words": np.array(self.index_to_key, dtype=str), "vectors": self.vectors})

    @classmethod
    def load(cls, path, mmap=None):
        """Words and vectors written by :meth:`save`. ``mmap`` is taken for gensim's signature; the
        vectors are read into memory."""
        arrays, _ = load_arrays(path, "KeyedVectors", ("words", "vectors"))
        return cls(*checked_vocabulary(arrays, f"KeyedVectors.load: {path}"))

    @classmethod
    def load_word2vec_format(cls, path, max_words=None):
        """Read word2vec text vectors (with a header) or GloVe's (without; detected)."""
        from minidl.datasets.word_vectors import load_word_vectors

        words, vectors = load_word_vectors(path, max_words=max_words)
        return cls(words, vectors)


def checked_vocabulary(arrays, where):
    """(words, vectors) from loaded ``arrays``: a 1-D array of strings and a 2-D float array with
    a row per word, else a ValueError saying which is wrong."""
    words, vectors = arrays["words"], arrays["vectors"]
    if words.ndim != 1 or words.dtype.kind != "U":
        raise ValueError(f"{where}: 'words' must be a 1-D array of strings, got {words.dtype} of shape {words.shape}")
    if vectors.ndim != 2 or vectors.dtype.kind != "f" or len(vectors) != len(words):
        raise ValueError(f"{where}: 'vectors' must be a float array of shape ({len(words)}, dimension), one row per "
                         f"word; got {vectors.dtype} of shape {vectors.shape}")
    return words.tolist(), vectors
