"""The fast GRU: a whole sequence in one Function, with hand-written BPTT.

This is the fast form. It must equal the readable GRU -- one cell step with a backward of one
line per derivative, looped over time -- in ``minidl/ops/reference/gru.py``; read that first.

Keras's GRU cell, gates z, r, h along the last axis of kernel (F, 3u) and recurrent kernel
(u, 3u); sigma is ``recurrent_activation``, act is ``activation``::

    z = sigma(x W_z + h U_z + b_z)         r = sigma(x W_r + h U_r + b_r)
    reset_after=True  (TF2 default, bias (2, 3u) = input row, recurrent row):
        hh = act(x W_h + b_h + r * (h U_h + b'_h))
    reset_after=False (Keras 2 / the DLW book, bias (3u,)):
        hh = act(x W_h + (r * h) U_h + b_h)
    h' = z * h + (1 - z) * hh

The backward time loop does one GEMM (reset_after=True) or two (reset_after=False) per step;
the weight gradients are computed in blocks of steps on another core behind it
(``WeightGradients``). See ``minidl.ops.fast.rnn_common`` for layout, dropout and masking.
"""

from minidl.autograd.function import Function, xp
from minidl.ops.fast import rnn_cuda
from minidl.ops.fast.rnn_common import (
    InputProjection,
    RecurrentProjection,
    RecurrentTerm,
    SequenceOptions,
    SubnormalFlush,
    WeightGradients,
    assemble_outputs,
    feature_major_masks,
    forward_in_batch_halves,
    from_time_batch_feature,
    initial_state,
    output_gradients,
    step_factor_chunks,
    to_time_feature_batch,
)
from minidl.runtime.parallel import one_blas_thread
from minidl.runtime.step_buffers import reusable_empty, reusable_empty_like


