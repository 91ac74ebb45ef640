"""minidl.distributed in one process: the sharding rule, gradient buckets, the reducer and its
overlap with backward, the engine's gradient-ready hook, metric merging, the consistency checks,
the watchdog, the NCCL communicator on a fake CuPy, and the world of one (where a strategy and a
DistributedOptimizer change nothing, bit for bit).

The same code with two real MPI ranks is tested in ``test_distributed_mpi.py``.
"""

import gc
import os
import subprocess
import sys
import time

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minidl
import minidl.distributed as dist
from minidl import backend, metrics, optimizers
from minidl.autograd import engine
from minidl.distributed import buckets, consistency, metrics_sync, nccl, rank_callbacks, sharding, watchdog
from minidl.distributed.reducer import GradientReducer
from minidl.errors import RankFailedError, RankMismatchError, RankTimeoutError
from minidl.layers import Dense
from minidl.models import Sequential
from tests import distributed_fakes as fakes
from tests.conftest import to_host

# -- which rows each rank takes ---------------------------------------------------------------------


@given(start=st.integers(0, 1000), rows=st.integers(0, 300), size=st.integers(1, 9))
def test_the_ranks_slices_partition_every_batch_as_evenly_as_possible(start, rows, size):
    slices = [sharding.local_rows(start, start + rows, rank, size) for rank in range(size)]
    assert slices[0][0] == start and slices[-1][1] == start + rows
    for (_, last), (first, _) in zip(slices, slices[1:]):
        assert last == first  # contiguous, in rank order, no row twice
    lengths = [last - first for first, last in slices]
    assert max(lengths) - min(lengths) <= 1


def test_a_shard_reports_each_batch_share():
    heard = []
    shard = sharding.Shard(1, 2, on_batch=lambda rows, total: heard.append((rows, total)))
    assert shard.local_rows(14, 21) == (17, 21)
    assert shard.local_rows(49, 50) == (49, 50)
    assert sharding.Shard(0, 2).local_rows(49, 50) == (49, 49)  # the empty share of a one-row batch
    assert heard == [(4, 7), (1, 1)]
    with pytest.raises(ValueError, match="rank must be in"):
        sharding.Shard(2, 2)


# -- buckets ------------------------------------------------------------------------------------------

def _tensors(*shapes, dtype="float32"):
    return [minidl.tensor(np.zeros(shape, dtype=dtype), requires_grad=True) for shape in shapes]


def test_buckets_take_the_weights_last_first_up_to_the_cap():
    a, b, c, d = _tensors((10,), (20,), (300,), (5,))
    groups = buckets.layout([a, b, c, d], bucket_bytes=100)  # 25 float32 per bucket
    assert [[id(w) for w in group] for group in groups] == [[id(d)], [id(c)], [id(b)], [id(a)]]
    groups = buckets.layout([a, b, c, d], bucket_bytes=2000)
    assert [[id(w) for w in group] for group in groups] == [[id(d), id(c), id(b), id(a)]]
    small = buckets.layout([a, b, d], bucket_bytes=120)  # 30 float32: d + b = 25 fit, a opens the next
    assert [[id(w) for w in group] for group in small] == [[id(d), id(b)], [id(a)]]


def test_buckets_group_by_dtype_and_send_float16_as_float32():
    single, double = _tensors((4,)), _tensors((4,), dtype="float64")
    half = _tensors((4,), dtype="float16")
    groups = buckets.layout(single + double + half, bucket_bytes=1 << 20)
    assert sorted(buckets.Bucket(0, group).dtype.name for group in groups) == ["float32", "float64"]
    assert buckets.communication_dtype(np.float16) == np.float32
    with pytest.raises(ValueError, match="bucket_bytes must be positive"):
        buckets.layout(single, bucket_bytes=0)


