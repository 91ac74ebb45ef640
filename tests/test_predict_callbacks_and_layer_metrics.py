"""``predict(x, callbacks=[...])`` calls the predict hooks as Keras 3 does, and metric objects
held by layers (keras.io's layer-subclassing guide's ``LogisticEndpoint``) are ``Layer.metrics``,
part of ``Model.metrics`` and of the logs of fit and evaluate, reset at every epoch."""

import numpy as np
import pytest

import minidl.keras as keras
from minidl.keras import ops

X = np.arange(15, dtype="float32").reshape(5, 3) / 10


class Recorder(keras.callbacks.Callback):
    """Every predict hook it is called with, and the logs it got."""

    def __init__(self, stop_after=None):
        super().__init__()
        self.events = []
        self.stop_after = stop_after

    def on_predict_begin(self, logs=None):
        self.events.append(("begin", logs))

    def on_predict_batch_begin(self, batch, logs=None):
        self.events.append(("batch_begin", batch, logs))

    def on_predict_batch_end(self, batch, logs=None):
        self.events.append(("batch_end", batch, logs))
        if batch == self.stop_after:
            self.model.stop_predicting = True

    def on_predict_end(self, logs=None):
        self.events.append(("end", logs))


def _model(outputs="single"):
    inputs = keras.Input(shape=(3,))
    first, second = keras.layers.Dense(2)(inputs), keras.layers.Dense(1)(inputs)
    chosen = {"single": first, "list": [first, second], "dict": {"p": first, "q": second}}[outputs]
    return keras.Model(inputs, chosen)


def test_predict_calls_the_predict_hooks_with_each_batch_outputs():
    model = _model()
    recorder = Recorder()
    predicted = model.predict(X, batch_size=2, callbacks=[recorder], verbose=0)
    assert recorder.model is model and recorder.params == {"verbose": 0, "epochs": 1, "steps": 3}
    assert [event[0] for event in recorder.events] == [
        "begin", "batch_begin", "batch_end", "batch_begin", "batch_end", "batch_begin", "batch_end", "end"]
    assert recorder.events[0] == ("begin", {}) and recorder.events[-1] == ("end", {})
    ends = [event for event in recorder.events if event[0] == "batch_end"]
    assert [batch for _, batch, _ in ends] == [0, 1, 2]
    assert all(event[2] == {} for event in recorder.events if event[0] == "batch_begin")
    outputs = [logs["outputs"] for _, _, logs in ends]
    assert all(isinstance(batch, np.ndarray) for batch in outputs) and [len(b) for b in outputs] == [2, 2, 1]
    np.testing.assert_array_equal(np.concatenate(outputs), predicted)


def test_several_outputs_are_a_list_and_named_outputs_are_the_logs_themselves():
    recorder = Recorder()
    first, second = _model("list").predict(X, batch_size=4, callbacks=[recorder], verbose=0)
    logs = [event[2] for event in recorder.events if event[0] == "batch_end"]
    assert [type(log["outputs"]) for log in logs] == [list, list]
    np.testing.assert_array_equal(np.concatenate([log["outputs"][1] for log in logs]), second)

    recorder = Recorder()
    named = _model("dict").predict(X, batch_size=4, callbacks=[recorder], verbose=0)
    logs = [event[2] for event in recorder.events if event[0] == "batch_end"]
    assert [sorted(log) for log in logs] == [["p", "q"], ["p", "q"]]  # as Keras 3's logs: no "outputs" key
    np.testing.assert_array_equal(np.concatenate([log["q"] for log in logs]), named["q"])


def test_a_callback_can_stop_predict():
    model = _model()
    predicted = model.predict(X, batch_size=2, callbacks=[Recorder(stop_after=0)], verbose=0)
    np.testing.assert_array_equal(predicted, model.predict(X[:2], verbose=0))


def test_a_callback_without_batch_hooks_still_sees_begin_and_end():
    class Ends(keras.callbacks.Callback):
        seen = []

        def on_predict_begin(self, logs=None):
            self.seen.append("begin")

        def on_predict_end(self, logs=None):
            self.seen.append("end")

    callback = Ends()
    _model().predict(X, callbacks=callback, verbose=0)
    assert callback.seen == ["begin", "end"]


