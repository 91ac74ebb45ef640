"""Lab GB-1 (Group B assignment 1): Boston house prices with a deep regression network.

The lab, as written (abridged)::

    data = pd.DataFrame(boston.data); data.columns = boston.feature_names
    data['PRICE'] = boston.target
    X = data.iloc[:, :-1]; y = data.PRICE
    # (the split is not shown in the assignment)
    mean = X_train.mean(axis=0); std = X_train.std(axis=0)
    X_train = (X_train - mean) / std; X_test = (X_test - mean) / std
    regressor = LinearRegression().fit(X_train, y_train)          # prints RMSE and R^2
    sc = StandardScaler(); X_train = sc.fit_transform(X_train); X_test = sc.transform(X_test)
    model = Sequential([Dense(128, activation='relu', input_dim=13), Dense(64, activation='relu'),
                        Dense(32, activation='relu'), Dense(16, activation='relu'), Dense(1)])
    model.compile(optimizer='adam', loss='mean_squared_error', metrics=['mae'])
    history = model.fit(X_train, y_train, epochs=100, validation_split=0.05)
    y_pred = model.predict(X_test)
    mse_nn, mae_nn = model.evaluate(X_test, y_test)           # lab: 10.5717, 2.2670
    lr_model = LinearRegression().fit(X_train, y_train)       # prints its MSE and MAE
    r2 = r2_score(y_test, y_pred)                              # lab: 0.8812832788381159
    rmse = np.sqrt(mean_squared_error(y_test, y_pred))         # lab: 3.320768607496587
    new_data = StandardScaler().fit_transform([[0.1, 10.0, 5.0, 0, 0.4, 6.0, 50, 6.0, 1, 400, 20, 300, 10]])
    prediction = model.predict(new_data)                       # lab: [[11.104753]]

The train/test split: the assignment uses X_train before any line creates it. Public copies of
the notebook this code comes from split with ``train_test_split(X, y, test_size=0.2,
random_state=4)``, so that is the default here (``--split-seed`` changes it; Boston's test
metrics move by several MSE points from one split to another). The data are the 506 rows of
``boston/housing.csv`` in their original order (scikit-learn's ``load_boston`` is gone from
scikit-learn >= 1.2; its rows are the same).

Quirks reproduced as written: (1) the features are standardised twice -- by hand with pandas'
sample std, then by a StandardScaler (population std) -- which is harmless; (2) the "new house"
is scaled by a StandardScaler fitted on that one row, so every feature becomes 0 and the model
is asked about the average training house whatever the row says (``--fix-scaling`` scales it
with the training statistics instead; both predictions are printed either way); (3) the R^2 and
RMSE printed after the LinearRegression comparison are computed from ``y_pred``, which at that
point holds the neural network's predictions, so they are the network's, not the linear
model's (this script prints both models' values, labelled); (4) the lab's comment promises two
hidden Dense layers and 10,113 parameters, while the model has four and 12,673. The lab's RMSE
(3.3208) is not the square root of its MSE (10.5717 -> 3.2514); its cells were evidently run out
of order, which cannot be reproduced. The lab's ``ann_visualizer`` drawing and plotly curves
become matplotlib PNGs.

    python examples/boston_housing.py [--fix-scaling] [--split-seed 4] [--quick]
"""

import time

import numpy as np
import pandas as pd
from _common import parse_args, setup, write_metrics
from sklearn.linear_model import LinearRegression
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from minidl import viz
from minidl.datasets import boston_housing
from minidl.layers import Dense
from minidl.models import Sequential

NEW_HOUSE = [[0.1, 10.0, 5.0, 0, 0.4, 6.0, 50, 6.0, 1, 400, 20, 300, 10]]
LAB_REFERENCE = {"test_mse": 10.571733474731445, "test_mae": 2.2669904232025146, "r2": 0.8812832788381159,
                 "rmse": 3.320768607496587, "new_house_prediction": 11.104753, "params": 12673}


def add_arguments(parser):
    parser.add_argument("--fix-scaling", action="store_true",
                        help="scale the new house with the training statistics (the lab fits a scaler on it alone)")
    parser.add_argument("--split-seed", type=int, default=4,
                        help="train_test_split random_state (the lab does not show its split; default 4)")


def _plots(data, out):
    plt = viz.pyplot()

    figure, (histogram, box) = plt.subplots(1, 2, figsize=(10, 4))
    histogram.hist(data.PRICE, bins=30, density=True)
    histogram.set_xlabel("PRICE")
    histogram.set_title("distribution of PRICE")
    box.boxplot(data.PRICE, vert=False)
    box.set_xlabel("PRICE")
    box.set_title("box plot of PRICE")
    figure.tight_layout()
    viz.save_figure(figure, out / "price_distribution.png", dpi=80)

    correlation = data.corr()
    figure, axes = plt.subplots(figsize=(12, 10))
    image = axes.imshow(correlation.values, cmap="RdBu_r", vmin=-1, vmax=1)
    axes.set_xticks(range(len(correlation)), correlation.columns, rotation=90)
    axes.set_yticks(range(len(correlation)), correlation.columns)
    for row in range(len(correlation)):
        for column in range(len(correlation)):
            axes.text(column, row, f"{correlation.values[row, column]:.2f}", ha="center", va="center", fontsize=7)
    figure.colorbar(image)
    figure.tight_layout()
    viz.save_figure(figure, out / "correlation_heatmap.png", dpi=80)

    features = ["LSTAT", "RM", "PTRATIO"]
    figure, axes = plt.subplots(1, len(features), figsize=(20, 5))
    for axis, column in zip(axes, features):
        axis.scatter(data[column], data.PRICE, marker="o")
        axis.set_title("Variation in House prices")
        axis.set_xlabel(column)
        axis.set_ylabel('"House prices in $1000"')
    figure.tight_layout()
    viz.save_figure(figure, out / "price_scatter.png", dpi=80)


