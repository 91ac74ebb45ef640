"""Where the training loop meets data parallelism, without depending on it.

``minidl.distributed`` sits below the models in minidl's layering, so ``Model`` never imports
it. Instead a distribution strategy (``minidl.distributed.DataParallel``) makes itself the
active distribution here -- inside ``with strategy.scope():``, or for good with
``minidl.distributed.set_distribution(strategy)`` -- and a model compiled while one is active
keeps it, as ``model._distribution``, and calls it at a few fixed points of compile, fit,
evaluate and the single-batch methods (each marked "minidl.distributed" in ``model.py``):

* ``wrap_optimizer(optimizer)`` at compile: the optimizer the training steps call;
* ``begin_fit(model, data, validation, verbose, callbacks)`` -> ``(verbose, callbacks)``;
* ``begin_evaluate(model, data, verbose)`` -> ``verbose``;
* ``begin_batch(model)`` before ``train_on_batch`` / ``test_on_batch``;
* ``merged_logs(model, sources)`` -> the logs over every rank;
* ``run_train_step(model, data, rows, previous_logs)`` -> the logs of an overridden
  ``train_step``, run with every optimizer averaging over the ranks;
* ``merged_step_logs(model, logs)`` -> such a step's logs over every rank.

With no distribution active (the normal case) the model calls none of them.
"""

_active = None


def active():
    """The distribution a model compiled now trains under, or None (one process, as usual)."""
    return _active


def set_active(distribution):
    """Make ``distribution`` (or None) the active one; returns the one it replaces."""
    global _active
    previous = _active
    _active = distribution
    return previous
