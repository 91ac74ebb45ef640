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
