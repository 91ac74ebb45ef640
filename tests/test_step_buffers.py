"""minidl.runtime.step_buffers: large work arrays handed out again once nothing holds them, never
while anything (the array itself or a view of it) is still in use; training with every array
reused gives the same numbers bit for bit; and a training step stops faulting its arrays in."""

import os
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

import minidl
from minidl.layers import (
    GRU,
    LSTM,
    BatchNormalization,
    Bidirectional,
    Conv2D,
    Conv2DTranspose,
    Dense,
    Embedding,
    Flatten,
    Input,
    LeakyReLU,
    MaxPooling2D,
    SimpleRNN,
)
from minidl.models import Model, Sequential
from minidl.runtime import host_memory, step_buffers
from minidl.runtime.step_buffers import StepBufferPool

BIG = (256, 1024)  # 1 MiB of float32, above MIN_BYTES


def test_a_freed_array_is_handed_out_again():
    pool = StepBufferPool()
    first = pool.empty(BIG, np.float32)
    first_id = id(first)
    del first
    again = pool.empty(BIG, np.float32)
    assert id(again) == first_id and pool.reuses == 1


def test_an_array_in_use_is_never_handed_out():
    pool = StepBufferPool()
    held = pool.empty(BIG, np.float32)
    other = pool.empty(BIG, np.float32)
    assert other is not held and not np.shares_memory(other, held)


def test_a_live_view_keeps_its_array_in_use():
    pool = StepBufferPool()
    array = pool.empty(BIG, np.float32)
    column = array[:, 3]  # a strided view: its .base is the pooled array
    del array
    fresh = pool.empty(BIG, np.float32)
    assert not np.shares_memory(fresh, column)
    del column, fresh
    assert pool.empty(BIG, np.float32) is not None and pool.reuses == 1


def test_shape_and_dtype_must_both_match():
    pool = StepBufferPool()
    array = pool.empty(BIG, np.float32)
    array_id = id(array)
    del array
    assert id(pool.empty(BIG[::-1], np.float32)) != array_id
    assert id(pool.empty(BIG, np.float64)) != array_id
    assert pool.reuses == 0


def test_small_arrays_are_not_pooled():
    pool = StepBufferPool()
    pool.empty((8, 8), np.float32)
    assert pool.pooled_bytes == 0


def test_the_pool_stays_under_its_limit_dropping_free_arrays_least_recently_used():
    nbytes = 4 * BIG[0] * BIG[1]
    pool = StepBufferPool(limit_bytes=3 * nbytes)
    kept = pool.empty(BIG, np.float32)
    pool.empty((1024, 256), np.float32)  # freed at once
    pool.empty((512, 512), np.float32)  # freed at once, used after the one before
    assert pool.pooled_bytes == 3 * nbytes
    newest = pool.empty((128, 2048), np.float32)  # the least recently used free array makes room
    assert pool.pooled_bytes == 3 * nbytes
    assert {array.shape for arrays in pool._arrays.values() for array in arrays} == {BIG, (512, 512), newest.shape}
    assert kept.shape == BIG


def test_an_array_over_the_limit_is_made_but_not_pooled():
    pool = StepBufferPool(limit_bytes=1 << 19)
    array = pool.empty(BIG, np.float32)
    assert array.shape == BIG and pool.pooled_bytes == 0


def test_release_drops_free_arrays_and_keeps_those_in_use():
    pool = StepBufferPool()
    held = pool.empty(BIG, np.float32)
    pool.empty(BIG, np.float32)
    pool.release()
    assert pool.pooled_bytes == held.nbytes


def test_the_environment_variable_turns_the_pool_off(monkeypatch):
    monkeypatch.setenv("MINIDL_REUSE_STEP_BUFFERS", "0")
    pool = StepBufferPool()
    pool.empty(BIG, np.float32)
    assert pool.pooled_bytes == 0


def test_threads_asking_at_once_get_distinct_arrays():
    pool = StepBufferPool()
    got, barrier = [], threading.Barrier(4)

    def take():
        barrier.wait()
        got.append(pool.empty(BIG, np.float32))

    threads = [threading.Thread(target=take) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(array) for array in got}) == 4


