"""The Layer base class: names, declared input shapes, trainable, get/set_weights, configs,
symbolic calls and argument checking."""

import numpy as np
import pytest

import minidl
from minidl.layers.activations import LeakyReLU
from minidl.layers.base import Layer, SymbolicTensor, clear_session
from minidl.layers.core import Activation, Dense, Dropout, Flatten
from minidl.layers.embedding import Embedding
from minidl.layers.input_layer import Input
from minidl.layers.merge import Concatenate
from minidl.layers.normalization import BatchNormalization
from minidl.layers.regularization import SpatialDropout1D
from tests.conftest import to_host


def test_default_names_are_unique_per_class():
    clear_session()
    names = [Dense(1).name, Dense(1).name, Dropout(0.1).name, Dense(1).name, BatchNormalization().name,
             Embedding(3, 2).name, LeakyReLU().name, Concatenate().name]
    assert names == ["dense", "dense_1", "dropout", "dense_2", "batch_normalization", "embedding",
                     "leaky_re_lu", "concatenate"]
    clear_session()
    assert Dense(1).name == "dense"
    assert Dense(1, name="output").name == "output"


def test_default_names_follow_keras_snake_case_for_digits():
    clear_session()
    assert SpatialDropout1D(0.1).name == "spatial_dropout1d"


def test_declared_input_shapes():
    assert Dense(3, input_shape=(4,)).batch_input_shape == (None, 4)
    assert Dense(3, input_dim=4).batch_input_shape == (None, 4)
    assert Dense(3, input_dim=4, input_length=7).batch_input_shape == (None, 7, 4)
    assert Dense(3, batch_input_shape=(16, 4)).batch_input_shape == (16, 4)
    assert Flatten(input_shape=(28, 28)).batch_input_shape == (None, 28, 28)
    assert Dense(3).batch_input_shape is None
    assert Dense(3, input_shape=(4,)).get_config()["batch_input_shape"] == [None, 4]


def test_trainable_false_moves_weights_to_non_trainable():
    frozen = Dense(3, trainable=False)
    frozen(minidl.tensor(np.zeros((1, 2), np.float32)))
    assert frozen.trainable_weights == [] and len(frozen.non_trainable_weights) == 2
    assert not frozen.kernel.requires_grad

    layer = Dense(3)
    layer(minidl.tensor(np.zeros((1, 2), np.float32)))
    layer.trainable = False
    assert layer.trainable_weights == [] and [w.name for w in layer.non_trainable_weights] == [
        f"{layer.name}/kernel", f"{layer.name}/bias"]
    assert layer.parameters() == []
    layer.trainable = True
    assert len(layer.trainable_weights) == 2 and layer.kernel.requires_grad


def test_frozen_layer_gets_no_gradient():
    layer = Dense(2, trainable=False)
    x = minidl.tensor(np.ones((1, 3), np.float32), requires_grad=True)
    layer(x).sum().backward()
    assert layer.kernel.grad is None and x.grad is not None


def test_get_and_set_weights_round_trip_in_keras_order_and_shapes(any_backend):
    layer = Dense(4)
    layer(minidl.tensor(np.zeros((1, 3), np.float32)))
    kernel, bias = layer.get_weights()
    assert kernel.shape == (3, 4) and bias.shape == (4,)
    assert isinstance(kernel, np.ndarray)
    new_kernel = np.arange(12, dtype=np.float32).reshape(3, 4)
    new_bias = np.array([1, 2, 3, 4], np.float32)
    layer.set_weights([new_kernel, new_bias])
    got = layer.get_weights()
    np.testing.assert_array_equal(got[0], new_kernel)
    np.testing.assert_array_equal(got[1], new_bias)
    got[0][0, 0] = 99  # get_weights returns copies
    assert layer.get_weights()[0][0, 0] == 0
    out = layer(minidl.tensor(np.ones((1, 3), np.float32)))
    np.testing.assert_array_equal(to_host(out), np.ones((1, 3)) @ new_kernel + new_bias)


def test_set_weights_wrong_count_names_layer_and_weights():
    clear_session()
    layer = Dense(4)
    layer(minidl.tensor(np.zeros((1, 3), np.float32)))
    with pytest.raises(ValueError, match=r"dense.set_weights: expected 2 arrays \(\['dense/kernel', 'dense/bias'\]\), got 1"):
        layer.set_weights([np.zeros((3, 4))])


def test_set_weights_wrong_shape_names_layer_and_weight():
    clear_session()
    layer = Dense(4)
    layer(minidl.tensor(np.zeros((1, 3), np.float32)))
    with pytest.raises(ValueError, match=r"dense.set_weights: dense/kernel has shape \(3, 4\), got an array of shape \(4, 3\)"):
        layer.set_weights([np.zeros((4, 3)), np.zeros(4)])
    np.testing.assert_array_equal(layer.get_weights()[1], np.zeros(4))  # nothing half-loaded


def test_config_round_trip_rebuilds_an_equivalent_layer():
    layer = Dense(7, activation="tanh", use_bias=False, kernel_initializer="he_normal", name="hidden",
                  input_shape=(5,), trainable=False)
    config = layer.get_config()
    assert config["name"] == "hidden" and config["units"] == 7 and config["trainable"] is False
    clone = Dense.from_config(config)
    assert clone.get_config() == config
    clone(minidl.tensor(np.zeros((1, 5), np.float32)))
    assert [w.shape for w in clone.weights] == [(5, 7)]


