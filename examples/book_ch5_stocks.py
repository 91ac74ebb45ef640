"""The Deep Learning Workshop, chapter 5: stock prices with a plain RNN, 1D convolutions and both.

The book's data preparation (every lab below starts from it)::

    inp0 = pd.read_csv('AAPL.csv')
    inp0 = inp0.sort_index(ascending=False)             # newest-first file -> oldest first
    ts_data = inp0.Close.values.reshape(-1, 1)
    train_recs = int(len(ts_data) * 0.75)               # positional split: (1885, 629)
    train_data, test_data = ts_data[:train_recs], ts_data[train_recs:]
    scaler = MinMaxScaler()
    train_scaled = scaler.fit_transform(train_data); test_scaled = scaler.transform(test_data)
    def get_lookback(inp, look_back):                    # x[t] = inp[t-1], ..., inp[t-10]
        y = pd.DataFrame(inp)
        dataX = pd.concat([y.shift(i) for i in range(1, look_back + 1)], axis=1)
        dataX.fillna(0, inplace=True)
        return dataX.values, y.values
    trainX, trainY = get_lookback(train_scaled, 10); testX, testY = get_lookback(test_scaled, 10)

The labs (``--lab``)::

    ex5.01   visualise the series: Close against Date as read (newest first), then after
             ``sort_index(ascending=False)`` (oldest first), saved as PNGs; prints the rows, the
             date range and the Close range of both files
    ex5.02   yt0 = tanh(xt0 Wf + b); yt1 = tanh(yt0 Wr + xt1 Wf + b), 2 inputs, 3 neurons, by hand
    ex5.03   Reshape((10,1)) -> SimpleRNN(32) -> Dense(1) -> Activation('linear')    1,121 params
             compile('mean_squared_error', 'adam'); fit(epochs=3, batch_size=1, verbose=2,
             validation_split=0.1)                        book: Train RMSE 0.02, Test RMSE 0.03
    ex5.04   Reshape -> Conv1D(5, 5, relu) -> MaxPooling1D(5) -> Flatten -> Dense(1) -> linear
             36 params, 5 epochs                          book: Train RMSE 0.04, Test RMSE 0.05
    ex5.05   Reshape -> Conv1D(5, 3, relu) -> SimpleRNN(32) -> Dense(1) -> linear
             1,269 params, 3 epochs                       book: Train RMSE 0.02, Test RMSE 0.03
    act5.01  ex5.05 + Dropout(0.25) after the RNN, on IBM.csv, 5 epochs
                                                          book: Train RMSE 0.03, Test RMSE 0.03

``get_model_perf`` prints ``sqrt(model.evaluate(...))`` for the train and test windows with
``%.2f``; ``plot_pred`` draws the test predictions (inverse-scaled) over the whole series, then
zoomed in on the last 100 points (the book zooms interactively).

Data: the book's "AAPL.csv" holds IBM's prices, not Apple's -- its Close column equals IBM.csv's
on all 2,514 shared dates (Apple closed near $318 on 1/17/2020, IBM at 138.31). So Exercises
5.01-5.05 and Activity 5.01 all model IBM; the activity's IBM.csv just has four more days (2,518
rows: a 1888/630 split). The script reads ``stocks/AAPL.csv`` and ``stocks/IBM.csv`` under
``--data-dir`` / ``$MINIDL_DATA_DIR`` / ``~/.minidl/datasets`` (or ``--aapl-csv``/``--ibm-csv``).

Quirks reproduced as written:

* the test windows are built from the test slice alone, so the first 10 test rows see zeros
  instead of the last 10 training prices; ``get_model_perf`` includes those 10 broken rows in
  the test RMSE (``plot_pred`` skips them). The script also prints, marked as not in the book,
  the RMSE on full windows only and the RMSE of the naive "tomorrow = today" forecast, which
  puts the book's 0.02-0.03 in context: the models are about as good as repeating the last price;
* the training RMSE is measured on all 1,885 rows, validation rows and zero-filled rows included;
* the windows are newest-first (x[t] = price[t-1], price[t-2], ...), so the RNN reads the
  sequence backwards in time;
* Activity 5.01's step 5 asks for a lookback of 15 but its solution uses 10; 10 is used here;
* Exercise 5.02: the book hides the weight initialisation ("initialize them randomly",
  presumably ``tf.random.normal``), so its printed numbers cannot be re-drawn. They can be
  recovered: with b = 0, row [0,1] of xt0 gives ``tanh(Wf[1]) = yt0[0]`` and row [2,3] gives
  Wf[0]; row [4,5] then checks the result. The recurrent weights only reach yt1, which is
  saturated (|xt1 Wf| is 46-86 in the first two columns, so they print as exactly 1 and -1
  whatever Wr is); Wr's third column follows from yt1's third column, roughly (those printed
  values are within a few float32 steps of 1). The first two columns of Wr are drawn at random.

Timing: batch size 1 makes every epoch ~1,700 optimizer steps on tiny arrays, so time per epoch
measures per-step overhead (Python, graph building, Adam) rather than arithmetic; the script
prints seconds per epoch next to the book's (TF 2.0 printed 6-7 s for the RNN, 3 s for the
Conv1D model).

    python examples/book_ch5_stocks.py --lab all --data-dir ../shared/data
    python examples/book_ch5_stocks.py --lab ex5.03
    python examples/book_ch5_stocks.py --quick
"""

