"""minidl.runtime.parallel: chunks run on threads give the plain NumPy results, in chunk order, and
the recurrent ops give their references' results when every projection is split over cores."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minidl
from minidl.ops.recurrent import gru, gru_reference, lstm, lstm_reference, simple_rnn, simple_rnn_reference
from minidl.runtime import parallel
from tests.conftest import device, to_host


@pytest.fixture
def always_parallel(monkeypatch):
    """Every matmul helper takes its threaded path, however small the product, on two threads, and
    the recurrent ops hand work to another core however small their steps."""
    import minidl.ops.fast.rnn_common as rnn_common

    monkeypatch.setattr(parallel, "PARALLEL_MATMUL_MIN_MACS", 0)
    monkeypatch.setattr(parallel, "cpu_workers", lambda: 2)
    monkeypatch.setattr(rnn_common, "MIN_STEP_VALUES_FOR_HELPERS", 0)


def test_map_chunks_returns_results_in_chunk_order_and_gives_each_thread_a_buffer(monkeypatch):
    monkeypatch.setattr(parallel, "cpu_workers", lambda: 3)
    chunks = [(start, start + 2) for start in range(0, 40, 2)]
    buffers = set()

    def work(start, stop, buffer):
        assert buffer.shape == (4, 5)
        buffers.add(id(buffer))
        return start * 10 + stop

    assert parallel.map_chunks(work, chunks, (4, 5), np.float32) == [start * 10 + stop for start, stop in chunks]
    assert 1 <= len(buffers) <= 3


def test_pool_threads_get_the_smaller_ufunc_buffer_and_the_callers_thread_keeps_its_own(monkeypatch):
    """The buffer size is a per-thread NumPy setting: minidl's chunk threads run with
    WORKER_UFUNC_BUFFER, while the user's thread keeps whatever it had."""
    monkeypatch.setattr(parallel, "cpu_workers", lambda: 2)
    callers = np.getbufsize()
    seen = parallel.map_chunks(lambda start, stop, _: np.getbufsize(), [(0, 1), (1, 2), (2, 3), (3, 4)])
    assert seen == [parallel.WORKER_UFUNC_BUFFER] * 4
    assert np.getbufsize() == callers


def test_map_chunks_passes_a_workers_exception_on(monkeypatch):
    monkeypatch.setattr(parallel, "cpu_workers", lambda: 2)

    def work(start, stop, _):
        if start == 4:
            raise ValueError("chunk 4 failed")

    with pytest.raises(ValueError, match="chunk 4 failed"):
        parallel.map_chunks(work, [(0, 2), (2, 4), (4, 6), (6, 8)])


@pytest.mark.parametrize("workers", [1, 2])
def test_work_behind_returns_every_block_in_hand_over_order(monkeypatch, workers):
    import threading
    import time

    monkeypatch.setattr(parallel, "cpu_workers", lambda: workers)
    caller = threading.get_ident()
    ran_on = []

    def work(index):
        ran_on.append(threading.get_ident())
        time.sleep(0.002 * (index % 3))  # uneven blocks, so the helper sometimes runs dry and stops
        return index * index

    blocks = parallel.WorkBehind(work)
    for index in range(12):
        blocks.add(index)
        time.sleep(0.001 * (index % 2))  # the caller's own work between hand-overs
    assert blocks.results() == [index * index for index in range(12)]
    if workers == 1:
        assert set(ran_on) == {caller}  # one core: everything runs in results(), on the caller
    else:
        assert any(thread != caller for thread in ran_on)


def test_work_behind_passes_a_blocks_exception_on(monkeypatch):
    monkeypatch.setattr(parallel, "cpu_workers", lambda: 2)

    def work(index):
        if index == 3:
            raise ValueError("block 3 failed")
        return index

    blocks = parallel.WorkBehind(work)
    with pytest.raises(ValueError, match="block 3 failed"):
        for index in range(6):
            blocks.add(index)
        blocks.results()


