"""``tf.data.Dataset``: the transformations tutorials chain, re-iteration per epoch, and
``model.fit`` on finite and repeated datasets."""

import numpy as np
import pytest

import minidl.keras as keras
import minidl.tf as tf


def test_slices_batches_and_structures():
    x = np.arange(10).reshape(5, 2)
    y = np.arange(5)
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(2)
    batches = [(bx.numpy(), by.numpy()) for bx, by in dataset]
    assert [b[0].shape for b in batches] == [(2, 2), (2, 2), (1, 2)] and len(dataset) == 3
    np.testing.assert_array_equal(np.concatenate([b[1] for b in batches]), y)
    assert len(tf.data.Dataset.from_tensor_slices(x).batch(2, drop_remainder=True)) == 2
    dicts = list(tf.data.Dataset.from_tensor_slices({"a": x, "b": y}).take(2))
    assert dicts[1]["b"].numpy() == 1 and dicts[1]["a"].shape == (2,)
    with pytest.raises(ValueError, match="same number of rows"):
        tf.data.Dataset.from_tensor_slices((x, np.arange(4)))


def test_map_filter_shuffle_repeat_take_skip_cache():
    dataset = tf.data.Dataset.range(10).map(lambda v: v * 2).filter(lambda v: v % 4 == 0)
    assert [int(v) for v in dataset] == [0, 4, 8, 12, 16]
    shuffled = tf.data.Dataset.range(20).shuffle(20)
    first, second = [int(v) for v in shuffled], [int(v) for v in shuffled]
    assert sorted(first) == list(range(20)) and first != second  # reshuffled each pass
    fixed = tf.data.Dataset.range(20).shuffle(5, seed=1, reshuffle_each_iteration=False)
    assert [int(v) for v in fixed] == [int(v) for v in fixed]
    assert [int(v) for v in tf.data.Dataset.range(3).repeat(2)] == [0, 1, 2, 0, 1, 2]
    assert [int(v) for v in tf.data.Dataset.range(6).skip(2).take(3)] == [2, 3, 4]
    calls = []
    cached = tf.data.Dataset.range(3).map(lambda v: calls.append(1) or v).cache()
    list(cached), list(cached)
    assert len(calls) == 3
    endless = tf.data.Dataset.range(2).repeat()
    with pytest.raises(TypeError, match="infinite"):
        len(endless)
    assert [int(next(endless)) for _ in range(5)] == [0, 1, 0, 1, 0]


