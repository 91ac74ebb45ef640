"""``tf.data.Dataset``: the input pipelines of TensorFlow tutorials --
``from_tensor_slices((x, y)).shuffle(1000).batch(32)`` -- over NumPy arrays.

A dataset is a recipe for one pass over its elements; every ``for`` loop over it (every epoch)
runs the recipe again, so a shuffled dataset is reshuffled each pass, as in TensorFlow.
Elements are nested structures (tuples, dicts) of arrays, kept on the host; iterating yields
tensors (``EagerTensor``), and ``map`` functions receive tensors too.

``model.fit(dataset)`` works through minidl's Sequence path: a finite dataset has ``len()``
(its number of elements, i.e. batches once batched) and ``dataset[i]``, the i-th element of the
current pass; ``on_epoch_end`` starts a new pass. ``dataset.repeat()`` without a count is
endless: it is then an iterator, which ``fit`` reads ``steps_per_epoch`` batches at a time.

``window`` makes elements that are themselves datasets (one per window, or a tuple or dict of
them), which ``flat_map`` turns back into tensors; its windows and ``padded_batch``'s padding
follow TensorFlow's rules (``minidl.tf.data_grouping``). A TensorFlow Dataset method minidl lacks
raises ``UnsupportedError`` with what to use instead (``MISSING_METHODS``).

``shuffle(buffer_size)`` is TensorFlow's streaming shuffle (a buffer of ``buffer_size``
elements, each output drawn at random from it), from minidl's generator: the order is random
like TensorFlow's but not TensorFlow's order.
"""

import numpy as np

from minidl.autograd.tensor import Tensor
from minidl.errors import UnsupportedError
from minidl.tf import data_grouping
from minidl.tf.data_files import CsvDataset, TextLineDataset, list_files, make_csv_dataset  # noqa: F401
from minidl.tf.tensor import constant

AUTOTUNE = -1
INFINITE_CARDINALITY = -1
UNKNOWN_CARDINALITY = -2


def _to_host(value):
    if isinstance(value, Dataset):  # a window of elements (Dataset.window) stays a dataset
        return value
    if isinstance(value, Tensor):
        return value.numpy()
    if isinstance(value, dict):
        return {key: _to_host(item) for key, item in value.items()}
    if isinstance(value, tuple):
        return tuple(_to_host(item) for item in value)
    if isinstance(value, list):
        return np.asarray([_to_host(item) for item in value])
    if hasattr(value, "to_numpy"):  # pandas
        return value.to_numpy()
    return np.asarray(value)


def _to_tensors(element):
    if isinstance(element, Dataset):  # the windows of Dataset.window are datasets
        return element
    if isinstance(element, dict):
        return {key: _to_tensors(item) for key, item in element.items()}
    if isinstance(element, tuple):
        return tuple(_to_tensors(item) for item in element)
    return constant(element)


def _map_structure(function, *elements):
    first = elements[0]
    if isinstance(first, dict):
        return {key: _map_structure(function, *(e[key] for e in elements)) for key in first}
    if isinstance(first, tuple):
        return tuple(_map_structure(function, *parts) for parts in zip(*elements))
    return function(*elements)


def _rows(structure):
    """The number of rows of the first array of a structure."""
    if isinstance(structure, dict):
        return _rows(next(iter(structure.values())))
    if isinstance(structure, tuple):
        return _rows(structure[0])
    return len(structure)


