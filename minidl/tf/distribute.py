"""``tf.distribute``'s strategies for ``fit``, mapped to ``minidl.distributed.DataParallel``.

TensorFlow 2 code trains data-parallel with::

    strategy = tf.distribute.MirroredStrategy()           # or MultiWorkerMirroredStrategy()
    with strategy.scope():
        model = build_model()
        model.compile(...)
    model.fit(x, y, batch_size=64 * strategy.num_replicas_in_sync)

In minidl every strategy is the same synchronous data parallelism over the processes
``mpiexec -n N`` starts (one per core group or GPU; see ``minidl.distributed``): the batch size
is the global one, as in TensorFlow. ``num_replicas_in_sync`` is the number of processes.
TensorFlow's per-device arguments (``devices``, ``cross_device_ops``, ``communication_options``)
are accepted and have no effect.
"""

from minidl.distributed import DataParallel, distribution


class _TensorFlowStrategy(DataParallel):
    """A ``DataParallel`` that accepts the constructor arguments TensorFlow's strategies take."""

    def __init__(self, devices=None, cross_device_ops=None, communication_options=None, cluster_resolver=None):
        super().__init__()

    @property
    def extended(self):
        return self


class MirroredStrategy(_TensorFlowStrategy):
    """``tf.distribute.MirroredStrategy``: data parallel over the ranks ``mpiexec`` starts."""


class MultiWorkerMirroredStrategy(_TensorFlowStrategy):
    """``tf.distribute.MultiWorkerMirroredStrategy``: the same, the ranks on several machines."""


def get_strategy():
    """The strategy whose ``scope()`` is active, else a world-of-one ``DataParallel``."""
    return distribution() or DataParallel()
