"""``tf.data.Dataset.window`` / ``flat_map`` (the TF time-series course's ``windowed_dataset``),
``padded_batch``, ``reduce``, ``shard``, ``apply``, and the advice given for the Dataset methods
minidl lacks.

The expected values are TensorFlow 2.21's outputs, written out so that the tests run without
TensorFlow; where TensorFlow is installed, ``test_same_as_tensorflow`` runs the same pipelines
in it and compares.
"""

import itertools

import numpy as np
import pytest

import minidl.keras as keras
import minidl.tf as tf
from minidl.errors import UnsupportedError
from minidl.tf.data import MISSING_METHODS
from tests.conftest import REPO_ROOT


def values(dataset):
    """The elements of a dataset as nested Python lists (windows: lists of their elements)."""
    return [_plain(element) for element in dataset]


def _plain(element):
    if isinstance(element, tf.data.Dataset):
        return values(element)
    if isinstance(element, dict):
        return {key: _plain(value) for key, value in element.items()}
    if isinstance(element, tuple):
        return tuple(_plain(value) for value in element)
    return np.asarray(element).tolist()


def windowed_dataset(series, window_size, batch_size, shuffle_buffer):
    """The TensorFlow time-series course's helper, unchanged."""
    ds = tf.data.Dataset.from_tensor_slices(series)
    ds = ds.window(window_size + 1, shift=1, drop_remainder=True)
    ds = ds.flat_map(lambda w: w.batch(window_size + 1))
    ds = ds.shuffle(shuffle_buffer).map(lambda w: (w[:-1], w[-1]))
    return ds.batch(batch_size).prefetch(1)


# -- window and flat_map ----------------------------------------------------------------------------

WINDOWS = [  # (size, shift, stride, drop_remainder) over range(10) -> TensorFlow's windows
    ((3, None, 1, False), [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]),
    ((3, 2, 1, False), [[0, 1, 2], [2, 3, 4], [4, 5, 6], [6, 7, 8], [8, 9]]),
    ((3, 2, 1, True), [[0, 1, 2], [2, 3, 4], [4, 5, 6], [6, 7, 8]]),
    ((3, 2, 2, False), [[0, 2, 4], [2, 4, 6], [4, 6, 8], [6, 8], [8]]),
    ((3, 2, 2, True), [[0, 2, 4], [2, 4, 6], [4, 6, 8]]),
    ((3, 1, 3, True), [[0, 3, 6], [1, 4, 7], [2, 5, 8], [3, 6, 9]]),
    ((2, 5, 3, False), [[0, 3], [5, 8]]),
    ((2, 5, 3, True), [[0, 3], [5, 8]]),
    ((4, 3, 1, False), [[0, 1, 2, 3], [3, 4, 5, 6], [6, 7, 8, 9], [9]]),
    ((20, 1, 1, True), []),
    ((11, 4, 1, False), [list(range(10)), [4, 5, 6, 7, 8, 9], [8, 9]]),
]


@pytest.mark.parametrize("arguments, expected", WINDOWS, ids=[str(a) for a, _ in WINDOWS])
def test_window_cuts_tensorflows_windows(arguments, expected):
    size, shift, stride, drop_remainder = arguments
    windows = tf.data.Dataset.range(10).window(size, shift=shift, stride=stride, drop_remainder=drop_remainder)
    assert values(windows) == expected
    assert int(windows.cardinality()) == len(expected) == len(windows)
    assert all(isinstance(window, tf.data.Dataset) for window in windows)


def test_window_of_tuples_and_dicts_is_a_tuple_or_dict_of_datasets():
    pairs = tf.data.Dataset.from_tensor_slices((np.arange(5), np.arange(5) * 10)).window(2)
    assert values(pairs) == [([0, 1], [0, 10]), ([2, 3], [20, 30]), ([4], [40])]
    first = next(iter(pairs))
    assert isinstance(first, tuple) and all(isinstance(part, tf.data.Dataset) for part in first)
    named = tf.data.Dataset.from_tensor_slices({"a": np.arange(3), "b": np.arange(3) * 10}).window(2)
    assert values(named) == [{"a": [0, 1], "b": [0, 10]}, {"a": [2], "b": [20]}]
    # TensorFlow's guide: zip the component windows back into batches of pairs
    rebuilt = pairs.flat_map(lambda x, y: tf.data.Dataset.zip((x.batch(2), y.batch(2))))
    assert values(rebuilt) == [([0, 1], [0, 10]), ([2, 3], [20, 30]), ([4], [40])]


