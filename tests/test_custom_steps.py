"""Keras-3-style customisation (issue #16): train_step / test_step / predict_step / compute_loss
overrides driven by fit / evaluate / predict, the metrics property, add_loss / add_metric, and
call signatures inspected for ``training`` and ``mask``.

The steps here use minidl's own autograd (``loss.backward()``, ``.grad``); the tf.GradientTape
form of the same code is tested with the TensorFlow face."""

import numpy as np
import pytest

import minidl
from minidl import losses, metrics, ops, optimizers
from minidl.autograd.function import no_grad
from minidl.layers import Dense, Dropout, Embedding, Input, Layer
from minidl.layers.base import clear_session
from minidl.models.model import Model
from minidl.models.sequential import Sequential


def _gradients(loss, weights):
    """d loss / d weights with minidl's autograd (the tape's job in the TensorFlow face)."""
    for weight in weights:
        weight.grad = None
    loss.backward()
    grads = [weight.grad for weight in weights]
    for weight in weights:
        weight.grad = None
    return grads


def _regression_data(rows=64):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((rows, 3)).astype("float32")
    return x, (x @ np.array([[1.0], [-2.0], [0.5]], "float32") + 0.3).astype("float32")


# -- train_step / test_step / predict_step ---------------------------------------------------------

class ExplicitStep(Model):
    """tf.keras 2's "customizing what happens in fit" model: the default step written out."""

    def train_step(self, data):
        x, y = data
        y_pred = self(x, training=True)
        loss = self.compiled_loss(y, y_pred, regularization_losses=self.losses)
        weights = self.trainable_weights
        self.optimizer.apply_gradients(zip(_gradients(loss, weights), weights))
        self.compiled_metrics.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


class Keras3Step(Model):
    """Keras 3's version: compute_loss, then every metric of model.metrics updated by name."""

    def train_step(self, data):
        x, y = data
        y_pred = self(x, training=True)
        loss = self.compute_loss(y=y, y_pred=y_pred)
        weights = self.trainable_weights
        self.optimizer.apply_gradients(zip(_gradients(loss, weights), weights))
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


def _functional(cls):
    minidl.set_seed(3)
    clear_session()
    inputs = Input(shape=(3,))
    model = cls(inputs, Dense(1)(Dense(4, activation="tanh")(inputs)))
    model.compile(optimizer=optimizers.SGD(learning_rate=0.05), loss="mse", metrics=["mae"])
    return model


