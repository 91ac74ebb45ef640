"""``TextVectorization``: raw strings to token ids (or bag-of-words vectors), inside the model.

Each string goes through four steps, as in Keras:

1. ``standardize``: 'lower_and_strip_punctuation' (the default) lower-cases the ASCII letters
   and deletes ASCII punctuation; 'lower' and 'strip_punctuation' do one of them; None keeps
   the string; a callable gets the batch of strings (a tensor, as TensorFlow's ``tf.strings``
   functions take) and returns the standardised batch.
2. ``split``: 'whitespace' (runs of ASCII spaces, tabs and line breaks separate tokens),
   'character' (every character a token), None (the whole string is one token), or a callable
   returning a list of tokens per string.
3. ``ngrams``: with n (or a tuple of widths) the tokens are followed by their n-grams joined by
   a space: for ``ngrams=2``, "the cat sat" gives the, cat, sat, "the cat", "cat sat".
4. the lookup: a ``StringLookup`` with the mask token "" at index 0 and the OOV token "[UNK]"
   at index 1, its vocabulary learned by ``adapt`` (most frequent first) or given.

``output_mode='int'`` gives each string's token ids padded with 0 to the longest in the batch
(or cut / padded to ``output_sequence_length``): (batch, length) int64. 'multi_hot', 'count'
and 'tf_idf' give one vector of ``vocabulary_size()`` per string (batch, vocabulary_size);
'one_hot' needs ``split=None`` (one token per string). Input: strings (batch,) or (batch, 1) --
a NumPy array, a list, ``tf.string`` tensors, or the string input of a model. Strings are
processed on the host; only the ids go to the device.
"""

import re
from collections.abc import Callable

import numpy as np

from minidl.autograd.tensor import Tensor
from minidl.layers import arguments
from minidl.layers.base import Layer
from minidl.layers.call_context import label
from minidl.layers.lambda_layer import _function_at
from minidl.layers.preprocessing import adapt_data
from minidl.layers.preprocessing.category_encoding import output_mode_argument, refuse_sparse
from minidl.layers.preprocessing.lookup import StringLookup
from minidl.layers.text_values import STRING, as_text_array
from minidl.runtime import backend

OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")
STANDARDIZE = ("lower_and_strip_punctuation", "lower", "strip_punctuation")
SPLITS = ("whitespace", "character")

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_PUNCTUATION = re.compile(r"""[!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~]""")  # ASCII punctuation
_WHITESPACE = re.compile(r"[ \t\n\r\f\v]+")  # ASCII whitespace, as TensorFlow splits


