"""BatchNormalization: the op's hand-written backward vs autograd through primitive ops, plain
NumPy, gradients, moving statistics, Keras weights."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minidl
from minidl import backend, ops
from minidl.layers.base import clear_session
from minidl.layers.core import Dense
from minidl.layers.normalization import BatchNormalization
from minidl.ops.normalization import batch_norm, batch_norm_reference
from tests.conftest import device, to_host

fixture_ok = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])

# (input shape, channel axis): ranks 2 to 4, channels last and first, size-1 axes, batch of one
input_cases = st.sampled_from([
    ((4, 3), -1), ((1, 3), -1), ((3, 1), 1), ((2, 3, 2), -1), ((1, 4, 2), -1), ((2, 3, 2), 1),
    ((2, 2, 3, 2), -1), ((2, 2, 2, 3), 1), ((1, 2, 2, 1), 3),
])


def numpy_batch_norm(x, gamma, beta, axis, epsilon, mean=None, variance=None):
    """Plain NumPy, one channel at a time."""
    x = np.moveaxis(x, axis, -1)
    out = np.empty_like(x)
    for c in range(x.shape[-1]):
        values = x[..., c]
        mu = values.mean() if mean is None else mean[c]
        var = ((values - values.mean()) ** 2).mean() if variance is None else variance[c]
        out[..., c] = gamma[c] * (values - mu) / np.sqrt(var + epsilon) + beta[c]
    return np.moveaxis(out, -1, axis)


def batch_norm_from_primitives(x, gamma, beta, axis=-1, epsilon=1e-3, training=True, moving_mean=None,
                               moving_variance=None):
    """The same maths from minidl's primitive ops, its backward derived by autograd: an oracle
    independent of the op's hand-written backward."""
    axis = axis % x.ndim
    shape = [1] * x.ndim
    shape[axis] = x.shape[axis]
    if training:
        reduce = tuple(a for a in range(x.ndim) if a != axis)
        mean = ops.mean(x, axis=reduce, keepdims=True)
        variance = ops.var(x, axis=reduce, keepdims=True)
    else:
        mean = minidl.tensor(moving_mean).reshape(shape)
        variance = minidl.tensor(moving_variance).reshape(shape)
    y = (x - mean) / ops.sqrt(variance + epsilon) * gamma.reshape(shape) + beta.reshape(shape)
    if training:
        return y, mean.data.reshape(gamma.shape), variance.data.reshape(gamma.shape)
    return y


def _draw(seed, shape, axis):
    rng = np.random.default_rng(seed)
    channels = shape[axis]
    x = rng.standard_normal(shape) * 2 + 0.5
    gamma = rng.uniform(0.5, 1.5, channels)
    beta = rng.standard_normal(channels)
    return x, gamma, beta


@fixture_ok
@given(case=input_cases, seed=st.integers(0, 2**16), training=st.booleans())
def test_op_equals_numpy_and_autograd_through_primitives(any_backend, case, seed, training):
    shape, axis = case
    x, gamma, beta = _draw(seed, shape, axis)
    rng = np.random.default_rng(seed + 7)
    moving_mean = rng.standard_normal(gamma.shape)
    moving_var = rng.uniform(0.2, 2.0, gamma.shape)
    grad_out = rng.standard_normal(shape)
    stats = {} if training else {"moving_mean": device(moving_mean), "moving_variance": device(moving_var)}

    results = []
    for op in (batch_norm, batch_norm_from_primitives):
        leaves = [minidl.tensor(v, requires_grad=True) for v in (x, gamma, beta)]
        out = op(*leaves, axis=axis, epsilon=1e-3, training=training, **stats)
        y = out[0] if training else out
        y.backward(device(grad_out))
        extra = [to_host(s) for s in out[1:]] if training else []
        results.append([to_host(y)] + [to_host(leaf.grad) for leaf in leaves] + extra)
    for fused, reference in zip(*results):
        np.testing.assert_allclose(fused, reference, atol=1e-10, rtol=0)

    if training:
        expected = numpy_batch_norm(x, gamma, beta, axis, 1e-3)
    else:
        expected = numpy_batch_norm(x, gamma, beta, axis, 1e-3, moving_mean, moving_var)
    np.testing.assert_allclose(results[0][0], expected, rtol=1e-10, atol=1e-10)


