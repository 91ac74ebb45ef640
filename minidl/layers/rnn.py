"""``RNN(cell)``: Keras's generic recurrent layer -- any cell run over a sequence, step by step.

The loop is the one every recurrent layer runs, written plainly::

    states = initial_state or zeros
    for t in 0, 1, ..., T-1:                     (T-1 down to 0 with go_backwards)
        output_t, states = cell.call(x[:, t], states)

Each step records its own nodes in the graph, so backward() walks back through them all
(backprop through time). ``cell`` may be minidl's SimpleRNNCell / LSTMCell / GRUCell, a list
of cells (stacked: ``StackedRNNCells``), or a cell a user writes as in Keras: a Layer with
``state_size`` and ``call(inputs, states)`` returning ``(output, new_states)``.

``return_sequences`` stacks every step's output, else the last is returned; ``return_state``
appends the final states; a padding mask (``Embedding(mask_zero=True)``, or ``mask=``) skips
masked steps -- states and output carry over, or the output is zero with
``zero_output_for_mask``. ``RNN(LSTMCell(u))`` computes what ``LSTM(u)`` does (whose fused op
is faster); the weights live in the cell, under Keras's names. ``stateful=True`` carries the
final states to the next call as the fused layers do (``minidl.layers.recurrent.StatefulRecurrence``).
"""

from minidl.autograd.tensor import Tensor, as_array
from minidl.layers import arguments
from minidl.layers.base import Layer
from minidl.layers.call_context import label
from minidl.layers.input_spec import SEQUENCE, InputSpec
from minidl.layers.recurrent import StatefulRecurrence
from minidl.layers.rnn_cells import StackedRNNCells, call_cell
from minidl.ops import math, recurrent, shapes
from minidl.runtime import backend


