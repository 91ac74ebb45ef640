"""Keras's recurrent cells: SimpleRNNCell, LSTMCell and GRUCell -- one time step of SimpleRNN,
LSTM and GRU as a layer of its own -- and StackedRNNCells. ``RNN(cell)`` (``minidl.layers.rnn``)
runs a cell over a sequence; so it runs any cell a user writes.

A cell's ``call(inputs, states, training=False)`` takes one step's input (batch, features) and
the list of its states, and returns ``(output, new_states)``; ``state_size`` says how many
states it carries and how wide they are. minidl's cells compute their step with the step ops
of ``minidl.ops.recurrent`` (``simple_rnn_step``, ``lstm_step``, ``gru_step``): the readable step
Functions of ``minidl/ops/reference/``, whose backward is written out one derivative per line --
the same Functions the LSTM/GRU layers run inside ``minidl.reference_ops()`` -- so
``RNN(LSTMCell(u))`` equals ``LSTM(u)``.

Weights, names and shapes are Keras's (those of the matching layers): kernel (features,
gates * units), recurrent_kernel (units, gates * units), bias (gates * units,) -- GRU's (2, 3 *
units) with ``reset_after``. Dropout, as in Keras 3's cells: one mask for the inputs and one
for the recurrent state, shared by the gates and fixed for a whole sequence.
"""

import functools
import inspect

import numpy as np

from minidl import initializers, regularizers
from minidl.autograd.tensor import Tensor
from minidl.layers import arguments
from minidl.layers.arguments import InitializerLike, RegularizerLike
from minidl.layers.base import Layer
from minidl.layers.call_context import label
from minidl.layers.recurrent_weights import GRUWeights, LSTMWeights, RecurrentWeights
from minidl.ops import recurrent
from minidl.ops.dropout import dropout_mask
from minidl.runtime import backend


class _Cell(RecurrentWeights, Layer):
    """What the three cells share: arguments, weights, dropout masks, the eager call."""

    state_count = 1

    def _cell_arguments(self, units, activation, recurrent_activation, use_bias, kernel_initializer,
                        recurrent_initializer, bias_initializer, kernel_regularizer, recurrent_regularizer,
                        bias_regularizer, dropout, recurrent_dropout, seed):
        caller = label(self)
        self.units = arguments.positive_int(self, "units", units)
        self.activation = activation
        self.act = recurrent.cell_activation(activation, caller, "activation")
        self.recurrent_activation = recurrent_activation
        self.sigma = None if recurrent_activation is None and self.gates == 1 else recurrent.cell_activation(
            recurrent_activation, caller, "recurrent_activation")
        self._weight_arguments(use_bias, kernel_initializer, recurrent_initializer, bias_initializer,
                               kernel_regularizer, recurrent_regularizer, bias_regularizer, dropout, recurrent_dropout)
        self.seed = None if seed is None else arguments.integer(self, "seed", seed)
        self.sequence_masks = None  # the dropout masks of the sequence being run (see RNN)

    @property
    def state_size(self):
        return self.units if self.state_count == 1 else [self.units] * self.state_count

    @property
    def output_size(self):
        return self.units

    def build(self, input_shape):
        self._add_recurrent_weights(input_shape[-1])

    def bias_or_zeros(self, like):
        if self.bias is not None:
            return self.bias
        return Tensor._from_op(backend.get_xp().zeros(self.bias_shape(), dtype=like.dtype))

    def dropout_masks(self, inputs, training):
        """(input masks, recurrent masks) for this step: the sequence's, drawn at its first step."""
        if not training or (self.dropout == 0 and self.recurrent_dropout == 0):
            return None, None
        batch, features = inputs.shape
        if self.sequence_masks is None or self.sequence_masks[0] != batch:
            input_masks = recurrent_masks = None
            xp = backend.get_xp()
            if self.dropout > 0:
                mask = dropout_mask((1, batch, features), self.dropout, inputs.dtype)
                input_masks = xp.broadcast_to(mask, (self.gates, batch, features))
            if self.recurrent_dropout > 0:
                mask = dropout_mask((1, batch, self.units), self.recurrent_dropout, inputs.dtype)
                recurrent_masks = xp.broadcast_to(mask, (self.gates, batch, self.units))
            self.sequence_masks = (batch, input_masks, recurrent_masks)
        return self.sequence_masks[1], self.sequence_masks[2]

    def reset_dropout_mask(self):
        """Forget the masks, so the next sequence draws new ones (Keras's name)."""
        self.sequence_masks = None

    def get_initial_state(self, batch_size):
        """Zero states, one per entry of ``state_size``."""
        zeros = backend.get_xp().zeros((batch_size, self.units), dtype=self.dtype)
        return [Tensor._from_op(zeros) for _ in range(self.state_count)]

    def __call__(self, inputs, states=None, training=None, **kwargs):
        """``cell(x_t, states)`` on one step: ``(output, new_states)`` (states default to zeros)."""
        if not isinstance(inputs, Tensor):
            inputs = Tensor._from_op(backend.to_device(np.asarray(inputs, dtype=self.dtype)))
        if states is None:
            states = self.get_initial_state(inputs.shape[0])
        states = [s if isinstance(s, Tensor) else Tensor._from_op(backend.to_device(np.asarray(s, dtype=self.dtype)))
                  for s in (states if isinstance(states, (list, tuple)) else [states])]
        if not self.built:
            self.build(inputs.shape)
            self.built = True
        try:
            return self.call(inputs, states, training=bool(training))
        finally:
            self.reset_dropout_mask()

    def _config(self):
        return {**super().get_config(), "units": self.units, "activation": self.activation,
                "use_bias": self.use_bias,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
                "recurrent_regularizer": regularizers.serialize(self.recurrent_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer),
                "dropout": self.dropout, "recurrent_dropout": self.recurrent_dropout, "seed": self.seed}