class TextVectorization(Layer):
    """Turns strings into token ids or token-count vectors (see the module docstring). No
    weights; the vocabulary is the layer's state (``get_vocabulary()``, saved in its config).

    Arguments:
        max_tokens: the largest vocabulary, mask and OOV tokens included (None: no limit).
        standardize: 'lower_and_strip_punctuation', 'lower', 'strip_punctuation', None, or a
            callable on the batch of strings.
        split: 'whitespace', 'character', None, or a callable giving each string's tokens.
        ngrams: None, an int n (1- to n-grams) or a tuple of n-gram widths.
        output_mode: 'int', 'multi_hot', 'count', 'tf_idf' or 'one_hot' ('binary' is multi_hot).
        output_sequence_length: with 'int', cut or pad every row to this many ids (None: the
            longest string of the batch).
        pad_to_max_tokens: with the vector modes, make the vectors ``max_tokens`` long.
        vocabulary: the vocabulary (a list, or the path of a file with one token per line), or
            None to ``adapt`` it.
        idf_weights: with 'tf_idf' and a given vocabulary, one weight per token.
        sparse: must be False (minidl has no sparse tensors).
        ragged: must be False (minidl has no ragged tensors: rows are padded with 0).
        encoding: the text encoding of byte strings.
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype``, ``input_shape``, ...).

    ``adapt(data, batch_size=None, steps=None)`` learns the vocabulary from an array or list of
    strings, a ``tf.data`` dataset of them (``(text, label)`` elements too), or a generator.
    """

    input_dtype = STRING

    def __init__(self, max_tokens: int | None = None, standardize: str | Callable | None = "lower_and_strip_punctuation",
                 split: str | Callable | None = "whitespace", ngrams: int | tuple[int, ...] | None = None,
                 output_mode: str = "int", output_sequence_length: int | None = None, pad_to_max_tokens: bool = False,
                 vocabulary: list[str] | str | None = None, idf_weights: list[float] | None = None,
                 sparse: bool = False, ragged: bool = False, encoding: str = "utf-8", **kwargs):
        super().__init__(**kwargs)
        caller = label(self)
        self.standardize = _named_or_callable(self, "standardize", standardize, STANDARDIZE)
        self.split = _named_or_callable(self, "split", split, SPLITS)
        self.ngrams = _ngram_widths(self, ngrams)
        self.output_mode = output_mode_argument(self, output_mode, OUTPUT_MODES)
        if output_sequence_length is not None:
            if self.output_mode != "int":
                raise ValueError(f"{caller}: output_sequence_length is only used with output_mode='int', not "
                                 f"{self.output_mode!r}")
            output_sequence_length = arguments.positive_int(self, "output_sequence_length", output_sequence_length)
        self.output_sequence_length = output_sequence_length
        if self.output_mode == "one_hot" and self.split is not None:
            raise ValueError(f"{caller}: output_mode='one_hot' encodes one token per string, so it needs split=None; "
                             "use 'multi_hot' or 'count' for a vector per string")
        if arguments.boolean(self, "ragged", ragged):
            raise ValueError(f"{caller}: ragged=True is not supported (minidl has no ragged tensors); rows are padded "
                             "with 0 to one length")
        self.ragged = False
        self.sparse = refuse_sparse(self, sparse)
        self.encoding = encoding
        self.lookup = StringLookup(max_tokens=max_tokens, mask_token="", output_mode=self.output_mode,
                                   vocabulary=vocabulary, idf_weights=idf_weights,
                                   pad_to_max_tokens=pad_to_max_tokens, encoding=encoding,
                                   name=f"{self.name}_string_lookup")

    # -- the vocabulary ------------------------------------------------------------------------
    @property
    def max_tokens(self):
        return self.lookup.max_tokens

    @property
    def pad_to_max_tokens(self):
        return self.lookup.pad_to_max_tokens

    def get_vocabulary(self, include_special_tokens=True):
        """The token of every id: "" (padding, id 0), "[UNK]" (id 1), then the vocabulary."""
        return self.lookup.get_vocabulary(include_special_tokens)

    def vocabulary_size(self):
        return self.lookup.vocabulary_size()

    def set_vocabulary(self, vocabulary, idf_weights=None):
        self.lookup.set_vocabulary(vocabulary, idf_weights)

    def adapt(self, data, batch_size=None, steps=None):
        """Learn the vocabulary (and idf weights) from strings (see the class docstring)."""
        what = f"{label(self)}.adapt"
        if self.lookup.has_input_vocabulary:
            raise ValueError(f"{what}: the layer was given a vocabulary; it cannot also adapt one")
        counts, document_counts, documents = {}, {}, 0
        for batch in adapt_data.batches(data, what, steps, text=True):
            for tokens in self.tokenize(batch, what):
                for token in tokens:
                    counts[token] = counts.get(token, 0) + 1
                for token in set(tokens):
                    document_counts[token] = document_counts.get(token, 0) + 1
                documents += 1
        counts.pop("", None)  # the mask token is never learned
        counts.pop("[UNK]", None)
        self.lookup._learn(counts, document_counts, documents, what)

    # -- the four steps ------------------------------------------------------------------------
    def tokenize(self, strings, what="the input"):
        """The token lists of a batch of strings (standardised, split, with n-grams)."""
        texts = as_text_array(strings, f"{label(self)}: {what}", self.encoding)
        if self.split is not None and texts.ndim == 2 and texts.shape[1] == 1:
            texts = texts[:, 0]
        if self.split is not None and texts.ndim != 1:
            raise ValueError(f"{label(self)}: to split strings into tokens the input must be (batch,) or "
                             f"(batch, 1), got shape {texts.shape}")
        texts = self._standardized(texts)
        if self.split is None:
            token_lists = [[text] for text in texts.reshape(-1).tolist()]
        elif callable(self.split):
            token_lists = [_strings(tokens, self.encoding) for tokens in _rows(self.split(Tensor._from_op(texts)))]
        elif self.split == "whitespace":
            token_lists = [[token for token in _WHITESPACE.split(text) if token] for text in texts.tolist()]
        else:
            token_lists = [list(text) for text in texts.tolist()]
        if self.ngrams is not None:
            token_lists = [_with_ngrams(tokens, self.ngrams) for tokens in token_lists]
        return token_lists

    def _standardized(self, texts):
        if self.standardize is None:
            return texts
        if callable(self.standardize):
            result = self.standardize(Tensor._from_op(texts))
            return as_text_array(result, f"{label(self)}: standardize's result", self.encoding).reshape(
                texts.shape)
        out = np.empty(texts.shape, dtype=STRING)
        flat, source = out.reshape(-1), texts.reshape(-1)
        for index, text in enumerate(source.tolist()):
            if self.standardize in ("lower", "lower_and_strip_punctuation"):
                text = text.translate(_ASCII_LOWER)
            if self.standardize in ("strip_punctuation", "lower_and_strip_punctuation"):
                text = _PUNCTUATION.sub("", text)
            flat[index] = text
        return out

    # -- calling -------------------------------------------------------------------------------
    def call(self, inputs, training=False):
        token_lists = self.tokenize(inputs.data)
        if self.output_mode == "one_hot":
            texts = np.array([tokens[0] for tokens in token_lists], dtype=STRING)
            encoded = self.lookup.call(Tensor._from_op(texts))
            return encoded
        lengths = [len(tokens) for tokens in token_lists]
        flat = np.empty(sum(lengths), dtype=STRING)
        flat[:] = [token for tokens in token_lists for token in tokens]
        ids = self.lookup._indices_of(flat)
        if self.output_mode == "int":
            return Tensor._from_op(backend.to_device(_padded_rows(ids, lengths, self.output_sequence_length)))
        rows = _padded_rows(ids, lengths, None, fill=-1)  # -1 (padding, like the mask token): counted nowhere
        return Tensor._from_op(backend.to_device(self.lookup._encoded(rows, None)))

    def _call_symbolic(self, inputs, kwargs):
        """Probing with one empty string cannot show that the id rows' length varies: in 'int'
        mode without ``output_sequence_length`` the length axis is None, as in Keras."""
        outputs = super()._call_symbolic(inputs, kwargs)
        if self.output_mode == "int" and self.output_sequence_length is None:
            outputs.shape = (None, None)
            self.output_shape_seen = outputs.shape
        return outputs

    def get_config(self):
        lookup_config = self.lookup.get_config()
        return {**super().get_config(), "max_tokens": self.max_tokens,
                "standardize": _serialized(self, "standardize", self.standardize),
                "split": _serialized(self, "split", self.split),
                "ngrams": None if self.ngrams is None else list(self.ngrams), "output_mode": self.output_mode,
                "output_sequence_length": self.output_sequence_length, "pad_to_max_tokens": self.pad_to_max_tokens,
                "sparse": self.sparse, "ragged": self.ragged, "vocabulary": lookup_config["vocabulary"],
                "idf_weights": lookup_config["idf_weights"], "encoding": self.encoding}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        size = config.pop("vocabulary_size", None)  # the size Keras froze; the vocabulary gives it
        for key in ("standardize", "split"):
            if isinstance(config.get(key), dict):
                config[key] = _function_at(config[key])
        if isinstance(config.get("ngrams"), list):
            config["ngrams"] = tuple(config["ngrams"])
        layer = cls(**config)
        layer.lookup.expect_vocabulary(size)
        return layer

    def awaits_vocabulary(self):
        return self.lookup.awaits_vocabulary()

    def keras3_variable_groups(self):
        """Keras 3's weights layout: no variables, but a group for its inner StringLookup."""
        return [("", self.name, []), ("_lookup_layer", "string_lookup", [])]

    def load_assets(self, files):
        """Keras 3 keeps an adapted vocabulary beside the model, in ``vocabulary.txt``."""
        self.lookup.load_assets(files)


