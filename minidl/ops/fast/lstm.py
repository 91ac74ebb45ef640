"""The fast LSTM: a whole sequence in one Function, with hand-written backprop-through-time.

This is the fast form. It must equal the readable LSTM -- one cell step with a backward of one
line per derivative, looped over time -- in ``minidl/ops/reference/lstm.py``; read that first.

Keras's LSTM cell (gates i, f, c, o along the last axis of kernel (F, 4u), recurrent kernel
(u, 4u) and bias (4u,)); sigma is ``recurrent_activation``, act is ``activation``::

    i = sigma(x W_i + h U_i + b_i)        f = sigma(x W_f + h U_f + b_f)
    g = act(x W_c + h U_c + b_c)          o = sigma(x W_o + h U_o + b_o)
    c' = f * c + i * g                    h' = o * act(c')

Inside the op the gate blocks are reordered to (o, i, f, g): the three sigma gates are then one
contiguous block (one in-place sigma call per step), and so are the three gates whose gradient
is ``dc * something`` (one broadcast multiply per step in backward). With Keras's default
activations the step needs just one tanh call for all four gates: sigmoid(z) = (1 + tanh(z/2)) / 2,
and the sigmoid gates' weights are halved beforehand (exactly: halving only changes the exponent).
Everything that does not depend on the recurrence -- the derivatives of the activations, the
products they are multiplied with -- is computed for all steps at once before the backward time
loop, which then does one GEMM and five element-wise calls per step (and a subnormal flush where
the processor does not flush denormals itself: ``rnn_common.SubnormalFlush``).
See ``minidl.ops.fast.rnn_common`` for the layout, dropout and padding-mask conventions.
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
    forward_in_batch_halves,
    from_time_batch_feature,
    initial_state,
    inverse_order,
    output_gradients,
    reorder_gates,
    step_factor_chunks,
    to_time_feature_batch,
)
from minidl.runtime.parallel import one_blas_thread
from minidl.runtime.step_buffers import reusable_empty, reusable_empty_like

KERAS_TO_INTERNAL = [3, 0, 1, 2]  # Keras (i, f, c, o) -> internal (o, i, f, c)
INTERNAL_TO_KERAS = inverse_order(KERAS_TO_INTERNAL)


class FastLSTM(Function):
    """Inputs: x (batch, time, F), kernel, recurrent_kernel, [bias], [h0], [c0].
    Outputs: (output, h_T, c_T); output is (batch, time, u) or (batch, u).

    Must equal ``LSTMStep`` (``minidl/ops/reference/lstm.py``) run over time."""

    def __init__(self, options):
        self.options = options

    @one_blas_thread
    def forward(self, x, kernel, recurrent_kernel, *optional):
        halves = forward_in_batch_halves(self, x, kernel, recurrent_kernel, optional, gates=4)
        if halves is not None:  # inference of a large batch: its two halves on two cores at once
            return halves
        module = xp()
        opts = self.options
        bias, (h0, c0) = opts.unpack(optional)
        units = opts.units
        batch, time, _ = x.shape
        input_masks, recurrent_masks = opts.internal_masks(KERAS_TO_INTERNAL)
        sigma, act = opts.recurrent_activation, opts.activation
        self.fused_kernels = rnn_cuda.available(x.dtype, 4 * units, sigma, act)
        # sigmoid(z) = (1 + tanh(z / 2)) / 2: with the sigmoid gates' weights halved, one tanh call
        # per step serves all four gates (halving is exact in floating point)
        one_tanh = not self.fused_kernels and sigma.name == "sigmoid" and act.name == "tanh"
        scale = None
        if one_tanh:
            scale = module.ones(4 * units, dtype=x.dtype)
            scale[:3 * units] = 0.5
        self.projection = InputProjection(reorder_gates(kernel, KERAS_TO_INTERNAL, units), input_masks, 4, scale)
        self.recurrence = RecurrentProjection(reorder_gates(recurrent_kernel, KERAS_TO_INTERNAL, units),
                                              recurrent_masks, 4, scale)
        internal_bias = None if bias is None else reorder_gates(bias, KERAS_TO_INTERNAL, units, axis=0)
        self.padding = padding = opts.padding(x.dtype)

        # Training keeps every step's gates and states for backward. Inference (nothing will call
        # backward) keeps only what the loop needs: two slots of states that take turns (all of h
        # for return_sequences), one of act(c), and each chunk of projected gates until its steps
        # are done. With every step kept, ``t % slots`` is just t.
        keep = bool(self.needs_input_grad) or self.fused_kernels
        h_slots = time + 1 if keep or opts.return_sequences else 2
        c_slots = time + 1 if keep else 2
        states_h = reusable_empty((h_slots, units, batch), x.dtype)
        states_c = reusable_empty((c_slots, units, batch), x.dtype)
        act_c = reusable_empty((time if keep else 1, units, batch), x.dtype)  # act(c_t), for backward
        states_h[0] = initial_state(h0, units, batch, x.dtype)
        states_c[0] = initial_state(c0, units, batch, x.dtype)
        recurrent = module.empty((4 * units, batch), dtype=x.dtype)
        product = module.empty((units, batch), dtype=x.dtype)
        if padding is not None:
            new_h = module.empty((units, batch), dtype=x.dtype)
            new_c = module.empty((units, batch), dtype=x.dtype)
        xt = to_time_feature_batch(x, opts.go_backwards)
        if self.fused_kernels:  # the whole time loop in one GPU launch
            gates = self.projection.forward(xt, internal_bias)
            rnn_cuda.lstm_forward(gates, states_h, states_c, act_c, self.recurrence.kernel, self.recurrence.masks,
                                  padding, sigma, act)
        else:
            # the pre-activations x_t W + b, projected a chunk of steps ahead of the loop; each
            # step's z = chunk[t - first] becomes that step's gate values in place
            gates, chunks = self.projection.forward_in_chunks(xt, internal_bias, keep)
            for first, stop, chunk in chunks:
                for t in range(first, stop):
                    z = chunk[t - first]
                    h, c = states_h[t % h_slots], states_c[t % c_slots]
                    z += self.recurrence.forward(h, recurrent)
                    if one_tanh:
                        module.tanh(z, out=z)
                        sigmoid_gates = z[:3 * units]
                        sigmoid_gates *= 0.5
                        sigmoid_gates += 0.5
                    else:
                        sigma.apply(z[:3 * units])
                        act.apply(z[3 * units:])
                    o, i, f, g = z[:units], z[units:2 * units], z[2 * units:3 * units], z[3 * units:]
                    if padding is None:
                        new_h, new_c = states_h[(t + 1) % h_slots], states_c[(t + 1) % c_slots]
                    act_c_t = act_c[t % len(act_c)]
                    module.multiply(f, c, out=new_c)
                    module.multiply(i, g, out=product)
                    new_c += product
                    act.apply(new_c, out=act_c_t)
                    module.multiply(o, act_c_t, out=new_h)
                    if padding is not None:  # skipped steps carry the states over
                        states_h[(t + 1) % h_slots] = module.where(padding.keep[t], new_h, h)
                        states_c[(t + 1) % c_slots] = module.where(padding.keep[t], new_c, c)

        self.gates, self.states_h, self.states_c, self.act_c = gates, states_h, states_c, act_c
        final_h, final_c = states_h[time % h_slots], states_c[time % c_slots]
        output = assemble_outputs(states_h, final_h, padding, opts.return_sequences, opts.go_backwards)
        return output, module.ascontiguousarray(final_h.T), module.ascontiguousarray(final_c.T)

    def _step_factors(self, first, stop):
        """What the backward step needs that does not depend on the recurrence, for steps
        first..stop-1 at once (a cache-sized chunk): with dh, dc arriving at step t,

            dz_o = dh * factor_o,  dc += dh * factor_c,  dz_(i,f,g) = dc * factor_ifg,  dc_prev = dc * carry_c
        """
        module = xp()
        opts, padding, units = self.options, self.padding, self.options.units
        gates = self.gates[first:stop]
        act_c = self.act_c[first:stop]
        o, i, f, g = (gates[:, k * units:(k + 1) * units] for k in range(4))
        sigma_prime = opts.recurrent_activation.derivative(gates[:, :3 * units])
        factor_o = act_c * sigma_prime[:, :units]  # dz_o = dh * act(c) * sigma'(o)
        factor_c = o * opts.activation.derivative(act_c)  # dc += dh * o * act'(c)
        factor_ifg = module.empty((stop - first, 3 * units, gates.shape[2]), dtype=gates.dtype)
        module.multiply(g, sigma_prime[:, units:2 * units], out=factor_ifg[:, :units])  # dz_i = dc * g * sigma'(i)
        module.multiply(self.states_c[first:stop], sigma_prime[:, 2 * units:],
                        out=factor_ifg[:, units:2 * units])  # dz_f = dc * c_prev * sigma'(f)
        module.multiply(i, opts.activation.derivative(g), out=factor_ifg[:, 2 * units:])  # dz_g = dc * i * act'(g)
        carry_c = f  # dc_prev = dc * f
        if padding is not None:  # a skipped step passes dh and dc straight through
            keep = padding.keep_float[first:stop]
            factor_o *= keep
            factor_c *= keep
            factor_ifg *= keep
            carry_c = module.where(padding.keep[first:stop], f, 1)
        return factor_o, factor_c, factor_ifg.reshape(stop - first, 3, units, -1), carry_c

    @one_blas_thread
    def backward(self, grad_output, grad_h, grad_c):
        module = xp()
        opts, padding = self.options, self.padding
        units = opts.units
        gates = self.gates
        time = gates.shape[0]
        per_step, dh = output_gradients(grad_output, grad_h, padding, opts.return_sequences, time)
        dc = grad_c.T.copy()
        if self.fused_kernels:
            grad_gates, dh, dc = rnn_cuda.lstm_backward(
                gates, self.states_c, self.act_c, self.recurrence.kernel, self.recurrence.masks, padding, per_step,
                dh, dc, opts.recurrent_activation, opts.activation)
            return self._all_gradients(self._weight_gradients(grad_gates), dh, dc)

        grad_gates = reusable_empty_like(gates)  # dL/dz, pre-activation gradients of all steps
        weights = self._weight_gradients(grad_gates)  # computed behind the loop, block by block
        product = module.empty_like(dh)
        # (dh, dc) arriving at the current step, and the pair it passes to the step before: side
        # by side, so that one flush call cleans both
        current, previous = module.empty((2, 2) + dh.shape, dtype=dh.dtype)
        current[0], current[1] = dh, dc
        flush = SubnormalFlush(current.shape, dh.dtype)
        for first, stop in step_factor_chunks(time, gates[0].nbytes):
            factor_o, factor_c, factor_ifg, carry_c = self._step_factors(first, stop)
            for t in range(stop - 1, first - 1, -1):
                k = t - first
                dh, dc = current
                if per_step is not None and t < time - 1:
                    dh += per_step[t]
                dz = grad_gates[t]
                module.multiply(dh, factor_o[k], out=dz[:units])
                module.multiply(dh, factor_c[k], out=product)
                dc += product
                module.multiply(dc[None], factor_ifg[k], out=dz[units:].reshape(3, units, -1))
                module.multiply(dc, carry_c[k], out=previous[1])  # dc_prev = dc * f
                self.recurrence.grad_h(dz, out=previous[0])  # dh_prev = U dz
                if padding is not None:
                    module.multiply(dh, padding.skip_float[t], out=product)
                    previous[0] += product
                flush(previous)
                current, previous = previous, current
            weights.steps_final(first)
        return self._all_gradients(weights, current[0], current[1])

    def _weight_gradients(self, grad_gates):
        """The weight gradients of the pre-activation gradients ``grad_gates`` (filled in later)."""
        needs = self.needs_input_grad
        terms = [RecurrentTerm(self.recurrence, self.states_h[:-1], grad_gates)]  # A_t holds h U: dR = dA
        return WeightGradients(self.projection, grad_gates, terms, needs[0], needs[1], needs[2],
                               self.options.has_bias and needs[3])

    def _all_gradients(self, weights, dh, dc):
        """All the op's input gradients, in Keras's gate order, from the weight gradients and dh_0, dc_0."""
        module = xp()
        opts = self.options
        units = opts.units
        grad_xt, grad_kernel, grad_recurrent, grad_bias, _ = weights.result()
        grad_x = None if grad_xt is None else from_time_batch_feature(grad_xt, opts.go_backwards)
        if grad_kernel is not None:
            grad_kernel = reorder_gates(grad_kernel, INTERNAL_TO_KERAS, units)
        if grad_recurrent is not None:
            grad_recurrent = reorder_gates(grad_recurrent, INTERNAL_TO_KERAS, units)
        if grad_bias is not None:
            grad_bias = reorder_gates(grad_bias, INTERNAL_TO_KERAS, units, axis=0)
        grad_states = [module.ascontiguousarray(dh.T), module.ascontiguousarray(dc.T)]
        return (grad_x, grad_kernel, grad_recurrent, *opts.pack(grad_bias, grad_states))


def fast_lstm(x, kernel, recurrent_kernel, bias, initial_state, activation, recurrent_activation,
              return_sequences, go_backwards, mask, input_masks, recurrent_masks):
    """``minidl.ops.lstm`` in its fast form, on operands it has checked; returns ``(output, h_T, c_T)``.
    ``initial_state`` is ``[h0 or None, c0 or None]``; masks are raw arrays or None."""
    options = SequenceOptions("lstm", recurrent_kernel.shape[0], activation, recurrent_activation, return_sequences,
                              go_backwards, mask, input_masks, recurrent_masks, bias is not None,
                              [state is not None for state in initial_state])
    optional = ([bias] if bias is not None else []) + [state for state in initial_state if state is not None]
    return FastLSTM(options)(x, kernel, recurrent_kernel, *optional)
