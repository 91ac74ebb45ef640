"""Initialisers: Keras's formulas and fan rules, checked statistically on large samples."""

import math

import numpy as np
import pytest

import minidl
from minidl import initializers
from minidl.layers.core import Dense

SHAPE = (400, 600)  # 240k samples: sample std within ~0.3% of the true one
FAN_IN, FAN_OUT = SHAPE


@pytest.mark.parametrize("name, limit", [
    ("glorot_uniform", math.sqrt(6 / (FAN_IN + FAN_OUT))),
    ("he_uniform", math.sqrt(6 / FAN_IN)),
    ("lecun_uniform", math.sqrt(3 / FAN_IN)),
])
def test_uniform_variance_scaling_ranges(name, limit):
    minidl.set_seed(0)
    values = initializers.get(name)(SHAPE)
    assert values.dtype == np.float32 and values.shape == SHAPE
    assert np.abs(values).max() <= limit
    assert np.abs(values).max() > 0.999 * limit  # the range is used up to its edge
    assert values.std() == pytest.approx(limit / math.sqrt(3), rel=0.01)


@pytest.mark.parametrize("name, std", [
    ("glorot_normal", math.sqrt(2 / (FAN_IN + FAN_OUT))),
    ("he_normal", math.sqrt(2 / FAN_IN)),
    ("lecun_normal", math.sqrt(1 / FAN_IN)),
])
def test_truncated_normal_variance_scaling_stds(name, std):
    minidl.set_seed(1)
    values = initializers.get(name)(SHAPE, "float64")
    assert values.std() == pytest.approx(std, rel=0.01)  # the truncation is compensated
    assert abs(values.mean()) < 0.01 * std
    # truncated at two standard deviations of the underlying normal (std / 0.8796)
    assert np.abs(values).max() <= 2 * std / 0.87962566103423978 + 1e-12


def test_untruncated_normal_and_fan_modes():
    minidl.set_seed(2)
    values = initializers.VarianceScaling(scale=3.0, mode="fan_out", distribution="untruncated_normal")(SHAPE)
    assert values.std() == pytest.approx(math.sqrt(3.0 / FAN_OUT), rel=0.01)
    assert np.abs(values).max() > 3 * math.sqrt(3.0 / FAN_OUT)  # tails are not cut
    with pytest.raises(ValueError, match="mode must be fan_in, fan_out or fan_avg"):
        initializers.VarianceScaling(mode="fan")


def test_keras_fan_rules_for_conv_kernels():
    assert initializers.compute_fans((3, 3, 16, 32)) == (3 * 3 * 16, 3 * 3 * 32)
    assert initializers.compute_fans((5, 4, 8)) == (5 * 4, 5 * 8)  # Conv1D kernel (k, in, out)
    assert initializers.compute_fans((10, 20)) == (10, 20)
    assert initializers.compute_fans((7,)) == (7, 7)
    minidl.set_seed(3)
    kernel = initializers.get("glorot_uniform")((5, 5, 32, 64))
    limit = math.sqrt(6 / (25 * 32 + 25 * 64))
    assert np.abs(kernel).max() <= limit and np.abs(kernel).max() > 0.99 * limit


@pytest.mark.parametrize("shape", [(64, 16), (16, 64), (32, 32), (3, 3, 4, 8)])
def test_orthogonal_gives_orthonormal_rows_or_columns(shape):
    minidl.set_seed(4)
    values = initializers.get("orthogonal")(shape, "float64")
    flat = values.reshape(-1, shape[-1])
    rows, cols = flat.shape
    gram = flat.T @ flat if rows >= cols else flat @ flat.T
    np.testing.assert_allclose(gram, np.eye(min(rows, cols)), atol=1e-12)
    scaled = initializers.Orthogonal(gain=2.0)(shape, "float64").reshape(-1, shape[-1])
    gram = scaled.T @ scaled if rows >= cols else scaled @ scaled.T
    np.testing.assert_allclose(gram, 4 * np.eye(min(rows, cols)), atol=1e-12)