def test_a_bucket_packs_scaled_gradients_and_presence_flags(any_backend):
    first, second = _tensors((2, 3), (4,))
    bucket = buckets.Bucket(0, [first, second])
    grad = backend.to_device(np.arange(6, dtype=np.float32).reshape(2, 3))
    bucket.pack(0, grad, 0.25)
    bucket.pack(1, None, 0.25)
    assert bucket.complete and bucket.holds(0, grad) and bucket.holds(1, None)
    assert not bucket.holds(0, grad.copy())
    np.testing.assert_array_equal(to_host(bucket.buffer), list(np.arange(6) * 0.25) + [0, 0, 0, 0] + [1, 0])
    summed, missing = bucket.unpacked([np.dtype(np.float32)] * 2)
    np.testing.assert_array_equal(to_host(summed), to_host(grad) * 0.25)
    assert missing is None
    bucket.clear()
    assert not bucket.complete


# -- the engine's gradient-ready announcements --------------------------------------------------------

def test_the_engine_announces_each_leaf_once_all_its_uses_have_delivered():
    w = minidl.tensor(np.array([2.0, 3.0]), requires_grad=True)
    b = minidl.tensor(np.array([1.0, 1.0]), requires_grad=True)
    announced = []

    def hook(leaf):
        announced.append((leaf, leaf.grad.copy()))

    engine.leaf_grad_ready_hooks.append(hook)
    try:
        loss = ((w * w) * w + b * w).sum()  # w used three times: announced once, with its full gradient
        loss.backward()
    finally:
        engine.leaf_grad_ready_hooks.remove(hook)
    assert [leaf is w for leaf, _ in announced].count(True) == 1
    assert [leaf is b for leaf, _ in announced].count(True) == 1
    full = dict((id(leaf), grad) for leaf, grad in announced)
    np.testing.assert_allclose(full[id(w)], 3 * np.array([2.0, 3.0]) ** 2 + 1)


def test_the_last_layers_gradients_are_announced_first():
    minidl.set_seed(0)
    model = Sequential([Dense(4, input_shape=(3,)), Dense(4), Dense(1)])
    announced = []
    engine.leaf_grad_ready_hooks.append(announced.append)
    try:
        model(np.ones((2, 3), dtype="float32"), training=True).sum().backward()
    finally:
        engine.leaf_grad_ready_hooks.remove(announced.append)
    order = [next(i for i, w in enumerate(model.trainable_weights) if w is leaf) for leaf in announced]
    assert order[:2] == [4, 5] or order[:2] == [5, 4]  # the last Dense's kernel and bias come first
    assert sorted(order) == list(range(6))


# -- the reducer, with a mirrored second rank ---------------------------------------------------------

def _model_and_loss(seed=0):
    minidl.set_seed(seed)
    model = Sequential([Dense(8, activation="tanh", input_shape=(5,)), Dense(6, activation="tanh"), Dense(1)])
    x = np.random.default_rng(seed).normal(size=(7, 5)).astype("float32")
    return model, lambda: (model(x, training=True) ** 2).mean()


def test_buckets_start_during_backward_in_order_and_average_to_the_local_gradient(any_backend):
    model, loss_of = _model_and_loss()
    weights = model.trainable_weights
    communicator = fakes.MirrorCommunicator()
    reducer = GradientReducer(communicator, bucket_bytes=64, overlap=True)
    loss_of().backward()
    reducer.reduce([(w.grad, w) for w in weights])  # the first step lays the buckets out
    assert len(reducer.buckets) >= 4
    for w in weights:
        w.grad = None
    communicator.started.clear()
    loss_of().backward()
    started_during_backward = len(communicator.started)
    local = {id(w): to_host(w.grad).copy() for w in weights}
    averaged = reducer.reduce([(w.grad, w) for w in weights])
    assert started_during_backward == len(reducer.buckets)  # every bucket travelled while backprop ran
    assert [id(b) for b in communicator.started] == [id(bucket.buffer) for bucket in reducer.buckets]
    for grad, weight in averaged:  # (local / 2) summed with the mirror's (local / 2)
        np.testing.assert_allclose(to_host(grad), local[id(weight)], rtol=1e-6)