@pytest.mark.parametrize("workers", [1, 2])
def test_chunks_ahead_yields_every_chunk_in_order_the_next_one_already_under_way(monkeypatch, workers):
    import threading

    monkeypatch.setattr(parallel, "cpu_workers", lambda: workers)
    caller = threading.get_ident()
    started = [threading.Event() for _ in range(3)]
    ran_on = []

    def work(first, stop):
        ran_on.append(threading.get_ident())
        started[first // 4].set()
        return list(range(first, stop))

    got = []
    for first, stop, result in parallel.chunks_ahead(work, [(0, 4), (4, 8), (8, 10)]):
        got.append((first, stop, result))
        following = first // 4 + 1
        if workers > 1 and following < 3:  # the next chunk starts before this one is used up
            assert started[following].wait(timeout=10)
    assert got == [(0, 4, [0, 1, 2, 3]), (4, 8, [4, 5, 6, 7]), (8, 10, [8, 9])]
    assert (caller in ran_on) == (workers == 1)
    assert list(parallel.chunks_ahead(work, [])) == []


def test_chunks_ahead_passes_a_chunks_exception_on(monkeypatch):
    monkeypatch.setattr(parallel, "cpu_workers", lambda: 2)

    def work(first, stop):
        if first == 4:
            raise ValueError("chunk 4..8 failed")
        return first

    with pytest.raises(ValueError, match="chunk 4..8 failed"):
        list(parallel.chunks_ahead(work, [(0, 4), (4, 8), (8, 10)]))


@pytest.mark.parametrize("a_shape, b_shape", [((37, 5), (5, 3)), ((3, 5), (5, 41)), ((1, 4), (4, 1))])
def test_matmul_on_cores_splits_rows_or_columns(any_backend, always_parallel, a_shape, b_shape):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(a_shape), rng.standard_normal(b_shape)
    np.testing.assert_allclose(to_host(parallel.matmul_on_cores(device(a), device(b))), a @ b, rtol=1e-12)
    np.testing.assert_allclose(to_host(parallel.matmul_on_cores(device(a.T.copy()).T, device(b))), a @ b, rtol=1e-12)


def test_stacked_and_summed_matmuls(any_backend, always_parallel):
    rng = np.random.default_rng(1)
    stack_a, stack_b = rng.standard_normal((9, 4, 3)), rng.standard_normal((9, 3, 5))
    single_a, single_b = rng.standard_normal((4, 3)), rng.standard_normal((3, 5))
    for a, b in ((stack_a, stack_b), (single_a, stack_b), (stack_a, single_b)):
        np.testing.assert_allclose(to_host(parallel.stacked_matmul_on_cores(device(a), device(b))), np.matmul(a, b),
                                   rtol=1e-12)
    np.testing.assert_allclose(to_host(parallel.summed_matmul_on_cores(device(stack_a), device(stack_b))),
                               np.einsum("tmk,tkn->mn", stack_a, stack_b), rtol=1e-12)


@pytest.mark.parametrize("fused, reference, gates", [
    (lstm, lstm_reference, 4), (gru, gru_reference, 3), (simple_rnn, simple_rnn_reference, 1),
])
def test_recurrent_ops_with_projections_split_over_cores_equal_their_references(always_parallel, fused, reference,
                                                                                  gates):
    minidl.set_floatx("float64")
    rng = np.random.default_rng(2)
    batch, time, features, units = 3, 6, 4, 2
    arrays = [rng.standard_normal((batch, time, features)), rng.standard_normal((features, gates * units)),
              rng.standard_normal((units, gates * units))]
    results = []
    for op in (fused, reference):
        tensors = [minidl.tensor(a, requires_grad=True) for a in arrays]
        output = op(*tensors, return_sequences=True)[0]
        output.backward(np.linspace(-1, 1, output.size).reshape(output.shape))
        results.append([to_host(output)] + [to_host(t.grad) for t in tensors])
    for got, expected in zip(*results):
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-10)


