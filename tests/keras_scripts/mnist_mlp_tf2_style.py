"""A TensorFlow 2-era MNIST classifier, as lab sheets wrote it.

Patterns: ``from tensorflow import keras`` style imports, ``keras.datasets.mnist.load_data``,
scaling and ``keras.utils.to_categorical``, ``Sequential`` built by ``add`` with
``input_shape``, ``Dropout``, ``optimizers.Adam(lr=...)`` (the TF2 spelling Keras 3 rejects),
``fit(validation_split=..., verbose=2)``, ``evaluate`` returning [loss, acc], ``predict`` +
``argmax``, the removed ``predict_classes``, ``save_weights('...h5')`` / ``load_weights`` and
``plot_model`` without pydot.
"""

import numpy as np

from minidl.tf import keras
from minidl.tf.keras.layers import Dense, Dropout, Flatten
from minidl.tf.keras.models import Sequential
from minidl.tf.keras.utils import plot_model, to_categorical

TRAIN, TEST = 600, 200


def build_model():
    model = Sequential()
    model.add(Flatten(input_shape=(28, 28)))
    model.add(Dense(64, activation="relu"))
    model.add(Dropout(0.2))
    model.add(Dense(32, activation="relu"))
    model.add(Dense(10, activation="softmax"))
    return model


def main():
    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    x_train, y_train = x_train[:TRAIN] / 255.0, y_train[:TRAIN]
    x_test, y_test = x_test[:TEST] / 255.0, y_test[:TEST]
    y_train_hot = to_categorical(y_train, 10)
    y_test_hot = to_categorical(y_test, num_classes=10)

    model = build_model()
    model.summary()
    model.compile(optimizer=keras.optimizers.Adam(lr=0.002), loss="categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x_train, y_train_hot, batch_size=64, epochs=3, validation_split=0.1, verbose=2)
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}, history.history.keys()

    loss, accuracy = model.evaluate(x_test, y_test_hot, verbose=0)
    print(f"test loss {loss:.4f}, test accuracy {accuracy:.4f}")
    assert accuracy > 0.5, accuracy

    probabilities = model.predict(x_test[:5])
    print("predicted digits:", np.argmax(probabilities, axis=1), "true:", y_test[:5])
    classes = model.predict_classes(x_test[:5])
    assert (classes == np.argmax(probabilities, axis=1)).all()

    model.save_weights("mnist_mlp_weights.h5")
    fresh = build_model()
    fresh.load_weights("mnist_mlp_weights.h5")
    np.testing.assert_allclose(fresh.predict(x_test[:5]), probabilities, rtol=1e-5, atol=1e-6)

    plot_model(model, to_file="mnist_mlp.png", show_shapes=True)


if __name__ == "__main__":
    main()