def test_fit_and_evaluate_on_datasets():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(96, 4)).astype("float32")
    y = (x[:, 0] > 0).astype("int64")
    train = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(96).batch(16).prefetch(tf.data.AUTOTUNE)
    model = keras.Sequential([keras.layers.Dense(8, activation="relu", input_shape=(4,)),
                              keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(train, epochs=4, verbose=0, validation_data=train)
    assert len(history.history["val_loss"]) == 4
    model.fit(train.repeat(), steps_per_epoch=3, epochs=2, verbose=0)
    loss, accuracy = model.evaluate(train, verbose=0)
    assert accuracy > 0.8


def test_csv_dataset_reads_typed_columns_from_plain_and_gzip_files(tmp_path):
    """``tf.data.experimental.CsvDataset`` as the overfit-and-underfit tutorial reads HIGGS.csv.gz:
    one tuple of scalars per record, batched then packed with ``tf.stack``."""
    import gzip

    text = "label,a,b,name\n1,0.5,2,x\n0,,3,y\n1,1.5,4,\"z,w\"\n"
    (tmp_path / "plain.csv").write_text(text)
    with gzip.open(tmp_path / "packed.csv.gz", "wt") as file:
        file.write(text)
    defaults = [float(), [-1.0], tf.int64, ""]
    for name, compression in (("plain.csv", None), ("packed.csv.gz", "GZIP")):
        dataset = tf.data.experimental.CsvDataset(str(tmp_path / name), defaults, compression_type=compression,
                                                  header=True)
        rows = [tuple(value.numpy() for value in row) for row in dataset]
        assert rows == [(1.0, 0.5, 2, b"x"), (0.0, -1.0, 3, b"y"), (1.0, 1.5, 4, b"z,w")]
        assert [value.dtype for value in next(iter(dataset))] == [tf.float32, tf.float32, tf.int64, tf.string]
    packed = tf.data.experimental.CsvDataset(str(tmp_path / "plain.csv"), [0.0] * 3, header=True,
                                             select_cols=[0, 1, 2], na_value="").batch(2).map(
        lambda *row: (tf.stack(row[1:], 1), row[0])).unbatch()
    features, labels = zip(*[(x.numpy(), y.numpy()) for x, y in packed])
    np.testing.assert_allclose(features, [[0.5, 2], [0.0, 3], [1.5, 4]])
    assert list(tf.data.TextLineDataset(str(tmp_path / "plain.csv")).skip(1).take(1).as_numpy_iterator()) == [
        b"1,0.5,2,x"]
    with pytest.raises(ValueError, match="required field"):
        list(tf.data.experimental.CsvDataset(str(tmp_path / "plain.csv"), [0.0, tf.float32, 0, ""], header=True))
    with pytest.raises(ValueError, match="has 4 fields, but record_defaults describes 2 columns"):
        list(tf.data.experimental.CsvDataset(str(tmp_path / "plain.csv"), [0.0, 0.0], header=True))
    with pytest.raises(ValueError, match="compression_type must be"):
        tf.data.experimental.CsvDataset(str(tmp_path / "plain.csv"), [0.0], compression_type="BZ2")
    with pytest.raises(FileNotFoundError, match="no such file"):
        tf.data.TextLineDataset(str(tmp_path / "missing.txt"))


def test_sample_and_choose_from_datasets():
    """The imbalanced-data tutorial's ``tf.data.Dataset.sample_from_datasets([pos_ds, neg_ds],
    weights=[0.5, 0.5])`` over two repeated datasets, then batched."""
    positives = tf.data.Dataset.from_tensor_slices((np.ones((3, 2)), np.ones(3))).shuffle(3).repeat()
    negatives = tf.data.Dataset.from_tensor_slices((np.zeros((50, 2)), np.zeros(50))).shuffle(50).repeat()
    mixed = tf.data.Dataset.sample_from_datasets([positives, negatives], weights=[0.5, 0.5], seed=1).batch(400)
    _, labels = next(iter(mixed))
    assert labels.shape == (400,) and 0.4 < float(labels.numpy().mean()) < 0.6
    finite = tf.data.Dataset.sample_from_datasets([tf.data.Dataset.range(3), tf.data.Dataset.range(10, 12)])
    assert sorted(int(v) for v in finite) == [0, 1, 2, 10, 11]  # an emptied dataset drops out
    chosen = tf.data.Dataset.choose_from_datasets([tf.data.Dataset.range(3), tf.data.Dataset.range(10, 13)],
                                                  tf.data.Dataset.from_tensor_slices(np.array([1, 0, 1, 1])))
    assert [int(v) for v in chosen] == [10, 0, 11, 12]
    with pytest.raises(ValueError, match="weights must be 2 non-negative numbers"):
        tf.data.Dataset.sample_from_datasets([positives, negatives], weights=[1.0])
    assert int(tf.data.Dataset.range(5).filter(lambda v: v > 1).take(10).cardinality()) == -2  # unknown, not 10


def test_make_csv_dataset_decode_csv_list_files_and_interleave(tmp_path):
    """The "Load CSV data" tutorial's readers: ``make_csv_dataset`` (column types inferred,
    ``label_name`` apart, gzip, a glob of files), ``tf.io.decode_csv`` of lines,
    ``Dataset.list_files`` + ``interleave``, and a ``map`` returning a list (a tuple of columns)."""
    import gzip

    text = "survived,sex,age,fare\n1,female,38.0,71.28\n0,male,,8.05\n1,male,4.0,16.7\n"
    (tmp_path / "a.csv").write_text(text)
    with gzip.open(tmp_path / "b.csv.gz", "wt") as file:
        file.write(text)
    dataset = tf.data.experimental.make_csv_dataset(str(tmp_path / "a.csv"), batch_size=2, label_name="survived",
                                                    num_epochs=1, shuffle=False)
    batches = list(dataset)
    features, label = batches[0]
    assert len(batches) == 2 and list(features) == ["sex", "age", "fare"]
    assert features["sex"].dtype == tf.string and features["age"].dtype == tf.float32 and label.dtype == tf.int32
    np.testing.assert_allclose(features["age"].numpy(), [38.0, 0.0])  # an empty field: the type's zero
    gz = tf.data.experimental.make_csv_dataset(str(tmp_path / "b.csv.gz"), batch_size=3, num_epochs=2,
                                               compression_type="GZIP")
    assert [sorted(batch) for batch in gz] == [["age", "fare", "sex", "survived"]] * 2
    endless = tf.data.experimental.make_csv_dataset(str(tmp_path / "*.csv"), batch_size=3)  # num_epochs=None
    assert len(list(endless.take(5))) == 5
    with pytest.raises(ValueError, match="label_name 'Survived' is not a column"):
        tf.data.experimental.make_csv_dataset(str(tmp_path / "a.csv"), batch_size=2, label_name="Survived")

    columns = tf.io.decode_csv(["1,a,2.5", "3,b,"], record_defaults=[int(), str(), float()])
    assert [c.dtype for c in columns] == [tf.int32, tf.string, tf.float32]
    assert columns[1].numpy().tolist() == [b"a", b"b"] and columns[2].numpy().tolist() == [2.5, 0.0]
    lines = tf.data.TextLineDataset(str(tmp_path / "a.csv")).skip(1).map(
        lambda line: tf.io.decode_csv(line, [int(), str(), float(), float()]))
    first = next(iter(lines))
    assert isinstance(first, tuple) and [e.numpy() for e in first][:2] == [1, b"female"]

    for index in range(3):
        (tmp_path / f"part{index}.txt").write_text("\n".join(f"{index}-{row}" for row in range(2)))
    files = tf.data.Dataset.list_files(str(tmp_path / "part*.txt"), shuffle=False)
    assert [f.numpy().decode().rsplit("/", 1)[-1] for f in files] == ["part0.txt", "part1.txt", "part2.txt"]
    mixed = files.interleave(lambda name: tf.data.TextLineDataset(name), cycle_length=2)
    assert [v.numpy().decode() for v in mixed] == ["0-0", "1-0", "0-1", "1-1", "2-0", "2-1"]
    with pytest.raises(AttributeError, match="tf.io.read_file is not supported"):
        tf.io.read_file  # noqa: B018 - the attribute access is the test
    with pytest.raises(AttributeError, match=r"Dataset.snapshot\('x.tfsnap'\) is not supported.*cache\(\)"):
        files.snapshot("x.tfsnap")
