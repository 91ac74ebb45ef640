"""What Keras/TensorFlow lab code does with metric results and learning rates.

* ``metric.result()`` is a Tensor, as Keras's is: the custom training loop's
  ``train_acc_metric.result().numpy()``, ``float(...)``, ``f"{...:.4f}"`` and comparisons work,
  while ``history`` and ``evaluate`` keep giving Python floats;
* ``keras.metrics.mean_absolute_error(x_valid, forecast).numpy()`` (the TF course's time-series
  lab) and the other metric functions return Tensors; used in ``metrics=[...]`` they still run
  as the fast per-sample functions;
* ``optimizer.learning_rate.assign(0.001)`` and ``.numpy()`` work on a fixed rate;
* ReduceLROnPlateau and LearningRateScheduler put the rate into ``history`` under Keras 3's
  ``'learning_rate'`` and Keras 2's ``'lr'``.
"""

import csv
import json
import pickle

import numpy as np
import pytest

import minidl
import minidl.keras as keras
import minidl.tf as tf
from minidl import backend, callbacks, metrics, optimizers, schedules
from minidl.autograd.tensor import Tensor

# -- metric results ---------------------------------------------------------------------------


def _updated(metric, kind):
    if kind == "values":
        metric.update_state(np.array([0.25, 0.75, 1.0]))
    elif kind == "sparse":
        metric.update_state(np.array([0, 1, 1]), np.array([[0.9, 0.1], [0.2, 0.8], [0.7, 0.3]]))
    else:
        metric.update_state(np.array([[0.0], [1.0], [1.0], [0.0]]), np.array([[0.2], [0.9], [0.4], [0.6]]))
    return metric


RESULTS = [  # (make, kind, expected result)
    (lambda: metrics.Mean(), "values", 2.0 / 3.0),
    (lambda: metrics.BinaryAccuracy(), "binary", 0.5),
    (lambda: metrics.SparseCategoricalAccuracy(), "sparse", 2.0 / 3.0),
    (lambda: metrics.get("accuracy"), "binary", 0.5),
    (lambda: metrics.MeanSquaredError(), "binary", (0.04 + 0.01 + 0.36 + 0.36) / 4),
    (lambda: metrics.AUC(), "binary", 0.75),
    (lambda: metrics.Precision(), "binary", 0.5),
    (lambda: metrics.Recall(), "binary", 0.5),
    (lambda: metrics.TruePositives(), "binary", 1.0),
    (lambda: metrics.FalseNegatives(), "binary", 1.0),
]


@pytest.mark.parametrize("index", range(len(RESULTS)))
def test_a_result_is_a_tensor_read_as_keras_code_reads_it(index, any_backend):
    make, kind, expected = RESULTS[index]
    metric = _updated(make(), kind)
    result = metric.result()
    assert isinstance(result, Tensor) and not result.requires_grad and result.shape == ()
    assert backend.is_array(result.data)  # still on the device
    assert result.numpy() == pytest.approx(expected)  # train_acc_metric.result().numpy()
    assert float(result) == pytest.approx(expected)
    assert f"{result:.4f}" == f"{expected:.4f}" and "{:.1%}".format(result) == f"{expected:.1%}"
    assert bool(result > -1.0) and bool(result == float(result))
    assert float(result * 100) == pytest.approx(100 * expected)  # f'{acc.result() * 100:0.2f}'
    assert float(metric(*_inputs(kind))) >= 0  # __call__ updates and returns the result too
    metric.reset_state()
    assert float(metric.result().numpy()) == 0.0


def _inputs(kind):
    if kind == "values":
        return (np.array([1.0]),)
    if kind == "sparse":
        return np.array([0]), np.array([[0.9, 0.1]])
    return np.array([[1.0]]), np.array([[0.9]])