def test_window_streams_endless_and_unknown_datasets():
    endless = tf.data.Dataset.range(3).repeat().window(4, shift=2)
    assert int(endless.cardinality()) == tf.data.INFINITE_CARDINALITY
    assert values(endless.take(3)) == [[0, 1, 2, 0], [2, 0, 1, 2], [1, 2, 0, 1]]
    unknown = tf.data.Dataset.range(6).filter(lambda v: v % 2 == 0).window(2, shift=1, drop_remainder=True)
    assert int(unknown.cardinality()) == tf.data.UNKNOWN_CARDINALITY
    assert values(unknown) == [[0, 2], [2, 4]]
    seen = []
    source = tf.data.Dataset.from_generator(lambda: (seen.append(v) or v for v in itertools.count()))
    first = next(iter(source.window(3, shift=1)))
    assert values(first) == [0, 1, 2] and len(seen) == 3  # only the first window's elements were read


@pytest.mark.parametrize("arguments, message", [
    (dict(size=0), "Dataset.window: size must be a positive integer, got 0"),
    (dict(size=-2), "Dataset.window: size must be a positive integer, got -2"),
    (dict(size=3, shift=0), "Dataset.window: shift must be a positive integer, got 0"),
    (dict(size=3, stride=0), "Dataset.window: stride must be a positive integer, got 0"),
    (dict(size=2.5), "Dataset.window: size must be a positive integer, got 2.5"),
    (dict(size=True), "Dataset.window: size must be a positive integer, got True"),
])
def test_window_names_a_bad_argument(arguments, message):
    with pytest.raises(ValueError, match=message):
        tf.data.Dataset.range(5).window(**arguments)


def test_window_takes_integer_tensors():
    windows = tf.data.Dataset.range(4).window(tf.constant(2), shift=tf.constant(1, tf.int64), drop_remainder=True)
    assert values(windows) == [[0, 1], [1, 2], [2, 3]]


def test_flat_map_chains_the_datasets_it_makes():
    flat = tf.data.Dataset.range(4).flat_map(lambda n: tf.data.Dataset.range(n))
    assert values(flat) == [0, 0, 1, 0, 1, 2]
    assert int(flat.cardinality()) == tf.data.UNKNOWN_CARDINALITY
    batched = tf.data.Dataset.range(5).window(3, shift=1, drop_remainder=True).flat_map(lambda w: w.batch(3))
    assert values(batched) == [[0, 1, 2], [1, 2, 3], [2, 3, 4]]
    with pytest.raises(TypeError, match="Dataset.flat_map: map_func must return a Dataset, got EagerTensor"):
        list(tf.data.Dataset.range(3).flat_map(lambda v: v * 2))


def test_the_time_series_course_helper_runs_unchanged_and_trains_a_model():
    series = np.arange(20, dtype="float32")
    dataset = windowed_dataset(series, window_size=4, batch_size=3, shuffle_buffer=100)
    pairs = [(tuple(x), y) for bx, by in dataset for x, y in zip(bx.numpy().tolist(), by.numpy().tolist())]
    assert sorted(pairs) == [(tuple(range(start, start + 4)), start + 4) for start in range(16)]
    shapes = [(bx.shape, by.shape) for bx, by in dataset]
    assert shapes[0] == ((3, 4), (3,)) and shapes[-1] == ((1, 4), (1,)) and len(shapes) == 6
    assert next(iter(dataset))[0].dtype == tf.float32
    model = keras.Sequential([keras.layers.Dense(8, activation="relu", input_shape=[4]), keras.layers.Dense(1)])
    model.compile(loss="mse", optimizer=keras.optimizers.SGD(learning_rate=1e-4, momentum=0.9))
    history = model.fit(windowed_dataset(series / 20, 4, 4, 100), epochs=3, verbose=0)
    assert len(history.history["loss"]) == 3 and np.isfinite(history.history["loss"]).all()


