"""Callbacks on the ranks other than 0: the same decisions, no duplicate files or messages.

Every rank runs the callbacks that steer training (EarlyStopping, ReduceLROnPlateau,
LearningRateScheduler...): they see the same logs on every rank -- the metrics over all ranks
-- so they take the same decisions and the ranks stay in step. On ranks other than 0:

* a callback marked ``rank_zero_only`` (ModelCheckpoint, CSVLogger, or a user's callback with
  ``rank_zero_only = True``) does not run at all: only rank 0 writes files;
* what the other callbacks print is dropped: only rank 0 talks.

Both wrappers report the same batch-level hooks as the callback they wrap, so every rank asks
for per-batch logs at the same steps (an allgather each time).
"""

import contextlib
import io

from minidl.callbacks import _HOOKS, Callback


class _OnOtherRanks(Callback):
    """Base of the two wrappers: forwards the model, params and which hooks are implemented."""

    def __init__(self, callback):
        super().__init__()
        self.callback = callback

    def set_model(self, model):
        super().set_model(model)
        self.callback.set_model(model)

    def set_params(self, params):
        super().set_params(params)
        self.callback.set_params(params)

    def _implements_train_batch_hooks(self):
        return self.callback._implements_train_batch_hooks()

    def _implements_test_batch_hooks(self):
        return self.callback._implements_test_batch_hooks()

    def _implements_predict_batch_hooks(self):
        return self.callback._implements_predict_batch_hooks()

    def __repr__(self):
        return f"<{type(self).__name__} {self.callback!r}>"


class Silenced(_OnOtherRanks):
    """Runs the wrapped callback with its printed output dropped."""


class Skipped(_OnOtherRanks):
    """Never runs the wrapped callback (it is rank 0's alone)."""


def _silenced_hook(hook):
    def run(self, *args):
        with contextlib.redirect_stdout(io.StringIO()):
            getattr(self.callback, hook)(*args)

    run.__name__ = hook
    return run


def _skipped_hook(hook):
    def run(self, *args):
        return None

    run.__name__ = hook
    return run


for _hook in _HOOKS:
    setattr(Silenced, _hook, _silenced_hook(_hook))
    setattr(Skipped, _hook, _skipped_hook(_hook))


def for_this_rank(callbacks, rank):
    """The callbacks as rank ``rank`` should run them (unchanged on rank 0)."""
    if rank == 0:
        return list(callbacks)
    return [Skipped(callback) if getattr(callback, "rank_zero_only", False) else Silenced(callback)
            for callback in callbacks]
