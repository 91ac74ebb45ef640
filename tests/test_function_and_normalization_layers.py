"""Lambda, TimeDistributed, Rescaling, GaussianNoise/GaussianDropout and LayerNormalization:
plain NumPy references, float64 gradient checks on drawn shapes, every backend, Keras's
weight layout and configs, and (where Keras is installed) Keras's values for the same weights."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minidl
from minidl.layers import Dense, Input
from minidl.layers.base import clear_session
from minidl.layers.lambda_layer import Lambda
from minidl.layers.layer_normalization import LayerNormalization
from minidl.layers.noise import GaussianDropout, GaussianNoise
from minidl.layers.preprocessing import Rescaling
from minidl.layers.time_distributed import TimeDistributed
from minidl.models import Model, Sequential
from minidl.ops.fast import layer_norm as fast_layer_norm
from minidl.runtime import parallel
from tests.conftest import device, to_host, with_weights


def numpy_layer_norm(x, gamma, beta, axes, epsilon):
    """Normalise each sample over ``axes`` with loops over the other positions."""
    out = np.zeros_like(x)
    kept = [axis for axis in range(x.ndim) if axis not in axes]
    for index in np.ndindex(*[x.shape[axis] for axis in kept]):
        selector = [slice(None)] * x.ndim
        for axis, position in zip(kept, index):
            selector[axis] = position
        block = x[tuple(selector)]
        out[tuple(selector)] = (block - block.mean()) / np.sqrt(block.var() + epsilon) * gamma + beta
    return out


@given(batch=st.integers(1, 3), shape=st.lists(st.integers(2, 4), min_size=1, max_size=2), both_axes=st.booleans(),
       seed=st.integers(0, 2**16))
def test_layer_normalization_forward_and_gradcheck(any_backend, batch, shape, both_axes, seed):
    minidl.set_floatx("float64")
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, *shape))
    axis = [-2, -1] if both_axes and len(shape) == 2 else -1
    layer = LayerNormalization(axis=axis, epsilon=1e-3)
    layer(device(x))
    gamma, beta = rng.standard_normal(layer.gamma.shape), rng.standard_normal(layer.beta.shape)
    layer.set_weights([gamma, beta])
    axes = tuple(a % x.ndim for a in (axis if isinstance(axis, list) else [axis]))
    np.testing.assert_allclose(to_host(layer(device(x))), numpy_layer_norm(x, gamma, beta, axes, 1e-3),
                               rtol=1e-10, atol=1e-12)
    fn = with_weights(layer, ["gamma", "beta"])
    assert max(minidl.gradcheck(fn, device(x), device(gamma), device(beta))) < 1e-6


def composed_layer_norm(x, gamma, beta, axes, epsilon, parameter_axes=None):
    """The formula as separate differentiable ops (mean, var, sqrt, divide, multiply, add)."""
    mean = minidl.ops.mean(x, axis=axes, keepdims=True)
    variance = minidl.ops.var(x, axis=axes, keepdims=True)
    y = (x - mean) / minidl.ops.sqrt(variance + epsilon)
    parameter_axes = axes if parameter_axes is None else parameter_axes
    broadcast = tuple(x.shape[axis] if axis in parameter_axes else 1 for axis in range(x.ndim))
    if gamma is not None:
        y = y * minidl.ops.reshape(gamma, broadcast)
    return y if beta is None else y + minidl.ops.reshape(beta, broadcast)


@given(shape=st.lists(st.integers(1, 4), min_size=2, max_size=4), axes_seed=st.integers(0, 2**16),
       scale=st.booleans(), center=st.booleans(), own_parameter_axes=st.booleans(), seed=st.integers(0, 2**16))
def test_layer_norm_op_equals_its_formula_as_separate_ops(any_backend, shape, axes_seed, scale, center,
                                                          own_parameter_axes, seed):
    """The one Function with its written-out backward gives the values and every gradient of
    the composition of ops it replaces, and passes a float64 gradient check -- with gamma and
    beta shaped like the normalised axes or (``parameter_axis``, as a group norm's) like others."""
    rng = np.random.default_rng(seed)
    axes_rng = np.random.default_rng(axes_seed)

    def some_sample_axes():
        return tuple(sorted(int(a) for a in axes_rng.choice(np.arange(1, len(shape)),
                                                            size=axes_rng.integers(1, len(shape)), replace=False)))

    axes = some_sample_axes()
    parameter_axes = some_sample_axes() if own_parameter_axes else None
    x = rng.standard_normal(shape)
    parameter_shape = tuple(shape[a] for a in (parameter_axes or axes))
    gamma = rng.standard_normal(parameter_shape) if scale else None
    beta = rng.standard_normal(parameter_shape) if center else None
    grad_out = rng.standard_normal(shape)
    inputs = [a for a in (x, gamma, beta) if a is not None]

    def run(function):
        tensors = [minidl.tensor(device(a), requires_grad=True) for a in inputs]
        parameters = iter(tensors[1:])
        g = next(parameters) if scale else None
        b = next(parameters) if center else None
        y = function(tensors[0], g, b, axes, 1e-3, parameter_axes)
        y.backward(device(grad_out))
        return [to_host(y)] + [to_host(t.grad) for t in tensors]

    for got, expected in zip(run(minidl.ops.layer_norm), run(composed_layer_norm)):
        np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-10)

    def op(*arrays):
        parameters = iter(arrays[1:])
        return minidl.ops.layer_norm(arrays[0], next(parameters) if scale else None,
                                     next(parameters) if center else None, axes, 1e-3, parameter_axes)

    assert max(minidl.gradcheck(op, *[device(a) for a in inputs])) < 1e-6


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(shape=st.lists(st.integers(1, 4), min_size=2, max_size=4).map(lambda s: [s[0] + 2, *s[1:]]),
       axes_seed=st.integers(0, 2**16), scale=st.booleans(), center=st.booleans(), own_parameter_axes=st.booleans(),
       dtype=st.sampled_from([np.float32, np.float64]), seed=st.integers(0, 2**16))