# -- padded_batch -----------------------------------------------------------------------------------

def ragged():
    """[1], [2, 2], [3, 3, 3], [4, 4, 4, 4] (int64), TensorFlow's padded_batch example."""
    return tf.data.Dataset.range(1, 5).map(lambda x: tf.fill([x], x))


def test_padded_batch_pads_to_the_longest_in_each_batch():
    assert values(ragged().padded_batch(2)) == [[[1, 0], [2, 2]], [[3, 3, 3, 0], [4, 4, 4, 4]]]
    assert values(ragged().padded_batch(3, padded_shapes=[None], drop_remainder=True)) == [
        [[1, 0, 0], [2, 2, 0], [3, 3, 3]]]
    assert values(ragged().padded_batch(3, padded_shapes=(6,), padding_values=tf.constant(-1, tf.int64))) == [
        [[1, -1, -1, -1, -1, -1], [2, 2, -1, -1, -1, -1], [3, 3, 3, -1, -1, -1]], [[4, 4, 4, 4, -1, -1]]]
    assert next(iter(ragged().padded_batch(2))).dtype == tf.int64
    assert values(tf.data.Dataset.range(3).padded_batch(2)) == [[0, 1], [2]]  # scalars just stack
    assert [int(tf.data.Dataset.range(10).padded_batch(3, drop_remainder=d).cardinality()) for d in (False, True)] == [
        4, 3]


def test_padded_batch_of_tuples_matrices_and_strings():
    pairs = tf.data.Dataset.range(1, 4).map(lambda x: (tf.fill([x], x), x * 10))
    assert values(pairs.padded_batch(2)) == [([[1, 0], [2, 2]], [10, 20]), ([[3, 3, 3]], [30])]
    assert values(pairs.padded_batch(2, padded_shapes=([4], []), padding_values=(-1, 0))) == [
        ([[1, -1, -1, -1], [2, 2, -1, -1]], [10, 20]), ([[3, 3, 3, -1]], [30])]
    assert values(pairs.padded_batch(2, padding_values=tf.constant(-1, tf.int64))) == [  # one value for all
        ([[1, -1], [2, 2]], [10, 20]), ([[3, 3, 3]], [30])]
    named = tf.data.Dataset.zip({"ids": ragged().take(2), "n": tf.data.Dataset.range(2)})
    assert values(named.padded_batch(2, padded_shapes={"ids": [3], "n": []})) == [
        {"ids": [[1, 0, 0], [2, 2, 0]], "n": [0, 1]}]
    matrices = tf.data.Dataset.range(1, 4).map(lambda x: tf.ones([x, 4 - x]) * tf.cast(x, tf.float32))
    assert values(matrices.padded_batch(2, padded_shapes=[None, 5], padding_values=0.5)) == [
        [[[1, 1, 1, .5, .5], [.5, .5, .5, .5, .5]], [[2, 2, .5, .5, .5], [2, 2, .5, .5, .5]]],
        [[[3, .5, .5, .5, .5], [3, .5, .5, .5, .5], [3, .5, .5, .5, .5]]]]
    words = tf.data.Dataset.from_generator(lambda: iter([np.array([b"a"], object), np.array([b"b", b"c"], object)]))
    assert values(words.padded_batch(2)) == [[[b"a", b""], [b"b", b"c"]]]


@pytest.mark.parametrize("arguments, error, message", [
    (dict(batch_size=0), ValueError, "batch_size must be a positive integer, got 0"),
    (dict(padded_shapes=(2,)), ValueError, r"an element's component of shape \(3,\) is larger than its padded shape \(2,\)"),
    (dict(padded_shapes=(2, 3)), ValueError, r"the padded shape \(2, 3\) is not compatible with the shape \(1,\)"),
    (dict(padded_shapes=[1.5]), ValueError, r"padded_shapes sizes must be non-negative ints, None or -1, got 1.5"),
    (dict(padded_shapes=5), ValueError, "padded_shapes must give a shape .* got 5"),
    (dict(padding_values=0.5), TypeError, "padding value 0.5 cannot be stored exactly as int64"),
    (dict(padding_values="x"), TypeError, "padding_values for the int64 component must be a number, got 'x'"),
    (dict(padding_values=[1, 2]), ValueError, r"padding_values must be scalars, got one of shape \(2,\)"),
])
def test_padded_batch_names_a_bad_argument(arguments, error, message):
    arguments = {"batch_size": 3, **arguments}
    with pytest.raises(error, match="Dataset.padded_batch: " + message):
        list(ragged().padded_batch(**arguments))


