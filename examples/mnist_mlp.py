"""Lab LM-2 (lab manual): a "two-class neural network with a hidden layer" on MNIST.

The lab, as written::

    (x_train, y_train), (x_test, y_test) = tf.keras.datasets.mnist.load_data()
    x_train = x_train.astype('float32'); x_test = x_test.astype('float32')
    gray_scale = x_train / 255            # QUIRK: assigned to an unused variable ...
    gray_scale = x_test / 255             # ... so the model trains on raw 0-255 pixels
    model = Sequential([Flatten(input_shape=(28, 28)), Dense(256, activation='sigmoid'),
                        Dense(128, activation='sigmoid'), Dense(10, activation='sigmoid')])
    model.compile(optimizer='adam', loss='sparse_categorical_crossentropy', metrics=['accuracy'])
    model.fit(x_train, y_train, epochs=10, batch_size=2000, validation_split=0.2)
    results = model.evaluate(x_test, y_test, verbose=0)     # lab: [0.2721, 0.9224]

Quirks reproduced as written: (1) the /255 scaling never reaches the model (``--fix-scaling``
applies it); (2) the output layer is a sigmoid, not a softmax, fed to sparse categorical
cross-entropy -- Keras then clips each probability and renormalises them, and so does minidl.
The lab also draws the first 100 training digits in a 10x10 grid (``digits.png``).

    python examples/mnist_mlp.py [--fix-scaling] [--quick]
    mpiexec -n 2 python examples/mnist_mlp.py --distributed     # data parallel on two processes
"""

import time

from _common import distribution_scope, is_primary, parse_args, setup, write_metrics

from minidl import viz
from minidl.datasets import mnist
from minidl.layers import Dense, Flatten
from minidl.models import Sequential


def add_arguments(parser):
    parser.add_argument("--fix-scaling", action="store_true",
                        help="divide the pixels by 255 as the lab meant to (the lab's own run did not)")


def main(argv=None):
    args = parse_args(__doc__, epochs=10, batch_size=2000, extra_arguments=add_arguments, argv=argv, distributed=True)
    started = time.perf_counter()
    out = setup(args, "mnist_mlp")

    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    x_train = x_train.astype("float32")
    x_test = x_test.astype("float32")
    if args.fix_scaling:
        x_train, x_test = x_train / 255, x_test / 255
    print("Feature matrix:", x_train.shape)
    print("Target matrix:", x_test.shape)
    print("Feature matrix:", y_train.shape)
    print("Target matrix:", y_test.shape)
    if is_primary(args):
        viz.image_grid(x_train[:100], out / "digits.png", rows=10, cols=10, cmap="viridis")
    if args.quick:
        x_train, y_train, x_test, y_test = x_train[:4000], y_train[:4000], x_test[:1000], y_test[:1000]

    with distribution_scope(args):
        model = Sequential([
            Flatten(input_shape=(28, 28)),
            Dense(256, activation="sigmoid"),
            Dense(128, activation="sigmoid"),
            Dense(10, activation="sigmoid"),
        ])
        model.summary()
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x_train, y_train, epochs=args.epochs, batch_size=args.batch_size, validation_split=0.2)

    results = model.evaluate(x_test, y_test, verbose=0)
    print("test loss, test acc:", results)
    if is_primary(args):
        viz.plot_history(history, out / "curves.png", title="LM-2 MNIST MLP")
    write_metrics(out, {
        "test_loss": results[0], "test_accuracy": results[1],
        "final_val_accuracy": history.history["val_accuracy"][-1],
        "lab_reference": {"test_loss": 0.2721, "test_accuracy": 0.9224, "epoch10_val_accuracy": 0.9264},
    }, args, started)


if __name__ == "__main__":
    main()