import math
import os
import pathlib
import sys
import time

import numpy as np
import pandas as pd
from _common import parse_args, setup, write_metrics
from sklearn.preprocessing import MinMaxScaler

import minidl
from minidl import callbacks, viz
from minidl.layers import Activation, Dense, Dropout, Flatten, Reshape, SimpleRNN
from minidl.layers.convolutional import Conv1D
from minidl.layers.pooling import MaxPooling1D
from minidl.models import Sequential
from minidl.preprocessing.sequence import get_lookback

LABS = ("ex5.01", "ex5.02", "ex5.03", "ex5.04", "ex5.05", "act5.01")
LOOK_BACK = 10
EPOCHS = {"ex5.03": 3, "ex5.04": 5, "ex5.05": 3, "act5.01": 5}
BOOK_RMSE = {"ex5.03": (0.02, 0.03), "ex5.04": (0.04, 0.05), "ex5.05": (0.02, 0.03), "act5.01": (0.03, 0.03)}
BOOK_PARAMS = {"ex5.03": 1121, "ex5.04": 36, "ex5.05": 1269, "act5.01": 1269}
BOOK_SECONDS_PER_EPOCH = {"ex5.03": 6, "ex5.04": 3, "ex5.05": 6, "act5.01": 6}
BOOK_SPLITS = {"AAPL.csv": (1885, 629), "IBM.csv": (1888, 630)}
CSV_URLS = {"AAPL.csv": "https://packt.live/325WSKR", "IBM.csv": "https://packt.live/3fgmqIL"}

# Exercise 5.02's printed outputs (tf.print of float32 tensors)
BOOK_YT0 = np.array([[-0.776318431, -0.844548464, 0.438419849],
                     [-0.0857750699, -0.993522227, 0.516408086],
                     [0.698345721, -0.999749422, 0.586677969]])
BOOK_YT1 = np.array([[1, -1, 0.999998629],
                     [1, -1, 0.999998331],
                     [1, -1, 0.999997377]])


def extra_arguments(parser):
    parser.add_argument("--lab", choices=[*LABS, "all"], default="all", help="which exercise to run (default: all)")
    parser.add_argument("--aapl-csv", default=None, help="path to the book's AAPL.csv (default: <data dir>/stocks/AAPL.csv)")
    parser.add_argument("--ibm-csv", default=None, help="path to the book's IBM.csv (default: <data dir>/stocks/IBM.csv)")


def find_stock_csv(name, explicit):
    """The book's CSV: the explicit path, else ``stocks/<name>`` in the data dir or user cache."""
    if explicit:
        path = pathlib.Path(explicit)
        if not path.is_file():
            raise FileNotFoundError(f"{name}: no file at {path}")
        return path
    candidates = []
    if os.environ.get("MINIDL_DATA_DIR"):
        candidates.append(pathlib.Path(os.environ["MINIDL_DATA_DIR"]).expanduser() / "stocks" / name)
    candidates.append(pathlib.Path.home() / ".minidl" / "datasets" / "stocks" / name)
    for path in candidates:
        if path.is_file():
            return path
    looked = ", ".join(str(p) for p in candidates)
    raise FileNotFoundError(f"the book's {name} was not found (looked in: {looked}); download it from "
                            f"{CSV_URLS[name]} and pass --data-dir DIR (with DIR/stocks/{name}) or --{name[:-4].lower()}-csv PATH")