# TensorFlow's Dataset methods minidl does not provide, each with what to use instead.
MISSING_METHODS = {
    "bucket_by_sequence_length": "padded_batch() (pads each batch to its longest element); sort the data by "
                                 "length first for tighter batches",
    "group_by_window": "filter() for each key, then batch() or padded_batch()",
    "scan": "reduce() for the final state, or compute the running values in NumPy and use from_tensor_slices()",
    "take_while": "filter() (keeps every element that passes) or take(n)",
    "unique": "np.unique() on the data, then Dataset.from_tensor_slices()",
    "get_single_element": "next(iter(dataset))",
    "counter": "Dataset.range(start, stop) or dataset.enumerate()",
    "random": "Dataset.from_tensor_slices() of numbers drawn with np.random.default_rng(seed)",
    "rejection_resample": "Dataset.sample_from_datasets() with weights (one dataset per class)",
    "ragged_batch": "padded_batch() (minidl has no ragged tensors)",
    "sparse_batch": "padded_batch() (minidl has no sparse tensors)",
    "rebatch": "unbatch().batch(new_batch_size)",
    "ignore_errors": "clean the data before building the dataset, or drop bad elements with filter()",
    "save": "cache() keeps the elements in memory; to keep them on disk, np.save the arrays",
    "load": "np.load saved arrays and Dataset.from_tensor_slices() them",
    "fingerprint": "hash the NumPy arrays (hashlib) on the host",
    "options": "minidl's datasets have no options (with_options() accepts and ignores them)",
}


def _missing_method(owner, name):
    """The error for ``Dataset.name`` that minidl lacks: UnsupportedError (an AttributeError) with
    advice for a TensorFlow method, a plain AttributeError for any other name."""
    advice = MISSING_METHODS.get(name)
    if advice is None:
        return AttributeError(f"{owner!r} object has no attribute {name!r}")
    return UnsupportedError(f"tf.data.Dataset.{name} is not supported by minidl; instead: {advice} "
                            "(see docs/keras_coverage.md)")


class _DatasetType(type):
    """Dataset's metaclass: ``tf.data.Dataset.counter()`` (a static method minidl lacks) gets the
    same advice as a missing method of a dataset."""

    def __getattr__(cls, name):
        raise _missing_method(cls.__name__, name)