def _check_states(cell, states, count):
    states = list(states) if isinstance(states, (list, tuple)) else [states]
    if len(states) != count:
        raise ValueError(f"{label(cell)}: expected {count} state(s), got {len(states)}")
    return states


class SimpleRNNCell(_Cell):
    """One step of SimpleRNN: ``h' = activation(x @ kernel + h @ recurrent_kernel + bias)``;
    the output is h'. Input (batch, features), one state (batch, units).

    Weights, in Keras's order: ``kernel`` (features, units), ``recurrent_kernel`` (units,
    units), ``bias`` (units,).

    Arguments:
        units: the size of the state and of the output.
        activation: 'tanh' (default), 'sigmoid', 'hard_sigmoid', 'relu' or 'linear' (also None).
        use_bias: whether the cell has a bias.
        kernel_initializer, recurrent_initializer, bias_initializer: Keras initializer names,
            instances or callables.
        kernel_regularizer, recurrent_regularizer, bias_regularizer: None, 'l1', 'l2', 'l1_l2'
            or a regularizer.
        dropout, recurrent_dropout: the fraction, in [0, 1), of the inputs / of the state
            dropped while training (one mask per sequence).
        seed: accepted for Keras compatibility (minidl's generator, seeded by ``minidl.set_seed``).
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype``).
    """

    def __init__(self, units: int, activation: str | None = "tanh", use_bias: bool = True,
                 kernel_initializer: InitializerLike = "glorot_uniform",
                 recurrent_initializer: InitializerLike = "orthogonal", bias_initializer: InitializerLike = "zeros",
                 kernel_regularizer: RegularizerLike = None, recurrent_regularizer: RegularizerLike = None,
                 bias_regularizer: RegularizerLike = None, dropout: float = 0.0, recurrent_dropout: float = 0.0,
                 seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self._cell_arguments(units, activation, None, use_bias, kernel_initializer, recurrent_initializer,
                             bias_initializer, kernel_regularizer, recurrent_regularizer, bias_regularizer, dropout,
                             recurrent_dropout, seed)

    def call(self, inputs, states, training=False):
        (h,) = _check_states(self, states, 1)
        input_masks, recurrent_masks = self.dropout_masks(inputs, training)
        h_new = recurrent.simple_rnn_step(inputs, h, self.kernel, self.recurrent_kernel, self.bias_or_zeros(inputs),
                                          self.act, input_masks, recurrent_masks)
        return h_new, [h_new]

    def get_config(self):
        return self._config()


class LSTMCell(LSTMWeights, _Cell):
    """One step of LSTM, Keras's gates i, f, c, o (see ``minidl.layers.LSTM`` for the
    equations); the output is h'. Input (batch, features), two states [h, c] (batch, units).

    Weights, in Keras's order: ``kernel`` (features, 4 * units), ``recurrent_kernel`` (units,
    4 * units), ``bias`` (4 * units,).

    Arguments:
        units: the size of the states and of the output.
        activation: 'tanh' (default), 'sigmoid', 'hard_sigmoid', 'relu' or 'linear' (also None).
        recurrent_activation: the gates' activation: 'sigmoid' (default) or 'hard_sigmoid', ...
        use_bias: whether the cell has a bias.
        kernel_initializer, recurrent_initializer, bias_initializer: Keras initializer names,
            instances or callables.
        unit_forget_bias: start the forget gate's bias at 1.
        kernel_regularizer, recurrent_regularizer, bias_regularizer: None, 'l1', 'l2', 'l1_l2'
            or a regularizer.
        dropout, recurrent_dropout: the fraction, in [0, 1), of the inputs / of the state
            dropped while training (one mask per sequence).
        seed: accepted for Keras compatibility (minidl's generator, seeded by ``minidl.set_seed``).
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype``).
    """

    state_count = 2

    def __init__(self, units: int, activation: str | None = "tanh", recurrent_activation: str | None = "sigmoid",
                 use_bias: bool = True, kernel_initializer: InitializerLike = "glorot_uniform",
                 recurrent_initializer: InitializerLike = "orthogonal", bias_initializer: InitializerLike = "zeros",
                 unit_forget_bias: bool = True, kernel_regularizer: RegularizerLike = None,
                 recurrent_regularizer: RegularizerLike = None, bias_regularizer: RegularizerLike = None,
                 dropout: float = 0.0, recurrent_dropout: float = 0.0, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self._cell_arguments(units, activation, recurrent_activation, use_bias, kernel_initializer,
                             recurrent_initializer, bias_initializer, kernel_regularizer, recurrent_regularizer,
                             bias_regularizer, dropout, recurrent_dropout, seed)
        self.unit_forget_bias = arguments.boolean(self, "unit_forget_bias", unit_forget_bias)

    def call(self, inputs, states, training=False):
        h, c = _check_states(self, states, 2)
        input_masks, recurrent_masks = self.dropout_masks(inputs, training)
        h_new, c_new = recurrent.lstm_step(inputs, h, c, self.kernel, self.recurrent_kernel,
                                           self.bias_or_zeros(inputs), self.act, self.sigma, input_masks,
                                           recurrent_masks)
        return h_new, [h_new, c_new]

    def get_config(self):
        return {**self._config(), "recurrent_activation": self.recurrent_activation,
                "unit_forget_bias": self.unit_forget_bias}


class GRUCell(GRUWeights, _Cell):
    """One step of GRU, Keras's gates z, r, h and TF2's ``reset_after`` (see
    ``minidl.layers.GRU`` for the equations); the output is h'. Input (batch, features), one
    state (batch, units).

    Weights, in Keras's order: ``kernel`` (features, 3 * units), ``recurrent_kernel`` (units,
    3 * units), ``bias`` (2, 3 * units) with ``reset_after``, else (3 * units,).

    Arguments:
        units: the size of the state and of the output.
        activation: 'tanh' (default), 'sigmoid', 'hard_sigmoid', 'relu' or 'linear' (also None).
        recurrent_activation: the gates' activation: 'sigmoid' (default) or 'hard_sigmoid', ...
        use_bias: whether the cell has a bias.
        kernel_initializer, recurrent_initializer, bias_initializer: Keras initializer names,
            instances or callables.
        kernel_regularizer, recurrent_regularizer, bias_regularizer: None, 'l1', 'l2', 'l1_l2'
            or a regularizer.
        dropout, recurrent_dropout: the fraction, in [0, 1), of the inputs / of the state
            dropped while training (one mask per sequence).
        reset_after: apply the reset gate after the recurrent product (TF2's default).
        seed: accepted for Keras compatibility (minidl's generator, seeded by ``minidl.set_seed``).
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype``).
    """


    def __init__(self, units: int, activation: str | None = "tanh", recurrent_activation: str | None = "sigmoid",
                 use_bias: bool = True, kernel_initializer: InitializerLike = "glorot_uniform",
                 recurrent_initializer: InitializerLike = "orthogonal", bias_initializer: InitializerLike = "zeros",
                 kernel_regularizer: RegularizerLike = None, recurrent_regularizer: RegularizerLike = None,
                 bias_regularizer: RegularizerLike = None, dropout: float = 0.0, recurrent_dropout: float = 0.0,
                 reset_after: bool = True, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self._cell_arguments(units, activation, recurrent_activation, use_bias, kernel_initializer,
                             recurrent_initializer, bias_initializer, kernel_regularizer, recurrent_regularizer,
                             bias_regularizer, dropout, recurrent_dropout, seed)
        self.reset_after = arguments.boolean(self, "reset_after", reset_after)

    def call(self, inputs, states, training=False):
        (h,) = _check_states(self, states, 1)
        input_masks, recurrent_masks = self.dropout_masks(inputs, training)
        h_new = recurrent.gru_step(inputs, h, self.kernel, self.recurrent_kernel, self.bias_or_zeros(inputs),
                                   self.act, self.sigma, self.reset_after, input_masks, recurrent_masks)
        return h_new, [h_new]

    def get_config(self):
        return {**self._config(), "recurrent_activation": self.recurrent_activation, "reset_after": self.reset_after}


class StackedRNNCells(Layer):
    """Several cells run one after the other at every step, as one cell: cell k reads cell
    k-1's output; the states are all the cells' states, in order. ``RNN([cell_a, cell_b])``
    builds one. No weights of its own (the cells', in order).

    Arguments:
        cells: the list of cells.
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype``).
    """

    def __init__(self, cells: list, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(cells, (list, tuple)) or not cells or not all(hasattr(c, "call") for c in cells):
            raise ValueError(f"{label(self)}: cells must be a non-empty list of cells, got {cells!r}")
        self.cells = [self.track(cell) for cell in cells]

    @property
    def state_size(self):
        sizes = []
        for cell in self.cells:
            size = cell.state_size
            sizes += list(size) if isinstance(size, (list, tuple)) else [size]
        return sizes

    @property
    def output_size(self):
        last = self.cells[-1]
        size = getattr(last, "output_size", None)
        if size is None:
            size = last.state_size[0] if isinstance(last.state_size, (list, tuple)) else last.state_size
        return size

    def build(self, input_shape):
        shape = tuple(input_shape)
        for cell in self.cells:
            if not cell.built:
                cell.build(shape)
                cell.built = True
            size = getattr(cell, "output_size", None) or _first(cell.state_size)
            shape = shape[:-1] + (size,)

    def reset_dropout_mask(self):
        for cell in self.cells:
            if hasattr(cell, "reset_dropout_mask"):
                cell.reset_dropout_mask()

    def call(self, inputs, states, training=False):
        new_states = []
        position = 0
        output = inputs
        for cell in self.cells:
            count = len(cell.state_size) if isinstance(cell.state_size, (list, tuple)) else 1
            output, cell_states = call_cell(cell, output, list(states[position:position + count]), training)
            new_states += list(cell_states) if isinstance(cell_states, (list, tuple)) else [cell_states]
            position += count
        return output, new_states

    def get_config(self):
        return {**super().get_config(),
                "cells": [{"class_name": type(cell).__name__, "config": cell.get_config()} for cell in self.cells]}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from minidl.models import registry

        config = dict(config)
        cells = [registry.deserialize_layer(spec, custom_objects) for spec in config.pop("cells")]
        return cls(cells, **config)


def _first(size):
    return size[0] if isinstance(size, (list, tuple)) else size


def call_cell(cell, inputs, states, training):
    """``cell.call(inputs, states)``, with ``training`` when the cell's call takes it."""
    if _takes_training(type(cell)):
        return cell.call(inputs, states, training=training)
    return cell.call(inputs, states)


@functools.lru_cache(maxsize=None)
def _takes_training(cell_class):
    return "training" in inspect.signature(cell_class.call).parameters
