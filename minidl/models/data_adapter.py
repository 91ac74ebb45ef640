"""What users hand to ``fit`` / ``evaluate`` / ``predict``, turned into batches on the device.

Accepted data, as in Keras:

* NumPy arrays, device arrays, Tensors, pandas DataFrames/Series, nested Python lists;
* a list (or dict keyed by input name) of those for models with several inputs/outputs;
* a generator (or any iterator) yielding ``x``, ``(x, y)`` or ``(x, y, sample_weight)``;
* a ``Sequence``-like object with ``__len__`` and ``__getitem__`` returning such batches
  (``on_epoch_end()`` is called after every epoch when it exists);
* any other re-iterable object yielding such batches (a dataset), iterated afresh each epoch.

Under ``minidl.distributed`` a data object's ``shard`` (set by the strategy; None otherwise)
picks this rank's rows of every batch: each batch is formed exactly as in one process and then
cut to ``shard.local_rows(start, stop)``, so only those rows go to the device.

For arrays the rules of Keras hold: ``validation_split`` takes the LAST fraction of the rows,
before any shuffling; shuffling permutes the rows once per epoch with NumPy's global RNG
(``np.random.permutation``, so ``np.random.seed`` reproduces it); a batch is a contiguous slice
of the permuted copy and is moved to the device exactly once. Floating-point inputs are cast to
the model's float type (float32 by default) once per fit, as Keras's input layers do; so are
``uint8``/``int8``/``bool`` inputs (images). A model that knows its inputs (Sequential,
functional) conforms them first (``conform_x``: token ids stay integers, other integers become
floats; see ``minidl.models.input_contract``); without one, larger integers are left alone.

Text, ragged lists of sequences, complex numbers and other non-numbers are refused by
``as_array`` with what to do instead (tokenize, ``pad_sequences``), not passed on to fail
inside NumPy -- except text for a model input whose first layer takes strings
(``TextVectorization``, ``StringLookup``, ``Hashing``; ``accepts_text``): that text stays a
host array of ``str`` and is never moved to the device (see ``minidl.layers.text_values``).
"""

import math

import numpy as np

from minidl.autograd.tensor import Tensor
from minidl.layers.text_values import as_text_array, holds_text
from minidl.runtime import backend


def _is_device_array(value):
    xp = backend.get_xp()
    return xp is not np and isinstance(value, xp.ndarray)


def _has_shape(value):
    return isinstance(value, (np.ndarray, Tensor)) or _is_device_array(value) or (
        hasattr(value, "shape") and hasattr(value, "to_numpy")
    )


def sample_weight_array(value, what):
    """Sample weights as a float array of ``floatx``: numbers that are finite and >= 0, as
    ``class_weight``'s are -- a negative weight would turn the loss into something to maximise
    and a NaN one would poison every update, so either is an error naming the first bad row."""
    array = as_array(value, what).astype(backend.floatx(), copy=False)
    host = backend.to_numpy(array) if _is_device_array(array) else array
    bad = ~np.isfinite(host) | (host < 0)
    if bad.any():
        row = np.argwhere(bad)[0]
        where = row[0] if len(row) == 1 else tuple(int(i) for i in row)
        raise ValueError(
            f"{what}: weights must be finite numbers >= 0, got {host[tuple(row)].item()!r} at row {where}"
        )
    return array


def as_array(value, what, text=False):
    """One input/target/weight column as a host NumPy array or a device array (never copied
    to the host when it already lives on the device).

    Text, ragged sequences and other non-numbers are refused here, with what to do instead,
    rather than failing later inside NumPy. With ``text=True`` (an input whose first layer
    takes strings) text is accepted, as a host object array of ``str``.
    """
    if text and holds_text(value):
        return as_text_array(value, what)
    if isinstance(value, Tensor):
        value = value.data
    if _is_device_array(value) or isinstance(value, np.ndarray):
        array = value
    elif hasattr(value, "to_numpy"):  # pandas DataFrame / Series
        array = value.to_numpy()
        if array.ndim == 1 and array.dtype.kind in "biuf":
            array = array[:, None]  # Keras 3 makes a Series one column: (n,) -> (n, 1)
    else:
        try:
            array = np.asarray(value)
        except (TypeError, ValueError):
            raise _irregular_data_error(value, what) from None
    if array.dtype.kind in "OUSV":
        array = _numeric_from_objects(array, value, what)
    elif array.dtype.kind in "cmM":
        kind = {"c": "complex numbers", "m": "time spans", "M": "dates"}[array.dtype.kind]
        raise TypeError(f"{what}: got {kind} (dtype {array.dtype}); a model takes real numbers")
    if array.ndim == 0:
        raise ValueError(f"{what}: expected an array with a batch axis, got a scalar")
    return array


