"""Keras-style text preprocessing: ``text_to_word_sequence``, ``one_hot``/``hashing_trick`` and
``Tokenizer``.

The behaviour follows ``keras.preprocessing.text`` (Keras 2.x):

* a text is lower-cased, every character of ``filters`` becomes ``split``, and the text is
  split on ``split`` with empty pieces dropped -- the apostrophe is *not* a filter, so
  ``"don't"`` stays one word;
* ``Tokenizer.word_index`` ranks every word seen by :meth:`Tokenizer.fit_on_texts` by its count,
  most frequent first, starting at 1 (0 is left for padding).  Ties keep the order in which the
  words were first seen (Python's sort is stable), which is Keras's tie order.  With an
  ``oov_token`` that token takes index 1 and the words start at 2;
* ``num_words`` does not shrink ``word_index``; it only limits what
  :meth:`Tokenizer.texts_to_sequences` and :meth:`Tokenizer.texts_to_matrix` emit to indices
  below ``num_words`` (words at or above it are dropped, or replaced by the OOV index).

One deliberate difference: :func:`one_hot` hashes words with MD5 by default instead of Python's
``hash``, which is salted per process for strings, so the same text gives the same indices in
every run.  Pass ``hash_function=hash`` for Keras's exact (per-process) behaviour.

A fitted tokenizer is saved as Keras saves it: ``tokenizer.to_json()`` (the settings and every
table, each table as a JSON string inside the JSON, Keras's layout), and
``tokenizer_from_json(text)`` gives it back -- from minidl's or from Keras's JSON.
"""

import hashlib
import json
from collections import OrderedDict, defaultdict

import numpy as np

DEFAULT_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'
_TRANSLATIONS = {}
MATRIX_MODES = ("binary", "count", "tfidf", "freq")


def text_to_word_sequence(input_text, filters=DEFAULT_FILTERS, lower=True, split=" "):
    """Split a text into a list of words (lower-cased, ``filters`` characters removed)."""
    if not isinstance(input_text, str):
        raise TypeError(f"text_to_word_sequence: input_text must be a string, got {type(input_text).__name__}")
    if lower:
        input_text = input_text.lower()
    if filters:
        input_text = input_text.translate(_translation(filters, split))
    return [piece for piece in input_text.split(split) if piece]


def _translation(filters, split):
    """The ``str.translate`` table mapping every filter character to ``split`` (memoised)."""
    key = (filters, split)
    if key not in _TRANSLATIONS:
        if len(_TRANSLATIONS) > 64:
            _TRANSLATIONS.clear()
        _TRANSLATIONS[key] = str.maketrans({character: split for character in filters})
    return _TRANSLATIONS[key]


def _md5_hash(word):
    return int(hashlib.md5(word.encode("utf-8")).hexdigest(), 16)


def hashing_trick(text, n, hash_function="md5", filters=DEFAULT_FILTERS, lower=True, split=" "):
    """Words of ``text`` as indices in ``[1, n)`` by hashing (0 is never produced).

    ``hash_function`` is ``"md5"`` (deterministic, the default), ``None``/``hash`` for Python's
    salted ``hash`` (Keras's default) or any callable from string to int.  Different words may
    collide on one index.
    """
    if not isinstance(n, (int, np.integer)) or n < 2:
        raise ValueError(f"hashing_trick: n must be an int of at least 2 (index 0 is reserved), got {n!r}")
    if hash_function is None:
        hash_function = hash
    elif hash_function == "md5":
        hash_function = _md5_hash
    words = text_to_word_sequence(text, filters=filters, lower=lower, split=split)
    return [(hash_function(word) % (n - 1) + 1) for word in words]


def one_hot(input_text, n, filters=DEFAULT_FILTERS, lower=True, split=" ", hash_function="md5"):
    """Keras's ``one_hot``: :func:`hashing_trick` with a vocabulary of ``n`` (MD5 by default)."""
    return hashing_trick(input_text, n, hash_function=hash_function, filters=filters, lower=lower, split=split)