def test_fast_layer_norm_in_chunks_equals_the_readable_form(any_backend, monkeypatch, shape, axes_seed, scale,
                                                             center, own_parameter_axes, dtype, seed):
    """One sample per chunk, the chunks on two threads: y and dL/dx are the readable form's bits,
    dL/dgamma and dL/dbeta (summed chunk by chunk) its numbers up to the order of the sums."""
    monkeypatch.setattr(parallel, "CPU_CHUNK_BYTES", 1)
    monkeypatch.setattr(parallel, "cpu_workers", lambda: 2)
    rng, axes_rng = np.random.default_rng(seed), np.random.default_rng(axes_seed)

    def some_sample_axes():
        return tuple(sorted(int(a) for a in axes_rng.choice(np.arange(1, len(shape)),
                                                            size=axes_rng.integers(1, len(shape)), replace=False)))

    axes = some_sample_axes()
    parameter_axes = some_sample_axes() if own_parameter_axes else None
    parameter_shape = tuple(shape[a] for a in (parameter_axes or axes))
    x = rng.standard_normal(shape).astype(dtype)
    gamma = rng.standard_normal(parameter_shape).astype(dtype) if scale else None
    beta = rng.standard_normal(parameter_shape).astype(dtype) if center else None
    grad_out = rng.standard_normal(shape).astype(dtype)

    def run():
        tensors = [None if a is None else minidl.tensor(device(a), requires_grad=True) for a in (x, gamma, beta)]
        y = minidl.ops.layer_norm(*tensors, axis=axes, epsilon=1e-3, parameter_axis=parameter_axes)
        y.backward(device(grad_out))
        return y, [to_host(y)] + [to_host(t.grad) for t in tensors if t is not None]

    y, fast = run()
    assert isinstance(y.creator, fast_layer_norm.FastLayerNorm)
    with minidl.reference_ops():
        _, readable = run()
    np.testing.assert_array_equal(fast[0], readable[0])
    np.testing.assert_array_equal(fast[1], readable[1])
    for got, expected in zip(fast[2:], readable[2:]):
        np.testing.assert_allclose(got, expected, rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-5)