def _named_or_callable(layer, argument, value, names):
    if value is None or callable(value):
        return value
    return arguments.choice(layer, argument, value, names)


def _ngram_widths(layer, ngrams):
    if ngrams is None:
        return None
    if arguments.is_integral(ngrams) and ngrams >= 1:
        return tuple(range(1, int(ngrams) + 1))
    if isinstance(ngrams, (tuple, list)) and ngrams and all(arguments.is_integral(n) and n >= 1 for n in ngrams):
        return tuple(int(n) for n in ngrams)
    raise ValueError(f"{label(layer)}: ngrams must be None, a positive integer or a tuple of them, got "
                     f"{ngrams!r}")


def _with_ngrams(tokens, widths):
    """Every n-gram of ``tokens`` for each width in turn (width 1: the tokens themselves)."""
    grams = []
    for width in widths:
        grams += [" ".join(tokens[start:start + width]) for start in range(len(tokens) - width + 1)]
    return grams


def _rows(result):
    data = result.data if isinstance(result, Tensor) else result
    if hasattr(data, "numpy") and not isinstance(data, np.ndarray):
        data = data.numpy()
    return list(data)


def _strings(tokens, encoding):
    return [token.decode(encoding) if isinstance(token, (bytes, np.bytes_)) else str(token) for token in tokens]


def _padded_rows(ids, lengths, length, fill=0):
    """The flat ``ids`` cut into rows of ``lengths``, padded with ``fill`` (or cut) to ``length``
    (None: the longest row)."""
    width = max(lengths, default=0) if length is None else length
    rows = np.full((len(lengths), width), fill, dtype=np.int64)
    start = 0
    for row, count in enumerate(lengths):
        kept = min(count, width)
        rows[row, :kept] = ids[start:start + kept]
        start += count
    return rows


def _serialized(layer, argument, value):
    if value is None or isinstance(value, str):
        return value
    module, name = getattr(value, "__module__", None), getattr(value, "__qualname__", "")
    if module is None or not name or "<" in name:
        raise ValueError(f"{label(layer)}: its {argument} function ({name or value!r}) has no import path, "
                         "so the layer cannot be saved as JSON; define the function at the top level of a module")
    return {"module": module, "name": name}
