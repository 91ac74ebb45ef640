"""The fast SimpleRNN: a whole sequence in one Function, with hand-written BPTT.

This is the fast form. It must equal the readable SimpleRNN -- one cell step with its backward,
looped over time -- in ``minidl/ops/reference/simple_rnn.py``; read that first.

Keras's SimpleRNN cell, kernel (F, u), recurrent kernel (u, u), bias (u,)::

    h' = act(x W + h U + b)

Forward does one recurrent GEMM, one add and the activation per step; backward one GEMM and
one multiply per step (see ``minidl.ops.fast.rnn_common`` for layout, dropout and masking).
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
    output_gradients,
    to_time_feature_batch,
)
from minidl.runtime.parallel import one_blas_thread
from minidl.runtime.step_buffers import reusable_empty, reusable_empty_like


class FastSimpleRNN(Function):
    """Inputs: x (batch, time, F), kernel, recurrent_kernel, [bias], [h0]. Outputs: (output, h_T).

    Must equal ``SimpleRNNStep`` (``minidl/ops/reference/simple_rnn.py``) run over time."""

    def __init__(self, options):
        self.options = options

    @one_blas_thread
    def forward(self, x, kernel, recurrent_kernel, *optional):
        halves = forward_in_batch_halves(self, x, kernel, recurrent_kernel, optional, gates=1)
        if halves is not None:  # inference of a large batch: its two halves on two cores at once
            return halves
        module = xp()
        opts = self.options
        bias, (h0,) = opts.unpack(optional)
        units = opts.units
        batch, time, _ = x.shape
        self.projection = InputProjection(kernel, opts.input_masks, 1)
        self.recurrence = RecurrentProjection(recurrent_kernel, opts.recurrent_masks, 1)
        self.padding = padding = opts.padding(x.dtype)

        # Training keeps every step's pre-activations and states for backward; inference keeps
        # two state slots that take turns (all states for return_sequences) and each chunk of
        # projected inputs until its steps are done. With every step kept, ``t % slots`` is t.
        self.fused_kernels = rnn_cuda.available(x.dtype, units, opts.activation)
        keep = bool(self.needs_input_grad) or self.fused_kernels
        slots = time + 1 if keep or opts.return_sequences else 2
        states = reusable_empty((slots, units, batch), x.dtype)
        states[0] = initial_state(h0, units, batch, x.dtype)
        recurrent = module.empty((units, batch), dtype=x.dtype)
        xt = to_time_feature_batch(x, opts.go_backwards)
        if self.fused_kernels:  # the whole time loop in one GPU launch
            cell = self.projection.forward(xt, bias)
            rnn_cuda.simple_forward(cell, states, self.recurrence.kernel, self.recurrence.masks, padding,
                                    opts.activation)
        else:
            # x_t W + b, projected a chunk of steps ahead of the loop; each step's
            # z = chunk[t - first] becomes that step's new state act(z) in place
            cell, chunks = self.projection.forward_in_chunks(xt, bias, keep)
            for first, stop, chunk in chunks:
                for t in range(first, stop):
                    z, h = chunk[t - first], states[t % slots]
                    z += self.recurrence.forward(h, recurrent)
                    opts.activation.apply(z)
                    if padding is None:
                        states[(t + 1) % slots] = z
                    else:  # a skipped step carries the state over
                        states[(t + 1) % slots] = module.where(padding.keep[t], z, h)
        self.cell, self.states = cell, states
        final = states[time % slots]
        output = assemble_outputs(states, final, padding, opts.return_sequences, opts.go_backwards)
        return output, module.ascontiguousarray(final.T)

    @one_blas_thread
    def backward(self, grad_output, grad_h):
        module = xp()
        opts, padding = self.options, self.padding
        time = self.cell.shape[0]
        per_step, dh = output_gradients(grad_output, grad_h, padding, opts.return_sequences, time)
        if self.fused_kernels:
            grad_pre, dh = rnn_cuda.simple_backward(self.cell, self.recurrence.kernel, self.recurrence.masks, padding,
                                                    per_step, dh, opts.activation)
            return self._all_gradients(self._weight_gradients(grad_pre), dh)

        grad_pre = reusable_empty_like(self.cell)  # dL/dz for z = x W + h U + b, all steps
        weights = self._weight_gradients(grad_pre)  # computed behind the loop, block by block
        dh_prev = module.empty_like(dh)
        skipped = module.empty_like(dh)
        flush = SubnormalFlush(dh.shape, dh.dtype)
        for t in range(time - 1, -1, -1):
            if per_step is not None and t < time - 1:
                dh += per_step[t]
            dz = grad_pre[t]
            module.multiply(dh, opts.activation.derivative(self.cell[t]), out=dz)  # dz = dh * act'(z)
            if padding is not None:
                dz *= padding.keep_float[t]
            self.recurrence.grad_h(dz, out=dh_prev)  # dh_prev = U dz
            if padding is not None:  # a skipped step passes dh straight through
                module.multiply(dh, padding.skip_float[t], out=skipped)
                dh_prev += skipped
            flush(dh_prev)
            dh, dh_prev = dh_prev, dh
            weights.steps_final(t)
        return self._all_gradients(weights, dh)

    def _weight_gradients(self, grad_pre):
        """The weight gradients of the pre-activation gradients ``grad_pre`` (filled in later)."""
        needs = self.needs_input_grad
        terms = [RecurrentTerm(self.recurrence, self.states[:-1], grad_pre)]  # A_t holds h U: dR = dA
        return WeightGradients(self.projection, grad_pre, terms, needs[0], needs[1], needs[2],
                               self.options.has_bias and needs[3])

    def _all_gradients(self, weights, dh):
        """All the op's input gradients from the weight gradients and dh_0."""
        opts = self.options
        grad_xt, grad_kernel, grad_recurrent, grad_bias, _ = weights.result()
        grad_x = None if grad_xt is None else from_time_batch_feature(grad_xt, opts.go_backwards)
        return (grad_x, grad_kernel, grad_recurrent, *opts.pack(grad_bias, [xp().ascontiguousarray(dh.T)]))


def fast_simple_rnn(x, kernel, recurrent_kernel, bias, initial_state, activation, return_sequences, go_backwards,
                    mask, input_masks, recurrent_masks):
    """``minidl.ops.simple_rnn`` in its fast form, on operands it has checked; returns ``(output, h_T)``.
    ``initial_state`` is ``[h0 or None]``; masks are raw arrays or None."""
    options = SequenceOptions("simple_rnn", recurrent_kernel.shape[0], activation, "linear", return_sequences,
                              go_backwards, mask, input_masks, recurrent_masks, bias is not None,
                              [state is not None for state in initial_state])
    optional = ([bias] if bias is not None else []) + [state for state in initial_state if state is not None]
    return FastSimpleRNN(options)(x, kernel, recurrent_kernel, *optional)
