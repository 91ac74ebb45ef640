"""IMDB sentiment with multi-hot (bag-of-words) vectors and small dense networks: labs GB-2A,
A51-1 and A51-2.

GB-2A (Group B assignment 2A), as written::

    (X_train, y_train), (X_test, y_test) = imdb.load_data(num_words=10000)
    data = np.concatenate((X_train, X_test), axis=0); label = np.concatenate((y_train, y_test))
    data = vectorize(data)                                  # multi-hot, 10,000 columns
    X_train, X_test, y_train, y_test = train_test_split(data, label, test_size=0.20, random_state=1)
    model: Dense(50, relu) Dropout(0.3) Dense(50, relu) Dropout(0.2) Dense(50, relu) Dense(1, sigmoid)
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    results = model.fit(X_train, y_train, epochs=2, batch_size=500, validation_data=(X_test, y_test),
                        callbacks=[EarlyStopping(monitor='loss', patience=3)])
    score = model.evaluate(X_test, y_test, batch_size=500)   # lab: loss 0.2511, accuracy 0.8986

A51-1 (Assignment 5.1, after Chollet's "Deep Learning with Python" 3.4)::

    x_train = vectorize_sequences(train_data)              # imdb.load_data(num_words=10000)
    model: Dense(16, relu) Dense(16, relu) Dense(1, relu)   # the text says sigmoid
    model.compile(optimizer=optimizers.RMSprop(lr=0.001), loss=losses.binary_crossentropy,
                  metrics=[metrics.binary_accuracy])
    model.fit(x_train[10000:], y_train[10000:], epochs=20, batch_size=512,
              validation_data=(x_train[:10000], y_train[:10000]))
    # lab: val_binary_accuracy 0.8690, 0.8879 (epoch 2, the best), ... 0.8658 at epoch 20

A51-2: the same network with a sigmoid output, ``compile('rmsprop', 'binary_crossentropy',
['accuracy'])``, ``fit(x_train, y_train, epochs=4, batch_size=512)`` on all 25,000 training
reviews, ``evaluate(x_test, y_test)`` -> lab: ``[0.3109950125217438, 0.8786799907684326]``.

Quirks reproduced as written:

* GB-2A: the "test set" is also the validation set during ``fit`` (``validation_data=(X_test,
  y_test)``), so the reported test accuracy is not held out from model selection; the
  ``test_x = data[:10000]`` / ``train_x = data[10000:]`` split made first is never used; and
  EarlyStopping(patience=3) can never fire in a 2-epoch run.  ``train_test_split(..., 0.2,
  random_state=1)`` is reproduced exactly (scikit-learn's ShuffleSplit draws
  ``RandomState(1).permutation(n)`` and takes the first 20% as test), without needing sklearn.
* A51-1: the output layer is ``Dense(1, activation='relu')`` although the text (and the book it
  follows) says sigmoid.  Binary cross-entropy on a relu "probability" only works because Keras
  clips predictions into ``[1e-7, 1 - 1e-7]``; outputs >= 1 or == 0 get no gradient.
  ``--fix-output`` trains A51-1 with the sigmoid the text describes (report both numbers).
  The lab compiles three times; only the last compile (RMSprop(lr=0.001), BCE,
  binary_accuracy) counts, as here.  Its accuracy plot is labelled "Loss" on the y axis (kept).
* The lab's printed epoch log and its ``history.history`` dump come from two different runs
  of the notebook (their numbers disagree); the reference here is the epoch log.

Data: Keras's pre-tokenised ``imdb.npz`` is not available here; minidl builds the same kind of
arrays from the raw aclImdb texts (see ``minidl/datasets/imdb.py``), so word ids differ from
the lab's printouts (its ``X_train[0]`` is another review) and accuracy can differ slightly.

    python examples/imdb_multihot.py --lab all        # GB-2A, A51-1, A51-2 (a few minutes)
    python examples/imdb_multihot.py --lab a51-1 --fix-output
    python examples/imdb_multihot.py --quick
"""

import time

import numpy as np
from _common import parse_args, setup, write_metrics

from minidl import callbacks, viz
from minidl.datasets import imdb
from minidl.layers import Dense, Dropout
from minidl.models import Sequential
from minidl.optimizers import RMSprop
from minidl.preprocessing.utils import vectorize_sequences

DIMENSION = 10000
LABS = ("gb2a", "a51-1", "a51-2")
LAB_REFERENCE = {
    "gb2a": {"test_accuracy": 0.8985999822616577, "test_loss": 0.25108325481414795},
    "a51-1": {"best_val_binary_accuracy": 0.8879, "best_epoch": 2, "final_val_binary_accuracy": 0.8658},
    "a51-2": {"test_accuracy": 0.8786799907684326, "test_loss": 0.3109950125217438},
}


