"""The recurrent ops ``simple_rnn``, ``lstm`` and ``gru`` over whole sequences: they check their
operands and run one of two forms that give the same numbers.

* The readable form (``minidl/ops/reference/simple_rnn.py``, ``lstm.py``, ``gru.py``): one
  step of the cell as a Function with a hand-written backward, run at every time step by
  ``reference/time_loop.py``; autograd records one node per step and backward walks them
  back (backprop through time). It runs inside ``minidl.reference_ops()``, and always as
  ``simple_rnn_reference`` / ``lstm_reference`` / ``gru_reference``.
* The fast form (``minidl/ops/fast/``): the whole sequence in one Function, with its own
  backprop-through-time loop, and CUDA kernels on a GPU. It runs by default.

Arguments, layouts and gate orders are Keras's: x (batch, time, features); kernel (features,
gates * units), recurrent_kernel (units, gates * units); LSTM gates i, f, c, o; GRU gates z, r,
h. ``mask`` (batch, time) marks real steps (a False step is skipped: states and output carry
over). ``input_masks`` (gates, batch, features) and ``recurrent_masks`` (gates, batch, units)
are Keras 2's per-gate dropout masks, fixed across time (``minidl.ops.dropout.dropout_mask``).
"""

from minidl.autograd.tensor import Tensor
from minidl.ops._util import as_tensor, require_float
from minidl.ops.fast.gru import fast_gru
from minidl.ops.fast.lstm import fast_lstm
from minidl.ops.fast.rnn_common import get_inplace_activation
from minidl.ops.fast.simple_rnn import fast_simple_rnn
from minidl.ops.forms import reference_forms_active
from minidl.ops.reference.gru import GRUStep, gru_over_time
from minidl.ops.reference.lstm import LSTMStep, lstm_over_time
from minidl.ops.reference.rnn_activations import cell_activation
from minidl.ops.reference.simple_rnn import SimpleRNNStep, simple_rnn_over_time
from minidl.ops.reference.time_loop import TimeSteps


def simple_rnn(x, kernel, recurrent_kernel, bias=None, initial_state=None, activation="tanh",
               return_sequences=False, go_backwards=False, mask=None, input_masks=None, recurrent_masks=None):
    """Run a Keras SimpleRNN over ``x`` (batch, time, features); returns ``(output, h_T)``.

    ``output`` is the sequence (batch, time, units) in processed order if ``return_sequences``,
    else the last output (batch, units). ``initial_state`` is ``[h0]`` or None for zeros;
    ``mask`` (batch, time) marks real steps; ``input_masks`` (1, batch, features) and
    ``recurrent_masks`` (1, batch, units) are dropout masks, or None.
    """
    form = simple_rnn_over_time if reference_forms_active() else fast_simple_rnn
    return _simple_rnn(form, "simple_rnn", x, kernel, recurrent_kernel, bias, initial_state, activation,
                       return_sequences, go_backwards, mask, input_masks, recurrent_masks)


def simple_rnn_reference(x, kernel, recurrent_kernel, bias=None, initial_state=None, activation="tanh",
                         return_sequences=False, go_backwards=False, mask=None, input_masks=None,
                         recurrent_masks=None):
    """``simple_rnn`` in its readable form (``minidl/ops/reference/simple_rnn.py``), always."""
    return _simple_rnn(simple_rnn_over_time, "simple_rnn_reference", x, kernel, recurrent_kernel, bias,
                       initial_state, activation, return_sequences, go_backwards, mask, input_masks, recurrent_masks)


def lstm(x, kernel, recurrent_kernel, bias=None, initial_state=None, activation="tanh",
         recurrent_activation="sigmoid", return_sequences=False, go_backwards=False, mask=None,
         input_masks=None, recurrent_masks=None):
    """Run a Keras LSTM over ``x`` (batch, time, features); returns ``(output, h_T, c_T)``.

    ``output`` is the sequence (batch, time, units) in processed order if ``return_sequences``,
    else the last output (batch, units). ``initial_state`` is ``[h0, c0]`` (each (batch, units))
    or None for zeros. ``mask`` (batch, time) bool marks real steps. ``input_masks`` (4, batch,
    features) and ``recurrent_masks`` (4, batch, units) are per-gate dropout masks in Keras's
    gate order (i, f, c, o), or None.
    """
    form = lstm_over_time if reference_forms_active() else fast_lstm
    return _lstm(form, "lstm", x, kernel, recurrent_kernel, bias, initial_state, activation, recurrent_activation,
                 return_sequences, go_backwards, mask, input_masks, recurrent_masks)


def lstm_reference(x, kernel, recurrent_kernel, bias=None, initial_state=None, activation="tanh",
                   recurrent_activation="sigmoid", return_sequences=False, go_backwards=False, mask=None,
                   input_masks=None, recurrent_masks=None):
    """``lstm`` in its readable form (``minidl/ops/reference/lstm.py``), always."""
    return _lstm(lstm_over_time, "lstm_reference", x, kernel, recurrent_kernel, bias, initial_state, activation,
                 recurrent_activation, return_sequences, go_backwards, mask, input_masks, recurrent_masks)


