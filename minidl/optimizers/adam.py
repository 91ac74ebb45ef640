"""Adam (and AMSGrad), as Keras's ``Adam``, which calls TensorFlow's ``ApplyAdam`` kernel
(``tensorflow/core/kernels/training_ops.cc``, ``ApplyAdamNonCuda``)::

    lr_t = lr * sqrt(1 - beta_2^t) / (1 - beta_1^t)     # t = iterations + 1, in float32
    m = beta_1 m + (1 - beta_1) g                        # written m += (g - m) * (1 - beta_1)
    v = beta_2 v + (1 - beta_2) g^2                      # written v += (g^2 - v) * (1 - beta_2)
    vhat = max(vhat, v)                                  # amsgrad=True only
    w = w - lr_t m / (sqrt(v or vhat) + epsilon)

The bias correction is folded into the step size, so epsilon is NOT bias-corrected (it is the
"epsilon hat" of Kingma & Ba's section 2), and Keras's default epsilon is 1e-7.
"""

import types

import numpy as np

from minidl.autograd.function import xp
from minidl.optimizers import fast_updates
from minidl.optimizers.base import Optimizer, _in_range, _non_negative


class Adam(Optimizer):
    def __init__(self, params=None, learning_rate=None, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False,
                 name="Adam", **kwargs):
        super().__init__(params, learning_rate, name=name, **kwargs)
        self.beta_1 = _in_range(self.name, "beta_1", beta_1, 0.0, 1.0, high_open=True)
        self.beta_2 = _in_range(self.name, "beta_2", beta_2, 0.0, 1.0, high_open=True)
        self.epsilon = _non_negative(self.name, "epsilon", epsilon) or 1e-7  # Keras: epsilon or 1e-7
        self.amsgrad = bool(amsgrad)

    def _slot_names(self):
        return ("m", "v", "vhat") if self.amsgrad else ("m", "v")

    def step_scalars(self, dtype):
        """lr_t = lr sqrt(1 - beta_2^t) / (1 - beta_1^t) with t = iterations + 1, in the weight's dtype."""
        t = dtype.type(self.iterations + 1)
        beta_1, beta_2 = dtype.type(self.beta_1), dtype.type(self.beta_2)
        lr_t = self._rate_in(dtype) * np.sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)
        return types.SimpleNamespace(lr_t=lr_t, beta_1=beta_1, beta_2=beta_2, epsilon=dtype.type(self.epsilon))

    def update_one(self, w, g, state, s):
        """Adam's update of one weight, in place: the formula of the module docstring."""
        m, v = state["m"], state["v"]
        m += (g - m) * (1 - s.beta_1)               # m = beta_1 m + (1 - beta_1) g
        v += (g * g - v) * (1 - s.beta_2)           # v = beta_2 v + (1 - beta_2) g^2
        if self.amsgrad:
            vhat = state["vhat"]
            vhat[...] = xp().maximum(vhat, v)       # vhat = max(vhat, v)
            v = vhat
        w -= m * s.lr_t / (xp().sqrt(v) + s.epsilon)  # w = w - lr_t m / (sqrt(v) + epsilon)

    def fast_update(self, var, grad, slots, s):
        """The same bits as ``update_one``, into reused buffers: ``fast_updates.adam``."""
        fast_updates.adam(var, grad, slots, s, self.amsgrad)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon,
                "amsgrad": self.amsgrad}