@pytest.mark.parametrize("cls", [ExplicitStep, Keras3Step])
def test_an_overridden_train_step_matches_the_default_path(cls):
    x, y = _regression_data()
    default, custom = _functional(Model), _functional(cls)
    custom.set_weights(default.get_weights())
    expected = default.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0).history
    got = custom.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0).history
    assert list(got) == ["loss", "mae"]
    for key in expected:
        np.testing.assert_allclose(got[key], expected[key], rtol=1e-5)
    for a, b in zip(custom.get_weights(), default.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert expected["loss"][-1] < expected["loss"][0]


def test_steps_receive_batches_as_keras_packs_them():
    seen = []

    class Recorder(Model):
        def __init__(self):
            super().__init__()
            self.dense = Dense(1)

        def call(self, inputs):
            return self.dense(inputs)

        def train_step(self, data):
            seen.append(data)
            return {"batch_rows": float(len(minidl.models.data_adapter.unpack_x_y_sample_weight(data)[0]))}

    model = Recorder()
    model.compile()
    x, y = _regression_data(10)
    model.fit(x, batch_size=4, shuffle=False, verbose=0)
    assert isinstance(seen[0], minidl.Tensor) and seen[0].shape == (4, 3)  # x alone, not (x,)
    seen.clear()
    model.fit(x, y, batch_size=4, shuffle=False, verbose=0)
    assert isinstance(seen[0], tuple) and len(seen[0]) == 2 and seen[0][1].shape == (4, 1)
    seen.clear()
    history = model.fit(x, y, sample_weight=np.ones(10), batch_size=4, shuffle=False, verbose=0)
    assert len(seen[0]) == 3 and seen[0][2].shape == (4,)
    assert history.history == {"batch_rows": [2.0]}  # the epoch's logs are the last step's
    assert not model.built  # fit did not run the model: the step decides what runs


class GAN(Model):
    """keras-io's GAN, with minidl's autograd where keras-io uses tf.GradientTape."""

    def __init__(self, discriminator, generator, latent_dim):
        super().__init__()
        self.discriminator = discriminator
        self.generator = generator
        self.latent_dim = latent_dim
        self.d_loss_tracker = metrics.Mean(name="d_loss")
        self.g_loss_tracker = metrics.Mean(name="g_loss")

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker]

    def compile(self, d_optimizer, g_optimizer, loss_fn):
        super().compile()
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.loss_fn = loss_fn

    def train_step(self, real):
        batch_size = real.shape[0]
        noise = minidl.tensor(np.random.default_rng(batch_size).standard_normal((batch_size, self.latent_dim)),
                              dtype="float32")
        with no_grad():
            fake = self.generator(noise)
        combined = ops.concatenate([fake, real], axis=0)
        labels = minidl.tensor(np.concatenate([np.ones((batch_size, 1)), np.zeros((batch_size, 1))]), dtype="float32")
        d_loss = self.loss_fn(labels, self.discriminator(combined))
        d_weights = self.discriminator.trainable_weights
        self.d_optimizer.apply_gradients(zip(_gradients(d_loss, d_weights), d_weights))

        misleading = minidl.tensor(np.zeros((batch_size, 1)), dtype="float32")
        g_loss = self.loss_fn(misleading, self.discriminator(self.generator(noise)))
        g_weights = self.generator.trainable_weights
        self.g_optimizer.apply_gradients(zip(_gradients(g_loss, g_weights), g_weights))
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        return {"d_loss": self.d_loss_tracker.result(), "g_loss": self.g_loss_tracker.result()}


def test_the_keras_io_gan_pattern_trains_through_fit():
    minidl.set_seed(0)
    discriminator = Sequential([Dense(8, activation="relu", input_dim=2), Dense(1, activation="sigmoid")])
    generator = Sequential([Dense(8, activation="relu", input_dim=4), Dense(2)])
    gan = GAN(discriminator, generator, latent_dim=4)
    gan.compile(d_optimizer=optimizers.Adam(1e-3), g_optimizer=optimizers.Adam(1e-3),
                loss_fn=losses.BinaryCrossentropy())
    assert gan.layers == [discriminator, generator] and len(gan.trainable_weights) == 8
    real = np.random.default_rng(1).standard_normal((64, 2)).astype("float32")
    d_before, g_before = discriminator.get_weights(), generator.get_weights()
    history = gan.fit(real, batch_size=16, epochs=2, verbose=0)
    assert list(history.history) == ["d_loss", "g_loss"] and len(history.history["d_loss"]) == 2
    assert all(not np.array_equal(a, b) for a, b in zip(d_before, discriminator.get_weights()))
    assert all(not np.array_equal(a, b) for a, b in zip(g_before, generator.get_weights()))
    # the trackers were reset at the start of epoch 2: each holds that epoch's 4 batches only
    assert float(minidl.backend.to_numpy(gan.d_loss_tracker.count)) == 4.0


def test_metrics_are_reset_at_every_epoch_start():
    resets = []

    class Counting(metrics.Mean):
        def reset_state(self):
            resets.append(1)
            super().reset_state()

    class Tracked(Model):
        def __init__(self):
            super().__init__()
            self.dense = Dense(1)
            self.seen = Counting(name="rows")

        def call(self, inputs):
            return self.dense(inputs)

        def train_step(self, data):
            self.seen.update_state(np.ones(len(data)))
            return {"rows": self.seen.result()}

    model = Tracked()
    model.compile()
    assert model.metrics[-1] is model.seen  # a metric assigned as an attribute is tracked (Keras 3)
    resets.clear()
    history = model.fit(np.zeros((12, 2), "float32"), batch_size=4, epochs=3, verbose=0)
    assert len(resets) == 3 and history.history["rows"] == [1.0, 1.0, 1.0]