def test_layer_norm_op_names_a_bad_axis_and_a_bad_gamma():
    x = np.zeros((2, 3, 4))
    with pytest.raises(ValueError, match=r"layer_norm: axis 0 is the batch axis"):
        minidl.ops.layer_norm(x, axis=0)
    with pytest.raises(ValueError, match=r"layer_norm: gamma must have shape \(4,\) \(the normalised axes \(2,\) "
                                         r"of input \(2, 3, 4\)\), got \(3,\)"):
        minidl.ops.layer_norm(x, gamma=np.ones(3))
    with pytest.raises(ValueError, match=r"layer_norm: axis 0 is the batch axis; parameter_axis must name others"):
        minidl.ops.layer_norm(x, gamma=np.ones((2, 3)), parameter_axis=(0, 1))
    with pytest.raises(ValueError, match=r"layer_norm: beta must have shape \(3,\) \(the parameter_axis \(1,\) "
                                         r"of input \(2, 3, 4\)\), got \(4,\)"):
        minidl.ops.layer_norm(x, beta=np.ones(4), parameter_axis=1)


@given(batch=st.integers(1, 3), steps=st.integers(1, 4), features=st.integers(1, 3), units=st.integers(1, 3),
       seed=st.integers(0, 2**16))
def test_time_distributed_dense_is_dense_at_every_step(any_backend, batch, steps, features, units, seed):
    minidl.set_floatx("float64")
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, steps, features))
    layer = TimeDistributed(Dense(units, activation="tanh"))
    out = to_host(layer(device(x)))
    kernel, bias = layer.get_weights()
    expected = np.stack([np.tanh(x[:, step] @ kernel + bias) for step in range(steps)], axis=1)
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-12)
    fn = with_weights(layer.layer, ["kernel", "bias"], layer)
    assert max(minidl.gradcheck(fn, device(x), device(kernel), device(bias))) < 1e-6


@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3), scale=st.floats(-3, 3), offset=st.floats(-2, 2),
       seed=st.integers(0, 2**16))
def test_rescaling_and_lambda_forward_and_gradcheck(any_backend, shape, scale, offset, seed):
    minidl.set_floatx("float64")
    x = np.random.default_rng(seed).standard_normal((2, *shape))
    rescaling = Rescaling(scale, offset)
    np.testing.assert_allclose(to_host(rescaling(device(x))), x * scale + offset, rtol=1e-12, atol=1e-12)
    assert max(minidl.gradcheck(lambda t: rescaling(t), device(x))) < 1e-6
    squaring = Lambda(lambda t, power: t ** power, arguments={"power": 2})
    np.testing.assert_allclose(to_host(squaring(device(x))), x ** 2, rtol=1e-12)
    assert max(minidl.gradcheck(lambda t: squaring(t), device(x))) < 1e-6


def test_noise_layers_only_act_while_training(any_backend):
    minidl.set_floatx("float64")
    minidl.set_seed(3)
    x = device(np.ones((2000, 10)))
    noise, dropout = GaussianNoise(0.5), GaussianDropout(0.2)
    for layer in (noise, dropout):
        np.testing.assert_array_equal(to_host(layer(x, training=False)), np.ones((2000, 10)))
    noisy = to_host(noise(x, training=True)) - 1
    assert abs(noisy.mean()) < 0.02 and abs(noisy.std() - 0.5) < 0.02
    scaled = to_host(dropout(x, training=True))
    assert abs(scaled.mean() - 1) < 0.02 and abs(scaled.std() - np.sqrt(0.2 / 0.8)) < 0.02

    def same_noise_each_time(layer):
        def fn(t):
            minidl.set_seed(5)  # the noise is a constant of the graph: redraw the same one per evaluation
            return layer(t, training=True)

        return fn

    for layer in (GaussianNoise(0.3), GaussianDropout(0.3)):
        assert max(minidl.gradcheck(same_noise_each_time(layer), device(np.ones((3, 2))))) < 1e-6


def test_weights_and_configs_follow_keras():
    clear_session()
    model = Sequential([Input((5, 4)), TimeDistributed(Dense(3)), LayerNormalization(), Rescaling(0.5), GaussianNoise(0.1)])
    distributed, normalization = model.layers[:2]
    assert [w.shape for w in distributed.weights] == [(4, 3), (3,)]
    assert [w.name.split("/")[-1] for w in normalization.weights] == ["gamma", "beta"]
    assert model.count_params() == 4 * 3 + 3 + 2 * 3
    json = model.to_json()
    rebuilt = minidl.models.model_from_json(json)
    assert [type(layer).__name__ for layer in rebuilt.layers] == [type(layer).__name__ for layer in model.layers]
    assert normalization.get_config()["epsilon"] == 1e-3 and normalization.get_config()["axis"] == -1


