"""Models as layers: Sequential, functional graphs, nesting, sharing, trainable capture."""

import numpy as np
import pytest

import minidl
from minidl.layers import Dense, Dropout, Flatten, Input, Reshape
from minidl.models.functional import Functional
from minidl.models.model import Model
from minidl.models.sequential import Sequential
from tests.test_summary import sine_gan


def _changed(before, after):
    return [not np.array_equal(a, b) for a, b in zip(before, after)]


def test_model_constructor_returns_functional_and_runs_graph_in_order():
    inputs = Input(shape=(3,))
    hidden = Dense(4, activation="relu")(inputs)
    outputs = Dense(2)(hidden)
    model = Model(inputs, outputs)
    assert isinstance(model, Functional)
    x = np.random.default_rng(0).standard_normal((5, 3)).astype("float32")
    kernel1, bias1, kernel2, bias2 = model.get_weights()
    expected = np.maximum(x @ kernel1 + bias1, 0) @ kernel2 + bias2
    np.testing.assert_allclose(model.predict(x), expected, rtol=1e-5, atol=1e-6)


def test_shared_layer_weights_counted_once_and_multiple_inputs_outputs():
    a, b = Input(shape=(4,)), Input(shape=(4,))
    shared = Dense(3)
    model = Model([a, b], [shared(a), shared(b)])
    assert len(model.weights) == 2
    x1, x2 = np.ones((2, 4), "float32"), np.zeros((2, 4), "float32")
    out1, out2 = model.predict([x1, x2])
    kernel, bias = shared.get_weights()
    np.testing.assert_allclose(out1, x1 @ kernel + bias, rtol=1e-6)
    np.testing.assert_allclose(out2, np.broadcast_to(bias, (2, 3)), rtol=1e-6)


def test_graph_disconnected_is_a_clear_error():
    a, b = Input(shape=(2,)), Input(shape=(2,))
    out = Dense(1)(b)
    with pytest.raises(ValueError, match="graph disconnected"):
        Model(a, out)


def test_layers_sharing_a_name_are_refused_as_keras_does():
    """Two layers named alike would collide in get_layer and in every saved file."""
    inputs = Input((3,))
    outputs = Dense(2, name="x")(Dense(2, name="x")(inputs))
    with pytest.raises(ValueError, match=r"the layer name 'x' is used 2 times; all layers of a model need unique"):
        Model(inputs, outputs)
    shared = Dense(3, name="shared")  # one layer called twice is one name
    assert Model(inputs, shared(shared(inputs))).count_params() == 12


def test_sequential_builds_from_input_and_lazily_from_data():
    from_input = Sequential([Input(shape=(3,)), Dense(2)])
    assert from_input.built and from_input.output_shape == (None, 2)
    lazy = Sequential([Dense(4), Dense(1)])
    assert not lazy.built
    out = lazy.predict(np.zeros((6, 5), "float32"))
    assert out.shape == (6, 1) and lazy.built and lazy.count_params() == 5 * 4 + 4 + 5
    with pytest.raises(TypeError, match="expected a Layer"):
        lazy.add("dense")


def test_nested_model_shares_weights_and_trainable_propagates():
    inner = Sequential([Dense(3, input_dim=2), Dense(2)])
    outer = Sequential([inner, Dense(1)])
    assert outer.weights[0] is inner.weights[0]
    inner.trainable = False
    assert len(outer.trainable_weights) == 2 and len(outer.non_trainable_weights) == 4
    assert not inner.layers[0].trainable
    outer.trainable = False
    assert outer.trainable_weights == []


def test_gan_trainable_capture_semantics():
    minidl.set_seed(1)
    generator, discriminator = sine_gan()
    discriminator.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    discriminator.trainable = False
    gan = Sequential([generator, discriminator])
    gan.compile(optimizer="adam", loss="binary_crossentropy")
    rng = np.random.default_rng(0)
    real = rng.standard_normal((16, 2)).astype("float32")
    labels = np.ones((16, 1), "float32")

    before = discriminator.get_weights()
    discriminator.train_on_batch(real, labels)
    assert all(_changed(before, discriminator.get_weights()))  # still trains in its own step

    d_before, g_before = discriminator.get_weights(), generator.get_weights()
    gan.train_on_batch(rng.standard_normal((16, 10)).astype("float32"), labels)
    assert not any(_changed(d_before, discriminator.get_weights()))  # frozen inside the GAN
    assert all(_changed(g_before, generator.get_weights()))
    # weights' own flags are restored after each step
    assert all(not w.requires_grad for w in discriminator.weights)