@settings(max_examples=10, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=input_cases, seed=st.integers(0, 2**16), training=st.booleans())
def test_gradcheck_input_gamma_beta(any_backend, case, seed, training):
    shape, axis = case
    x, gamma, beta = _draw(seed, shape, axis)
    stats = {} if training else {"moving_mean": device(np.full(gamma.shape, 0.3)),
                                 "moving_variance": device(np.full(gamma.shape, 1.7))}

    def fn(x_, gamma_, beta_):
        out = batch_norm(x_, gamma_, beta_, axis=axis, training=training, **stats)
        return out[0] if training else out

    worst = minidl.gradcheck(fn, device(x), device(gamma), device(beta))
    assert max(worst) < 1e-6


def test_training_updates_moving_statistics_with_biased_variance_for_rank_2_and_3(any_backend):
    minidl.set_floatx("float64")
    x = np.random.default_rng(0).standard_normal((6, 5, 4)) * 3 + 1
    layer = BatchNormalization(momentum=0.9)
    out = layer(minidl.tensor(x), training=True)
    batch_mean = x.mean(axis=(0, 1))
    batch_var = x.var(axis=(0, 1))  # divide by n, as tf.nn.moments
    moving_mean, moving_var = layer.get_weights()[2:]
    np.testing.assert_allclose(moving_mean, 0.9 * 0 + 0.1 * batch_mean, rtol=1e-12)
    np.testing.assert_allclose(moving_var, 0.9 * 1 + 0.1 * batch_var, rtol=1e-12)
    np.testing.assert_allclose(to_host(out), numpy_batch_norm(x, np.ones(4), np.zeros(4), -1, 1e-3), rtol=1e-10)
    # a second step compounds the average
    layer(minidl.tensor(x), training=True)
    np.testing.assert_allclose(layer.get_weights()[2], 0.81 * 0 + 0.19 * batch_mean, rtol=1e-12)


def test_rank_4_moving_variance_is_bessel_corrected_as_tf_fused_kernel(any_backend):
    minidl.set_floatx("float64")
    x = np.random.default_rng(1).standard_normal((2, 3, 3, 2))
    layer = BatchNormalization()
    layer(minidl.tensor(x), training=True)
    n = 2 * 3 * 3
    expected = 0.99 * 1 + 0.01 * x.var(axis=(0, 1, 2)) * n / (n - 1)
    np.testing.assert_allclose(layer.get_weights()[3], expected, rtol=1e-12)
    unfused = BatchNormalization(fused=False)
    unfused(minidl.tensor(x), training=True)
    np.testing.assert_allclose(unfused.get_weights()[3], 0.99 + 0.01 * x.var(axis=(0, 1, 2)), rtol=1e-12)


def test_inference_uses_moving_statistics_and_changes_nothing(any_backend):
    minidl.set_floatx("float64")
    layer = BatchNormalization(epsilon=0.01)
    x = np.random.default_rng(2).standard_normal((5, 3))
    layer(minidl.tensor(x))  # builds
    gamma, beta = np.array([1.0, 2.0, 0.5]), np.array([0.0, -1.0, 3.0])
    mean, var = np.array([0.1, 0.2, -0.3]), np.array([1.5, 0.5, 2.0])
    layer.set_weights([gamma, beta, mean, var])
    out = layer(minidl.tensor(x), training=False)
    np.testing.assert_allclose(to_host(out), numpy_batch_norm(x, gamma, beta, -1, 0.01, mean, var), rtol=1e-12)
    np.testing.assert_array_equal(layer.get_weights()[2], mean)


def test_frozen_layer_runs_in_inference_mode_even_when_training(any_backend):
    minidl.set_floatx("float64")
    layer = BatchNormalization()
    x = np.random.default_rng(3).standard_normal((4, 2)) + 5
    layer(minidl.tensor(x))
    layer.trainable = False
    out = layer(minidl.tensor(x), training=True)
    np.testing.assert_array_equal(layer.get_weights()[2], [0.0, 0.0])
    np.testing.assert_allclose(to_host(out), x / np.sqrt(1 + 1e-3), rtol=1e-12)
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 4


