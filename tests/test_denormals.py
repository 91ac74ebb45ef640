"""Denormal floats flushed to zero while minidl computes (``minidl.runtime.denormals``): inside
its scopes and on its worker threads only, with the caller's modes put back after, and what it
is for -- an optimizer slot stuck in the denormal range going to zero."""

import numpy as np
import pytest

import minidl
from minidl.runtime import denormals, parallel

DENORMAL = np.float32(np.finfo(np.float32).tiny / 8)

needs_flushing = pytest.mark.skipif(
    not denormals.supported(),
    reason="this platform's floating-point control register is not one minidl knows how to set "
           "(Linux on x86-64 or 64-bit ARM), or MINIDL_FLUSH_DENORMALS=0",
)


def _denormal_survives():
    """Whether a denormal operand and result survive a multiply in this thread."""
    return float(np.multiply(DENORMAL, np.float32(1.0))) != 0.0


@needs_flushing
def test_flushing_scope_turns_the_modes_on_and_puts_them_back():
    assert _denormal_survives()
    with denormals.flushing_denormals():
        assert not _denormal_survives()
        with denormals.flushing_denormals():  # nested: already on, nothing to put back
            assert not _denormal_survives()
        assert not _denormal_survives()
        assert not np.any(np.full(1000, DENORMAL) * np.float32(0.5))  # vectorised loops too
    assert _denormal_survives()


@needs_flushing
def test_the_caller_keeps_its_modes_after_minidl_trains_and_after_an_error():
    model = minidl.keras.Sequential([minidl.keras.layers.Dense(3, input_shape=(4,)), minidl.keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    rng = np.random.default_rng(0)
    model.fit(rng.normal(size=(16, 4)).astype(np.float32), rng.normal(size=(16, 1)).astype(np.float32),
              epochs=1, verbose=0)
    model.predict(rng.normal(size=(4, 4)).astype(np.float32), verbose=0)
    assert _denormal_survives()

    @denormals.flushes_denormals
    def fails():
        raise RuntimeError("inside")

    with pytest.raises(RuntimeError, match="inside"):
        fails()
    assert _denormal_survives()


@needs_flushing
def test_minidl_worker_threads_flush():
    pool = parallel._thread_pool(parallel.cpu_workers())
    assert pool.submit(_denormal_survives).result() is False


@needs_flushing
def test_an_adam_slot_stuck_in_the_denormal_range_goes_to_zero(monkeypatch):
    """A weight whose gradient is zero (a dead ReLU unit's): its first moment shrinks by beta_1
    every step and, a few units in the last place above zero, rounds back to itself for good --
    unless denormals are flushed, as TensorFlow's kernels flush them."""

    def first_moment_after_steps(steps):
        weight = minidl.tensor(np.ones(4, np.float32), requires_grad=True)
        optimizer = minidl.keras.optimizers.Adam()
        optimizer.apply_gradients([(np.zeros(4, np.float32), weight)])
        m = optimizer._slots_of(weight)["m"]
        m[...] = np.float32(5 * np.finfo(np.float32).smallest_subnormal)
        for _ in range(steps):
            optimizer.apply_gradients([(np.zeros(4, np.float32), weight)])
        return m.copy()

    monkeypatch.setattr(denormals, "ENABLED", False)
    stuck = first_moment_after_steps(50)
    assert np.all(stuck == 4 * np.finfo(np.float32).smallest_subnormal)  # 0.9 * 4 ulp rounds to 4 ulp
    monkeypatch.setattr(denormals, "ENABLED", True)
    assert np.all(first_moment_after_steps(1) == 0)


def test_turned_off_nothing_changes(monkeypatch):
    monkeypatch.setattr(denormals, "ENABLED", False)
    assert not denormals.supported()
    with denormals.flushing_denormals():
        assert _denormal_survives()


def test_a_scope_leaves_no_reference_cycles():
    """Every backward pass enters a scope: garbage there would keep the collector busy (a ctypes
    array type made per call was one: nine objects in a cycle each time)."""
    import gc

    with denormals.flushing_denormals():
        pass
    gc.collect()
    gc.disable()
    try:
        for _ in range(3):
            with denormals.flushing_denormals():
                pass
        assert gc.collect() == 0
    finally:
        gc.enable()


@needs_flushing
def test_a_training_step_sets_the_modes_once(monkeypatch):
    """The step's forward, backward and update run inside the step's own scope: the control
    register is written once a step, not once for each of them."""
    model = minidl.keras.Sequential([minidl.keras.layers.Dense(3, input_shape=(4,)), minidl.keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    x, y = np.ones((8, 4), np.float32), np.ones((8, 1), np.float32)
    model.train_on_batch(x, y)
    calls = []
    original = denormals._set_flush_bits
    monkeypatch.setattr(denormals, "_set_flush_bits", lambda fenv: calls.append(1) or original(fenv))
    model.train_on_batch(x, y)
    assert len(calls) == 1
    assert _denormal_survives()


@needs_flushing
def test_the_recurrent_backward_leaves_its_own_flush_to_the_processor():
    """The fast RNNs' per-step SubnormalFlush (three calls a step) is only needed where the thread
    does not flush denormals itself; every backward pass runs inside a flushing scope."""
    from minidl.ops.fast.rnn_common import SubnormalFlush

    assert SubnormalFlush((2, 3), np.float32).needed
    with denormals.flushing_denormals():
        assert not SubnormalFlush((2, 3), np.float32).needed
    # a long sequence through small recurrent weights: the gradient vanishes through time, and
    # no value the backward pass hands back is denormal
    rng = np.random.default_rng(0)
    x = minidl.tensor(rng.standard_normal((4, 300, 3)).astype(np.float32) * 0.01, requires_grad=True)
    kernel = minidl.tensor(rng.standard_normal((3, 8)).astype(np.float32) * 0.01, requires_grad=True)
    recurrent = minidl.tensor(rng.standard_normal((2, 8)).astype(np.float32) * 0.01, requires_grad=True)
    from minidl.ops import lstm

    output = lstm(x, kernel, recurrent, return_sequences=False)[0]
    output.backward(np.ones(output.shape, np.float32))
    tiny = np.finfo(np.float32).tiny
    for grad in (x.grad, kernel.grad, recurrent.grad):
        values = np.asarray(grad)
        assert not np.any((values != 0) & (np.abs(values) < tiny))
    assert np.any(np.asarray(x.grad)[:, 0] == 0)  # the first steps' gradient vanished entirely