def test_padded_batch_checks_the_structure_of_its_arguments():
    pairs = tf.data.Dataset.range(1, 4).map(lambda x: (tf.fill([x], x), x))
    with pytest.raises(ValueError, match=r"padded_shapes must have one entry per component of the element \(2\), "
                                         r"got 1: \[None\]"):
        list(pairs.padded_batch(2, padded_shapes=[None]))
    with pytest.raises(ValueError, match="padding_values must have one entry per component"):
        list(pairs.padded_batch(2, padding_values=(0, 0, 0)))
    named = tf.data.Dataset.zip({"a": ragged()})
    with pytest.raises(ValueError, match=r"padded_shapes must have the element's keys \['a'\], got \['b'\]"):
        list(named.padded_batch(2, padded_shapes={"b": [None]}))


# -- reduce, shard, apply ---------------------------------------------------------------------------

def test_reduce_folds_the_elements_into_a_state():
    total = tf.data.Dataset.range(5).reduce(np.int64(0), lambda state, value: state + value)
    assert int(total) == 10 and total.dtype == tf.int64
    pairs = tf.data.Dataset.from_tensor_slices((np.int32([1, 2]), np.int32([3, 4])))
    dot = pairs.reduce(0, lambda state, element: state + element[0] * element[1])  # the element is one argument
    assert int(dot) == 11 and dot.dtype == tf.int32
    empty = tf.data.Dataset.range(0).reduce(np.int64(7), lambda state, value: state + value)
    assert int(empty) == 7
    running = tf.data.Dataset.range(4).reduce((np.int64(0), np.int64(1)), lambda s, v: (s[0] + v, s[1] * (v + 1)))
    assert [int(part) for part in running] == [6, 24]
    as_list = tf.data.Dataset.range(3).reduce([np.int64(0), np.int64(0)], lambda s, v: [s[0] + v, s[1] + 1])
    assert isinstance(as_list, tuple) and [int(part) for part in as_list] == [3, 3]
    mean = tf.data.Dataset.range(3).reduce(0.0, lambda state, value: state + tf.cast(value, tf.float32))
    assert float(mean) == 3.0 and mean.dtype == tf.float32


def test_reduce_keeps_the_states_dtypes_as_tensorflow_does():
    with pytest.raises(TypeError, match="int32 tensor with a int64 tensor"):  # 0 is int32, as in TensorFlow
        tf.data.Dataset.range(3).reduce(0, lambda state, value: state + value)
    with pytest.raises(TypeError, match=r"Dataset.reduce: reduce_func must return a state of the same structure and "
                                        r"dtypes as initial_state \(float32\), got float64"):
        tf.data.Dataset.range(3).reduce(0.0, lambda state, value: tf.cast(value, tf.float64))
    with pytest.raises(ValueError, match=r"Dataset.reduce: the dataset is infinite \(repeat\(\) without a count\)"):
        tf.data.Dataset.range(3).repeat().reduce(np.int64(0), lambda state, value: state + value)


def test_shard_takes_every_nth_element():
    dataset = tf.data.Dataset.range(10)
    assert [values(dataset.shard(3, index)) for index in range(3)] == [[0, 3, 6, 9], [1, 4, 7], [2, 5, 8]]
    assert [int(dataset.shard(3, index).cardinality()) for index in range(3)] == [4, 3, 3]
    assert int(dataset.repeat().shard(2, 0).cardinality()) == tf.data.INFINITE_CARDINALITY
    for arguments, message in [((0, 0), "num_shards must be a positive integer, got 0"),
                               ((3, 3), r"index must be in \[0, num_shards - 1\] = \[0, 2\], got 3"),
                               ((3, -1), "index must be a non-negative integer, got -1"),
                               ((2.0, 1), "num_shards must be a positive integer, got 2.0")]:
        with pytest.raises(ValueError, match="Dataset.shard: " + message):
            dataset.shard(*arguments)