_TOKENIZE_HINT = (
    "a model takes numbers: turn the texts into integer token ids first (minidl.preprocessing.text."
    "Tokenizer: fit_on_texts, then texts_to_sequences), then pad them to one length with "
    "minidl.preprocessing.sequence.pad_sequences -- or make a TextVectorization layer the model's first "
    "layer, which takes strings"
)
_PAD_HINT = (
    "pad (or truncate) them to one length first: minidl.preprocessing.sequence.pad_sequences(x, maxlen=...)"
)


def _is_text(item):
    return isinstance(item, (str, bytes, np.str_, np.bytes_))


def _is_sequence(item):
    return isinstance(item, (list, tuple)) or (isinstance(item, np.ndarray) and item.ndim > 0)


def _irregular_data_error(value, what):
    """The error for nested lists NumPy could not make an array of: text, or rows of unequal length."""
    rows = list(value) if isinstance(value, (list, tuple)) else []
    if any(_is_text(row) for row in rows) or any(_is_sequence(r) and any(_is_text(i) for i in r) for r in rows):
        return TypeError(f"{what}: got text; {_TOKENIZE_HINT}")
    lengths = sorted({len(row) for row in rows if _is_sequence(row)})
    if len(lengths) > 1:
        return ValueError(
            f"{what}: got {len(rows)} sequences of different lengths ({lengths[0]} to {lengths[-1]} items); "
            f"a batch needs one length: {_PAD_HINT}"
        )
    return TypeError(f"{what}: cannot turn a {type(value).__name__} into an array of numbers")


def _numeric_from_objects(array, original, what):
    """An object/text array as numbers, or an error saying what it holds and what to do."""
    if array.dtype.kind in "USV":
        sample = array.reshape(-1)[0] if array.size else ""
        raise TypeError(f"{what}: got text (dtype {array.dtype}, e.g. {str(sample)!r}); {_TOKENIZE_HINT}")
    items = array.reshape(-1)
    if any(item is None for item in items):  # astype would turn it into NaN, and training into NaN
        position = np.unravel_index(next(i for i, item in enumerate(items) if item is None), array.shape)
        raise ValueError(
            f"{what}: got None at index {tuple(int(i) for i in position)} (a missing value) in an object array of "
            f"shape {array.shape}; fill or drop the missing values first (e.g. with pandas' fillna or dropna)"
        )
    if any(_is_text(item) for item in items):
        sample = next(item for item in items if _is_text(item))
        raise TypeError(f"{what}: got text (e.g. {str(sample)!r} in an object array); {_TOKENIZE_HINT}")
    if any(_is_sequence(item) for item in items):
        lengths = sorted({len(item) for item in items if _is_sequence(item)})
        shown = f"{lengths[0]} to {lengths[-1]}" if len(lengths) > 1 else str(lengths[0])
        raise ValueError(
            f"{what}: got an object array of {len(items)} sequences ({shown} items each), not an array of "
            f"numbers; {_PAD_HINT}"
        )
    try:
        return array.astype(np.float64)
    except (TypeError, ValueError):
        kinds = sorted({type(item).__name__ for item in items})
        raise TypeError(
            f"{what}: got an object array holding {kinds}, which are not numbers; pass numeric arrays"
        ) from None


def flatten(data, names, what, accepts_text=None):
    """``data`` as a list of arrays: one per model input (or output).

    ``names`` are the model's input (output) names, used for dict data; None when unknown.
    ``accepts_text[i]`` says whether input ``i`` may be text (None: none may; True: every one).
    """
    if data is None:
        return None

    def text_ok(index):
        if accepts_text is True or not accepts_text:
            return bool(accepts_text)
        return index < len(accepts_text) and accepts_text[index]

    if isinstance(data, dict):
        if names is None:
            return [as_array(value, f"{what}[{key!r}]", text_ok(index)) for index, (key, value) in enumerate(data.items())]
        unknown = sorted(set(data) - set(names))
        missing = [name for name in names if name not in data]
        if unknown or missing:
            raise ValueError(
                f"{what}: the dict keys must be the model's names {names}; "
                f"missing {missing}, unexpected {unknown}"
            )
        return [as_array(data[name], f"{what}[{name!r}]", text_ok(index)) for index, name in enumerate(names)]
    if isinstance(data, (list, tuple)) and data and all(_has_shape(item) for item in data):
        arrays = [as_array(item, f"{what}[{index}]", text_ok(index)) for index, item in enumerate(data)]
    else:
        arrays = [as_array(data, what, text_ok(0))]
    if names is not None and len(arrays) != len(names):
        raise ValueError(
            f"{what}: the model has {len(names)} {'inputs' if what.endswith('x') else 'outputs'} "
            f"{names} but {len(arrays)} array(s) were given"
        )
    return arrays


