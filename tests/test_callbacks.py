"""Callbacks driven by hand with a tiny stand-in model (only what callbacks may touch)."""

import csv
import math

import numpy as np
import pytest

from minidl import callbacks
from minidl.optimizers import SGD


class FakeModel:
    """stop_training, get/set_weights, save/save_weights and optimizer.learning_rate -- no more."""

    def __init__(self):
        self.stop_training = False
        self.weights = [np.zeros(2)]
        self.saved = []
        self.optimizer = SGD(0.1)

    def get_weights(self):
        return [w.copy() for w in self.weights]

    def set_weights(self, weights):
        self.weights = [np.array(w) for w in weights]

    def save(self, path):
        self.saved.append(("model", path))
        open(path, "w").close()

    def save_weights(self, path):
        self.saved.append(("weights", path))
        open(path, "w").close()


def _fit(model, callback_objects, epoch_logs, batches_per_epoch=0, batch_logs=None):
    """Drive the hooks as fit does; each epoch first changes the weights to its own number."""
    callback_list = callbacks.CallbackList(callback_objects, model=model, params={"epochs": len(epoch_logs)})
    callback_list.on_train_begin({})
    for epoch, logs in enumerate(epoch_logs):
        callback_list.on_epoch_begin(epoch, {})
        model.weights = [np.full(2, float(epoch))]
        for batch in range(batches_per_epoch):
            callback_list.on_train_batch_begin(batch, {})
            callback_list.on_train_batch_end(batch, dict(batch_logs(epoch, batch)))
            if model.stop_training:
                break
        callback_list.on_epoch_end(epoch, dict(logs))
        if model.stop_training:
            break
    callback_list.on_train_end({})
    return epoch


def test_history_records_every_epoch():
    model, history = FakeModel(), callbacks.History()
    _fit(model, [history], [{"loss": 1.0, "accuracy": 0.5}, {"loss": 0.5, "accuracy": 0.75}])
    assert history.history == {"loss": [1.0, 0.5], "accuracy": [0.5, 0.75]}
    assert history.epoch == [0, 1]
    assert model.history is history


def test_early_stopping_waits_patience_epochs_then_stops():
    losses = [1.0, 0.8, 0.81, 0.82, 0.83, 0.5]
    model = FakeModel()
    stopper = callbacks.EarlyStopping(monitor="val_loss", patience=2)
    last = _fit(model, [stopper], [{"val_loss": v} for v in losses])
    assert last == 3 and model.stop_training and stopper.stopped_epoch == 3
    assert model.weights[0][0] == 3.0  # no restore by default


def test_early_stopping_restores_best_weights_and_says_so(capsys):
    model = FakeModel()
    stopper = callbacks.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True, verbose=1)
    _fit(model, [stopper], [{"val_loss": v} for v in [1.0, 0.7, 0.9, 0.95, 0.1]])
    assert model.weights[0][0] == 1.0  # epoch 1 was the best
    out = capsys.readouterr().out
    assert "Restoring model weights from the end of the best epoch: 2." in out
    assert "Epoch 00004: early stopping" in out


def test_early_stopping_mode_auto_maximizes_accuracy_and_respects_min_delta():
    model = FakeModel()
    stopper = callbacks.EarlyStopping(monitor="val_accuracy", patience=1, min_delta=0.05)
    last = _fit(model, [stopper], [{"val_accuracy": v} for v in [0.5, 0.6, 0.62, 0.9]])
    assert last == 2  # 0.62 is not 0.05 better than 0.6


def test_early_stopping_warns_when_monitor_is_missing():
    with pytest.warns(UserWarning, match="val_loss.*Available metrics are: loss"):
        _fit(FakeModel(), [callbacks.EarlyStopping()], [{"loss": 1.0}])


def test_reduce_lr_on_plateau_reduces_and_cools_down(capsys):
    model = FakeModel()
    reducer = callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=2, cooldown=1, min_lr=0.02, verbose=1)
    logs = [{"loss": v} for v in [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]]
    history = callbacks.History()
    _fit(model, [reducer, history], logs)
    rates = history.history["lr"]
    assert rates[:3] == [pytest.approx(0.1)] * 3
    assert rates[3] == pytest.approx(0.05) and rates[6] == pytest.approx(0.025)
    assert model.optimizer.learning_rate == pytest.approx(0.02)  # floored at min_lr
    assert "ReduceLROnPlateau reducing learning rate to 0.05" in capsys.readouterr().out
    with pytest.raises(ValueError, match="factor >= 1.0"):
        callbacks.ReduceLROnPlateau(factor=1.5)


def test_csv_logger_writes_header_and_rows(tmp_path):
    path = tmp_path / "log.csv"
    logs = [{"loss": 0.5, "accuracy": 0.25}, {"loss": 0.25, "accuracy": 0.5}]
    _fit(FakeModel(), [callbacks.CSVLogger(path)], logs)
    with open(path, newline="") as stream:
        rows = list(csv.reader(stream))
    assert rows == [["epoch", "accuracy", "loss"], ["0", "0.25", "0.5"], ["1", "0.5", "0.25"]]
    _fit(FakeModel(), [callbacks.CSVLogger(path, separator=";", append=True)], logs[:1])
    assert path.read_text().splitlines()[-1] == "0;0.25;0.5"


