"""What the fast recurrent ops (``fast/simple_rnn.py``, ``fast/lstm.py``, ``fast/gru.py``) share.

These are the fast forms. Their readable counterparts -- one cell step as a Function with a
hand-written backward, looped over time -- are ``minidl/ops/reference/simple_rnn.py``,
``lstm.py`` and ``gru.py``; the fast ops must give the same numbers (the tests hold them to it).

Each recurrent layer runs its whole sequence inside ONE ``Function``: the forward pass loops
over time doing only the recurrent matrix product and the gate arithmetic, in preallocated
buffers; the backward pass is hand-written backprop-through-time (BPTT). This module holds what
the three cells share: the memory layout, the input and recurrent projections (with Keras 2's
per-gate dropout masks), in-place activations with their derivatives, and padding masks.

Layout. Inside the ops a sequence lives as (time, features, batch) -- time-major and
feature-major -- although layers see (batch, time, features). With features before batch, each
gate's block of a step's pre-activations, ``A[t, g*u:(g+1)*u, :]``, is one contiguous piece of
memory, so the many small element-wise calls per step run on contiguous data (NumPy is 2-4x
slower on the column slices the (batch, features) layout would give), and the recurrent
product is the single GEMM ``U^T (G*u, u) @ h (u, batch)``.

Projections. The input projection is never a per-step GEMM inside the loop: it is
``W^T (G*u, F) @ x_t (F, batch)`` for a whole chunk of steps in one batched call (all steps at
once on a GPU). On the CPU the forward loop gets it chunk by chunk, each chunk projected on the
second core while the loop runs the one before (``InputProjection.forward_in_chunks``); the
weight gradients are likewise sums over blocks of steps, computed on the second core while the
backward time loop is still busy with earlier steps (``WeightGradients``).

Inference. When nothing will call backward (``no_grad``, ``predict``), the forward loops keep
only what the next step needs -- two state slots taking turns, one chunk of projected gates --
instead of every step's gates and states: the same numbers, with far less memory traffic.

Dropout (Keras 2, ``implementation=1``): one mask per sequence, fixed across time steps, and a
separate mask per gate -- gate g sees ``x * input_masks[g]`` and ``h * recurrent_masks[g]``.
Masks come in Keras's gate order with shape (gates, batch, features) and (gates, batch, units);
the layers draw them with ``minidl.ops.dropout.dropout_mask``, the ops take them as constants,
so tests can feed the same masks to the fused op and to the reference.

Padding masks (Keras): where ``mask[b, t]`` is False, the step is skipped for sample b -- the
states carry over unchanged, and so does the output (which starts as zeros).
"""

import copy
from typing import NamedTuple

import numpy as np

from minidl.autograd.function import xp
from minidl.autograd.tensor import Tensor
from minidl.runtime import backend, denormals
from minidl.runtime.parallel import (
    WorkBehind,
    another_core_is_free,
    chunks_ahead,
    map_chunks,
    on_own_core,
    sample_chunks,
    stacked_matmul_on_cores,
    sum_in_order,
    summed_matmul_on_cores,
)
from minidl.runtime.step_buffers import reusable_empty, reusable_empty_like

# -- activations applied in place, with derivatives from their outputs --------------------------


def _sigmoid_apply(a, out):
    # sigmoid(x) = (1 + tanh(x/2)) / 2: one transcendental call, no overflow
    module = xp()
    module.multiply(a, 0.5, out=out)
    module.tanh(out, out=out)
    module.multiply(out, 0.5, out=out)
    module.add(out, 0.5, out=out)


def _sigmoid_derivative(y):
    return y * (1 - y)  # d sigmoid/dx = y (1 - y)


def _hard_sigmoid_apply(a, out):
    # Keras 2's hard_sigmoid: clip(0.2 x + 0.5, 0, 1)
    module = xp()
    module.multiply(a, 0.2, out=out)
    module.add(out, 0.5, out=out)
    module.clip(out, 0.0, 1.0, out=out)


def _hard_sigmoid_derivative(y):
    return ((y > 0) & (y < 1)) * y.dtype.type(0.2)  # 0.2 on the linear piece, 0 where clipped


def _tanh_apply(a, out):
    xp().tanh(a, out=out)


def _tanh_derivative(y):
    return 1 - y * y  # d tanh/dx = 1 - y^2


