"""Lab LM-3 (lab manual): digit classification on MNIST with a CNN, and saving the model.

The lab, as written (Keras 2)::

    model = Sequential()
    model.add(Conv2D(32, kernel_size=(3, 3), activation='relu', input_shape=(28, 28, 1)))
    model.add(Conv2D(64, (3, 3), activation='relu'))
    model.add(MaxPooling2D(pool_size=(2, 2)))
    model.add(Dropout(0.25))
    model.add(Flatten())
    model.add(Dense(128, activation='relu'))
    model.add(Dropout(0.5))
    model.add(Dense(10, activation='softmax'))                       # 1,199,882 params
    model.compile(loss=keras.losses.categorical_crossentropy,
                  optimizer=keras.optimizers.Adadelta(), metrics=['accuracy'])
    model.fit(X_train, y_train, batch_size=128, epochs=10, verbose=1,
              validation_data=(X_test, y_test))                        # lab: test acc 0.9904
    open('model.json', 'w').write(model.to_json()); model.save_weights('model.h5')

Quirk: ``Adadelta()`` meant learning rate 1.0 in the Keras 2.2 the lab used (tf.keras later
changed the default to 0.001, which barely trains in 10 epochs); the example passes
``learning_rate=1.0`` explicitly. The test set doubles as the validation set, as in the lab.
Plots: the first nine digits with labels (``digits.png``) and accuracy/loss curves.

    python examples/mnist_cnn.py [--quick] [--backend cupy]
    mpiexec -n 2 python examples/mnist_cnn.py --distributed     # data parallel on two processes
"""

import time

from _common import distribution_scope, is_primary, parse_args, setup, write_metrics

from minidl import viz
from minidl.datasets import mnist
from minidl.fileio import atomic_write_text
from minidl.layers import Conv2D, Dense, Dropout, Flatten, MaxPooling2D
from minidl.models import Sequential, model_from_json
from minidl.optimizers import Adadelta
from minidl.preprocessing.utils import to_categorical


def build_model():
    model = Sequential()
    model.add(Conv2D(32, kernel_size=(3, 3), activation="relu", input_shape=(28, 28, 1)))
    model.add(Conv2D(64, (3, 3), activation="relu"))
    model.add(MaxPooling2D(pool_size=(2, 2)))
    model.add(Dropout(0.25))
    model.add(Flatten())
    model.add(Dense(128, activation="relu"))
    model.add(Dropout(0.5))
    model.add(Dense(10, activation="softmax"))
    return model


def save_and_reload(model, out, x):
    """The lab's step 5, saving the model for reuse: architecture as JSON, weights separately;
    True if the model read back predicts exactly as ``model`` on ``x``."""
    atomic_write_text(out / "model.json", model.to_json())
    model.save_weights(out / "model.weights.npz")
    restored = model_from_json((out / "model.json").read_text())
    restored.load_weights(out / "model.weights.npz")
    return bool((restored.predict(x) == model.predict(x)).all())


def main(argv=None):
    args = parse_args(__doc__, epochs=10, batch_size=128, argv=argv, distributed=True)
    started = time.perf_counter()
    out = setup(args, "mnist_cnn")

    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    if is_primary(args):
        viz.image_grid(x_train[:9], out / "digits.png", rows=3, cols=3, titles=[f"Digit: {d}" for d in y_train[:9]])
    x_train = x_train.reshape(x_train.shape[0], 28, 28, 1).astype("float32") / 255
    x_test = x_test.reshape(x_test.shape[0], 28, 28, 1).astype("float32") / 255
    print("X_train shape:", x_train.shape)
    y_train = to_categorical(y_train, 10)
    y_test = to_categorical(y_test, 10)
    if args.quick:
        x_train, y_train, x_test, y_test = x_train[:1024], y_train[:1024], x_test[:256], y_test[:256]

    with distribution_scope(args):
        model = build_model()
        model.summary()
        model.compile(loss="categorical_crossentropy", optimizer=Adadelta(learning_rate=1.0), metrics=["accuracy"])
    print(f"Train on {len(x_train)} samples, validate on {len(x_test)} samples")
    history = model.fit(x_train, y_train, batch_size=args.batch_size, epochs=args.epochs, verbose=1,
                        validation_data=(x_test, y_test))
    score = model.evaluate(x_test, y_test, verbose=0)
    print("Test loss:", score[0])
    print("Test accuracy:", score[1])
    same = None
    if is_primary(args):  # with --distributed, rank 0 alone writes files
        viz.plot_history(history, out / "curves.png", title="LM-3 MNIST CNN")
        same = save_and_reload(model, out, x_test[:64])
        print("Saved model to disk; the reloaded model predicts identically:", same)

    write_metrics(out, {
        "test_loss": score[0], "test_accuracy": score[1], "reloaded_predicts_identically": same,
        "params": model.count_params(), "lab_reference": {"test_loss": 0.0296, "test_accuracy": 0.9904},
    }, args, started)


if __name__ == "__main__":
    main()