def test_the_reducer_sees_gradients_changed_after_backward_and_accumulated_twice():
    model, loss_of = _model_and_loss(1)
    weights = model.trainable_weights
    reducer = GradientReducer(fakes.MirrorCommunicator(), bucket_bytes=64, overlap=True)
    loss_of().backward()
    reducer.reduce([(w.grad, w) for w in weights])
    for w in weights:
        w.grad = None
    loss_of().backward()
    loss_of().backward()  # accumulates: .grad is now twice the gradient
    weights[0].grad = weights[0].grad * 3  # and a hand-made change after backward
    expected = {id(w): to_host(w.grad).copy() for w in weights}
    for grad, weight in reducer.reduce([(w.grad, w) for w in weights]):
        np.testing.assert_allclose(to_host(grad), expected[id(weight)], rtol=1e-6)


def test_allreduces_started_for_other_weights_are_finished_before_the_layout_changes():
    model, loss_of = _model_and_loss(2)
    weights = model.trainable_weights
    communicator = fakes.MirrorCommunicator()
    reducer = GradientReducer(communicator, bucket_bytes=64, overlap=True)
    loss_of().backward()
    reducer.reduce([(w.grad, w) for w in weights])
    for w in weights:
        w.grad = None
    before = len(communicator.started)
    loss_of().backward()  # starts every bucket of the full layout
    started = len(communicator.started) - before
    assert started == len(reducer.buckets)
    frozen_first_layer = weights[2:]
    expected = {id(w): to_host(w.grad).copy() for w in frozen_first_layer}
    completed_before = communicator.completed
    result = reducer.reduce([(w.grad, w) for w in frozen_first_layer])
    assert communicator.completed - completed_before == started + len(reducer.buckets)  # old ones waited for too
    for grad, weight in result:
        np.testing.assert_allclose(to_host(grad), expected[id(weight)], rtol=1e-6)


def test_a_weight_without_gradient_on_every_rank_stays_out_of_the_update():
    used, unused = _tensors((3,), (2,))
    reducer = GradientReducer(fakes.MirrorCommunicator(), overlap=False)
    result = reducer.reduce([(np.ones(3, dtype="float32"), used), (None, unused)])
    np.testing.assert_array_equal(result[0][0], np.ones(3))
    assert result[1][0] is None


def test_uneven_shares_weight_each_ranks_gradient_by_its_rows():
    (weight,) = _tensors((2,))
    reducer = GradientReducer(fakes.MirrorCommunicator(), overlap=False)
    reducer.set_batch_share(3, 7)
    (summed, _), = reducer.reduce([(np.array([7.0, 14.0], dtype="float32"), weight)])
    np.testing.assert_allclose(summed, [6.0, 12.0])  # 3/7 of the gradient, from each of the two mirrored ranks
    with pytest.raises(ValueError, match="rows <= global_rows"):
        reducer.set_batch_share(8, 7)


def test_different_starting_weights_on_the_ranks_are_an_error():
    model, loss_of = _model_and_loss()
    weights = model.trainable_weights
    reducer = GradientReducer(fakes.MirrorCommunicator(other_checksums=[0.5] * len(weights)))
    loss_of().backward()
    with pytest.raises(RankMismatchError, match="broadcast_parameters"):
        reducer.reduce([(w.grad, w) for w in weights])


def test_the_engine_hook_goes_away_with_the_last_reducer():
    model, loss_of = _model_and_loss()
    weights = model.trainable_weights
    reducer = GradientReducer(fakes.MirrorCommunicator(), overlap=True)
    loss_of().backward()
    reducer.reduce([(w.grad, w) for w in weights])
    assert engine.leaf_grad_ready_hooks
    del reducer
    gc.collect()
    assert not engine.leaf_grad_ready_hooks


# -- the optimizer wrapper and the strategy in a world of one -----------------------------------------

def test_distributed_optimizer_delegates_to_the_wrapped_optimizer():
    (weight,) = _tensors((3,))
    inner = optimizers.Adam([weight], learning_rate=0.01)
    wrapped = dist.DistributedOptimizer(inner)
    assert wrapped.learning_rate == pytest.approx(0.01)
    wrapped.learning_rate = 0.5
    assert inner.learning_rate == 0.5 and wrapped.lr == 0.5
    weight.grad = np.ones(3, dtype="float32")
    wrapped.step()
    assert inner.iterations == 1 == wrapped.iterations
    with pytest.raises(TypeError, match="save the optimizer it wraps"):
        optimizers.serialize(wrapped)
    with pytest.raises(TypeError, match="already a DistributedOptimizer"):
        dist.DistributedOptimizer(wrapped)
    with pytest.raises(TypeError, match="expected a minidl optimizer"):
        dist.DistributedOptimizer("adam")


