"""The loop over time that turns a cell into a recurrent layer -- backprop through time, visible.

A recurrent layer applies one cell at every step t of a sequence, carrying its state forward::

    for t in 0, 1, ..., T-1:                 (T-1 down to 0 with go_backwards)
        h_t = cell(x_t, h_{t-1}, W, U, b)     (the LSTM carries (h_t, c_t))

Each call of the cell is one ``Function``, so the graph autograd records is a chain of T step
nodes, each reading the same weights. ``loss.backward()`` then walks that chain from the last
step to the first. At step t the cell's backward receives dL/dh_t -- from the output at t and
from step t+1, which used h_t -- and returns dL/dh_{t-1} for the step before, together with
this step's share of dL/dW, dL/dU and dL/db; the engine adds the shares of all steps up
(dL/dW = sum_t dL/dW_t). That is backprop through time: it needs no code of its own.

Keras's bookkeeping around the cell lives here too:

* ``go_backwards``: the steps run from last to first, and the output sequence is in that order;
* a padding ``mask`` (batch, time): where it is False, that sample skips the step -- its states
  and its output stay what they were (the output starts as zeros);
* ``return_sequences``: every step's output stacked along time, else only the last.
"""

from minidl.autograd.function import Function, xp
from minidl.autograd.tensor import Tensor
from minidl.ops import math, shapes


class TimeSteps(Function):
    """x (batch, time, features) -> one tensor x_t (batch, features) per step, as one node."""

    def forward(self, x):
        return tuple(x[:, t] for t in range(x.shape[1]))

    def backward(self, *grad_steps):
        # x_t = x[:, t]: each step's gradient goes back to its place along the time axis
        return xp().stack(grad_steps, axis=1)


def constant_zeros(shape, like):
    """A zero tensor of ``like``'s dtype that receives no gradient (an absent state or bias)."""
    return Tensor._from_op(xp().zeros(shape, dtype=like.dtype))


def run_over_time(make_step, x, states, weights, go_backwards=False, mask=None, return_sequences=False):
    """Run a cell over the steps of ``x`` (batch, time, features).

    ``make_step()`` returns a new step Function (a Function object holds one call's values for
    its backward, so every step gets its own); it is called as ``step(x_t, *states, *weights)``
    and returns the new states, the first of which (h) is the step's output. ``states`` are
    the initial states (batch, units). Returns ``(output, *final_states)``, ``output`` being
    (batch, time, units) with ``return_sequences``, else (batch, units).
    """
    x_steps = TimeSteps()(x)
    time = len(x_steps)
    order = range(time - 1, -1, -1) if go_backwards else range(time)
    output = constant_zeros(states[0].shape, x)
    outputs = []
    for t in order:
        new_states = make_step()(x_steps[t], *states, *weights)  # one step: one node of the graph
        if not isinstance(new_states, tuple):
            new_states = (new_states,)
        if mask is None:
            states, output = new_states, new_states[0]
        else:  # where mask[b, t] is False, sample b keeps its states and its output
            keep = mask[:, t:t + 1]
            states = tuple(math.where(keep, new, old) for new, old in zip(new_states, states))
            output = math.where(keep, new_states[0], output)
        outputs.append(output)
    result = shapes.stack(outputs, axis=1) if return_sequences else output
    return (result, *states)