class RNN(StatefulRecurrence, Layer):
    """Runs ``cell`` over the time axis (see the module docstring).

    Input ``(batch, time, features)``; output ``(batch, output_size)`` (the last step), or
    ``(batch, time, output_size)`` with ``return_sequences``; with ``return_state``, ``[output,
    *final_states]``.

    Weights: the cell's (SimpleRNNCell: ``kernel``, ``recurrent_kernel``, ``bias``; likewise
    LSTMCell and GRUCell).

    Arguments:
        cell: a cell (a Layer with ``state_size`` and ``call(inputs, states)``), or a list of
            cells, stacked.
        return_sequences: return every step's output instead of the last.
        return_state: also return the final states, after the output, in a list.
        go_backwards: read the sequence from its end (the output is then in reversed order).
        stateful: keep the final states of each batch as the initial states of the next (sample i
            continues sample i), until ``reset_states()``; needs a fixed batch size
            (``batch_input_shape=`` or ``Input(batch_shape=...)``). See ``StatefulRecurrence``.
        unroll: accepted for compatibility; the steps always run one after another.
        zero_output_for_mask: output zeros at masked steps instead of repeating the last output.
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype``, ``input_shape``, ...).

    Call: ``layer(inputs, initial_state=None, mask=None, training=None)``.
    """

    input_spec = InputSpec(ndim=3, layout=SEQUENCE)

    def __init__(self, cell: Layer | list, return_sequences: bool = False, return_state: bool = False,
                 go_backwards: bool = False, stateful: bool = False, unroll: bool = False,
                 zero_output_for_mask: bool = False, **kwargs):
        super().__init__(**kwargs)
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(list(cell))
        if not hasattr(cell, "call") or not hasattr(cell, "state_size"):
            raise ValueError(f"{label(self)}: cell must be a cell (a layer with state_size and "
                             f"call(inputs, states)) or a list of cells, got {type(cell).__name__}")
        self.cell = self.track(cell)
        self.return_sequences = arguments.boolean(self, "return_sequences", return_sequences)
        self.return_state = arguments.boolean(self, "return_state", return_state)
        self.go_backwards = arguments.boolean(self, "go_backwards", go_backwards)
        self._stateful_argument(stateful)
        self.unroll = arguments.boolean(self, "unroll", unroll)
        self.zero_output_for_mask = arguments.boolean(self, "zero_output_for_mask", zero_output_for_mask)

    # -- the cell's sizes --------------------------------------------------------------------
    def _state_sizes(self):
        size = self.cell.state_size
        return list(size) if isinstance(size, (list, tuple)) else [size]

    def build(self, input_shape):
        features = input_shape[-1]
        self.input_spec = InputSpec(ndim=3, axes={-1: features}, layout=SEQUENCE)
        if not self.cell.built:
            self.cell.build((input_shape[0], features))
            self.cell.built = True
        self._build_states(input_shape)

    def _initial_states(self, batch, like, initial_state):
        sizes = self._state_sizes()
        if initial_state is None:
            getter = getattr(self.cell, "get_initial_state", None)
            if getter is not None and not isinstance(self.cell, StackedRNNCells):
                return list(getter(batch))
            xp = backend.get_xp()
            return [Tensor._from_op(xp.zeros((batch, size), dtype=like.dtype)) for size in sizes]
        states = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
        states = [state if isinstance(state, Tensor) else Tensor._from_op(as_array(state, like.dtype))
                  for state in states]
        if len(states) != len(sizes):
            raise ValueError(f"{label(self)}: initial_state must hold {len(sizes)} tensor(s) for this cell, "
                             f"got {len(states)}")
        for state, size in zip(states, sizes):
            if tuple(state.shape) != (batch, size):
                raise ValueError(f"{label(self)}: an initial state must have shape {(batch, size)}, got "
                                 f"{tuple(state.shape)}")
        return states

    # -- the loop ----------------------------------------------------------------------------
    def call(self, inputs, training=False, initial_state=None, mask=None):
        if mask is None:
            mask = inputs.mask
        batch, time = inputs.shape[:2]
        if time == 0:
            raise ValueError(f"{label(self)}: the input has no time steps (shape {inputs.shape})")
        states = self._initial_states(batch, inputs, self._stateful_start(inputs, initial_state))
        steps = recurrent.time_steps(inputs)
        order = range(time - 1, -1, -1) if self.go_backwards else range(time)
        outputs, output = [], None
        reset = getattr(self.cell, "reset_dropout_mask", None)
        if reset is not None:
            reset()  # one dropout mask per sequence
        try:
            for t in order:
                step_output, new_states = call_cell(self.cell, steps[t], states, training)
                new_states = list(new_states) if isinstance(new_states, (list, tuple)) else [new_states]
                if mask is None:
                    output, states = step_output, new_states
                else:  # where mask[b, t] is False, sample b keeps its states (and its output)
                    keep = mask[:, t:t + 1]
                    states = [math.where(keep, new, old) for new, old in zip(new_states, states)]
                    held = output if output is not None and not self.zero_output_for_mask else math.mul(
                        step_output, 0.0)
                    output = math.where(keep, step_output, held)
                outputs.append(output)
        finally:
            if reset is not None:
                reset()
        self._stateful_keep(states)
        result = shapes.stack(outputs, axis=1) if self.return_sequences else outputs[-1]
        result.mask = mask if self.return_sequences else None
        if self.return_state:
            return [result, *states]
        return result

    def get_config(self):
        return {**super().get_config(), "cell": {"class_name": type(self.cell).__name__, "config": self.cell.get_config()},
                "return_sequences": self.return_sequences, "return_state": self.return_state,
                "go_backwards": self.go_backwards, "stateful": self.stateful, "unroll": self.unroll,
                "zero_output_for_mask": self.zero_output_for_mask}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from minidl.models import registry

        config = dict(config)
        cell = config.pop("cell")
        if isinstance(cell, dict):
            cell = registry.deserialize_layer(cell, custom_objects)
        return cls(cell, **config)