def _train(strategy, seed=0):
    minidl.set_seed(seed)
    x = np.random.default_rng(1).normal(size=(50, 4)).astype("float32")
    y = (x[:, :1] > 0).astype("float32")
    scope = strategy.scope() if strategy is not None else _no_scope()
    with scope:
        model = Sequential([Dense(5, activation="relu", input_shape=(4,)), Dense(1, activation="sigmoid")])
        model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy", metrics.AUC(name="auc")])
    history = model.fit(x, y, batch_size=8, epochs=2, validation_split=0.2, verbose=0)
    return model.get_weights(), history.history, model.evaluate(x, y, verbose=0)


class _no_scope:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def test_a_strategy_in_a_world_of_one_changes_nothing_bit_for_bit(any_backend):
    plain = _train(None)
    parallel = _train(dist.DataParallel())
    for a, b in zip(plain[0], parallel[0]):
        np.testing.assert_array_equal(a, b)
    assert plain[1] == parallel[1] and plain[2] == parallel[2]
    assert dist.size() == 1 and dist.rank() == 0 and dist.is_primary() and dist.local_rows(3, 10) == (3, 10)


def test_the_strategy_scope_and_set_distribution_mark_the_models_compiled_under_them():
    strategy = dist.DataParallel()
    with strategy.scope():
        assert dist.distribution() is strategy
    assert dist.distribution() is None
    dist.set_distribution(strategy)
    try:
        model = Sequential([Dense(1, input_shape=(2,))])
        model.compile(optimizer="sgd", loss="mse")
        assert model._distribution is strategy
        assert isinstance(model._compiled.optimizer, dist.DistributedOptimizer)
        assert type(model.optimizer) is optimizers.SGD  # what callbacks and saving see
    finally:
        dist.set_distribution(None)
    with pytest.raises(TypeError, match="DataParallel strategy or None"):
        dist.set_distribution("data-parallel")


def test_world_of_one_collectives_return_their_input():
    array = np.arange(4.0)
    np.testing.assert_array_equal(dist.allreduce(array, op="sum"), array)
    np.testing.assert_array_equal(dist.allreduce(array), array)
    assert dist.allreduce(np.array([3, 4]), op="mean").dtype.kind == "f"
    np.testing.assert_array_equal(dist.allgather(array), array[None])
    assert dist.broadcast_object({"a": 1}) == {"a": 1} and dist.allgather_object(3) == [3]
    with pytest.raises(ValueError, match="op must be one of"):
        dist.allreduce(array, op="max")
    with pytest.raises(ValueError, match="root must be a rank"):
        dist.broadcast(array, root=1)


def test_init_rejects_a_bad_timeout(monkeypatch):
    monkeypatch.setattr(dist.world, "_world", None)
    with pytest.raises(ValueError, match="timeout must be a positive"):
        dist.init(timeout=0)
    monkeypatch.setenv("MINIDL_DISTRIBUTED_TIMEOUT", "soon")
    with pytest.raises(ValueError, match="MINIDL_DISTRIBUTED_TIMEOUT"):
        dist.init()


# -- callbacks on ranks other than 0 -----------------------------------------------------------------

def test_other_ranks_skip_rank_zero_only_callbacks_and_print_nothing(capsys, tmp_path):
    class Talker(minidl.callbacks.Callback):
        calls = 0

        def on_epoch_end(self, epoch, logs=None):
            Talker.calls += 1
            print("talking")

    checkpoint = minidl.callbacks.ModelCheckpoint(str(tmp_path / "m.npz"))
    ours = rank_callbacks.for_this_rank([Talker(), checkpoint], rank=1)
    assert isinstance(ours[0], rank_callbacks.Silenced) and isinstance(ours[1], rank_callbacks.Skipped)
    for callback in ours:
        callback.on_epoch_end(0, {"val_loss": 1.0})
    assert Talker.calls == 1 and capsys.readouterr().out == ""
    assert not (tmp_path / "m.npz").exists()
    assert rank_callbacks.for_this_rank([checkpoint], rank=0) == [checkpoint]
    assert minidl.callbacks.CSVLogger.rank_zero_only and not minidl.callbacks.EarlyStopping.rank_zero_only


