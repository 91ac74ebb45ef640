"""The weights a recurrent layer and its one-step cell share, in Keras's layout.

``LSTM(u)`` and ``RNN(LSTMCell(u))`` hold the same three weights under the same names -- kernel
(features, gates * units), recurrent_kernel (units, gates * units) and bias -- take the same
arguments for them and for dropout, and create them in the same order (so a seed gives both the
same numbers). These mixins hold that once; ``minidl.layers.recurrent`` (the whole-sequence
layers) and ``minidl.layers.rnn_cells`` (the cells) combine them with their own ``call``.
"""

import numpy as np

from minidl.layers import arguments


class RecurrentWeights:
    """Kernel, recurrent kernel and bias of ``gates`` blocks of ``units`` each (mixed into a Layer)."""

    gates = 1  # gate blocks along the weights' last axis

    def _weight_arguments(self, use_bias, kernel_initializer, recurrent_initializer, bias_initializer,
                          kernel_regularizer, recurrent_regularizer, bias_regularizer, dropout, recurrent_dropout):
        """Check and keep the weight and dropout arguments (each error names the layer)."""
        self.use_bias = arguments.boolean(self, "use_bias", use_bias)
        self.kernel_initializer = arguments.initializer(self, "kernel_initializer", kernel_initializer)
        self.recurrent_initializer = arguments.initializer(self, "recurrent_initializer", recurrent_initializer)
        self.bias_initializer = arguments.initializer(self, "bias_initializer", bias_initializer)
        self.kernel_regularizer = arguments.regularizer(self, "kernel_regularizer", kernel_regularizer)
        self.recurrent_regularizer = arguments.regularizer(self, "recurrent_regularizer", recurrent_regularizer)
        self.bias_regularizer = arguments.regularizer(self, "bias_regularizer", bias_regularizer)
        self.dropout = arguments.rate(self, "dropout", dropout)
        self.recurrent_dropout = arguments.rate(self, "recurrent_dropout", recurrent_dropout)

    def _add_recurrent_weights(self, features):
        """Create kernel, recurrent_kernel and (with ``use_bias``) bias, in Keras's order."""
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


class LSTMWeights(RecurrentWeights):
    """The LSTM's gates i, f, c, o; with ``unit_forget_bias`` the forget gate's bias starts at 1."""

    gates = 4

    def bias_initializer_for_build(self):
        if not self.unit_forget_bias:
            return self.bias_initializer
        units, base = self.units, self.bias_initializer

        def forget_gate_ones(shape, dtype=None):
            # Keras: the forget gate's bias starts at 1 so that the cell remembers at first
            return np.concatenate([base((units,), dtype), np.ones(units, dtype=dtype), base((2 * units,), dtype)])

        return forget_gate_ones


class GRUWeights(RecurrentWeights):
    """The GRU's gates z, r, h; with ``reset_after`` (Keras 2's CuDNN-compatible form) two bias rows,
    one for the input part and one for the recurrent part."""

    gates = 3

    def bias_shape(self):
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)