class Dataset(metaclass=_DatasetType):
    """A re-iterable pipeline of elements (see the module docstring)."""

    def __init__(self, make_iterator, cardinality):
        self._make_iterator = make_iterator
        self._cardinality = cardinality
        self._pass = None  # the elements of the current pass, for dataset[i]

    def __getattr__(self, name):
        """Called only for a name the dataset lacks: say so, with advice for TensorFlow's methods."""
        raise _missing_method(type(self).__name__, name)

    # -- sources ------------------------------------------------------------------------------
    @staticmethod
    def from_tensor_slices(tensors, name=None):
        """One element per row of ``tensors`` (an array, or a tuple/dict of arrays of equal length)."""
        data = _to_host(tensors)
        lengths = set()
        _map_structure(lambda array: lengths.add(len(array)), data)
        if len(lengths) != 1:
            raise ValueError(f"Dataset.from_tensor_slices: all arrays need the same number of rows, got {sorted(lengths)}")
        count = lengths.pop()

        def iterate():
            for index in range(count):
                yield _map_structure(lambda array, i=index: array[i], data)

        return _dataset(iterate, count)

    @staticmethod
    def from_tensors(tensors, name=None):
        """A dataset of one element: ``tensors`` itself."""
        data = _to_host(tensors)
        return _dataset(lambda: iter([data]), 1)

    @staticmethod
    def range(*args, **kwargs):
        values = np.arange(*args, dtype=kwargs.get("dtype", np.int64))
        return _dataset(lambda: iter(list(values)), len(values))

    @staticmethod
    def zip(*datasets, name=None):
        """Elements of several datasets side by side: ``zip((a, b))`` or ``zip(a, b)`` gives tuples,
        ``zip({"x": a, "y": b})`` dicts; it ends with the shortest dataset."""
        if len(datasets) == 1 and isinstance(datasets[0], (tuple, dict)):
            datasets = datasets[0]
        keys = list(datasets) if isinstance(datasets, dict) else None
        datasets = [datasets[key] for key in keys] if keys is not None else list(datasets)
        cardinalities = [d._cardinality for d in datasets]
        finite = [c for c in cardinalities if c >= 0]
        count = min(finite) if finite else INFINITE_CARDINALITY

        def iterate():
            for parts in zip(*(d._host_iterator() for d in datasets)):
                yield parts if keys is None else dict(zip(keys, parts))

        return _dataset(iterate, count)

    @staticmethod
    def from_generator(generator, output_types=None, output_shapes=None, args=None, output_signature=None, name=None):
        def iterate():
            for element in generator(*(args or ())):
                yield _to_host(element)

        return _dataset(iterate, UNKNOWN_CARDINALITY)

    list_files = staticmethod(list_files)

    @staticmethod
    def sample_from_datasets(datasets, weights=None, seed=None, stop_on_empty_dataset=False,
                             rerandomize_each_iteration=None):
        """Each element drawn from one of ``datasets``, picked at random with probabilities
        ``weights`` (equal by default) -- the imbalanced-data tutorial's oversampling. An
        exhausted dataset ends the pass with ``stop_on_empty_dataset``, else drops out."""
        datasets = list(datasets)
        probabilities = _sampling_weights(datasets, weights)
        passes = []

        def iterate():
            rng = _shuffle_generator(seed, len(passes) if rerandomize_each_iteration is not False else 0)
            passes.append(None)
            iterators = [d._host_iterator() for d in datasets]
            live = probabilities.copy()
            while live.sum() > 0:
                index = int(rng.choice(len(iterators), p=live / live.sum()))
                try:
                    yield next(iterators[index])
                except StopIteration:
                    if stop_on_empty_dataset:
                        return
                    live[index] = 0.0

        endless = all(d._cardinality == INFINITE_CARDINALITY for d in datasets)
        return _dataset(iterate, INFINITE_CARDINALITY if endless else UNKNOWN_CARDINALITY)

    @staticmethod
    def choose_from_datasets(datasets, choice_dataset, stop_on_empty_dataset=True):
        """The next element of ``datasets[i]`` for each index ``i`` that ``choice_dataset`` yields."""
        datasets = list(datasets)

        def iterate():
            iterators = [d._host_iterator() for d in datasets]
            for choice in choice_dataset._host_iterator():
                index = int(np.asarray(choice))
                if not 0 <= index < len(iterators):
                    raise ValueError(f"Dataset.choose_from_datasets: choice {index} is out of range for "
                                     f"{len(iterators)} datasets")
                try:
                    yield next(iterators[index])
                except StopIteration:
                    if stop_on_empty_dataset:
                        return

        return _dataset(iterate, UNKNOWN_CARDINALITY)

    # -- transformations --------------------------------------------------------------------------
    def batch(self, batch_size, drop_remainder=False, num_parallel_calls=None, deterministic=None, name=None):
        """Consecutive elements stacked into batches of ``batch_size`` (the last one may be smaller)."""
        batch_size = int(batch_size)
        if batch_size < 1:
            raise ValueError(f"Dataset.batch: batch_size must be >= 1, got {batch_size}")

        def iterate():
            for rows in _runs(self._host_iterator(), batch_size, drop_remainder):
                yield _map_structure(lambda *parts: np.stack(parts), *rows)

        return _dataset(iterate, _batch_count(self._cardinality, batch_size, drop_remainder))

    def padded_batch(self, batch_size, padded_shapes=None, padding_values=None, drop_remainder=False, name=None):
        """Batches of elements whose components differ in length, each padded to ``padded_shapes``
        (by default to the longest in its batch) with ``padding_values`` (0, or ``b''`` for
        strings): the text pipelines' ``padded_batch(32, padded_shapes=([None], []))``."""
        what = "Dataset.padded_batch"
        batch_size = _count_argument(batch_size, "batch_size", what, minimum=1)

        def iterate():
            specs = None
            for rows in _runs(self._host_iterator(), batch_size, drop_remainder):
                if specs is None:  # the structure is known once the first element is
                    specs = data_grouping.padding_specs(rows[0], padded_shapes, padding_values, what)
                yield _map_structure(lambda spec, *arrays: data_grouping.pad_and_stack(spec, *arrays, what=what),
                                     specs, *rows)

        return _dataset(iterate, _batch_count(self._cardinality, batch_size, drop_remainder))

    def unbatch(self, name=None):
        def iterate():
            for element in self._host_iterator():
                for index in range(_rows(element)):
                    yield _map_structure(lambda array, i=index: array[i], element)

        return _dataset(iterate, UNKNOWN_CARDINALITY)

    def window(self, size, shift=None, stride=1, drop_remainder=False, name=None):
        """A dataset of windows, each itself a dataset of up to ``size`` consecutive elements
        (``stride`` apart), one starting every ``shift`` elements (``size`` by default). For tuple
        or dict elements a window is a tuple or dict of datasets, one per component, as in
        TensorFlow; ``flat_map(lambda w: w.batch(size))`` turns the windows into tensors."""
        what = "Dataset.window"
        size = _count_argument(size, "size", what, minimum=1)
        shift = size if shift is None else _count_argument(shift, "shift", what, minimum=1)
        stride = _count_argument(stride, "stride", what, minimum=1)

        def iterate():
            for run in data_grouping.window_runs(self._host_iterator(), size, shift, stride, drop_remainder):
                yield _map_structure(lambda *parts: _elements(list(parts)), *run)

        return _dataset(iterate, data_grouping.window_count(self._cardinality, size, shift, stride, drop_remainder))

    def shuffle(self, buffer_size, seed=None, reshuffle_each_iteration=None, name=None):
        """Each output element is drawn at random from a buffer of the next ``buffer_size`` elements."""
        buffer_size = int(buffer_size)
        if buffer_size < 1:
            raise ValueError(f"Dataset.shuffle: buffer_size must be >= 1, got {buffer_size}")
        passes = []

        def iterate():
            rng = _shuffle_generator(seed, len(passes) if reshuffle_each_iteration is not False else 0)
            passes.append(None)
            buffer = []
            for element in self._host_iterator():
                buffer.append(element)
                if len(buffer) == buffer_size:
                    yield buffer.pop(int(rng.integers(len(buffer))))
            while buffer:
                yield buffer.pop(int(rng.integers(len(buffer))))

        return _dataset(iterate, self._cardinality)

    def map(self, map_func, num_parallel_calls=None, deterministic=None, name=None):
        """``map_func`` applied to every element (a tuple element is passed as separate arguments)."""
        def iterate():
            for element in self._host_iterator():
                tensors = _to_tensors(element)
                result = map_func(*tensors) if isinstance(tensors, tuple) else map_func(tensors)
                if isinstance(result, list):  # TensorFlow takes a returned list as a tuple of components
                    result = tuple(result)
                yield _to_host(result)

        return _dataset(iterate, self._cardinality)

    def flat_map(self, map_func, name=None):
        """The elements of the datasets ``map_func`` makes of each element, one dataset after
        another (``windows.flat_map(lambda w: w.batch(5))``)."""
        def iterate():
            for element in self._host_iterator():
                yield from _call_for_dataset(map_func, element, "Dataset.flat_map")._host_iterator()

        return _dataset(iterate, UNKNOWN_CARDINALITY)

    def interleave(self, map_func, cycle_length=None, block_length=None, num_parallel_calls=None,
                   deterministic=None, name=None):
        """TensorFlow's interleave: ``map_func`` makes a dataset of each element; ``cycle_length``
        of them are read in turn, ``block_length`` elements at a time, and one that ends is
        replaced by the next element's dataset (``files.interleave(make_csv_ds, cycle_length=3)``)."""
        cycle = 16 if cycle_length in (None, AUTOTUNE) else int(cycle_length)
        block = 1 if block_length is None else int(block_length)
        if cycle < 1 or block < 1:
            raise ValueError(f"Dataset.interleave: cycle_length and block_length must be >= 1, got {cycle_length!r} "
                             f"and {block_length!r}")

        def open_next(sources):
            for element in sources:
                return _call_for_dataset(map_func, element, "Dataset.interleave")._host_iterator()
            return None

        def iterate():
            sources = self._host_iterator()
            active = [iterator for iterator in (open_next(sources) for _ in range(cycle)) if iterator is not None]
            position = 0
            while active:
                iterator = active[position]
                for _ in range(block):
                    try:
                        yield next(iterator)
                    except StopIteration:
                        replacement = open_next(sources)
                        if replacement is None:
                            active.pop(position)
                            position -= 1
                        else:
                            active[position] = replacement
                        break
                if active:
                    position = (position + 1) % len(active)

        return _dataset(iterate, UNKNOWN_CARDINALITY)

    def filter(self, predicate, name=None):
        def iterate():
            for element in self._host_iterator():
                tensors = _to_tensors(element)
                keep = predicate(*tensors) if isinstance(tensors, tuple) else predicate(tensors)
                if bool(np.asarray(_to_host(keep))):
                    yield element

        return _dataset(iterate, UNKNOWN_CARDINALITY)

    def take(self, count, name=None):
        count = int(count)

        def iterate():
            for index, element in enumerate(self._host_iterator()):
                if index >= count >= 0:
                    return
                yield element

        known = self._cardinality
        if count < 0:
            limit = known
        elif known >= 0:
            limit = min(count, known)
        else:  # endless: exactly count; unknown: at most count, so still unknown (as TensorFlow)
            limit = count if known == INFINITE_CARDINALITY else UNKNOWN_CARDINALITY
        return _dataset(iterate, limit)

    def skip(self, count, name=None):
        count = int(count)

        def iterate():
            for index, element in enumerate(self._host_iterator()):
                if index >= count:
                    yield element

        known = self._cardinality
        return _dataset(iterate, max(known - count, 0) if known >= 0 else known)

    def shard(self, num_shards, index, name=None):
        """Every ``num_shards``-th element, starting at ``index``: one worker's share of the data."""
        what = "Dataset.shard"
        num_shards = _count_argument(num_shards, "num_shards", what, minimum=1)
        index = _count_argument(index, "index", what, minimum=0)
        if index >= num_shards:
            raise ValueError(f"{what}: index must be in [0, num_shards - 1] = [0, {num_shards - 1}], got {index}")

        def iterate():
            for position, element in enumerate(self._host_iterator()):
                if position % num_shards == index:
                    yield element

        known = self._cardinality
        share = known // num_shards + (index < known % num_shards) if known >= 0 else known
        return _dataset(iterate, share)

    def repeat(self, count=None, name=None):
        """The elements ``count`` times over (forever when ``count`` is None or -1)."""
        endless = count is None or int(count) < 0

        def iterate():
            passes = 0
            while endless or passes < int(count):
                yield from self._host_iterator()
                passes += 1

        known = self._cardinality
        if endless:
            cardinality = INFINITE_CARDINALITY
        else:
            cardinality = known * int(count) if known >= 0 else known
        return _dataset(iterate, cardinality)

    def enumerate(self, start=0, name=None):
        def iterate():
            for index, element in enumerate(self._host_iterator(), start=start):
                yield (np.int64(index), element)

        return _dataset(iterate, self._cardinality)

    def concatenate(self, dataset, name=None):
        def iterate():
            yield from self._host_iterator()
            yield from dataset._host_iterator()

        both = (self._cardinality, dataset._cardinality)
        if min(both) >= 0:
            cardinality = sum(both)
        elif INFINITE_CARDINALITY in both:
            cardinality = INFINITE_CARDINALITY
        else:
            cardinality = UNKNOWN_CARDINALITY
        return _dataset(iterate, cardinality)

    def apply(self, transformation_func):
        """``transformation_func(self)``: a reusable chain of transformations applied in place."""
        result = transformation_func(self)
        if not isinstance(result, Dataset):
            raise TypeError(f"Dataset.apply: transformation_func must return a Dataset, got {type(result).__name__}")
        return result

    def reduce(self, initial_state, reduce_func, name=None):
        """The state left after ``state = reduce_func(state, element)`` over every element, from
        ``initial_state`` (the element is one argument, a tuple for tuple elements, as in
        TensorFlow). The state keeps its structure and dtypes: Python numbers start as int32 /
        float32, so ``reduce(0, ...)`` over int64 elements needs ``np.int64(0)``, as in TensorFlow."""
        what = "Dataset.reduce"
        if self._cardinality == INFINITE_CARDINALITY:
            raise ValueError(f"{what}: the dataset is infinite (repeat() without a count), so reduce would never end; "
                             "take(n) first")
        state = _state_tensors(initial_state)
        expected = _map_structure(lambda tensor: tensor.dtype.name, state)
        for element in self._host_iterator():
            state = _state_tensors(reduce_func(state, _to_tensors(element)))
            found = _map_structure(lambda tensor: tensor.dtype.name, state)
            if found != expected:
                raise TypeError(f"{what}: reduce_func must return a state of the same structure and dtypes as "
                                f"initial_state ({expected}), got {found}")
        return state

    def snapshot(self, path, compression="AUTO", reader_func=None, shard_func=None, name=None):
        """TensorFlow's on-disk snapshot is not provided: say so, and what to use instead."""
        raise UnsupportedError(f"Dataset.snapshot({path!r}) is not supported by minidl: it keeps no on-disk "
                               "snapshots; use dataset.cache() (in memory) instead")

    def prefetch(self, buffer_size=None, name=None):
        """The same elements (minidl prepares them when asked)."""
        return self

    def cache(self, filename="", name=None):
        """The same elements, computed on the first pass and kept in memory afterwards."""
        stored = []
        source = self

        def iterate():
            if stored:
                yield from stored
                return
            fresh = []
            for element in source._host_iterator():
                fresh.append(element)
                yield element
            stored.extend(fresh)

        return _dataset(iterate, self._cardinality)

    def with_options(self, options, name=None):
        return self

    # -- reading ------------------------------------------------------------------------------------
    def _host_iterator(self):
        return iter(self._make_iterator())

    def __iter__(self):
        for element in self._host_iterator():
            yield _to_tensors(element)

    def as_numpy_iterator(self):
        return iter(self._make_iterator())

    def cardinality(self):
        return constant(np.int64(self._cardinality))

    @property
    def element_spec(self):
        first = next(self._host_iterator())
        return _map_structure(lambda array: (tuple(np.shape(array)), np.asarray(array).dtype), first)

    def __repr__(self):
        return f"<Dataset cardinality={self._cardinality}>"


