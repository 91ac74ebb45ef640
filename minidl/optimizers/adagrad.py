"""Adagrad, as Keras's ``Adagrad`` (TensorFlow's ``ApplyAdagradV2`` kernel)::

    acc = acc + g^2                             # starts at initial_accumulator_value (0.1)
    w = w - lr g / (sqrt(acc) + epsilon)
"""

import types

from minidl.autograd.function import xp
from minidl.optimizers import fast_updates
from minidl.optimizers.base import Optimizer, _non_negative


class Adagrad(Optimizer):
    def __init__(self, params=None, learning_rate=None, initial_accumulator_value=0.1, epsilon=1e-7,
                 name="Adagrad", **kwargs):
        super().__init__(params, learning_rate, name=name, **kwargs)
        self.initial_accumulator_value = _non_negative(self.name, "initial_accumulator_value",
                                                       initial_accumulator_value)
        self.epsilon = _non_negative(self.name, "epsilon", epsilon) or 1e-7

    def _slot_names(self):
        return ("accumulator",)

    def _initial_slot_value(self, slot_name):
        return self.initial_accumulator_value

    def step_scalars(self, dtype):
        return types.SimpleNamespace(lr=self._rate_in(dtype), epsilon=dtype.type(self.epsilon))

    def update_one(self, w, g, state, s):
        """Adagrad's update of one weight, in place: the formula of the module docstring."""
        acc = state["accumulator"]
        acc += g * g                                            # acc = acc + g^2
        w -= g * s.lr / (xp().sqrt(acc) + s.epsilon)            # w = w - lr g / (sqrt(acc) + eps)

    def fast_update(self, var, grad, slots, s):
        """The same bits as ``update_one``, into reused buffers: ``fast_updates.adagrad``."""
        fast_updates.adagrad(var, grad, slots, s)

    def get_config(self):
        return {**super().get_config(), "initial_accumulator_value": self.initial_accumulator_value,
                "epsilon": self.epsilon}
