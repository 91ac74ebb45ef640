"""The GRU, readable: one step of Keras's GRU cell as a Function whose backward has one line per
derivative, and the layer as that step looped over time (``time_loop.run_over_time``).

Keras's cell. The kernel W (features, 3u) and the recurrent kernel U (u, 3u) hold the gates
z, r, h side by side along their last axis; sigma is ``recurrent_activation`` (sigmoid), act is
``activation`` (tanh)::

    z  = sigma(x W_z + b_z + h U_z + b'_z)       update gate: how much of the old state to keep
    r  = sigma(x W_r + b_r + h U_r + b'_r)       reset gate: how much of the old state the candidate sees
    reset_after=True (TF2's default; bias (2, 3u) = the input row b and the recurrent row b'):
        hh = act(x W_h + b_h + r * (h U_h + b'_h))
    reset_after=False (Keras 2 and the DLW book; bias (3u,) = b, and b' = 0):
        hh = act(x W_h + b_h + (r * h) U_h)
    h' = z * h + (1 - z) * hh

Under dropout (Keras 2's ``implementation=1``) gate k reads its own copies x_k = x * m_k and
h_k = h * r_k; without it, x_k = x and h_k = h. (h' mixes in the plain h.)

The fast form, which must give the same numbers, is ``minidl/ops/fast/gru.py``: the whole
sequence in one Function with reused buffers, and on a GPU one CUDA kernel for the time loop.
"""

from minidl.autograd.function import Function, xp
from minidl.ops.reference.gates import back_through_masks, gate_blocks, per_gate
from minidl.ops.reference.rnn_activations import cell_activation
from minidl.ops.reference.time_loop import constant_zeros, run_over_time


