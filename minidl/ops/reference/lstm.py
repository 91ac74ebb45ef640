"""The LSTM, readable: one step of Keras's LSTM cell as a Function whose backward has one line
per derivative, and the layer as that step looped over time (``time_loop.run_over_time``).

Keras's cell. The kernel W (features, 4u), the recurrent kernel U (u, 4u) and the bias b (4u,)
hold the gates i, f, c, o side by side along their last axis; sigma is ``recurrent_activation``
(sigmoid by default), act is ``activation`` (tanh)::

    i  = sigma(x W_i + h U_i + b_i)        input gate: how much of the candidate to write
    f  = sigma(x W_f + h U_f + b_f)        forget gate: how much of the old cell to keep
    g  = act(x W_c + h U_c + b_c)          the candidate cell value
    o  = sigma(x W_o + h U_o + b_o)        output gate: how much of the cell to show
    c' = f * c + i * g
    h' = o * act(c')

Under dropout (Keras 2's ``implementation=1``) gate k reads its own copies x_k = x * m_k and
h_k = h * r_k, the masks fixed for the whole sequence; without it, x_k = x and h_k = h.

The backward below is the chain rule run through these six lines from the bottom up. The path
that makes LSTMs remember is ``dc_prev = dc * f``: with the forget gate near 1 the gradient of
the cell passes back through many steps almost unchanged.

The fast form, which must give the same numbers, is ``minidl/ops/fast/lstm.py``: the whole
sequence in one Function, the gates reordered so that one call serves three of them, reused
buffers, and on a GPU one CUDA kernel for the whole time loop.
"""

from minidl.autograd.function import Function, xp
from minidl.ops.reference.gates import back_through_masks, gate_blocks, per_gate
from minidl.ops.reference.rnn_activations import cell_activation
from minidl.ops.reference.time_loop import constant_zeros, run_over_time


class LSTMStep(Function):
    """One step of the LSTM cell.

    Inputs: x (batch, features), h (batch, u), c (batch, u), W, U, b. Outputs: (h', c').
    ``input_masks`` (4, batch, features) and ``recurrent_masks`` (4, batch, u) are the per-gate
    dropout masks in Keras's gate order, or None.
    """

    def __init__(self, activation, recurrent_activation, input_masks=None, recurrent_masks=None):
        self.act, self.sigma = activation, recurrent_activation
        self.input_masks, self.recurrent_masks = input_masks, recurrent_masks

    def forward(self, x, h, c, W, U, b):
        act, sigma = self.act, self.sigma
        x_i, x_f, x_c, x_o = per_gate(x, self.input_masks, 4)
        h_i, h_f, h_c, h_o = per_gate(h, self.recurrent_masks, 4)
        W_i, W_f, W_c, W_o = gate_blocks(W, 4)
        U_i, U_f, U_c, U_o = gate_blocks(U, 4)
        b_i, b_f, b_c, b_o = gate_blocks(b, 4)

        i = sigma(x_i @ W_i + h_i @ U_i + b_i)
        f = sigma(x_f @ W_f + h_f @ U_f + b_f)
        g = act(x_c @ W_c + h_c @ U_c + b_c)
        o = sigma(x_o @ W_o + h_o @ U_o + b_o)
        c_new = f * c + i * g
        act_c_new = act(c_new)
        h_new = o * act_c_new

        self.x_in, self.h_in = [x_i, x_f, x_c, x_o], [h_i, h_f, h_c, h_o]
        self.W, self.U, self.c = W, U, c
        self.i, self.f, self.g, self.o, self.act_c_new = i, f, g, o, act_c_new
        return h_new, c_new

    def backward(self, dh_new, dc_new):
        act, sigma = self.act, self.sigma
        i, f, g, o, c = self.i, self.f, self.g, self.o, self.c

        # h' = o * act(c')
        do = dh_new * self.act_c_new                                   # dh'/do = act(c')
        dc = dc_new + dh_new * o * act.derivative(self.act_c_new)      # c' reaches L directly and through h'
        # c' = f * c + i * g
        df = dc * c                                                    # dc'/df = c
        di = dc * g                                                    # dc'/di = g
        dg = dc * i                                                    # dc'/dg = i
        dc_prev = dc * f                                               # dc'/dc = f: the cell's path back in time
        # each gate is an activation of its pre-activation z_k = x_k W_k + h_k U_k + b_k
        dz_i = di * sigma.derivative(i)                                # di/dz_i = sigma'(z_i)
        dz_f = df * sigma.derivative(f)                                # df/dz_f = sigma'(z_f)
        dz_c = dg * act.derivative(g)                                  # dg/dz_c = act'(z_c)
        dz_o = do * sigma.derivative(o)                                # do/dz_o = sigma'(z_o)

        dz = [dz_i, dz_f, dz_c, dz_o]
        module = xp()
        dW = module.concatenate([x_k.T @ dz_k for x_k, dz_k in zip(self.x_in, dz)], axis=1)   # dz_k/dW_k = x_k
        dU = module.concatenate([h_k.T @ dz_k for h_k, dz_k in zip(self.h_in, dz)], axis=1)   # dz_k/dU_k = h_k
        db = module.concatenate([dz_k.sum(axis=0) for dz_k in dz])                           # dz_k/db_k = 1
        dx = back_through_masks([dz_k @ W_k.T for dz_k, W_k in zip(dz, gate_blocks(self.W, 4))],
                                self.input_masks)                                            # dz_k/dx = W_k m_k
        dh = back_through_masks([dz_k @ U_k.T for dz_k, U_k in zip(dz, gate_blocks(self.U, 4))],
                                self.recurrent_masks)                                        # dz_k/dh = U_k r_k
        return dx, dh, dc_prev, dW, dU, db


def lstm_over_time(x, kernel, recurrent_kernel, bias, initial_state, activation, recurrent_activation,
                   return_sequences, go_backwards, mask, input_masks, recurrent_masks):
    """``minidl.ops.lstm`` in its readable form, on checked operands: ``LSTMStep`` at every time
    step. ``initial_state`` is ``[h0 or None, c0 or None]``; returns ``(output, h_T, c_T)``."""
    act = cell_activation(activation, "lstm", "activation")
    sigma = cell_activation(recurrent_activation, "lstm", "recurrent_activation")
    batch, units = x.shape[0], recurrent_kernel.shape[0]
    if bias is None:
        bias = constant_zeros((4 * units,), x)
    h0, c0 = [constant_zeros((batch, units), x) if state is None else state for state in initial_state]

    def make_step():
        return LSTMStep(act, sigma, input_masks, recurrent_masks)

    return run_over_time(make_step, x, [h0, c0], [kernel, recurrent_kernel, bias], go_backwards, mask,
                         return_sequences)