def test_keras_weight_order_names_and_trainability():
    clear_session()
    layer = BatchNormalization()
    layer(minidl.tensor(np.zeros((2, 3), np.float32)))
    names = [w.name for w in layer.weights]
    assert names == ["batch_normalization/gamma", "batch_normalization/beta",
                     "batch_normalization/moving_mean", "batch_normalization/moving_variance"]
    assert [w.name for w in layer.trainable_weights] == names[:2]
    assert [w.name for w in layer.non_trainable_weights] == names[2:]
    gamma, beta, mean, var = layer.get_weights()
    assert gamma.tolist() == [1, 1, 1] and beta.tolist() == [0, 0, 0]
    assert mean.tolist() == [0, 0, 0] and var.tolist() == [1, 1, 1]


def test_center_and_scale_off_drop_beta_and_gamma(any_backend):
    minidl.set_floatx("float64")
    layer = BatchNormalization(center=False, scale=False)
    x = np.random.default_rng(4).standard_normal((6, 2))
    out = layer(minidl.tensor(x), training=True)
    assert [w.name.split("/")[1] for w in layer.weights] == ["moving_mean", "moving_variance"]
    np.testing.assert_allclose(to_host(out), numpy_batch_norm(x, np.ones(2), np.zeros(2), -1, 1e-3), rtol=1e-10)


def non_trainable_count(layers):
    return sum(w.size for layer in layers for w in layer.non_trainable_weights)


def test_afr_3_has_164_non_trainable_params():
    after_embedding = BatchNormalization()
    after_embedding(minidl.tensor(np.zeros((1, 100, 32), np.float32)))  # on the 32-dim embeddings
    after_lstm = BatchNormalization()
    after_lstm(minidl.tensor(np.zeros((1, 50), np.float32)))  # on the 50-unit LSTM output
    assert non_trainable_count([after_embedding, after_lstm]) == 32 * 2 + 50 * 2 == 164
    assert after_embedding.count_params() == 4 * 32


def test_dcgan_generator_has_7360_non_trainable_params():
    layers = [BatchNormalization(), BatchNormalization(), BatchNormalization()]
    layers[0](minidl.tensor(np.zeros((1, 512), np.float32)))
    layers[1](minidl.tensor(np.zeros((1, 3136), np.float32)))
    layers[2](minidl.tensor(np.zeros((1, 14, 14, 32), np.float32)))
    assert non_trainable_count(layers) == 7360  # DLW Ex 7.05


def test_gradients_reach_gamma_and_beta_but_not_moving_stats(any_backend):
    minidl.set_floatx("float64")
    dense = Dense(3)
    layer = BatchNormalization()
    x = minidl.tensor(np.random.default_rng(5).standard_normal((4, 2)))
    (layer(dense(x), training=True) * minidl.tensor(np.arange(12.0).reshape(4, 3))).sum().backward()
    assert layer.gamma.grad is not None and layer.beta.grad is not None
    assert layer.moving_mean.grad is None and not layer.moving_mean.requires_grad
    assert dense.kernel.grad is not None


def test_wrong_channel_count_after_build_names_layer_and_shapes():
    clear_session()
    layer = BatchNormalization()
    layer(minidl.tensor(np.zeros((2, 3), np.float32)))
    with pytest.raises(ValueError, match=r"batch_normalization \(BatchNormalization\): expected input of rank 2 "
                                         r"with 3 channels on axis 1, \(batch, 3\), got shape \(2, 4\)"):
        layer(minidl.tensor(np.zeros((2, 4), np.float32)))
    with pytest.raises(ValueError, match=r"rank >= 2"):
        BatchNormalization()(minidl.tensor(np.zeros(3, np.float32)))


def test_config_round_trip():
    layer = BatchNormalization(axis=1, momentum=0.8, epsilon=1e-5, center=False, gamma_initializer="ones")
    config = layer.get_config()
    assert config["momentum"] == 0.8 and config["axis"] == 1 and config["center"] is False
    assert BatchNormalization.from_config(config).get_config() == config


def test_batch_norm_reference_is_the_same_readable_op(any_backend):
    """``batch_norm_reference`` and ``batch_norm`` inside ``reference_ops()`` run the same readable
    op; over a channel axis other than the last, ``batch_norm`` runs it too."""
    x, gamma, beta = _draw(3, (4, 3, 2), -1)
    expected = to_host(batch_norm_reference(device(x), device(gamma), device(beta))[0])
    with minidl.reference_ops():
        np.testing.assert_array_equal(to_host(batch_norm(device(x), device(gamma), device(beta))[0]), expected)
    x, gamma, beta = _draw(3, (4, 3, 2), 1)
    np.testing.assert_array_equal(to_host(batch_norm(device(x), device(gamma), device(beta), axis=1)[0]),
                                  to_host(batch_norm_reference(device(x), device(gamma), device(beta), axis=1)[0]))