def test_a_result_before_any_update_is_a_zero_tensor():
    for metric in (metrics.Mean(), metrics.get("accuracy"), metrics.AUC(), metrics.Precision(thresholds=[0.3, 0.6])):
        result = metric.result()
        assert isinstance(result, Tensor)
        np.testing.assert_array_equal(result.numpy(), np.zeros(result.shape))
    assert metrics.Precision(thresholds=[0.3, 0.6]).result().shape == (2,)


def test_custom_training_loop_prints_results_with_numpy(capsys):
    """The Keras guide's loop: ``train_acc = train_acc_metric.result()`` then
    ``print("Training acc over epoch: %.4f" % (float(train_acc),))`` and ``.numpy()``."""
    model = keras.Sequential([keras.layers.Dense(3, activation="softmax", input_shape=(4,))])
    loss_fn = keras.losses.SparseCategoricalCrossentropy()
    optimizer = keras.optimizers.SGD(0.1)
    train_acc_metric = keras.metrics.SparseCategoricalAccuracy()
    x = np.random.default_rng(0).normal(size=(16, 4)).astype(np.float32)
    y = np.arange(16) % 3
    with tf.GradientTape() as tape:
        logits = model(x, training=True)
        loss_value = loss_fn(y, logits)
    grads = tape.gradient(loss_value, model.trainable_weights)
    optimizer.apply_gradients(zip(grads, model.trainable_weights))
    train_acc_metric.update_state(y, logits)
    train_acc = train_acc_metric.result()
    expected = np.mean(np.asarray(logits).argmax(-1) == y)
    print("Training acc over epoch: %.4f" % (float(train_acc),))
    print(f"acc {train_acc_metric.result().numpy():.4f}")
    out = capsys.readouterr().out
    assert f"Training acc over epoch: {expected:.4f}" in out and f"acc {expected:.4f}" in out


def test_history_and_evaluate_keep_python_floats():
    model = keras.Sequential([keras.layers.Dense(1, activation="sigmoid", input_shape=(3,))])
    model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["accuracy", keras.metrics.AUC(name="auc")])
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(40, 3)).astype(np.float32), rng.integers(0, 2, (40, 1)).astype(np.float32)
    history = model.fit(x, y, epochs=2, batch_size=8, validation_split=0.25, verbose=0)
    assert set(history.history) == {"loss", "accuracy", "auc", "val_loss", "val_accuracy", "val_auc"}
    assert all(type(value) is float for values in history.history.values() for value in values)
    results = model.evaluate(x, y, verbose=0)
    assert len(results) == 3 and all(type(value) is float for value in results)
    named = model.evaluate(x, y, verbose=0, return_dict=True)
    assert all(type(value) is float for value in named.values())
    assert named["accuracy"] == pytest.approx(results[1])
    current = model.get_metrics_result()  # what a custom train_step returns: Tensors, as in Keras
    assert isinstance(current["accuracy"], Tensor) and isinstance(current["auc"], Tensor)


# -- metric functions ---------------------------------------------------------------------------