def test_model_checkpoint_save_best_only(tmp_path, capsys):
    model = FakeModel()
    pattern = str(tmp_path / "ckpt" / "w-{epoch:02d}-{val_loss:.2f}.npz")
    checkpoint = callbacks.ModelCheckpoint(pattern, save_best_only=True, save_weights_only=True, verbose=1)
    _fit(model, [checkpoint], [{"val_loss": v} for v in [0.9, 0.95, 0.4]])
    assert [kind for kind, _ in model.saved] == ["weights", "weights"]
    assert [p.rsplit("/", 1)[-1] for _, p in model.saved] == ["w-01-0.90.npz", "w-03-0.40.npz"]
    out = capsys.readouterr().out
    assert "Epoch 00002: val_loss did not improve from 0.90000" in out
    assert "val_loss improved from 0.90000 to 0.40000, saving model to" in out


def test_model_checkpoint_every_epoch_saves_the_model(tmp_path):
    model = FakeModel()
    _fit(model, [callbacks.ModelCheckpoint(str(tmp_path / "m.npz"))], [{"loss": 1.0}, {"loss": 2.0}])
    assert [kind for kind, _ in model.saved] == ["model", "model"]


def test_terminate_on_nan_stops_and_names_the_batch(capsys):
    model = FakeModel()

    def batch_logs(epoch, batch):
        return {"loss": math.nan if (epoch, batch) == (1, 2) else 0.5}

    last = _fit(model, [callbacks.TerminateOnNaN()], [{"loss": 0.5}] * 3, batches_per_epoch=4, batch_logs=batch_logs)
    assert last == 1 and model.stop_training
    assert "Batch 2: Invalid loss, terminating training" in capsys.readouterr().out


def test_lambda_callback_and_batch_hook_detection():
    seen = []
    callback = callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append((epoch, logs["loss"])))
    _fit(FakeModel(), [callback], [{"loss": 3.0}, {"loss": 2.0}])
    assert seen == [(0, 3.0), (1, 2.0)]
    assert not callback._implements_train_batch_hooks()
    assert callbacks.LambdaCallback(on_batch_end=lambda b, logs: None)._implements_train_batch_hooks()
    assert callbacks.TerminateOnNaN()._implements_train_batch_hooks()
    assert not callbacks.EarlyStopping()._implements_train_batch_hooks()


def test_learning_rate_scheduler_sets_rate_each_epoch():
    model, history = FakeModel(), callbacks.History()
    scheduler = callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.5 if epoch > 0 else lr)
    _fit(model, [scheduler, history], [{"loss": 1.0}] * 3)
    assert history.history["lr"] == [pytest.approx(0.1), pytest.approx(0.05), pytest.approx(0.025)]


def test_callback_list_dispatches_every_hook_and_sets_model():
    calls = []

    class Recorder(callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            calls.append(("train_batch_end", batch))

        def on_test_end(self, logs=None):
            calls.append(("test_end", logs))

        def on_predict_batch_begin(self, batch, logs=None):
            calls.append(("predict_batch_begin", batch))

    model = FakeModel()
    callback_list = callbacks.CallbackList([Recorder()], model=model, params={"verbose": 0})
    assert callback_list.callbacks[0].model is model and callback_list.callbacks[0].params == {"verbose": 0}
    callback_list.on_train_batch_end(3, {})
    callback_list.on_test_end({"loss": 1.0})
    callback_list.on_predict_batch_begin(0)
    assert calls == [("train_batch_end", 3), ("test_end", {"loss": 1.0}), ("predict_batch_begin", 0)]
    with pytest.raises(TypeError, match="Callback instances"):
        callbacks.CallbackList([object()])


def test_model_checkpoint_creates_missing_folders_and_names_a_file_it_cannot_write(tmp_path):
    from minidl.layers import Dense
    from minidl.models import Sequential

    model = Sequential([Dense(1, input_dim=2)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.zeros((4, 2), "float32"), np.zeros((4, 1), "float32")
    target = tmp_path / "new" / "folder" / "m{epoch:02d}.weights.h5"
    model.fit(x, y, epochs=1, verbose=0, callbacks=[callbacks.ModelCheckpoint(str(target), save_weights_only=True)])
    assert (tmp_path / "new" / "folder" / "m01.weights.h5").exists()
    blocked = tmp_path / "a_file"
    blocked.write_text("not a folder")
    with pytest.raises(OSError, match=r"ModelCheckpoint: cannot create the folder '.*a_file' to save '.*a_file/"
                                      r"m01.weights.h5': File exists"):
        model.fit(x, y, epochs=1, verbose=0,
                  callbacks=[callbacks.ModelCheckpoint(str(blocked / "m{epoch:02d}.weights.h5"), save_weights_only=True)])


def test_model_checkpoint_saves_every_n_batches_with_save_freq(tmp_path):
    from minidl.layers import Dense
    from minidl.models import Sequential

    model = Sequential([Dense(1, input_dim=2)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.zeros((4, 2), "float32"), np.zeros((4, 1), "float32")
    checkpoint = callbacks.ModelCheckpoint(str(tmp_path / "w-{epoch}-{batch}.weights.h5"), save_weights_only=True,
                                           save_freq=2)
    model.fit(x, y, batch_size=1, epochs=2, verbose=0, callbacks=[checkpoint])  # 4 batches an epoch
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "w-1-2.weights.h5", "w-1-4.weights.h5", "w-2-2.weights.h5", "w-2-4.weights.h5"]
    for bad in (0, -3, 2.5, True, "batch"):
        with pytest.raises(ValueError, match=r"ModelCheckpoint: save_freq must be 'epoch' or a positive number of "
                                             r"batches, got"):
            callbacks.ModelCheckpoint(str(tmp_path / "m.keras"), save_freq=bad)
    with pytest.raises(KeyError, match=r"the logs have no key 'batch'; available: epoch, loss"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[callbacks.ModelCheckpoint(str(tmp_path / "{batch}.keras"))])
