"""The Deep Learning Workshop, chapter 2: perceptrons by hand, then dense networks with Keras.

The first half is the book's low-level TensorFlow 2 code ported to minidl's low-level face
(``tf.Variable`` -> ``minidl.tensor``, ``tf.nn.*`` -> ``minidl.ops.*``,
``optimizer.minimize(loss, [W, B])``); every variable starts at zero and every step uses the
whole data set, so the results are deterministic and must equal the book's to float32 precision:

* Ex 2.01 OR perceptron::

      W = tf.Variable(tf.zeros([2, 1])); B = tf.Variable(tf.zeros([1, 1]))
      def perceptron(X): return tf.sigmoid(tf.add(tf.matmul(X, W), B))
      optimizer = tf.optimizers.SGD(0.01)
      for n in range(1000):
          loss = lambda: abs(tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(
              labels=y, logits=perceptron(X))))
          optimizer.minimize(loss, [W, B])
      tf.print(W)      # book: [[0.412449151] [0.412449151]]
      tf.print(B)      # book: 0.236065879

* Ex 2.02 the same on ``data.csv`` (21 points) -> W [[-0.844034135] [0.673354745]], B
  [0.0593947917]; accuracy 1.0; confusion matrix [[12 0] [0 9]].
* Ex 2.03 iris, 3 softmax units, ``softmax_cross_entropy_with_logits`` and Adam(.01), 1000 steps
  -> the book's 4x3 weight matrix; ``accuracy_score(y, tf.round(ypred))`` = 0.98.
* ``tf.nn.softmax([3,1,7,2,4,5])`` and ``tf.nn.relu([1.0, -2., 0., 0.3, -1.5])`` demos.
* Ex 2.04 MNIST, one softmax layer of 10 units on the full 60,000-image batch, Adam(.01),
  1000 steps, the same double-softmax loss -> test accuracy_score 0.9304.

The second half uses the Keras face (``Sequential``, ``compile``, ``fit``, ``evaluate``) with
Keras's random initialisers, so its numbers vary a little with ``--seed``:

* Ex 2.05 ``Dense(1, input_dim=2, activation='sigmoid')`` on data.csv, adam, binary CE,
  1000 epochs -> loss 0.2442, accuracy 1.0.
* Ex 2.06 Dense50 relu -> Dense20 relu -> Dense1 sigmoid (1,191 params), 50 epochs -> loss
  0.1038, accuracy 1.0.
* Ex 2.07 MNIST: Flatten -> Dense50 relu -> Dense20 relu -> Dense10 softmax (40,480 params),
  adam, sparse categorical CE, 50 epochs of batch 32 -> test accuracy 0.9718; test image 200
  is predicted as 3.
* Act 2.01 Sonar: LabelEncoder (Mine=0, Rock=1), Dense300 -> 200 -> 100 relu -> Dense1 sigmoid
  (98,701 params), adam, binary CE, 30 epochs -> accuracy on the training data 1.0.

Quirks reproduced as written: (1) Ex 2.01-2.04 apply sigmoid/softmax in ``perceptron`` and then
hand those probabilities to ``*_cross_entropy_with_logits``, which applies them again (the
book's exact numbers depend on it); the ``abs`` around a mean of non-negative losses does
nothing. (2) The book's ``iris.csv`` names its columns petallength, petalwidth, sepallength,
sepalwidth although they hold sepal length, sepal width, petal length, petal width; the code
uses the names as they stand, so the scatter plot of "sepallength" against "sepalwidth"
(Figure 2.18, ``ex2.03_iris.png``) really shows petal length and petal width. (3) Accuracy on iris and
MNIST is ``accuracy_score`` of the one-hot labels against the rounded probabilities: subset
accuracy, where a row with no probability above 0.5 counts as wrong. (4) Ex 2.06 passes
``input_dim=2`` to its last layer too, which Keras ignores. (5) Ex 2.05/2.06 and Act 2.01
report accuracy on the data they trained on (there is no test set). (6) For Ex 2.01 the book
says "let's say the result is 1.0"; its own weights give 0.75 -- sigmoid(0.236) = 0.559 rounds
(0, 0) up to 1 -- and so does minidl. Not reproduced, because
it is not so: the book's remark that the optimizer keeps the weights of the lowest loss.

Differences: pandas >= 2 makes ``get_dummies`` booleans, cast here to float32 (the book's
pandas gave uint8). ``--epochs`` sets Ex 2.07's epochs (the book's 50); the other labs use the
book's counts. ``--quick`` runs the exact labs in full (they take seconds) and shrinks the rest:
Ex 2.04 to 2,000 images and 100 steps, Ex 2.05 to 100 epochs, Ex 2.07 to 2 epochs on 2,000
images, Act 2.01 to 5 epochs.

    python examples/book_ch2_dense.py [--lab all|ex2.01|ex2.02|ex2.03|demos|ex2.04|ex2.05|ex2.06|ex2.07|act2.01]
"""

