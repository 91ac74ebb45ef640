"""The readable forms of minidl's heavy operations: the code to read to learn how they work.

Each is plain array code with its backward written out beside its forward, one line per
derivative with the formula in a comment:

* ``lstm``, ``gru``, ``simple_rnn``: one step of the cell as a Function; ``time_loop`` runs it
  at every time step, so the graph holds one node per step and backward() walks back through
  them (backprop through time); ``gates`` and ``rnn_activations`` are their small helpers;
* ``im2col``, ``conv``, ``pooling``: convolution, transposed convolution and max / average
  pooling by im2col, one matrix product or reduction, and col2im;
* ``depthwise_conv``: each channel convolved with its own kernels, by im2col and a sum over
  each window's taps;
* ``batch_norm``, ``layer_norm``, ``embedding``, ``dropout``, ``image_sampling``.

The public ops (``minidl.ops.lstm``, ``conv2d``, ...) run these inside ``minidl.reference_ops()``;
outside it they run the fast forms in ``minidl/ops/fast/``, which must give the same numbers.
(Embedding, dropout and image sampling have only this form.) Each optimizer's
readable update is its ``update_one`` method, in ``minidl/optimizers/``.
"""
