"""Data parallelism with two real MPI ranks: the same weights as one process, and faults that
stop every rank with a clear message instead of hanging.

Each test launches ``mpiexec -n 2 python tests/distributed_worker.py ...`` (the ``mpiexec`` of
the ``mpich`` wheel in this environment) and compares what the ranks wrote with the same
training done here in one process. The jobs of this module run side by side, started once per
module, so the suite waits for the slowest of them rather than their sum.
"""

import json
import math
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import minidl
from tests import distributed_worker as worker
from tests.conftest import data_dir

WORKER = pathlib.Path(worker.__file__)
EXAMPLE = WORKER.parent.parent / "examples" / "lstm_imdb.py"


def _mpiexec():
    beside_python = shutil.which("mpiexec", path=os.path.dirname(sys.executable))
    return beside_python or shutil.which("mpiexec")


def _unavailable_reason():
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return "needs mpi4py and an MPI library: pip install -e '.[test]' installs mpi4py and mpich"
    if _mpiexec() is None:
        return "needs an MPI launcher (mpiexec) beside this Python or on PATH: pip install mpich"
    return None


pytestmark = pytest.mark.skipif(_unavailable_reason() is not None, reason=_unavailable_reason() or "")

FAULT_TIMEOUT_S = 4  # MINIDL_DISTRIBUTED_TIMEOUT of the hang scenario
WITHIN_S = 60  # every failing job must have ended (non-zero) well within this


class Job:
    """One ``mpiexec -n 2`` run of the worker, started now and collected later."""

    def __init__(self, scenario, out, launcher_options=(), timeout=None, env=None, script=None):
        env = {**{k: v for k, v in os.environ.items() if k != "MINIDL_BACKEND"}, **(env or {})}
        if timeout is not None:
            env["MINIDL_DISTRIBUTED_TIMEOUT"] = str(timeout)
        arguments = [str(WORKER), scenario, str(out)] if script is None else [str(script), *scenario]
        self.command = [_mpiexec(), *launcher_options, "-n", "2", sys.executable, *arguments]
        self.started = time.monotonic()
        self.process = subprocess.Popen(self.command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                        start_new_session=True, env=env)
        self.output = None

    def finish(self, limit=WITHIN_S * 2):
        if self.output is None:
            try:
                self.output, _ = self.process.communicate(timeout=max(1, limit - (time.monotonic() - self.started)))
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.output, _ = self.process.communicate()
                self.output += "\n[killed by the test: the job hung]"
            self.seconds = time.monotonic() - self.started
        return self


def _one_process_dense_checkpoint(path):
    """Two epochs of the dense model in one process, saved as the checkpoint to resume."""
    minidl.set_floatx("float64")
    model = worker.build("dense")
    worker.fit_run(model, "dense")
    model.save(str(path))


@pytest.fixture(scope="module")
def jobs(tmp_path_factory):
    """Start every job of this module at once; each test collects its own."""
    root = tmp_path_factory.mktemp("distributed")
    equality_dir = root / "equality"
    equality_dir.mkdir()
    _one_process_dense_checkpoint(equality_dir / "dense_one_process_checkpoint.npz")
    minidl.set_floatx("float32")
    started = {"equality": Job("equality", equality_dir)}
    for mode in ("raise", "kill", "mismatch-data", "mismatch-model"):
        started[mode] = Job(f"fault:{mode}", root)
    started["hang"] = Job("fault:hang", root, timeout=FAULT_TIMEOUT_S)
    example_dir = root / "lstm_imdb"
    started["example"] = Job(["--quick", "--distributed", "--out", str(example_dir)], None, script=EXAMPLE,
                             env={"MINIDL_DATA_DIR": str(data_dir()), "MPLBACKEND": "Agg"})
    started["example"].out = example_dir
    cnn_dir = root / "mnist_cnn"
    started["cnn example"] = Job(["--quick", "--epochs", "1", "--distributed", "--out", str(cnn_dir)], None,
                                 script=EXAMPLE.parent / "mnist_cnn.py",
                                 env={"MINIDL_DATA_DIR": str(data_dir()), "MPLBACKEND": "Agg"})
    started["cnn example"].out = cnn_dir
    yield started, equality_dir
    for job in started.values():
        job.finish()


def _load(path):
    with np.load(path) as archive:
        return {key: archive[key] for key in archive.files}