import time

import numpy as np
import pandas as pd
from _common import parse_args, setup, write_metrics
from _dlw_print import format_tensor, tf_print
from sklearn.metrics import accuracy_score, confusion_matrix
from sklearn.preprocessing import LabelEncoder

import minidl
from minidl import ops, viz
from minidl.datasets import book_ch02, mnist, sonar
from minidl.layers import Dense, Flatten
from minidl.models import Sequential
from minidl.optimizers import SGD, Adam

LABS = ("ex2.01", "ex2.02", "ex2.03", "demos", "ex2.04", "ex2.05", "ex2.06", "ex2.07", "act2.01")
EXACT = {
    "ex2.01_W": [[0.412449151], [0.412449151]],
    "ex2.01_B": [[0.236065879]],
    "ex2.02_W": [[-0.844034135], [0.673354745]],
    "ex2.02_B": [0.0593947917],
    "ex2.03_W": [[0.684310317, 0.895633, -1.0132345],
                 [2.6424644, -1.13437736, -3.20665336],
                 [-2.96634197, -0.129377216, 3.2572844],
                 [-2.97383809, -3.13501668, 3.2313652]],
    "softmax_demo": [0.0151037546, 0.00204407098, 0.824637055, 0.00555636082, 0.0410562605, 0.111602485],
    "relu_demo": [1.0, 0.0, 0.0, 0.3, 0.0],
}
BOOK = {
    "ex2.02_accuracy": 1.0, "ex2.02_confusion": [[12, 0], [0, 9]],
    "ex2.03_subset_accuracy": 0.98, "ex2.04_test_subset_accuracy": 0.9304,
    "ex2.05_loss": 0.24421504139900208, "ex2.05_accuracy": 1.0,
    "ex2.06_loss": 0.1037961095571518, "ex2.06_accuracy": 1.0,
    "ex2.07_test_loss": 0.20719025060918111, "ex2.07_test_accuracy": 0.9718, "ex2.07_prediction_200": 3,
    "act2.01_training_loss": 0.003758653004367191, "act2.01_training_accuracy": 1.0,
    **EXACT,
}


def add_arguments(parser):
    parser.add_argument("--lab", choices=("all",) + LABS, default="all", help="which exercise to run (default: all)")


def _zeros(shape):
    """``tf.Variable(tf.zeros(shape))``: a float32 variable of zeros."""
    return minidl.tensor(np.zeros(shape, dtype=np.float32))


def _train_perceptron(x, y, weight, bias, optimizer, activation, cross_entropy, steps):
    """The book's perceptron and its training loop (probabilities fed as logits, as written)."""
    def perceptron(inputs):
        z = ops.add(ops.matmul(inputs, weight), bias)
        output = activation(z)
        return output

    for _ in range(steps):
        loss = lambda: abs(ops.mean(cross_entropy(y, perceptron(x))))  # noqa: E731 - the book's lambda
        optimizer.minimize(loss, [weight, bias])
    return perceptron


def ex_2_01():
    print("Exercise 2.01: the OR perceptron, SGD(0.01), 1000 steps")
    X = minidl.tensor(np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32))  # noqa: N806
    print(X)
    y = minidl.tensor(np.array([0, 1, 1, 1], dtype=np.float32))
    y = ops.reshape(y, (4, 1))
    print(y)
    NUM_FEATURES = X.shape[1]  # noqa: N806 - the book's names
    OUTPUT_SIZE = 1  # noqa: N806
    W = _zeros((NUM_FEATURES, OUTPUT_SIZE))  # noqa: N806
    B = _zeros((OUTPUT_SIZE, 1))  # noqa: N806
    untrained = ops.sigmoid(ops.add(ops.matmul(X, W), B))
    print("before training:", untrained)
    perceptron = _train_perceptron(X, y, W, B, SGD(0.01), ops.sigmoid, ops.sigmoid_cross_entropy_with_logits, 1000)
    tf_print(W)
    tf_print(B)
    ypred = np.round(perceptron(X).numpy())
    accuracy = accuracy_score(y.numpy(), ypred)
    print(accuracy)
    return {"ex2.01_W": W.numpy().tolist(), "ex2.01_B": B.numpy().tolist(), "ex2.01_accuracy": accuracy}


