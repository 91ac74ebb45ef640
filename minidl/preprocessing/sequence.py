"""Sequence helpers: Keras's ``pad_sequences`` and the book's time-series ``get_lookback``.

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
