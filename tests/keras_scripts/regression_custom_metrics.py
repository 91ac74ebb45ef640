"""Regression on the Boston housing data with custom losses and metrics built from the
Keras backend (``K``), the classic way lab sheets wrote an RMSE metric.

Patterns: ``keras.datasets.boston_housing.load_data()``, feature standardisation with the
training mean/std, ``Dense(..., kernel_regularizer=regularizers.l2(0.001))``,
``from keras import backend as K`` with ``K.sqrt(K.mean(K.square(y_pred - y_true)))`` as a
metric and ``K.mean(K.abs(...), axis=-1)`` as a loss, ``metrics=['mae', rmse]``,
``keras.initializers.he_normal()``, a K-fold loop with ``keras.backend.clear_session()``, and
a matplotlib history plot (Agg) saved to a file.
"""

import numpy as np

import minidl.keras as keras
from minidl.keras import backend as K
from minidl.keras import regularizers
from minidl.keras.layers import Dense


def rmse(y_true, y_pred):
    return K.sqrt(K.mean(K.square(y_pred - y_true), axis=-1))


def mean_absolute_loss(y_true, y_pred):
    return K.mean(K.abs(y_pred - y_true), axis=-1)


def build_model(features=13):
    model = keras.Sequential()
    model.add(Dense(32, activation="relu", input_shape=(features,), kernel_initializer=keras.initializers.he_normal(),
                    kernel_regularizer=regularizers.l2(0.001)))
    model.add(Dense(16, activation="relu", kernel_regularizer=regularizers.l2(0.001)))
    model.add(Dense(1))
    return model


def main():
    (train_data, train_targets), (test_data, test_targets) = keras.datasets.boston_housing.load_data()
    mean = train_data.mean(axis=0)
    std = train_data.std(axis=0)
    train_data = (train_data - mean) / std
    test_data = (test_data - mean) / std
    print(train_data.shape, test_data.shape, K.image_data_format(), K.floatx(), K.epsilon())

    folds = 2
    size = len(train_data) // folds
    scores = []
    for fold in range(folds):
        K.clear_session()
        val_x, val_y = train_data[fold * size:(fold + 1) * size], train_targets[fold * size:(fold + 1) * size]
        fit_x = np.concatenate([train_data[:fold * size], train_data[(fold + 1) * size:]])
        fit_y = np.concatenate([train_targets[:fold * size], train_targets[(fold + 1) * size:]])
        model = build_model()
        model.compile(optimizer="rmsprop", loss=mean_absolute_loss, metrics=["mae", rmse])
        history = model.fit(fit_x, fit_y, validation_data=(val_x, val_y), epochs=5, batch_size=16, verbose=0)
        scores.append(model.evaluate(val_x, val_y, verbose=0))
        print(f"fold {fold}: {sorted(history.history)}")
    print("validation [loss, mae, rmse] per fold:", np.round(scores, 3).tolist())
    model.summary()

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.plot(history.history["mae"], label="train")
    plt.plot(history.history["val_mae"], label="validation")
    plt.legend()
    plt.savefig("boston_mae.png")
    test_mse = model.evaluate(test_data, test_targets, verbose=0)
    print("test:", test_mse)


if __name__ == "__main__":
    main()
