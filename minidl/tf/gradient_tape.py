"""``tf.GradientTape``: gradients of what was computed inside a ``with`` block.

minidl records the graph of every operation on tensors that require gradients, tape or no tape,
so a tape has little to do while it is open: it makes sure recording is on, and it marks the
tensors given to ``watch`` as requiring gradients (until the block ends). ``gradient(target,
sources)`` then asks the autograd engine for d(target)/d(source) of each source
(``minidl.autograd.grad``) without touching any ``.grad``, so tapes never disturb each other or
``model.fit``:

* trainable Variables and layer weights are watched automatically; constants need ``watch``;
* ``sources`` may be any nested list/tuple/dict of tensors and the result has the same
  structure, with None for a source the target does not depend on (or zeros, with
  ``unconnected_gradients=tf.UnconnectedGradients.ZERO``);
* a non-persistent tape gives one set of gradients; ``persistent=True`` allows several.

A gradient of a gradient (a tape's ``gradient`` called while another tape is recording, as in
gradient penalties) is not supported: minidl's backward passes work on raw arrays and are not
themselves recorded, so such a second-order term would silently be missing. It raises instead.
"""

import contextlib
import enum

import numpy as np

from minidl.autograd import engine
from minidl.autograd.function import enable_grad, no_grad
from minidl.autograd.tensor import Tensor
from minidl.runtime import backend
from minidl.tf.tensor import as_tf

_recording_tapes = []


class UnconnectedGradients(enum.Enum):
    """What ``gradient`` returns for a source the target does not depend on."""

    NONE = "none"
    ZERO = "zero"


class GradientTape:
    """``with tf.GradientTape(persistent=False, watch_accessed_variables=True) as tape:``."""

    def __init__(self, persistent=False, watch_accessed_variables=True):
        self.persistent = bool(persistent)
        self.watch_accessed_variables = bool(watch_accessed_variables)
        self._watched = []  # tensors given to watch(), in order
        self._switched_on = []  # of those, the ones whose requires_grad the tape turned on
        self._used = False
        self._grad_mode = None
        self._recording = False

    def __enter__(self):
        self._grad_mode = enable_grad()
        self._grad_mode.__enter__()
        self._recording = True
        _recording_tapes.append(self)
        return self

    def __exit__(self, *exc):
        self._recording = False
        _recording_tapes.remove(self)
        for tensor in self._switched_on:
            tensor.requires_grad = False  # the recorded graph keeps what it needs
        self._switched_on = []
        self._grad_mode.__exit__(*exc)
        return False

    def watch(self, tensor):
        """Record operations on ``tensor`` (a tensor or a nested structure of them)."""
        for item in _flatten(tensor):
            if not isinstance(item, Tensor):
                raise TypeError(
                    f"GradientTape.watch: expected tensors or variables, got {type(item).__name__}; "
                    "convert data with tf.constant(x) first"
                )
            if not np.issubdtype(item.dtype, np.floating):
                continue  # TensorFlow ignores non-float tensors here (with a warning)
            if not item.requires_grad:
                item.requires_grad = True
                self._switched_on.append(item)
            self._watched.append(item)

    def watched_variables(self):
        return tuple(self._watched)

    @contextlib.contextmanager
    def stop_recording(self):
        """Operations inside this block are not recorded."""
        with no_grad():
            yield

    def reset(self):
        """Forget what was watched (the recorded graph goes when its tensors go)."""
        self._watched = []
        self._used = False

    def gradient(self, target, sources, output_gradients=None, unconnected_gradients=UnconnectedGradients.NONE):
        """d(target)/d(source) for every source, in the structure of ``sources``.

        A non-scalar target is differentiated as the sum of its elements, or weighted by
        ``output_gradients``; a list of targets as the sum of the targets.
        """
        if self._used and not self.persistent:
            raise RuntimeError(
                "A non-persistent GradientTape can only be used to compute one set of gradients; "
                "use tf.GradientTape(persistent=True) to call gradient() several times"
            )
        others = [tape for tape in _recording_tapes if tape is not self]
        if others:
            raise NotImplementedError(
                "GradientTape.gradient was called while another tape is recording: a gradient of a gradient "
                "(e.g. a gradient penalty) is not supported by minidl, whose backward passes are not recorded. "
                "Compute first-order gradients after the outer `with` block ends"
            )
        self._used = True
        targets = _flatten(target)
        flat_sources = _flatten(sources)
        for index, item in enumerate(targets):
            if not isinstance(item, Tensor):
                raise TypeError(f"GradientTape.gradient: target {index} is a {type(item).__name__}, not a tensor")
        for index, item in enumerate(flat_sources):
            if not isinstance(item, Tensor):
                raise TypeError(
                    f"GradientTape.gradient: source {index} is a {type(item).__name__}; sources must be "
                    "variables, layer weights or watched tensors"
                )
        seeds = None
        if output_gradients is not None:
            seeds = [None if g is None else (g.data if isinstance(g, Tensor) else backend.to_device(np.asarray(g)))
                     for g in _flatten(output_gradients)]
        grads = engine.grad(targets, flat_sources, seeds, retain_graph=True)
        zero = UnconnectedGradients(unconnected_gradients) == UnconnectedGradients.ZERO
        results = []
        for source, grad in zip(flat_sources, grads):
            if not self._counts(source):
                grad = None
            if grad is None and zero:
                grad = backend.get_xp().zeros_like(source.data)
            results.append(None if grad is None else as_tf(Tensor._from_op(grad)))
        return _pack_like(sources, iter(results))

    def _counts(self, source):
        """Whether the tape watched ``source``: every variable it used, or only those given to ``watch``."""
        return self.watch_accessed_variables or any(source is watched for watched in self._watched)

    def jacobian(self, *args, **kwargs):
        raise NotImplementedError(
            "GradientTape.jacobian is not supported by minidl; compute each row with tape.gradient on one output "
            "element (persistent=True) instead"
        )


def _flatten(structure):
    if isinstance(structure, dict):
        return [leaf for key in structure for leaf in _flatten(structure[key])]
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in _flatten(item)]
    return [structure]


def _pack_like(structure, leaves):
    if isinstance(structure, dict):
        return {key: _pack_like(value, leaves) for key, value in structure.items()}
    if isinstance(structure, (list, tuple)):
        packed = [_pack_like(item, leaves) for item in structure]
        return packed if isinstance(structure, list) else type(structure)(packed) if not hasattr(structure, "_fields") else type(structure)(*packed)
    return next(leaves)