class Tokenizer:
    """Builds a word index from texts and turns texts into index sequences or matrices.

    Attributes after :meth:`fit_on_texts`: ``word_counts`` (word -> count, in first-seen order),
    ``word_docs`` (word -> number of texts containing it), ``word_index`` (word -> rank from 1),
    ``index_word`` (the inverse), ``index_docs`` (rank -> document count) and
    ``document_count``.  A "text" may also be a list of already-split tokens.
    """

    def __init__(self, num_words=None, filters=DEFAULT_FILTERS, lower=True, split=" ",
                 char_level=False, oov_token=None, document_count=0):
        if num_words is not None and (not isinstance(num_words, (int, np.integer)) or num_words < 1):
            raise ValueError(f"Tokenizer: num_words must be a positive int or None, got {num_words!r}")
        self.num_words = num_words
        self.filters = filters
        self.lower = lower
        self.split = split
        self.char_level = char_level
        self.oov_token = oov_token
        self.document_count = document_count
        self.word_counts = OrderedDict()
        self.word_docs = defaultdict(int)
        self.word_index = {}
        self.index_word = {}
        self.index_docs = defaultdict(int)

    def _tokens(self, text, position, method):
        """The tokens of one text: split it, or lower-case a pre-split list of tokens."""
        tokens_given = isinstance(text, list) and all(isinstance(token, str) for token in text)
        if not isinstance(text, str) and not tokens_given:
            raise TypeError(
                f"Tokenizer.{method}: texts[{position}] must be a string or a list of string tokens, got "
                f"{type(text).__name__} {text!r:.60}; to index numbers, convert them first (str(value)), or use "
                "pad_sequences for sequences that are already token ids"
            )
        if self.char_level or isinstance(text, list):
            if self.lower:
                if isinstance(text, list):
                    return [token.lower() for token in text]
                return list(text.lower())
            return list(text)
        return text_to_word_sequence(text, filters=self.filters, lower=self.lower, split=self.split)

    def fit_on_texts(self, texts):
        """Count words over ``texts`` (strings or token lists) and rebuild ``word_index``."""
        if isinstance(texts, str):
            raise TypeError("Tokenizer.fit_on_texts: texts must be a list of texts, got a single string")
        for position, text in enumerate(texts):
            self.document_count += 1
            tokens = self._tokens(text, position, "fit_on_texts")
            for word in tokens:
                self.word_counts[word] = self.word_counts.get(word, 0) + 1
            for word in set(tokens):
                self.word_docs[word] += 1
        ranked = sorted(self.word_counts.items(), key=lambda item: item[1], reverse=True)
        vocabulary = [] if self.oov_token is None else [self.oov_token]
        vocabulary.extend(word for word, _count in ranked)
        self.word_index = dict(zip(vocabulary, range(1, len(vocabulary) + 1)))
        self.index_word = {index: word for word, index in self.word_index.items()}
        self.index_docs = defaultdict(int)
        for word, count in self.word_docs.items():
            self.index_docs[self.word_index[word]] = count

    def fit_on_sequences(self, sequences):
        """Count, per index, how many sequences contain it (needed for ``tfidf`` matrices)."""
        self.document_count += len(sequences)
        for sequence in sequences:
            for index in set(sequence):
                self.index_docs[index] += 1

    def texts_to_sequences(self, texts):
        """Each text as a list of word indices (see the module docstring for ``num_words``)."""
        return list(self.texts_to_sequences_generator(texts))

    def texts_to_sequences_generator(self, texts):
        """Like :meth:`texts_to_sequences`, one list at a time."""
        if isinstance(texts, str):
            raise TypeError("Tokenizer.texts_to_sequences: texts must be a list of texts, got a single string")
        oov_index = self.word_index.get(self.oov_token) if self.oov_token is not None else None
        for position, text in enumerate(texts):
            sequence = []
            for word in self._tokens(text, position, "texts_to_sequences"):
                index = self.word_index.get(word)
                if index is not None and self.num_words and index >= self.num_words:
                    index = oov_index
                elif index is None:
                    index = oov_index
                if index is not None:
                    sequence.append(index)
            yield sequence

    def sequences_to_texts(self, sequences):
        """Index sequences back to space-joined words (unknown or cut-off indices become OOV)."""
        oov_index = self.word_index.get(self.oov_token) if self.oov_token is not None else None
        texts = []
        for sequence in sequences:
            words = []
            for index in sequence:
                word = self.index_word.get(index)
                if word is not None and self.num_words and index >= self.num_words:
                    word = None
                if word is None and oov_index is not None:
                    word = self.index_word[oov_index]
                if word is not None:
                    words.append(word)
            texts.append(" ".join(words))
        return texts

    def texts_to_matrix(self, texts, mode="binary"):
        """A (len(texts), num_words) float64 matrix; ``mode`` is binary, count, tfidf or freq."""
        return self.sequences_to_matrix(self.texts_to_sequences(texts), mode=mode)

    def sequences_to_matrix(self, sequences, mode="binary"):
        """Index sequences as a matrix (columns are indices; index 0 is never set by words).

        ``tfidf`` uses Keras's formula: ``(1 + log(count)) * log(1 + documents / (1 + docs(word)))``.
        """
        if mode not in MATRIX_MODES:
            raise ValueError(f"Tokenizer.sequences_to_matrix: mode must be one of {MATRIX_MODES}, got {mode!r}")
        width = self.num_words
        if not width:
            if not self.word_index:
                raise ValueError("Tokenizer.sequences_to_matrix: set num_words or call fit_on_texts first")
            width = len(self.word_index) + 1
        if mode == "tfidf" and not self.document_count:
            raise ValueError("Tokenizer.sequences_to_matrix: mode 'tfidf' needs fit_on_texts first")
        matrix = np.zeros((len(sequences), width))
        for row, sequence in enumerate(sequences):
            if not sequence:
                continue
            counts = defaultdict(int)
            for index in sequence:
                if index < width:
                    counts[index] += 1
            for index, count in counts.items():
                if mode == "count":
                    matrix[row, index] = count
                elif mode == "freq":
                    matrix[row, index] = count / len(sequence)
                elif mode == "binary":
                    matrix[row, index] = 1
                else:
                    term = 1 + np.log(count)
                    inverse = np.log(1 + self.document_count / (1 + self.index_docs.get(index, 0)))
                    matrix[row, index] = term * inverse
        return matrix

    def get_config(self):
        """The settings and the fitted tables, Keras's keys in Keras's order; each table is a JSON
        string (so integer keys come back as strings, which ``tokenizer_from_json`` undoes)."""
        return {
            "num_words": self.num_words,
            "filters": self.filters,
            "lower": self.lower,
            "split": self.split,
            "char_level": self.char_level,
            "oov_token": self.oov_token,
            "document_count": self.document_count,
            "word_counts": json.dumps(self.word_counts),
            "word_docs": json.dumps(self.word_docs),
            "index_docs": json.dumps({int(index): count for index, count in self.index_docs.items()}),
            "index_word": json.dumps({int(index): word for index, word in self.index_word.items()}),
            "word_index": json.dumps(self.word_index),
        }

    def to_json(self, **kwargs):
        """The tokenizer as JSON text, ``{"class_name": "Tokenizer", "config": get_config()}``;
        ``kwargs`` go to ``json.dumps`` (``indent=2``)."""
        return json.dumps({"class_name": type(self).__name__, "config": self.get_config()}, **kwargs)


