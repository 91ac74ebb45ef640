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
"""

import numpy as np

from minidl import initializers, regularizers
from minidl.layers.base import Layer
from minidl.ops.dropout import dropout_mask
from minidl.ops.recurrent import get_inplace_activation, gru, lstm, simple_rnn


class BaseRNN(Layer):
    """What SimpleRNN, LSTM and GRU share: arguments, weights, dropout masks, checks, outputs.

    (Keras's own ``RNN(cell)`` wrapper is not this class; minidl has no cell objects -- each
    layer runs its whole sequence in one fused op.)
    """

    gates = 1  # gate blocks along the weights' last axis
    state_count = 1

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, dropout=0.0, recurrent_dropout=0.0, return_sequences=False,
                 return_state=False, go_backwards=False, stateful=False, unroll=False, **kwargs):
        super().__init__(**kwargs)
        kind = type(self).__name__
        if int(units) != units or int(units) <= 0:
            raise ValueError(f"{kind}: units must be a positive integer, got {units!r}")
        if stateful:
            raise ValueError(
                f"{kind}: stateful=True is not supported by minidl (states are not kept between "
                "batches); pass initial_state=... to the call to start from given states"
            )
        for argument, rate in (("dropout", dropout), ("recurrent_dropout", recurrent_dropout)):
            if not 0 <= rate < 1:
                raise ValueError(f"{kind}: {argument} must be in [0, 1), got {rate}")
        self.units = int(units)
        self.activation = activation
        self.recurrent_activation = recurrent_activation
        get_inplace_activation(activation, kind, "activation")  # fail early, naming the layer
        get_inplace_activation(recurrent_activation, kind, "recurrent_activation")
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.dropout = float(dropout)
        self.recurrent_dropout = float(recurrent_dropout)
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = False
        self.unroll = bool(unroll)  # accepted for compatibility; the fused op never unrolls

    # -- weights -----------------------------------------------------------------------------
    def build(self, input_shape):
        self._check_rank(input_shape)
        features = input_shape[-1]
        width = self.gates * self.units
        self.kernel = self.add_weight("kernel", (features, width), self.kernel_initializer, self.kernel_regularizer)
        self.recurrent_kernel = self.add_weight("recurrent_kernel", (self.units, width), self.recurrent_initializer,
                                                self.recurrent_regularizer)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight("bias", self.bias_shape(), self.bias_initializer_for_build(),
                                        self.bias_regularizer)

    def bias_shape(self):
        return (self.gates * self.units,)

    def bias_initializer_for_build(self):
        return self.bias_initializer

    # -- calling -----------------------------------------------------------------------------
    def _check_rank(self, shape):
        if len(shape) != 3:
            raise ValueError(
                f"{self.name} ({type(self).__name__}): expected input of rank 3 (batch, time, features), "
                f"got shape {tuple(shape)}"
            )

    def call(self, inputs, training=False, initial_state=None, mask=None):
        self._check_rank(inputs.shape)
        features = self.kernel.shape[0]
        if inputs.shape[-1] != features:
            raise ValueError(
                f"{self.name} ({type(self).__name__}): expected inputs with {features} features on the last "
                f"axis (the layer was built for them), got shape {inputs.shape}"
            )
        if mask is None:
            mask = inputs.mask
        if initial_state is not None:
            initial_state = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
            if len(initial_state) != self.state_count:
                raise ValueError(
                    f"{self.name} ({type(self).__name__}): initial_state must hold {self.state_count} "
                    f"tensor(s), got {len(initial_state)}"
                )
        input_masks, recurrent_masks = self.dropout_masks(inputs, training)
        outputs = self.run(inputs, initial_state, mask, input_masks, recurrent_masks)
        output, states = outputs[0], list(outputs[1:])
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
        }


class SimpleRNN(BaseRNN):
    """A fully connected recurrent layer: h' = activation(x W + h U + b)."""

    def __init__(self, units, activation="tanh", **kwargs):
        if "recurrent_activation" in kwargs:
            raise TypeError("SimpleRNN: unexpected argument 'recurrent_activation' (SimpleRNN has no gates)")
        super().__init__(units, activation=activation, **kwargs)

    def run(self, inputs, initial_state, mask, input_masks, recurrent_masks):
        return simple_rnn(inputs, self.kernel, self.recurrent_kernel, self.bias, initial_state, self.activation,
                          **self.common_arguments(mask, input_masks, recurrent_masks))


class LSTM(BaseRNN):
    """Long short-term memory (Hochreiter & Schmidhuber 1997), Keras's gates i, f, c, o."""

    gates = 4
    state_count = 2

    def __init__(self, units, unit_forget_bias=True, **kwargs):
        super().__init__(units, **kwargs)
        self.unit_forget_bias = bool(unit_forget_bias)

    def bias_initializer_for_build(self):
        if not self.unit_forget_bias:
            return self.bias_initializer
        units, base = self.units, self.bias_initializer

        def forget_gate_ones(shape, dtype=None):
            # Keras: the forget gate's bias starts at 1 so that the cell remembers at first
            return np.concatenate([base((units,), dtype), np.ones(units, dtype=dtype), base((2 * units,), dtype)])

        return forget_gate_ones

    def run(self, inputs, initial_state, mask, input_masks, recurrent_masks):
        return lstm(inputs, self.kernel, self.recurrent_kernel, self.bias, initial_state, self.activation,
                    self.recurrent_activation, **self.common_arguments(mask, input_masks, recurrent_masks))

    def get_config(self):
        return {**super().get_config(), "recurrent_activation": self.recurrent_activation,
                "unit_forget_bias": self.unit_forget_bias}


class GRU(BaseRNN):
    """Gated recurrent unit (Cho et al. 2014), Keras's gates z, r, h; ``reset_after`` as TF2."""

    gates = 3

    def __init__(self, units, reset_after=True, **kwargs):
        super().__init__(units, **kwargs)
        self.reset_after = bool(reset_after)

    def bias_shape(self):
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def run(self, inputs, initial_state, mask, input_masks, recurrent_masks):
        return gru(inputs, self.kernel, self.recurrent_kernel, self.bias, initial_state, self.activation,
                   self.recurrent_activation, self.reset_after,
                   **self.common_arguments(mask, input_masks, recurrent_masks))

    def get_config(self):
        return {**super().get_config(), "recurrent_activation": self.recurrent_activation,
                "reset_after": self.reset_after}
