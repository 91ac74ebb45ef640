"""Worker processes sharing arrays (minidl.runtime.forked_workers), and word2vec trained by them."""

import mmap
import os
import signal
import sys
import time

import numpy as np
import pytest

import minidl
from minidl.runtime import forked_workers
from minidl.runtime.forked_workers import WorkerFailed, process_count, run_in_forked_processes, shared_copy
from minidl.text import Word2Vec, word2vec
from tests.test_word2vec import topic_corpus

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="worker processes are forked on Linux only")


def test_every_worker_runs_once_in_its_own_process_and_writes_into_the_shared_array():
    seen = shared_copy(np.zeros((4, 2)))  # (pid, worker + 1) per worker

    def task(worker):
        seen[worker] = os.getpid(), worker + 1

    run_in_forked_processes(task, 4)
    np.testing.assert_array_equal(seen[:, 1], [1, 2, 3, 4])
    assert seen[0, 0] == os.getpid() and len(set(seen[:, 0])) == 4


def test_shared_copy_has_the_values_shape_and_dtype_of_the_original():
    original = np.arange(12, dtype=np.float32).reshape(3, 4)
    copy = shared_copy(original)
    assert copy.shape == (3, 4) and copy.dtype == np.float32
    np.testing.assert_array_equal(copy, original)
    copy[0, 0] = 99
    assert original[0, 0] == 0  # a copy, not a view
    assert shared_copy(np.zeros((0, 5))).shape == (0, 5)


def test_a_child_that_raises_is_named_with_its_traceback():
    def task(worker):
        if worker == 1:
            raise ValueError("share 1 is damaged")

    with pytest.raises(WorkerFailed, match=r"(?s)1 of 3 worker processes failed.*worker 1 .*ValueError: share 1 is damaged"):
        run_in_forked_processes(task, 3)


def test_a_child_killed_by_a_signal_is_reported():
    def task(worker):
        if worker == 1:
            os.kill(os.getpid(), signal.SIGKILL)

    with pytest.raises(WorkerFailed, match="worker 1 .*killed by SIGKILL"):
        run_in_forked_processes(task, 2)


def test_when_this_process_fails_the_children_are_stopped_and_reaped():
    pids = shared_copy(np.zeros(3, dtype=np.int64))

    def task(worker):
        pids[worker] = os.getpid()
        if worker == 0:
            deadline = time.monotonic() + 10
            while not pids[1:].all() and time.monotonic() < deadline:  # both children started
                time.sleep(0.01)
            raise KeyError("worker 0 failed")
        time.sleep(60)

    started = time.perf_counter()
    with pytest.raises(KeyError, match="worker 0 failed"):
        run_in_forked_processes(task, 3)
    assert time.perf_counter() - started < 15
    assert pids[1:].all()
    for pid in pids[1:]:
        with pytest.raises(ChildProcessError):  # already reaped: no zombie left behind
            os.waitpid(int(pid), os.WNOHANG)


def test_process_count_needs_cores_work_and_the_numpy_backend(monkeypatch):
    monkeypatch.setattr(forked_workers, "cpu_workers", lambda: 2)
    assert process_count(3, 1_000_000, 100_000) == 2  # no more than the cores
    assert process_count(3, 150_000, 100_000) == 1  # every worker needs its share of the work
    assert process_count(1, 1_000_000, 100_000) == 1
    previous = minidl.get_backend()
    minidl.set_backend("simulated")
    try:
        assert process_count(3, 1_000_000, 100_000) == 1  # only NumPy arrays can be forked and shared
    finally:
        minidl.set_backend(previous)


def _examples_reported(capsys):
    line = [line for line in capsys.readouterr().out.splitlines() if "training examples" in line][-1]
    return int(line.split(":")[1].split()[0])


@pytest.mark.parametrize("sg", [0, 1])
def test_word2vec_on_two_processes_trains_every_share_and_learns_the_topics(sg, monkeypatch, capsys):
    monkeypatch.setattr(forked_workers, "cpu_workers", lambda: 2)
    monkeypatch.setattr(word2vec, "MIN_WORDS_PER_WORKER", 1000)
    corpus = topic_corpus(sentences=1200)
    settings = dict(vector_size=16, window=3, min_count=1, sample=0, sg=sg, seed=3, batch_size=256, verbose=True)
    Word2Vec(corpus, epochs=1, workers=1, **settings)
    one_process = _examples_reported(capsys)
    model = Word2Vec(corpus, epochs=5, workers=2, **settings)
    # each process reports its share's examples back through shared memory: together, all of them
    # (one share would be half); skip-gram's count varies a little with the random reduced windows
    assert _examples_reported(capsys) == pytest.approx(one_process, rel=0.02)
    within = np.mean([model.wv.similarity("fruit0", f"fruit{i}") for i in range(1, 8)])
    across = np.mean([model.wv.similarity("fruit0", f"tool{i}") for i in range(8)])
    assert within > across + 0.3, (within, across)
    for table in (model.input_vectors.data, model.output_vectors.data):  # own arrays again, not shared memory
        while table is not None and not isinstance(table, mmap.mmap):
            table = getattr(table, "base", None)
        assert table is None


def test_word2vec_with_default_workers_on_a_small_corpus_is_reproducible():
    first, second = (Word2Vec(topic_corpus(), vector_size=8, window=3, min_count=1, epochs=2, seed=5) for _ in range(2))
    assert first.workers == 3  # gensim 3's default; too few words for more than one process here
    np.testing.assert_array_equal(first.wv.vectors, second.wv.vectors)


def test_word2vec_workers_must_be_a_positive_integer():
    with pytest.raises(ValueError, match="workers must be a positive integer, got 0"):
        Word2Vec(workers=0)
