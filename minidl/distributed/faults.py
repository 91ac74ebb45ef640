"""What happens when one rank of a data-parallel run fails: every rank stops, and says why.

Installed by ``minidl.distributed.init()`` in a world of several processes, as Python's
``sys.excepthook`` (which runs for an exception nobody caught):

* The rank whose program raised prints its traceback under a line naming it, sends every other
  rank a failure notice (the exception in one line), and aborts the MPI job.
* A rank that was waiting for the failed one receives the notice inside its collective
  (``Watchdog``), raises ``RankFailedError`` naming the failed rank, and arrives here too: it
  prints that single line -- its own traceback would only show where it was waiting -- and
  aborts.

Aborting (``MPI_Abort``) makes the launcher stop every process of the job, including any that
were busy elsewhere and never saw the notice, so a failure never leaves the others hanging.
A rank killed outright (a signal, a crash in C code) runs no Python at all: the launcher
usually stops the job at once, and otherwise its neighbours' watchdog notices the dead process
within about a second (or the timeout does).
"""

import os
import sys
import traceback

from minidl.errors import RankFailedError, RankMismatchError, RankTimeoutError


def install(world):
    """Make an uncaught exception on any rank stop every rank with a clear message."""
    previous = sys.excepthook

    def stop_every_rank(exc_type, exc, tb):
        try:
            _report(world, previous, exc_type, exc, tb)
        finally:
            _flush()
            world.communicator.abort(1)

    sys.excepthook = stop_every_rank
    return previous


def _report(world, previous_hook, exc_type, exc, tb):
    where = f"minidl.distributed: rank {world.rank} of {world.size} (pid {os.getpid()} on {world.host})"
    if isinstance(exc, RankFailedError):
        print(f"{where} stops: {exc}", file=sys.stderr)
        return
    if isinstance(exc, RankTimeoutError):
        print(f"{where} stops: {exc}", file=sys.stderr)
        world.watchdog.announce_failure(f"{exc_type.__name__} (a collective timed out on rank {world.rank})", grace=1.0)
        return
    if isinstance(exc, RankMismatchError) and world.rank > 0:
        # Raised alike on every rank by the same check: rank 0 shows it in full; this rank aborts
        # the job only once rank 0 says it has (or after a few seconds).
        print(f"{where} stops: {exc}", file=sys.stderr)
        _flush()
        world.watchdog.wait_for_notice(5.0)
        return
    if isinstance(exc, KeyboardInterrupt):
        print(f"{where} was interrupted; stopping every rank", file=sys.stderr)
        return
    summary = " ".join(f"{exc_type.__name__}: {exc}".split())
    # the error itself first, in one line: the launcher may cut the tail of a long traceback when
    # it tears the job down, and this line must reach the user whole
    print(f"{where} raised {summary}; stopping every rank. Its traceback:", file=sys.stderr)
    _flush()
    try:
        previous_hook(exc_type, exc, tb)
    except Exception:  # a broken previous hook must not hide the error itself
        traceback.print_exception(exc_type, exc, tb)
    _flush()
    world.watchdog.announce_failure(summary)


def _flush():
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # a closed stream: nothing left to flush
            pass
