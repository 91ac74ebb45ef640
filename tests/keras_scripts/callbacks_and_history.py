"""Callbacks and the History object, as training scripts use them to log and steer training.

Patterns: a ``keras.callbacks.Callback`` subclass overriding ``on_epoch_end(self, epoch,
logs=None)`` and ``on_train_batch_end``, reading ``logs['loss']`` and stopping with
``self.model.stop_training = True``; ``LearningRateScheduler(schedule, verbose=1)`` with a
function of ``(epoch, lr)``; ``LambdaCallback``; ``CSVLogger``; ``EarlyStopping(
restore_best_weights=True)``; ``TerminateOnNaN``; ``history.history`` / ``history.epoch``;
a learning-rate schedule object (``optimizers.schedules.ExponentialDecay``).
"""

import csv

import numpy as np

import minidl.keras as keras


class StopAtLoss(keras.callbacks.Callback):
    def __init__(self, threshold):
        super().__init__()
        self.threshold = threshold
        self.batches = 0

    def on_train_batch_end(self, batch, logs=None):
        self.batches += 1

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        print(f"  epoch {epoch}: loss {logs['loss']:.4f}")
        if logs["loss"] < self.threshold:
            print("  loss below threshold, stopping")
            self.model.stop_training = True


def scheduler(epoch, lr):
    return lr if epoch < 2 else lr * 0.5


def build_model():
    return keras.Sequential([keras.layers.Dense(16, activation="tanh", input_dim=3), keras.layers.Dense(1)])


def main():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(128, 3)).astype("float32")
    y = x @ np.array([[1.0], [-2.0], [0.5]], dtype="float32")

    model = build_model()
    schedule = keras.optimizers.schedules.ExponentialDecay(0.05, decay_steps=10, decay_rate=0.9)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=schedule), loss="mse")
    stopper = StopAtLoss(threshold=0.05)
    seen_epochs = []
    history = model.fit(x, y, epochs=40, batch_size=16, verbose=0, callbacks=[
        stopper,
        keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen_epochs.append(epoch)),
        keras.callbacks.CSVLogger("training_log.csv"),
        keras.callbacks.TerminateOnNaN(),
    ])
    print("epochs run:", history.epoch[-1] + 1, "batches seen:", stopper.batches)
    assert seen_epochs == history.epoch and len(history.history["loss"]) == len(history.epoch)
    with open("training_log.csv") as stream:
        rows = list(csv.DictReader(stream))
    assert len(rows) == len(history.epoch) and "loss" in rows[0]

    model = build_model()
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    history = model.fit(x, y, epochs=6, batch_size=16, validation_split=0.25, verbose=0, callbacks=[
        keras.callbacks.LearningRateScheduler(scheduler, verbose=1),
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True),
    ])
    print("learning rate now:", float(model.optimizer.learning_rate))
    assert abs(float(model.optimizer.learning_rate) - 0.01 * 0.5 ** max(0, len(history.epoch) - 2)) < 1e-9


if __name__ == "__main__":
    main()
