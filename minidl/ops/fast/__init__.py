"""The fast forms of minidl's heavy operations: what runs by default.

Each computes the same numbers as a readable form in ``minidl/ops/reference/`` (named in its
docstring; the tests hold it there) with everything that makes it quick: a recurrent layer's
whole sequence in one Function with reused buffers (``lstm``, ``gru``, ``simple_rnn``,
``rnn_common``), cache-sized chunks of a batch on every CPU core (``conv``, ``im2col``,
``pooling``, ``depthwise_conv``, ``leaky_relu``, ``batch_norm``, ``layer_norm``), and CUDA
kernels for the recurrent time loops (``rnn_cuda``, with its C sources in ``cuda/*.cu`` read by
``cuda_sources``). Read the readable form first.
"""