# -- metrics held by layers ------------------------------------------------------------------------

class LogisticEndpoint(keras.layers.Layer):
    """keras.io's "Making new layers and models via subclassing", Keras 3 version."""

    def __init__(self, name=None):
        super().__init__(name=name)
        self.loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)
        self.accuracy_fn = keras.metrics.BinaryAccuracy()

    def call(self, targets, logits, sample_weights=None):
        loss = self.loss_fn(targets, logits, sample_weights)
        self.add_loss(loss)
        self.accuracy_fn.update_state(targets, logits, sample_weights)
        return ops.softmax(logits)


def _endpoint_model():
    inputs = keras.Input(shape=(3,), name="inputs")
    targets = keras.Input(shape=(10,), name="targets")
    logits = keras.layers.Dense(10)(inputs)
    predictions = LogisticEndpoint(name="predictions")(targets, logits)
    return keras.Model(inputs=[inputs, targets], outputs=predictions)


def test_the_guide_s_logistic_endpoint_logs_its_accuracy():
    model = _endpoint_model()
    model.compile(optimizer="adam")
    rng = np.random.default_rng(0)
    data = {"inputs": rng.random((8, 3)), "targets": rng.integers(0, 2, (8, 10)).astype("float32")}
    endpoint = model.get_layer("predictions")
    assert endpoint.metrics == [endpoint.accuracy_fn]
    assert [metric.name for metric in model.metrics] == ["loss", "binary_accuracy"] == model.metrics_names

    history = model.fit(data, epochs=2, verbose=0)
    assert sorted(history.history) == ["binary_accuracy", "loss"]  # what Keras 3 logs
    kernel, bias = model.get_layer(index=2).get_weights()
    logits = data["inputs"] @ kernel + bias
    expected = np.mean((logits > 0.5) == data["targets"])
    results = model.evaluate(data, verbose=0, return_dict=True)
    assert results["binary_accuracy"] == pytest.approx(expected, abs=1e-6)
    assert list(results) == ["loss", "binary_accuracy"]  # after the compiled ones


class CountingLayer(keras.layers.Layer):
    """Counts the rows it sees in a metric: the count shows each reset."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.counters = [keras.metrics.TruePositives(name="rows")]

    def call(self, inputs):
        ones = ops.ones_like(inputs[:, :1])
        self.counters[0].update_state(ones, ones)
        return inputs


class Holder(keras.layers.Layer):
    """A layer whose metric is held by its sublayer."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.inner = CountingLayer()

    def call(self, inputs):
        return self.inner(inputs)


def test_layer_metrics_are_reset_every_epoch_and_counted_once():
    inputs = keras.Input(shape=(3,))
    holder = Holder()
    model = keras.Model(inputs, keras.layers.Dense(1)(holder(inputs)))
    counter = holder.inner.counters[0]
    assert holder.metrics == [counter] and keras.layers.Dense(2).metrics == []
    model.compile(optimizer="sgd", loss="mse", metrics=[counter])  # compiled and held: still once
    x, y = np.ones((12, 3), "float32"), np.zeros((12, 1), "float32")
    history = model.fit(x, y, batch_size=5, epochs=3, verbose=0)
    assert history.history["rows"] == [12.0, 12.0, 12.0]
    assert model.metrics_names == ["loss", "rows"] and [m.name for m in model.metrics] == ["loss", "rows"]
    assert model.evaluate(x, y, verbose=0, return_dict=True)["rows"] == 12.0


def test_a_model_s_own_metrics_come_before_those_of_its_layers():
    class Tracked(keras.Model):
        def __init__(self):
            super().__init__()
            self.counting = CountingLayer()
            self.tracker = keras.metrics.Mean(name="tracker")

        def call(self, inputs):
            return self.counting(inputs)

    model = Tracked()
    model(X)
    assert [m.name for m in model.metrics] == ["tracker", "rows"]