def test_metric_functions_return_tensors_like_keras():
    """``keras.metrics.mean_absolute_error(x_valid, forecast).numpy()``, the time-series lab's line."""
    rng = np.random.default_rng(2)
    x_valid = rng.normal(size=50)
    forecast = x_valid + 0.1 * rng.normal(size=50)
    mae = keras.metrics.mean_absolute_error(x_valid, forecast)
    assert isinstance(mae, Tensor) and mae.shape == () and mae.dtype == np.float64
    assert mae.numpy() == pytest.approx(np.mean(np.abs(x_valid - forecast)), rel=1e-12)
    mse = keras.metrics.mean_squared_error(x_valid, forecast.astype(np.float32))
    assert mse.dtype == np.float32 and float(mse) == pytest.approx(np.mean((x_valid - forecast) ** 2), rel=1e-5)
    mape = keras.metrics.mean_absolute_percentage_error(x_valid, forecast)
    assert float(mape) == pytest.approx(100 * np.mean(np.abs(x_valid - forecast) / np.abs(x_valid)), rel=1e-12)
    probabilities = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.5, 0.4, 0.1]])
    checks = [
        (keras.metrics.binary_accuracy(np.array([[1.0], [0.0], [1.0]]), np.array([[0.8], [0.3], [0.4]])), [1, 1, 0]),
        (keras.metrics.categorical_accuracy(np.eye(3)[[0, 2, 1]], probabilities), [1, 1, 0]),
        (keras.metrics.sparse_categorical_accuracy(np.array([0, 2, 0]), probabilities), [1, 1, 1]),
        (keras.metrics.top_k_categorical_accuracy(np.eye(3)[[1, 0, 2]], probabilities, k=2), [1, 0, 0]),
        (keras.metrics.sparse_top_k_categorical_accuracy(np.array([1, 0, 2]), probabilities, k=2), [1, 0, 0]),
        (keras.metrics.accuracy([1.0, 2.0, 3.0], [1.0, 0.0, 3.0]), [1, 0, 1]),
    ]
    for value, expected in checks:
        assert isinstance(value, Tensor) and value.dtype == np.float32
        np.testing.assert_array_equal(value.numpy(), expected)


def test_loss_like_metric_functions_are_the_losses_and_are_differentiated():
    """As in Keras (``keras.metrics.mse is keras.losses.mse``), so a custom loss written with them trains."""
    for name in ("mean_squared_error", "mean_absolute_error", "mse", "mae", "binary_crossentropy",
                 "categorical_crossentropy", "sparse_categorical_crossentropy"):
        assert getattr(keras.metrics, name) is getattr(keras.losses, name)
    w = minidl.tensor(np.array([1.0, 2.0]), requires_grad=True)
    keras.metrics.mean_squared_error(np.array([0.0, 0.0]), w).backward()
    np.testing.assert_allclose(w.grad, [1.0, 2.0])  # d/dw mean(w^2) = w


def test_metric_functions_in_compile_run_as_their_per_sample_twins():
    for function, twin in [(metrics.binary_accuracy, metrics._binary_accuracy), (metrics.mse, metrics._mean_squared_error),
                           (keras.metrics.sparse_categorical_accuracy, metrics._sparse_categorical_accuracy)]:
        metric = metrics.get(function)
        assert metric.fn is twin and metric.name == function.__name__
        assert metrics.serialize(metric) == function.__name__
    metric = metrics.get(keras.metrics.binary_accuracy)
    metric.update_state(np.array([[1.0], [0.0]]), np.array([[0.9], [0.8]]))
    assert float(metric.result()) == 0.5


# -- the learning rate ------------------------------------------------------------------------

def test_learning_rate_assign_numpy_and_float_like_a_keras_variable():
    optimizer = keras.optimizers.Adam(0.01)
    rate = optimizer.learning_rate
    assert rate == 0.01 and float(rate) == 0.01 and f"{rate:.3f}" == "0.010" and rate * 2 == 0.02
    assert type(rate.numpy()) is np.float32 and rate.numpy() == np.float32(0.01)
    optimizer.learning_rate.assign(0.001)
    assert optimizer.learning_rate == 0.001 and optimizer.lr == 0.001
    optimizer.lr.assign(0.002)  # Keras 2's name
    assert optimizer.learning_rate == 0.002
    optimizer.learning_rate.assign_add(0.003)
    assert optimizer.learning_rate == pytest.approx(0.005)
    optimizer.learning_rate = 0.5  # plain assignment still works
    assert optimizer.learning_rate == 0.5
    config = optimizer.get_config()
    assert type(config["learning_rate"]) is float and json.dumps(config)
    assert type(pickle.loads(pickle.dumps(optimizer.learning_rate))) is float
    with pytest.raises(ValueError, match="learning_rate must be a finite number >= 0"):
        optimizer.learning_rate.assign(-1.0)


