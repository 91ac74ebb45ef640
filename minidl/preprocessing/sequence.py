"""Sequence helpers: Keras's ``pad_sequences``, the book's time-series ``get_lookback``, and
Keras 2's ``TimeseriesGenerator``, ``skipgrams`` and ``make_sampling_table`` (at the end).

``pad_sequences`` follows ``keras.preprocessing.sequence.pad_sequences`` exactly:

* the result has shape ``(len(sequences), maxlen) + item_shape`` and is filled with ``value``;
* ``maxlen=None`` means the length of the longest sequence;
* longer sequences are cut: ``truncating='pre'`` keeps the *last* ``maxlen`` items, ``'post'``
  the first ``maxlen``;
* shorter ones are padded: ``padding='pre'`` puts the padding before the items, ``'post'`` after;
* values are cast to ``dtype`` (``'int32'`` by default, so floats are truncated toward zero);
* empty sequences become all-``value`` rows.

Unlike Keras, ``maxlen`` must be a positive int (Keras silently treats 0 as "keep everything",
because ``s[-0:]`` is the whole list) and bad ``padding``/``truncating`` values are reported even
when every sequence is empty.
"""

import random

import numpy as np

PADDING_CHOICES = ("pre", "post")


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre", value=0.0):
    """Pad or cut every sequence to ``maxlen`` items; returns a NumPy array (see module docs)."""
    if not hasattr(sequences, "__len__"):
        raise ValueError(f"pad_sequences: sequences must be a list of sequences, got {type(sequences).__name__}")
    if padding not in PADDING_CHOICES:
        raise ValueError(f"pad_sequences: padding must be 'pre' or 'post', got {padding!r}")
    if truncating not in PADDING_CHOICES:
        raise ValueError(f"pad_sequences: truncating must be 'pre' or 'post', got {truncating!r}")
    if maxlen is not None:
        if isinstance(maxlen, bool) or not isinstance(maxlen, (int, np.integer)) or maxlen <= 0:
            raise ValueError(f"pad_sequences: maxlen must be a positive int or None, got {maxlen!r}")
        maxlen = int(maxlen)
    lengths = []
    item_shape = None
    for position, sequence in enumerate(sequences):
        try:
            lengths.append(len(sequence))
        except TypeError:
            raise ValueError(
                f"pad_sequences: sequences[{position}] is not a sequence (got {type(sequence).__name__}: {sequence!r})"
            ) from None
        if item_shape is None and len(sequence):
            item_shape = np.asarray(sequence).shape[1:]
    item_shape = item_shape if item_shape is not None else ()
    if maxlen is None:
        maxlen = max(lengths) if lengths else 0
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"pad_sequences: dtype {dtype!r} is not a NumPy data type (e.g. 'int32', 'float32', object)") from None
    if dtype.kind in "iub" and not isinstance(value, str) and not _fits_integer(value, dtype):
        raise ValueError(
            f"pad_sequences: value {value!r} cannot be stored as {dtype.name}; pass a whole number in its range, "
            f"or a float dtype"
        )
    if isinstance(value, str) and np.dtype(dtype).kind not in ("U", "S", "O"):
        raise ValueError(f"pad_sequences: value {value!r} is a string but dtype {dtype!r} is not; use dtype=object")
    padded = np.full((len(lengths), maxlen) + tuple(item_shape), value, dtype=dtype)
    for position, sequence in enumerate(sequences):
        if not len(sequence):
            continue
        kept = sequence[-maxlen:] if truncating == "pre" else sequence[:maxlen]
        try:
            kept = np.asarray(kept, dtype=dtype)
        except (TypeError, ValueError) as error:
            raise ValueError(
                f"pad_sequences: sequences[{position}] holds items that are not {np.dtype(dtype).name} values "
                f"({error}); pad token ids (Tokenizer.texts_to_sequences), or pass dtype=object for text"
            ) from None
        if kept.shape[1:] != tuple(item_shape):
            raise ValueError(
                f"pad_sequences: sequences[{position}] has items of shape {kept.shape[1:]}, "
                f"expected {tuple(item_shape)} like the first non-empty sequence"
            )
        if padding == "post":
            padded[position, :len(kept)] = kept
        else:
            padded[position, maxlen - len(kept):] = kept
    return padded


def get_lookback(inp, look_back):
    """The book's (chapter 5) lookback features: for each step t, the previous ``look_back`` values.

    ``inp`` is a series of shape (n,) or (n, features).  Returns ``(x, y)`` where ``y`` is
    ``inp`` as an (n, features) array and row t of ``x`` holds ``inp[t-1], inp[t-2], ...,
    inp[t-look_back]`` -- newest first -- with zeros where t-k < 0, each shift contributing
    ``features`` columns.  This equals the book's ``pd.DataFrame(inp).shift(k)`` concatenation
    followed by ``fillna(0)``, so ``x`` has the same (n, look_back * features) shape and is float64.
    """
    if isinstance(look_back, bool) or not isinstance(look_back, (int, np.integer)) or look_back <= 0:
        raise ValueError(f"get_lookback: look_back must be a positive int, got {look_back!r}")
    series = np.asarray(inp)
    if series.ndim == 1:
        series = series.reshape(-1, 1)
    if series.ndim != 2:
        raise ValueError(f"get_lookback: inp must be 1-D or 2-D (steps, features), got shape {series.shape}")
    steps, features = series.shape
    windows = np.zeros((steps, look_back * features), dtype=np.float64)
    for shift in range(1, look_back + 1):
        columns = slice((shift - 1) * features, shift * features)
        if shift < steps:
            windows[shift:, columns] = series[:steps - shift]
    return windows, series