def explicit_flag(flag, argv):
    arguments = sys.argv[1:] if argv is None else argv
    return any(a == flag or a.startswith(flag + "=") for a in arguments)


# ----------------------------------------------------------------------------- data (Ex 5.01)

def load_close_series(path, out, tag, plots=True):
    """Read the CSV as the book does, show head/tail, plot it, and return the oldest-first Close."""
    inp0 = pd.read_csv(path)
    inp0.columns = [c.strip() for c in inp0.columns]  # the files say "Date,Close, Open, ..."
    print(f"--- {path.name}: inp0.head() ---")
    print(inp0.head())
    print(f"--- {path.name}: inp0.tail() ---")
    print(inp0.tail())
    plt = viz.pyplot() if plots else None
    if plots:
        inp0.plot("Date", "Close")
        viz.save_figure(plt.gcf(), out / f"{tag}_close_newest_first.png", dpi=80)
    inp0 = inp0.sort_index(ascending=False)
    if plots:
        inp0.plot("Date", "Close")
        viz.save_figure(plt.gcf(), out / f"{tag}_close_by_date.png", dpi=80)
    ts_data = inp0.Close.values.reshape(-1, 1)
    if plots:
        plt.figure(figsize=[14, 5])
        plt.plot(ts_data)
        plt.title(f"{path.name}: daily Close, oldest first")
        viz.save_figure(plt.gcf(), out / f"{tag}_close_series.png", dpi=80)
    return ts_data


def run_ex5_01(args, out):
    """Exercise 5.01 on its own: both files read, described and plotted (the plots are the lab)."""
    print("\n=== Exercise 5.01: visualising the series ===")
    metrics = {}
    for csv_name in ("AAPL.csv", "IBM.csv"):
        path = find_stock_csv(csv_name, args.aapl_csv if csv_name == "AAPL.csv" else args.ibm_csv)
        tag = csv_name[:-4].lower()
        ts_data = load_close_series(path, out, tag, plots=True)
        dates = pd.read_csv(path, usecols=[0]).iloc[:, 0]
        facts = {
            "rows": int(len(ts_data)),
            "first_row_date": str(dates.iloc[0]), "last_row_date": str(dates.iloc[-1]),
            "close_min": float(ts_data.min()), "close_max": float(ts_data.max()),
            "close_oldest": float(ts_data[0, 0]), "close_newest": float(ts_data[-1, 0]),
            "plots": [f"{tag}_close_newest_first.png", f"{tag}_close_by_date.png", f"{tag}_close_series.png"],
        }
        print(f"{csv_name}: {facts['rows']} rows, file order {facts['first_row_date']} .. {facts['last_row_date']} "
              f"(newest first); Close from {facts['close_min']:.2f} to {facts['close_max']:.2f}, "
              f"oldest {facts['close_oldest']:.2f}, newest {facts['close_newest']:.2f}")
        print("plots: " + ", ".join(str(out / name) for name in facts["plots"]))
        metrics[tag] = facts
    return metrics


def prepare(ts_data, look_back=LOOK_BACK):
    """The book's 75/25 positional split, train-fitted MinMaxScaler and lookback windows."""
    train_recs = int(len(ts_data) * 0.75)
    train_data, test_data = ts_data[:train_recs], ts_data[train_recs:]
    print("len(train_data), len(test_data):", (len(train_data), len(test_data)))
    scaler = MinMaxScaler()
    train_scaled = scaler.fit_transform(train_data)
    test_scaled = scaler.transform(test_data)
    train_x, train_y = get_lookback(train_scaled, look_back=look_back)
    test_x, test_y = get_lookback(test_scaled, look_back=look_back)
    print("trainX.shape, testX.shape:", (train_x.shape, test_x.shape))
    return {"ts_data": ts_data, "train_recs": train_recs, "scaler": scaler, "look_back": look_back,
            "trainX": train_x, "trainY": train_y, "testX": test_x, "testY": test_y}


# ----------------------------------------------------------------------------- Exercise 5.02

