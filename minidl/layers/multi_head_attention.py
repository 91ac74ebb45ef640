"""``MultiHeadAttention``: the attention of transformers (Vaswani et al.), as Keras's layer.

Each of ``num_heads`` heads projects the query, key and value sequences to its own small
space, attends there, and the heads' results are projected back together::

    q = query @ W_q + b_q      (batch, Tq, heads, key_dim)       one slice per head
    k = key   @ W_k + b_k      (batch, Tv, heads, key_dim)
    v = value @ W_v + b_v      (batch, Tv, heads, value_dim)
    scores  = q . k / sqrt(key_dim)          per head: (batch, heads, Tq, Tv)
    weights = softmax(scores)                over the value steps (masked scores get -1e9)
    heads   = weights @ v                    (batch, heads, Tq, value_dim)
    output  = heads @ W_o + b_o              (batch, Tq, output_dim)

Masks, as in Keras: the query's and value's padding masks (``Embedding(mask_zero=True)``),
``attention_mask`` (batch, Tq, Tv) and ``use_causal_mask`` (step i sees steps <= i) are all
combined; ``dropout`` drops attention weights while training.

The weights have Keras 3's names, shapes and order, so they exchange with Keras:
``query/kernel`` (query_dim, heads, key_dim), ``query/bias`` (heads, key_dim), the same for
``key`` and ``value`` (value_dim), and ``attention_output/kernel`` (heads, value_dim,
output_dim), ``attention_output/bias`` (output_dim,). The computation is differentiable ops
(reshapes and batched matmuls), so its gradients are theirs.
"""

import math

from minidl import initializers, regularizers
from minidl.autograd.tensor import Tensor, as_array
from minidl.layers import arguments
from minidl.layers.arguments import InitializerLike, RegularizerLike
from minidl.layers.attention import _raw_mask, causal_mask, masked_softmax
from minidl.layers.base import Layer, SymbolicTensor
from minidl.layers.call_context import label
from minidl.ops import math as math_ops
from minidl.ops import shapes
from minidl.ops.dropout import dropout as attention_dropout