def _fits_integer(value, dtype):
    """Whether ``value`` is a whole number that ``dtype`` (an integer dtype) holds exactly: NaN,
    1.5 or 300 for uint8 would otherwise be turned silently into some other number."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return False
    if not np.isfinite(number) or not number.is_integer():
        return False
    limits = np.iinfo(dtype) if dtype.kind != "b" else None
    return number in (0, 1) if limits is None else limits.min <= number <= limits.max


# -- Keras 2's time-series and skip-gram helpers (keras.preprocessing.sequence, TF <= 2.15) --------

class TimeseriesGenerator:
    """Keras's ``TimeseriesGenerator``: batches of ``(samples, targets)`` cut from a series, for
    ``model.fit(generator)`` (the course's ``TimeseriesGenerator(series, series, length=n,
    batch_size=1)``).

    Sample ``j`` ends just before step ``row = start_index + length + j * stride``: it holds
    ``data[row - length:row:sampling_rate]`` (oldest first, newest first with ``reverse``) and its
    target is ``targets[row]``. Rows run up to ``end_index`` (the last step by default), ``batch_size``
    samples to a batch, the last batch possibly shorter. With ``shuffle`` each batch is
    ``batch_size`` rows drawn at random (with repetition) from NumPy's global generator, as Keras
    does, so ``np.random.seed`` repeats them.

    It is a Keras ``Sequence`` by its methods (``__len__``, ``__getitem__``, ``on_epoch_end``),
    which is what ``fit``, ``evaluate`` and ``predict`` read; ``workers``,
    ``use_multiprocessing`` and ``max_queue_size`` are Keras 3's ``PyDataset`` options, kept and
    not used (minidl reads the batches in the training loop's thread).
    """

    def __init__(self, data, targets, length, sampling_rate=1, stride=1, start_index=0, end_index=None,
                 shuffle=False, reverse=False, batch_size=128, workers=1, use_multiprocessing=False,
                 max_queue_size=10):
        what = "TimeseriesGenerator"
        if len(data) != len(targets):
            raise ValueError(f"{what}: data and targets must have the same length, got {len(data)} steps of data and "
                             f"{len(targets)} targets")
        self.data = data
        self.targets = targets
        self.length = _positive_int(length, "length", what)
        self.sampling_rate = _positive_int(sampling_rate, "sampling_rate", what)
        self.stride = _positive_int(stride, "stride", what)
        self.batch_size = _positive_int(batch_size, "batch_size", what)
        self.start_index = _non_negative_int(start_index, "start_index", what) + self.length
        self.end_index = len(data) - 1 if end_index is None else _non_negative_int(end_index, "end_index", what)
        if self.end_index > len(data) - 1:
            raise ValueError(f"{what}: end_index must be at most the last step of data ({len(data) - 1}), got "
                             f"{end_index!r}")
        if self.start_index > self.end_index:
            raise ValueError(f"{what}: start_index + length = {self.start_index} is beyond end_index = "
                             f"{self.end_index}, so no step is left to predict; use a shorter length or more data")
        self.shuffle = bool(shuffle)
        self.reverse = bool(reverse)
        self.workers = workers
        self.use_multiprocessing = use_multiprocessing
        self.max_queue_size = max_queue_size

    def __len__(self):
        """The number of batches: the rows from start_index to end_index, ``stride`` apart."""
        rows_per_batch = self.batch_size * self.stride
        return (self.end_index - self.start_index + rows_per_batch) // rows_per_batch

    def __getitem__(self, index):
        """Batch ``index`` as ``(samples, targets)`` NumPy arrays."""
        if not -len(self) <= index < len(self):
            raise IndexError(f"TimeseriesGenerator: batch index {index} is out of range for {len(self)} batches")
        rows = self._rows(index % len(self))
        samples = np.array([self.data[row - self.length:row:self.sampling_rate] for row in rows])
        targets = np.array([self.targets[row] for row in rows])
        return (samples[:, ::-1, ...], targets) if self.reverse else (samples, targets)

    def _rows(self, index):
        """The steps whose targets make batch ``index`` (drawn at random with ``shuffle``)."""
        if self.shuffle:
            return np.random.randint(self.start_index, self.end_index + 1, size=self.batch_size)
        first = self.start_index + self.batch_size * self.stride * index
        return np.arange(first, min(first + self.batch_size * self.stride, self.end_index + 1), self.stride)

    def on_epoch_end(self):
        """Nothing to do between epochs (shuffled batches are drawn afresh on every read)."""

    def __iter__(self):
        for index in range(len(self)):
            yield self[index]


def make_sampling_table(size, sampling_factor=1e-5):
    """Keras's ``make_sampling_table``: for each word rank ``i`` (0 to ``size - 1``), the
    probability that word2vec's subsampling keeps a word of that rank, assuming Zipf-distributed
    word frequencies -- ``sampling_table`` for :func:`skipgrams`. Frequent (low-rank) words get
    small probabilities; rank 0 (padding) is treated as rank 1."""
    size = _positive_int(size, "size", "make_sampling_table")
    if isinstance(sampling_factor, bool) or not isinstance(sampling_factor, (int, float, np.number)) or not (
            sampling_factor > 0):
        raise ValueError(f"make_sampling_table: sampling_factor must be a positive number, got {sampling_factor!r}")
    gamma = 0.577
    rank = np.arange(size)
    rank[0] = 1
    inverse_frequency = rank * (np.log(rank) + gamma) + 0.5 - 1.0 / (12.0 * rank)
    scaled = sampling_factor * inverse_frequency
    return np.minimum(1.0, scaled / np.sqrt(scaled))


def skipgrams(sequence, vocabulary_size, window_size=4, negative_samples=1.0, shuffle=True, categorical=False,
              sampling_table=None, seed=None):
    """Keras's ``skipgrams``: word pairs ``[target, context]`` labelled 1 for each pair within
    ``window_size`` of each other in ``sequence`` (word ids; id 0 is padding and skipped), and
    ``negative_samples`` times as many pairs ``[target, random id in [1, vocabulary_size)]``
    labelled 0. Returns ``(couples, labels)`` as lists; ``categorical`` labels are ``[0, 1]`` /
    ``[1, 0]``. With a ``sampling_table`` a word of id ``i`` is kept as a target with probability
    ``sampling_table[i]``.

    The draws are Keras's, from Python's ``random`` module in the same order, so after
    ``random.seed(s)`` the result equals Keras's; as in Keras, shuffling reseeds ``random`` with
    ``seed`` (or with a seed drawn from it when ``seed`` is None), so both lists keep the same order.
    """
    what = "skipgrams"
    vocabulary_size = _positive_int(vocabulary_size, "vocabulary_size", what)
    window_size = _non_negative_int(window_size, "window_size", what)
    if isinstance(negative_samples, bool) or not isinstance(negative_samples, (int, float, np.number)) or not (
            negative_samples >= 0):
        raise ValueError(f"{what}: negative_samples must be a number >= 0 (0: no negative pairs, 1: as many as the "
                         f"positive ones), got {negative_samples!r}")
    sequence = _word_ids(sequence, sampling_table)
    couples, labels = _positive_pairs(sequence, window_size, categorical, sampling_table)
    if negative_samples > 0:
        count = int(len(labels) * negative_samples)
        if count and vocabulary_size < 2:
            raise ValueError(f"{what}: vocabulary_size must be at least 2 to draw negative samples (ids from 1 to "
                             f"vocabulary_size - 1), got {vocabulary_size}")
        words = [couple[0] for couple in couples]
        random.shuffle(words)
        couples += [[words[i % len(words)], random.randint(1, vocabulary_size - 1)] for i in range(count)]
        labels += [[1, 0]] * count if categorical else [0] * count
    if shuffle:
        if seed is None:
            seed = random.randint(0, 10**7)
        random.seed(seed)
        random.shuffle(couples)
        random.seed(seed)
        random.shuffle(labels)
    return couples, labels


def _word_ids(sequence, sampling_table):
    """``sequence`` as a list of Python ints, each checked to have an entry in ``sampling_table``."""
    try:
        ids = [int(word) for word in sequence]
    except (TypeError, ValueError):
        raise ValueError(f"skipgrams: sequence must be a list of word ids (ints), got {sequence!r:.80}") from None
    if sampling_table is not None and ids and max(ids) >= len(sampling_table):
        raise ValueError(f"skipgrams: sampling_table has {len(sampling_table)} entries but sequence holds word id "
                         f"{max(ids)}; make it with make_sampling_table(vocabulary_size)")
    return ids


def _positive_pairs(sequence, window_size, categorical, sampling_table):
    """Every ``[word, neighbour]`` pair within ``window_size`` steps, label 1, in Keras's order."""
    couples, labels = [], []
    for i, word in enumerate(sequence):
        if not word:
            continue
        if sampling_table is not None and sampling_table[word] < random.random():
            continue
        for j in range(max(0, i - window_size), min(len(sequence), i + window_size + 1)):
            if j != i and sequence[j]:
                couples.append([word, sequence[j]])
                labels.append([0, 1] if categorical else 1)
    return couples, labels


def _positive_int(value, argument, what):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{what}: {argument} must be a positive int, got {value!r}")
    return int(value)


def _non_negative_int(value, argument, what):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"{what}: {argument} must be a non-negative int, got {value!r}")
    return int(value)