def gru(x, kernel, recurrent_kernel, bias=None, initial_state=None, activation="tanh",
        recurrent_activation="sigmoid", reset_after=True, return_sequences=False, go_backwards=False,
        mask=None, input_masks=None, recurrent_masks=None):
    """Run a Keras GRU over ``x`` (batch, time, features); returns ``(output, h_T)``.

    ``bias`` is (2, 3u) when ``reset_after`` (input row, recurrent row), else (3u,).
    ``input_masks`` (3, batch, features) and ``recurrent_masks`` (3, batch, units) are per-gate
    dropout masks in Keras's gate order (z, r, h), or None. Other arguments as ``lstm``.
    """
    form = gru_over_time if reference_forms_active() else fast_gru
    return _gru(form, "gru", x, kernel, recurrent_kernel, bias, initial_state, activation, recurrent_activation,
                reset_after, return_sequences, go_backwards, mask, input_masks, recurrent_masks)


def gru_reference(x, kernel, recurrent_kernel, bias=None, initial_state=None, activation="tanh",
                  recurrent_activation="sigmoid", reset_after=True, return_sequences=False, go_backwards=False,
                  mask=None, input_masks=None, recurrent_masks=None):
    """``gru`` in its readable form (``minidl/ops/reference/gru.py``), always."""
    return _gru(gru_over_time, "gru_reference", x, kernel, recurrent_kernel, bias, initial_state, activation,
                recurrent_activation, reset_after, return_sequences, go_backwards, mask, input_masks,
                recurrent_masks)


# -- checking the operands, then calling one form -----------------------------------------------


def _simple_rnn(form, op_name, x, kernel, recurrent_kernel, bias, initial_state, activation, return_sequences,
                go_backwards, mask, input_masks, recurrent_masks):
    get_inplace_activation(activation, op_name, "activation")
    units = as_tensor(recurrent_kernel).shape[0]
    operands = _checked(op_name, 1, [(units,)], 1, x, kernel, recurrent_kernel, bias, initial_state, mask,
                        input_masks, recurrent_masks)
    return form(*operands[:5], activation, return_sequences, go_backwards, *operands[5:])


def _lstm(form, op_name, x, kernel, recurrent_kernel, bias, initial_state, activation, recurrent_activation,
          return_sequences, go_backwards, mask, input_masks, recurrent_masks):
    get_inplace_activation(activation, op_name, "activation")
    get_inplace_activation(recurrent_activation, op_name, "recurrent_activation")
    units = as_tensor(recurrent_kernel).shape[0]
    operands = _checked(op_name, 4, [(4 * units,)], 2, x, kernel, recurrent_kernel, bias, initial_state, mask,
                        input_masks, recurrent_masks)
    return form(*operands[:5], activation, recurrent_activation, return_sequences, go_backwards, *operands[5:])


def _gru(form, op_name, x, kernel, recurrent_kernel, bias, initial_state, activation, recurrent_activation,
         reset_after, return_sequences, go_backwards, mask, input_masks, recurrent_masks):
    get_inplace_activation(activation, op_name, "activation")
    get_inplace_activation(recurrent_activation, op_name, "recurrent_activation")
    units = as_tensor(recurrent_kernel).shape[0]
    bias_shape = (2, 3 * units) if reset_after else (3 * units,)
    operands = _checked(op_name, 3, [bias_shape], 1, x, kernel, recurrent_kernel, bias, initial_state, mask,
                        input_masks, recurrent_masks)
    return form(*operands[:5], activation, recurrent_activation, bool(reset_after), return_sequences,
                go_backwards, *operands[5:])


def _checked(op_name, gates, bias_shapes, state_count, x, kernel, recurrent_kernel, bias, initial_state, mask,
             input_masks, recurrent_masks):
    """The operands as the forms take them -- x, kernel, recurrent_kernel, bias (Tensors; bias
    may be None), the list of initial states (Tensor or None each), then the padding and dropout
    masks as raw arrays (or None) -- after checking every shape; a ValueError names the op."""
    x, kernel, recurrent_kernel = as_tensor(x), as_tensor(kernel), as_tensor(recurrent_kernel)
    require_float(op_name, x, "x")
    bias = None if bias is None else as_tensor(bias)
    states = [None if state is None else as_tensor(state) for state in _state_list(op_name, initial_state, state_count)]
    mask, input_masks, recurrent_masks = (None if value is None else _raw(value)
                                          for value in (mask, input_masks, recurrent_masks))
    _check_shapes(op_name, x, kernel, recurrent_kernel, gates, bias_shapes, bias, states, mask, input_masks,
                  recurrent_masks)
    return x, kernel, recurrent_kernel, bias, states, mask, input_masks, recurrent_masks


def _raw(value):
    """The backend array of a Tensor (masks are constants, never differentiated)."""
    return value.data if isinstance(value, Tensor) else value


def _state_list(op_name, initial_state, count):
    """``initial_state`` as a list of ``count`` entries (each a state or None)."""
    if initial_state is None:
        return [None] * count
    if not isinstance(initial_state, (list, tuple)):
        initial_state = [initial_state]
    if len(initial_state) != count:
        raise ValueError(f"{op_name}: initial_state must hold {count} state(s), got {len(initial_state)}")
    return list(initial_state)


