"""Adamax, Adam with the infinity norm, as Keras's ``Adamax`` (TensorFlow's ``ApplyAdaMax``
kernel in ``tensorflow/core/kernels/training_ops.cc``)::

    m = beta_1 m + (1 - beta_1) g                        # written m += (g - m) * (1 - beta_1)
    u = max(beta_2 u, |g|)
    w = w - lr / (1 - beta_1^t) * (m / (u + epsilon))      # t = iterations + 1
"""

import types

from minidl.autograd.function import xp
from minidl.optimizers import fast_updates
from minidl.optimizers.base import Optimizer, _in_range, _non_negative


class Adamax(Optimizer):
    def __init__(self, params=None, learning_rate=None, beta_1=0.9, beta_2=0.999, epsilon=1e-7, name="Adamax",
                 **kwargs):
        super().__init__(params, learning_rate, name=name, **kwargs)
        self.beta_1 = _in_range(self.name, "beta_1", beta_1, 0.0, 1.0, high_open=True)
        self.beta_2 = _in_range(self.name, "beta_2", beta_2, 0.0, 1.0, high_open=True)
        self.epsilon = _non_negative(self.name, "epsilon", epsilon) or 1e-7

    def _slot_names(self):
        return ("m", "v")

    def step_scalars(self, dtype):
        beta_1 = dtype.type(self.beta_1)
        lr_t = self._rate_in(dtype) / (1 - beta_1 ** dtype.type(self.iterations + 1))
        return types.SimpleNamespace(lr_t=lr_t, beta_1=beta_1, beta_2=dtype.type(self.beta_2),
                                     epsilon=dtype.type(self.epsilon))

    def update_one(self, w, g, state, s):
        """Adamax's update of one weight, in place: the formula of the module docstring."""
        m, u = state["m"], state["v"]
        m += (g - m) * (1 - s.beta_1)                   # m = beta_1 m + (1 - beta_1) g
        u[...] = xp().maximum(u * s.beta_2, xp().abs(g))  # u = max(beta_2 u, |g|)
        w -= m / (u + s.epsilon) * s.lr_t               # w = w - lr / (1 - beta_1^t) * m / (u + eps)

    def fast_update(self, var, grad, slots, s):
        """The same bits as ``update_one``, into reused buffers: ``fast_updates.adamax``."""
        fast_updates.adamax(var, grad, slots, s)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}