def _target_dtype(dtype, role):
    """The dtype a column is cast to before training (None: keep it)."""
    floatx = np.dtype(backend.floatx())
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        return None if dtype == floatx else floatx
    if dtype.kind == "b" or (role == "x" and dtype.kind in "iu" and dtype.itemsize == 1):
        return floatx
    return None


def _cast(array, role):
    dtype = _target_dtype(array.dtype, role)
    return array if dtype is None else array.astype(dtype)


def class_weight_to_sample_weight(y, class_weight):
    """Per-row weights ``class_weight[label]`` (labels: integers, or the argmax of one-hot rows)."""
    y = backend.to_numpy(y)
    if y.ndim >= 2 and y.shape[-1] > 1:
        labels = y.argmax(axis=-1).reshape(len(y), -1)[:, 0]
    else:
        labels = np.rint(y.reshape(len(y), -1)[:, 0]).astype(np.int64)
    table = {int(k): float(v) for k, v in class_weight.items()}
    if labels.size and labels.min() < 0:
        raise ValueError(f"class_weight: labels must be non-negative, got {labels.min()}")
    lookup = np.ones(max(int(labels.max(initial=0)), max(table, default=0)) + 1)
    for label, weight in table.items():
        if label >= 0:
            lookup[label] = weight
    return lookup[labels]


def _device(array):
    if _is_device_array(array) or (isinstance(array, np.ndarray) and array.dtype.kind == "O"):
        return array  # already there, or text, which stays on the host
    return backend.to_device(array)


class ArrayData:
    """In-memory columns (inputs, targets, sample weights) of the same number of rows."""

    shard = None  # minidl.distributed: this rank's part of every batch (see the module docstring)
    on_dict_keys = None  # called with the keys of a dict x when the model has no input names

    def __init__(self, xs, ys=None, sample_weight=None, batch_size=32, what="fit"):
        self.xs = [_cast(a, "x") for a in xs]
        self.ys = None if ys is None else [_cast(a, "y") for a in ys]
        self.sample_weight = None if sample_weight is None else _cast(
            sample_weight_array(sample_weight, f"{what}: sample_weight"), "w"
        )
        if self.sample_weight is not None and self.sample_weight.ndim == 2 and self.sample_weight.shape[1] == 1:
            self.sample_weight = self.sample_weight.reshape(-1)  # a column (n, 1), as Keras accepts it
        if batch_size is None:
            batch_size = 32
        if int(batch_size) <= 0:
            raise ValueError(f"{what}: batch_size must be a positive integer, got {batch_size}")
        self.batch_size = int(batch_size)
        self.num_samples = self._check_lengths(what)

    def _check_lengths(self, what):
        columns = [(f"x[{i}]" if len(self.xs) > 1 else "x", a) for i, a in enumerate(self.xs)]
        if self.ys is not None:
            columns += [(f"y[{i}]" if len(self.ys) > 1 else "y", a) for i, a in enumerate(self.ys)]
        if self.sample_weight is not None:
            columns.append(("sample_weight", self.sample_weight))
        lengths = {name: len(array) for name, array in columns}
        if len(set(lengths.values())) > 1:
            described = ", ".join(f"{name} has {length}" for name, length in lengths.items())
            raise ValueError(f"{what}: all arrays must have the same number of samples, but {described}")
        if self.sample_weight is not None and self.sample_weight.ndim == 0:
            raise ValueError(
                f"{what}: sample_weight must hold one weight per sample (or, for a sequence output, one per "
                f"step: shape (samples, steps)), got a single number"
            )
        return next(iter(lengths.values()))

    @property
    def steps(self):
        return math.ceil(self.num_samples / self.batch_size)

    def _columns(self):
        columns = list(self.xs)
        if self.ys is not None:
            columns += self.ys
        if self.sample_weight is not None:
            columns.append(self.sample_weight)
        return columns

    def _rebuild(self, columns, batch_size):
        data = ArrayData.__new__(ArrayData)
        count = len(self.xs)
        data.xs = columns[:count]
        data.ys = None if self.ys is None else columns[count:count + len(self.ys)]
        data.sample_weight = columns[-1] if self.sample_weight is not None else None
        data.batch_size = batch_size
        data.num_samples = len(columns[0])
        return data

    def split(self, validation_split):
        """(training, validation): the validation set is the LAST fraction of the rows."""
        if not 0 < validation_split < 1:
            raise ValueError(f"fit: validation_split must be in (0, 1), got {validation_split}")
        split_at = int(math.floor(self.num_samples * (1.0 - validation_split)))
        if split_at == 0 or split_at == self.num_samples:
            raise ValueError(
                f"fit: validation_split={validation_split} of {self.num_samples} samples leaves "
                f"{split_at} for training and {self.num_samples - split_at} for validation; both need at least one"
            )
        columns = self._columns()
        train = self._rebuild([a[:split_at] for a in columns], self.batch_size)
        validation = self._rebuild([a[split_at:] for a in columns], self.batch_size)
        return train, validation

    def with_batch_size(self, batch_size):
        return self._rebuild(self._columns(), int(batch_size))

    def batches(self, shuffle=False):
        """Yield ``(xs, ys, sample_weight)`` device batches, one epoch's worth."""
        columns = self._columns()
        if shuffle:
            if shuffle == "batch":  # Keras: shuffle whole batches, keep rows inside a batch in order
                permutation = _batch_shuffle(self.num_samples, self.batch_size)
            else:
                permutation = np.random.permutation(self.num_samples)
            on_device = None  # the permutation copied to the device once, for every device column
            if any(_is_device_array(a) for a in columns):
                on_device = backend.to_device(permutation)
            columns = [a[on_device] if _is_device_array(a) else np.take(a, permutation, axis=0) for a in columns]
        count_x = len(self.xs)
        count_y = 0 if self.ys is None else len(self.ys)
        has_weight = self.sample_weight is not None
        for start in range(0, self.num_samples, self.batch_size):
            stop = min(start + self.batch_size, self.num_samples)
            first, last = (start, stop) if self.shard is None else self.shard.local_rows(start, stop)
            batch = [_device(a[first:last]) for a in columns]
            xs = batch[:count_x]
            ys = batch[count_x:count_x + count_y] if count_y else None
            yield xs, ys, (batch[-1] if has_weight else None)

    def first_rows(self, count=1):
        return [_device(a[:count]) for a in self.xs]