def ex_2_02(out):
    print("Exercise 2.02: the perceptron as a binary classifier on data.csv, SGD(0.01), 1000 steps")
    df = book_ch02.load_dataframe("data.csv")
    print(df.head())
    _scatter_two_classes(df, "x1", "x2", "label", out / "ex2.02_data.png", "Figure 2.11: data.csv")
    X_input = df[["x1", "x2"]].values  # noqa: N806
    y_label = df[["label"]].values
    x = minidl.tensor(X_input.astype(np.float32))
    y = minidl.tensor(y_label.astype(np.float32))
    weight = _zeros((2, 1))
    bias = _zeros((1,))
    perceptron = _train_perceptron(x, y, weight, bias, SGD(0.01), ops.sigmoid,
                                   ops.sigmoid_cross_entropy_with_logits, 1000)
    tf_print(weight, bias)
    ypred = np.round(perceptron(x).numpy())
    acc = accuracy_score(y.numpy(), ypred)
    print(acc)
    cnf_matrix = confusion_matrix(y.numpy(), ypred)
    print(cnf_matrix)
    return {"ex2.02_W": weight.numpy().tolist(), "ex2.02_B": bias.numpy().tolist(),
            "ex2.02_accuracy": acc, "ex2.02_confusion": cnf_matrix.tolist()}


def ex_2_03(out):
    print("Exercise 2.03: multiclass perceptron on iris, Adam(.01), 1000 steps")
    df = book_ch02.load_dataframe("iris.csv")
    print(df.head())
    _scatter_iris(df, out / "ex2.03_iris.png")
    x = df[["petallength", "petalwidth", "sepallength", "sepalwidth"]].values
    y = df["species"]
    y = pd.get_dummies(y)
    y = y.values.astype(np.float32)  # pandas >= 2 gives booleans; the book's pandas gave uint8
    x = minidl.tensor(x.astype(np.float32))
    number_of_features, number_of_units = 4, 3
    weight = _zeros((number_of_features, number_of_units))
    bias = _zeros((number_of_units,))
    perceptron = _train_perceptron(x, y, weight, bias, Adam(0.01), ops.softmax,
                                   ops.softmax_cross_entropy_with_logits, 1000)
    tf_print(weight)
    ypred = np.round(perceptron(x).numpy())
    accuracy = accuracy_score(y, ypred)
    print(accuracy)
    return {"ex2.03_W": weight.numpy().tolist(), "ex2.03_B": bias.numpy().tolist(),
            "ex2.03_subset_accuracy": accuracy}


def demos():
    print("The softmax and ReLU demos")
    values = minidl.tensor(np.array([3, 1, 7, 2, 4, 5], dtype=np.float32))
    output = ops.softmax(values)
    tf_print(output)
    print("sum:", format_tensor(ops.sum(output)))
    values = minidl.tensor(np.array([1.0, -2.0, 0.0, 0.3, -1.5], dtype=np.float32))
    relu_output = ops.relu(values)
    tf_print(relu_output)
    return {"softmax_demo": output.numpy().tolist(), "relu_demo": relu_output.numpy().tolist()}


def ex_2_04(quick):
    steps = 100 if quick else 1000
    print(f"Exercise 2.04: MNIST with one softmax layer, full batch, Adam(.01), {steps} steps")
    (train_features, train_labels), (test_features, test_labels) = mnist.load_data()
    if quick:
        train_features, train_labels = train_features[:2000], train_labels[:2000]
        test_features, test_labels = test_features[:1000], test_labels[:1000]
    train_features = train_features / 255.0
    test_features = test_features / 255.0
    x = minidl.tensor(train_features.reshape(len(train_features), 784).astype(np.float32))
    y = pd.get_dummies(train_labels).values.astype(np.float32)
    num_features, num_classes = 784, 10
    weight = _zeros((num_features, num_classes))
    bias = _zeros((num_classes,))
    started = time.perf_counter()
    perceptron = _train_perceptron(x, y, weight, bias, Adam(0.01), ops.softmax,
                                   ops.softmax_cross_entropy_with_logits, steps)
    print(f"({steps} steps in {time.perf_counter() - started:.1f} s)")
    test = minidl.tensor(test_features.reshape(len(test_features), 784).astype(np.float32))
    test_hot = pd.get_dummies(test_labels).values.astype(np.float32)
    with minidl.no_grad():
        ypred = np.round(perceptron(test).numpy())
    accuracy = accuracy_score(test_hot, ypred)
    print(accuracy)
    return {"ex2.04_test_subset_accuracy": accuracy, "ex2.04_steps": steps}


