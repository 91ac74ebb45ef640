"""Waiting for the other ranks without ever hanging.

A blocking collective waits forever for a rank that died, hangs, or runs other code. So minidl
starts every collective non-blocking and polls it here, and while it polls it watches for
three ways the wait can end badly:

1. A failure notice: a rank whose program raised sends every other rank a short message (the
   exception's type and text) on a communicator of its own, before it stops the job
   (``minidl.distributed.faults``). The waiting ranks raise ``RankFailedError`` naming it.
2. A dead peer: about once a second the ranks on the same host check that each other's process
   still runs (``/proc/<pid>``); a process killed by a signal or crashed inside C code sends no
   notice, so this is how its neighbours learn of it.
3. Time: after ``timeout`` seconds (``MINIDL_DISTRIBUTED_TIMEOUT``, default 300) the wait gives
   up with ``RankTimeoutError`` -- the last resort for a hung rank or one on another host.

Polling uses no CPU time worth mentioning: it spins for the first few hundred polls (a
collective between ranks that arrive together completes in microseconds), then sleeps between
polls, a little longer each time up to half a millisecond.
"""

import os
import time

from minidl.errors import RankFailedError, RankTimeoutError

DEFAULT_TIMEOUT = 300.0
NOTICE_BYTES = 2048
NOTICE_TAG = 7
LIVENESS_PERIOD = 1.0
SPIN_POLLS = 300
LONGEST_PAUSE = 5e-4


def timeout_from_environment():
    """``MINIDL_DISTRIBUTED_TIMEOUT`` in seconds, or the default; a bad value is an error."""
    text = os.environ.get("MINIDL_DISTRIBUTED_TIMEOUT")
    if not text:
        return DEFAULT_TIMEOUT
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise ValueError(f"MINIDL_DISTRIBUTED_TIMEOUT must be a positive number of seconds, got {text!r}")
    return value