def recover_weights_from_book():
    """Wf from the printed yt0 (exactly, up to float32 printing); Wr's third column from yt1."""
    row_01 = np.arctanh(BOOK_YT0[0])                  # tanh(0*Wf[0] + 1*Wf[1])
    row_00 = (np.arctanh(BOOK_YT0[1]) - 3 * row_01) / 2  # tanh(2*Wf[0] + 3*Wf[1])
    wf = np.stack([row_00, row_01])
    xt1 = np.array([[100, 101], [102, 103], [104, 105]], dtype=np.float64)
    # yt1[:, 2] = tanh(yt0 @ Wr[:, 2] + xt1 @ Wf[:, 2]): three equations, three unknowns
    wr_column_2 = np.linalg.solve(BOOK_YT0, np.arctanh(BOOK_YT1[:, 2]) - xt1 @ wf[:, 2])
    return wf, wr_column_2


def run_ex5_02(args):
    print("\n=== Exercise 5.02: the forward pass of a simple RNN, by hand ===")
    num_inputs, num_neurons = 2, 3
    wf_values, wr_column_2 = recover_weights_from_book()
    assert wf_values.shape == (num_inputs, num_neurons)
    rng = np.random.default_rng(args.seed)
    wr_values = rng.standard_normal((num_neurons, num_neurons))
    wr_values[:, 2] = wr_column_2
    print("Wf recovered from the book's printed yt0 (b = 0):")
    print(np.array2string(wf_values.astype(np.float32), precision=6))
    print("Wr: columns 0-1 drawn at random (yt1 cannot reveal them), column 2 recovered from yt1:")
    print(np.array2string(wr_values.astype(np.float32), precision=6))

    wf = minidl.tensor(wf_values.astype(np.float32))
    wr = minidl.tensor(wr_values.astype(np.float32))
    b = minidl.tensor(np.zeros([1, num_neurons], dtype=np.float32))
    xt0_batch = np.array([[0, 1], [2, 3], [4, 5]]).astype(np.float32)
    xt1_batch = np.array([[100, 101], [102, 103], [104, 105]]).astype(np.float32)

    def forward_pass(xt0, xt1):
        yt0 = minidl.tanh(minidl.matmul(minidl.tensor(xt0), wf) + b)
        yt1 = minidl.tanh(minidl.matmul(yt0, wr) + minidl.matmul(minidl.tensor(xt1), wf) + b)
        return yt0, yt1

    yt0_output, yt1_output = forward_pass(xt0_batch, xt1_batch)
    yt0_host, yt1_host = minidl.to_numpy(yt0_output.data), minidl.to_numpy(yt1_output.data)
    print("yt0_output:")
    print(_tf_print_format(yt0_host))
    print("yt1_output:")
    print(_tf_print_format(yt1_host))
    yt0_error = float(np.abs(yt0_host - BOOK_YT0).max())
    yt1_error = float(np.abs(yt1_host - BOOK_YT1).max())
    print(f"largest difference from the book's printout: yt0 {yt0_error:.2e}, yt1 {yt1_error:.2e}")

    # The same computation is one SimpleRNN layer run over the 2-step sequence (xt0, xt1)
    layer = SimpleRNN(num_neurons, return_sequences=True)
    sequence = np.stack([xt0_batch, xt1_batch], axis=1)  # (3 examples, 2 time steps, 2 inputs)
    layer(minidl.tensor(sequence))
    layer.set_weights([wf_values.astype(np.float32), wr_values.astype(np.float32), np.zeros(num_neurons, np.float32)])
    from_layer = minidl.to_numpy(layer(minidl.tensor(sequence)).data)
    layer_error = float(np.abs(from_layer - np.stack([yt0_host, yt1_host], axis=1)).max())
    print(f"SimpleRNN(3, return_sequences=True) with these weights gives the same outputs (max difference {layer_error:.1e})")
    return {"yt0_max_abs_diff_from_book": yt0_error, "yt1_max_abs_diff_from_book": yt1_error,
            "simple_rnn_layer_max_abs_diff": layer_error}


def _tf_print_format(array):
    rows = [" ".join(f"{value:.9g}" for value in row) for row in np.asarray(array, dtype=np.float32)]
    return "[" + "\n ".join(f"[{row}]" for row in rows) + "]"