def _weights(record):
    return [record[f"w{i}"] for i in range(sum(key.startswith("w") for key in record))]


def _equality_outputs(jobs):
    started, out = jobs
    job = started["equality"].finish()
    assert job.process.returncode == 0, f"the two-rank equality run failed:\n{job.output[-4000:]}"
    return out


def _assert_close_weights(two_ranks, one_process, what):
    for index, (mine, reference) in enumerate(zip(two_ranks, one_process)):
        np.testing.assert_allclose(mine, reference, rtol=1e-10, atol=1e-12, err_msg=f"{what}: weight {index}")


@pytest.mark.parametrize("kind", worker.KINDS)
def test_two_ranks_fit_equals_one_process(jobs, kind):
    """fit(batch_size=7) on two ranks (shares 3 and 4, a last batch of one row) gives the weights,
    losses and validation metrics of one process, in float64, to rounding; both ranks agree bitwise."""
    out = _equality_outputs(jobs)
    ranks = [_load(out / f"{kind}_fit_rank{r}.npz") for r in (0, 1)]
    for mine, theirs in zip(_weights(ranks[0]), _weights(ranks[1])):
        np.testing.assert_array_equal(mine, theirs, err_msg="the ranks' weights differ")
    minidl.set_floatx("float64")
    model = worker.build(kind)
    history = worker.fit_run(model, kind)
    history["evaluate"] = worker.evaluate_run(model, kind)
    # each rank really took its own rows: 50 training rows in batches of 7 (3 + 4, the last row
    # to rank 1), 13 validation rows (3 + 4, 3 + 3), 63 evaluation rows in batches of 5 (2 + 3,
    # the last 3 rows 1 + 2)
    assert [int(ranks[r]["h_rows_trained"][0]) for r in (0, 1)] == [21, 29]
    assert [int(ranks[r]["h_rows_validated"][0]) for r in (0, 1)] == [6, 7]
    assert [int(ranks[r]["h_rows_evaluated"][0]) for r in (0, 1)] == [25, 38]
    _assert_close_weights(_weights(ranks[0]), model.get_weights(), f"{kind} through fit")
    for key, values in history.items():
        np.testing.assert_allclose(ranks[0][f"h_{key}"], values, rtol=1e-10, err_msg=f"{kind}: history {key}")
    assert set(history) == {"loss", "accuracy", "val_loss", "val_accuracy", "evaluate"}, history.keys()
    np.testing.assert_array_equal(ranks[0]["h_evaluate"], ranks[1]["h_evaluate"])


def test_two_ranks_on_the_simulated_device_equal_one_process(jobs):
    """Device arrays (CuPy's host rules, simulated) go through MPI by explicit host copies."""
    out = _equality_outputs(jobs)
    minidl.set_floatx("float64")
    model = worker.build("dense")
    history = worker.fit_run(model, "dense")
    fitted = _load(out / "dense_simulated_fit_rank0.npz")
    _assert_close_weights(_weights(fitted), model.get_weights(), "simulated device, fit")
    np.testing.assert_allclose(fitted["h_val_loss"], history["val_loss"], rtol=1e-10)
    _assert_close_weights(_weights(_load(out / "dense_simulated_lowlevel_rank0.npz")),
                          worker.lowlevel_run("dense").get_weights(), "simulated device, low level")


def test_two_ranks_fit_on_a_sequence_equals_one_process(jobs):
    """A Sequence's batches arrive whole on every rank; each rank trains on its rows of them."""
    out = _equality_outputs(jobs)
    minidl.set_floatx("float64")
    model = worker.build("recurrent")
    history = worker.sequence_run(model, "recurrent")
    two_ranks = _load(out / "recurrent_sequence_rank0.npz")
    _assert_close_weights(_weights(two_ranks), model.get_weights(), "Sequence")
    np.testing.assert_allclose(two_ranks["h_loss"], history["loss"], rtol=1e-10)


def test_train_on_batch_averages_each_ranks_own_batch(jobs):
    """Each rank's own 7 rows, gradients averaged: one process's step on all 14 rows."""
    out = _equality_outputs(jobs)
    minidl.set_floatx("float64")
    model, _ = worker.train_on_batch_run("dense")
    _assert_close_weights(_weights(_load(out / "dense_train_on_batch_rank0.npz")), model.get_weights(),
                          "train_on_batch")