def add_arguments(parser):
    parser.add_argument("--lab", choices=[*LABS, "all"], default="all", help="which lab to run (default: all)")
    parser.add_argument("--fix-output", action="store_true",
                        help="A51-1: use the sigmoid output the text describes instead of the relu as written")


def train_test_split(data, label, test_size, random_state):
    """scikit-learn's ``train_test_split(data, label, test_size=..., random_state=...)``, exactly:
    ShuffleSplit permutes with ``RandomState(random_state)`` and takes the first ``ceil(test_size * n)``
    rows of the permutation as the test set, the rest as the train set."""
    count = len(data)
    test_count = int(np.ceil(test_size * count))
    permutation = np.random.RandomState(random_state).permutation(count)
    test_rows, train_rows = permutation[:test_count], permutation[test_count:]
    return data[train_rows], data[test_rows], label[train_rows], label[test_rows]


def decode(review, reverse_index, missing):
    """A review as words: ids are offset by 3 (0 padding, 1 start, 2 unknown)."""
    return " ".join(reverse_index.get(i - 3, missing) for i in review)


def run_gb2a(args, out, quick):
    print("=== GB-2A: multi-hot DNN, train+test merged, train_test_split(0.2, random_state=1) ===")
    (x_train, y_train), (x_test, y_test) = imdb.load_data(num_words=DIMENSION)
    data = np.concatenate((x_train, x_test), axis=0)
    label = np.concatenate((y_train, y_test), axis=0)
    print("X_train.shape", x_train.shape, " X_test.shape", x_test.shape)
    print("Review is ", x_train[0])
    print("Review is ", y_train[0])
    print("Categories:", np.unique(label))
    print("Number of unique words:", len(np.unique(np.hstack(data))))
    length = [len(i) for i in data]
    print("Average Review length:", np.mean(length))
    print("Standard Deviation:", round(np.std(length)))
    print("Label:", label[0])
    print("Label:", label[1])
    reverse_index = {value: key for key, value in imdb.get_word_index().items()}
    print(decode(data[0], reverse_index, "#"))

    if quick:
        data, label = data[:2000], label[:2000]
    data = vectorize_sequences(data, DIMENSION)
    label = np.array(label).astype("float32")
    print("label counts (the lab's countplot):", {int(k): int(v) for k, v in zip(*np.unique(label, return_counts=True))})
    x_train, x_test, y_train, y_test = train_test_split(data, label, test_size=0.20, random_state=1)
    del data
    print("X_train.shape", x_train.shape, " X_test.shape", x_test.shape)

    model = Sequential()
    model.add(Dense(50, activation="relu", input_shape=(DIMENSION,)))
    model.add(Dropout(0.3, noise_shape=None, seed=None))
    model.add(Dense(50, activation="relu"))
    model.add(Dropout(0.2, noise_shape=None, seed=None))
    model.add(Dense(50, activation="relu"))
    model.add(Dense(1, activation="sigmoid"))
    model.summary()
    callback = callbacks.EarlyStopping(monitor="loss", patience=3)
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    started = time.perf_counter()
    results = model.fit(x_train, y_train, epochs=args.epochs or 2, batch_size=args.batch_size or 500,
                        validation_data=(x_test, y_test), callbacks=[callback])
    training_time = time.perf_counter() - started
    print(np.mean(results.history["val_accuracy"]))
    score = model.evaluate(x_test, y_test, batch_size=500)
    print("Test loss:", score[0])
    print("Test accuracy:", score[1])
    print(results.history.keys())
    viz.plot_history(results, out / "gb2a_curves.png", title="GB-2A model accuracy / loss (validation = test)")
    return {"gb2a_test_loss": float(score[0]), "gb2a_test_accuracy": float(score[1]),
            "gb2a_training_time_s": training_time}


def build_a51(output_activation):
    model = Sequential()
    model.add(Dense(16, activation="relu", input_shape=(DIMENSION,)))
    model.add(Dense(16, activation="relu"))
    model.add(Dense(1, activation=output_activation))
    return model


def load_a51(quick):
    (train_data, train_labels), (test_data, test_labels) = imdb.load_data(num_words=DIMENSION)
    if quick:
        train_data, train_labels = train_data[:1500], train_labels[:1500]
        test_data, test_labels = test_data[:500], test_labels[:500]
    return train_data, train_labels, test_data, test_labels


def plot_a51(history, out):
    plt = viz.pyplot()
    values = history.history
    epochs = range(1, len(values["binary_accuracy"]) + 1)
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.plot(epochs, values["loss"], "bo", label="Training loss")
    left.plot(epochs, values["val_loss"], "b", label="Validation loss")
    left.set_title("Training and validation loss")
    left.set_xlabel("Epochs")
    left.set_ylabel("Loss")
    left.legend()
    right.plot(epochs, values["binary_accuracy"], "bo", label="Training acc")
    right.plot(epochs, values["val_binary_accuracy"], "b", label="Validation acc")
    right.set_title("Training and validation accuracy")
    right.set_xlabel("Epochs")
    right.set_ylabel("Loss")  # sic: the lab's label
    right.legend()
    figure.tight_layout()
    viz.save_figure(figure, out / "a51_1_curves.png", dpi=80)


