"""The SimpleRNN, readable: one step of Keras's SimpleRNN cell as a Function with its backward,
and the layer as that step looped over time (``time_loop.run_over_time``).

Keras's cell, with the kernel W (features, u), the recurrent kernel U (u, u), the bias b (u,)
and act the ``activation`` (tanh by default)::

    h' = act(x W + h U + b)

Under dropout (Keras 2) the cell reads x * m and h * r, the masks fixed for the whole sequence.

Backward through many steps multiplies the gradient by U^T act'(...) once per step: when that
shrinks it, the start of a long sequence gets almost no gradient (the vanishing gradient that
LSTMs and GRUs were made to avoid; tutorial 5 measures it).

The fast form, which must give the same numbers, is ``minidl/ops/fast/simple_rnn.py``.
"""

from minidl.autograd.function import Function
from minidl.ops.reference.gates import back_through_masks, per_gate
from minidl.ops.reference.rnn_activations import cell_activation
from minidl.ops.reference.time_loop import constant_zeros, run_over_time


class SimpleRNNStep(Function):
    """One step of the SimpleRNN cell. Inputs: x (batch, features), h (batch, u), W, U, b.
    Output: h'. ``input_masks`` (1, batch, features) / ``recurrent_masks`` (1, batch, u) are the
    dropout masks, or None."""

    def __init__(self, activation, input_masks=None, recurrent_masks=None):
        self.act = activation
        self.input_masks, self.recurrent_masks = input_masks, recurrent_masks

    def forward(self, x, h, W, U, b):
        (x_in,) = per_gate(x, self.input_masks, 1)
        (h_in,) = per_gate(h, self.recurrent_masks, 1)
        h_new = self.act(x_in @ W + h_in @ U + b)
        self.x_in, self.h_in, self.W, self.U, self.h_new = x_in, h_in, W, U, h_new
        return h_new

    def backward(self, dh_new):
        # h' = act(z), z = x_in W + h_in U + b
        dz = dh_new * self.act.derivative(self.h_new)                    # dh'/dz = act'(z)
        dW = self.x_in.T @ dz                                            # dz/dW = x_in
        dU = self.h_in.T @ dz                                            # dz/dU = h_in
        db = dz.sum(axis=0)                                              # dz/db = 1
        dx = back_through_masks([dz @ self.W.T], self.input_masks)       # dz/dx = W m
        dh = back_through_masks([dz @ self.U.T], self.recurrent_masks)   # dz/dh = U r: the path back in time
        return dx, dh, dW, dU, db


def simple_rnn_over_time(x, kernel, recurrent_kernel, bias, initial_state, activation, return_sequences,
                         go_backwards, mask, input_masks, recurrent_masks):
    """``minidl.ops.simple_rnn`` in its readable form, on checked operands: ``SimpleRNNStep`` at
    every time step. ``initial_state`` is ``[h0 or None]``; returns ``(output, h_T)``."""
    act = cell_activation(activation, "simple_rnn", "activation")
    batch, units = x.shape[0], recurrent_kernel.shape[0]
    if bias is None:
        bias = constant_zeros((units,), x)
    h0 = constant_zeros((batch, units), x) if initial_state[0] is None else initial_state[0]

    def make_step():
        return SimpleRNNStep(act, input_masks, recurrent_masks)

    return run_over_time(make_step, x, [h0], [kernel, recurrent_kernel, bias], go_backwards, mask, return_sequences)