@pytest.mark.parametrize("kind", ["own-step", "two-optimizers"])
def test_a_users_own_train_step_averages_every_optimizer_over_the_ranks(jobs, kind):
    """An overridden train_step -- self.optimizer, or two optimizers one after the other -- trains
    as one process does (each rank's gradients weighted by its rows; the last one-row batch leaves
    rank 0 without rows); logs that are a metric's result merge exactly over the ranks."""
    out = _equality_outputs(jobs)
    ranks = [_load(out / f"{kind}_rank{r}.npz") for r in (0, 1)]
    for mine, theirs in zip(_weights(ranks[0]), _weights(ranks[1])):
        np.testing.assert_array_equal(mine, theirs, err_msg="the ranks' weights differ")
    minidl.set_floatx("float64")
    model, history = worker.own_step_run(kind)
    _assert_close_weights(_weights(ranks[0]), model.get_weights(), f"{kind}: weights")
    exact = ["accuracy"] if kind == "own-step" else []
    assert set(history) == {"loss", "accuracy"} if kind == "own-step" else {"first_loss", "second_loss"}
    for key in exact:
        np.testing.assert_allclose(ranks[0][f"h_{key}"], history[key], rtol=1e-10, err_msg=f"{kind}: {key}")
    np.testing.assert_array_equal(ranks[0][f"h_{sorted(history)[0]}"], ranks[1][f"h_{sorted(history)[0]}"])


def test_each_rank_draws_its_own_dropout_masks_and_the_weights_stay_equal(jobs):
    """Seeded alike, the ranks would drop the same units of their rows; fit splits the mask stream
    by rank (as each row of one process's batch has its own mask), the weights stay in step."""
    out = _equality_outputs(jobs)
    ranks = [_load(out / f"dropout_rank{r}.npz") for r in (0, 1)]
    for mine, theirs in zip(_weights(ranks[0]), _weights(ranks[1])):
        np.testing.assert_array_equal(mine, theirs, err_msg="the ranks' weights differ")
    masks = [rank["h_first_mask"] for rank in ranks]
    assert set(np.unique(masks[0])) == {0.0, 2.0}
    assert not np.array_equal(masks[0], masks[1]), "both ranks drew the same dropout mask"


@pytest.mark.parametrize("kind", worker.KINDS)
def test_two_ranks_low_level_loop_equals_one_process(jobs, kind):
    """DistributedOptimizer + broadcast_parameters + local_rows, with uneven shares."""
    out = _equality_outputs(jobs)
    ranks = [_load(out / f"{kind}_lowlevel_rank{r}.npz") for r in (0, 1)]
    for mine, theirs in zip(_weights(ranks[0]), _weights(ranks[1])):
        np.testing.assert_array_equal(mine, theirs, err_msg="the ranks' weights differ")
    minidl.set_floatx("float64")
    _assert_close_weights(_weights(ranks[0]), worker.lowlevel_run(kind).get_weights(), f"{kind} low level")


def test_nccl_communicator_on_a_fake_cupy_trains_like_one_process(jobs):
    """The NCCL path's Python side (id exchange over MPI, pointers, streams, events, buckets) on
    two real ranks, with CuPy's bindings faked on host memory; the real NCCL test needs GPUs."""
    out = _equality_outputs(jobs)
    minidl.set_floatx("float64")
    ranks = [_load(out / f"dense_nccl_fake_rank{r}.npz") for r in (0, 1)]
    _assert_close_weights(_weights(ranks[0]), worker.lowlevel_run("dense").get_weights(), "NCCL on fake CuPy")
    for mine, theirs in zip(_weights(ranks[0]), _weights(ranks[1])):
        np.testing.assert_array_equal(mine, theirs)


def test_only_rank_0_prints_and_runs_rank_zero_only_callbacks(jobs):
    started, out = jobs
    output = started["equality"].finish().output
    assert (out / "marker_rank0").exists() and not (out / "marker_rank1").exists()
    assert "epoch 1 ends on rank 0" in output and "ends on rank 1" not in output, output[-3000:]