def test_test_step_and_predict_step_overrides():
    class Custom(Model):
        def __init__(self):
            super().__init__()
            self.dense = Dense(2, kernel_initializer="ones", bias_initializer="zeros")

        def call(self, inputs):
            return self.dense(inputs)

        def test_step(self, data):
            x, y = data
            error = ops.mean(ops.abs(self(x) - y))
            return {"abs_error": error, "rows": len(x)}

        def predict_step(self, data):
            outputs = self(data)
            return {"sum": outputs, "first": outputs[:, :1]}

    model = Custom()
    model.compile(optimizer="sgd", loss="mse")
    x = np.ones((10, 3), "float32")
    assert model.evaluate(x, np.full((10, 2), 1.0, "float32"), batch_size=4, verbose=0, return_dict=True) == {
        "abs_error": pytest.approx(2.0), "rows": 2.0}
    predicted = model.predict(x, batch_size=4)
    assert set(predicted) == {"sum", "first"} and predicted["sum"].shape == (10, 2)
    np.testing.assert_allclose(predicted["first"], np.full((10, 1), 3.0))
    history = model.fit(x, np.full((10, 2), 3.0, "float32"), validation_data=(x, np.zeros((10, 2), "float32")),
                        verbose=0)
    assert set(history.history) == {"loss", "val_abs_error", "val_rows"}
    assert model.test_on_batch(x, np.zeros((10, 2), "float32"), return_dict=True)["rows"] == 10.0
    assert model.predict_on_batch(x)["sum"].shape == (10, 2)


def test_super_train_step_runs_the_default_step():
    calls = []

    class Wrapped(Model):
        def train_step(self, data):
            calls.append(1)
            return super().train_step(data)

    x, y = _regression_data()
    default, wrapped = _functional(Model), _functional(Wrapped)
    wrapped.set_weights(default.get_weights())
    expected = default.fit(x, y, batch_size=16, shuffle=False, verbose=0).history
    got = wrapped.fit(x, y, batch_size=16, shuffle=False, verbose=0).history
    assert len(calls) == 4 and got.keys() == expected.keys()
    assert all(got[key] == pytest.approx(expected[key]) for key in expected)


def test_a_step_returning_no_dict_is_named():
    class Bad(Model):
        def call(self, inputs):
            return inputs

        def train_step(self, data):
            return 3.0

    model = Bad()
    model.compile()
    with pytest.raises(TypeError, match=r"train_step must return a dict of logs"):
        model.fit(np.zeros((4, 1)), verbose=0)


# -- compute_loss ----------------------------------------------------------------------------------

