"""Stochastic gradient descent, with optional (Nesterov) momentum, as Keras's ``SGD``.

Without momentum: ``w = w - lr g``. With momentum ``m`` (TensorFlow's ``ApplyKerasMomentum``
kernel, the one Keras 2 calls)::

    v = m v - lr g              # the velocity slot, zero at the start
    w = w + v                   # or, with nesterov=True:  w = w + m v - lr g
"""

import types

from minidl.optimizers import fast_updates
from minidl.optimizers.base import Optimizer, _in_range


class SGD(Optimizer):
    default_learning_rate = 0.01

    def __init__(self, params=None, learning_rate=None, momentum=0.0, nesterov=False, name="SGD", **kwargs):
        super().__init__(params, learning_rate, name=name, **kwargs)
        self.momentum = _in_range(self.name, "momentum", momentum, 0.0, 1.0)
        self.nesterov = bool(nesterov)

    def _slot_names(self):
        return ("momentum",) if self.momentum > 0 else ()

    def step_scalars(self, dtype):
        return types.SimpleNamespace(lr=self._rate_in(dtype), momentum=dtype.type(self.momentum))

    def update_one(self, w, g, state, s):
        """SGD's update of one weight, in place: the formula of the module docstring."""
        if self.momentum == 0:
            w -= g * s.lr                                # w = w - lr g
            return
        v = state["momentum"]
        v[...] = v * s.momentum - g * s.lr               # v = m v - lr g
        if self.nesterov:
            w += v * s.momentum - g * s.lr               # w = w + m v - lr g
        else:
            w += v                                       # w = w + v

    def fast_update(self, var, grad, slots, s):
        """The same bits as ``update_one``, into reused buffers: ``fast_updates.sgd``."""
        fast_updates.sgd(var, grad, slots, s, self.momentum, self.nesterov)

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}
