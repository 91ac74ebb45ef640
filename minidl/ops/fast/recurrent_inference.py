"""Recurrent inference on every CPU core: a batch's rows cut into one block per core.

The fast recurrent forms run their time loop on one core -- per step one small GEMM and a few
element-wise calls, BLAS held to one thread -- and give the other core work beside it: the
input projection ahead of the forward loop, the weight gradients behind the backward loop. In
inference there is no backward loop, and the projection is a small part of the work, so the
other core mostly waits. Yet the rows of a batch are independent sequences: with nothing to
differentiate, a batch of B rows is the same arithmetic as two blocks of B/2 rows, each with a
time loop of its own on its own core (NumPy releases the GIL inside each call). Every row's
numbers are the whole batch's: the same products and element-wise operations, whichever block
the row is in (``tests/test_recurrent_inference.py`` checks them bit for bit).

Training keeps the one loop: its backward pass needs the whole batch's saved gates, and there
the second core already has work.
"""

from minidl.autograd.function import is_grad_enabled
from minidl.autograd.tensor import Tensor
from minidl.runtime import backend
from minidl.runtime.parallel import cpu_workers, row_blocks_on_cores

# A block of fewer rows makes per-step calls too small for two loops to beat one.
MIN_ROWS_PER_CORE = 64


def runs_in_row_blocks(x, kernel, recurrent_kernel, bias, states, mask, input_masks, recurrent_masks):
    """True where a call of a fast recurrent form can run as blocks of rows, one per core:
    nothing to differentiate, no dropout masks (inference), a CPU with several cores, and at
    least ``MIN_ROWS_PER_CORE`` rows for each of two blocks. The arguments are the checked
    operands (``minidl.ops.recurrent._checked``)."""
    if backend.get_backend() == "cupy" or cpu_workers() < 2 or x.shape[0] < 2 * MIN_ROWS_PER_CORE:
        return False
    if input_masks is not None or recurrent_masks is not None:
        return False
    inputs = [x, kernel, recurrent_kernel, bias, *states]
    return not (is_grad_enabled() and any(tensor is not None and tensor.requires_grad for tensor in inputs))


def run_in_row_blocks(form, operands, settings):
    """``form(*operands[:5], *settings, *operands[5:])`` with the rows cut into one block per core;
    the blocks' outputs (the sequence or last output, then the final states) joined again."""
    x, kernel, recurrent_kernel, bias, states, mask, _, _ = operands

    def block(start, stop):
        rows = slice(start, stop)
        block_states = [None if state is None else Tensor._from_op(state.data[rows]) for state in states]
        block_mask = None if mask is None else mask[rows]
        return form(Tensor._from_op(x.data[rows]), kernel, recurrent_kernel, bias, block_states, *settings,
                    block_mask, None, None)

    parts = row_blocks_on_cores(block, x.shape[0], MIN_ROWS_PER_CORE)
    module = backend.get_xp()
    return tuple(Tensor._from_op(module.concatenate([part[index].data for part in parts]))
                 for index in range(len(parts[0])))