# -- metrics over the ranks ----------------------------------------------------------------------------

def _metric_objects():
    return [metrics.get("accuracy"), metrics.AUC(num_thresholds=20), metrics.Precision(), metrics.MeanSquaredError()]


def test_metrics_merged_over_ranks_equal_the_metrics_over_all_rows(any_backend):
    rng = np.random.default_rng(3)
    y = (rng.random((23, 1)) > 0.4).astype("float32")
    p = rng.random((23, 1)).astype("float32")
    whole, parts = _metric_objects(), [_metric_objects(), _metric_objects()]
    for metric in whole:
        metric.update_state(backend.to_device(y), backend.to_device(p))
    for part, rows in zip(parts, (slice(0, 9), slice(9, 23))):  # 9 and 14 rows
        for metric in part:
            metric.update_state(backend.to_device(y[rows]), backend.to_device(p[rows]))
    gathered = [(metrics_sync.local_state(part), rows) for part, rows in zip(parts, (9, 14))]
    merged = metrics_sync.merged_results(parts[0], gathered)
    expected = [float(to_host(metric.result())) for metric in whole]
    np.testing.assert_allclose(merged, expected, rtol=1e-6)


def test_a_rank_that_saw_no_rows_adds_nothing_and_unknown_metrics_are_weighted_by_rows():
    class Custom(metrics.Metric):
        def update_state(self, y_true, y_pred, sample_weight=None):
            self.value = np.float64(np.mean(y_pred))

        def result(self):
            return self.value

        def reset_state(self):
            self.value = np.float64(0)

    seen, unseen, custom_a, custom_b = metrics.get("accuracy"), metrics.get("accuracy"), Custom(), Custom()
    seen.update_state(np.array([[1.0], [0.0]]), np.array([[0.9], [0.8]]))
    custom_a.update_state(None, np.array([1.0, 1.0, 1.0]))
    custom_b.update_state(None, np.array([4.0]))
    gathered = [(metrics_sync.local_state([seen, custom_a]), 3), (metrics_sync.local_state([unseen, custom_b]), 1)]
    accuracy, custom = metrics_sync.merged_results([seen, custom_a], gathered)
    assert accuracy == 0.5 and custom == pytest.approx((3 * 1.0 + 1 * 4.0) / 4)


# -- the consistency check -------------------------------------------------------------------------------

class _Gathering(fakes.MirrorCommunicator):
    def __init__(self, others):
        super().__init__()
        self.size = 1 + len(others)
        self.others = others

    def allgather_object(self, value, what="an allgather"):
        return [value] + self.others


def test_the_consistency_check_names_the_ranks_and_the_differences():
    mine = {"data": {"samples": 63, "x": ["(None, 5) float64"]}, "fit": {"epochs": 3}}
    same = {"data": {"samples": 63, "x": ["(None, 5) float64"]}, "fit": {"epochs": 3}}
    other = {"data": {"samples": 61, "x": ["(None, 4) float64"]}, "fit": {"epochs": 3}}
    consistency.check_same_on_every_rank(_Gathering([same, same]), mine, "setup")
    with pytest.raises(RankMismatchError) as raised:
        consistency.check_same_on_every_rank(_Gathering([same, other]), mine, "setup", "Run the same script")
    message = str(raised.value)
    assert "rank 2: data.samples is 61 where rank 0 has 63" in message
    assert "rank 2: data.x[0] is '(None, 4) float64' where rank 0 has '(None, 5) float64'" in message
    assert "rank 1" not in message and message.endswith("Run the same script")


# -- the watchdog ------------------------------------------------------------------------------------------

def _watchdog(timeout=5.0, neighbour_pid=None):
    comm = fakes.FakeComm(rank=0, size=2)
    peers = [watchdog.Peer(0, "here", os.getpid()), watchdog.Peer(1, "here", neighbour_pid or os.getpid())]
    return watchdog.Watchdog(fakes.FakeMPI, comm, peers, timeout), comm


