"""Keras's single-head attention layers: ``Attention`` (Luong's dot-product attention) and
``AdditiveAttention`` (Bahdanau's). Both read a ``value`` sequence for every step of a
``query`` sequence, weighting the value steps by how well their ``key`` (the value itself
unless given) matches the query::

    scores[b, i, j]  = score(query[b, i], key[b, j])
    weights[b, i, :] = softmax(scores[b, i, :])               over the value steps j
    output[b, i]     = sum_j weights[b, i, j] * value[b, j]

``Attention``: score = query . key (times a learned ``scale`` with ``use_scale``), or with
``score_mode='concat'``: ``concat_score_weight * sum(tanh(query + key))``. ``AdditiveAttention``:
score = ``sum(scale * tanh(query + key))`` with a learned vector ``scale``.

Masks, as in Keras: value steps where the value's mask (``Embedding(mask_zero=True)``, or
``mask=[query_mask, value_mask]``) is False get a score of -1e9 (no weight); with
``use_causal_mask=True`` step i of the query sees value steps j <= i only; the output at
query steps whose mask is False is 0. ``dropout`` drops attention weights while training.

Everything is differentiable ops (batched matmul, tanh, softmax), so the gradients are theirs.
"""

import numpy as np

from minidl.autograd.tensor import Tensor
from minidl.layers import arguments
from minidl.layers.base import Layer
from minidl.layers.call_context import label
from minidl.ops import activations, math, reductions, shapes
from minidl.ops.dropout import dropout as attention_dropout
from minidl.runtime import backend

MASKED_SCORE = 1e9  # what a masked score loses, as in Keras (65504 would be float16's)


def _raw_mask(mask):
    if mask is None:
        return None
    data = mask.data if isinstance(mask, Tensor) else mask
    if isinstance(data, np.ndarray) and backend.on_device():
        data = backend.to_device(data)
    return data.astype(bool)


def causal_mask(query_steps, value_steps):
    """(1, Tq, Tv): step i of the query may see value steps 0 .. i."""
    xp = backend.get_xp()
    return (xp.arange(query_steps)[:, None] >= xp.arange(value_steps)[None, :])[None]


def score_mask(value_mask, query_steps, value_steps, use_causal_mask):
    """The (batch or 1, Tq, Tv) boolean mask of the scores that count, or None for all."""
    mask = None if value_mask is None else _raw_mask(value_mask)[:, None, :]
    if use_causal_mask:
        causal = causal_mask(query_steps, value_steps)
        mask = causal if mask is None else mask & causal
    return mask


def masked_softmax(scores, mask):
    """softmax over the last axis, after taking MASKED_SCORE from the scores where ``mask`` is False."""
    if mask is not None:
        penalty = (~mask).astype(scores.dtype) * scores.dtype.type(MASKED_SCORE)
        scores = scores - Tensor._from_op(penalty)
    return activations.softmax(scores, axis=-1)


class _BaseAttention(Layer):
    """The shared part: [query, value, key] inputs, masks, softmax, dropout, the weighted sum."""

    def _inputs(self, inputs):
        if not isinstance(inputs, (list, tuple)) or len(inputs) not in (2, 3):
            raise ValueError(f"{label(self)}: expected a list [query, value] or [query, value, key], got "
                             f"{type(inputs).__name__}{'' if not isinstance(inputs, (list, tuple)) else ' of ' + str(len(inputs))}")
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) == 3 else value
        for name, tensor in (("query", query), ("value", value), ("key", key)):
            if tensor.ndim != 3:
                raise ValueError(f"{label(self)}: the {name} must have rank 3 (batch, steps, features), got "
                                 f"shape {tensor.shape}")
        if key.shape[:2] != value.shape[:2] or query.shape[0] != value.shape[0]:
            raise ValueError(f"{label(self)}: query {query.shape}, value {value.shape} and key {key.shape} "
                             "must share the batch size, and key and value their steps")
        return query, value, key

    def call(self, inputs, mask=None, training=False, return_attention_scores=False, use_causal_mask=False):
        query, value, key = self._inputs(inputs)
        masks = list(mask) if isinstance(mask, (list, tuple)) else [None, None]
        query_mask = masks[0] if len(masks) > 0 else None
        value_mask = masks[1] if len(masks) > 1 else None
        scores = self.scores(query, key)
        weights = masked_softmax(scores, score_mask(value_mask, query.shape[1], value.shape[1], use_causal_mask))
        if training and self.dropout > 0:
            weights = attention_dropout(weights, self.dropout, training=True)
        output = math.matmul(weights, value)
        if query_mask is not None:
            output = output * Tensor._from_op(_raw_mask(query_mask)[:, :, None].astype(output.dtype))
        if return_attention_scores:
            return [output, weights]
        return output

    def scores(self, query, key):
        raise NotImplementedError


