"""Several worker processes updating the same NumPy arrays at once, without locks ("Hogwild!",
Recht et al., 2011) -- how word2vec trains on more than one core.

gensim's word2vec runs its workers as threads, each training on its own share of the corpus and
writing into the shared tables without locks. minidl's word2vec step cannot do that with threads:
its largest part, NumPy's scatter-add (``np.add.at``), holds the GIL, so two threads take turns
rather than run together (measured: 1.07x on two cores). Forked processes have no shared GIL, and
arrays placed in shared memory (:func:`shared_copy`) are seen and written by all of them.

* :func:`process_count` -- how many worker processes to use: at most the cores this process may
  run on, only on Linux with the NumPy backend (fork is unsafe on macOS, and a GPU context does
  not survive a fork), and only where each worker gets enough work to pay for its start;
* :func:`shared_copy` -- a copy of an array in memory that forked children share with the parent;
* :func:`run_in_forked_processes` -- ``task(worker)`` for every worker at once: worker 0 in this
  process, the others in forked children; an exception in any of them is raised here.

Results are not reproducible with more than one worker: which update lands first, and which of
two colliding ones is lost, depends on timing (as with gensim's threads). One worker is exactly
the single-process computation.

A forked child holds copies of this process's threads' objects but not the threads themselves,
so a task must not use minidl's thread pools (``minidl.runtime.parallel``) or multi-threaded BLAS;
word2vec's step uses neither.
"""

import gc
import mmap
import os
import signal
import sys
import traceback
import warnings

import numpy as np

from minidl.runtime import backend
from minidl.runtime.parallel import cpu_workers

FAILURE_REPORT_BYTES = 16_384  # the tail of a failed child's traceback sent back to the parent


def process_count(requested, work_items, min_items_per_worker):
    """How many processes to run ``requested`` workers on: no more than the usable cores, and no
    more than leave every worker ``min_items_per_worker`` of the ``work_items``; 1 where forking
    is not available or not safe (not Linux, or a backend other than NumPy)."""
    if sys.platform != "linux" or not hasattr(os, "fork") or backend.get_backend() != "numpy":
        return 1
    return max(1, min(int(requested), cpu_workers(), work_items // max(1, min_items_per_worker)))


def shared_copy(array):
    """A copy of the host array ``array`` in anonymous shared memory: processes forked after this
    call read and write the same numbers (the memory is freed with the last array viewing it)."""
    array = np.asarray(array)
    memory = mmap.mmap(-1, max(1, array.nbytes))  # MAP_SHARED | MAP_ANONYMOUS
    copy = np.frombuffer(memory, dtype=array.dtype, count=array.size).reshape(array.shape)
    copy[...] = array
    return copy


class WorkerFailed(RuntimeError):
    """A forked worker process raised an exception or was killed."""


def run_in_forked_processes(task, count):
    """Run ``task(worker)`` for worker = 0 .. count-1 at the same time and return when all are done:
    worker 0 in this process, the others in child processes forked here. What the children
    should hand back they write into arrays from :func:`shared_copy`. An exception raised by
    worker 0 propagates (the children are stopped first); one raised by a child, or a child's
    death by a signal, raises :class:`WorkerFailed` with the child's traceback."""
    children = []  # (worker, pid, file descriptor its failure report arrives on)
    try:
        for worker in range(1, count):
            children.append(_fork(task, worker))
        task(0)
    except BaseException:
        for _, pid, _ in children:
            os.kill(pid, signal.SIGKILL)
        for child in children:
            _join(child)
        raise
    failures = [failure for failure in map(_join, children) if failure]
    if failures:
        raise WorkerFailed(f"{len(failures)} of {count} worker processes failed:\n" + "\n".join(failures))


def _fork(task, worker):
    report_read, report_write = os.pipe()
    with warnings.catch_warnings():
        # Python 3.12+ warns that forking a multi-threaded process may deadlock the child on a
        # lock some other thread held; the child runs only ``task``'s NumPy code (see the module
        # docstring), which takes no such lock.
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:
        os.close(report_read)
        _run_child(task, worker, report_write)  # does not return
    os.close(report_write)
    return worker, pid, report_read


def _run_child(task, worker, report):
    # The parent's objects are shared with the child page by page until either writes to them; a
    # garbage collection would write to every one of them (its bookkeeping), copying them all.
    gc.disable()
    status = 1
    try:
        task(worker)
        status = 0
    except BaseException:
        os.write(report, traceback.format_exc().encode()[-FAILURE_REPORT_BYTES:])
    finally:
        # leave at once: no atexit handlers, no flushing of stdio buffers copied from the parent
        os._exit(status)


def _join(child):
    """Wait for a child; its failure as text, or None if it finished cleanly."""
    worker, pid, report_read = child
    _, status = os.waitpid(pid, 0)
    with os.fdopen(report_read, "rb") as report:
        text = report.read().decode(errors="replace").strip()
    code = os.waitstatus_to_exitcode(status)
    if code == 0:
        return None
    if code < 0:
        name = signal.Signals(-code).name
        return f"worker {worker} (pid {pid}) was killed by {name}" + (" (out of memory?)" if name == "SIGKILL" else "")
    return f"worker {worker} (pid {pid}) raised:\n{text or f'(exit status {code}, no traceback)'}"