def test_symbolic_call_on_input_gives_symbolic_tensor_with_none_batch():
    inputs = Input(shape=(28, 28))
    assert isinstance(inputs, SymbolicTensor) and inputs.shape == (None, 28, 28)
    flat = Flatten()(inputs)
    dense = Dense(10)
    out = dense(flat)
    assert isinstance(out, SymbolicTensor)
    assert flat.shape == (None, 784) and out.shape == (None, 10)
    assert out.layer is dense and out.inputs == [flat]
    assert dense.built and dense.kernel.shape == (784, 10)
    assert dense.input_shape_seen == (None, 784) and dense.output_shape_seen == (None, 10)


def test_unknown_constructor_argument_names_the_layer_class():
    with pytest.raises(TypeError, match=r"Dense: unexpected argument\(s\) \['unitz'\]"):
        Dense(3, unitz=4)
    with pytest.raises(TypeError, match=r"Embedding: unexpected argument\(s\) \['mask'\]"):
        Embedding(3, 2, mask=True)
    with pytest.raises(TypeError, match=r"BatchNormalization: unexpected argument"):
        BatchNormalization(moment=0.9)


def test_dtype_and_float64_layers():
    minidl.set_floatx("float64")
    layer = Dense(2)
    layer(minidl.tensor(np.zeros((1, 3))))
    assert layer.kernel.dtype == np.float64
    assert Dense(2, dtype="float32").dtype == np.float32


@pytest.mark.parametrize("make, input_shape, call_shape", [
    (lambda: minidl.layers.Dense(2), (None, 3), (1, 3)),
    (lambda: minidl.layers.Embedding(5, 2), (None, 4), (1, 4)),
    (lambda: minidl.layers.LSTM(3), (None, 4, 2), (1, 4, 2)),
    (lambda: minidl.layers.Conv2D(2, 3), (None, 5, 5, 1), (1, 5, 5, 1)),
])
def test_a_built_in_layer_built_by_hand_keeps_the_weights_set_after(make, input_shape, call_shape):
    """layer.build(shape); layer.set_weights(...); layer(x): the call must not build again (it
    made fresh weights, and twice as many)."""
    layer = make()
    layer.build(input_shape)
    assert layer.built
    chosen = [np.full(w.shape, 0.5, np.float32) for w in layer.get_weights()]
    layer.set_weights(chosen)
    inputs = np.ones(call_shape, np.int32 if isinstance(layer, minidl.layers.Embedding) else np.float32)
    layer(inputs)
    assert len(layer.weights) == len(chosen)
    for got, wanted in zip(layer.get_weights(), chosen):
        np.testing.assert_array_equal(got, wanted)


def test_a_custom_layer_needs_only_build_and_call():
    class Scale(Layer):
        def build(self, input_shape):
            self.factor = self.add_weight("factor", (input_shape[-1],), "ones")

        def call(self, inputs, training=False):
            return inputs * self.factor

    clear_session()
    layer = Scale()
    out = layer(minidl.tensor(np.full((2, 3), 2.0, np.float32)))
    assert layer.name == "scale" and layer.count_params() == 3
    np.testing.assert_array_equal(to_host(out), np.full((2, 3), 2.0))


def test_layer_without_call_says_so():
    class Empty(Layer):
        pass

    with pytest.raises(NotImplementedError, match="Empty must define call"):
        Empty()(minidl.tensor(np.zeros((1, 1))))


def test_regularization_losses_collects_every_penalised_weight():
    layer = Dense(2, kernel_regularizer="l2", bias_regularizer="l1")
    layer(minidl.tensor(np.ones((1, 3), np.float32)))
    assert len(layer.regularization_losses()) == 2
    assert Activation("relu").regularization_losses() == []


def test_add_weight_takes_keras3_and_tf2_spellings():
    class Both(Layer):
        def build(self, input_shape):
            self.a = self.add_weight(shape=(input_shape[-1], 2), initializer="ones", trainable=True)
            self.b = self.add_weight((2,), "zeros")
            self.c = self.add_weight("scale", (1,), initializer="ones", trainable=False)

        def call(self, inputs):
            return inputs @ self.a + self.b

    clear_session()
    layer = Both()
    out = layer(minidl.tensor(np.ones((1, 3), np.float32)))
    np.testing.assert_array_equal(to_host(out), np.full((1, 2), 3.0))
    assert [w.name for w in layer.weights] == ["both/variable", "both/variable_1", "both/scale"]
    assert len(layer.trainable_weights) == 2
    with pytest.raises(TypeError, match=r"both.add_weight: shape is required"):
        layer.add_weight(name="oops")


def test_float64_host_data_is_cast_to_the_layer_dtype_as_keras_does():
    """``model(x_train / 255.0)`` (the quickstarts, custom training loops) computes in float32
    and returns float32 in Keras; integers, text and minidl Tensors keep their dtype."""
    from minidl.models import Model, Sequential

    x = np.random.default_rng(0).random((2, 4, 4))
    sequential = Sequential([Flatten(input_shape=(4, 4)), Dense(3)])
    assert sequential(x).dtype == np.float32 and Dense(2)(x[:, 0]).dtype == np.float32
    inputs = Input(shape=(4,))
    functional = Model(inputs, Dense(2)(inputs))
    assert functional(x[:, 0]).dtype == np.float32
    assert Embedding(5, 2)(np.array([[1, 4]])).dtype == np.float32
    explicit = minidl.tensor(x[:, 0])  # a minidl Tensor keeps its dtype (the low-level face)
    assert explicit.dtype == np.float64 and Dense(2)(explicit).dtype == np.float64