def ex_2_05(quick):
    epochs = 100 if quick else 1000
    print(f"Exercise 2.05: binary classification with Keras, Dense(1) sigmoid, {epochs} epochs")
    df = book_ch02.load_dataframe("data.csv")
    x_input = df[["x1", "x2"]].values
    y_label = df[["label"]].values
    model = Sequential()
    model.add(Dense(units=1, input_dim=2, activation="sigmoid"))
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    model.summary()
    model.fit(x_input, y_label, epochs=epochs)
    results = model.evaluate(x_input, y_label)
    print(results)
    return {"ex2.05_loss": results[0], "ex2.05_accuracy": results[1], "ex2.05_epochs": epochs}


def ex_2_06():
    print("Exercise 2.06: multilayer binary classifier, Dense50-20-1, 50 epochs")
    df = book_ch02.load_dataframe("data.csv")
    x_input = df[["x1", "x2"]].values
    y_label = df[["label"]].values
    model = Sequential()
    model.add(Dense(units=50, input_dim=2, activation="relu"))
    model.add(Dense(units=20, activation="relu"))
    model.add(Dense(units=1, input_dim=2, activation="sigmoid"))  # input_dim ignored, as in Keras
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    model.summary()
    model.fit(x_input, y_label, epochs=50)
    results = model.evaluate(x_input, y_label)
    print(results)
    return {"ex2.06_loss": results[0], "ex2.06_accuracy": results[1], "ex2.06_params": model.count_params()}


def ex_2_07(epochs, batch_size, quick):
    if quick:
        epochs = 2
    print(f"Exercise 2.07: deep neural network on MNIST with Keras, {epochs} epochs, batch {batch_size}")
    (train_features, train_labels), (test_features, test_labels) = mnist.load_data()
    if quick:
        train_features, train_labels = train_features[:2000], train_labels[:2000]
        test_features, test_labels = test_features[:1000], test_labels[:1000]
    train_features, test_features = train_features / 255.0, test_features / 255.0
    model = Sequential()
    model.add(Flatten(input_shape=(28, 28)))
    model.add(Dense(units=50, activation="relu"))
    model.add(Dense(units=20, activation="relu"))
    model.add(Dense(units=10, activation="softmax"))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.summary()
    started = time.perf_counter()
    history = model.fit(train_features, train_labels, epochs=epochs, batch_size=batch_size)
    fit_seconds = time.perf_counter() - started
    results = model.evaluate(test_features, test_labels)
    print(results)
    loc = 200
    test_image = test_features[loc]
    print(test_image.shape)
    test_image = test_image.reshape(1, 28, 28)
    result = np.asarray(model.predict(test_image))
    print(result)
    prediction = int(result.argmax())
    print(prediction)
    print(int(test_labels[loc]))
    return {"ex2.07_test_loss": results[0], "ex2.07_test_accuracy": results[1], "ex2.07_prediction_200": prediction,
            "ex2.07_label_200": int(test_labels[loc]), "ex2.07_params": model.count_params(),
            "ex2.07_final_training_accuracy": history.history["accuracy"][-1], "ex2.07_epochs": epochs,
            "ex2.07_fit_seconds": round(fit_seconds, 1)}


