"""Keras's recurrent layers: SimpleRNN, LSTM and GRU, each running one fused op per call.

Arguments, defaults, weight names, shapes and gate orders are Keras's (TF2), so weights can be
exchanged with Keras:

* SimpleRNN: kernel (F, u), recurrent_kernel (u, u), bias (u,)
* LSTM:      gates i, f, c, o -- kernel (F, 4u), recurrent_kernel (u, 4u), bias (4u,)
* GRU:       gates z, r, h    -- kernel (F, 3u), recurrent_kernel (u, 3u),
             bias (2, 3u) with ``reset_after=True`` (TF2's default), (3u,) with False

Dropout follows Keras 2's ``implementation=1``: while training, one mask per sequence for the
inputs and one for the recurrent state, fixed across time steps, drawn separately for each
gate (gate k sees ``x * input_mask[k]`` and ``h * recurrent_mask[k]``). TF2 switches to one
shared input mask when only ``dropout`` is set (``implementation=2``); the per-gate masks are
the same distribution per gate, and the same model in expectation.

A padding mask (``inputs.mask`` set by ``Embedding(mask_zero=True)``, or ``mask=``) skips the
masked steps: states and output carry over unchanged, as Keras does.

Shapes: input ``(batch, time, features)``; output ``(batch, units)`` (the last step), or
``(batch, time, units)`` with ``return_sequences``; with ``return_state`` the final states
follow the output in a list (LSTM: ``[output, h, c]``, the others ``[output, h]``).

With ``stateful=True`` the final states of one call are the initial states of the next, for a
fixed batch size, until ``reset_states()``: :class:`StatefulRecurrence` below (also used by
``minidl.layers.RNN``).
"""


from minidl import initializers, regularizers
from minidl.autograd.tensor import Tensor, as_array
from minidl.layers import arguments
from minidl.layers.arguments import InitializerLike, RegularizerLike
from minidl.layers.base import Layer, Parameter, probing_shapes, undefined_axes_error
from minidl.layers.input_spec import SEQUENCE, InputSpec
from minidl.layers.recurrent_weights import GRUWeights, LSTMWeights, RecurrentWeights
from minidl.ops.dropout import dropout_mask
from minidl.ops.recurrent import get_inplace_activation, gru, lstm, simple_rnn
from minidl.runtime import backend