def test_the_watchdog_gives_up_after_the_timeout_and_says_why():
    guard, _ = _watchdog(timeout=0.3)
    aborted = []
    started = time.monotonic()
    with pytest.raises(RankTimeoutError, match=r"waited 0.3 s in the gradient allreduce of step 5") as raised:
        guard.wait(lambda: False, "the gradient allreduce of step 5", on_timeout=lambda: aborted.append(True))
    assert 0.3 <= time.monotonic() - started < 3 and aborted == [True]
    assert "MINIDL_DISTRIBUTED_TIMEOUT" in str(raised.value)


def test_the_watchdog_raises_another_ranks_failure_notice():
    guard, comm = _watchdog()
    polls = []

    def is_done():
        polls.append(1)
        if len(polls) == 3:
            comm.deliver_notice(1, "ValueError: bad batch")
        return False

    with pytest.raises(RankFailedError, match="rank 1 failed with ValueError: bad batch") as raised:
        guard.wait(is_done, "an allgather")
    assert raised.value.failed_rank == 1
    with pytest.raises(RankFailedError):  # and keeps raising it
        guard.check_notices()


def test_the_watchdog_notices_a_dead_neighbour(monkeypatch):
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()  # reaped: its pid now belongs to nobody
    monkeypatch.setattr(watchdog, "LIVENESS_PERIOD", 0.05)
    guard, _ = _watchdog(timeout=10, neighbour_pid=child.pid)
    with pytest.raises(RankFailedError, match=rf"rank 1 \(pid {child.pid} on here\) is no longer running") as raised:
        guard.wait(lambda: False, "the gradient allreduce of step 2")
    assert raised.value.failed_rank == 1
    assert watchdog.process_is_running(os.getpid()) and not watchdog.process_is_running(child.pid)


def test_a_failing_rank_notifies_every_other_rank():
    guard, comm = _watchdog()
    guard.announce_failure("ValueError: " + "x" * 5000, grace=0.1)
    assert len(comm.sent) == 1 and comm.sent[0][0] == 1
    assert comm.sent[0][1].startswith("ValueError: xxx") and len(comm.sent[0][1]) == watchdog.NOTICE_BYTES - 1
    guard.close()
    assert comm.notice.cancelled


# -- NCCL on a fake CuPy ------------------------------------------------------------------------------------

class _HostWorld(fakes.MirrorCommunicator):
    """The MPI side of a one-rank NCCL world, with a real watchdog on fake MPI."""

    def __init__(self, timeout=5.0):
        super().__init__()
        self.size = 1
        self.watchdog, _ = _watchdog(timeout)


def test_nccl_takes_its_id_from_rank_0_and_uses_this_ranks_gpu(monkeypatch):
    cupy = fakes.fake_cupy(devices=2)
    communicator = nccl.NCCLCommunicator(_HostWorld(), cupy, local_rank=3)
    assert cupy.state.current_device == 1 and communicator.device_id == 1  # local rank 3 of 2 GPUs
    assert communicator.comm.unique_id == b"fake-nccl-id-1" and communicator.comm.ndev == 1
    with pytest.raises(RuntimeError, match="no GPU is visible"):
        nccl.select_device(fakes.fake_cupy(devices=0), 0)


def test_nccl_allreduce_is_queued_after_the_computation_and_waited_for(monkeypatch):
    monkeypatch.setattr(nccl, "device_pointer", fakes.host_pointer)
    cupy = fakes.fake_cupy()
    communicator = nccl.NCCLCommunicator(_HostWorld(), cupy, local_rank=0)
    buffer = np.arange(5, dtype=np.float32)
    handle = communicator.allreduce_start(buffer)
    call = cupy.state.log[-1]
    assert call == ("allReduce", buffer.ctypes.data, buffer.ctypes.data, 5, 7, 0, communicator.stream.ptr)
    queued = cupy.state.events[-2]
    assert queued.recorded_on is cupy.current_stream and communicator.stream.waited_for == [queued]
    handle.done.polls_before_done = 4
    communicator.wait([handle], "a test allreduce")
    assert handle.done.polls_before_done == 0 and cupy.current_stream.waited_for[-1] is handle.done
    gathered = communicator.allgather(np.arange(3, dtype=np.float64))
    np.testing.assert_array_equal(gathered, [[0, 1, 2]])
    with pytest.raises(TypeError, match="NCCL collectives support"):
        nccl.nccl_dtype(cupy.cuda.nccl, np.complex64)