def test_same_seed_gives_same_weights_and_different_seed_different():
    def kernel_after_seed(seed):
        minidl.set_seed(seed)
        layer = Dense(5)
        layer(minidl.tensor(np.zeros((1, 4), np.float32)))
        return layer.get_weights()[0]

    np.testing.assert_array_equal(kernel_after_seed(7), kernel_after_seed(7))
    assert not np.array_equal(kernel_after_seed(7), kernel_after_seed(8))


def test_same_seed_gives_same_weights_on_every_backend(any_backend):
    minidl.set_seed(11)
    layer = Dense(3)
    layer(minidl.tensor(np.zeros((1, 2), np.float32)))
    minidl.set_backend("numpy")
    minidl.set_seed(11)
    reference = Dense(3)
    reference(minidl.tensor(np.zeros((1, 2), np.float32)))
    np.testing.assert_array_equal(layer.get_weights()[0], reference.get_weights()[0])


def test_seeded_initializer_repeats_itself():
    init = initializers.RandomNormal(seed=5)
    np.testing.assert_array_equal(init((3, 4)), init((3, 4)))
    np.testing.assert_array_equal(initializers.GlorotUniform(seed=1)((4, 4)), initializers.GlorotUniform(seed=1)((4, 4)))


def test_simple_initializers():
    assert not initializers.get("zeros")((2, 3)).any()
    assert (initializers.get("ones")((2,)) == 1).all()
    assert (initializers.Constant(0.5)((2, 2)) == 0.5).all()
    minidl.set_seed(6)
    uniform = initializers.get("uniform")((100_000,))
    assert -0.05 <= uniform.min() and uniform.max() <= 0.05
    normal = initializers.get("random_normal")((100_000,), "float64")
    assert normal.std() == pytest.approx(0.05, rel=0.02)
    truncated = initializers.get("truncated_normal")((100_000,), "float64")
    assert np.abs(truncated).max() <= 0.1


def test_get_accepts_names_classes_names_instances_and_configs():
    assert isinstance(initializers.get("GlorotUniform"), initializers.GlorotUniform)
    instance = initializers.HeNormal()
    assert initializers.get(instance) is instance
    config = initializers.serialize(initializers.RandomUniform(-0.1, 0.2))
    assert config == {"class_name": "RandomUniform", "config": {"minval": -0.1, "maxval": 0.2, "seed": None}}
    restored = initializers.get(config)
    assert (restored.minval, restored.maxval) == (-0.1, 0.2)
    with pytest.raises(ValueError, match="unknown initializer 'glorot'"):
        initializers.get("glorot")


@pytest.mark.parametrize("name", ["glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "lecun_uniform",
                                  "lecun_normal", "orthogonal", "zeros", "ones", "uniform", "truncated_normal",
                                  "variance_scaling"])
def test_every_initializer_survives_a_serialize_round_trip(name):
    original = initializers.get(name)
    restored = initializers.get(initializers.serialize(original))
    assert type(restored) is type(original)
    assert restored.get_config() == original.get_config()


def test_identity_initializer_by_name_and_class():
    """Keras's 'identity' (IRNN's recurrent kernel): gain times the identity, rectangular too."""
    np.testing.assert_array_equal(initializers.get("identity")((3, 3), "float32"), np.eye(3, dtype=np.float32))
    np.testing.assert_array_equal(initializers.Identity(gain=2.0)((2, 3)), 2 * np.eye(2, 3))
    assert type(initializers.get({"class_name": "IdentityInitializer", "config": {"gain": 0.5}})) is initializers.Identity
    layer = minidl.layers.SimpleRNN(4, recurrent_initializer="identity")
    layer(np.ones((1, 2, 3), np.float32))
    np.testing.assert_array_equal(layer.recurrent_kernel.numpy(), np.eye(4))
    with pytest.raises(ValueError, match=r"only a 2-D weight has an identity matrix, got shape \(3, 3, 2\)"):
        initializers.get("identity")((3, 3, 2))