def _relu_apply(a, out):
    xp().maximum(a, 0, out=out)


def _relu_derivative(y):
    return (y > 0).astype(y.dtype)  # d relu/dx = [x > 0] = [y > 0]


def _linear_apply(a, out):
    if out is not a:
        xp().copyto(out, a)


def _linear_derivative(y):
    return xp().ones_like(y)  # d x/dx = 1


class InplaceActivation:
    """An activation the fused ops write into a buffer, and its derivative from its output.

    ``apply(a)`` overwrites ``a`` with activation(a); ``apply(a, out)`` writes it into ``out``.
    """

    def __init__(self, name, apply, derivative):
        self.name, self._apply, self.derivative = name, apply, derivative

    def apply(self, a, out=None):
        self._apply(a, a if out is None else out)
        return a if out is None else out

    def __repr__(self):
        return f"<InplaceActivation {self.name}>"


_INPLACE_ACTIVATIONS = {
    "tanh": InplaceActivation("tanh", _tanh_apply, _tanh_derivative),
    "sigmoid": InplaceActivation("sigmoid", _sigmoid_apply, _sigmoid_derivative),
    "hard_sigmoid": InplaceActivation("hard_sigmoid", _hard_sigmoid_apply, _hard_sigmoid_derivative),
    "relu": InplaceActivation("relu", _relu_apply, _relu_derivative),
    "linear": InplaceActivation("linear", _linear_apply, _linear_derivative),
}
_INPLACE_ACTIVATIONS[None] = _INPLACE_ACTIVATIONS["linear"]


def get_inplace_activation(identifier, op_name, argument):
    """The in-place form of a named activation, or a clear error naming the op and argument."""
    if isinstance(identifier, InplaceActivation):
        return identifier
    if isinstance(identifier, str) or identifier is None:
        found = _INPLACE_ACTIVATIONS.get(identifier if identifier is None else identifier.lower())
        if found is not None:
            return found
    supported = sorted(name for name in _INPLACE_ACTIVATIONS if name)
    raise ValueError(
        f"{op_name}: {argument} must be one of {supported} (the fused recurrent ops write each "
        f"derivative from the activation's output), got {identifier!r}"
    )


# -- operands --------------------------------------------------------------------------------------


def raw(value):
    """The backend array of a Tensor (masks are constants, never differentiated)."""
    return value.data if isinstance(value, Tensor) else value


# -- layout --------------------------------------------------------------------------------------


def to_time_feature_batch(x, go_backwards):
    """(batch, time, F) -> (time, F, batch), in the order the steps are processed.

    On the CPU this is a view, not a copy: the sequence is only ever a GEMM operand (the input
    projection and its weight gradient), and BLAS reads a step's (F, batch) block in place as a
    transposed matrix, every feature row of a sample contiguous -- for a little more time in the
    GEMM than the transposing copy took (measured: LSTM inference on 4096 sequences 1.14x
    faster, GRU training 1.15x, Bidirectional LSTM 1.25x). The products are the same up to
    float rounding: bit for bit at batch sizes such as 16, 32, 64 or 128, but OpenBLAS takes
    another kernel for some others (a last batch of 40 differs in the last bits). On a GPU it
    is a contiguous copy."""
    if go_backwards:
        x = x[:, ::-1]
    if xp() is np:
        return x.transpose(1, 2, 0)
    return xp().ascontiguousarray(x.transpose(1, 2, 0))


def from_time_feature_batch(seq, go_backwards):
    """(time, F, batch) -> contiguous (batch, time, F); undoes ``to_time_feature_batch``."""
    if go_backwards:
        seq = seq[::-1]
    return transposed_copy(seq, (2, 0, 1), block_axis=0)


def from_time_batch_feature(seq, go_backwards):
    """(time, batch, F) -> contiguous (batch, time, F), reversing time if ``go_backwards``."""
    if go_backwards:
        seq = seq[::-1]
    return transposed_copy(seq, (1, 0, 2), block_axis=0)