# ----------------------------------------------------------------------------- models

def build_rnn(look_back=LOOK_BACK):
    model = Sequential()
    model.add(Reshape((look_back, 1), input_shape=(look_back,)))
    model.add(SimpleRNN(32, input_shape=(look_back, 1)))
    model.add(Dense(1))
    model.add(Activation("linear"))
    return model


def build_conv(look_back=LOOK_BACK):
    model = Sequential()
    model.add(Reshape((look_back, 1), input_shape=(look_back,)))
    model.add(Conv1D(5, 5, activation="relu"))
    model.add(MaxPooling1D(5))
    model.add(Flatten())
    model.add(Dense(1))
    model.add(Activation("linear"))
    return model


def build_hybrid(look_back=LOOK_BACK, dropout=None):
    model = Sequential()
    model.add(Reshape((look_back, 1), input_shape=(look_back,)))
    model.add(Conv1D(5, 3, activation="relu"))
    model.add(SimpleRNN(32))
    if dropout is not None:
        model.add(Dropout(dropout))
    model.add(Dense(1))
    model.add(Activation("linear"))
    return model


class EpochTimer(callbacks.Callback):
    """Wall-clock seconds of each training epoch (validation included, as Keras prints it)."""

    def on_train_begin(self, logs=None):
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self._started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._started)


def get_model_perf(model, data):
    """The book's RMSE printout: sqrt of the MSE from evaluate() on the train and test windows."""
    score_train = model.evaluate(data["trainX"], data["trainY"], verbose=0)
    print("Train RMSE: %.2f RMSE" % (math.sqrt(score_train)))
    score_test = model.evaluate(data["testX"], data["testY"], verbose=0)
    print("Test RMSE: %.2f RMSE" % (math.sqrt(score_test)))
    return math.sqrt(score_train), math.sqrt(score_test)


def context_rmse(model, data):
    """Not in the book: test RMSE on full windows only, and the persistence forecast's RMSE."""
    look_back = data["look_back"]
    full_x, full_y = data["testX"][look_back:], data["testY"][look_back:]
    full_windows = math.sqrt(model.evaluate(full_x, full_y, verbose=0))
    persistence = math.sqrt(float(np.mean((full_y[:, 0] - full_x[:, 0]) ** 2)))  # x[:, 0] is yesterday
    print(f"(not in the book) Test RMSE without the {look_back} zero-filled windows: {full_windows:.4f}; "
          f"'tomorrow = today' forecast: {persistence:.4f}")
    return full_windows, persistence


def plot_pred(model, data, path, title, zoom_last=None):
    """The book's plot_pred: actual series (solid) and inverse-scaled test predictions (dashed)."""
    plt = viz.pyplot()
    ts_data, train_recs, look_back = data["ts_data"], data["train_recs"], data["look_back"]
    test_predict = data["scaler"].inverse_transform(model.predict(data["testX"]))
    pred_test_plot = ts_data.astype(np.float64).copy()
    pred_test_plot[:train_recs + look_back, :] = np.nan
    pred_test_plot[train_recs + look_back:, :] = test_predict[look_back:]
    plt.figure(figsize=[10, 5])
    plt.plot(ts_data)
    plt.plot(pred_test_plot, "--")
    if zoom_last:
        start = len(ts_data) - zoom_last
        plt.xlim(start, len(ts_data))
        visible = np.concatenate([ts_data[start:, 0], pred_test_plot[start:, 0]])
        plt.ylim(np.nanmin(visible) - 1, np.nanmax(visible) + 1)
    plt.title(title)
    viz.save_figure(plt.gcf(), path, dpi=80)