def main(argv=None):
    args = parse_args(__doc__, epochs=100, batch_size=32, extra_arguments=add_arguments, argv=argv)
    started = time.perf_counter()
    out = setup(args, "boston_housing")
    epochs = min(args.epochs, 10) if args.quick else args.epochs

    data = boston_housing.load_dataframe().rename(columns={"MEDV": "PRICE"})
    print(data.head(n=10))
    print(data.shape)
    print(data.isnull().sum())
    print(data.describe())
    correlation = data.corr()
    print(correlation.loc["PRICE"])
    _plots(data, out)

    X = data.iloc[:, :-1]  # noqa: N806 - the lab's names
    y = data.PRICE
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=args.split_seed)  # noqa: N806
    print(f"train_test_split(test_size=0.2, random_state={args.split_seed}): "
          f"{len(X_train)} training and {len(X_test)} test rows")

    mean = X_train.mean(axis=0)
    std = X_train.std(axis=0)
    X_train = (X_train - mean) / std  # noqa: N806
    X_test = (X_test - mean) / std  # noqa: N806

    regressor = LinearRegression()
    regressor.fit(X_train, y_train)
    y_pred = regressor.predict(X_test)
    rmse_lr = np.sqrt(mean_squared_error(y_test, y_pred))
    print(rmse_lr)
    r2_lr = r2_score(y_test, y_pred)
    print(r2_lr)

    sc = StandardScaler()
    X_train = sc.fit_transform(X_train)  # noqa: N806
    X_test = sc.transform(X_test)  # noqa: N806

    model = Sequential()
    model.add(Dense(128, activation="relu", input_dim=13))
    model.add(Dense(64, activation="relu"))
    model.add(Dense(32, activation="relu"))
    model.add(Dense(16, activation="relu"))
    model.add(Dense(1))
    model.compile(optimizer="adam", loss="mean_squared_error", metrics=["mae"])
    model.summary()
    history = model.fit(X_train, y_train.values, epochs=epochs, batch_size=args.batch_size, validation_split=0.05)
    viz.plot_history(history, out / "loss_mae_curves.png", title="GB-1 Boston housing: loss (MSE) and MAE")

    y_pred = np.asarray(model.predict(X_test))
    mse_nn, mae_nn = model.evaluate(X_test, y_test.values)
    print("Mean squared error on test data: ", mse_nn)
    print("Mean absolute error on test data: ", mae_nn)

    lr_model = LinearRegression()
    lr_model.fit(X_train, y_train)
    y_pred_lr = lr_model.predict(X_test)
    mse_lr = mean_squared_error(y_test, y_pred_lr)
    mae_lr = mean_absolute_error(y_test, y_pred_lr)
    print("Mean squared error on test data: ", mse_lr)
    print("Mean absolute error on test data: ", mae_lr)
    r2 = r2_score(y_test, y_pred)  # y_pred is the network's (the lab's quirk 3)
    print(r2)
    rmse = np.sqrt(mean_squared_error(y_test, y_pred))
    print(rmse)

    new_data_as_written = StandardScaler().fit_transform(NEW_HOUSE)
    print("the new house after the lab's scaling:", new_data_as_written)
    prediction_as_written = float(np.asarray(model.predict(new_data_as_written))[0, 0])
    new_house = pd.DataFrame(NEW_HOUSE, columns=X.columns)
    new_data_fixed = sc.transform((new_house - mean) / std)
    prediction_fixed = float(np.asarray(model.predict(new_data_fixed))[0, 0])
    headline = prediction_fixed if args.fix_scaling else prediction_as_written
    print("Predicted house price:", np.array([[headline]], dtype=np.float32))
    print(f"  as written (scaler fitted on the new row itself -> all zeros): {prediction_as_written:.4f}")
    print(f"  fixed (the training set's scaling, --fix-scaling):             {prediction_fixed:.4f}")

    print("\n| model | test MSE | test MAE | RMSE | R^2 |")
    print("|---|---|---|---|---|")
    print(f"| Dense 128-64-32-16-1 (minidl) | {mse_nn:.4f} | {mae_nn:.4f} | {rmse:.4f} | {r2:.4f} |")
    print(f"| LinearRegression | {mse_lr:.4f} | {mae_lr:.4f} | {np.sqrt(mse_lr):.4f} | {r2_score(y_test, y_pred_lr):.4f} |")
    print(f"| lab (Keras) | {LAB_REFERENCE['test_mse']:.4f} | {LAB_REFERENCE['test_mae']:.4f} | "
          f"{LAB_REFERENCE['rmse']:.4f} | {LAB_REFERENCE['r2']:.4f} |")

    write_metrics(out, {
        "test_mse": mse_nn, "test_mae": mae_nn, "r2": float(r2), "rmse": float(rmse),
        "params": model.count_params(), "final_val_loss": history.history["val_loss"][-1],
        "linear_regression_test_mse": float(mse_lr), "linear_regression_test_mae": float(mae_lr),
        "linear_regression_r2": float(r2_lr), "linear_regression_rmse": float(rmse_lr),
        "new_house_prediction_as_written": prediction_as_written, "new_house_prediction_fixed": prediction_fixed,
        "split_seed": args.split_seed, "epochs": epochs,
        "lab_reference": LAB_REFERENCE,
    }, args, started)


if __name__ == "__main__":
    main()