def test_off_numpy_it_is_the_array_modules_empty(any_backend):
    array = step_buffers.reusable_full((600, 300), 2.5, np.float32)
    assert isinstance(array, minidl.backend.get_xp().ndarray)
    assert float(minidl.backend.to_numpy(array).min()) == 2.5


# -- whole models: every array reused gives the numbers of no reuse ---------------------------

def _recurrent_model():
    inputs = Input((12,))
    embedded = Embedding(50, 8, mask_zero=True)(inputs)
    sequences = LSTM(6, return_sequences=True, dropout=0.2, recurrent_dropout=0.3)(embedded)
    both = Bidirectional(GRU(5, return_sequences=True, recurrent_dropout=0.2))(sequences)
    last = SimpleRNN(4)(both)
    shared = Dense(3)  # used twice: its input gradient is the sum of both uses'
    outputs = Dense(1, activation="sigmoid")(minidl.layers.Concatenate()([shared(last), shared(last)]))
    model = Model(inputs, outputs)
    model.compile("rmsprop", "binary_crossentropy")
    rng = np.random.default_rng(0)
    x = rng.integers(0, 50, (16, 12)).astype(np.int32)
    x[:4, :5] = 0  # padded starts
    return model, x, rng.integers(0, 2, (16, 1)).astype(np.float32)


def _convolutional_model():
    model = Sequential([
        Conv2D(6, 3, activation="relu", padding="same", input_shape=(10, 10, 2)),
        MaxPooling2D(2),
        BatchNormalization(),
        LeakyReLU(0.2),
        Conv2DTranspose(4, 3, strides=2, padding="same"),
        Flatten(),
        Dense(3, activation="softmax"),
    ])
    model.compile("adam", "sparse_categorical_crossentropy")
    rng = np.random.default_rng(1)
    return model, rng.normal(size=(12, 10, 10, 2)).astype(np.float32), rng.integers(0, 3, (12,))


def _train(build, pool, monkeypatch):
    monkeypatch.setattr(step_buffers, "pool", pool)
    minidl.set_seed(0)
    model, x, y = build()
    losses = [float(model.train_on_batch(x, y)) for _ in range(4)]
    return losses, [weight.copy() for weight in model.get_weights()], model.predict(x, batch_size=5)


@pytest.mark.parametrize("build", [_recurrent_model, _convolutional_model])
def test_training_with_every_array_reused_equals_training_without(build, monkeypatch):
    off = StepBufferPool()
    off.enabled = False
    everything = StepBufferPool(min_bytes=0)  # pool even the smallest arrays: the most reuse
    losses, weights, predictions = _train(build, off, monkeypatch)
    losses_reused, weights_reused, predictions_reused = _train(build, everything, monkeypatch)
    assert everything.reuses > 20  # the arrays really were handed out again
    assert losses_reused == losses
    for reused, plain in zip(weights_reused, weights):
        np.testing.assert_array_equal(reused, plain)
    np.testing.assert_array_equal(predictions_reused, predictions)


def test_predict_between_training_steps_keeps_the_training_arrays(monkeypatch):
    # a GAN lab's loop: generator.predict(noise), then train_on_batch; nothing is made anew
    pool = StepBufferPool(min_bytes=0)
    monkeypatch.setattr(step_buffers, "pool", pool)
    model, x, y = _convolutional_model()
    for _ in range(3):
        model.predict(x, batch_size=6)
        model.train_on_batch(x, y)
    allocations, reuses = pool.allocations, pool.reuses
    for _ in range(3):
        model.predict(x, batch_size=6)
        model.train_on_batch(x, y)
    assert pool.allocations == allocations and pool.reuses > reuses


def test_fit_gives_free_arrays_back_when_it_ends(monkeypatch):
    pool = StepBufferPool(min_bytes=0)
    monkeypatch.setattr(step_buffers, "pool", pool)
    model, x, y = _convolutional_model()
    model.fit(x, y, epochs=2, batch_size=4, verbose=0)
    assert _free_arrays(pool) == []