class StatefulRecurrence:
    """Keras's ``stateful=True``: the final states of one call are the initial states of the next.

    What it is for: a series too long for one sequence is cut into consecutive windows, and
    sample i of each batch continues sample i of the previous batch (Brownlee's stateful LSTM
    lab: ``batch_input_shape=(1, look_back, 1)``, ``fit(..., shuffle=False)`` one epoch at a
    time, ``model.reset_states()`` after each pass over the series). Mixed into a recurrent
    layer (``BaseRNN`` here, ``minidl.layers.RNN``), which calls, in this order:

    * ``_build_states(input_shape)`` in ``build``: one zero state per state of the layer,
      ``(batch, size)``, for the batch size the model declares (``batch_input_shape=``,
      ``Input(batch_shape=...)``, ``Input(shape=..., batch_size=...)``) or, for a layer called
      directly on data, that of its first batch. Row i belongs to sample i, so the batch size is
      fixed: a batch of another size is refused (``_stateful_start``). Keras 2 failed there too,
      with a shape error; Keras 3 refuses it likewise when the size is known, and with TensorFlow
      lets a last partial batch of ``fit``/``predict`` broadcast against the states, returning
      more rows than it was given -- minidl refuses it, naming both sizes.
    * ``_stateful_start(inputs, initial_state)`` before running: the states to start from -- the
      carried ones, unless ``initial_state=`` is given, which wins (as in Keras 3; Keras 2 used
      the carried states once they were not all zeros).
    * ``_stateful_keep(final_states)`` after running: copies of the final states replace the
      carried ones.

    The carried states are constants: they enter the next call detached from the graph, so
    backprop stops at the batch boundary (truncated backprop through time), as in Keras, whose
    states are variables assigned after each call. A probe of a symbolic call (zeros, batch of
    one) neither reads nor changes them. ``layer.states`` lists them (None before ``build`` and
    when not stateful) as non-trainable tensors with ``numpy()`` and ``assign()``, like Keras's
    variables; they are not weights, so saving a model keeps ``stateful`` (in the config) but
    not their values -- a loaded model starts from zeros, as in Keras.
    """

    def _stateful_argument(self, stateful):
        self.stateful = arguments.boolean(self, "stateful", stateful)
        self.states = None  # made by build when stateful

    def _build_states(self, input_shape):
        if not self.stateful:
            return
        batch = input_shape[0]
        if batch is None:
            raise undefined_axes_error(self, (
                "stateful=True needs a fixed batch size (sample i of a batch continues sample i of the "
                "previous one): declare it with batch_input_shape=(batch, time, features) on the first layer, "
                "Input(batch_shape=(batch, time, features)) or Input(shape=(time, features), batch_size=batch); "
                f"got input shape {tuple(input_shape)}"))
        xp = backend.get_xp()
        self.states = [Parameter(xp.zeros((batch, size), dtype=self.dtype), f"{self.name}/rnn_state", trainable=False)
                       for size in self._state_sizes()]

    def _stateful_start(self, inputs, initial_state):
        """The initial states of this call: the carried ones for a stateful layer (see the class)."""
        if not self.stateful or probing_shapes():
            return initial_state
        expected, got = self.states[0].shape[0], inputs.shape[0]
        if got != expected:
            multiple = f" and a number of samples that is a multiple of {expected}" if expected > 1 else ""
            raise ValueError(
                f"{arguments.label(self)}: a stateful layer takes batches of a fixed size, {expected}, and got one "
                f"of {got} (sample i of a batch continues sample i of the previous one); give fit/evaluate/predict "
                f"batch_size={expected}{multiple}"
            )
        if initial_state is not None:
            return initial_state
        return [Tensor._from_op(state.data) for state in self.states]  # constants: no gradient across batches

    def _stateful_keep(self, final_states):
        if not self.stateful or probing_shapes():
            return
        for state, final in zip(self.states, final_states):
            # A copy, bound anew rather than written in place: the array given to this call as its
            # initial state stays as the op saved it for backward, and no later op's buffer is shared.
            state.data = final.data.copy()

    def reset_states(self, states=None):
        """Set the carried states back to zeros (Keras's ``layer.reset_states()``, also named
        ``reset_state`` in Keras 3), or to ``states``, one array ``(batch, size)`` per state (Keras
        2's ``reset_states(states=...)``). A layer that is not stateful has none: nothing happens."""
        if not self.stateful or self.states is None:
            if states is not None:
                raise ValueError(f"{arguments.label(self)}: reset_states(states=...) needs a stateful layer that is "
                                 "built (its batch size known)")
            return
        if states is None:
            xp = backend.get_xp()
            for state in self.states:
                state.data = xp.zeros(state.shape, dtype=state.dtype)
            return
        values = list(states) if isinstance(states, (list, tuple)) else [states]
        if len(values) != len(self.states):
            raise ValueError(f"{arguments.label(self)}: reset_states needs {len(self.states)} state(s), got {len(values)}")
        arrays = [as_array(value, state.dtype) for value, state in zip(values, self.states)]
        for array, state in zip(arrays, self.states):
            if tuple(array.shape) != state.shape:
                raise ValueError(f"{arguments.label(self)}: a state must have shape {state.shape}, "
                                 f"got {tuple(array.shape)}")
        for array, state in zip(arrays, self.states):
            state.data = array.copy()

    def reset_state(self, states=None):
        """Keras 3's name of :meth:`reset_states`."""
        self.reset_states(states)