def test_an_overridden_compute_loss_drives_the_default_steps():
    class HalfSquares(Model):
        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None):
            return ops.mean(ops.square(y_pred - y)) * 0.5 + sum(self.losses, minidl.tensor(0.0))

    x, y = _regression_data()
    default, custom = _functional(Model), _functional(HalfSquares)
    default.compile(optimizer=optimizers.SGD(learning_rate=0.025), loss="mse")  # half the step of half the loss
    custom.set_weights(default.get_weights())
    expected = default.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0).history["loss"]
    got = custom.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(np.array(got) * 2, expected, rtol=1e-5)
    for a, b in zip(custom.get_weights(), default.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert custom.evaluate(x, y, verbose=0, return_dict=True)["loss"] == pytest.approx(
        default.evaluate(x, y, verbose=0) / 2, rel=1e-5)


def test_compute_loss_keyword_api_and_regularisation():
    clear_session()
    model = Sequential([Dense(1, input_dim=2, kernel_initializer="ones", kernel_regularizer="l2")])
    model.compile(optimizer="sgd", loss="mse")
    y_pred = model(np.ones((4, 2), "float32"))
    loss = model.compute_loss(x=None, y=np.zeros((4, 1), "float32"), y_pred=y_pred)
    assert float(loss.numpy()) == pytest.approx(4.0 + 0.01 * 2)


# -- call signatures, training inheritance, masks --------------------------------------------------

def test_a_call_without_training_works_and_inner_layers_inherit_training():
    class Doubling(Layer):
        def call(self, inputs):
            return inputs * 2.0

    class NoisyBlock(Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dropout = Dropout(0.5)

        def call(self, inputs):  # no training argument: the Dropout inside follows fit/predict
            return self.dropout(inputs)

    clear_session()
    model = Sequential([Doubling(input_shape=(200,)), NoisyBlock()])
    x = np.ones((8, 200), "float32")
    np.testing.assert_array_equal(model.predict(x), 2 * x)
    seen = []
    with minidl.layers.base.capture_outputs(lambda layer, out: seen.append((layer.name, out.numpy()))):
        model(x, training=True)
    dropped = dict(seen)["noisy_block"]
    assert (dropped == 0).mean() == pytest.approx(0.5, abs=0.1) and set(np.unique(dropped)) <= {0.0, 4.0}


def test_training_and_mask_are_passed_where_call_takes_them():
    received = {}

    class Probe(Layer):
        def call(self, inputs, training=None, mask=None):
            received["training"], received["mask"] = training, mask
            return inputs

    clear_session()
    probe = Probe()
    model = Sequential([Embedding(5, 2, input_length=3, mask_zero=True), probe])
    model.predict(np.array([[1, 2, 0]]))
    assert received["training"] is False
    np.testing.assert_array_equal(minidl.backend.to_numpy(received["mask"]), [[True, True, False]])
    model(np.array([[1, 0, 0]]), training=True)
    assert received["training"] is True


# -- add_loss, add_metric, losses -----------------------------------------------------------------------

class ActivityPenalty(Layer):
    """Adds rate * mean(inputs^2) as a loss and reports the mean activation (tf.keras 2 style)."""

    def __init__(self, rate, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate

    def call(self, inputs):
        self.add_loss(self.rate * ops.mean(ops.square(inputs)))
        self.add_metric(ops.mean(inputs), name="mean_activation")
        return inputs


def test_added_losses_join_the_training_loss_and_are_not_accumulated():
    clear_session()
    model = Sequential([Dense(1, input_dim=2, kernel_initializer="ones", use_bias=False), ActivityPenalty(0.5)])
    model.compile(optimizer=optimizers.SGD(learning_rate=0.0), loss="mse")
    x, y = np.ones((4, 2), "float32"), np.zeros((4, 1), "float32")
    history = model.fit(x, y, batch_size=2, epochs=2, verbose=0).history
    assert history["loss"] == pytest.approx([4.0 + 0.5 * 4.0] * 2)  # mse 4, penalty 0.5 * 4
    assert history["mean_activation"] == pytest.approx([2.0, 2.0])
    model(x)
    model(x)
    assert len(model.losses) == 1  # the last forward pass only
    assert float(model.losses[0].numpy()) == pytest.approx(2.0)
    assert model.evaluate(x, y, verbose=0, return_dict=True) == pytest.approx(
        {"loss": 6.0, "mean_activation": 2.0})


def test_added_losses_change_the_gradient():
    clear_session()
    plain = Sequential([Dense(1, input_dim=2, kernel_initializer="ones", use_bias=False)])
    penalised = Sequential([Dense(1, input_dim=2, kernel_initializer="ones", use_bias=False),
                            ActivityPenalty(1.0)])
    for model in (plain, penalised):
        model.compile(optimizer=optimizers.SGD(learning_rate=0.1), loss="mse")
        model.train_on_batch(np.ones((4, 2), "float32"), np.full((4, 1), 2.0, "float32"))
    assert plain.get_weights()[0][0, 0] == pytest.approx(1.0)  # at the mse minimum already
    assert penalised.get_weights()[0][0, 0] == pytest.approx(1.0 - 0.1 * 2 * 2)  # d(mean(h^2))/dw = 2h = 4


def test_add_loss_of_a_callable_is_evaluated_at_every_step():
    clear_session()
    layer = Dense(1, input_dim=1, kernel_initializer="ones", use_bias=False)
    model = Sequential([layer])
    model.add_loss(lambda: ops.sum(ops.square(layer.kernel)))
    model.compile(optimizer="sgd", loss="mse")
    assert model.test_on_batch(np.zeros((2, 1), "float32"), np.zeros((2, 1), "float32")) == pytest.approx(1.0)
    layer.set_weights([np.full((1, 1), 3.0)])
    assert model.test_on_batch(np.zeros((2, 1), "float32"), np.zeros((2, 1), "float32")) == pytest.approx(9.0)


# -- Sequential structure and subclassed build -------------------------------------------------

def test_sequential_add_pop_build_inputs_outputs_get_layer():
    clear_session()
    model = Sequential()
    with pytest.raises(AttributeError, match="has no defined inputs yet"):
        _ = model.inputs
    model.add(Dense(4))
    model.add(Dense(2))
    assert not model.built
    model.build((None, 3))
    assert model.built and model.inputs[0].shape == (None, 3) and model.outputs[0].shape == (None, 2)
    with pytest.raises(ValueError, match=r"already been configured to use input shape \(None, 3\)"):
        model.build((None, 5))
    popped = model.pop()
    assert popped.name == "dense_1" and [layer.name for layer in model.layers] == ["dense"]
    assert model.outputs[0].shape == (None, 4) and model.output_shape == (None, 4)
    assert model.predict(np.zeros((2, 3), "float32")).shape == (2, 4)
    model.add(Dense(1, name="head"))
    assert model.get_layer("head") is model.layers[-1] and model.get_layer(index=0).name == "dense"
    with pytest.raises(ValueError, match=r"No such layer: tail. Existing layers are: \['dense', 'head'\]"):
        model.get_layer("tail")
    with pytest.raises(ValueError, match="but model only has 2 layers"):
        model.get_layer(index=2)
    with pytest.raises(ValueError, match="Provide either a layer name or layer index"):
        model.get_layer()
    model.pop()
    model.pop()
    with pytest.raises(TypeError, match="no layers"):
        model.pop()


def test_popping_after_compile_trains_the_remaining_layers_only():
    clear_session()
    model = Sequential([Dense(3, input_dim=2), Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.pop()
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.ones((4, 2), "float32"), np.ones((4, 3), "float32"), verbose=0)
    assert len(model.trainable_weights) == 2


def test_a_subclassed_model_builds_from_a_shape():
    class Tower(Model):
        def __init__(self):
            super().__init__()
            self.hidden = Dense(5)
            self.out = Dense(2)

        def call(self, inputs, training=False):
            return self.out(self.hidden(inputs))

    clear_session()
    model = Tower()
    model.build((None, 3))
    assert model.built and model.count_params() == 3 * 5 + 5 + 5 * 2 + 2
    lines = []
    model.summary(print_fn=lines.append)
    assert "Total params: 32" in lines


def test_a_train_step_written_with_keras_helpers_unpacks_data_and_returns_get_metrics_result():
    import minidl.keras as keras
    import minidl.tf as tf
    from minidl.tf.keras.engine import data_adapter

    seen = []

    class Stepped(keras.Model):
        def train_step(self, data):
            x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
            assert data_adapter.unpack_x_y_sample_weight(data)[2] is sample_weight
            seen.append(sample_weight is not None)
            with tf.GradientTape() as tape:
                y_pred = self(x, training=True)
                loss = self.compute_loss(y=y, y_pred=y_pred, sample_weight=sample_weight)
            self.optimizer.apply(tape.gradient(loss, self.trainable_variables), self.trainable_variables)
            for metric in self.metrics:
                metric.update_state(loss) if metric.name == "loss" else metric.update_state(y, y_pred)
            return self.get_metrics_result()

    inputs = keras.Input(shape=(3,))
    model = Stepped(inputs, keras.layers.Dense(1)(inputs))
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    x, y = np.ones((8, 3), "float32"), np.zeros((8, 1), "float32")
    history = model.fit(x, y, sample_weight=np.ones(8), batch_size=4, epochs=1, verbose=0)
    assert sorted(history.history) == ["loss", "mae"] and seen == [True, True]
    assert keras.utils.pack_x_y_sample_weight(x, y) == (x, y) and keras.utils.pack_x_y_sample_weight(x) is x
