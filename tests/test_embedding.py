"""Embedding: lookup op (fused vs one-hot reference), gradients, masks, errors, Keras API."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minidl
from minidl import backend, regularizers
from minidl.layers.base import clear_session
from minidl.layers.core import Dropout
from minidl.layers.embedding import Embedding
from minidl.layers.input_layer import Input
from minidl.layers.regularization import SpatialDropout1D
from minidl.ops.embedding import embedding_lookup, embedding_lookup_reference
from tests.conftest import device, to_host

fixture_ok = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])

shapes = st.tuples(
    st.integers(1, 6),  # vocabulary size
    st.integers(1, 4),  # embedding depth
    st.integers(1, 3),  # batch
    st.integers(1, 4),  # time
)


def _draw(seed, vocab, depth, batch, time):
    rng = np.random.default_rng(seed)
    table = rng.standard_normal((vocab, depth))
    ids = rng.integers(0, vocab, size=(batch, time))
    return table, ids


@fixture_ok
@given(shape=shapes, seed=st.integers(0, 2**16))
def test_lookup_matches_numpy_gather_and_gradcheck(any_backend, shape, seed):
    table, ids = _draw(seed, *shape)
    ids_device = backend.to_device(ids)
    out = embedding_lookup(ids_device, minidl.tensor(table))
    expected = np.empty(ids.shape + (table.shape[1],))
    for b in range(ids.shape[0]):
        for t in range(ids.shape[1]):
            expected[b, t] = table[ids[b, t]]
    np.testing.assert_array_equal(to_host(out), expected)
    worst = minidl.gradcheck(lambda w: embedding_lookup(ids_device, w), device(table))
    assert max(worst) < 1e-6


@fixture_ok
@given(shape=shapes, seed=st.integers(0, 2**16))
def test_lookup_equals_one_hot_product_forward_and_backward(any_backend, shape, seed):
    """The gather / scatter-add op against the same lookup written as ``one_hot(indices) @ table``,
    whose backward autograd derives (``one_hot^T @ grad``: the scatter-add)."""
    table, ids = _draw(seed, *shape)
    ids_device = backend.to_device(ids)
    grad_out = np.random.default_rng(seed + 1).standard_normal(ids.shape + (table.shape[1],))
    results = []
    for lookup in (embedding_lookup, lookup_as_one_hot_product):
        weights = minidl.tensor(table, requires_grad=True)
        out = lookup(ids_device, weights)
        out.backward(device(grad_out))
        results.append((to_host(out), to_host(weights.grad)))
    np.testing.assert_allclose(results[0][0], results[1][0], atol=1e-10, rtol=0)
    np.testing.assert_allclose(results[0][1], results[1][1], atol=1e-10, rtol=0)


def lookup_as_one_hot_product(indices, table):
    rows = (indices[..., None] == backend.get_xp().arange(table.shape[0])).astype(table.dtype)
    product = minidl.matmul(minidl.tensor(rows.reshape(-1, table.shape[0])), table)
    return product.reshape(*indices.shape, table.shape[1])


def test_embedding_lookup_reference_is_the_same_readable_op(any_backend):
    table, ids = _draw(5, 3, 4, 6, 2)
    ids_device = backend.to_device(ids)
    expected = to_host(embedding_lookup(ids_device, device(table)))
    np.testing.assert_array_equal(to_host(embedding_lookup_reference(ids_device, device(table))), expected)
    with minidl.reference_ops():
        np.testing.assert_array_equal(to_host(embedding_lookup(ids_device, device(table))), expected)


def test_backward_scatter_adds_repeated_indices(any_backend):
    table = minidl.tensor(np.zeros((4, 2)), requires_grad=True)
    ids = backend.to_device(np.array([[1, 1, 3], [1, 0, 3]]))
    grad_out = np.arange(12, dtype=np.float64).reshape(2, 3, 2)
    embedding_lookup(ids, table).backward(device(grad_out))
    expected = np.zeros((4, 2))
    for b in range(2):
        for t in range(3):
            expected[[[1, 1, 3], [1, 0, 3]][b][t]] += grad_out[b, t]
    np.testing.assert_array_equal(to_host(table.grad), expected)
    assert to_host(table.grad)[2].tolist() == [0.0, 0.0]  # a row never looked up gets no gradient


@pytest.mark.parametrize("dtype", ["int8", "int16", "int32", "int64", "uint8", "uint16"])
def test_layer_accepts_every_integer_dtype(any_backend, dtype):
    layer = Embedding(7, 3)
    ids = np.array([[0, 6, 2]], dtype=dtype)
    out = layer(ids)
    assert out.shape == (1, 3, 3)
    np.testing.assert_array_equal(to_host(out), layer.get_weights()[0][[0, 6, 2]][None])


def test_fractional_float_input_is_a_clear_error_and_whole_floats_are_ids(any_backend):
    clear_session()
    layer = Embedding(10, 4)
    with pytest.raises(TypeError, match=r"embedding \(Embedding\), called on .*: embedding_lookup: expected integer indices.*float32.*\(2, 3\).*not "
                                        r"whole numbers"):
        layer(np.full((2, 3), 1.5, dtype=np.float32))
    whole = np.array([[1.0, 9.0, 0.0]], dtype=np.float32)  # a float Input feeding an Embedding (keras.io's examples)
    np.testing.assert_array_equal(to_host(layer(whole)), to_host(layer(whole.astype(np.int32))))


@pytest.mark.parametrize("bad, shown", [(10, "index 10"), (25, "index 25"), (-1, "index -1")])
def test_out_of_range_index_names_layer_value_and_input_dim(any_backend, bad, shown):
    clear_session()
    layer = Embedding(10, 4, name="words")
    ids = np.array([[1, 2, bad, 3]])
    with pytest.raises(IndexError, match=rf"words \(Embedding\), called on an input of shape \(1, 4\) \(int64\): "
                                         rf"embedding_lookup: {shown} is out of range.*\[0, 10\).*input_dim=10"):
        layer(ids)


def test_weights_default_initializer_and_keras_layout(any_backend):
    minidl.set_seed(1)
    layer = Embedding(5000, 32)
    layer(np.array([[1, 2]]))
    (table,) = layer.get_weights()
    assert table.shape == (5000, 32)
    assert layer.count_params() == 160_000  # LM-6's embedding row of the summary
    assert -0.05 <= table.min() < -0.049 and 0.049 < table.max() <= 0.05  # 'uniform' is U(-0.05, 0.05)
    assert abs(table.mean()) < 1e-3
    assert [w.name for w in layer.weights] == [f"{layer.name}/embeddings"]


def test_glorot_normal_initializer_is_accepted():
    layer = Embedding(1000, 32, embeddings_initializer="glorot_normal")  # AFR-1
    layer(np.array([[0]]))
    expected_std = np.sqrt(2.0 / (1000 + 32))
    assert abs(layer.get_weights()[0].std() / expected_std - 1) < 0.05


def test_mask_zero_sets_a_boolean_batch_by_time_mask_that_dropouts_carry(any_backend):
    layer = Embedding(6, 2, mask_zero=True)
    ids = np.array([[0, 0, 3, 5], [1, 2, 0, 4]])
    out = layer(ids)
    assert isinstance(out.mask, backend.get_xp().ndarray)
    mask = to_host(out.mask)
    assert mask.dtype == np.bool_ and mask.shape == (2, 4)
    np.testing.assert_array_equal(mask, ids != 0)
    assert layer.compute_mask(minidl.tensor(ids)) is not None
    for follower in (SpatialDropout1D(0.4), Dropout(0.4)):
        carried = follower(out, training=True)
        np.testing.assert_array_equal(to_host(carried.mask), ids != 0)
    assert Embedding(6, 2)(ids).mask is None


def test_input_length_declares_the_input_shape_and_symbolic_call():
    layer = Embedding(100, 8, input_length=12)
    assert layer.batch_input_shape == (None, 12)
    out = layer(Input(shape=(12,), dtype="int32"))
    assert out.shape == (None, 12, 8)
    # Keras's Input defaults to float32; a symbolic float placeholder still builds the layer
    assert Embedding(100, 8)(Input(shape=(12,))).shape == (None, 12, 8)


def test_regularizer_penalty_and_gradient(any_backend):
    minidl.set_floatx("float64")
    layer = Embedding(4, 3, embeddings_regularizer=regularizers.l2(0.5))
    layer(np.array([[1]]))
    (penalty,) = layer.regularization_losses()
    table = layer.get_weights()[0]
    assert penalty.item() == pytest.approx(0.5 * np.sum(table**2), rel=1e-12)
    penalty.backward()
    np.testing.assert_allclose(to_host(layer.embeddings.grad), 2 * 0.5 * table, rtol=1e-12)


def test_layer_gradient_flows_to_embeddings_only_at_looked_up_rows(any_backend):
    minidl.set_floatx("float64")
    layer = Embedding(5, 2)
    ids = np.array([[4, 4, 1]])
    layer(ids).sum().backward()
    grad = to_host(layer.embeddings.grad)
    np.testing.assert_array_equal(grad, [[0, 0], [1, 1], [0, 0], [0, 0], [2, 2]])


def test_config_round_trip():
    layer = Embedding(50, 4, embeddings_initializer="glorot_normal", mask_zero=True, input_length=7,
                      embeddings_regularizer="l2")
    config = layer.get_config()
    assert config["input_dim"] == 50 and config["output_dim"] == 4 and config["input_length"] == 7
    clone = Embedding.from_config(config)
    assert clone.get_config() == config
    assert clone.batch_input_shape == (None, 7)


def test_invalid_sizes_are_rejected():
    with pytest.raises(ValueError, match=r"\(Embedding\): input_dim must be a positive integer, got 0"):
        Embedding(0, 3)


def test_pretrained_vectors_through_keras_weights_argument():
    """The GloVe labs' Embedding(V, d, weights=[matrix], trainable=False): the matrix is the
    table once the layer is built, and stays so through training; one array alone also works
    (Keras 3), and a table of the wrong shape is named."""
    from minidl.layers.core import Dense, Flatten
    from minidl.models.sequential import Sequential

    clear_session()
    matrix = np.arange(20, dtype=np.float32).reshape(10, 2)
    model = Sequential([Input((3,)), Embedding(10, 2, weights=[matrix], trainable=False), Flatten(), Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.random.default_rng(0).integers(0, 10, (8, 3)), np.ones(8), verbose=0)
    np.testing.assert_array_equal(model.layers[0].get_weights()[0], matrix)
    assert model.count_params() == 20 + 7
    np.testing.assert_array_equal(to_host(Embedding(10, 2, weights=matrix)(np.array([[3]])).data), [[[6.0, 7.0]]])
    with pytest.raises(ValueError, match=r"embeddings has shape \(10, 2\), got an array of shape \(9, 2\)"):
        Embedding(10, 2, weights=[matrix[:9]])(np.array([[1]]))
    with pytest.raises(TypeError, match=r"weights must be a list of arrays"):
        Embedding(10, 2, weights="glove.txt")


def test_compute_mask_of_a_numpy_array_is_the_padding_mask():
    """A NumPy array's own ``data`` attribute (a memoryview) must not be taken for its values."""
    mask = Embedding(10, 3, mask_zero=True).compute_mask(np.array([[1, 2, 0, 0]]))
    np.testing.assert_array_equal(to_host(mask), [[True, True, False, False]])
