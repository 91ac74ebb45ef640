"""``StringLookup`` and ``IntegerLookup``: map categories (strings or integers) to indices of a
vocabulary, learned by ``adapt`` or given; and back (``invert=True``).

The index space, as in Keras (``get_vocabulary()`` lists it)::

    [mask_token]  [oov_token] * num_oov_indices  token_1  token_2  ...
     index 0       the out-of-vocabulary buckets  then the vocabulary, most frequent first

The mask slot exists only when ``mask_token`` is set and ``output_mode='int'``; a mask token in
the input maps to 0. A value not in the vocabulary goes to an OOV bucket: the only one when
``num_oov_indices=1``; with several, a string's bucket is its FarmHash fingerprint (SipHash
with a ``salt``) modulo their number, an integer's is the integer modulo their number
(``oov_method='floormod'``), all as in Keras; with none, an unknown value is an error.

``adapt`` counts the values (mask and OOV tokens excluded) and keeps the ``max_tokens`` minus
special slots most frequent, ties broken by the larger value first (Keras's order). With
``output_mode='tf_idf'`` it also counts in how many samples (rows) each value occurs and keeps
``idf = log(1 + samples / (1 + samples_with_value))``, the OOV slots taking the mean idf.

``output_mode`` encodes the indices (``category_encoding.encode``) over ``vocabulary_size()``
(``max_tokens`` with ``pad_to_max_tokens``) slots; masked values are left out. Lookups run on
the host (a dict over the distinct values of a batch); integer outputs are int64, encoded ones
in the layer's float type.
"""

import collections
import os

import numpy as np

from minidl.autograd.tensor import Tensor
from minidl.layers import arguments
from minidl.layers.base import Layer, probing_shapes
from minidl.layers.call_context import label
from minidl.layers.preprocessing import adapt_data
from minidl.layers.preprocessing.category_encoding import encode, output_mode_argument, refuse_sparse
from minidl.layers.preprocessing.string_hashes import fingerprint64, siphash24
from minidl.layers.text_values import STRING, as_text_array
from minidl.runtime import backend

OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")


