"""Adadelta, as Keras's ``Adadelta`` (TensorFlow's ``ApplyAdadelta`` kernel)::

    acc_g = rho acc_g + (1 - rho) g^2
    update = sqrt(acc_dx + epsilon) / sqrt(acc_g + epsilon) g
    w = w - lr update
    acc_dx = rho acc_dx + (1 - rho) update^2

Keras 2's default learning rate is 0.001; the original Keras 1 used 1.0, which labs written for
it must now pass explicitly (``Adadelta(learning_rate=1.0)``).
"""

import types

from minidl.autograd.function import xp
from minidl.optimizers import fast_updates
from minidl.optimizers.base import Optimizer, _in_range, _non_negative


class Adadelta(Optimizer):
    def __init__(self, params=None, learning_rate=None, rho=0.95, epsilon=1e-7, name="Adadelta", **kwargs):
        super().__init__(params, learning_rate, name=name, **kwargs)
        self.rho = _in_range(self.name, "rho", rho, 0.0, 1.0)
        self.epsilon = _non_negative(self.name, "epsilon", epsilon) or 1e-7

    def _slot_names(self):
        return ("accum_grad", "accum_var")

    def step_scalars(self, dtype):
        return types.SimpleNamespace(lr=self._rate_in(dtype), rho=dtype.type(self.rho), epsilon=dtype.type(self.epsilon))

    def update_one(self, w, g, state, s):
        """Adadelta's update of one weight, in place: the formula of the module docstring."""
        sqrt = xp().sqrt
        acc_g, acc_dx = state["accum_grad"], state["accum_var"]
        acc_g[...] = acc_g * s.rho + g * g * (1 - s.rho)                  # acc_g = rho acc_g + (1 - rho) g^2
        update = sqrt(acc_dx + s.epsilon) / sqrt(acc_g + s.epsilon) * g    # the step, in the units of w
        w -= update * s.lr                                                # w = w - lr update
        acc_dx[...] = acc_dx * s.rho + update * update * (1 - s.rho)       # acc_dx = rho acc_dx + (1 - rho) update^2

    def fast_update(self, var, grad, slots, s):
        """The same bits as ``update_one``, into reused buffers: ``fast_updates.adadelta``."""
        fast_updates.adadelta(var, grad, slots, s)

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}
