"""Weight penalties: Keras's l1, l2 and l1_l2 formulas, their gradients, and (de)serialisation."""

import numpy as np
import pytest

import minidl
from minidl import regularizers
from tests.conftest import device, to_host


def _weights(seed=0):
    weights = np.random.default_rng(seed).standard_normal((4, 3))
    weights[np.abs(weights) < 1e-3] = 0.5  # keep |w| away from its kink at 0 for finite differences
    return weights


@pytest.mark.parametrize("regularizer, penalty, gradient", [
    (regularizers.l1(0.01), lambda w: 0.01 * np.abs(w).sum(), lambda w: 0.01 * np.sign(w)),
    (regularizers.l2(0.02), lambda w: 0.02 * (w**2).sum(), lambda w: 0.04 * w),
    (regularizers.l1_l2(0.3, 0.5), lambda w: 0.3 * np.abs(w).sum() + 0.5 * (w**2).sum(),
     lambda w: 0.3 * np.sign(w) + w),
])
def test_penalty_and_gradient_match_numpy(any_backend, regularizer, penalty, gradient):
    weights = _weights()
    leaf = minidl.tensor(weights, requires_grad=True)
    value = regularizer(leaf)
    assert value.shape == () and value.item() == pytest.approx(penalty(weights), rel=1e-12)
    value.backward()
    np.testing.assert_allclose(to_host(leaf.grad), gradient(weights), rtol=1e-12)
    assert max(minidl.gradcheck(regularizer, device(weights))) < 1e-6


def test_keras_defaults_and_string_names():
    assert regularizers.l1().l1 == 0.01 and regularizers.l2().l2 == 0.01
    both = regularizers.get("l1_l2")
    assert (both.l1, both.l2) == (0.01, 0.01)
    assert isinstance(regularizers.get("l2"), regularizers.L2)
    assert regularizers.get(None) is None
    with pytest.raises(ValueError, match="unknown regularizer 'l3'"):
        regularizers.get("l3")


def test_zero_penalty_is_a_scalar_zero_with_a_gradient(any_backend):
    leaf = minidl.tensor(_weights(), requires_grad=True)
    value = regularizers.L1L2()(leaf)
    assert value.item() == 0.0
    value.backward()
    assert not to_host(leaf.grad).any()


def test_penalty_keeps_float32():
    assert regularizers.l2(0.01)(minidl.tensor(np.ones((2, 2), np.float32))).dtype == np.float32


@pytest.mark.parametrize("regularizer", [regularizers.l1(0.2), regularizers.l2(0.3), regularizers.l1_l2(0.1, 0.4)])
def test_serialize_round_trip(regularizer):
    config = regularizers.serialize(regularizer)
    restored = regularizers.get(config)
    assert type(restored) is type(regularizer)
    assert restored.get_config() == regularizer.get_config()
    weights = _weights(1)
    assert restored(minidl.tensor(weights)).item() == pytest.approx(regularizer(minidl.tensor(weights)).item())


def test_l2_config_is_keras_shaped():
    assert regularizers.serialize(regularizers.l2(0.01)) == {"class_name": "L2", "config": {"l2": 0.01}}
    assert regularizers.serialize(None) is None


def test_activity_regularizer_adds_the_output_penalty_over_the_batch_size():
    """Keras's activity_regularizer= on any layer (the sparse autoencoder's l1 on the code):
    loss + l1 * sum(|outputs|) / batch, in fit's and evaluate's loss; kept in the config."""
    inputs = minidl.layers.Input((3,))
    code = minidl.layers.Dense(2, activation="relu", activity_regularizer=minidl.regularizers.l1(0.1),
                               kernel_initializer="ones", name="code")(inputs)
    model = minidl.models.Model(inputs, minidl.layers.Dense(1, kernel_initializer="zeros", name="out")(code))
    model.compile(optimizer="sgd", loss="mse")
    x = np.array([[1.0, 2.0, 3.0], [0.5, 0.5, 0.5]], np.float32)
    y = np.ones((2, 1), np.float32)
    penalty = 0.1 * np.abs(np.maximum(x.sum(axis=1, keepdims=True) * np.ones((1, 2)), 0)).sum() / 2
    np.testing.assert_allclose(model.evaluate(x, y, verbose=0), 1.0 + penalty, rtol=1e-6)
    config = model.get_layer("code").get_config()["activity_regularizer"]
    assert config == {"class_name": "L1", "config": {"l1": 0.1}}
    assert type(minidl.layers.Dense.from_config(model.get_layer("code").get_config()).activity_regularizer).__name__ == "L1"


def test_constraint_arguments_given_as_none_are_accepted_and_real_ones_refused():
    assert minidl.layers.Dense(2, kernel_constraint=None, bias_constraint=None).units == 2
    with pytest.raises(NotImplementedError, match=r"Dense: kernel_constraint='max_norm': weight constraints are not "
                                                  r"supported"):
        minidl.layers.Dense(2, kernel_constraint="max_norm")