class GRUStep(Function):
    """One step of the GRU cell.

    Inputs: x (batch, features), h (batch, u), W, U, b. Output: h'. ``input_masks`` (3, batch,
    features) and ``recurrent_masks`` (3, batch, u) are the per-gate dropout masks in Keras's
    gate order, or None.
    """

    def __init__(self, activation, recurrent_activation, reset_after, input_masks=None, recurrent_masks=None):
        self.act, self.sigma, self.reset_after = activation, recurrent_activation, reset_after
        self.input_masks, self.recurrent_masks = input_masks, recurrent_masks

    def forward(self, x, h, W, U, b):
        act, sigma = self.act, self.sigma
        x_z, x_r, x_h = per_gate(x, self.input_masks, 3)
        h_z, h_r, h_h = per_gate(h, self.recurrent_masks, 3)
        W_z, W_r, W_h = gate_blocks(W, 3)
        U_z, U_r, U_h = gate_blocks(U, 3)
        if self.reset_after:
            (b_z, b_r, b_h), (rb_z, rb_r, rb_h) = gate_blocks(b[0], 3), gate_blocks(b[1], 3)
        else:
            (b_z, b_r, b_h), (rb_z, rb_r, rb_h) = gate_blocks(b, 3), (0, 0, 0)

        z = sigma(x_z @ W_z + b_z + h_z @ U_z + rb_z)
        r = sigma(x_r @ W_r + b_r + h_r @ U_r + rb_r)
        if self.reset_after:
            self.h_U_h = h_h @ U_h + rb_h           # the candidate's recurrent part, before r scales it
            hh = act(x_h @ W_h + b_h + r * self.h_U_h)
        else:
            self.r_h = r * h_h                      # the reset state the candidate reads
            hh = act(x_h @ W_h + b_h + self.r_h @ U_h)
        h_new = z * h + (1 - z) * hh

        self.x_in, self.h_in = [x_z, x_r, x_h], [h_z, h_r, h_h]
        self.h, self.W, self.U, self.z, self.r, self.hh = h, W, U, z, r, hh
        return h_new

    def backward(self, dh_new):
        act, sigma = self.act, self.sigma
        h, z, r, hh = self.h, self.z, self.r, self.hh
        h_z, h_r, h_h = self.h_in
        U_z, U_r, U_h = gate_blocks(self.U, 3)
        module = xp()

        # h' = z * h + (1 - z) * hh
        dz = dh_new * (h - hh)                                  # dh'/dz = h - hh
        dhh = dh_new * (1 - z)                                  # dh'/dhh = 1 - z
        dh = dh_new * z                                         # dh'/dh = z: the direct path back in time
        # z = sigma(a_z), hh = act(a_h)
        da_z = dz * sigma.derivative(z)                         # dz/da_z = sigma'(a_z)
        da_h = dhh * act.derivative(hh)                         # dhh/da_h = act'(a_h)
        if self.reset_after:
            # a_h = x_h W_h + b_h + r * (h_h U_h + b'_h)
            dr = da_h * self.h_U_h                              # da_h/dr = h_h U_h + b'_h
            d_h_U_h = da_h * r                                  # da_h/d(h_h U_h + b'_h) = r
            da_r = dr * sigma.derivative(r)                     # dr/da_r = sigma'(a_r)
            d_recurrent = [da_z, da_r, d_h_U_h]                 # dL/d(h_k U_k + b'_k) for k = z, r, h
            dU = module.concatenate([h_k.T @ d_k for h_k, d_k in zip(self.h_in, d_recurrent)], axis=1)
            dh = dh + back_through_masks([d_k @ U_k.T for d_k, U_k in zip(d_recurrent, (U_z, U_r, U_h))],
                                         self.recurrent_masks)  # d(h_k U_k)/dh = U_k r_k
        else:
            # a_h = x_h W_h + b_h + (r * h_h) U_h
            d_r_h = da_h @ U_h.T                                # da_h/d(r h_h) = U_h
            dr = d_r_h * h_h                                    # d(r h_h)/dr = h_h
            da_r = dr * sigma.derivative(r)                     # dr/da_r = sigma'(a_r)
            dU = module.concatenate([h_z.T @ da_z, h_r.T @ da_r, self.r_h.T @ da_h], axis=1)
            dh = dh + back_through_masks([da_z @ U_z.T, da_r @ U_r.T, d_r_h * r],
                                         self.recurrent_masks)  # d(h_z U_z)/dh = U_z r_z, d(r h_h)/dh = r r_h
        da = [da_z, da_r, da_h]                                 # a_k = x_k W_k + b_k + (recurrent part)
        dW = module.concatenate([x_k.T @ da_k for x_k, da_k in zip(self.x_in, da)], axis=1)   # da_k/dW_k = x_k
        dx = back_through_masks([da_k @ W_k.T for da_k, W_k in zip(da, gate_blocks(self.W, 3))],
                                self.input_masks)                                            # da_k/dx = W_k m_k
        db = module.concatenate([da_k.sum(axis=0) for da_k in da])                           # da_k/db_k = 1
        if self.reset_after:
            db = module.stack([db, module.concatenate([d_k.sum(axis=0) for d_k in d_recurrent])])  # and b'_k
        return dx, dh, dW, dU, db


def gru_over_time(x, kernel, recurrent_kernel, bias, initial_state, activation, recurrent_activation, reset_after,
                  return_sequences, go_backwards, mask, input_masks, recurrent_masks):
    """``minidl.ops.gru`` in its readable form, on checked operands: ``GRUStep`` at every time
    step. ``initial_state`` is ``[h0 or None]``; returns ``(output, h_T)``."""
    act = cell_activation(activation, "gru", "activation")
    sigma = cell_activation(recurrent_activation, "gru", "recurrent_activation")
    batch, units = x.shape[0], recurrent_kernel.shape[0]
    if bias is None:
        bias = constant_zeros((2, 3 * units) if reset_after else (3 * units,), x)
    h0 = constant_zeros((batch, units), x) if initial_state[0] is None else initial_state[0]

    def make_step():
        return GRUStep(act, sigma, reset_after, input_masks, recurrent_masks)

    return run_over_time(make_step, x, [h0], [kernel, recurrent_kernel, bias], go_backwards, mask, return_sequences)
