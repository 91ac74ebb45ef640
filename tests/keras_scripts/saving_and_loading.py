"""Saving and restoring models the ways TensorFlow 2 lab code does it.

Patterns: ``model.save('model.h5')`` + ``keras.models.load_model``, ``save_weights`` to a
``.h5`` file + ``load_weights`` into a rebuilt model, ``model.to_json()`` +
``keras.models.model_from_json``, the architecture JSON written to a file and read back (the
book's chapter 3 recipe), and a loaded model continuing to train (its optimizer state
restored).
"""

import numpy as np

import minidl.tf as tf
from minidl.tf.keras.layers import Conv2D, Dense, Flatten, MaxPooling2D
from minidl.tf.keras.models import Sequential, load_model, model_from_json


def build_model():
    model = Sequential()
    model.add(Conv2D(4, (3, 3), activation="relu", input_shape=(8, 8, 1)))
    model.add(MaxPooling2D((2, 2)))
    model.add(Flatten())
    model.add(Dense(3, activation="softmax"))
    return model


def main():
    rng = np.random.default_rng(9)
    x = rng.random((40, 8, 8, 1)).astype("float32")
    y = rng.integers(0, 3, 40)
    model = build_model()
    model.compile(optimizer=tf.keras.optimizers.Adam(), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=1, verbose=0)
    expected = model.predict(x[:5])

    model.save("whole_model.h5")
    restored = load_model("whole_model.h5")
    np.testing.assert_allclose(restored.predict(x[:5]), expected, rtol=1e-6)
    restored.fit(x, y, epochs=1, verbose=0)

    model.save_weights("weights_only.h5")
    rebuilt = build_model()
    rebuilt.load_weights("weights_only.h5")
    np.testing.assert_allclose(rebuilt.predict(x[:5]), expected, rtol=1e-6)

    with open("architecture.json", "w") as stream:
        stream.write(model.to_json())
    with open("architecture.json") as stream:
        from_json = model_from_json(stream.read())
    from_json.set_weights(model.get_weights())
    np.testing.assert_allclose(from_json.predict(x[:5]), expected, rtol=1e-6)
    print("saved and restored three ways; predictions agree")


if __name__ == "__main__":
    main()