class _FiniteDataset(Dataset):
    """A dataset that ends: also a Keras ``Sequence`` of its elements (for ``model.fit``)."""

    def __len__(self):
        if self._cardinality >= 0:
            return self._cardinality
        return len(self._current_pass())

    def __getitem__(self, index):
        elements = self._current_pass()
        return _to_tensors(elements[index])

    def _current_pass(self):
        if self._pass is None:
            self._pass = list(self._host_iterator())
        return self._pass

    def on_epoch_end(self):
        self._pass = None


class _EndlessDataset(Dataset):
    """A repeated dataset: also an iterator over its elements (``fit`` needs ``steps_per_epoch``)."""

    def __len__(self):
        raise TypeError("The dataset is infinite (repeat() without a count); it has no length")

    def __next__(self):
        if self._pass is None:
            self._pass = self.__iter__()
        return next(self._pass)


def _runs(elements, size, drop_remainder):
    """Lists of ``size`` consecutive elements (the last one shorter unless ``drop_remainder``)."""
    pending = []
    for element in elements:
        pending.append(element)
        if len(pending) == size:
            yield pending
            pending = []
    if pending and not drop_remainder:
        yield pending


def _batch_count(count, batch_size, drop_remainder):
    """The cardinality of a batched dataset of ``count`` elements."""
    if count < 0:
        return count
    return count // batch_size if drop_remainder else -(-count // batch_size)