def run_a51_1(args, out, quick):
    output_activation = "sigmoid" if args.fix_output else "relu"
    print(f"=== A51-1: Dense16-16-1({output_activation}), RMSprop(lr=0.001), validation = first 10,000 ===")
    train_data, train_labels, _test_data, _test_labels = load_a51(quick)
    print(train_data[0])
    print(train_labels[0])
    print(max([max(sequence) for sequence in train_data]))
    reverse_word_index = {value: key for key, value in imdb.get_word_index().items()}
    print(decode(train_data[0], reverse_word_index, "?"))
    x_train = vectorize_sequences(train_data, DIMENSION)
    print(x_train[0])
    y_train = np.asarray(train_labels).astype("float32")

    model = build_a51(output_activation)
    model.compile(optimizer=RMSprop(lr=0.001), loss="binary_crossentropy", metrics=["binary_accuracy"])
    validation_size = 500 if quick else 10000
    x_val, partial_x_train = x_train[:validation_size], x_train[validation_size:]
    y_val, partial_y_train = y_train[:validation_size], y_train[validation_size:]
    started = time.perf_counter()
    history = model.fit(partial_x_train, partial_y_train, epochs=args.epochs or 20,
                        batch_size=args.batch_size or 512, validation_data=(x_val, y_val))
    training_time = time.perf_counter() - started
    history_dict = history.history
    print(history_dict.keys())
    print(history_dict)
    plot_a51(history, out)
    val_accuracy = history_dict["val_binary_accuracy"]
    best = int(np.argmax(val_accuracy))
    print(f"best val_binary_accuracy {val_accuracy[best]:.4f} at epoch {best + 1} "
          f"(lab: 0.8879 at epoch 2); final {val_accuracy[-1]:.4f} (lab: 0.8658)")
    return {"a51_1_output_activation": output_activation,
            "a51_1_best_val_binary_accuracy": float(val_accuracy[best]), "a51_1_best_epoch": best + 1,
            "a51_1_final_val_binary_accuracy": float(val_accuracy[-1]),
            "a51_1_training_time_s": training_time}


def run_a51_2(args, out, quick):
    print("=== A51-2: Dense16-16-1(sigmoid), rmsprop, all 25,000 training reviews, 4 epochs ===")
    train_data, train_labels, test_data, test_labels = load_a51(quick)
    x_train = vectorize_sequences(train_data, DIMENSION)
    x_test = vectorize_sequences(test_data, DIMENSION)
    y_train = np.asarray(train_labels).astype("float32")
    y_test = np.asarray(test_labels).astype("float32")
    model = build_a51("sigmoid")
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
    started = time.perf_counter()
    model.fit(x_train, y_train, epochs=args.epochs or 4, batch_size=args.batch_size or 512)
    training_time = time.perf_counter() - started
    results = model.evaluate(x_test, y_test)
    print(results)
    print(model.predict(x_test))
    return {"a51_2_test_loss": float(results[0]), "a51_2_test_accuracy": float(results[1]),
            "a51_2_training_time_s": training_time}


def main(argv=None):
    # Each lab has its own epochs and batch size (GB-2A 2/500, A51-1 20/512, A51-2 4/512); the
    # options override them for every lab run only when given.
    args = parse_args(__doc__, epochs=2, batch_size=500, extra_arguments=add_arguments, argv=argv)
    given = _given_options(argv)
    if "--epochs" not in given:
        args.epochs = None
    if "--batch-size" not in given:
        args.batch_size = None
    started = time.perf_counter()
    out = setup(args, "imdb_multihot")
    if args.quick and args.epochs is None:
        args.epochs = 2
    labs = LABS if args.lab == "all" else (args.lab,)
    runners = {"gb2a": run_gb2a, "a51-1": run_a51_1, "a51-2": run_a51_2}
    metrics = {}
    for lab in labs:
        metrics.update(runners[lab](args, out, args.quick))
    metrics["lab_reference"] = {lab: LAB_REFERENCE[lab] for lab in labs}
    write_metrics(out, metrics, args, started)
    return metrics


def _given_options(argv):
    """The option names present on the command line (``--epochs=3`` counts as ``--epochs``)."""
    import sys

    given = sys.argv[1:] if argv is None else argv
    return {item.split("=")[0] for item in given if item.startswith("--")}


if __name__ == "__main__":
    np.set_printoptions(linewidth=120, threshold=20)
    main()