def test_one_blas_thread_holds_blas_to_one_thread_inside_and_restores_it():
    from threadpoolctl import ThreadpoolController

    controller = ThreadpoolController()
    if not controller.select(user_api="blas").info():
        pytest.skip("threadpoolctl finds no BLAS library to control in this NumPy build")

    def blas_threads():
        return [entry["num_threads"] for entry in controller.select(user_api="blas").info()]

    before = blas_threads()
    seen = []
    # The runtime finds the BLAS libraries once; one loaded later by another test (SciPy's, a
    # second OpenBLAS) would be missing from that first look and counted here.
    parallel._blas_controller.cache_clear()

    @parallel.one_blas_thread
    def step_loop():
        seen.extend(blas_threads())
        return "done"

    assert step_loop() == "done"
    assert seen and all(count == 1 for count in seen)
    assert blas_threads() == before


@pytest.mark.parametrize("op, gates", [(lstm, 4), (simple_rnn, 1)])
def test_recurrent_backward_leaves_no_reference_cycles(always_parallel, op, gates):
    """The weight gradients computed behind the time loop (WorkBehind) must not leave a
    reference cycle: the cycle would keep a whole step's gate gradients alive until the garbage
    collector ran (measured: 99 MiB -> 430 MiB peak on the DLW LSTM workload before the fix)."""
    import gc

    rng = np.random.default_rng(3)
    arrays = [rng.standard_normal((3, 8, 4)), rng.standard_normal((4, gates * 2)), rng.standard_normal((2, gates * 2))]
    gc.collect()
    gc.disable()
    try:
        tensors = [minidl.tensor(a, requires_grad=True) for a in arrays]
        output = op(*tensors, return_sequences=True)[0]
        output.backward(np.ones(output.shape))
        del output, tensors
        assert gc.collect() == 0
    finally:
        gc.enable()


def test_chunks_ahead_can_be_told_to_stay_on_this_core(monkeypatch):
    import threading

    monkeypatch.setattr(parallel, "cpu_workers", lambda: 2)
    ran_on = []
    chunks = list(parallel.chunks_ahead(lambda first, stop: ran_on.append(threading.get_ident()) or first,
                                        [(0, 4), (4, 8)], on_another_core=False))
    assert chunks == [(0, 4, 0), (4, 8, 4)] and set(ran_on) == {threading.get_ident()}


def test_recurrent_helpers_are_used_from_a_step_size_on():
    from minidl.ops.fast.rnn_common import MIN_STEP_VALUES_FOR_HELPERS, helpers_pay

    assert helpers_pay(4 * 32 * 32) and not helpers_pay(1 * 32 * 64)  # LSTM(32) at batch 32, SimpleRNN(32) at 64
    assert helpers_pay(MIN_STEP_VALUES_FOR_HELPERS) and not helpers_pay(MIN_STEP_VALUES_FOR_HELPERS - 1)


def test_a_thread_on_its_own_core_keeps_its_helpers_inline(monkeypatch):
    """Inside ``on_own_core()`` (a thread the caller keeps busy on one core, e.g. half of a
    batch) ``chunks_ahead`` and ``WorkBehind`` run their work in the calling thread; the mark is
    the thread's own, and it is lifted when the block ends (also after an exception)."""
    import threading

    monkeypatch.setattr(parallel, "cpu_workers", lambda: 2)
    here = threading.get_ident()
    seen_elsewhere = []
    with parallel.on_own_core():
        assert not parallel.another_core_is_free()
        ran_on = []
        chunks = list(parallel.chunks_ahead(lambda first, stop: ran_on.append(threading.get_ident()) or first,
                                            [(0, 4), (4, 8), (8, 9)]))
        assert chunks == [(0, 4, 0), (4, 8, 4), (8, 9, 8)] and set(ran_on) == {here}
        behind = parallel.WorkBehind(lambda block: (block, threading.get_ident()))
        for block in range(3):
            behind.add(block)
        assert behind.results() == [(0, here), (1, here), (2, here)]
        other = threading.Thread(target=lambda: seen_elsewhere.append(parallel.another_core_is_free()))
        other.start()
        other.join()
    assert seen_elsewhere == [True]  # another thread is not marked
    assert parallel.another_core_is_free()
    with pytest.raises(RuntimeError), parallel.on_own_core():
        raise RuntimeError("inside")
    assert parallel.another_core_is_free()