def test_an_assigned_learning_rate_is_the_one_the_update_uses():
    weight = minidl.tensor(np.array([1.0, 1.0]), requires_grad=True)
    optimizer = optimizers.SGD(0.1)
    optimizer.learning_rate.assign(0.25)
    optimizer.apply_gradients([(np.array([1.0, 2.0]), weight)])
    np.testing.assert_allclose(weight.numpy(), [0.75, 0.5])


def test_a_schedule_is_still_returned_as_given():
    schedule = schedules.ExponentialDecay(0.1, 10, 0.5)
    optimizer = optimizers.SGD(schedule)
    assert optimizer.learning_rate is schedule and optimizer.current_learning_rate() == pytest.approx(0.1)


def test_an_assigned_learning_rate_is_saved_and_loaded(tmp_path):
    model = keras.Sequential([keras.layers.Dense(1, input_shape=(2,))])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    model.fit(np.ones((4, 2), np.float32), np.ones((4, 1), np.float32), verbose=0)
    model.optimizer.learning_rate.assign(0.0005)
    for name in ("model.keras", "model.h5"):
        model.save(str(tmp_path / name))
        restored = keras.models.load_model(str(tmp_path / name))
        assert float(restored.optimizer.learning_rate) == pytest.approx(0.0005)


# -- the learning rate in history -----------------------------------------------------------------

class _RateModel:
    """What the two callbacks touch: the optimizer (and stop_training)."""

    def __init__(self, rate=0.1):
        self.stop_training = False
        self.optimizer = optimizers.SGD(rate)


def _run(model, callback_objects, epochs):
    callback_list = callbacks.CallbackList(callback_objects, model=model, params={"epochs": epochs})
    callback_list.on_train_begin({})
    for epoch in range(epochs):
        callback_list.on_epoch_begin(epoch, {})
        callback_list.on_epoch_end(epoch, {"loss": 1.0})
    callback_list.on_train_end({})


def test_reduce_lr_on_plateau_logs_the_rate_under_both_keras_keys(tmp_path):
    model, history = _RateModel(), callbacks.History()
    path = tmp_path / "log.csv"
    reducer = callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1)
    _run(model, [reducer, history, callbacks.CSVLogger(str(path))], 3)
    # each epoch logs the rate it trained with, before a reduction (as Keras does)
    assert history.history["learning_rate"] == history.history["lr"] == [pytest.approx(r) for r in (0.1, 0.1, 0.05)]
    assert all(type(value) is float for value in history.history["learning_rate"])
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["epoch", "learning_rate", "loss", "lr"]
    assert float(rows[2]["learning_rate"]) == float(rows[2]["lr"]) == pytest.approx(0.05)


def test_learning_rate_scheduler_logs_both_keys_and_takes_a_float_tensor():
    """Keras 2's documented schedule: ``lr * tf.math.exp(-0.1)``, a float tensor."""
    model, history = _RateModel(0.01), callbacks.History()
    scheduler = callbacks.LearningRateScheduler(lambda epoch, lr: lr if epoch < 1 else lr * tf.math.exp(-0.1))
    _run(model, [scheduler, history], 3)
    expected = [0.01, 0.01 * np.exp(-0.1), 0.01 * np.exp(-0.2)]
    assert history.history["learning_rate"] == [pytest.approx(r, rel=1e-6) for r in expected]
    assert history.history["lr"] == history.history["learning_rate"]
    assert type(model.optimizer.get_config()["learning_rate"]) is float
    with pytest.raises(ValueError, match="should be float"):
        _run(_RateModel(), [callbacks.LearningRateScheduler(lambda epoch: "0.1")], 1)


def test_the_loss_tracker_result_is_a_tensor_too():
    """model.metrics[0] is the loss: its result() answers .numpy() as the metrics' do."""
    model = minidl.models.Sequential([minidl.layers.Input((2,)), minidl.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    logs = model.evaluate(np.ones((4, 2)), np.zeros((4, 1)), verbose=0, return_dict=True)
    assert float(model.metrics[0].result().numpy()) == pytest.approx(logs["loss"])