# -- the fast form (channels last) against the readable form ------------------------------------

fast_cases = st.fixed_dictionaries({
    "shape": st.sampled_from([(5, 3), (1, 4), (7, 2, 3), (3, 4, 5, 6), (2, 3, 3, 1), (9, 40)]),
    "dtype": st.sampled_from([np.float32, np.float64]),
    "range_size": st.sampled_from([7, 64, 1 << 16]),  # several ranges of rows on the cores, or one
    "seed": st.integers(0, 2**16),
})


def _forms_of_batch_norm(x, gamma, beta, grad_out, training, stats):
    """(y, grad x, grad gamma, grad beta[, batch mean, batch var]) from the fast and the readable form."""
    results = []
    for readable in (False, True):
        leaves = [minidl.tensor(backend.to_device(v), requires_grad=True) for v in (x, gamma, beta)]
        with minidl.reference_ops(readable):
            out = batch_norm(*leaves, training=training, **{k: backend.to_device(v) for k, v in stats.items()})
        y = out[0] if training else out
        assert type(y.creator).__name__.startswith("Fast") != readable
        y.backward(minidl.tensor(backend.to_device(grad_out)))
        found = [y, *(leaf.grad for leaf in leaves)] + (list(out[1:]) if training else [])
        results.append([to_host(value) for value in found])
    return results


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=fast_cases, training=st.booleans())
def test_fast_batch_norm_equals_the_readable_form(any_backend, monkeypatch, case, training):
    """Training: equal up to float rounding (the statistics are summed range by range);
    inference: the same operations in the same order, the same bits."""
    import minidl.runtime.parallel as parallel

    monkeypatch.setattr(parallel, "ELEMENT_RANGE_SIZE", case["range_size"])
    dtype, shape = case["dtype"], case["shape"]
    x, gamma, beta = (v.astype(dtype) for v in _draw(case["seed"], shape, -1))
    rng = np.random.default_rng(case["seed"] + 1)
    grad_out = rng.standard_normal(shape).astype(dtype)
    stats = {} if training else {"moving_mean": rng.standard_normal(shape[-1]).astype(dtype),
                                 "moving_variance": rng.uniform(0.2, 2.0, shape[-1]).astype(dtype)}
    fast, readable = _forms_of_batch_norm(x, gamma, beta, grad_out, training, stats)
    for got, expected in zip(fast, readable):
        assert got.dtype == expected.dtype == dtype and got.shape == expected.shape
        if training:
            tolerance = 2e-4 if dtype == np.float32 else 1e-10
            np.testing.assert_allclose(got, expected, rtol=tolerance, atol=tolerance)
        else:
            np.testing.assert_array_equal(got, expected)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(shape=st.sampled_from([(6, 3), (4, 2, 3), (3, 2, 2, 2)]), seed=st.integers(0, 2**16))
def test_fast_batch_norm_gradcheck(any_backend, monkeypatch, shape, seed):
    import minidl.runtime.parallel as parallel

    monkeypatch.setattr(parallel, "ELEMENT_RANGE_SIZE", 5)  # several ranges of rows
    x, gamma, beta = _draw(seed, shape, -1)
    leaves = [minidl.tensor(device(v), requires_grad=True) for v in (x, gamma, beta)]
    assert type(batch_norm(*leaves)[0].creator).__name__ == "FastBatchNormTraining"
    errors = minidl.gradcheck(lambda *a: batch_norm(*a)[0], *leaves)
    assert max(errors) < 1e-6


def test_fast_batch_norm_leaves_mixed_dtypes_to_the_readable_form(any_backend):
    """A float64 gamma with float32 input promotes the result in the readable form; the fast
    form, which writes into buffers of the input's dtype, steps aside."""
    x, gamma, beta = _draw(0, (4, 3), -1)
    x = minidl.tensor(backend.to_device(x.astype(np.float32)), requires_grad=True)
    y = batch_norm(x, device(gamma), device(beta))[0]
    assert type(y.creator).__name__ == "BatchNormTraining" and y.dtype == np.float64