def test_apply_runs_a_transformation_and_checks_it_returns_a_dataset():
    def double_and_batch(dataset):
        return dataset.map(lambda v: v * 2).batch(2)

    assert values(tf.data.Dataset.range(3).apply(double_and_batch)) == [[0, 2], [4]]
    with pytest.raises(TypeError, match="Dataset.apply: transformation_func must return a Dataset, got int"):
        tf.data.Dataset.range(3).apply(lambda dataset: 3)


# -- methods minidl lacks ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(MISSING_METHODS))
def test_a_missing_method_says_what_to_use_instead(name):
    dataset = tf.data.Dataset.range(3)
    for owner in (dataset, tf.data.Dataset):
        with pytest.raises(UnsupportedError) as caught:
            getattr(owner, name)
        assert str(caught.value) == (f"tf.data.Dataset.{name} is not supported by minidl; instead: "
                                     f"{MISSING_METHODS[name]} (see docs/keras_coverage.md)")
        assert not hasattr(owner, name)


def test_other_names_are_plain_attribute_errors():
    dataset = tf.data.Dataset.range(3)
    with pytest.raises(AttributeError) as caught:
        dataset.no_such_method  # noqa: B018
    assert not isinstance(caught.value, UnsupportedError)
    assert not hasattr(dataset, "__next__") and hasattr(dataset.repeat(), "__next__")


def test_advice_is_only_given_for_methods_minidl_really_lacks():
    present = sorted(name for name in MISSING_METHODS if any(name in vars(cls) for cls in tf.data.Dataset.__mro__))
    assert present == [], f"Dataset has {present}: drop them from MISSING_METHODS"


def test_every_tensorflow_dataset_method_is_there_or_advised():
    real = pytest.importorskip("tensorflow", reason="TensorFlow is not installed (CI does not install it)")
    names = sorted(name for name in dir(real.data.Dataset) if not name.startswith("_"))
    assert [name for name in names if not hasattr(tf.data.Dataset, name) and name not in MISSING_METHODS] == []


def test_the_coverage_page_lists_the_missing_methods():
    page = (REPO_ROOT / "docs" / "keras_coverage.md").read_text()
    row = next(line for line in page.splitlines() if line.startswith("| `tf.data` missing |"))
    assert sorted(name for name in MISSING_METHODS if f"`{name}`" in row) == sorted(MISSING_METHODS)


# -- against TensorFlow -----------------------------------------------------------------------------

def test_same_as_tensorflow():
    real = pytest.importorskip("tensorflow", reason="TensorFlow is not installed (CI does not install it)")

    def pipelines(library):
        data = library.data.Dataset
        pieces = data.range(1, 6).map(lambda x: library.fill([x], x))
        return {
            "windows": [data.range(10).window(*arguments) for arguments, _ in WINDOWS],
            "flat": data.range(7).window(3, 2, 2, True).flat_map(lambda w: w.batch(3)),
            "pairs": data.from_tensor_slices((np.arange(5), np.arange(5.0))).window(2, 1),
            "padded": pieces.padded_batch(2),
            "padded_fixed": pieces.padded_batch(3, padded_shapes=[7], padding_values=np.int64(-3)),
            "shards": [data.range(11).shard(4, index) for index in range(4)],
            "reduce": data.range(6).reduce(np.int64(1), lambda state, value: state * (value + 1)),
        }

    ours, theirs = pipelines(tf), pipelines(real)
    for key in ours:
        if key == "reduce":
            assert int(ours[key]) == int(theirs[key])
        elif isinstance(ours[key], list):
            assert [values(d) for d in ours[key]] == [_tensorflow_values(d) for d in theirs[key]], key
            assert [int(d.cardinality()) for d in ours[key]] == [int(d.cardinality()) for d in theirs[key]], key
        else:
            assert values(ours[key]) == _tensorflow_values(theirs[key]), key


def _tensorflow_values(dataset):
    import tensorflow

    def plain(element):
        if isinstance(element, tensorflow.data.Dataset):
            return _tensorflow_values(element)
        if isinstance(element, tuple):
            return tuple(plain(part) for part in element)
        return element.numpy().tolist()

    return [plain(element) for element in dataset]