def _check_shapes(op_name, x, kernel, recurrent_kernel, gates, bias_shapes, bias, initial_states, mask,
                  input_masks, recurrent_masks):
    """Raise a ValueError naming the op and the argument whose shape does not fit."""
    if x.ndim != 3:
        raise ValueError(f"{op_name}: expected x of rank 3 (batch, time, features), got shape {x.shape}")
    batch, time, features = x.shape
    if time == 0:
        raise ValueError(f"{op_name}: x has no time steps (shape {x.shape})")
    if recurrent_kernel.ndim != 2 or recurrent_kernel.shape[1] != gates * recurrent_kernel.shape[0]:
        raise ValueError(
            f"{op_name}: recurrent_kernel must have shape (units, {gates} * units), got {recurrent_kernel.shape}"
        )
    units = recurrent_kernel.shape[0]
    if kernel.shape != (features, gates * units):
        raise ValueError(
            f"{op_name}: kernel must have shape (features, {gates} * units) = {(features, gates * units)} "
            f"for x of shape {x.shape}, got {kernel.shape}"
        )
    if bias is not None and bias.shape not in bias_shapes:
        raise ValueError(f"{op_name}: bias must have shape {' or '.join(map(str, bias_shapes))}, got {bias.shape}")
    for index, state in enumerate(initial_states):
        if state is not None and state.shape != (batch, units):
            raise ValueError(
                f"{op_name}: initial state {index} must have shape (batch, units) = {(batch, units)}, got {state.shape}"
            )
    if mask is not None and tuple(mask.shape) != (batch, time):
        raise ValueError(f"{op_name}: mask must have shape (batch, time) = {(batch, time)}, got {tuple(mask.shape)}")
    if input_masks is not None and tuple(input_masks.shape) != (gates, batch, features):
        raise ValueError(
            f"{op_name}: input_masks must have shape (gates, batch, features) = {(gates, batch, features)}, "
            f"got {tuple(input_masks.shape)}"
        )
    if recurrent_masks is not None and tuple(recurrent_masks.shape) != (gates, batch, units):
        raise ValueError(
            f"{op_name}: recurrent_masks must have shape (gates, batch, units) = {(gates, batch, units)}, "
            f"got {tuple(recurrent_masks.shape)}"
        )


# -- one time step: what a cell layer (SimpleRNNCell, LSTMCell, GRUCell) computes -------------
# The readable step Functions are the only form: a cell runs inside a Python loop over time
# (``RNN(cell)``), where the fast whole-sequence forms do not apply. ``activation`` and
# ``recurrent_activation``: Keras names ('tanh', 'sigmoid', ...) or what ``cell_activation``
# returns for one.

def simple_rnn_step(x, h, kernel, recurrent_kernel, bias, activation="tanh", input_masks=None,
                    recurrent_masks=None):
    """h' = act(x W + h U + b) for one step: x (batch, features), h (batch, units)."""
    act = cell_activation(activation, "simple_rnn_step", "activation")
    operands = [as_tensor(value) for value in (x, h, kernel, recurrent_kernel, bias)]
    return SimpleRNNStep(act, input_masks, recurrent_masks)(*operands)


def lstm_step(x, h, c, kernel, recurrent_kernel, bias, activation="tanh", recurrent_activation="sigmoid",
              input_masks=None, recurrent_masks=None):
    """One LSTM step (Keras's gates i, f, c, o): returns (h', c')."""
    act = cell_activation(activation, "lstm_step", "activation")
    sigma = cell_activation(recurrent_activation, "lstm_step", "recurrent_activation")
    operands = [as_tensor(value) for value in (x, h, c, kernel, recurrent_kernel, bias)]
    return LSTMStep(act, sigma, input_masks, recurrent_masks)(*operands)


def gru_step(x, h, kernel, recurrent_kernel, bias, activation="tanh", recurrent_activation="sigmoid",
             reset_after=True, input_masks=None, recurrent_masks=None):
    """One GRU step (Keras's gates z, r, h; ``reset_after`` as Keras): returns h'."""
    act = cell_activation(activation, "gru_step", "activation")
    sigma = cell_activation(recurrent_activation, "gru_step", "recurrent_activation")
    operands = [as_tensor(value) for value in (x, h, kernel, recurrent_kernel, bias)]
    return GRUStep(act, sigma, reset_after, input_masks, recurrent_masks)(*operands)


def time_steps(x):
    """Split ``x`` (batch, time, features) into one tensor (batch, features) per time step, as
    one autograd node (each step's gradient goes back to its place along the time axis): what a
    layer that runs its own cell step by step, such as ``RNN(cell)``, iterates over."""
    x = as_tensor(x)
    if x.ndim < 2:
        raise ValueError(f"time_steps: expected x of shape (batch, time, ...), got shape {x.shape}")
    return TimeSteps()(x)


__all__ = ["gru", "gru_reference", "gru_step", "lstm", "lstm_reference", "lstm_step", "simple_rnn",
           "simple_rnn_reference", "simple_rnn_step", "time_steps"]
