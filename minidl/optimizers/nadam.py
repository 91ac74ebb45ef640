"""Nadam, Adam with Nesterov momentum, as Keras 2's ``Nadam`` (``keras/optimizer_v2/nadam.py``).

Keras warms the momentum up with a schedule (Dozat 2016; ``schedule_decay`` = 0.004)::

    mu_t     = beta_1 * (1 - 0.5 * 0.96^(0.004 * t))           # t = iterations + 1
    mu_next  = beta_1 * (1 - 0.5 * 0.96^(0.004 * (t + 1)))
    cache    = cache * mu_t                                     # the "momentum cache", from 1
    m = beta_1 m + (1 - beta_1) g
    v = beta_2 v + (1 - beta_2) g^2
    m_bar = (1 - mu_t) g / (1 - cache) + mu_next m / (1 - cache mu_next)
    w = w - lr m_bar / (sqrt(v / (1 - beta_2^t)) + epsilon)

Keras's Nadam ignores ``decay`` for the learning rate and refuses learning-rate schedules;
so does this one.
"""

import types

import numpy as np

from minidl.autograd.function import xp
from minidl.optimizers import fast_updates
from minidl.optimizers.base import Optimizer, _in_range, _non_negative


class Nadam(Optimizer):
    def __init__(self, params=None, learning_rate=None, beta_1=0.9, beta_2=0.999, epsilon=1e-7, name="Nadam",
                 schedule_decay=0.004, **kwargs):
        super().__init__(params, learning_rate, name=name, **kwargs)
        if callable(self.learning_rate):
            raise ValueError(f"{self.name}: Nadam does not support learning-rate schedules (as in Keras)")
        self.beta_1 = _in_range(self.name, "beta_1", beta_1, 0.0, 1.0, high_open=True)
        self.beta_2 = _in_range(self.name, "beta_2", beta_2, 0.0, 1.0, high_open=True)
        self.epsilon = _non_negative(self.name, "epsilon", epsilon) or 1e-7
        self.schedule_decay = _non_negative(self.name, "schedule_decay", schedule_decay)
        self.momentum_cache = 1.0  # a host scalar: it depends only on the step count

    def _slot_names(self):
        return ("m", "v")

    def step_scalars(self, dtype):
        one, half = dtype.type(1), dtype.type(0.5)
        beta_1, beta_2 = dtype.type(self.beta_1), dtype.type(self.beta_2)
        step, next_step = dtype.type(self.iterations + 1), dtype.type(self.iterations + 2)
        decay_base, decay = dtype.type(0.96), dtype.type(self.schedule_decay)
        mu_t = beta_1 * (one - half * decay_base ** (decay * step))
        mu_next = beta_1 * (one - half * decay_base ** (decay * next_step))
        schedule_new = dtype.type(self.momentum_cache) * mu_t
        if dtype == self._cache_dtype():
            self.momentum_cache = float(schedule_new)
        return types.SimpleNamespace(
            lr=dtype.type(self.current_learning_rate()), epsilon=dtype.type(self.epsilon), beta_1=beta_1,
            beta_2=beta_2, t=step, mu_t=mu_t, mu_next=mu_next, schedule_new=schedule_new,
            schedule_next=schedule_new * mu_next,
        )

    def _cache_dtype(self):
        """Keras keeps the cache in the dtype of the first weight and updates it once a step."""
        for weight, _ in self._slots.values():
            return weight.data.dtype
        return np.dtype(np.float32)

    def update_one(self, w, g, state, s):
        """Nadam's update of one weight, in place: the formula of the module docstring."""
        m, v = state["m"], state["v"]
        m[...] = m * s.beta_1 + g * (1 - s.beta_1)               # m = beta_1 m + (1 - beta_1) g
        v[...] = v * s.beta_2 + g * g * (1 - s.beta_2)           # v = beta_2 v + (1 - beta_2) g^2
        g_hat = g / (1 - s.schedule_new)                         # g / (1 - cache)
        m_hat = m / (1 - s.schedule_next)                        # m / (1 - cache mu_next)
        m_bar = g_hat * (1 - s.mu_t) + m_hat * s.mu_next         # m_bar = (1 - mu_t) g_hat + mu_next m_hat
        v_hat = v / (1 - s.beta_2 ** s.t)                        # v / (1 - beta_2^t)
        w -= m_bar * s.lr / (xp().sqrt(v_hat) + s.epsilon)       # w = w - lr m_bar / (sqrt(v_hat) + eps)

    def fast_update(self, var, grad, slots, s):
        """The same bits as ``update_one``, into reused buffers: ``fast_updates.nadam``."""
        fast_updates.nadam(var, grad, slots, s)

    def _extra_state(self):
        return {"momentum_cache": self.momentum_cache}

    def _load_extra_state(self, state):
        self.momentum_cache = float(state.get("momentum_cache", 1.0))

    def get_config(self):
        config = {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}
        config.pop("decay", None)
        config["schedule_decay"] = self.schedule_decay
        return config
