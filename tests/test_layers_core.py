"""Core layers: Dense, Activation, Flatten, Reshape, Dropout."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minidl
from minidl import regularizers
from minidl.layers.base import clear_session
from minidl.layers.core import Activation, Dense, Dropout, Flatten, Reshape
from minidl.layers.input_layer import Input
from tests.conftest import device, to_host, with_weights

fixture_ok = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])

NUMPY_ACTIVATIONS = {
    None: lambda z: z,
    "linear": lambda z: z,
    "tanh": np.tanh,
    "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
    "relu": lambda z: np.maximum(z, 0),
    "softmax": lambda z: np.exp(z - z.max(-1, keepdims=True)) / np.exp(z - z.max(-1, keepdims=True)).sum(-1, keepdims=True),
    "elu": lambda z: np.where(z > 0, z, np.expm1(np.minimum(z, 0))),
    "softplus": lambda z: np.log1p(np.exp(z)),
}


def numpy_dense(x, kernel, bias, activation):
    """Loop over every output unit: out[..., j] = act(sum_i x[..., i] kernel[i, j] + bias[j])."""
    pre = np.zeros(x.shape[:-1] + (kernel.shape[1],))
    for j in range(kernel.shape[1]):
        for i in range(kernel.shape[0]):
            pre[..., j] += x[..., i] * kernel[i, j]
        if bias is not None:
            pre[..., j] += bias[j]
    return NUMPY_ACTIVATIONS[activation](pre)


@fixture_ok
@given(batch=st.integers(1, 3), time=st.sampled_from([None, 1, 3]), features=st.integers(1, 4),
       units=st.integers(1, 3), activation=st.sampled_from(["linear", "tanh", "sigmoid", "softmax", None]),
       use_bias=st.booleans(), seed=st.integers(0, 2**16))
def test_dense_forward_and_gradcheck(any_backend, batch, time, features, units, activation, use_bias, seed):
    minidl.set_floatx("float64")
    rng = np.random.default_rng(seed)
    shape = (batch, features) if time is None else (batch, time, features)
    x = rng.standard_normal(shape)
    layer = Dense(units, activation=activation, use_bias=use_bias)
    out = layer(minidl.tensor(x))
    weights = layer.get_weights()
    kernel, bias = weights[0], (weights[1] if use_bias else None)
    assert out.shape == shape[:-1] + (units,)
    np.testing.assert_allclose(to_host(out), numpy_dense(x, kernel, bias, activation), rtol=1e-10, atol=1e-12)

    names = ["kernel", "bias"] if use_bias else ["kernel"]
    fn = with_weights(layer, names)
    worst = minidl.gradcheck(fn, device(x), *[device(w) for w in weights])
    assert max(worst) < 1e-6


@pytest.mark.parametrize("activation", ["relu", "elu", "softplus"])
def test_dense_activation_strings(any_backend, activation):
    minidl.set_floatx("float64")
    x = np.random.default_rng(1).standard_normal((4, 3))
    layer = Dense(2, activation=activation)
    out = layer(minidl.tensor(x))
    kernel, bias = layer.get_weights()
    np.testing.assert_allclose(to_host(out), numpy_dense(x, kernel, bias, activation), rtol=1e-10)
    assert layer.get_config()["activation"] == activation


def test_dense_unknown_activation_is_an_error():
    with pytest.raises(ValueError, match="unknown activation 'rleu6'"):
        Dense(3, activation="rleu6")


def test_dense_weights_shapes_and_default_initializers():
    minidl.set_seed(0)
    layer = Dense(300, input_dim=200)
    layer(minidl.tensor(np.zeros((1, 200), np.float32)))
    kernel, bias = layer.get_weights()
    assert kernel.shape == (200, 300) and bias.shape == (300,)
    assert not bias.any()
    limit = np.sqrt(6 / (200 + 300))  # glorot_uniform
    assert np.abs(kernel).max() <= limit and np.abs(kernel).max() > 0.99 * limit
    assert layer.count_params() == 200 * 300 + 300


def test_dense_kernel_regularizer_penalty(any_backend):
    minidl.set_floatx("float64")
    layer = Dense(3, kernel_regularizer=regularizers.l2(0.01), bias_regularizer=regularizers.l1(0.1),
                  bias_initializer="ones")
    layer(minidl.tensor(np.ones((2, 4))))
    kernel_penalty, bias_penalty = layer.regularization_losses()
    kernel, bias = layer.get_weights()
    assert kernel_penalty.item() == pytest.approx(0.01 * np.sum(kernel**2), rel=1e-12)
    assert bias_penalty.item() == pytest.approx(0.1 * np.sum(np.abs(bias)), rel=1e-12)
    kernel_penalty.backward()
    np.testing.assert_allclose(to_host(layer.kernel.grad), 0.02 * kernel, rtol=1e-12)
    assert Dense(2).regularization_losses() == []


def test_dense_bad_input_after_build_names_layer_shape_and_expectation(any_backend):
    clear_session()
    layer = Dense(4)
    layer(minidl.tensor(np.zeros((2, 3), np.float32)))
    with pytest.raises(ValueError, match=r"dense \(Dense\): expected input of rank >= 2 with 3 features on the "
                                         r"last axis, \(batch, \.\.\., 3\), got shape \(2, 5\)"):
        layer(minidl.tensor(np.zeros((2, 5), np.float32)))
    with pytest.raises(ValueError, match=r"dense \(Dense\): expected input of rank >= 2.*got shape \(3,\)"):
        layer(minidl.tensor(np.zeros(3, np.float32)))
    with pytest.raises(ValueError, match=r"dense_1 \(Dense\): expected input of rank >= 2"):
        Dense(2)(minidl.tensor(np.zeros(3, np.float32)))


def test_dense_rejects_non_positive_units():
    with pytest.raises(ValueError, match="units must be a positive integer, got 0"):
        Dense(0)


def test_activation_layer(any_backend):
    minidl.set_floatx("float64")
    x = np.random.default_rng(2).standard_normal((3, 4))
    for name in ["relu", "tanh", "sigmoid", "softmax", "linear"]:
        out = Activation(name)(minidl.tensor(x))
        np.testing.assert_allclose(to_host(out), NUMPY_ACTIVATIONS[name](x), rtol=1e-12)
    worst = minidl.gradcheck(lambda t: Activation("tanh")(t), device(x))
    assert max(worst) < 1e-6
    assert Activation("tanh").get_config()["activation"] == "tanh"


def test_flatten(any_backend):
    x = np.arange(2 * 3 * 4 * 5, dtype=np.float64).reshape(2, 3, 4, 5)
    out = Flatten()(minidl.tensor(x))
    assert out.shape == (2, 60)
    np.testing.assert_array_equal(to_host(out), np.stack([sample.ravel() for sample in x]))
    assert Flatten()(Input(shape=(28, 28))).shape == (None, 784)
    worst = minidl.gradcheck(lambda t: Flatten()(t), device(x[:, :1, :2, :3]))
    assert max(worst) < 1e-6


def test_reshape_with_minus_one(any_backend):
    x = np.arange(2 * 784, dtype=np.float64).reshape(2, 784)
    out = Reshape((28, 28))(minidl.tensor(x))
    np.testing.assert_array_equal(to_host(out), x.reshape(2, 28, 28))
    assert Reshape((-1, 4))(minidl.tensor(np.zeros((3, 8)))).shape == (3, 2, 4)
    assert Reshape((7, 7, 64))(Input(shape=(3136,))).shape == (None, 7, 7, 64)
    worst = minidl.gradcheck(lambda t: Reshape((2, -1))(t), device(np.arange(12.0).reshape(2, 6)))
    assert max(worst) < 1e-6


def test_reshape_errors_name_the_layer():
    clear_session()
    with pytest.raises(ValueError, match=r"reshape \(Reshape\): cannot reshape samples of shape \(10,\) "
                                         r"\(10 values\) to \(3, 3\)"):
        Reshape((3, 3))(minidl.tensor(np.zeros((2, 10))))
    with pytest.raises(ValueError, match=r"\(Reshape\): cannot reshape samples"):
        Reshape((-1, 3))(minidl.tensor(np.zeros((2, 10))))
    with pytest.raises(ValueError, match="at most one -1"):
        Reshape((-1, -1))


def test_dropout_inference_is_identity_and_training_scales_survivors(any_backend):
    minidl.set_floatx("float64")
    x = minidl.tensor(np.ones((200, 50)))
    layer = Dropout(0.25)
    assert layer(x) is x  # inference (training defaults to False)
    out = to_host(layer(x, training=True))
    survivors = out != 0
    np.testing.assert_allclose(out[survivors], 1 / 0.75)
    assert abs(survivors.mean() - 0.75) < 0.02
    x_grad = minidl.tensor(np.ones((4, 5)), requires_grad=True)
    dropped = layer(x_grad, training=True)
    dropped.sum().backward()
    np.testing.assert_array_equal(to_host(x_grad.grad), to_host(dropped))  # d(x*mask)/dx = mask


def test_dropout_noise_shape_shares_the_mask(any_backend):
    x = minidl.tensor(np.ones((3, 40, 6), np.float32))
    out = to_host(Dropout(0.5, noise_shape=(None, 1, None))(x, training=True))
    assert np.all(out == out[:, :1, :])


@pytest.mark.parametrize("rate", [-0.1, 1.0, 1.5])
def test_dropout_rate_validation(rate):
    clear_session()
    with pytest.raises(ValueError, match=rf"dropout \(Dropout\): rate must be in \[0, 1\), got {rate}"):
        Dropout(rate)


def test_dropout_rate_zero_is_identity():
    x = minidl.tensor(np.ones((2, 2)))
    assert Dropout(0.0)(x, training=True) is x


def test_configs_round_trip():
    layers = [Dense(5, activation="relu", kernel_regularizer=regularizers.l2(0.01), name="d"),
              Activation("softmax"), Flatten(), Reshape((7, -1)), Dropout(0.3, noise_shape=(None, 1, 4))]
    for layer in layers:
        config = layer.get_config()
        assert type(layer).from_config(config).get_config() == config


def test_an_initializer_given_as_none_is_glorot_uniform_as_in_keras():
    """``Dense(1, bias_initializer=None)`` (the imbalanced-data tutorial's default) is accepted:
    Keras's ``add_weight`` draws such a float weight from glorot_uniform."""
    from minidl import initializers

    layer = Dense(3, bias_initializer=None, kernel_initializer=None)
    assert isinstance(layer.bias_initializer, initializers.GlorotUniform)
    assert isinstance(layer.kernel_initializer, initializers.GlorotUniform)