class IndexLookup(Layer):
    """What StringLookup and IntegerLookup share (see the module docstring); not used alone."""

    def __init__(self, max_tokens, num_oov_indices, mask_token, oov_token, vocabulary, idf_weights, invert,
                 output_mode, pad_to_max_tokens, sparse, oov_method, salt, **kwargs):
        super().__init__(**kwargs)
        caller = label(self)
        if max_tokens is not None:
            max_tokens = arguments.positive_int(self, "max_tokens", max_tokens)
            if max_tokens < 2:
                raise ValueError(f"{caller}: max_tokens must be greater than 1 (or None), got {max_tokens}")
        self.max_tokens = max_tokens
        if not arguments.is_integral(num_oov_indices) or num_oov_indices < 0:
            raise ValueError(f"{caller}: num_oov_indices must be an integer >= 0, got {num_oov_indices!r}")
        self.num_oov_indices = int(num_oov_indices)
        self.mask_token = None if mask_token is None else self._token(mask_token, "mask_token")
        self.oov_token = None if oov_token is None else self._token(oov_token, "oov_token")
        self.invert = arguments.boolean(self, "invert", invert)
        self.output_mode = output_mode_argument(self, output_mode, OUTPUT_MODES)
        self.pad_to_max_tokens = arguments.boolean(self, "pad_to_max_tokens", pad_to_max_tokens)
        self.sparse = refuse_sparse(self, sparse)
        self.oov_method = arguments.choice(self, "oov_method", oov_method, ("floormod", "farmhash"))
        self.salt = _salt(self, salt)
        if self.pad_to_max_tokens and self.max_tokens is None:
            raise ValueError(f"{caller}: pad_to_max_tokens=True needs max_tokens")
        if self.invert and self.output_mode != "int":
            raise ValueError(f"{caller}: invert=True needs output_mode='int', got {self.output_mode!r}")
        if idf_weights is not None and self.output_mode != "tf_idf":
            raise ValueError(f"{caller}: idf_weights are only used with output_mode='tf_idf'")
        if self.output_mode == "tf_idf" and vocabulary is not None and idf_weights is None:
            raise ValueError(f"{caller}: with output_mode='tf_idf' a given vocabulary needs idf_weights too")
        self.tokens = []  # the vocabulary without the special slots, in index order
        self.index_of = {}
        self.idf = None  # per index, for tf_idf
        self.has_input_vocabulary = vocabulary is not None
        self.pending_vocabulary_size = None  # see from_config
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)

    # -- the index space ----------------------------------------------------------------------
    def _oov_start(self):
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    def _token_start(self):
        return self._oov_start() + self.num_oov_indices

    def vocabulary_size(self):
        """How many indices there are, special slots included."""
        return self._token_start() + len(self.tokens)

    def get_vocabulary(self, include_special_tokens=True):
        """The token at every index (see the module docstring)."""
        special = [self.mask_token] * self._oov_start() + [self.oov_token] * self.num_oov_indices
        tokens = list(self.tokens)
        return special + tokens if include_special_tokens else tokens

    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Use ``vocabulary`` (a list, an array, or the path of a file with one token per line);
        it may start with the special tokens in their order. ``idf_weights`` goes with tf_idf."""
        caller = label(self)
        if isinstance(vocabulary, (str, os.PathLike)):
            vocabulary = self._read_vocabulary_file(vocabulary)
        tokens = [self._token(token, "vocabulary") for token in _as_list(vocabulary)]
        if not tokens:
            raise ValueError(f"{caller}: the vocabulary is empty")
        special = [self.mask_token] * self._oov_start() + [self.oov_token] * self.num_oov_indices
        has_special = tokens[:len(special)] == special
        if has_special:
            tokens = tokens[len(special):]
        repeated = [token for token, count in collections.Counter(tokens).items() if count > 1]
        if repeated:
            raise ValueError(f"{caller}: the vocabulary repeats {repeated[:5]}; every token must be unique")
        if self.mask_token is not None and self.mask_token in tokens:
            raise ValueError(f"{caller}: the mask token {self.mask_token!r} is in the vocabulary; leave it out, or put "
                             f"the special tokens {special} first, in that order")
        if self.invert and self.oov_token is not None and self.oov_token in tokens:
            raise ValueError(f"{caller}: the OOV token {self.oov_token!r} is in the vocabulary; leave it out, or put "
                             f"the special tokens {special} first, in that order")
        size = len(special) + len(tokens)
        if self.max_tokens is not None and size > self.max_tokens:
            raise ValueError(f"{caller}: the vocabulary has {size} entries (special tokens included), more than "
                             f"max_tokens={self.max_tokens}")
        if self.output_mode == "tf_idf":
            if idf_weights is None:
                raise ValueError(f"{caller}: output_mode='tf_idf' needs idf_weights with the vocabulary")
            weights = np.asarray(idf_weights, dtype=np.float64).reshape(-1)
            if len(weights) != len(tokens) + (len(special) if has_special else 0):
                raise ValueError(f"{caller}: idf_weights has {len(weights)} entries for a vocabulary of "
                                 f"{len(tokens) + (len(special) if has_special else 0)}")
            front = [] if has_special else [weights.mean()] * len(special)
            self.idf = np.concatenate([front, weights])
        elif idf_weights is not None:
            raise ValueError(f"{caller}: idf_weights are only used with output_mode='tf_idf'")
        self._use(tokens)

    def _use(self, tokens):
        self.tokens = list(tokens)
        start = self._token_start()
        self.index_of = {token: start + position for position, token in enumerate(self.tokens)}

    def _read_vocabulary_file(self, path):
        try:
            with open(path, encoding="utf-8") as stream:
                lines = stream.read().splitlines()
        except OSError as error:
            raise ValueError(f"{label(self)}: cannot read the vocabulary file {os.fspath(path)!r} "
                             f"({error.strerror})") from None
        while lines and lines[-1] == "":
            lines.pop()
        return lines

    # -- adapting ------------------------------------------------------------------------------
    def adapt(self, data, batch_size=None, steps=None):
        """Learn the vocabulary (and idf weights) from ``data`` (see the module docstring)."""
        what = f"{label(self)}.adapt"
        if self.has_input_vocabulary:
            raise ValueError(f"{what}: the layer was given a vocabulary; it cannot also adapt one")
        counts, document_counts, documents = collections.Counter(), collections.Counter(), 0
        single = adapt_data._is_single_array(data)
        for batch in adapt_data.batches(data, what, steps, text=self.vocabulary_dtype == STRING):
            for document in self._documents(batch, single):
                document = [token for token in document if token != self.mask_token and token != self.oov_token]
                counts.update(document)
                document_counts.update(set(document))
                documents += 1
        self._learn(counts, document_counts, documents, what)

    def _documents(self, batch, single_array):
        """The samples (rows) of an adapt batch, as lists of tokens (Keras: a rank-1 array is a
        column of one-token samples, a rank-1 batch of a dataset one sample)."""
        batch = self._values(batch, "adapt data")
        if batch.ndim == 0:
            return [[batch.item()]]
        if batch.ndim == 1:
            return [[token] for token in batch.tolist()] if single_array else [batch.tolist()]
        return [row.tolist() for row in batch.reshape(batch.shape[0], -1)]

    def _learn(self, counts, document_counts, documents, what):
        """Take the vocabulary from the token counts of ``documents`` adapted samples; no samples at
        all (an empty list or dataset) is an error rather than an adapt that silently learns nothing."""
        if documents == 0:
            raise ValueError(f"{what}: the data holds no samples; adapt needs some to learn a vocabulary from")
        if not counts:
            return
        ordered = sorted(counts, key=lambda token: (counts[token], _sort_key(token)), reverse=True)
        if self.max_tokens is not None:
            ordered = ordered[:max(self.max_tokens - self._token_start(), 0)]
        self._use(ordered)
        if self.output_mode == "tf_idf":
            idf = np.log(1 + documents / (1 + np.array([document_counts[token] for token in ordered], np.float64)))
            idf = idf.astype(np.float32).astype(np.float64)
            self.idf = np.concatenate([[idf.mean()] * self._token_start(), idf])

    # -- calling --------------------------------------------------------------------------------
    def call(self, inputs, training=False):
        values = self._values(inputs.data, "the input")
        if self.invert:
            return Tensor._from_op(self._tokens_of(values))
        indices = self._indices_of(values)
        if self.output_mode == "int":
            return Tensor._from_op(backend.to_device(indices))
        return Tensor._from_op(backend.to_device(self._encoded(indices, values)))

    def _indices_of(self, values):
        """The int64 index of every value (the module docstring's rules)."""
        uniques, positions = np.unique(values.reshape(-1), return_inverse=True)
        table = np.array([self._index(value) for value in uniques.tolist()], dtype=np.int64)
        return table[positions].reshape(values.shape) if uniques.size else np.zeros(values.shape, np.int64)

    def _index(self, value):
        if self.mask_token is not None and value == self.mask_token:
            return 0 if self.output_mode == "int" else -1  # -1: left out of the encodings
        index = self.index_of.get(value)
        if index is not None:
            return index
        if self.num_oov_indices == 0:
            if probing_shapes():
                return self._token_start()  # a placeholder, not data
            raise ValueError(f"{label(self)}: {value!r} is not in the vocabulary and num_oov_indices=0; "
                             "set num_oov_indices=1 to map unknown values to an OOV index")
        return self._oov_start() + self._oov_bucket(value)

    def _oov_bucket(self, value):
        if self.num_oov_indices == 1:
            return 0
        if self.vocabulary_dtype != STRING and self.oov_method == "floormod":
            return int(value) % self.num_oov_indices
        data = (value if self.vocabulary_dtype == STRING else str(int(value))).encode(
            getattr(self, "encoding", "utf-8"))
        hashed = siphash24(self.salt, data) if self.salt is not None else fingerprint64(data)
        return hashed % self.num_oov_indices

    def _tokens_of(self, indices):
        """``invert``: the token at every index (the OOV token for an index outside the vocabulary)."""
        vocabulary = self.get_vocabulary()
        flat = [vocabulary[i] if 0 <= i < len(vocabulary) else self.oov_token for i in indices.reshape(-1).tolist()]
        out = np.empty(len(flat), dtype=STRING if self.vocabulary_dtype == STRING else np.int64)
        out[:] = flat
        if self.vocabulary_dtype == STRING:
            return out.reshape(indices.shape)
        return backend.to_device(out.reshape(indices.shape))

    def _depth(self):
        if self.pad_to_max_tokens:
            return self.max_tokens
        if not self.tokens and self.pending_vocabulary_size is not None:
            return self.pending_vocabulary_size  # a Keras file's layer, built before its vocabulary is read
        if not self.tokens:
            raise RuntimeError(f"{label(self)}: with output_mode={self.output_mode!r} and "
                               "pad_to_max_tokens=False the vocabulary must be set before the layer is called; pass "
                               "vocabulary= or call adapt(data) first")
        return self.vocabulary_size()

    def _encoded(self, indices, values):
        depth = self._depth()
        masked = indices < 0
        mode = "count" if self.output_mode == "tf_idf" else self.output_mode
        # masked values go to one extra slot, dropped afterwards: they count nowhere
        encoded = encode(np.where(masked, depth, indices), mode, depth + 1, self.dtype, who=label(self))
        encoded = encoded[..., :depth]
        if self.output_mode == "tf_idf":
            idf = np.zeros(depth)
            idf[:min(depth, len(self.idf))] = self.idf[:depth]
            encoded = (encoded * idf).astype(self.dtype)
        return encoded

    def get_config(self):
        vocabulary = self.get_vocabulary(include_special_tokens=False) if self.tokens else None
        idf = None
        if self.output_mode == "tf_idf" and self.idf is not None and vocabulary is not None:
            idf = self.idf[self._token_start():].tolist()
        return {**super().get_config(), "invert": self.invert, "max_tokens": self.max_tokens,
                "num_oov_indices": self.num_oov_indices, "oov_token": self.oov_token, "mask_token": self.mask_token,
                "output_mode": self.output_mode, "sparse": self.sparse, "pad_to_max_tokens": self.pad_to_max_tokens,
                "idf_weights": idf, "vocabulary": vocabulary, "oov_method": self.oov_method, "salt": self.salt}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        size = config.pop("vocabulary_size", None)  # the size Keras froze; the vocabulary gives it
        config.pop("has_input_vocabulary", None)
        layer = cls(**config)
        layer.expect_vocabulary(size)
        return layer

    def expect_vocabulary(self, size):
        """A Keras 3 file stores an adapted vocabulary apart from the configuration
        (``load_assets``); until it arrives, the encodings are ``size`` wide."""
        if size is not None and not self.tokens:
            self.pending_vocabulary_size = int(size)

    def awaits_vocabulary(self):
        """True for a layer from a Keras file whose vocabulary has not been read (yet)."""
        return self.pending_vocabulary_size is not None and not self.tokens

    def load_assets(self, files):
        """Keras 3 keeps an adapted vocabulary beside the model, in ``vocabulary.txt``."""
        text = files.get("vocabulary.txt")
        if text is None or self.has_input_vocabulary:
            return
        lines = text.splitlines()
        while lines and lines[-1] == "":
            lines.pop()
        idf = None
        if self.output_mode == "tf_idf":
            idf = self.idf
        self.set_vocabulary(lines, idf)
        self.pending_vocabulary_size = None


def _salt(layer, salt):
    if salt is None:
        return None
    if arguments.is_integral(salt):
        return [int(salt), int(salt)]
    if isinstance(salt, (list, tuple)) and len(salt) == 2 and all(arguments.is_integral(s) for s in salt):
        return [int(s) for s in salt]
    raise ValueError(f"{label(layer)}: salt must be an integer or a pair of integers, got {salt!r}")


def _sort_key(token):
    """Keras breaks count ties by comparing the tokens: strings as their UTF-8 bytes."""
    return token.encode("utf-8") if isinstance(token, str) else token


def _as_list(vocabulary):
    if hasattr(vocabulary, "numpy") and not isinstance(vocabulary, np.ndarray):
        vocabulary = vocabulary.numpy()
    if isinstance(vocabulary, np.ndarray):
        return vocabulary.reshape(-1).tolist()
    return list(vocabulary)


class StringLookup(IndexLookup):
    """Maps strings to integer indices of a vocabulary (see the module docstring), or indices
    back to strings with ``invert=True``. Input: strings of any shape (a NumPy array, a list,
    ``tf.string`` tensors); output: int64 indices of the same shape, or their encoding
    (``output_mode``): (batch, ..., vocabulary_size) in the layer's float type. No weights.

    Arguments:
        max_tokens: the largest vocabulary ``adapt`` keeps, special slots included (None: all).
        num_oov_indices: how many indices unknown strings share (hashed into them), >= 0.
        mask_token: the string that means padding (index 0), or None for no mask slot.
        oov_token: what ``get_vocabulary`` / ``invert`` show for the OOV indices.
        vocabulary: the vocabulary (a list, an array, or the path of a file with one token per
            line), or None to ``adapt`` it.
        idf_weights: with output_mode='tf_idf' and a given vocabulary, one weight per token.
        invert: map indices back to strings.
        output_mode: 'int', 'one_hot', 'multi_hot', 'count' or 'tf_idf'.
        pad_to_max_tokens: encode over ``max_tokens`` slots, whatever the vocabulary's size.
        sparse: must be False (minidl has no sparse tensors).
        encoding: the text encoding of byte strings (and of strings hashed into OOV buckets).
        salt: an integer or a pair of integers keying the OOV hash (SipHash), or None.
        oov_method: 'farmhash' or 'floormod' (used by IntegerLookup; strings always hash).
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype``, ``input_shape``, ...).
    """

    input_dtype = STRING
    vocabulary_dtype = STRING

    def __init__(self, max_tokens: int | None = None, num_oov_indices: int = 1, mask_token: str | None = None,
                 oov_token: str = "[UNK]", vocabulary: list[str] | str | None = None,
                 idf_weights: list[float] | None = None, invert: bool = False, output_mode: str = "int",
                 pad_to_max_tokens: bool = False, sparse: bool = False, encoding: str = "utf-8",
                 salt: int | tuple[int, int] | None = None, oov_method: str = "floormod", **kwargs):
        self.encoding = encoding
        super().__init__(max_tokens, num_oov_indices, mask_token, oov_token, vocabulary, idf_weights, invert,
                         output_mode, pad_to_max_tokens, sparse, oov_method, salt, **kwargs)
        if self.invert:
            self.input_dtype = np.dtype("int64")

    def _token(self, value, argument):
        if isinstance(value, bytes):
            return value.decode(self.encoding)
        if not isinstance(value, str):
            raise ValueError(f"{label(self)}: {argument} must hold strings, got {value!r}")
        return str(value)

    def _values(self, data, what):
        if self.invert:
            return _integers(self, data, what)
        return as_text_array(data, f"{label(self)}: {what}", self.encoding)

    def get_config(self):
        return {**super().get_config(), "encoding": self.encoding}


class IntegerLookup(IndexLookup):
    """Maps integers (e.g. raw category codes) to contiguous indices of a vocabulary (see the
    module docstring), or back with ``invert=True``. Input: integers of any shape; output:
    int64 indices of the same shape, or their encoding (``output_mode``): (batch, ...,
    vocabulary_size) in the layer's float type. No weights.

    Arguments:
        max_tokens: the largest vocabulary ``adapt`` keeps, special slots included (None: all).
        num_oov_indices: how many indices unknown integers share, >= 0.
        mask_token: the integer that means padding (index 0), or None for no mask slot.
        oov_token: what ``get_vocabulary`` / ``invert`` show for the OOV indices (-1).
        vocabulary: the vocabulary (a list, an array, or the path of a file with one integer
            per line), or None to ``adapt`` it.
        vocabulary_dtype: 'int64' or 'int32', the type of the integers.
        idf_weights: with output_mode='tf_idf' and a given vocabulary, one weight per token.
        invert: map indices back to integers.
        output_mode: 'int', 'one_hot', 'multi_hot', 'count' or 'tf_idf'.
        sparse: must be False (minidl has no sparse tensors).
        pad_to_max_tokens: encode over ``max_tokens`` slots, whatever the vocabulary's size.
        oov_method: 'floormod' (an unknown integer's bucket is it modulo num_oov_indices) or
            'farmhash' (the fingerprint of its decimal text).
        salt: an integer or a pair of integers keying the 'farmhash' OOV hash (SipHash), or None.
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype``, ``input_shape``, ...).
    """

    input_dtype = np.dtype("int64")

    def __init__(self, max_tokens: int | None = None, num_oov_indices: int = 1, mask_token: int | None = None,
                 oov_token: int = -1, vocabulary: list[int] | str | None = None, vocabulary_dtype: str = "int64",
                 idf_weights: list[float] | None = None, invert: bool = False, output_mode: str = "int",
                 sparse: bool = False, pad_to_max_tokens: bool = False, oov_method: str = "floormod",
                 salt: int | tuple[int, int] | None = None, **kwargs):
        self.vocabulary_dtype = np.dtype(vocabulary_dtype) if vocabulary_dtype in ("int64", "int32") else None
        if self.vocabulary_dtype is None:
            raise ValueError(f"{kwargs.get('name') or 'integer_lookup'} (IntegerLookup): vocabulary_dtype must be "
                             f"'int64' or 'int32', got {vocabulary_dtype!r}")
        super().__init__(max_tokens, num_oov_indices, mask_token, oov_token, vocabulary, idf_weights, invert,
                         output_mode, pad_to_max_tokens, sparse, oov_method, salt, **kwargs)
        if self.salt is not None and self.oov_method != "farmhash":
            raise ValueError(f"{label(self)}: salt is only used with oov_method='farmhash'")

    def _token(self, value, argument):
        if isinstance(value, str) and value.lstrip("-").isdigit():
            value = int(value)  # a line of a vocabulary file
        if not arguments.is_integral(value):
            raise ValueError(f"{label(self)}: {argument} must hold integers, got {value!r}")
        return int(value)

    def _values(self, data, what):
        return _integers(self, data, what)

    def get_config(self):
        return {**super().get_config(), "vocabulary_dtype": self.vocabulary_dtype.name}


def _integers(layer, data, what):
    """Host int64 values; whole-number floats are accepted, anything else is an error."""
    host = backend.to_numpy(data) if not isinstance(data, np.ndarray) else data
    if host.dtype.kind in "iu":
        return host.astype(np.int64)
    if host.dtype.kind == "f" and np.all(np.isfinite(host)) and np.all(host == np.floor(host)):
        return host.astype(np.int64)
    raise TypeError(f"{label(layer)}: {what} must hold integers, got an array of dtype {host.dtype} "
                    f"(e.g. {host.reshape(-1)[:3].tolist()})")