def run_model_lab(lab, data, args, out, epochs):
    builders = {"ex5.03": build_rnn, "ex5.04": build_conv, "ex5.05": build_hybrid,
                "act5.01": lambda: build_hybrid(dropout=0.25)}
    titles = {"ex5.03": "Exercise 5.03: plain RNN", "ex5.04": "Exercise 5.04: Conv1D",
              "ex5.05": "Exercise 5.05: Conv1D + RNN", "act5.01": "Activity 5.01: Conv1D + RNN + Dropout (IBM.csv)"}
    print(f"\n=== {titles[lab]} ===")
    model = builders[lab]()
    model.compile(loss="mean_squared_error", optimizer="adam")
    model.summary()
    validation = int(len(data["trainX"]) - int(len(data["trainX"]) * (1 - 0.1)))
    print(f"Train on {len(data['trainX']) - validation} samples, validate on {validation} samples")
    timer = EpochTimer()
    history = model.fit(data["trainX"], data["trainY"], epochs=epochs, batch_size=args.batch_size, verbose=2,
                        validation_split=0.1, callbacks=[timer])
    per_epoch = float(np.mean(timer.seconds))
    print(f"time per epoch: {per_epoch:.2f} s (book, TF 2.0: about {BOOK_SECONDS_PER_EPOCH[lab]} s) -- "
          f"batch size {args.batch_size}, so {math.ceil((len(data['trainX']) - validation) / args.batch_size)} steps per epoch")
    train_rmse, test_rmse = get_model_perf(model, data)
    full_windows, persistence = context_rmse(model, data)
    book_train, book_test = BOOK_RMSE[lab]
    print(f"book: Train RMSE {book_train:.2f}, Test RMSE {book_test:.2f}")
    plot_pred(model, data, out / f"{lab}_predictions.png", titles[lab])
    plot_pred(model, data, out / f"{lab}_predictions_zoom.png", titles[lab] + " (last 100 days)", zoom_last=100)
    return {"params": model.count_params(), "book_params": BOOK_PARAMS[lab], "epochs": epochs,
            "train_rmse": train_rmse, "test_rmse": test_rmse, "test_rmse_full_windows": full_windows,
            "persistence_rmse_full_windows": persistence, "seconds_per_epoch": per_epoch,
            "final_loss": float(history.history["loss"][-1]), "final_val_loss": float(history.history["val_loss"][-1]),
            "lab_reference": {"train_rmse": book_train, "test_rmse": book_test,
                              "seconds_per_epoch_tf2": BOOK_SECONDS_PER_EPOCH[lab]}}


def main(argv=None):
    args = parse_args(__doc__, epochs=3, batch_size=1, extra_arguments=extra_arguments, argv=argv)
    started = time.perf_counter()
    out = setup(args, "book_ch5_stocks")
    labs = LABS if args.lab == "all" else (args.lab,)
    print("NOTE: the book's AAPL.csv holds IBM's prices, not Apple's (its Close column equals IBM.csv's on "
          "every shared date); the 'Apple' exercises below therefore model IBM, as the book's did.")
    metrics = {}
    if "ex5.01" in labs:
        metrics["ex5.01"] = run_ex5_01(args, out)
    if "ex5.02" in labs:
        metrics["ex5.02"] = run_ex5_02(args)

    for csv_name, members in (("AAPL.csv", ("ex5.03", "ex5.04", "ex5.05")), ("IBM.csv", ("act5.01",))):
        chosen = [lab for lab in members if lab in labs]
        if not chosen:
            continue
        path = find_stock_csv(csv_name, args.aapl_csv if csv_name == "AAPL.csv" else args.ibm_csv)
        print(f"\n=== Data: {path} (Exercise 5.01 plots) ===")
        ts_data = load_close_series(path, out, csv_name[:-4].lower(), plots=not args.quick)
        if args.quick:
            ts_data = ts_data[-400:]
            print("--quick: the last 400 days only, one epoch per model")
        data = prepare(ts_data)
        if not args.quick:
            print(f"book: {BOOK_SPLITS[csv_name]}")
        for lab in chosen:
            epochs = 1 if args.quick else (args.epochs if explicit_flag("--epochs", argv) else EPOCHS[lab])
            minidl.set_seed(args.seed)
            metrics[lab] = run_model_lab(lab, data, args, out, epochs)

    print("\n=== Summary: RMSE on the scaled prices (book in brackets) ===")
    for lab in labs:
        if lab in metrics and "train_rmse" in metrics[lab]:
            m = metrics[lab]
            book_train, book_test = BOOK_RMSE[lab]
            print(f"{lab:8s} params {m['params']:5d}  train {m['train_rmse']:.4f} [{book_train:.2f}]  "
                  f"test {m['test_rmse']:.4f} [{book_test:.2f}]  {m['seconds_per_epoch']:.2f} s/epoch")
    write_metrics(out, metrics, args, started)
    return metrics


if __name__ == "__main__":
    main()