def module_level_double(x):
    return x * 2


def test_lambda_saves_a_named_function_and_refuses_an_anonymous_one():
    inputs = Input((3,))
    named = Model(inputs, Lambda(module_level_double)(inputs))
    rebuilt = minidl.models.model_from_json(named.to_json())
    np.testing.assert_allclose(rebuilt.predict(np.ones((1, 3))), [[2, 2, 2]])
    anonymous = Model(inputs, Lambda(lambda x: x * 2)(inputs))
    with pytest.raises(ValueError, match="has no import path"):
        anonymous.to_json()
    with pytest.raises(ValueError, match=r"output_shape=\(4,\)"):
        Lambda(lambda x: x, output_shape=(4,))(np.ones((2, 3), dtype="float32"))


def test_layer_normalization_and_time_distributed_match_keras_values():
    keras = pytest.importorskip("keras", reason="real Keras is not installed (CI does not install it)")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 4)).astype("float32")
    ours, theirs = LayerNormalization(epsilon=1e-3), keras.layers.LayerNormalization(epsilon=1e-3)
    ours(x)
    theirs(x)
    weights = [rng.standard_normal(w.shape).astype("float32") for w in theirs.get_weights()]
    ours.set_weights(weights)
    theirs.set_weights(weights)
    np.testing.assert_allclose(to_host(ours(x)), np.asarray(theirs(x)), rtol=1e-5, atol=1e-5)
    ours, theirs = TimeDistributed(Dense(2)), keras.layers.TimeDistributed(keras.layers.Dense(2))
    ours(x)
    theirs(x)
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in theirs.get_weights()]
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(to_host(ours(x)), np.asarray(theirs(x)), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(to_host(Rescaling(1 / 255, 0.5)(x)), np.asarray(keras.layers.Rescaling(1 / 255, 0.5)(x)),
                               rtol=1e-6)


@given(batch=st.integers(1, 3), steps=st.integers(2, 5), features=st.integers(1, 3), seed=st.integers(0, 2**16))
def test_masking_zeroes_padded_steps_and_the_rnn_skips_them(any_backend, batch, steps, features, seed):
    from minidl.layers import LSTM
    from minidl.layers.masking import Masking

    minidl.set_floatx("float64")
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, steps, features))
    lengths = rng.integers(1, steps + 1, size=batch)
    for sample, length in enumerate(lengths):
        x[sample, length:] = -1.0  # padding with mask_value
    masking = Masking(mask_value=-1.0)
    out = masking(device(x))
    keep = np.arange(steps)[None, :] < lengths[:, None]
    np.testing.assert_array_equal(to_host(out.mask), keep)
    np.testing.assert_array_equal(to_host(out), x * keep[:, :, None])
    # the mask itself jumps when a padded value moves, so finite differences apply to real steps only;
    # a padded step's gradient is zero
    unpadded = rng.standard_normal((batch, steps, features))
    assert max(minidl.gradcheck(lambda t: masking(t), device(unpadded))) < 1e-8
    leaf = minidl.tensor(device(x), requires_grad=True)
    minidl.ops.sum(masking(leaf)).backward()
    np.testing.assert_array_equal(to_host(leaf.grad), np.broadcast_to(keep[:, :, None], x.shape).astype(float))
    lstm = LSTM(2)
    masked_last = to_host(lstm(masking(device(x))))
    for sample, length in enumerate(lengths):  # the state after the last real step is the output
        alone = to_host(lstm(device(x[sample:sample + 1, :length])))
        np.testing.assert_allclose(masked_last[sample], alone[0], rtol=1e-10, atol=1e-12)


def test_masking_matches_keras():
    keras = pytest.importorskip("keras", reason="real Keras is not installed (CI does not install it)")
    from minidl.layers.masking import Masking

    x = np.array([[[1.0, 2.0], [0.0, 0.0], [3.0, 0.0]]], np.float32)
    theirs = keras.layers.Masking(0.0)
    np.testing.assert_array_equal(to_host(Masking(0.0)(x)), np.asarray(theirs(x)))
    np.testing.assert_array_equal(to_host(Masking(0.0)(x).mask), np.asarray(theirs.compute_mask(x)))
    assert set(theirs.get_config()) - {"dtype", "trainable", "name"} <= set(Masking().get_config())