def _elements(rows):
    """A finite dataset of the host values ``rows`` (one window's component)."""
    return _dataset(lambda: iter(rows), len(rows))


def _call_for_dataset(map_func, element, what):
    """``map_func`` called on an element as ``map`` calls it, checked to return a Dataset."""
    tensors = _to_tensors(element)
    dataset = map_func(*tensors) if isinstance(tensors, tuple) else map_func(tensors)
    if not isinstance(dataset, Dataset):
        raise TypeError(f"{what}: map_func must return a Dataset, got {type(dataset).__name__}")
    return dataset


def _state_tensors(state):
    """A ``reduce`` state as tensors in its structure (a returned list counts as a tuple); Python
    numbers become tensors by TensorFlow's rules (int32, float32)."""
    if isinstance(state, dict):
        return {key: _state_tensors(value) for key, value in state.items()}
    if isinstance(state, (tuple, list)):
        return tuple(_state_tensors(value) for value in state)
    return state if isinstance(state, Tensor) else constant(state)


def _count_argument(value, argument, what, minimum):
    """``value`` as an int of at least ``minimum``; a bool, a float or a smaller number is refused
    with the argument's name and the value received."""
    number = value.numpy() if isinstance(value, Tensor) else value
    if isinstance(number, np.ndarray) and number.ndim == 0:
        number = number[()]
    if isinstance(number, (bool, np.bool_)) or not isinstance(number, (int, np.integer)) or number < minimum:
        kind = {0: "a non-negative integer", 1: "a positive integer"}.get(minimum, f"an integer >= {minimum}")
        raise ValueError(f"{what}: {argument} must be {kind}, got {value!r}")
    return int(number)