def _batch_shuffle(num_samples, batch_size):
    batch_count = math.ceil(num_samples / batch_size)
    order = np.random.permutation(batch_count)
    return np.concatenate([np.arange(b * batch_size, min((b + 1) * batch_size, num_samples)) for b in order])


class _BatchSource:
    """Common parsing of the batches a generator or Sequence produces."""

    shard = None  # minidl.distributed: this rank's part of every batch (see the module docstring)
    on_dict_keys = None  # called with the keys of a dict x when the model has no input names

    def __init__(self, input_names, output_names, what, conform_x=None, accepts_text=None):
        self.input_names = input_names
        self.output_names = output_names
        self.what = what
        self.batch_size = None
        self.conform_x = conform_x
        self.accepts_text = accepts_text

    def parse(self, item):
        if isinstance(item, tuple) and len(item) in (1, 2, 3):
            x = item[0]
            y = item[1] if len(item) > 1 else None
            weight = item[2] if len(item) > 2 else None
        else:
            x, y, weight = item, None, None
        if isinstance(x, dict) and self.input_names is None and self.on_dict_keys is not None:
            self.on_dict_keys(tuple(x))
        xs = flatten(x, self.input_names, f"{self.what}: x", self.accepts_text)
        if self.conform_x is not None:
            xs = self.conform_x(xs, f"{self.what}: x")
        xs = [_device(_cast(a, "x")) for a in xs]
        ys = None if y is None else [
            _device(_cast(a, "y")) for a in flatten(y, self.output_names, f"{self.what}: y")
        ]
        if weight is not None:
            weight = _device(sample_weight_array(weight, f"{self.what}: sample_weight"))
        lengths = {len(a) for a in xs + (ys or [])}
        if len(lengths) > 1:
            raise ValueError(
                f"{self.what}: a batch from the generator has inputs/targets with different numbers of rows "
                f"({[len(a) for a in xs]} inputs, {[len(a) for a in ys or []]} targets)"
            )
        if self.shard is not None:
            first, last = self.shard.local_rows(0, len(xs[0]))
            xs = [a[first:last] for a in xs]
            ys = None if ys is None else [a[first:last] for a in ys]
            weight = None if weight is None else weight[first:last]
        return xs, ys, weight