def test_recompiling_captures_current_trainable_state():
    model = Sequential([Dense(2, input_dim=2), Dense(1)])
    model.layers[0].trainable = False
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.ones((4, 2), "float32"), np.zeros((4, 1), "float32")
    first = model.layers[0].get_weights()
    model.train_on_batch(x, y)
    assert not any(_changed(first, model.layers[0].get_weights()))
    model.layers[0].trainable = True
    model.train_on_batch(x, y)
    assert not any(_changed(first, model.layers[0].get_weights()))  # not re-compiled yet
    model.compile(optimizer="sgd", loss="mse")
    model.train_on_batch(x, y)
    assert all(_changed(first, model.layers[0].get_weights()))


def test_subclassed_model_tracks_layers_and_trains():
    class TwoLayer(Model):
        def __init__(self):
            super().__init__()
            self.hidden = Dense(8, activation="relu")
            self.out = Dense(1)

        def call(self, inputs, training=False):
            return self.out(self.hidden(inputs))

    model = TwoLayer()
    model.compile(optimizer="adam", loss="mse")
    x = np.random.default_rng(0).standard_normal((32, 3)).astype("float32")
    history = model.fit(x, x[:, :1], epochs=2, verbose=0)
    assert len(model.weights) == 4 and len(history.history["loss"]) == 2


def test_regularization_penalty_is_in_the_reported_loss():
    minidl.set_seed(0)
    model = Sequential([Dense(1, input_dim=3, kernel_regularizer="l2", kernel_initializer="ones")])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.zeros((4, 3), "float32"), np.zeros((4, 1), "float32")
    assert model.test_on_batch(x, y) == pytest.approx(0.01 * 3, rel=1e-6)
    assert model.evaluate(x, y, verbose=0) == pytest.approx(0.01 * 3, rel=1e-6)


def test_dropout_only_while_training():
    model = Sequential([Dropout(0.5, input_shape=(100,))])
    x = np.ones((4, 100), "float32")
    np.testing.assert_array_equal(model.predict(x), x)
    np.testing.assert_array_equal(model.predict_on_batch(x), x)


def test_flatten_reshape_roundtrip_and_get_layer():
    model = Sequential([Flatten(input_shape=(2, 3)), Reshape((3, 2), name="back")])
    assert model.get_layer("back").name == "back"
    x = np.arange(12, dtype="float32").reshape(2, 2, 3)
    np.testing.assert_array_equal(model.predict(x), x.reshape(2, 3, 2))


def test_model_loss_is_what_compile_was_given_as_in_keras():
    model = Sequential([Dense(1, input_shape=(2,))])
    assert model.loss is None
    model.compile(optimizer="sgd", loss="mse")
    assert model.loss == "mse"
    mae = minidl.losses.MeanAbsoluteError()
    model.compile(optimizer="sgd", loss=mae)
    assert model.loss is mae


def test_a_dict_of_outputs_comes_back_as_a_dict_and_names_the_outputs():
    """Keras: Model(inputs, {'cls': ..., 'reg': ...}) returns that dict from a call, predict and
    .output, and compile, fit and the logs know the outputs by its keys."""
    inputs = Input((4,))
    hidden = Dense(8, activation="relu")(inputs)
    model = Model(inputs, {"reg": Dense(1, name="d_reg")(hidden), "cls": Dense(3, activation="softmax", name="d_cls")(hidden)})
    x = np.ones((8, 4), np.float32)
    assert list(model.output) == ["reg", "cls"] and list(model(x)) == ["reg", "cls"]
    predicted = model.predict(x, verbose=0)
    assert {key: value.shape for key, value in predicted.items()} == {"reg": (8, 1), "cls": (8, 3)}
    model.compile(optimizer="adam", loss={"cls": "sparse_categorical_crossentropy", "reg": "mse"},
                  metrics={"cls": ["accuracy"]})
    history = model.fit(x, {"cls": np.zeros(8), "reg": np.ones(8)}, epochs=1, verbose=0)
    assert sorted(history.history) == ["cls_accuracy", "cls_loss", "loss", "reg_loss"]
    copy = Functional.from_config(model.get_config())
    assert list(copy.predict(x, verbose=0)) == ["reg", "cls"]
