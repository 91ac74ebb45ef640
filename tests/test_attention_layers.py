"""Attention, AdditiveAttention, MultiHeadAttention and Dot: plain NumPy references (loops over
samples and heads), float64 gradient checks on drawn shapes, every backend, masks, Keras's
weight layout, and (where Keras is installed) Keras's values for the same weights."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minidl
from minidl.layers import (
    AdditiveAttention,
    Attention,
    Dense,
    Dot,
    Embedding,
    GlobalAveragePooling1D,
    GlobalMaxPooling1D,
    Input,
    LayerNormalization,
    MultiHeadAttention,
)
from minidl.models import Model
from tests.conftest import device, to_host


def softmax(scores, allowed=None):
    if allowed is not None:
        scores = np.where(allowed, scores, scores - 1e9)
    scores = scores - scores.max(axis=-1, keepdims=True)
    weights = np.exp(scores)
    return weights / weights.sum(axis=-1, keepdims=True)


def numpy_attention(query, value, key, score, value_mask=None, causal=False):
    outputs = []
    for b in range(len(query)):
        scores = np.array([[score(q, k) for k in key[b]] for q in query[b]])
        allowed = np.ones(scores.shape, bool)
        if value_mask is not None:
            allowed &= value_mask[b][None, :]
        if causal:
            allowed &= np.tri(*scores.shape, dtype=bool)
        outputs.append(softmax(scores, allowed) @ value[b])
    return np.stack(outputs)


def numpy_mha(query, value, weights, heads, key_dim):
    wq, bq, wk, bk, wv, bv, wo, bo = weights
    out = np.zeros(query.shape[:2] + (wo.shape[-1],))
    for b in range(len(query)):
        for h in range(heads):
            q = query[b] @ wq[:, h] + bq[h]
            k = value[b] @ wk[:, h] + bk[h]
            v = value[b] @ wv[:, h] + bv[h]
            out[b] += softmax(q @ k.T / np.sqrt(key_dim)) @ v @ wo[h]
        out[b] += bo
    return out


@given(batch=st.integers(1, 2), tq=st.integers(1, 4), tv=st.integers(1, 4), dim=st.integers(1, 3),
       causal=st.booleans(), seed=st.integers(0, 2**16))
def test_attention_matches_loops_and_gradcheck(any_backend, batch, tq, tv, dim, causal, seed):
    minidl.set_floatx("float64")
    rng = np.random.default_rng(seed)
    query, value, key = (rng.standard_normal((batch, t, dim)) for t in (tq, tv, tv))
    value_mask = rng.random((batch, tv)) > 0.3
    value_mask[:, 0] = True  # keep one step visible (a fully masked row is a uniform average, as in Keras)
    layer = Attention(use_scale=True)
    layer([device(query), device(value), device(key)])
    layer.set_weights([np.array(1.3)])
    out = to_host(layer([device(query), device(value), device(key)], mask=[None, value_mask], use_causal_mask=causal))
    expected = numpy_attention(query, value, key, lambda q, k: 1.3 * q @ k, value_mask, causal)
    np.testing.assert_allclose(out, expected, rtol=1e-9, atol=1e-10)
    additive = AdditiveAttention()
    additive([device(query), device(value)])
    scale = to_host(additive.scale)
    np.testing.assert_allclose(to_host(additive([device(query), device(value)])),
                               numpy_attention(query, value, value, lambda q, k: np.sum(scale * np.tanh(q + k))),
                               rtol=1e-9, atol=1e-10)

    def fn(q, v, s):
        saved = layer.scale
        layer.scale = s
        try:
            return layer([q, v], use_causal_mask=causal)
        finally:
            layer.scale = saved

    assert max(minidl.gradcheck(fn, device(query), device(value), device(np.array(0.7)))) < 1e-6
    assert max(minidl.gradcheck(lambda q, v: additive([q, v]), device(query), device(value))) < 1e-6


@given(batch=st.integers(1, 2), tq=st.integers(1, 3), tv=st.integers(1, 3), width=st.integers(1, 4),
       heads=st.integers(1, 3), key_dim=st.integers(1, 3), seed=st.integers(0, 2**16))
def test_multi_head_attention_matches_loops_and_gradcheck(any_backend, batch, tq, tv, width, heads, key_dim, seed):
    minidl.set_floatx("float64")
    rng = np.random.default_rng(seed)
    query, value = rng.standard_normal((batch, tq, width)), rng.standard_normal((batch, tv, width + 1))
    layer = MultiHeadAttention(heads, key_dim)
    layer(device(query), device(value))
    weights = [rng.standard_normal(w.shape) for w in layer.get_weights()]
    layer.set_weights(weights)
    np.testing.assert_allclose(to_host(layer(device(query), device(value))),
                               numpy_mha(query, value, weights, heads, key_dim), rtol=1e-9, atol=1e-10)
    kernel_index = 6

    def fn(q, v, output_kernel):
        saved = layer.output_kernel
        layer.output_kernel = output_kernel
        try:
            return layer(q, v)
        finally:
            layer.output_kernel = saved

    assert max(minidl.gradcheck(fn, device(query), device(value), device(weights[kernel_index]))) < 1e-6


def test_multi_head_attention_masks_weights_and_errors():
    layer = MultiHeadAttention(num_heads=2, key_dim=3, value_dim=4, output_shape=5)
    query, value = np.ones((2, 4, 6), np.float32), np.ones((2, 7, 3), np.float32)
    output, scores = layer(query, value, return_attention_scores=True)
    assert output.shape == (2, 4, 5) and scores.shape == (2, 2, 4, 7)
    assert [(w.name.split("/", 1)[1], w.shape) for w in layer.weights] == [
        ("query/kernel", (6, 2, 3)), ("query/bias", (2, 3)), ("key/kernel", (3, 2, 3)), ("key/bias", (2, 3)),
        ("value/kernel", (3, 2, 4)), ("value/bias", (2, 4)), ("attention_output/kernel", (2, 4, 5)),
        ("attention_output/bias", (5,))]
    _, causal = layer(query, query[:, :, :3], use_causal_mask=True, return_attention_scores=True)
    np.testing.assert_allclose(to_host(causal)[0, 0], np.tril(np.ones((4, 4))) / np.arange(1, 5)[:, None], atol=1e-6)
    mask = np.zeros((2, 4, 7), bool)
    mask[:, :, 2] = True
    _, masked = layer(query, value, attention_mask=mask, return_attention_scores=True)
    np.testing.assert_allclose(to_host(masked)[..., 2], 1.0, atol=1e-6)
    with pytest.raises(ValueError, match=r"attention_mask must have shape \(batch, Tq, Tv\) = \(2, 4, 7\)"):
        layer(query, value, attention_mask=np.ones((2, 7, 4), bool))
    with pytest.raises(ValueError, match="called without a value"):
        layer(query)
    with pytest.raises(ValueError, match="built for query, value and key widths"):
        layer(query, np.ones((2, 7, 5), np.float32))
    with pytest.raises(ValueError, match=r"\(MultiHeadAttention\): attention_axes"):
        MultiHeadAttention(2, 3, attention_axes=(1, 2))


def test_embedding_padding_masks_reach_the_attention():
    ids = np.array([[1, 2, 0, 0], [3, 0, 0, 0]])
    embedded = Embedding(5, 4, mask_zero=True)(ids)
    layer = MultiHeadAttention(1, 2)
    _, scores = layer(embedded, embedded, return_attention_scores=True)
    scores = to_host(scores)
    np.testing.assert_allclose(scores[0, 0, 0, 2:], 0, atol=1e-7)  # padded value steps get no weight
    np.testing.assert_allclose(scores[1, 0, 0, 1:], 0, atol=1e-7)


@given(batch=st.integers(1, 3), a=st.integers(1, 3), b=st.integers(1, 3), depth=st.integers(1, 4),
       normalize=st.booleans(), seed=st.integers(0, 2**16))
def test_dot_matches_loops_and_gradcheck(any_backend, batch, a, b, depth, normalize, seed):
    minidl.set_floatx("float64")
    rng = np.random.default_rng(seed)
    x, y = rng.standard_normal((batch, a, depth)), rng.standard_normal((batch, b, depth))
    if normalize:
        xn, yn = x / np.linalg.norm(x, axis=2, keepdims=True), y / np.linalg.norm(y, axis=2, keepdims=True)
    else:
        xn, yn = x, y
    expected = np.array([[[xn[s, i] @ yn[s, j] for j in range(b)] for i in range(a)] for s in range(batch)])
    layer = Dot(axes=2, normalize=normalize)
    np.testing.assert_allclose(to_host(layer([device(x), device(y)])), expected, rtol=1e-9, atol=1e-12)
    assert max(minidl.gradcheck(lambda p, q: layer([p, q]), device(x), device(y))) < 1e-6
    vectors = to_host(Dot(axes=1)([device(x[:, 0]), device(y[:, 0])]))
    np.testing.assert_allclose(vectors, np.sum(x[:, 0] * y[:, 0], axis=1, keepdims=True), rtol=1e-9)
    crossed = to_host(Dot(axes=(1, 1))([device(x), device(y[:, :1].repeat(a, axis=1))]))
    assert crossed.shape == (batch, depth, depth)


def test_dot_refuses_mismatched_axes():
    with pytest.raises(ValueError, match=r"\(Dot\): the inputs need one batch size and the same size on the dot axes"):
        Dot(1)([np.ones((2, 3), np.float32), np.ones((2, 4), np.float32)])
    with pytest.raises(ValueError, match=r"\(Dot\): axes must be an int or a pair"):
        Dot("last")


def test_transformer_block_trains_in_a_functional_model(any_backend):
    minidl.set_seed(0)
    inputs = Input((6,), dtype="int32")
    x = Embedding(20, 8)(inputs)
    attended = MultiHeadAttention(num_heads=2, key_dim=4)(x, x)
    x = LayerNormalization()(x + attended)
    outputs = Dense(1, activation="sigmoid")(GlobalAveragePooling1D()(x))
    model = Model(inputs, outputs)
    model.compile("adam", "binary_crossentropy")
    ids = np.random.default_rng(0).integers(0, 20, (16, 6))
    history = model.fit(ids, ids[:, 0] % 2, epochs=3, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert model.layers[2].count_params() == 3 * (8 * 2 * 4 + 2 * 4) + 2 * 4 * 8 + 8
    rebuilt = minidl.models.model_from_json(model.to_json())
    assert [type(layer).__name__ for layer in rebuilt.layers] == [type(layer).__name__ for layer in model.layers]


def test_attention_layers_match_keras():
    keras = pytest.importorskip("keras", reason="real Keras is not installed (CI does not install it)")
    rng = np.random.default_rng(1)
    query, value = rng.standard_normal((2, 4, 6)).astype("float32"), rng.standard_normal((2, 5, 3)).astype("float32")
    mask = rng.random((2, 4, 5)) > 0.3
    ours, theirs = MultiHeadAttention(2, 3, value_dim=4), keras.layers.MultiHeadAttention(2, 3, value_dim=4)
    ours(query, value)
    theirs(query, value)
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.get_weights()]
    ours.set_weights(theirs.get_weights())
    for kwargs in ({}, {"attention_mask": mask}, {"use_causal_mask": True}):
        np.testing.assert_allclose(to_host(ours(query, value, **kwargs)), np.asarray(theirs(query, value, **kwargs)),
                                   rtol=1e-5, atol=1e-5)
    key = rng.standard_normal((2, 5, 6)).astype("float32")
    value_mask, query_mask = rng.random((2, 5)) > 0.3, rng.random((2, 4)) > 0.3
    for cls, kwargs in ((Attention, {}), (Attention, {"use_scale": True, "score_mode": "concat"}),
                        (AdditiveAttention, {})):
        ours, theirs = cls(**kwargs), getattr(keras.layers, cls.__name__)(**kwargs)
        ours([query, key])
        theirs([query, key])
        if theirs.get_weights():
            ours.set_weights(theirs.get_weights())
        np.testing.assert_allclose(
            to_host(ours([query, key], mask=[query_mask, value_mask], use_causal_mask=True)),
            np.asarray(theirs([query, key], mask=[query_mask, value_mask], use_causal_mask=True)), rtol=1e-5, atol=1e-6)
    x, y = rng.standard_normal((3, 4, 5)).astype("float32"), rng.standard_normal((3, 2, 5)).astype("float32")
    for axes, normalize in ((2, False), ((2, 2), True), ((1, 1), False)):
        a, b = (x, y) if axes != (1, 1) else (x, x)
        np.testing.assert_allclose(to_host(Dot(axes, normalize)([a, b])),
                                   np.asarray(keras.layers.Dot(axes, normalize=normalize)([a, b])), rtol=1e-5,
                                   atol=1e-6)


def test_attention_dropout_drops_weights_only_while_training(any_backend):
    minidl.set_seed(0)
    query = np.random.default_rng(0).standard_normal((64, 4, 6)).astype(np.float32)
    heads, single = MultiHeadAttention(2, 3, dropout=0.5), Attention(dropout=0.5)

    def head_weights(training):
        return heads(query, query, training=training, return_attention_scores=True)[1]

    def single_weights(training):
        return single([query, query], training=training, return_attention_scores=True)[1]

    for weights_of in (head_weights, single_weights):
        kept = to_host(weights_of(False))
        np.testing.assert_allclose(kept.sum(axis=-1), 1.0, rtol=1e-5)
        dropped = to_host(weights_of(True))
        assert 0.3 < np.mean(dropped == 0) < 0.7  # about half the weights dropped
        np.testing.assert_allclose(dropped.sum(axis=-1).mean(), 1.0, atol=0.1)  # the rest scaled by 1 / (1 - rate)


def test_global_pooling_1d_channels_first_pools_the_feature_axis(any_backend):
    x = np.random.default_rng(0).standard_normal((2, 5, 3)).astype(np.float32)
    np.testing.assert_allclose(to_host(GlobalAveragePooling1D(data_format="channels_first")(x)), x.mean(axis=2),
                               rtol=1e-6)
    np.testing.assert_allclose(to_host(GlobalMaxPooling1D(data_format="channels_first", keepdims=True)(x)),
                               x.max(axis=2, keepdims=True))
    assert GlobalAveragePooling1D(data_format="channels_first").get_config()["data_format"] == "channels_first"