class FastGRU(Function):
    """Inputs: x (batch, time, F), kernel, recurrent_kernel, [bias], [h0]. Outputs: (output, h_T).

    Must equal ``GRUStep`` (``minidl/ops/reference/gru.py``) run over time."""

    def __init__(self, options, reset_after):
        self.options = options
        self.reset_after = bool(reset_after)

    @one_blas_thread
    def forward(self, x, kernel, recurrent_kernel, *optional):
        halves = forward_in_batch_halves(self, x, kernel, recurrent_kernel, optional, gates=3)
        if halves is not None:  # inference of a large batch: its two halves on two cores at once
            return halves
        module = xp()
        opts = self.options
        bias, (h0,) = opts.unpack(optional)
        units = opts.units
        batch, time, _ = x.shape
        dtype = x.dtype
        input_bias = recurrent_bias = None
        if bias is not None:
            input_bias, recurrent_bias = (bias[0], bias[1][:, None]) if self.reset_after else (bias, None)
        self.projection = InputProjection(kernel, opts.input_masks, 3)
        masks = opts.recurrent_masks
        if self.reset_after:
            self.recurrence = RecurrentProjection(recurrent_kernel, masks, 3)
        else:  # z and r read h; the candidate reads r * h through its own block U_h
            self.recurrence_zr = RecurrentProjection(recurrent_kernel[:, :2 * units],
                                                     None if masks is None else masks[:2], 2)
            self.recurrence_h = RecurrentProjection(recurrent_kernel[:, 2 * units:],
                                                    None if masks is None else masks[2:], 1)
        self.padding = padding = opts.padding(dtype)
        self.recurrent_kernel = recurrent_kernel

        # Training keeps every step's gates, states and saved products for backward; inference
        # keeps two state slots that take turns (all states for return_sequences), one slot of
        # the saved product and each chunk of projected gates until its steps are done. With
        # every step kept, ``t % slots`` is just t.
        sigma, act = opts.recurrent_activation, opts.activation
        self.fused_kernels = rnn_cuda.available(dtype, 3 * units, sigma, act)
        keep = bool(self.needs_input_grad) or self.fused_kernels
        slots = time + 1 if keep or opts.return_sequences else 2
        states = reusable_empty((slots, units, batch), dtype)
        states[0] = initial_state(h0, units, batch, dtype)
        # reset_after: the recurrent pre-activations h U + b' of every step (r multiplies their
        # h-block); otherwise the candidate's recurrent input r * h of every step
        saved_steps = time if keep else 1
        if self.reset_after:
            saved = reusable_empty((saved_steps, 3 * units, batch), dtype)
        else:
            saved = reusable_empty((saved_steps, units, batch), dtype)
            recurrent_zr = module.empty((2 * units, batch), dtype=dtype)
            recurrent_h = module.empty((units, batch), dtype=dtype)
        product = module.empty((units, batch), dtype=dtype)
        new_h = module.empty((units, batch), dtype=dtype)

        xt = to_time_feature_batch(x, opts.go_backwards)
        if self.fused_kernels:  # the whole time loop in one GPU launch
            gates = self.projection.forward(xt, input_bias)
            rnn_cuda.gru_forward(gates, saved, states, recurrent_kernel, recurrent_bias,
                                 feature_major_masks(masks), padding, sigma, act, self.reset_after)
        else:
            # x_t W + b, projected a chunk of steps ahead of the loop; each step's
            # a = chunk[t - first] becomes that step's gate values (z, r, hh) in place
            gates, chunks = self.projection.forward_in_chunks(xt, input_bias, keep)
            for first, stop, chunk in chunks:
                for t in range(first, stop):
                    a, h, saved_t = chunk[t - first], states[t % slots], saved[t % saved_steps]
                    z, r, candidate = a[:units], a[units:2 * units], a[2 * units:]
                    if self.reset_after:
                        recurrent = self.recurrence.forward(h, saved_t)
                        if recurrent_bias is not None:
                            recurrent += recurrent_bias
                        a[:2 * units] += recurrent[:2 * units]
                        sigma.apply(a[:2 * units])
                        module.multiply(r, recurrent[2 * units:], out=product)
                        candidate += product
                    else:
                        a[:2 * units] += self.recurrence_zr.forward(h, recurrent_zr)
                        sigma.apply(a[:2 * units])
                        module.multiply(r, h, out=saved_t)
                        candidate += self.recurrence_h.forward(saved_t, recurrent_h)
                    act.apply(candidate)
                    # h' = z h + (1 - z) hh = hh + z (h - hh)
                    target = states[(t + 1) % slots] if padding is None else new_h
                    module.subtract(h, candidate, out=target)
                    target *= z
                    target += candidate
                    if padding is not None:  # a skipped step carries the state over
                        states[(t + 1) % slots] = module.where(padding.keep[t], new_h, h)

        self.gates, self.states, self.saved = gates, states, saved
        final = states[time % slots]
        output = assemble_outputs(states, final, padding, opts.return_sequences, opts.go_backwards)
        return output, module.ascontiguousarray(final.T)

    @one_blas_thread
    def backward(self, grad_output, grad_h):
        module = xp()
        opts, padding = self.options, self.padding
        units = opts.units
        gates, states, saved = self.gates, self.states, self.saved
        time = gates.shape[0]
        per_step, dh = output_gradients(grad_output, grad_h, padding, opts.return_sequences, time)
        sigma, act = opts.recurrent_activation, opts.activation
        if self.fused_kernels:
            grad_gates, grad_recurrent, dh = rnn_cuda.gru_backward(
                gates, states, saved, self.recurrent_kernel, feature_major_masks(opts.recurrent_masks), padding,
                per_step, dh, sigma, act, self.reset_after)
            weights = self._weight_gradients(grad_gates, grad_recurrent)
            return self._all_gradients(weights, dh)

        grad_gates = reusable_empty_like(gates)  # dL/d(pre-activations) of z, r, hh: the input side
        grad_recurrent = reusable_empty_like(saved) if self.reset_after else None  # dL/d(h U + b')
        weights = self._weight_gradients(grad_gates, grad_recurrent)  # computed behind the loop, block by block
        dh_prev = module.empty_like(dh)
        dr_h = module.empty_like(dh)
        flush = SubnormalFlush(dh.shape, dh.dtype)
        for first, stop in step_factor_chunks(time, gates[0].nbytes):
            factor_zh, factor_r, carry = self._step_factors(first, stop)
            for t in range(stop - 1, first - 1, -1):
                k = t - first
                if per_step is not None and t < time - 1:
                    dh += per_step[t]
                dz = grad_gates[t]
                # dz_z = dh * factor_z and dz_h = dh * factor_h: blocks 0 and 2 of dz, in one call
                module.multiply(dh[None], factor_zh[k], out=dz.reshape(3, units, -1)[::2])
                if self.reset_after:
                    module.multiply(dz[2 * units:], factor_r[k], out=dz[units:2 * units])  # dz_r = dz_h * factor_r
                    dr = grad_recurrent[t]  # d(h U + b') = (dz_z, dz_r, dz_h * r)
                    dr[:2 * units] = dz[:2 * units]
                    module.multiply(dz[2 * units:], gates[t, units:2 * units], out=dr[2 * units:])
                    self.recurrence.grad_h(dr, out=dh_prev)  # dh_prev = U d(h U) + dh * z
                else:
                    # d(r h) = U_h dz_h;  dz_r = d(r h) * factor_r;  dh_prev gets d(r h) * r
                    self.recurrence_h.grad_h(dz[2 * units:], out=dr_h)
                    module.multiply(dr_h, factor_r[k], out=dz[units:2 * units])
                    self.recurrence_zr.grad_h(dz[:2 * units], out=dh_prev)
                    dr_h *= gates[t, units:2 * units]
                    dh_prev += dr_h
                dh *= carry[k]
                dh_prev += dh
                flush(dh_prev)
                dh, dh_prev = dh_prev, dh
                weights.steps_final(t)
        return self._all_gradients(weights, dh)

    def _step_factors(self, first, stop):
        """What the backward step needs that does not depend on the recurrence, for steps
        first..stop-1 at once (a cache-sized chunk): with dh arriving at step t,

            dz_z = dh * factor_z     factor_z = (h - hh) sigma'(z)
            dz_h = dh * factor_h     factor_h = (1 - z) act'(hh)
            dz_r = dz_h * factor_r   factor_r = (h U_h + b'_h) sigma'(r)      (reset_after)
            dz_r = d(r h) * factor_r factor_r = h sigma'(r)                   (otherwise)
            dh_prev gets dh * carry, carry = z

        factor_z and factor_h come stacked as (steps, 2, u, batch); a step the padding mask skips
        sends nothing into the cell and passes dh straight through (carry 1).
        """
        module = xp()
        opts, padding, units = self.options, self.padding, self.options.units
        gates, h = self.gates[first:stop], self.states[first:stop]
        z, candidate = gates[:, :units], gates[:, 2 * units:]
        sigma_prime = opts.recurrent_activation.derivative(gates[:, :2 * units])
        factor_zh = module.empty((stop - first, 2, units, gates.shape[2]), dtype=gates.dtype)
        module.multiply(h - candidate, sigma_prime[:, :units], out=factor_zh[:, 0])
        module.multiply(1 - z, opts.activation.derivative(candidate), out=factor_zh[:, 1])
        r_multiplies = self.saved[first:stop, 2 * units:] if self.reset_after else h  # h U_h + b'_h, or h
        factor_r = r_multiplies * sigma_prime[:, units:]
        carry = z
        if padding is not None:
            factor_zh *= padding.keep_float[first:stop, None]
            carry = module.where(padding.keep[first:stop], z, 1)
        return factor_zh, factor_r, carry

    def _weight_gradients(self, grad_gates, grad_recurrent):
        """The weight gradients of dL/d(input pre-activations) ``grad_gates`` and, when
        ``reset_after``, dL/d(h U + b') ``grad_recurrent`` (both filled in later)."""
        units, needs, states = self.options.units, self.needs_input_grad, self.states
        need_bias = self.options.has_bias and needs[3]
        if self.reset_after:  # one recurrent product, h U + b', with its own gradient and bias row
            terms = [RecurrentTerm(self.recurrence, states[:-1], grad_recurrent)]
        else:  # z and r read h through U_zr; the candidate reads r * h through U_h
            terms = [RecurrentTerm(self.recurrence_zr, states[:-1], grad_gates[:, :2 * units]),
                     RecurrentTerm(self.recurrence_h, self.saved, grad_gates[:, 2 * units:])]
        return WeightGradients(self.projection, grad_gates, terms, needs[0], needs[1], needs[2], need_bias,
                               need_recurrent_bias=need_bias and self.reset_after)

    def _all_gradients(self, weights, dh):
        """All the op's input gradients from the weight gradients and dh_0."""
        opts = self.options
        grad_xt, grad_kernel, grad_recurrent_kernel, grad_bias, grad_recurrent_bias = weights.result()
        grad_x = None if grad_xt is None else from_time_batch_feature(grad_xt, opts.go_backwards)
        if grad_recurrent_bias is not None:  # reset_after's bias (2, 3u): the input row, the recurrent row
            grad_bias = xp().stack([grad_bias, grad_recurrent_bias])
        grad_states = [xp().ascontiguousarray(dh.T)]
        return (grad_x, grad_kernel, grad_recurrent_kernel, *opts.pack(grad_bias, grad_states))


def fast_gru(x, kernel, recurrent_kernel, bias, initial_state, activation, recurrent_activation, reset_after,
             return_sequences, go_backwards, mask, input_masks, recurrent_masks):
    """``minidl.ops.gru`` in its fast form, on operands it has checked; returns ``(output, h_T)``.
    ``initial_state`` is ``[h0 or None]``; masks are raw arrays or None."""
    options = SequenceOptions("gru", recurrent_kernel.shape[0], activation, recurrent_activation, return_sequences,
                              go_backwards, mask, input_masks, recurrent_masks, bias is not None,
                              [state is not None for state in initial_state])
    optional = ([bias] if bias is not None else []) + [state for state in initial_state if state is not None]
    return FastGRU(options, reset_after)(x, kernel, recurrent_kernel, *optional)