def process_is_running(pid):
    """False once process ``pid`` has exited or been killed (a zombie counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[-1].split()
        return bool(fields) and fields[0] not in ("Z", "X")
    except FileNotFoundError:
        return False
    except OSError:  # no /proc (not Linux): ask the kernel whether the pid exists
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True


class Peer:
    """Where another rank runs: its host name and process id."""

    __slots__ = ("rank", "host", "pid")

    def __init__(self, rank, host, pid):
        self.rank, self.host, self.pid = rank, host, pid

    def describe(self):
        return f"rank {self.rank} (pid {self.pid} on {self.host})"


class Watchdog:
    """Polls started collectives with a deadline, failure notices and a liveness check."""

    def __init__(self, mpi, comm, peers, timeout):
        self._mpi = mpi
        self.rank = comm.Get_rank()
        self.size = comm.Get_size()
        self.timeout = float(timeout)
        self.peers = list(peers)
        self._neighbours = [p for p in self.peers if p.rank != self.rank and p.host == self.peers[self.rank].host]
        self._channel = comm.Dup()  # notices never mix with the training's own messages
        self._notice = bytearray(NOTICE_BYTES)
        self._notice_status = mpi.Status()
        self._notice_request = self._channel.Irecv([self._notice, mpi.BYTE], source=mpi.ANY_SOURCE, tag=NOTICE_TAG)
        self.failure = None  # the RankFailedError once one was seen; raised again on every check

    # -- waiting --------------------------------------------------------------------------------
    def wait(self, is_done, what, on_timeout=None):
        """Poll ``is_done()`` until it returns True; raise RankFailedError / RankTimeoutError
        (after calling ``on_timeout``, e.g. to abort a NCCL communicator) instead of hanging."""
        started = time.monotonic()
        next_liveness_check = started + LIVENESS_PERIOD
        polls = 0
        while not is_done():
            self.check_notices()
            polls += 1
            now = time.monotonic()
            if now >= next_liveness_check:
                self.check_neighbours(what)
                next_liveness_check = now + LIVENESS_PERIOD
            if now - started >= self.timeout:
                if on_timeout is not None:
                    on_timeout()
                raise RankTimeoutError(
                    f"minidl.distributed: rank {self.rank} of {self.size} waited {self.timeout:g} s in {what}, and "
                    "not every rank joined. A rank is hung, runs different code (another number of steps, "
                    "batches or epochs; a collective called on some ranks only), or died on another host. "
                    "The limit is minidl.distributed.init(timeout=...) or MINIDL_DISTRIBUTED_TIMEOUT."
                )
            if polls > SPIN_POLLS:
                time.sleep(min(LONGEST_PAUSE, 1e-5 * (polls - SPIN_POLLS)))

    def check_notices(self):
        """Raise RankFailedError if another rank announced that it failed."""
        if self.failure is None and self._notice_request.Test(self._notice_status):
            source = self._notice_status.Get_source()
            text = bytes(self._notice).split(b"\0", 1)[0].decode("utf-8", "replace")
            self.failure = RankFailedError(
                f"rank {source} failed with {text} (its traceback is in its output); every rank stops",
                failed_rank=source,
            )
        if self.failure is not None:
            raise self.failure

    def check_neighbours(self, what):
        """Raise RankFailedError if a rank on this host is no longer running."""
        for peer in self._neighbours:
            if not process_is_running(peer.pid):
                self.failure = RankFailedError(
                    f"{peer.describe()} is no longer running -- it was killed or crashed without a Python "
                    f"exception -- while rank {self.rank} waited in {what}; every rank stops",
                    failed_rank=peer.rank,
                )
                raise self.failure

    # -- failing --------------------------------------------------------------------------------
    def announce_failure(self, text, grace=15.0, linger=10.0):
        """Tell every other rank that this one failed (``text``: the exception in one line).

        Synchronous sends complete once the receiver's MPI has matched them, which happens while
        it polls a collective; after ``grace`` seconds we stop waiting for ranks that are busy
        elsewhere (the job is aborted next anyway). 15 s, not 5: once, in a full test run that
        starts several two-rank jobs together on two cores, a job stopped without the other
        rank's line naming the failure -- most likely that rank reached its next collective
        after the 5 s (not reproduced since, alone or under load); a clear message is worth a
        few more seconds in the rare stop where a rank is busy elsewhere. A rank that did take the notice prints its
        line and aborts the job, which ends this process too; we give it up to ``linger`` seconds
        to do so (a loaded machine can take a while) before aborting the job ourselves."""
        encoded = text.encode("utf-8", "replace")[: NOTICE_BYTES - 1]
        message = bytearray(encoded + b"\0" * (NOTICE_BYTES - len(encoded)))
        requests = []
        for peer in self.peers:
            if peer.rank == self.rank or (peer in self._neighbours and not process_is_running(peer.pid)):
                continue
            requests.append(self._channel.Issend([message, self._mpi.BYTE], dest=peer.rank, tag=NOTICE_TAG))
        if not requests:
            return
        if self._progress_until(lambda: self._mpi.Request.Testall(requests), grace):
            self._progress_until(lambda: False, linger)

    def _progress_until(self, is_done, seconds):
        """Keep this rank's MPI progressing until ``is_done()`` or ``seconds`` pass; True if done."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if is_done():
                return True
            self._notice_request.Test()
            time.sleep(1e-3)
        return is_done()

    def wait_for_notice(self, seconds):
        """Wait up to ``seconds`` for another rank's failure notice (True if one came)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.failure is not None or self._notice_request.Test(self._notice_status):
                return True
            time.sleep(1e-3)
        return False

    def close(self):
        """Withdraw the notice receive so that MPI can finalize (at the normal end of a run)."""
        if self.failure is None and not self._notice_request.Test():
            self._notice_request.Cancel()
            self._notice_request.Wait()
        self._channel.Free()