class BaseRNN(StatefulRecurrence, RecurrentWeights, Layer):
    """What SimpleRNN, LSTM and GRU share: arguments, weights, dropout masks, checks, outputs.

    (Keras's ``RNN(cell)`` wrapper is ``minidl.layers.RNN``, which runs a cell of
    ``minidl.layers.rnn_cells`` step by step; these layers run their whole sequence in one fused
    op, with the same weights as those cells: ``minidl.layers.recurrent_weights``.) The
    arguments are described on :class:`LSTM`.
    """

    state_count = 1
    input_spec = InputSpec(ndim=3, layout=SEQUENCE)  # until build() pins the feature count

    def __init__(self, units: int, activation: str | None = "tanh", recurrent_activation: str | None = "sigmoid",
                 use_bias: bool = True, kernel_initializer: InitializerLike = "glorot_uniform",
                 recurrent_initializer: InitializerLike = "orthogonal", bias_initializer: InitializerLike = "zeros",
                 kernel_regularizer: RegularizerLike = None, recurrent_regularizer: RegularizerLike = None,
                 bias_regularizer: RegularizerLike = None, dropout: float = 0.0, recurrent_dropout: float = 0.0,
                 return_sequences: bool = False, return_state: bool = False, go_backwards: bool = False,
                 stateful: bool = False, unroll: bool = False, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        label = arguments.label(self)
        self.units = arguments.positive_int(self, "units", units)
        self.activation = activation
        self.recurrent_activation = recurrent_activation
        get_inplace_activation(activation, label, "activation")  # fail early, naming the layer
        get_inplace_activation(recurrent_activation, label, "recurrent_activation")
        self._weight_arguments(use_bias, kernel_initializer, recurrent_initializer, bias_initializer,
                               kernel_regularizer, recurrent_regularizer, bias_regularizer, dropout, recurrent_dropout)
        self.return_sequences = arguments.boolean(self, "return_sequences", return_sequences)
        self.return_state = arguments.boolean(self, "return_state", return_state)
        self.go_backwards = arguments.boolean(self, "go_backwards", go_backwards)
        self._stateful_argument(stateful)
        self.unroll = arguments.boolean(self, "unroll", unroll)  # accepted for compatibility; the fused op never unrolls
        self.seed = None if seed is None else arguments.integer(self, "seed", seed)

    # -- weights -----------------------------------------------------------------------------
    def build(self, input_shape):
        features = input_shape[-1]
        self.input_spec = InputSpec(ndim=3, axes={-1: features}, layout=SEQUENCE)
        self._add_recurrent_weights(features)
        self._build_states(input_shape)

    def _state_sizes(self):
        return [self.units] * self.state_count

    # -- calling -----------------------------------------------------------------------------
    def call(self, inputs, training=False, initial_state=None, mask=None):
        if mask is None:
            mask = inputs.mask
        if initial_state is not None:
            initial_state = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
            if len(initial_state) != self.state_count:
                raise ValueError(
                    f"{self.name} ({type(self).__name__}): initial_state must hold {self.state_count} "
                    f"tensor(s), got {len(initial_state)}"
                )
        initial_state = self._stateful_start(inputs, initial_state)
        input_masks, recurrent_masks = self.dropout_masks(inputs, training)
        outputs = self.run(inputs, initial_state, mask, input_masks, recurrent_masks)
        output, states = outputs[0], list(outputs[1:])
        self._stateful_keep(states)
        output.mask = mask if self.return_sequences else None
        if self.return_state:
            return [output, *states]
        return output

    def dropout_masks(self, inputs, training):
        """Keras 2's per-gate masks, one per sequence, or None outside training."""
        batch, _, features = inputs.shape
        input_masks = recurrent_masks = None
        if training and self.dropout > 0:
            input_masks = dropout_mask((self.gates, batch, features), self.dropout, inputs.dtype)
        if training and self.recurrent_dropout > 0:
            recurrent_masks = dropout_mask((self.gates, batch, self.units), self.recurrent_dropout, inputs.dtype)
        return input_masks, recurrent_masks

    def run(self, inputs, initial_state, mask, input_masks, recurrent_masks):
        raise NotImplementedError

    def common_arguments(self, mask, input_masks, recurrent_masks):
        return {
            "return_sequences": self.return_sequences, "go_backwards": self.go_backwards, "mask": mask,
            "input_masks": input_masks, "recurrent_masks": recurrent_masks,
        }

    def get_config(self):
        return {
            **super().get_config(), "units": self.units, "activation": self.activation,
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "recurrent_regularizer": regularizers.serialize(self.recurrent_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "dropout": self.dropout, "recurrent_dropout": self.recurrent_dropout,
            "return_sequences": self.return_sequences, "return_state": self.return_state,
            "go_backwards": self.go_backwards, "stateful": self.stateful, "unroll": self.unroll,
            "seed": self.seed,
        }


class SimpleRNN(BaseRNN):
    """A fully connected recurrent layer: ``h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)``.

    Input ``(batch, time, features)``; output ``(batch, units)``, or ``(batch, time, units)``
    with ``return_sequences``; with ``return_state``, ``[output, h]``.

    Weights, in Keras's order: ``kernel`` (features, units), ``recurrent_kernel`` (units, units),
    ``bias`` (units,).

    Arguments:
        units: the size of the state and of each output vector.
        activation: the state's activation: 'tanh' (default), 'sigmoid', 'hard_sigmoid', 'relu'
            or 'linear' (also None); the fused op needs one of these names.
        use_bias: whether the layer has a bias.
        kernel_initializer, recurrent_initializer, bias_initializer: Keras initializer names,
            instances or callables (defaults 'glorot_uniform', 'orthogonal', 'zeros').
        kernel_regularizer, recurrent_regularizer, bias_regularizer: None, 'l1', 'l2', 'l1_l2'
            or a regularizer; the penalty is added to the training loss.
        dropout, recurrent_dropout: the fraction, in [0, 1), of the inputs and of the recurrent
            state dropped while training (one mask per sequence, see the module docstring).
        return_sequences: return every step's output ``(batch, time, units)`` instead of the
            last ``(batch, units)``.
        return_state: also return the final state(s), after the output, in a list.
        go_backwards: read the sequence from its end (the output is then in reversed order).
        stateful: keep the final states of each batch as the initial states of the next (sample i
            continues sample i), until ``reset_states()``; needs a fixed batch size
            (``batch_input_shape=`` or ``Input(batch_shape=...)``). See ``StatefulRecurrence``.
        unroll: accepted for compatibility; the fused sequence op never unrolls.
        seed: accepted for compatibility; dropout masks come from minidl's generator, which
            ``minidl.set_seed`` seeds.
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype``, ``input_shape``,
            ``batch_input_shape``, ``input_dim``, ``input_length``).

    Call: ``layer(inputs, initial_state=None, mask=None, training=None)``.
    """

    def __init__(self, units: int, activation: str | None = "tanh", use_bias: bool = True,
                 kernel_initializer: InitializerLike = "glorot_uniform",
                 recurrent_initializer: InitializerLike = "orthogonal", bias_initializer: InitializerLike = "zeros",
                 kernel_regularizer: RegularizerLike = None, recurrent_regularizer: RegularizerLike = None,
                 bias_regularizer: RegularizerLike = None, dropout: float = 0.0, recurrent_dropout: float = 0.0,
                 return_sequences: bool = False, return_state: bool = False, go_backwards: bool = False,
                 stateful: bool = False, unroll: bool = False, seed: int | None = None, **kwargs):
        if "recurrent_activation" in kwargs:
            raise TypeError("SimpleRNN: unexpected argument 'recurrent_activation' (SimpleRNN has no gates)")
        super().__init__(
            units, activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer, dropout=dropout, recurrent_dropout=recurrent_dropout,
            return_sequences=return_sequences, return_state=return_state, go_backwards=go_backwards,
            stateful=stateful, unroll=unroll, seed=seed, **kwargs,
        )

    def run(self, inputs, initial_state, mask, input_masks, recurrent_masks):
        return simple_rnn(inputs, self.kernel, self.recurrent_kernel, self.bias, initial_state, self.activation,
                          **self.common_arguments(mask, input_masks, recurrent_masks))


class LSTM(LSTMWeights, BaseRNN):
    """Long short-term memory (Hochreiter & Schmidhuber 1997), with Keras's gates i, f, c, o.

    Each step, with ``z = x_t @ kernel + h_{t-1} @ recurrent_kernel + bias`` split into four::

        i, f, o = recurrent_activation(z_i), recurrent_activation(z_f), recurrent_activation(z_o)
        c_t = f * c_{t-1} + i * activation(z_c)
        h_t = o * activation(c_t)

    Input ``(batch, time, features)``; output ``h`` of shape ``(batch, units)``, or
    ``(batch, time, units)`` with ``return_sequences``; with ``return_state``, ``[output, h, c]``.

    Weights, in Keras's order: ``kernel`` (features, 4 * units), ``recurrent_kernel``
    (units, 4 * units), ``bias`` (4 * units,), each with the gates i, f, c, o along the last axis.

    Arguments:
        units: the size of the state and of each output vector.
        activation: the state's activation: 'tanh' (default), 'sigmoid', 'hard_sigmoid', 'relu'
            or 'linear' (also None); the fused op needs one of these names.
        recurrent_activation: the gates' activation: 'sigmoid' (TF2's default) or
            'hard_sigmoid' (Keras 2.2's, which older labs pass explicitly), or as above.
        use_bias: whether the layer has a bias.
        unit_forget_bias: start the forget gate's bias at 1 (and the rest from
            ``bias_initializer``), so the cell remembers at first (Jozefowicz et al. 2015).
        kernel_initializer, recurrent_initializer, bias_initializer: Keras initializer names,
            instances or callables (defaults 'glorot_uniform', 'orthogonal', 'zeros').
        kernel_regularizer, recurrent_regularizer, bias_regularizer: None, 'l1', 'l2', 'l1_l2'
            or a regularizer; the penalty is added to the training loss.
        dropout, recurrent_dropout: the fraction, in [0, 1), of the inputs and of the recurrent
            state dropped while training (one mask per sequence, see the module docstring).
        return_sequences: return every step's output ``(batch, time, units)`` instead of the
            last ``(batch, units)``.
        return_state: also return the final state(s), after the output, in a list.
        go_backwards: read the sequence from its end (the output is then in reversed order).
        stateful: keep the final states of each batch as the initial states of the next (sample i
            continues sample i), until ``reset_states()``; needs a fixed batch size
            (``batch_input_shape=`` or ``Input(batch_shape=...)``). See ``StatefulRecurrence``.
        unroll: accepted for compatibility; the fused sequence op never unrolls.
        seed: accepted for compatibility; dropout masks come from minidl's generator, which
            ``minidl.set_seed`` seeds.
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype``, ``input_shape``,
            ``batch_input_shape``, ``input_dim``, ``input_length``).

    Call: ``layer(inputs, initial_state=None, mask=None, training=None)``.
    """

    state_count = 2

    def __init__(self, units: int, activation: str | None = "tanh", recurrent_activation: str | None = "sigmoid",
                 use_bias: bool = True, kernel_initializer: InitializerLike = "glorot_uniform",
                 recurrent_initializer: InitializerLike = "orthogonal", bias_initializer: InitializerLike = "zeros",
                 unit_forget_bias: bool = True, kernel_regularizer: RegularizerLike = None,
                 recurrent_regularizer: RegularizerLike = None, bias_regularizer: RegularizerLike = None,
                 dropout: float = 0.0, recurrent_dropout: float = 0.0, return_sequences: bool = False,
                 return_state: bool = False, go_backwards: bool = False, stateful: bool = False,
                 unroll: bool = False, seed: int | None = None, **kwargs):
        super().__init__(
            units, activation=activation, recurrent_activation=recurrent_activation, use_bias=use_bias,
            kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer, dropout=dropout,
            recurrent_dropout=recurrent_dropout, return_sequences=return_sequences, return_state=return_state,
            go_backwards=go_backwards, stateful=stateful, unroll=unroll, seed=seed, **kwargs,
        )
        self.unit_forget_bias = arguments.boolean(self, "unit_forget_bias", unit_forget_bias)

    def run(self, inputs, initial_state, mask, input_masks, recurrent_masks):
        return lstm(inputs, self.kernel, self.recurrent_kernel, self.bias, initial_state, self.activation,
                    self.recurrent_activation, **self.common_arguments(mask, input_masks, recurrent_masks))

    def get_config(self):
        return {**super().get_config(), "recurrent_activation": self.recurrent_activation,
                "unit_forget_bias": self.unit_forget_bias}


class GRU(GRUWeights, BaseRNN):
    """Gated recurrent unit (Cho et al. 2014), with Keras's gates z, r, h and TF2's ``reset_after``.

    Each step, with ``x_z, x_r, x_h`` the parts of ``x_t @ kernel + input_bias`` and
    ``h_z, h_r, h_h`` those of ``h_{t-1} @ recurrent_kernel + recurrent_bias``::

        z = recurrent_activation(x_z + h_z),  r = recurrent_activation(x_r + h_r)
        candidate = activation(x_h + r * h_h)       # reset_after=False: x_h + (r * h_{t-1}) @ U_h
        h_t = z * h_{t-1} + (1 - z) * candidate

    Input ``(batch, time, features)``; output ``(batch, units)``, or ``(batch, time, units)``
    with ``return_sequences``; with ``return_state``, ``[output, h]``.

    Weights, in Keras's order: ``kernel`` (features, 3 * units), ``recurrent_kernel``
    (units, 3 * units), ``bias`` (2, 3 * units) with ``reset_after`` -- an input and a recurrent
    bias -- or (3 * units,) without; gates z, r, h along the last axis.

    Arguments:
        units: the size of the state and of each output vector.
        activation: the state's activation: 'tanh' (default), 'sigmoid', 'hard_sigmoid', 'relu'
            or 'linear' (also None); the fused op needs one of these names.
        recurrent_activation: the gates' activation: 'sigmoid' (TF2's default) or
            'hard_sigmoid' (Keras 2.2's, which older labs pass explicitly), or as above.
        use_bias: whether the layer has a bias.
        kernel_initializer, recurrent_initializer, bias_initializer: Keras initializer names,
            instances or callables (defaults 'glorot_uniform', 'orthogonal', 'zeros').
        kernel_regularizer, recurrent_regularizer, bias_regularizer: None, 'l1', 'l2', 'l1_l2'
            or a regularizer; the penalty is added to the training loss.
        dropout, recurrent_dropout: the fraction, in [0, 1), of the inputs and of the recurrent
            state dropped while training (one mask per sequence, see the module docstring).
        return_sequences: return every step's output ``(batch, time, units)`` instead of the
            last ``(batch, units)``.
        return_state: also return the final state(s), after the output, in a list.
        go_backwards: read the sequence from its end (the output is then in reversed order).
        stateful: keep the final states of each batch as the initial states of the next (sample i
            continues sample i), until ``reset_states()``; needs a fixed batch size
            (``batch_input_shape=`` or ``Input(batch_shape=...)``). See ``StatefulRecurrence``.
        unroll: accepted for compatibility; the fused sequence op never unrolls.
        reset_after: apply the reset gate after the recurrent product (TF2's default, and the
            layout of CuDNN's GRU) or before it (Keras 2.2's).
        seed: accepted for compatibility; dropout masks come from minidl's generator, which
            ``minidl.set_seed`` seeds.
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype``, ``input_shape``,
            ``batch_input_shape``, ``input_dim``, ``input_length``).

    Call: ``layer(inputs, initial_state=None, mask=None, training=None)``.
    """


    def __init__(self, units: int, activation: str | None = "tanh", recurrent_activation: str | None = "sigmoid",
                 use_bias: bool = True, kernel_initializer: InitializerLike = "glorot_uniform",
                 recurrent_initializer: InitializerLike = "orthogonal", bias_initializer: InitializerLike = "zeros",
                 kernel_regularizer: RegularizerLike = None, recurrent_regularizer: RegularizerLike = None,
                 bias_regularizer: RegularizerLike = None, dropout: float = 0.0, recurrent_dropout: float = 0.0,
                 return_sequences: bool = False, return_state: bool = False, go_backwards: bool = False,
                 stateful: bool = False, unroll: bool = False, reset_after: bool = True, seed: int | None = None,
                 **kwargs):
        super().__init__(
            units, activation=activation, recurrent_activation=recurrent_activation, use_bias=use_bias,
            kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer, dropout=dropout,
            recurrent_dropout=recurrent_dropout, return_sequences=return_sequences, return_state=return_state,
            go_backwards=go_backwards, stateful=stateful, unroll=unroll, seed=seed, **kwargs,
        )
        self.reset_after = arguments.boolean(self, "reset_after", reset_after)

    def run(self, inputs, initial_state, mask, input_masks, recurrent_masks):
        return gru(inputs, self.kernel, self.recurrent_kernel, self.bias, initial_state, self.activation,
                   self.recurrent_activation, self.reset_after,
                   **self.common_arguments(mask, input_masks, recurrent_masks))

    def get_config(self):
        return {**super().get_config(), "recurrent_activation": self.recurrent_activation,
                "reset_after": self.reset_after}