def _sampling_weights(datasets, weights):
    if not datasets:
        raise ValueError("Dataset.sample_from_datasets: datasets must hold at least one dataset")
    if weights is None:
        return np.full(len(datasets), 1.0 / len(datasets))
    values = np.asarray(weights.numpy() if hasattr(weights, "numpy") else weights, dtype=np.float64).reshape(-1)
    if values.size != len(datasets) or np.any(values < 0) or not np.isfinite(values).all() or values.sum() <= 0:
        raise ValueError(f"Dataset.sample_from_datasets: weights must be {len(datasets)} non-negative numbers "
                         f"(one per dataset, not all zero), got {weights!r}")
    return values / values.sum()


def _shuffle_generator(seed, pass_number):
    """The generator of one shuffled pass: from ``seed`` and the pass number when a seed is given,
    else from NumPy's global generator (so ``np.random.seed`` makes a run repeatable)."""
    if seed is None:
        return np.random.default_rng(np.random.randint(2**31))
    return np.random.default_rng([int(seed), pass_number])


def _dataset(make_iterator, cardinality):
    cls = _EndlessDataset if cardinality == INFINITE_CARDINALITY else _FiniteDataset
    return cls(make_iterator, cardinality)


class experimental:  # noqa: N801 - TensorFlow's module name
    AUTOTUNE = AUTOTUNE
    INFINITE_CARDINALITY = INFINITE_CARDINALITY
    UNKNOWN_CARDINALITY = UNKNOWN_CARDINALITY

    @staticmethod
    def cardinality(dataset):
        return dataset.cardinality()

    CsvDataset = staticmethod(CsvDataset)
    make_csv_dataset = staticmethod(make_csv_dataset)
    sample_from_datasets = staticmethod(Dataset.sample_from_datasets)
    choose_from_datasets = staticmethod(Dataset.choose_from_datasets)


class Options:
    """``tf.data.Options``: accepted and ignored (minidl's pipelines have no tuning knobs)."""

    def __getattr__(self, name):
        return self

    def __setattr__(self, name, value):
        pass
