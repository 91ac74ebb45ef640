"""RMSprop, as Keras's ``RMSprop``: divide the step by a running root mean square of gradients.

Without momentum Keras runs this Python update (``keras/optimizer_v2/rmsprop.py``,
``_resource_apply_dense``)::

    ms = rho ms + (1 - rho) g^2
    mg = rho mg + (1 - rho) g                         # centered=True only
    w = w - lr g / (sqrt(ms [- mg^2]) + epsilon)      # epsilon OUTSIDE the square root

With momentum > 0 it calls TensorFlow's ``ApplyRMSProp`` / ``ApplyCenteredRMSProp`` kernels
(``tensorflow/core/kernels/training_ops.cc``), where epsilon sits INSIDE the square root::

    ms = ms + (g^2 - ms) (1 - rho)
    mg = mg + (g - mg) (1 - rho)                      # centered=True only
    mom = momentum mom + lr g / sqrt(ms [- mg^2] + epsilon)
    w = w - mom

Both are reproduced as written, including that difference.
"""

import types

from minidl.autograd.function import xp
from minidl.optimizers import fast_updates
from minidl.optimizers.base import Optimizer, _in_range, _non_negative


class RMSprop(Optimizer):
    def __init__(self, params=None, learning_rate=None, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False,
                 name="RMSprop", **kwargs):
        super().__init__(params, learning_rate, name=name, **kwargs)
        self.rho = _in_range(self.name, "rho", rho, 0.0, 1.0)
        self.momentum = _in_range(self.name, "momentum", momentum, 0.0, 1.0)
        self.epsilon = _non_negative(self.name, "epsilon", epsilon) or 1e-7  # Keras: epsilon or 1e-7
        self.centered = bool(centered)

    def _slot_names(self):
        names = ("rms",)
        if self.momentum > 0:
            names += ("momentum",)
        if self.centered:
            names += ("mg",)
        return names

    def step_scalars(self, dtype):
        return types.SimpleNamespace(lr=self._rate_in(dtype), rho=dtype.type(self.rho),
                                     momentum=dtype.type(self.momentum), epsilon=dtype.type(self.epsilon))

    def update_one(self, w, g, state, s):
        """RMSprop's update of one weight, in place: the formulas of the module docstring."""
        sqrt = xp().sqrt
        ms = state["rms"]
        if self.momentum == 0:
            ms[...] = ms * s.rho + g * g * (1 - s.rho)                  # ms = rho ms + (1 - rho) g^2
            if self.centered:
                mg = state["mg"]
                mg[...] = mg * s.rho + g * (1 - s.rho)                  # mg = rho mg + (1 - rho) g
                w -= g * s.lr / (sqrt(ms - mg * mg) + s.epsilon)        # w = w - lr g / (sqrt(ms - mg^2) + eps)
            else:
                w -= g * s.lr / (sqrt(ms) + s.epsilon)                  # w = w - lr g / (sqrt(ms) + eps)
            return
        mom = state["momentum"]
        ms += (g * g - ms) * (1 - s.rho)                                # ms = ms + (g^2 - ms) (1 - rho)
        if self.centered:
            mg = state["mg"]
            mg += (g - mg) * (1 - s.rho)                                # mg = mg + (g - mg) (1 - rho)
            mom[...] = mom * s.momentum + g * s.lr / sqrt(ms - mg * mg + s.epsilon)  # mom = momentum mom + lr g / sqrt(ms - mg^2 + eps)
        else:
            mom[...] = mom * s.momentum + g * s.lr / sqrt(ms + s.epsilon)  # mom = momentum mom + lr g / sqrt(ms + eps)
        w -= mom                                                        # w = w - mom

    def fast_update(self, var, grad, slots, s):
        """The same bits as ``update_one``, into reused buffers: ``fast_updates.rmsprop / rmsprop_with_momentum``."""
        if self.momentum > 0:
            fast_updates.rmsprop_with_momentum(var, grad, slots, s, self.centered)
        else:
            fast_updates.rmsprop(var, grad, slots, s, self.centered)

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon,
                "centered": self.centered}