def transposed_copy(array, axes, block_axis, block=16):
    """``ascontiguousarray(array.transpose(axes))``, copied ``block`` indices of ``array``'s axis
    ``block_axis`` at a time on the CPU.

    One big transposing copy reads or writes single elements far apart (a sequence's layout
    change from (batch, time, F) to (time, F, batch) writes each float a batch apart); in blocks
    of 16 the same copy moves whole 64-byte cache lines and runs 2-3x faster at the sizes of the
    labs' RNNs. On a GPU it is one copy."""
    view = array.transpose(axes)
    if xp() is not np:
        return xp().ascontiguousarray(view)
    out = reusable_empty_like(view)
    out_axis = axes.index(block_axis)
    for start in range(0, view.shape[out_axis], block):
        index = (slice(None),) * out_axis + (slice(start, start + block),)
        out[index] = view[index]
    return out


def gate_blocks(matrix, gates):
    """(rows, G*u) -> (G, u, rows): each gate's block, transposed, contiguous."""
    rows, columns = matrix.shape
    return xp().ascontiguousarray(matrix.reshape(rows, gates, columns // gates).transpose(1, 2, 0))


def feature_major_masks(masks):
    """Dropout masks (G, batch, F) -> (G, F, batch), contiguous; None stays None."""
    if masks is None:
        return None
    return xp().ascontiguousarray(masks.transpose(0, 2, 1))


class PaddingMask:
    """A Keras padding mask in the ops' layout, with the helpers the three cells share.

    ``keep[t]`` (1, batch) is True where step t (in processed order) is real. ``started[t]`` is
    True once sample b has had a real step; Keras's outputs are zero before that.
    """

    def __init__(self, mask, go_backwards, dtype):
        module = xp()
        mask = mask.astype(bool)
        if go_backwards:
            mask = mask[:, ::-1]
        self.keep = module.ascontiguousarray(mask.T)[:, None, :]  # (time, 1, batch)
        self.keep_float = self.keep.astype(dtype)
        self.skip_float = 1 - self.keep_float
        self.started = (module.cumsum(self.keep, axis=0) > 0).astype(dtype)


# -- projections ---------------------------------------------------------------------------------


def scaled_columns(matrix, scale):
    """``matrix * scale`` (one factor per column), or ``matrix`` itself when ``scale`` is None."""
    return matrix if scale is None else matrix * scale


def helpers_pay(step_values):
    """Whether a time loop whose steps compute ``step_values`` gate values (G*u*batch) gains from
    work handed to another core beside it (the input projection ahead, the weight gradients
    behind). With fewer than ``MIN_STEP_VALUES_FOR_HELPERS`` a step's NumPy calls are so short
    that the GIL changing hands between the loop and the helper costs about what the helper
    saves. Measured per training step, with the helpers / without: SimpleRNN(32) at batch 32
    10.0 / 8.9 ms (seq 200) and 4.9 / 3.3 ms (seq 50), at batch 64 13.2 / 12.5 ms; GRU(32) at
    batch 32 7.1 / 7.1 ms; LSTM(32) at batch 32 (4,096 values) still gains: 13.9 / 15.9 ms."""
    return step_values >= MIN_STEP_VALUES_FOR_HELPERS


MIN_STEP_VALUES_FOR_HELPERS = 4096

# The LSTM and GRU backward loops precompute their step factors (``_step_factors``) for this
# much of the gate buffer at once: a chunk of steps that stays in cache until the loop uses it.
STEP_FACTORS_CHUNK_BYTES = 256 * 1024


def step_factor_chunks(time, step_bytes):
    """(first, stop) chunks of steps, last chunk first, for a backward loop that walks from the
    last step down and precomputes its step factors a chunk at a time."""
    steps = max(1, STEP_FACTORS_CHUNK_BYTES // max(step_bytes, 1))  # an empty batch has steps of 0 bytes
    return [(max(0, stop - steps), stop) for stop in range(time, 0, -steps)]


# Inference whose recurrent product has at least this many multiply-adds per step (G*u*u*batch)
# runs the two halves of the batch on two cores at once (``forward_in_batch_halves``).
MIN_STEP_MACS_FOR_BATCH_HALVES = 1 << 22


def forward_in_batch_halves(function, x, kernel, recurrent_kernel, optional, gates):
    """Inference of a large recurrent layer on two cores: the outputs of ``function.forward``
    (a fused LSTM, GRU or SimpleRNN) computed by two copies of it at once, one per half of the
    batch, joined along the batch axis; None when that does not pay or does not apply.

    Samples are independent, so each half is exactly that half of the whole run (every step's
    products are the same GEMMs on fewer columns). Each half projects its own input on its own
    core instead of handing the projection to the other core (``on_own_core``). It pays only
    when the per-step products are large: below ``MIN_STEP_MACS_FOR_BATCH_HALVES`` the two
    threads spend more time passing the GIL between their many short NumPy calls than they
    gain (measured on 2 cores: LSTM(128) at batch 512 1.51x, at batch 128 1.29x, LSTM(64) at
    batch 512 1.16x; LSTM(32) at batch 512 0.76x -- not split). Training (backward needs the
    whole batch's saved steps) and dropout masks are never split.
    """
    opts = function.options
    batch = x.shape[0]
    if (function.needs_input_grad or xp() is not np or not another_core_is_free() or batch < 2
            or opts.input_masks is not None or opts.recurrent_masks is not None
            or gates * opts.units * opts.units * batch < MIN_STEP_MACS_FOR_BATCH_HALVES):
        return None
    shared = 1 if opts.has_bias else 0  # the bias is the whole batch's; initial states are per sample

    def run_half(start, stop, _):
        rows = slice(start, stop)
        half = copy.copy(function)
        half.options = copy.copy(opts)
        half.options.mask = None if opts.mask is None else opts.mask[rows]
        states = [state[rows] for state in optional[shared:]]
        with on_own_core():
            return half.forward(x[rows], kernel, recurrent_kernel, *optional[:shared], *states)

    halves = map_chunks(run_half, [(0, batch // 2), (batch // 2, batch)])
    return tuple(np.concatenate(parts) for parts in zip(*halves))


class InputProjection:
    """``A[t] = sum_g W_g^T (x_t * m_g) + b``: the input part of every gate, all steps at once.

    ``forward_scale`` (G*u,), if given, multiplies the forward pre-activations column by column
    (the LSTM halves its sigmoid gates' so that one tanh call serves all four gates); it is
    folded into W and b, and the backward pass is that of the unscaled A.
    """

    def __init__(self, kernel, input_masks, gates, forward_scale=None):
        self.kernel, self.gates, self.forward_scale = kernel, gates, forward_scale
        self.masks = feature_major_masks(input_masks)  # (G, F, batch)

    def forward(self, xt, bias):
        """``xt`` (time, F, batch) -> pre-activations (time, G*u, batch), a fresh buffer."""
        self.xt = xt
        weights, bias_column = self._forward_weights(bias)
        if self.masks is None:  # W^T x_t + b for all t, the steps split over the cores
            return stacked_matmul_on_cores(weights, xt, add=bias_column)
        return self._project(xt, weights, bias_column)

    def forward_in_chunks(self, xt, bias, keep):
        """The pre-activations of ``xt`` (time, F, batch) chunk by chunk, for a forward time loop:
        returns ``(whole, chunks)``. ``chunks`` yields ``(first, stop, A[first:stop])``, each chunk
        projected on another core while the loop runs the one before (``chunks_ahead``). With
        ``keep`` (backward will need them) the chunks are views of ``whole`` (time, G*u, batch);
        without, each chunk is a fresh cache-sized buffer and ``whole`` is None. The numbers are
        those of ``forward``: every step's product is the same GEMM."""
        self.xt = xt
        time, _, batch = xt.shape
        weights, bias_column = self._forward_weights(bias)
        rows = self.kernel.shape[1]  # G*u
        whole = reusable_empty((time, rows, batch), xt.dtype) if keep else None

        def project(first, stop):
            return self._project(xt[first:stop], weights, bias_column, None if whole is None else whole[first:stop])

        steps = sample_chunks(time, rows * batch * xt.dtype.itemsize)  # cache-sized chunks of steps
        return whole, chunks_ahead(project, steps, on_another_core=helpers_pay(rows * batch))

    def _forward_weights(self, bias):
        """W as the projection multiplies it -- W^T (G*u, F), or per gate (G, u, F) when each gate
        has its own dropout mask -- and the bias column, both scaled by ``forward_scale``."""
        module = xp()
        kernel = scaled_columns(self.kernel, self.forward_scale)
        bias_column = None if bias is None else scaled_columns(bias, self.forward_scale)[:, None]
        weights = module.ascontiguousarray(kernel.T) if self.masks is None else gate_blocks(kernel, self.gates)
        return weights, bias_column

    def _project(self, xt, weights, bias_column, out=None):
        """A[t] = W^T x_t (+ b) for the steps of ``xt``, into ``out`` if given."""
        module = xp()
        if self.masks is None:
            projected = module.matmul(weights, xt, out=out)
        else:
            units = weights.shape[1]
            projected = module.empty((xt.shape[0], self.gates * units, xt.shape[2]), dtype=xt.dtype) \
                if out is None else out
            for gate in range(self.gates):  # gate g sees x * m_g
                projected[:, gate * units:(gate + 1) * units] = module.matmul(weights[gate], xt * self.masks[gate])
        if bias_column is not None:
            projected += bias_column
        return projected

    def backward(self, grad, need_x, need_kernel, need_bias):
        """dL/dA (time, G*u, batch) -> (dL/dxt (time, batch, F), dL/dW (F, G*u), dL/db (G*u,)).

        dL/dx comes out as (time, batch, F): computed as dA_t^T W^T, it needs only a cheap
        reordering of whole feature rows to become (batch, time, F).
        """
        module = xp()
        grad_xt = grad_kernel = grad_bias = None
        if self.masks is None:
            if need_x:
                grad_xt = stacked_matmul_on_cores(grad.transpose(0, 2, 1), self.kernel.T)  # d(W^T x)/dx = W
            if need_kernel:
                grad_kernel = summed_matmul_on_cores(self.xt, grad.transpose(0, 2, 1))  # dW = sum_t x_t dA_t^T
        else:
            units = grad.shape[1] // self.gates
            time, _, batch = grad.shape
            term_dtype = module.result_type(grad, self.kernel, self.masks)
            term = reusable_empty((time, batch, self.kernel.shape[0]), term_dtype) if need_x else None
            parts = []
            for gate in range(self.gates):
                columns = slice(gate * units, (gate + 1) * units)
                grad_gate = grad[:, columns]
                if need_x:  # d(W_g^T (x m_g))/dx = m_g W_g
                    module.matmul(grad_gate.transpose(0, 2, 1), self.kernel[:, columns].T, out=term)
                    term *= self.masks[gate].T
                    if grad_xt is None:  # the first gate's term starts the sum; the next gets a new buffer
                        grad_xt, term = term, reusable_empty_like(term)
                    else:
                        grad_xt += term
                if need_kernel:  # dW_g = sum_t (x_t m_g) dA_g,t^T
                    parts.append(_summed_products(_masked(self.xt, self.masks[gate]), grad_gate.transpose(0, 2, 1)))
            if need_kernel:
                grad_kernel = module.concatenate(parts, axis=1)
        if need_bias:
            grad_bias = grad.sum(axis=(0, 2))  # d(A + b)/db = 1, summed over time and batch
        return grad_xt, grad_kernel, grad_bias


class RecurrentProjection:
    """``R = sum_g U_g^T (h * r_g)`` for one step, into a preallocated (G*u, batch) buffer.

    ``forward_scale`` as in ``InputProjection``: folded into the forward kernel only.
    """

    def __init__(self, recurrent_kernel, recurrent_masks, gates, forward_scale=None):
        self.kernel, self.gates = recurrent_kernel, gates
        self.masks = feature_major_masks(recurrent_masks)  # (G, u, batch)
        forward_kernel = scaled_columns(recurrent_kernel, forward_scale)
        if self.masks is None:
            self.kernel_t = xp().ascontiguousarray(forward_kernel.T)  # (G*u, u)
        else:
            self.blocks_t = gate_blocks(forward_kernel, gates)  # (G, u, u): U_g^T
            unscaled_t = self.blocks_t if forward_scale is None else gate_blocks(recurrent_kernel, gates)
            self.blocks = xp().ascontiguousarray(unscaled_t.transpose(0, 2, 1))  # U_g, for the backward

    def forward(self, h, out):
        """``out`` (G*u, batch) = the recurrent pre-activations from ``h`` (u, batch)."""
        module = xp()
        if self.masks is None:
            module.matmul(self.kernel_t, h, out=out)
        else:
            module.matmul(self.blocks_t, h[None] * self.masks, out=out.reshape(self.gates, -1, out.shape[-1]))
        return out

    def grad_h(self, grad, out):
        """``out`` (u, batch) = dL/dh from dL/dR (G*u, batch)."""
        module = xp()
        if self.masks is None:
            module.matmul(self.kernel, grad, out=out)  # dR/dh = U
        else:
            per_gate = module.matmul(self.blocks, grad.reshape(self.gates, -1, grad.shape[-1]))
            per_gate *= self.masks  # d(U_g^T (h r_g))/dh = r_g U_g
            per_gate.sum(axis=0, out=out)
        return out

    def grad_kernel(self, inputs, grad):
        """dL/dU (u, G*u) from the step inputs h_{t-1} (time, u, batch) and dL/dR (time, G*u, batch)."""
        module = xp()
        if self.masks is None:
            return summed_matmul_on_cores(inputs, grad.transpose(0, 2, 1))  # dU = sum_t h_{t-1} dR_t^T
        units = grad.shape[1] // self.gates
        parts = [  # dU_g = sum_t (h_{t-1} r_g) dR_g,t^T
            _summed_products(_masked(inputs, self.masks[gate]), grad[:, gate * units:(gate + 1) * units].transpose(0, 2, 1))
            for gate in range(self.gates)
        ]
        return module.concatenate(parts, axis=1)


class RecurrentTerm(NamedTuple):
    """One recurrent product of a step, ``R_t = inputs_t^T U_block`` (with ``recurrence``'s
    masks), and dL/dR of all steps: its part of dL/dU is ``sum_t inputs_t dR_t^T``."""

    recurrence: "RecurrentProjection"
    step_inputs: object  # (time, u, batch): h_{t-1}, or the GRU's r * h_{t-1}
    grad: object  # (time, G*u, batch)


class WeightGradients:
    """dL/dx, dL/dW, dL/dU and dL/db of a fused RNN from the gradients of all steps. Every step
    has the input pre-activation ``A_t = x_t W + b`` and one or more recurrent products (``terms``,
    their dL/dU blocks side by side along U's columns)::

        dx_t = dA_t^T W^T       dW = sum_t x_t dA_t^T       db = sum dA
        dU = [sum_t inputs_t dR_t^T for each term]          db' = sum dR (first term, if asked)

    For the LSTM and SimpleRNN there is one term, h_{t-1} with dR = dA (``A_t`` holds the
    recurrent product too); the GRU's reset gate makes dR differ from dA (``reset_after``) or
    gives the candidate a second term, (r * h_{t-1}) U_h. ``need_recurrent_bias`` asks for db',
    the recurrent bias row of a ``reset_after`` GRU.

    On the CPU (without dropout masks) these run in blocks of steps on another core *during* the
    backward time loop: the loop calls ``steps_final(first)`` once the gradients of steps ``first``
    and later are final, and those blocks' GEMMs overlap with the loop's remaining steps (which are
    Python-call bound and leave the second core idle). Otherwise -- a GPU, dropout masks, steps
    too small for a helper to pay (``helpers_pay``) -- all of it runs in ``result()`` through
    the projections' whole-sequence methods.
    """

    BLOCK_STEPS_FRACTION = 8  # hand over about time / 8 steps at a time

    def __init__(self, projection, grad, terms, need_x, need_kernel, need_recurrent, need_bias,
                 need_recurrent_bias=False):
        self.projection, self.grad, self.terms = projection, grad, terms  # grad: dL/dA (time, G*u, batch)
        self.need_x, self.need_kernel, self.need_recurrent, self.need_bias = need_x, need_kernel, need_recurrent, need_bias
        self.need_recurrent_bias = need_recurrent_bias
        time, _, batch = grad.shape
        self.blockwise = (xp() is np and projection.masks is None and time > 1
                          and all(term.recurrence.masks is None for term in terms)
                          and helpers_pay(grad.shape[1] * batch))
        if self.blockwise:
            self.grad_xt = reusable_empty((time, batch, projection.kernel.shape[0]), grad.dtype) if need_x else None
            self.block_steps = max(1, time // self.BLOCK_STEPS_FRACTION)
            self.handed_over = time  # steps from here on are with the workers
            self.blocks = WorkBehind(self._block)

    def steps_final(self, first):
        """The gradients of steps ``first``.. are final: hand over whole blocks of them."""
        if not self.blockwise:
            return
        while self.handed_over > first and (self.handed_over - first >= self.block_steps or first == 0):
            start = max(first, self.handed_over - self.block_steps)
            self.blocks.add(start, self.handed_over)
            self.handed_over = start

    def _block(self, start, stop):
        """Steps start..stop-1: write their dx_t, return their parts of dW, dU, db and db'."""
        grad = self.grad[start:stop]
        grad_t = grad.transpose(0, 2, 1)
        if self.need_x:
            np.matmul(grad_t, self.projection.kernel.T, out=self.grad_xt[start:stop])  # d(x W)/dx = W
        grad_kernel = _summed_products(self.projection.xt[start:stop], grad_t) if self.need_kernel else None
        grad_recurrent = None
        if self.need_recurrent:
            grad_recurrent = _side_by_side([
                _summed_products(term.step_inputs[start:stop], term.grad[start:stop].transpose(0, 2, 1))
                for term in self.terms])
        grad_bias = grad.sum(axis=(0, 2)) if self.need_bias else None
        grad_recurrent_bias = self.terms[0].grad[start:stop].sum(axis=(0, 2)) if self.need_recurrent_bias else None
        return grad_kernel, grad_recurrent, grad_bias, grad_recurrent_bias

    def result(self):
        """(dL/dx_t (time, batch, F), dL/dW, dL/dU, dL/db, dL/db'), each None where not needed."""
        if not self.blockwise:
            grad_xt, grad_kernel, grad_bias = self.projection.backward(
                self.grad, self.need_x, self.need_kernel, self.need_bias)
            grad_recurrent = None
            if self.need_recurrent:
                grad_recurrent = _side_by_side([term.recurrence.grad_kernel(term.step_inputs, term.grad)
                                                for term in self.terms])
            grad_recurrent_bias = self.terms[0].grad.sum(axis=(0, 2)) if self.need_recurrent_bias else None
            return grad_xt, grad_kernel, grad_recurrent, grad_bias, grad_recurrent_bias
        self.steps_final(0)
        parts = self.blocks.results()
        summed = [sum_in_order([part[k] for part in parts]) for k in range(4)]
        return (self.grad_xt, *summed)


def _summed_products(a, b):
    """sum over t of a[t] @ b[t]: the steps' products in one batched GEMM, then their sum."""
    products = reusable_empty((a.shape[0], a.shape[1], b.shape[2]), xp().result_type(a, b))
    return xp().matmul(a, b, out=products).sum(axis=0)


def _masked(inputs, mask):
    """``inputs * mask`` (a dropout mask broadcast over time) into a reused step buffer."""
    return xp().multiply(inputs, mask, out=reusable_empty(inputs.shape, xp().result_type(inputs, mask)))


def _side_by_side(blocks):
    """The terms' dL/dU blocks as one dL/dU, side by side along U's columns (one block as it is)."""
    return blocks[0] if len(blocks) == 1 else xp().concatenate(blocks, axis=1)


class SubnormalFlush:
    """Set a per-step gradient's vanishing entries to exact zero, in place.

    Gradients shrink geometrically as BPTT walks back through many steps; once they reach the
    subnormal floats (below ~1e-38 in float32) every GEMM touching them runs ~100x slower on
    x86 CPUs. Entries below ``tiny / eps`` (about 1e-31 in float32, 1e-292 in float64) are far
    below the float resolution of any gradient they will be summed with, so they become 0.

    Where the processor already flushes denormals in this thread (``minidl.runtime.denormals``:
    every backward pass on Linux x86-64 and aarch64) no result can become subnormal, and the
    three calls a step this costs are left out (an LSTM(32) backward step at batch 128 makes
    nine element-wise calls and a GEMM; the three were a third of the calls).
    """

    def __init__(self, shape, dtype):
        self.needed = backend.get_backend() != "numpy" or not denormals.flushing_in_this_thread()
        if not self.needed:
            return
        module = xp()
        info = np.finfo(dtype)
        self.threshold = info.tiny / info.eps
        self.magnitude = module.empty(shape, dtype=dtype)
        self.keep = module.empty(shape, dtype=bool)

    def __call__(self, grad):
        if not self.needed:
            return grad
        module = xp()
        module.abs(grad, out=self.magnitude)
        module.greater_equal(self.magnitude, self.threshold, out=self.keep)
        module.multiply(grad, self.keep, out=grad)
        return grad


# -- outputs -------------------------------------------------------------------------------------


def assemble_outputs(states, final, padding, return_sequences, go_backwards):
    """The op's first output from the hidden states of a run: ``states`` (time+1, u, batch) for
    ``return_sequences`` (every step's), else just ``final`` (u, batch), the last step's.

    Keras's output is the new hidden state, except that under a padding mask it is zero until a
    sample's first real step (``padding.started``). The sequence is in processed order.
    """
    if return_sequences:
        sequence = states[1:] if padding is None else states[1:] * padding.started
        return from_time_feature_batch(sequence, False)
    last = final if padding is None else final * padding.started[-1]
    return xp().ascontiguousarray(last.T)


def output_gradients(grad_output, grad_final_h, padding, return_sequences, time):
    """Split the output gradients per step: (per-step dL/dh (time, u, batch) or None, dL/dh_T)."""
    module = xp()
    per_step = None
    if return_sequences:
        per_step = transposed_copy(grad_output, (1, 2, 0), block_axis=0)  # (batch, time, u) -> (time, u, batch)
        if padding is not None:
            per_step *= padding.started
        last = per_step[time - 1] + grad_final_h.T
    else:
        last = grad_output.T if padding is None else grad_output.T * padding.started[-1]
        last = last + grad_final_h.T
    return per_step, module.ascontiguousarray(last)


def initial_state(state, units, batch, dtype):
    """An initial state (batch, u) in the ops' layout (u, batch); zeros when not given."""
    if state is None:
        return xp().zeros((units, batch), dtype=dtype)
    return state.T


def reorder_gates(array, order, units, axis=-1):
    """Reorder the gate blocks (each ``units`` wide) of ``array`` along ``axis`` to ``order``."""
    index = [slice(None)] * array.ndim
    blocks = []
    for gate in order:
        index[axis] = slice(gate * units, (gate + 1) * units)
        blocks.append(array[tuple(index)])
    return xp().concatenate(blocks, axis=axis)


def inverse_order(order):
    """The order that undoes ``order``."""
    return [int(i) for i in np.argsort(order)]


# -- the Function plumbing the three ops share ---------------------------------------------------


class SequenceOptions:
    """What a fused sequence op was asked to do: constants fixed for one call.

    ``present`` records which optional inputs (bias, initial states) were given, so that the
    Function's input list -- x, kernel, recurrent_kernel, then the given optionals -- can be
    unpacked in forward and its gradients returned in the same order in backward.
    """

    def __init__(self, op_name, units, activation, recurrent_activation, return_sequences, go_backwards,
                 mask, input_masks, recurrent_masks, has_bias, state_given):
        self.units = units
        self.activation = get_inplace_activation(activation, op_name, "activation")
        self.recurrent_activation = get_inplace_activation(recurrent_activation, op_name, "recurrent_activation")
        self.return_sequences = bool(return_sequences)
        self.go_backwards = bool(go_backwards)
        self.mask = None if mask is None else raw(mask)
        self.input_masks = None if input_masks is None else raw(input_masks)
        self.recurrent_masks = None if recurrent_masks is None else raw(recurrent_masks)
        self.has_bias = has_bias
        self.state_given = tuple(state_given)

    def unpack(self, optional_arrays):
        """(bias or None, [initial state or None, ...]) from the optional inputs given."""
        arrays = list(optional_arrays)
        bias = arrays.pop(0) if self.has_bias else None
        states = [arrays.pop(0) if given else None for given in self.state_given]
        return bias, states

    def pack(self, grad_bias, grad_states):
        """The gradients of the optional inputs, in input order."""
        grads = [grad_bias] if self.has_bias else []
        grads += [grad for grad, given in zip(grad_states, self.state_given) if given]
        return grads

    def padding(self, dtype):
        return None if self.mask is None else PaddingMask(self.mask, self.go_backwards, dtype)

    def internal_masks(self, order):
        """The dropout masks with their gate axis reordered to the op's internal ``order``."""
        def reorder(masks):
            if masks is None:
                return None
            return xp().stack([masks[gate] for gate in order])
        return reorder(self.input_masks), reorder(self.recurrent_masks)