def test_a_stuck_nccl_collective_is_aborted_at_the_timeout(monkeypatch):
    monkeypatch.setattr(nccl, "device_pointer", fakes.host_pointer)
    cupy = fakes.fake_cupy()
    communicator = nccl.NCCLCommunicator(_HostWorld(timeout=0.2), cupy, local_rank=0)
    handle = communicator.allreduce_start(np.zeros(3, dtype=np.float32))
    handle.done.polls_before_done = 10**9
    with pytest.raises(RankTimeoutError):
        communicator.wait([handle], "a stuck allreduce")
    assert communicator.comm.aborted


_NO_GPUS = "needs CuPy and two visible GPUs: the NCCL path is tested with two real ranks only where a machine lends them"


def _two_gpus():
    try:
        backend._load_cupy()
        return backend._load_cupy().cuda.runtime.getDeviceCount() >= 2
    except backend.BackendUnavailableError:
        return False


@pytest.mark.gpu
@pytest.mark.skipif(not _two_gpus(), reason=_NO_GPUS)
def test_two_ranks_on_two_gpus_over_nccl_equal_one_process(tmp_path):
    from tests.test_distributed_mpi import Job

    job = Job("gpu-fit", tmp_path, env={"MINIDL_BACKEND": "cupy"}).finish()
    assert job.process.returncode == 0, job.output[-4000:]
    from tests import distributed_worker as worker

    minidl.set_floatx("float64")
    model = worker.build("dense")
    worker.fit_run(model, "dense")
    with np.load(tmp_path / "dense_gpu_fit_rank0.npz") as two_ranks:
        for index, reference in enumerate(model.get_weights()):
            np.testing.assert_allclose(two_ranks[f"w{index}"], reference, rtol=1e-7, atol=1e-9)


_NO_GPU = "needs CuPy and a visible GPU (none here): the NCCL calls are tested on a fake CuPy above"


def _one_gpu():
    try:
        return backend._load_cupy().cuda.runtime.getDeviceCount() >= 1
    except backend.BackendUnavailableError:
        return False


@pytest.mark.gpu
@pytest.mark.skipif(not _one_gpu(), reason=_NO_GPU)
def test_nccl_communicator_on_one_real_gpu():
    """CuPy's real NCCL bindings in a world of one GPU: id, allReduce, bcast, allGather, events."""
    cupy = backend._load_cupy()
    communicator = nccl.NCCLCommunicator(_HostWorld(), cupy, local_rank=0)
    buffer = cupy.arange(6, dtype=cupy.float32)
    communicator.wait([communicator.allreduce_start(buffer)], "a one-GPU allreduce")
    np.testing.assert_array_equal(cupy.asnumpy(buffer), np.arange(6))
    doubles = cupy.arange(4, dtype=cupy.float64)
    communicator.broadcast(doubles, root=0)
    np.testing.assert_array_equal(cupy.asnumpy(communicator.allgather(doubles)), [np.arange(4)])


def test_keras_and_tensorflow_strategy_names_are_minidls_data_parallel():
    import minidl.keras as keras
    import minidl.tf as tf
    from minidl.distributed import DataParallel

    for strategy in (tf.distribute.MirroredStrategy(), tf.distribute.MultiWorkerMirroredStrategy(),
                     keras.distribution.DataParallel(devices=["cpu:0"])):
        assert isinstance(strategy, DataParallel)
        assert strategy.num_replicas_in_sync == 1  # no launcher: a world of one
    strategy = tf.distribute.MirroredStrategy()
    with strategy.scope():
        assert tf.distribute.get_strategy() is strategy
        model = keras.Sequential([keras.layers.Dense(1, input_shape=(3,))])
        model.compile(optimizer="sgd", loss="mse")
    model.fit(np.ones((8, 3)), np.ones((8, 1)), batch_size=4 * strategy.num_replicas_in_sync, verbose=0)
    assert keras.distribution.list_devices() == ["rank:0"]