def test_checkpoints_resume_with_any_world_size(jobs):
    """A one-process checkpoint resumed on two ranks, and the two-rank run's checkpoint (written
    by rank 0 only) resumed in one process, both match one process resuming its own."""
    out = _equality_outputs(jobs)
    minidl.set_floatx("float64")
    reference = minidl.models.load_model(str(out / "dense_one_process_checkpoint.npz"))
    reference_history = worker.fit_run(reference, "dense", epochs=3, initial_epoch=2)
    two_ranks = _load(out / "dense_resumed_rank0.npz")
    _assert_close_weights(_weights(two_ranks), reference.get_weights(), "one-process checkpoint resumed on 2 ranks")
    np.testing.assert_allclose(two_ranks["h_loss"], reference_history["loss"], rtol=1e-10)

    from_two_ranks = minidl.models.load_model(str(out / "dense_checkpoint.npz"))
    worker.fit_run(from_two_ranks, "dense", epochs=3, initial_epoch=2)
    _assert_close_weights(from_two_ranks.get_weights(), reference.get_weights(), "two-rank checkpoint resumed in 1")


def _failed(jobs, name):
    started, _ = jobs
    job = started[name].finish()
    assert job.process.returncode != 0, f"{name}: the job should have failed:\n{job.output[-3000:]}"
    assert job.seconds < WITHIN_S, f"{name}: took {job.seconds:.0f} s to stop"
    assert "finished" not in job.output, job.output[-3000:]
    return job.output


def test_a_rank_that_raises_stops_every_rank_naming_it(jobs):
    output = _failed(jobs, "raise")
    assert "ValueError: rank 1 cannot go on" in output  # its own traceback
    assert "rank 0 of 2" in output and "stops: rank 1 failed with ValueError: rank 1 cannot go on" in output


def test_a_killed_rank_stops_the_job(jobs):
    """SIGKILL: the launcher (MPICH's hydra) ends the whole job at once and names the signal."""
    output = _failed(jobs, "kill")
    assert "signal 9" in output or "KILLED BY SIGNAL: 9" in output or "EXIT CODE: 9" in output, output[-3000:]


def test_a_hung_rank_ends_the_run_after_the_timeout(jobs):
    """Rank 1 sleeps in its 4th step; rank 0 gives up after MINIDL_DISTRIBUTED_TIMEOUT seconds
    (in the gradient allreduce it waits in -- or earlier, should this busy machine have delayed
    rank 1 that long before training: the timeout's message names where it waited)."""
    output = _failed(jobs, "hang")
    assert f"rank 0 of 2 waited {FAULT_TIMEOUT_S} s in " in output, output[-3000:]
    assert "MINIDL_DISTRIBUTED_TIMEOUT" in output


def test_ranks_with_different_data_are_stopped_before_training(jobs):
    output = _failed(jobs, "mismatch-data")
    assert "RankMismatchError" in output
    assert "rank 1: data.samples is 61 where rank 0 has 63" in output, output[-3000:]


def test_ranks_with_different_models_are_stopped_before_training(jobs):
    output = _failed(jobs, "mismatch-model")
    assert "RankMismatchError" in output
    assert "rank 1: model.weights[0] is '(5, 7) float64' where rank 0 has '(5, 6) float64'" in output, output[-3000:]


def test_the_lstm_imdb_example_runs_on_two_ranks(jobs):
    """mpiexec -n 2 python examples/lstm_imdb.py --quick --distributed: rank 0 alone prints and
    writes, and metrics.json records the world size."""
    started, _ = jobs
    job = started["example"].finish()
    assert job.process.returncode == 0, job.output[-4000:]
    record = json.loads((job.out / "metrics.json").read_text())
    assert record["world_size"] == 2 and record["config"]["distributed"] is True
    assert all(math.isfinite(record["metrics"][key]) for key in ("test_loss", "test_accuracy"))
    assert job.output.count("Test accuracy:") == 1 and job.output.count("Epoch 1/3") == 1
    assert sorted(path.name for path in job.out.iterdir()) == ["curves.png", "metrics.json"]


def test_the_lm3_cnn_example_runs_on_two_ranks(jobs):
    """mpiexec -n 2 python examples/mnist_cnn.py --quick --distributed: one log, rank 0 alone
    saves and reloads the model, metrics.json records the world size."""
    started, _ = jobs
    job = started["cnn example"].finish()
    assert job.process.returncode == 0, job.output[-4000:]
    record = json.loads((job.out / "metrics.json").read_text())
    assert record["world_size"] == 2 and record["metrics"]["reloaded_predicts_identically"] is True
    assert job.output.count("Test accuracy:") == 1 and job.output.count("Epoch 1/1") == 1
    assert sorted(path.name for path in job.out.iterdir()) == [
        "curves.png", "digits.png", "metrics.json", "model.json", "model.weights.npz"]
