"""Data-parallel training across processes and machines: MPI (mpi4py) on CPUs, NCCL on GPUs.

Synchronous data parallelism in the design of Chainer's ChainerMN and Horovod: one process
("rank") per CPU core group or GPU, started by an MPI launcher; every rank holds the whole model
and trains on its own share of each batch; after every backward pass the gradients are averaged
over the ranks with an allreduce, so every rank takes the same step and the weights stay
identical. The same script runs as one process without a launcher::

    python train.py                  # one process, a world of one: rank 0 of 1
    mpiexec -n 4 python train.py     # four ranks

The Keras face -- ``fit`` under a strategy (``DataParallel``, see ``strategy``)::

    import minidl.distributed as dist
    with dist.DataParallel().scope():
        model = build_model()
        model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(x, y, batch_size=64, epochs=3)       # 64 rows per step over all ranks together

The low-level face -- a distributed optimizer wrapper (see ``optimizer``)::

    dist.broadcast_parameters(params, root=0)
    opt = dist.DistributedOptimizer(minidl.optimizers.Adam(params))
    ...; loss.backward(); opt.step()               # step() averages the gradients first

and the collectives themselves: ``allreduce`` (mean or sum), ``broadcast``, ``allgather`` and
their ``_object`` forms, ``barrier``; ``rank()``, ``size()``, ``local_rank()``, ``is_primary()``;
``init()`` returns the ``World`` (rank, size, host, communicator).

The parts, one idea each: ``world`` (joining the launcher's processes, cores per rank),
``communicator`` / ``mpi`` / ``nccl`` (the collectives), ``watchdog`` and ``faults`` (a failed,
dead or stalled rank stops every rank with a message naming it, never a hang), ``sharding``
(which rows each rank takes), ``buckets`` / ``reducer`` (gradients packed and summed during
backward), ``consistency`` (the ranks train the same thing), ``metrics_sync`` (metrics over all
ranks), ``rank_callbacks`` (only rank 0 prints and writes files).
"""

from minidl.distributed.collectives import (
    allgather,
    allgather_object,
    allreduce,
    broadcast,
    broadcast_object,
    default_communicator,
)
from minidl.distributed.communicator import Communicator, LocalCommunicator
from minidl.distributed.optimizer import DistributedOptimizer, broadcast_optimizer_state, broadcast_parameters
from minidl.distributed.sharding import Shard
from minidl.distributed.strategy import DataParallel, distribution, set_distribution
from minidl.distributed.world import World, barrier, init, is_primary, local_rank, rank, size
from minidl.errors import DistributedError, RankFailedError, RankMismatchError, RankTimeoutError


def local_rows(start, stop):
    """The rows ``(first, last)`` of the global batch ``[start, stop)`` that this rank trains on
    (see ``minidl.distributed.sharding``)."""
    from minidl.distributed.sharding import local_rows as rows_of

    current = init()
    return rows_of(start, stop, current.rank, current.size)


__all__ = [
    "Communicator", "DataParallel", "DistributedError", "DistributedOptimizer", "LocalCommunicator",
    "RankFailedError", "RankMismatchError", "RankTimeoutError", "Shard", "World", "allgather", "allgather_object",
    "allreduce", "barrier", "broadcast", "broadcast_object", "broadcast_optimizer_state", "broadcast_parameters",
    "default_communicator", "distribution", "init", "is_primary", "local_rank", "local_rows", "rank",
    "set_distribution", "size",
]
