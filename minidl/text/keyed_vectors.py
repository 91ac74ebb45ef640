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


class VocabEntry:
    """One word's entry in gensim 3's ``wv.vocab``."""

    def __init__(self, index, count):
        self.index, self.count = index, count

    def __repr__(self):
        return f"VocabEntry(index={self.index}, count={self.count})"


class KeyedVectors:
    def __init__(self, words, vectors):
        """``words[i]``'s vector is ``vectors[i]``; each word may appear once only."""
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or len(words) != len(vectors):
            raise ValueError(
                f"KeyedVectors: need one vector per word, got {len(words)} words and vectors of shape {vectors.shape}"
            )
        self.index_to_key = list(words)
        self.key_to_index = {word: index for index, word in enumerate(self.index_to_key)}
        if len(self.key_to_index) != len(self.index_to_key):
            raise ValueError(f"KeyedVectors: {_repeated_word(self.index_to_key)}; each word needs exactly one vector")
        self.vectors = vectors
        self.counts = None  # per-word corpus counts, where the vectors come from a trained Word2Vec
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
        """Cosine similarity of two words."""
        unit = self.unit_vectors()
        return float(unit[self._index(first)] @ unit[self._index(second)])

    def distance(self, first, second):
        """1 - cosine similarity of two words."""
        return 1.0 - self.similarity(first, second)

    def distances(self, word_or_vector, other_words=()):
        """1 - cosine similarity of a word (or a vector) with ``other_words``, or with every word."""
        vector = self._query_vector(word_or_vector)
        others = self.vectors if not other_words else self.vectors[[self._index(word) for word in other_words]]
        return 1.0 - self.cosine_similarities(vector, others)

    def n_similarity(self, first_words, second_words):
        """Cosine similarity of the means of two sets of words' unit vectors."""
        if not first_words or not second_words:
            raise ValueError("n_similarity: both lists of words must hold at least one word")
        unit = self.unit_vectors()
        first = unit[[self._index(word) for word in first_words]].mean(axis=0)
        second = unit[[self._index(word) for word in second_words]].mean(axis=0)
        return float(self.cosine_similarities(first, second[None])[0])

    def most_similar(self, positive=(), negative=(), topn=10):
        """The ``topn`` words closest to the sum of the positive unit vectors minus the negative
        ones (3CosAdd), the query words left out. As in gensim, each of ``positive`` and
        ``negative`` may be a word, a vector, or a list of words, vectors and (word, weight) pairs;
        ``topn=None`` returns the similarity of every word instead."""
        weighted = self._weighted_terms(positive, 1.0) + self._weighted_terms(negative, -1.0)
        if not weighted:
            raise ValueError("most_similar: give at least one positive or negative word")
        query = sum(weight * vector for vector, weight, _ in weighted)
        scores = self.unit_vectors() @ (query / max(np.linalg.norm(query), 1e-12))
        return self._ranked(scores, topn, {index for _, _, index in weighted if index is not None})

    def most_similar_cosmul(self, positive=(), negative=(), topn=10):
        """3CosMul (Levy and Goldberg, 2014): the words maximising the product of (1 + cos) / 2 to
        the positive words over the product to the negative ones, the query words left out."""
        positive_terms, negative_terms = self._weighted_terms(positive, 1.0), self._weighted_terms(negative, 1.0)
        if not positive_terms and not negative_terms:
            raise ValueError("most_similar_cosmul: give at least one positive or negative word")
        unit = self.unit_vectors()

        def shifted_cosines(terms):  # each term's vector is a unit vector already
            return [(1 + unit @ vector) / 2 for vector, _, _ in terms]

        scores = np.prod(shifted_cosines(positive_terms), axis=0) / (np.prod(shifted_cosines(negative_terms), axis=0)
                                                                     + 1e-6)
        excluded = {index for _, _, index in positive_terms + negative_terms if index is not None}
        return self._ranked(scores, topn, excluded)

    def similar_by_word(self, word, topn=10):
        return self.most_similar(positive=[word], topn=topn)

    def similar_by_vector(self, vector, topn=10):
        return self.most_similar(positive=[np.asarray(vector)], topn=topn)

    def doesnt_match(self, words):
        """The word of ``words`` furthest from their mean (by cosine); unknown words are skipped."""
        known = [word for word in words if word in self]
        if not known:
            raise ValueError(f"doesnt_match: none of {list(words)!r} is in the vocabulary")
        unit = self.unit_vectors()[[self._index(word) for word in known]]
        mean = unit.mean(axis=0)
        return known[int(np.argmin(unit @ (mean / max(np.linalg.norm(mean), 1e-12))))]

    def _query_vector(self, word_or_vector):
        if isinstance(word_or_vector, str):
            return self.vectors[self._index(word_or_vector)]
        vector = np.asarray(word_or_vector, dtype=np.float64)
        if vector.shape != (self.vector_size,):
            raise ValueError(f"a query vector must have shape ({self.vector_size},), got {vector.shape}")
        return vector

    def _weighted_terms(self, terms, sign):
        """(unit vector, weight, word index or None) for each term: a word, a vector or (word, weight)."""
        if isinstance(terms, str) or (isinstance(terms, np.ndarray) and terms.ndim == 1):
            terms = [terms]
        result = []
        for term in terms:
            weight = sign
            if isinstance(term, tuple) and len(term) == 2 and isinstance(term[0], str):
                term, weight = term[0], sign * float(term[1])
            if isinstance(term, str):
                index = self._index(term)
                result.append((self.unit_vectors()[index], weight, index))
            else:
                vector = self._query_vector(term)
                result.append((vector / max(np.linalg.norm(vector), 1e-12), weight, None))
        return result

    def _ranked(self, scores, topn, excluded):
        """(word, score) of the ``topn`` best scores outside ``excluded``; every word's score, as an
        array, if topn is None or 0 (gensim's convention)."""
        if not topn:
            return scores
        result = []
        for index in np.argsort(-scores):
            if int(index) in excluded:
                continue
            result.append((self.index_to_key[index], float(scores[index])))
            if len(result) == topn:
                break
        return result

    # -- gensim's other names for the same things ---------------------------------------------
    def get_vector(self, word, norm=False):
        return self.unit_vectors()[self._index(word)] if norm else self[word]

    def word_vec(self, word, use_norm=False):  # gensim 3
        return self.get_vector(word, norm=use_norm)

    def get_normed_vectors(self):
        return self.unit_vectors()

    def get_index(self, word):
        return self._index(word)

    def has_index_for(self, word):
        return word in self

    @property
    def index2word(self):  # gensim 3
        return self.index_to_key

    @property
    def vocab(self):
        """gensim 3's ``wv.vocab``: word -> an entry with ``.index`` and ``.count`` (None unless
        the vectors come from a trained ``Word2Vec``)."""
        counts = self.counts if self.counts is not None else [None] * len(self)
        return {word: VocabEntry(index, None if count is None else int(count))
                for index, (word, count) in enumerate(zip(self.index_to_key, counts))}

    def get_vecattr(self, word, attribute):
        """gensim 4's per-word attributes: ``count`` only."""
        if attribute != "count":
            raise KeyError(f"get_vecattr: only 'count' is kept per word, not {attribute!r}")
        if self.counts is None:
            raise KeyError("get_vecattr: these vectors carry no word counts (they were not trained here)")
        return int(self.counts[self._index(word)])

    def save_word2vec_format(self, path, binary=False):
        """Write the word2vec text format (``binary=True``: word2vec's binary format) atomically
        (a failure leaves no file and no temporary). Numbers are written in full (the shortest
        text that reads back as the same float32), so the vectors load back exactly.

        Words that the format cannot carry (empty, or holding whitespace) and vectors that are
        not finite are refused before anything is written, so every saved file loads back.
        """
        from minidl.datasets.word_vectors import save_word_vectors_binary

        for word in self.index_to_key:
            if not isinstance(word, str) or not word or any(character.isspace() for character in word):
                raise ValueError(f"save_word2vec_format: the word {word!r} cannot be written in the word2vec "
                                 "format (words must be non-empty strings without whitespace)")
        if not np.isfinite(self.vectors).all():
            raise ValueError("save_word2vec_format: the vectors hold NaN or infinite values")

        def write_text(stream):
            stream.write(f"{len(self)} {self.vector_size}\n")
            for word, vector in zip(self.index_to_key, self.vectors.astype(np.float32)):
                stream.write(word + " " + " ".join(map(str, vector)) + "\n")

        def write_binary(stream):
            save_word_vectors_binary(stream, self.index_to_key, self.vectors)

        atomic_write(pathlib.Path(path), write_binary if binary else write_text, text=not binary,
                     make_parents=False)

    def save(self, path):
        """Write the words and vectors to ``path`` (gensim's ``wv.save``), atomically; read them
        back with :meth:`load`. The file is a NumPy ``.npz`` archive, not gensim's pickle."""
        arrays = {"words": np.array(self.index_to_key, dtype=str), "vectors": self.vectors}
        if self.counts is not None:
            arrays["counts"] = np.asarray(self.counts)
        save_arrays(path, "KeyedVectors", arrays)

    @classmethod
    def load(cls, path, mmap=None):
        """Words and vectors written by :meth:`save`. ``mmap`` is taken for gensim's signature; the
        vectors are read into memory."""
        arrays, _ = load_arrays(path, "KeyedVectors", ("words", "vectors"))
        loaded = cls(*checked_vocabulary(arrays, f"KeyedVectors.load: {path}"))
        if "counts" in arrays:
            loaded.counts = checked_counts(arrays["counts"], len(loaded), f"KeyedVectors.load: {path}")
        return loaded

    @classmethod
    def load_word2vec_format(cls, path, binary=False, limit=None, max_words=None, datatype=np.float32,
                             no_header=None, unicode_errors="strict"):
        """Read word2vec text vectors (with a header) or GloVe's (without; detected, so ``no_header``
        is taken for gensim's signature only), or word2vec's binary format with ``binary=True``.
        ``limit`` (gensim's name) or ``max_words`` keeps the first words only."""
        from minidl.datasets.word_vectors import load_word_vectors

        if limit is not None and max_words is not None and limit != max_words:
            raise ValueError(f"load_word2vec_format: limit={limit} and max_words={max_words} disagree; give one")
        words, vectors = load_word_vectors(path, max_words=max_words if limit is None else limit, dtype=datatype,
                                           binary=binary, unicode_errors=unicode_errors)
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
    words = words.tolist()
    if len(set(words)) != len(words):
        raise ValueError(f"{where}: {_repeated_word(words)}")
    return words, vectors


def _repeated_word(words):
    """Says which word of ``words`` is met twice first, and where: "the word 'x' is listed more
    than once (at indexes i and j)". Only for a list known to repeat a word."""
    first_indexes = {}
    for index, word in enumerate(words):
        first = first_indexes.setdefault(word, index)
        if first != index:
            return f"the word {word!r} is listed more than once (at indexes {first} and {index})"
    raise ValueError("repeated_word: no word of the list is repeated")


def checked_counts(counts, words, where):
    """Loaded per-word counts: positive integers, one per word, else a ValueError."""
    if counts.shape != (words,) or counts.dtype.kind not in "iu" or (counts <= 0).any():
        raise ValueError(f"{where}: 'counts' must hold a positive word count per word, got {counts.dtype} of "
                         f"shape {counts.shape}")
    return counts.astype(np.int64)
