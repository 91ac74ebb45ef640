"""Group B assignment 3B (GB-3B): classify Fashion-MNIST clothing with a CNN.

The assignment, as written (tf.keras)::

    (x_train, y_train), (x_test, y_test) = keras.datasets.fashion_mnist.load_data()
    x_train = x_train.astype('float32') / 255.0
    x_test = x_test.astype('float32') / 255.0
    x_train = x_train.reshape(-1, 28, 28, 1)
    x_test = x_test.reshape(-1, 28, 28, 1)
    model = keras.Sequential([
        keras.layers.Conv2D(32, (3,3), activation='relu', input_shape=(28,28,1)),
        keras.layers.MaxPooling2D((2,2)),
        keras.layers.Dropout(0.25),
        keras.layers.Conv2D(64, (3,3), activation='relu'),
        keras.layers.MaxPooling2D((2,2)),
        keras.layers.Dropout(0.25),
        keras.layers.Conv2D(128, (3,3), activation='relu'),
        keras.layers.Flatten(),
        keras.layers.Dense(128, activation='relu'),
        keras.layers.Dropout(0.25),
        keras.layers.Dense(10, activation='softmax')])                # 241,546 params
    model.compile(optimizer='adam', loss='sparse_categorical_crossentropy', metrics=['accuracy'])
    history = model.fit(x_train, y_train, epochs=10, validation_data=(x_test, y_test))
    test_loss, test_acc = model.evaluate(x_test, y_test)
    print('Test accuracy:', test_acc)          # assignment: loss 0.2606, accuracy 0.9031

Quirks reproduced as written: the test set doubles as the validation set, so the "validation"
curve is the test curve and there is no held-out estimate; the batch size is Keras's default, 32
(the assignment's note "1875 is a number of batches ... 60000 / 32 = 1875"). The assignment's
printed ``x_train.shape`` reads ``(60000, 28, 28)`` although the reshape to ``(60000, 28, 28, 1)``
came before it (a notebook cell run out of order); the script prints the real shapes.

Plots: the assignment's ``plt.imshow(x_train[1])`` and ``plt.imshow(x_train[0])``
(``train_images_1_and_0.png``) and accuracy/loss curves (``curves.png``).

    python examples/fashion_cnn.py            # the full assignment: 10 epochs on 60,000 images
    python examples/fashion_cnn.py --quick    # a smoke run on a small subset
    mpiexec -n 2 python examples/fashion_cnn.py --distributed     # data parallel on two processes
"""

import time

from _common import distribution_scope, is_primary, parse_args, setup, write_metrics

from minidl import viz
from minidl.datasets import fashion_mnist
from minidl.layers import Dense, Dropout, Flatten
from minidl.layers.convolutional import Conv2D
from minidl.layers.pooling import MaxPooling2D
from minidl.models import Sequential

CLASS_NAMES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")


def build_model():
    return Sequential([
        Conv2D(32, (3, 3), activation="relu", input_shape=(28, 28, 1)),
        MaxPooling2D((2, 2)),
        Dropout(0.25),
        Conv2D(64, (3, 3), activation="relu"),
        MaxPooling2D((2, 2)),
        Dropout(0.25),
        Conv2D(128, (3, 3), activation="relu"),
        Flatten(),
        Dense(128, activation="relu"),
        Dropout(0.25),
        Dense(10, activation="softmax"),
    ])


def main(argv=None):
    args = parse_args(__doc__, epochs=10, batch_size=32, argv=argv, distributed=True)
    started = time.perf_counter()
    out = setup(args, "fashion_cnn")

    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()
    if is_primary(args):
        viz.image_grid(x_train[[1, 0]], out / "train_images_1_and_0.png", rows=1, cols=2, cmap="viridis",
                       titles=[f"x_train[1]: {CLASS_NAMES[y_train[1]]}", f"x_train[0]: {CLASS_NAMES[y_train[0]]}"])
    x_train = x_train.astype("float32") / 255.0
    x_test = x_test.astype("float32") / 255.0
    x_train = x_train.reshape(-1, 28, 28, 1)
    x_test = x_test.reshape(-1, 28, 28, 1)
    print(x_train.shape)
    print(x_test.shape)
    print(y_train.shape)
    print(y_test.shape)
    if args.quick:
        x_train, y_train, x_test, y_test = x_train[:1000], y_train[:1000], x_test[:300], y_test[:300]

    with distribution_scope(args):
        model = build_model()
        model.summary()
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    epochs = min(args.epochs, 2) if args.quick else args.epochs
    history = model.fit(x_train, y_train, epochs=epochs, batch_size=args.batch_size,
                        validation_data=(x_test, y_test))
    test_loss, test_acc = model.evaluate(x_test, y_test)
    print("Test accuracy:", test_acc)
    if is_primary(args):
        viz.plot_history(history, out / "curves.png", title="GB-3B Fashion-MNIST CNN")

    write_metrics(out, {
        "test_loss": test_loss, "test_accuracy": test_acc, "epochs_run": epochs,
        "params": model.count_params(),
        "lab_reference": {"test_loss": 0.2606, "test_accuracy": 0.9031, "params": 241546},
    }, args, started)


if __name__ == "__main__":
    main()
