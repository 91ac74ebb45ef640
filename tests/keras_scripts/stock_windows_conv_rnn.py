"""Forecasting the next value of a price series from a window of past values (the book's
chapter 5 models), with callbacks.

Patterns: windows built with NumPy, ``Reshape((look_back, 1), input_shape=(look_back,))``,
``Conv1D`` + ``MaxPooling1D`` + ``Flatten``, ``SimpleRNN`` and ``LSTM`` regressors,
``Activation('linear')``, ``loss='mean_squared_error'`` with ``metrics=['mae']``,
``ReduceLROnPlateau``, ``ModelCheckpoint(save_best_only=True)`` to an ``.h5`` file,
``evaluate`` returning [mse, mae], ``math.sqrt`` of the score, ``batch_size=1`` training.
"""

import math

import numpy as np

from minidl.keras.callbacks import ModelCheckpoint, ReduceLROnPlateau
from minidl.keras.layers import LSTM, Activation, Conv1D, Dense, Dropout, Flatten, MaxPooling1D, Reshape, SimpleRNN
from minidl.keras.models import Sequential, load_model

LOOK_BACK = 10


def windows(series, look_back):
    x = np.stack([series[i:i + look_back] for i in range(len(series) - look_back)])
    return x, series[look_back:]


def build_rnn():
    model = Sequential()
    model.add(Reshape((LOOK_BACK, 1), input_shape=(LOOK_BACK,)))
    model.add(SimpleRNN(16))
    model.add(Dense(1))
    model.add(Activation("linear"))
    return model


def build_conv():
    model = Sequential()
    model.add(Reshape((LOOK_BACK, 1), input_shape=(LOOK_BACK,)))
    model.add(Conv1D(5, 5, activation="relu"))
    model.add(MaxPooling1D(2))
    model.add(Flatten())
    model.add(Dense(1))
    return model


def build_lstm():
    return Sequential([Reshape((LOOK_BACK, 1), input_shape=(LOOK_BACK,)), Conv1D(5, 3, activation="relu"),
                       LSTM(8), Dropout(0.25), Dense(1)])


def main():
    steps = np.arange(260, dtype="float32")
    series = 0.5 + 0.3 * np.sin(steps / 12.0) + 0.01 * np.random.default_rng(0).normal(size=steps.shape)
    x, y = windows(series.astype("float32"), LOOK_BACK)
    x_train, y_train, x_test, y_test = x[:200], y[:200], x[200:], y[200:]
    for build in (build_rnn, build_conv, build_lstm):
        model = build()
        model.summary()
        model.compile(loss="mean_squared_error", optimizer="adam", metrics=["mae"])
        callbacks = [ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1, min_lr=1e-5),
                     ModelCheckpoint("best_model.h5", monitor="val_loss", save_best_only=True)]
        model.fit(x_train, y_train, epochs=2, batch_size=1, verbose=2, validation_split=0.1, callbacks=callbacks)
        mse, mae = model.evaluate(x_test, y_test, verbose=0)
        print("Test RMSE: %.3f, MAE: %.3f" % (math.sqrt(mse), mae))
        best = load_model("best_model.h5")
        assert best.predict(x_test).shape == (len(x_test), 1)


if __name__ == "__main__":
    main()