def test_fit_gives_free_arrays_back_when_training_stops_with_an_exception(monkeypatch):
    pool = StepBufferPool(min_bytes=0)
    monkeypatch.setattr(step_buffers, "pool", pool)
    model, x, y = _convolutional_model()

    class Interrupt(minidl.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 1:
                raise KeyboardInterrupt  # a Ctrl-C in the middle of an epoch

    with pytest.raises(KeyboardInterrupt):
        model.fit(x, y, epochs=2, batch_size=4, verbose=0, callbacks=[Interrupt()])
    assert pool.allocations > 0 and _free_arrays(pool) == []


def _free_arrays(pool):
    return [array for arrays in pool._arrays.values() for array in arrays
            if step_buffers._reference_count(array) == pool._free_count]


# -- the point of it: a training step without page faults, allocator settings untouched --------

STEP_FAULTS_SCRIPT = textwrap.dedent("""
    import resource
    import numpy as np
    import minidl
    from minidl.layers import LSTM, Dense, Embedding
    from minidl.models import Sequential
    minidl.set_seed(0)
    model = Sequential([Embedding(1000, 32, input_length=100), LSTM(64), Dense(1, activation="sigmoid")])
    model.compile("rmsprop", "binary_crossentropy")
    rng = np.random.default_rng(0)
    x = rng.integers(0, 1000, (128, 100)).astype(np.int32)
    y = rng.integers(0, 2, (128, 1)).astype(np.float32)
    for _ in range(3):
        model.train_on_batch(x, y)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(5):
        model.train_on_batch(x, y)
    print(minidl.runtime.host_memory.kept, (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 5)
""")


def _faults_per_step(reuse):
    env = dict(os.environ, MINIDL_REUSE_STEP_BUFFERS=reuse)
    env.pop("MINIDL_KEEP_FREED_MEMORY", None)
    result = subprocess.run([sys.executable, "-c", STEP_FAULTS_SCRIPT], env=env, capture_output=True, text=True,
                            check=True)
    kept, faults = result.stdout.split()
    return kept == "True", float(faults)


@pytest.mark.skipif(not host_memory.is_glibc(), reason="glibc's trimming of its heap is what the pool avoids")
def test_a_training_step_reuses_its_arrays_without_page_faults():
    # the LSTM's gate buffers are 13 MB: without reuse each step faults them in again (thousands
    # of faults); with it, none of the step's large arrays is new
    kept, faults_with_pool = _faults_per_step("1")
    _, faults_without = _faults_per_step("0")
    assert not kept  # glibc's settings untouched: the saving is minidl's own
    assert faults_without > 1000
    assert faults_with_pool < 100


def test_free_arrays_of_shapes_no_recent_step_asked_for_are_dropped():
    pool = StepBufferPool()
    held = pool.empty(BIG, np.float32)
    pool.empty((1024, 256), np.float32)  # freed at once, never asked for again
    for _ in range(step_buffers.KEEP_STEPS):
        pool.new_step()
        del held
        held = pool.empty(BIG, np.float32)  # asked for every step: stays
    assert pool.pooled_bytes == 2 * held.nbytes
    pool.new_step()
    assert pool.pooled_bytes == held.nbytes and pool.reuses == step_buffers.KEEP_STEPS


def test_a_stale_array_still_in_use_stays_until_it_is_free():
    pool = StepBufferPool()
    held = pool.empty(BIG, np.float32)
    for _ in range(step_buffers.KEEP_STEPS + 1):
        pool.new_step()
    assert pool.pooled_bytes == held.nbytes
    del held
    pool.new_step()
    assert pool.pooled_bytes == 0


def _keys_after_training(models, monkeypatch):
    pool = StepBufferPool(min_bytes=0)
    monkeypatch.setattr(step_buffers, "pool", pool)
    for build, steps in models:
        minidl.set_seed(0)
        model, x, y = build()
        for _ in range(steps):
            model.train_on_batch(x, y)
    return set(pool._arrays)


def test_training_model_after_model_keeps_only_the_latest_models_arrays(monkeypatch):
    steps = step_buffers.KEEP_STEPS + 2
    after_both = _keys_after_training([(_convolutional_model, 3), (_recurrent_model, steps)], monkeypatch)
    second_alone = _keys_after_training([(_recurrent_model, steps)], monkeypatch)
    assert after_both == second_alone