def act_2_01(quick):
    epochs = 5 if quick else 30
    print(f"Activity 2.01: a multilayer network for the Sonar signals, {epochs} epochs")
    df = sonar.load_dataframe()
    print(df.head())
    X_input = df.iloc[:, :-1]  # noqa: N806 - the book's names
    Y_label = df["Class"].values  # noqa: N806
    labelencoder_Y = LabelEncoder()  # noqa: N806
    Y_label = labelencoder_Y.fit_transform(Y_label)  # noqa: N806
    Y_label = Y_label.reshape([208, 1])  # noqa: N806
    print("classes:", dict(zip(labelencoder_Y.classes_, range(len(labelencoder_Y.classes_)))))
    model = Sequential()
    model.add(Dense(300, input_dim=60, activation="relu"))
    model.add(Dense(200, activation="relu"))
    model.add(Dense(100, activation="relu"))
    model.add(Dense(1, activation="sigmoid"))
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    model.summary()
    model.fit(X_input, Y_label, epochs=epochs)
    results = model.evaluate(X_input, Y_label)
    print(results)
    return {"act2.01_training_loss": results[0], "act2.01_training_accuracy": results[1],
            "act2.01_params": model.count_params(), "act2.01_epochs": epochs}


def _scatter_two_classes(df, x_column, y_column, label_column, path, title):
    plt = viz.pyplot()

    figure, axes = plt.subplots(figsize=(5, 4))
    for label, marker in ((0, "*"), (1, "^")):
        rows = df[df[label_column] == label]
        axes.scatter(rows[x_column], rows[y_column], marker=marker, s=60, label=f"class {label}")
    axes.set_xlabel(x_column)
    axes.set_ylabel(y_column)
    axes.set_title(title)
    axes.legend()
    figure.tight_layout()
    viz.save_figure(figure, path, dpi=100)


def _scatter_iris(df, path):
    plt = viz.pyplot()

    figure, axes = plt.subplots(figsize=(5, 4))
    for species, marker, name in ((0, "*", "setosa"), (1, "^", "versicolor"), (2, "o", "virginica")):
        rows = df[df["species"] == species]
        axes.scatter(rows["sepallength"], rows["sepalwidth"], marker=marker, label=name)
    axes.set_xlabel("sepallength (the file's name)")
    axes.set_ylabel("sepalwidth (the file's name)")
    axes.set_title("Figure 2.18: iris.csv")
    axes.legend()
    figure.tight_layout()
    viz.save_figure(figure, path, dpi=100)


def _compare_with_book(metrics):
    """Exact values beside the book's (float32, rtol 1e-5); the rest side by side."""
    verdicts = {}
    lines = []
    for key, expected in BOOK.items():
        if key not in metrics:
            continue
        got = metrics[key]
        if key in EXACT:
            # Ex 2.03: TensorFlow's softmax/cross-entropy kernels round differently in float32;
            # after 1000 Adam steps the weights differ by up to ~1.4e-6 relative, hence atol 1e-6.
            matches = bool(np.allclose(got, expected, rtol=1e-5, atol=1e-6))
            verdicts[key] = matches
            verdict = "MATCH" if matches else "DIFFERENT"
            book_text = format_tensor(np.asarray(expected, np.float32)).replace("\n", "")
            got_text = format_tensor(np.asarray(got, np.float32)).replace("\n", "")
        else:
            verdict = ""
            book_text, got_text = str(expected), str(got)
        lines.append(f"  {key:<28} book {book_text}   minidl {got_text}   {verdict}")
    if lines:
        print("\nThe book's values and minidl's (exact ones: float32, rtol 1e-5):")
        print("\n".join(lines))
    return verdicts


def main(argv=None):
    args = parse_args(__doc__, epochs=50, batch_size=32, extra_arguments=add_arguments, argv=argv)
    started = time.perf_counter()
    out = setup(args, "book_ch2_dense")
    chosen = LABS if args.lab == "all" else (args.lab,)

    run_lab = {
        "ex2.01": ex_2_01,
        "ex2.02": lambda: ex_2_02(out),
        "ex2.03": lambda: ex_2_03(out),
        "demos": demos,
        "ex2.04": lambda: ex_2_04(args.quick),
        "ex2.05": lambda: ex_2_05(args.quick),
        "ex2.06": ex_2_06,
        "ex2.07": lambda: ex_2_07(args.epochs, args.batch_size, args.quick),
        "act2.01": lambda: act_2_01(args.quick),
    }
    metrics = {}
    for lab in chosen:
        print()
        metrics.update(run_lab[lab]())

    verdicts = _compare_with_book(metrics)
    write_metrics(out, {
        **metrics,
        "exact_matches_book": verdicts,
        "lab_reference": {key: value for key, value in BOOK.items()
                          if key.split("_")[0] in chosen or (key in ("softmax_demo", "relu_demo") and "demos" in chosen)},
    }, args, started)


if __name__ == "__main__":
    main()