class GeneratorData(_BatchSource):
    """Batches pulled from an iterator; an epoch is ``steps`` batches (or until it is exhausted)."""

    def __init__(self, iterator, steps, input_names, output_names, what="fit", conform_x=None, accepts_text=None):
        super().__init__(input_names, output_names, what, conform_x, accepts_text)
        self.iterator = iter(iterator)
        self.steps = None if steps is None else int(steps)
        self.exhausted = False

    def batches(self, shuffle=False):
        produced = 0
        while self.steps is None or produced < self.steps:
            try:
                item = next(self.iterator)
            except StopIteration:
                self.exhausted = True
                if self.steps is None:
                    self.steps = produced
                return
            produced += 1
            yield self.parse(item)


class IterableData(GeneratorData):
    """Batches from a re-iterable object (a dataset with ``__iter__``, such as ``tf.data``'s):
    every epoch iterates it afresh, as Keras does."""

    def __init__(self, iterable, steps, input_names, output_names, what="fit", conform_x=None, accepts_text=None):
        super().__init__(iter(()), steps, input_names, output_names, what, conform_x, accepts_text)
        self.iterable = iterable

    def batches(self, shuffle=False):
        self.iterator = iter(self.iterable)
        yield from super().batches(shuffle)


class SequenceData(_BatchSource):
    """Batches from a ``Sequence`` (``__len__`` + ``__getitem__``), reordered per epoch if shuffled."""

    def __init__(self, sequence, steps, input_names, output_names, what="fit", conform_x=None, accepts_text=None):
        super().__init__(input_names, output_names, what, conform_x, accepts_text)
        self.sequence = sequence
        length = len(sequence)
        self.steps = length if steps is None else min(int(steps), length)

    def batches(self, shuffle=False):
        order = np.random.permutation(len(self.sequence)) if shuffle else np.arange(len(self.sequence))
        for index in order[:self.steps]:
            yield self.parse(self.sequence[int(index)])

    def end_epoch(self):
        on_epoch_end = getattr(self.sequence, "on_epoch_end", None)
        if callable(on_epoch_end):
            on_epoch_end()


def unpack_x_y_sample_weight(data):
    """Keras's ``unpack_x_y_sample_weight``: ``(x, y, sample_weight)`` from a batch given as
    ``x``, ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)`` (a list counts as a tuple)."""
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if len(data) in (1, 2, 3):
        return tuple(data) + (None,) * (3 - len(data))
    raise ValueError(
        f"data must be x, (x,), (x, y) or (x, y, sample_weight), got a tuple of {len(data)} items"
    )


def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    """Keras's ``pack_x_y_sample_weight``: the batch as a custom ``train_step`` receives it."""
    if y is None:
        return (x,) if isinstance(x, (list, tuple)) else x
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def is_batch_source(x):
    """True for generators/iterators and Sequence-like objects (data that arrives in batches)."""
    if x is None or isinstance(x, (np.ndarray, Tensor, list, tuple, dict, str)) or _has_shape(x):
        return False
    return hasattr(x, "__next__") or hasattr(x, "__iter__") or (hasattr(x, "__len__") and hasattr(x, "__getitem__"))


def make_data(x, y, sample_weight, batch_size, steps, input_names, output_names, what, conform_x=None,
              accepts_text=None):
    """The right adapter for ``x``/``y``: arrays, a generator, or a Sequence.

    ``conform_x(arrays, what)``, when given, checks and converts the input arrays before
    anything else sees them (the model's input contract): once for arrays, per batch for
    generators and Sequences. ``accepts_text[i]`` says whether input ``i`` may be text.
    """
    if is_batch_source(x):
        if y is not None:
            raise ValueError(
                f"{what}: y must not be given when x is a generator or Sequence (it yields (x, y) batches)"
            )
        if sample_weight is not None:
            raise ValueError(f"{what}: sample_weight must come from the generator/Sequence itself, not as an argument")
        if hasattr(x, "__getitem__") and hasattr(x, "__len__"):
            return SequenceData(x, steps, input_names, output_names, what, conform_x, accepts_text)
        if hasattr(x, "__next__"):
            return GeneratorData(x, steps, input_names, output_names, what, conform_x, accepts_text)
        return IterableData(x, steps, input_names, output_names, what, conform_x, accepts_text)
    if x is None:
        raise ValueError(f"{what}: x is required")
    xs = flatten(x, input_names, f"{what}: x", accepts_text)
    ys = flatten(y, output_names, f"{what}: y")
    if conform_x is not None:
        xs = conform_x(xs, f"{what}: x")
    return ArrayData(xs, ys, sample_weight, batch_size, what)
