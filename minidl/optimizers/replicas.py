"""Where an optimizer meets data parallelism inside a custom training step, without depending on it.

A Keras user who overrides ``train_step`` (the keras.io GAN and VAE pattern) updates the weights
with ``self.optimizer.apply_gradients(...)`` -- or with optimizers of their own, such as a GAN's
``d_optimizer`` and ``g_optimizer``. Under a Keras distribution strategy that call averages the
gradients over the replicas by itself. minidl does the same: while ``fit`` runs such a step under
``minidl.distributed.DataParallel``, the strategy makes itself the active *gradient averager*
here, and every optimizer's ``apply_gradients`` hands its ``(grad, weight)`` pairs to it first
and applies the averages it returns.

``minidl.distributed`` sits above the optimizers in minidl's layering, so this module holds only
the hook; with no averager active (the normal case) ``apply_gradients`` is untouched.
"""

import contextlib

_averager = None


def averaged(optimizer, pairs):
    """``pairs`` averaged over the ranks by the active averager, or ``pairs`` itself without one."""
    if _averager is None:
        return pairs
    return _averager(optimizer, pairs)


@contextlib.contextmanager
def averaging_with(averager):
    """Make ``averager(optimizer, pairs) -> pairs`` the active one inside the block (None: none)."""
    global _averager
    previous = _averager
    _averager = averager
    try:
        yield
    finally:
        _averager = previous