class Attention(_BaseAttention):
    """Dot-product attention (Luong-style, see the module docstring).

    Inputs: ``[query (batch, Tq, dim), value (batch, Tv, dim_v)]`` or ``[query, value, key
    (batch, Tv, dim)]``; output ``(batch, Tq, dim_v)``, and with ``return_attention_scores=True``
    ``[output, weights (batch, Tq, Tv)]``.

    Weights (in Keras's order, only when asked for): ``scale`` () with ``use_scale``, then
    ``concat_score_weight`` () with ``score_mode='concat'``.

    Arguments:
        use_scale: learn a scalar that multiplies the scores.
        score_mode: 'dot' (query . key) or 'concat' (sum of tanh(query + key)).
        dropout: the fraction of attention weights dropped while training, in [0, 1).
        seed: accepted for Keras compatibility (minidl's generator, seeded by ``minidl.set_seed``).
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype``).

    Call: ``layer([query, value(, key)], mask=None, training=None, return_attention_scores=False,
    use_causal_mask=False)``.
    """

    def __init__(self, use_scale: bool = False, score_mode: str = "dot", dropout: float = 0.0, seed: int | None = None,
                 **kwargs):
        super().__init__(**kwargs)
        self.use_scale = arguments.boolean(self, "use_scale", use_scale)
        self.score_mode = arguments.choice(self, "score_mode", score_mode, ("dot", "concat"))
        self.dropout = arguments.rate(self, "dropout", dropout)
        self.seed = None if seed is None else arguments.integer(self, "seed", seed)

    def build(self, input_shape):
        self.scale = self.add_weight("scale", (), "ones") if self.use_scale else None
        self.concat_score_weight = (self.add_weight("concat_score_weight", (), "ones")
                                    if self.score_mode == "concat" else None)

    def scores(self, query, key):
        if self.score_mode == "dot":
            if query.shape[-1] != key.shape[-1]:
                raise ValueError(f"{label(self)}: dot scores need query and key of one width, got "
                                 f"{query.shape} and {key.shape}")
            scores = math.matmul(query, shapes.transpose(key, (0, 2, 1)))       # (batch, Tq, Tv)
            return scores * self.scale if self.scale is not None else scores
        pairs = shapes.expand_dims(query, 2) + shapes.expand_dims(key, 1)       # (batch, Tq, Tv, dim)
        if self.scale is not None:
            pairs = pairs * self.scale
        return reductions.sum(activations.tanh(pairs), axis=-1) * self.concat_score_weight

    def get_config(self):
        return {**super().get_config(), "use_scale": self.use_scale, "score_mode": self.score_mode,
                "dropout": self.dropout, "seed": self.seed}


class AdditiveAttention(_BaseAttention):
    """Additive attention (Bahdanau-style, see the module docstring).

    Inputs: ``[query (batch, Tq, dim), value (batch, Tv, dim)]`` or ``[query, value, key (batch,
    Tv, dim)]``; output ``(batch, Tq, dim)``, and with ``return_attention_scores=True``
    ``[output, weights (batch, Tq, Tv)]``.

    Weights (only with ``use_scale``): ``scale`` (dim,), Glorot-uniform initialised as in Keras.

    Arguments:
        use_scale: learn a vector that weights the features of tanh(query + key).
        dropout: the fraction of attention weights dropped while training, in [0, 1).
        **kwargs: the base-layer arguments (``name``, ``trainable``, ``dtype``).

    Call: ``layer([query, value(, key)], mask=None, training=None, return_attention_scores=False,
    use_causal_mask=False)``.
    """

    def __init__(self, use_scale: bool = True, dropout: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        self.use_scale = arguments.boolean(self, "use_scale", use_scale)
        self.dropout = arguments.rate(self, "dropout", dropout)

    def build(self, input_shape):
        width = input_shape[0][-1] if isinstance(input_shape, (list, tuple)) and isinstance(
            input_shape[0], (list, tuple)) else input_shape[-1]
        self.scale = self.add_weight("scale", (width,), "glorot_uniform") if self.use_scale else None

    def scores(self, query, key):
        if query.shape[-1] != key.shape[-1]:
            raise ValueError(f"{label(self)}: additive scores need query and key of one width, got "
                             f"{query.shape} and {key.shape}")
        pairs = activations.tanh(shapes.expand_dims(query, 2) + shapes.expand_dims(key, 1))  # (batch, Tq, Tv, dim)
        if self.scale is not None:
            pairs = pairs * self.scale
        return reductions.sum(pairs, axis=-1)

    def get_config(self):
        return {**super().get_config(), "use_scale": self.use_scale, "dropout": self.dropout}