class MultiHeadAttention(Layer):
    """Multi-head attention (see the module docstring).

    Inputs: ``query`` (batch, Tq, query_dim), ``value`` (batch, Tv, value_dim_in) and optionally
    ``key`` (batch, Tv, key_dim_in; the value when absent). Output (batch, Tq, output_dim) --
    output_dim is the query's width unless ``output_shape`` says otherwise -- and with
    ``return_attention_scores=True`` also the weights (batch, heads, Tq, Tv).

    Weights, in Keras's order: ``query/kernel``, ``query/bias``, ``key/kernel``, ``key/bias``,
    ``value/kernel``, ``value/bias``, ``attention_output/kernel``, ``attention_output/bias`` (the
    biases only with ``use_bias``; shapes in the module docstring).

    Arguments:
        num_heads: the number of heads.
        key_dim: the size of each head's query and key projections.
        value_dim: the size of each head's value projection (default ``key_dim``).
        dropout: the fraction of attention weights dropped while training, in [0, 1).
        use_bias: whether the projections have biases.
        output_shape: the output's last size (an int or a 1-tuple), default the query's width.
        attention_axes: must be None: attention over the time axis of (batch, time, features).
        kernel_initializer, bias_initializer: Keras initializer names, instances or callables.
        kernel_regularizer, bias_regularizer: None, 'l1', 'l2', 'l1_l2' or a regularizer.
        use_gate: must be False (Keras 3.15's gated attention is not in minidl).
        seed: accepted for Keras compatibility (minidl's generator, seeded by ``minidl.set_seed``).
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype``).

    Call: ``layer(query, value, key=None, attention_mask=None, return_attention_scores=False,
    training=None, use_causal_mask=False)``.
    """

    def __init__(self, num_heads: int, key_dim: int, value_dim: int | None = None, dropout: float = 0.0,
                 use_bias: bool = True, output_shape: int | tuple[int] | None = None,
                 attention_axes: int | tuple[int, ...] | None = None,
                 kernel_initializer: InitializerLike = "glorot_uniform", bias_initializer: InitializerLike = "zeros",
                 kernel_regularizer: RegularizerLike = None, bias_regularizer: RegularizerLike = None,
                 use_gate: bool = False, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        caller = label(self)
        self.num_heads = arguments.positive_int(self, "num_heads", num_heads)
        self.key_dim = arguments.positive_int(self, "key_dim", key_dim)
        self.value_dim = self.key_dim if value_dim is None else arguments.positive_int(self, "value_dim", value_dim)
        self.dropout = arguments.rate(self, "dropout", dropout)
        self.use_bias = arguments.boolean(self, "use_bias", use_bias)
        if output_shape is not None:
            sizes = output_shape if isinstance(output_shape, (list, tuple)) else (output_shape,)
            if len(sizes) != 1:
                raise ValueError(f"{caller}: output_shape must be an int or a 1-tuple (the output's last size), got "
                                 f"{output_shape!r}")
            output_shape = arguments.positive_int(self, "output_shape", sizes[0])
        self.output_size = output_shape
        if attention_axes not in (None, 1, (1,), [1], -2, (-2,), [-2]):
            raise ValueError(f"{caller}: attention_axes={attention_axes!r} is not supported; minidl attends over the "
                             "time axis of (batch, time, features) inputs (attention_axes=None)")
        self.attention_axes = None
        self.kernel_initializer = arguments.initializer(self, "kernel_initializer", kernel_initializer)
        self.bias_initializer = arguments.initializer(self, "bias_initializer", bias_initializer)
        self.kernel_regularizer = arguments.regularizer(self, "kernel_regularizer", kernel_regularizer)
        self.bias_regularizer = arguments.regularizer(self, "bias_regularizer", bias_regularizer)
        if arguments.boolean(self, "use_gate", use_gate):
            raise ValueError(f"{caller}: use_gate=True (gated attention) is not supported by minidl")
        self.use_gate = False
        self.seed = None if seed is None else arguments.integer(self, "seed", seed)
        self.projections = None

    # -- calling: query and value may be given positionally, as in Keras -----------------------
    def __call__(self, query, value=None, key=None, **kwargs):
        if value is None:
            raise ValueError(f"{label(self)}: called without a value; call it as layer(query, value) "
                             "(layer(x, x) for self-attention)")
        if key is not None:
            kwargs["key"] = _tensor(key)
        return super().__call__(query, value=_tensor(value), **kwargs)

    def _build_projections(self, query, value, key):
        """The weights, once the widths of the query, value and key are known (Keras's order)."""
        heads, output = self.num_heads, self.output_size or query.shape[-1]

        def projection(name, width, size):
            kernel = self.add_weight(f"{name}/kernel", (width, heads, size), self.kernel_initializer,
                                     self.kernel_regularizer)
            bias = self.add_weight(f"{name}/bias", (heads, size), self.bias_initializer,
                                   self.bias_regularizer) if self.use_bias else None
            return kernel, bias

        self.query_kernel, self.query_bias = projection("query", query.shape[-1], self.key_dim)
        self.key_kernel, self.key_bias = projection("key", key.shape[-1], self.key_dim)
        self.value_kernel, self.value_bias = projection("value", value.shape[-1], self.value_dim)
        self.output_kernel = self.add_weight("attention_output/kernel", (heads, self.value_dim, output),
                                             self.kernel_initializer, self.kernel_regularizer)
        self.output_bias = self.add_weight("attention_output/bias", (output,), self.bias_initializer,
                                           self.bias_regularizer) if self.use_bias else None
        self.projections = (query.shape[-1], value.shape[-1], key.shape[-1])

    def _project(self, x, kernel, bias):
        """x (batch, T, width) -> (batch, heads, T, size): every head's projection."""
        batch, steps, width = x.shape
        heads, size = kernel.shape[1], kernel.shape[2]
        projected = math_ops.matmul(x, shapes.reshape(kernel, (width, heads * size)))
        if bias is not None:
            projected = projected + shapes.reshape(bias, (heads * size,))
        return shapes.transpose(shapes.reshape(projected, (batch, steps, heads, size)), (0, 2, 1, 3))

    def call(self, query, value, key=None, attention_mask=None, return_attention_scores=False, training=False,
             use_causal_mask=False, query_mask=None, value_mask=None, key_mask=None):
        key = value if key is None else key
        self._check_inputs(query, value, key)
        if self.projections is None:
            self._build_projections(query, value, key)
        elif self.projections != (query.shape[-1], value.shape[-1], key.shape[-1]):
            raise ValueError(f"{label(self)}: the layer was built for query, value and key widths "
                             f"{self.projections}, got {(query.shape[-1], value.shape[-1], key.shape[-1])}")
        q = self._project(query, self.query_kernel, self.query_bias) * (1.0 / math.sqrt(self.key_dim))
        k = self._project(key, self.key_kernel, self.key_bias)
        v = self._project(value, self.value_kernel, self.value_bias)
        scores = math_ops.matmul(q, shapes.transpose(k, (0, 1, 3, 2)))          # (batch, heads, Tq, Tv)
        mask = self._attention_mask(query, value, key, attention_mask, use_causal_mask,
                                    query_mask, value_mask, key_mask)
        weights = masked_softmax(scores, None if mask is None else mask[:, None])
        if training and self.dropout > 0:
            weights = attention_dropout(weights, self.dropout, training=True)
        heads = shapes.transpose(math_ops.matmul(weights, v), (0, 2, 1, 3))     # (batch, Tq, heads, value_dim)
        batch, steps = query.shape[:2]
        output_width = self.output_kernel.shape[2]
        output = math_ops.matmul(shapes.reshape(heads, (batch, steps, self.num_heads * self.value_dim)),
                                 shapes.reshape(self.output_kernel, (self.num_heads * self.value_dim, output_width)))
        if self.output_bias is not None:
            output = output + self.output_bias
        if return_attention_scores:
            return [output, weights]
        return output

    def _check_inputs(self, query, value, key):
        for name, tensor in (("query", query), ("value", value), ("key", key)):
            if tensor.ndim != 3:
                raise ValueError(f"{label(self)}: the {name} must have rank 3 (batch, steps, features), got "
                                 f"shape {tensor.shape}")
        if key.shape[:2] != value.shape[:2] or query.shape[0] != value.shape[0]:
            raise ValueError(f"{label(self)}: query {query.shape}, value {value.shape} and key {key.shape} "
                             "must share the batch size, and key and value their steps")

    def _attention_mask(self, query, value, key, attention_mask, use_causal_mask, query_mask, value_mask, key_mask):
        """The (batch or 1, Tq, Tv) boolean mask combining every mask given (Keras's rules)."""
        query_mask = query.mask if query_mask is None else query_mask
        value_mask = value.mask if value_mask is None else value_mask
        key_mask = (key.mask if key is not value else None) if key_mask is None else key_mask
        mask = None

        def combine(mask, more):
            return more if mask is None else mask & more

        if query_mask is not None:
            mask = combine(mask, _raw_mask(query_mask)[:, :, None])
        for steps_mask in (value_mask, key_mask):
            if steps_mask is not None:
                mask = combine(mask, _raw_mask(steps_mask)[:, None, :])
        if use_causal_mask:
            mask = combine(mask, causal_mask(query.shape[1], value.shape[1]))
        if attention_mask is not None:
            given = _raw_mask(attention_mask)
            expected = (query.shape[0], query.shape[1], value.shape[1])
            if given.ndim != 3 or any(g not in (1, e) for g, e in zip(given.shape, expected)):
                raise ValueError(f"{label(self)}: attention_mask must have shape (batch, Tq, Tv) = "
                                 f"{expected}, got {tuple(given.shape)}")
            mask = combine(mask, given)
        return mask

    def get_config(self):
        return {**super().get_config(), "num_heads": self.num_heads, "key_dim": self.key_dim,
                "value_dim": self.value_dim, "dropout": self.dropout, "use_bias": self.use_bias,
                "output_shape": self.output_size, "attention_axes": self.attention_axes,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer),
                "use_gate": self.use_gate, "seed": self.seed}

    def keras3_variable_groups(self):
        """Keras 3's weights layout of this layer: (sub-path, group name, weights) -- its
        projections are sub-layers there (``query_dense/vars``, ...)."""
        def pair(kernel, bias):
            return [kernel] + ([bias] if bias is not None else [])

        if self.projections is None:
            return [("", self.name, [])]
        return [
            ("", self.name, []),
            ("query_dense", "query", pair(self.query_kernel, self.query_bias)),
            ("key_dense", "key", pair(self.key_kernel, self.key_bias)),
            ("value_dense", "value", pair(self.value_kernel, self.value_bias)),
            ("output_dense", "attention_output", pair(self.output_kernel, self.output_bias)),
            ("_dropout_layer", "dropout", []),
            ("_softmax", "softmax", []),
        ]


def _tensor(value):
    """A value or key given as an array, on the device (a symbolic input stays as it is)."""
    return value if isinstance(value, (Tensor, SymbolicTensor)) else Tensor._from_op(as_array(value))