@settings(max_examples=300, deadline=None)
@given(batch=st.integers(1, 400), sample_bytes=st.integers(1, 5 * parallel.CPU_CHUNK_BYTES // 4),
       workers=st.integers(1, 4), chunk_bytes=st.sampled_from([None, 4 * parallel.CPU_CHUNK_BYTES]))
def test_core_chunks_are_cache_sized_equal_and_a_multiple_of_the_cores(batch, sample_bytes, workers, chunk_bytes):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(parallel, "cpu_workers", lambda: workers)
        chunks = parallel.core_chunks(batch, sample_bytes, chunk_bytes=chunk_bytes)
    sizes = [stop - start for start, stop in chunks]
    assert [index for start, stop in chunks for index in range(start, stop)] == list(range(batch))
    assert min(sizes) >= 1 and max(sizes) - min(sizes) <= 1
    largest = chunk_bytes or parallel.CPU_CHUNK_BYTES
    assert max(sizes) <= max(1, largest // sample_bytes)  # each chunk stays in cache (or its larger size)
    if batch * sample_bytes < parallel.MIN_SPLIT_BYTES:
        assert len(chunks) == 1  # too little work for the threads' hand-off
    else:  # every core gets as many chunks as every other, unless the chunks are single samples
        assert len(chunks) % workers == 0 or max(sizes) == 1


def test_a_small_batch_of_convolutions_is_still_spread_over_the_cores(monkeypatch):
    """LM-3's first convolution (32 filters) at batch 32 or 8 fits in one cache-sized chunk; run as
    one, its GEMM would wake BLAS's own threads, whose spinning afterwards slowed the next op's
    threads. A product too small for BLAS's threads stays one chunk."""
    from minidl.ops.fast.im2col import batch_chunks
    from minidl.ops.windows import window_geometry

    monkeypatch.setattr(parallel, "cpu_workers", lambda: 2)
    geometry = window_geometry((28, 28), (3, 3), (1, 1), "valid")
    assert batch_chunks(128, geometry, 1, 32, 4) == [(0, 64), (64, 128)]  # not 86 + 42
    assert batch_chunks(32, geometry, 1, 32, 4) == [(0, 16), (16, 32)]
    assert batch_chunks(8, geometry, 1, 32, 4) == [(0, 4), (4, 8)]  # 195 KiB of im2col, 1.6M MACs
    small = window_geometry((8, 8), (3, 3), (1, 1), "valid")
    assert batch_chunks(2, small, 1, 4, 4) == [(0, 2)]  # 2,592 MACs: one chunk, no threads


def test_strided_convolutions_take_larger_chunks(monkeypatch):
    """The DCGAN discriminator's second convolution (5x5, stride 2, 32 channels: 157 KB of im2col
    per sample) runs in chunks of about four times the usual size; stride 1 keeps the usual."""
    from minidl.ops.fast.im2col import STRIDED_CHUNK_FACTOR, batch_chunks
    from minidl.ops.windows import window_geometry

    monkeypatch.setattr(parallel, "cpu_workers", lambda: 2)
    strided = window_geometry((14, 14), (5, 5), (2, 2), "same")
    sample_bytes = 7 * 7 * 25 * 32 * 4
    sizes = [stop - start for start, stop in batch_chunks(256, strided, 32, 64, 4)]
    assert max(sizes) <= STRIDED_CHUNK_FACTOR * parallel.CPU_CHUNK_BYTES // sample_bytes
    assert max(sizes) > parallel.CPU_CHUNK_BYTES // sample_bytes
    unstrided = window_geometry((7, 7), (5, 5), (1, 1), "same")
    assert max(stop - start for start, stop in batch_chunks(256, unstrided, 32, 64, 4)) \
        <= parallel.CPU_CHUNK_BYTES // sample_bytes