_SETTINGS = ("num_words", "filters", "lower", "split", "char_level", "oov_token", "document_count")
_TABLES = ("word_counts", "word_docs", "index_docs", "index_word", "word_index")


def tokenizer_from_json(json_string):
    """The tokenizer saved by ``Tokenizer.to_json`` (minidl's or Keras's): its settings and its
    tables, word and document counts in their saved order, ready to convert texts or to go on
    fitting."""
    config = _tokenizer_config(json_string)
    tables = {name: json.loads(config[name]) for name in _TABLES}
    tokenizer = Tokenizer(**{name: config[name] for name in _SETTINGS if name in config})
    tokenizer.word_counts = OrderedDict(tables["word_counts"])
    tokenizer.word_docs = defaultdict(int, tables["word_docs"])
    tokenizer.index_docs = defaultdict(int, {int(index): count for index, count in tables["index_docs"].items()})
    tokenizer.index_word = {int(index): word for index, word in tables["index_word"].items()}
    tokenizer.word_index = dict(tables["word_index"])
    return tokenizer


def _tokenizer_config(json_string):
    """The ``config`` of a tokenizer's JSON, checked to hold every setting Keras reads and every table."""
    what = "tokenizer_from_json"
    if not isinstance(json_string, (str, bytes)):
        raise TypeError(f"{what}: json_string must be the text Tokenizer.to_json() wrote, got "
                        f"{type(json_string).__name__}")
    try:
        saved = json.loads(json_string)
    except ValueError as error:
        raise ValueError(f"{what}: json_string is not JSON ({error}): {json_string[:60]!r}") from None
    config = saved.get("config") if isinstance(saved, dict) else None
    if not isinstance(config, dict) or saved.get("class_name", "Tokenizer") != "Tokenizer":
        raise ValueError(f"{what}: json_string must hold {{'class_name': 'Tokenizer', 'config': {{...}}}} as "
                         f"Tokenizer.to_json() writes it, got {json_string[:80]!r}")
    problems = []
    unknown = sorted(set(config) - set(_SETTINGS) - set(_TABLES))
    if unknown:
        problems.append(f"unknown keys {unknown}")
    missing = [name for name in _TABLES if not isinstance(config.get(name), str)]
    if missing:
        problems.append(f"no JSON text for the tables {missing}")
    if problems:
        raise ValueError(f"{what}: the tokenizer's config has {' and '.join(problems)}; expected the keys "
                         f"{list(_SETTINGS + _TABLES)}, each table as a JSON string")
    return config
