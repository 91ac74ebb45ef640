"""Transfer learning as the guides do it: a base model frozen under a new head, then unfrozen
and fine-tuned with a small learning rate.

Patterns: a functional base model, ``base_model.trainable = False``, ``base_model(inputs,
training=False)`` inside a new ``keras.Model``, ``GlobalAveragePooling2D`` + ``Dropout`` +
``Dense``, trainable/non-trainable parameter counts in ``summary``, re-``compile`` after
unfreezing, ``for layer in model.layers[:k]: layer.trainable = False``, ``get_layer(index=)``,
``get_weights``/``set_weights`` between models, and ``Sequential([base_model, Flatten(), ...])``
(the book's VGG16 recipe, on a tiny base).
"""

import numpy as np

import minidl.keras as keras
from minidl.keras import layers


def build_base():
    inputs = keras.Input(shape=(16, 16, 3))
    x = layers.Conv2D(8, 3, activation="relu", name="block1_conv")(inputs)
    x = layers.BatchNormalization(name="block1_bn")(x)
    x = layers.MaxPooling2D(name="block1_pool")(x)
    x = layers.Conv2D(16, 3, activation="relu", name="block2_conv")(x)
    return keras.Model(inputs, x, name="tiny_base")


def build_model():
    base_model = build_base()
    base_model.trainable = False
    inputs = keras.Input(shape=(16, 16, 3))
    x = base_model(inputs, training=False)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(0.2)(x)
    outputs = layers.Dense(1)(x)
    return keras.Model(inputs, outputs), base_model


def build_sequential_head():
    base_model = build_base()
    base_model.trainable = False
    return keras.Sequential([base_model, layers.Flatten(), layers.Dense(32, activation="relu"),
                             layers.Dense(5, activation="softmax")])


def main():
    rng = np.random.default_rng(11)
    x = rng.random((96, 16, 16, 3)).astype("float32")
    y = (x[:, :8].mean(axis=(1, 2, 3)) > x[:, 8:].mean(axis=(1, 2, 3))).astype("float32")

    model, base_model = build_model()
    model.summary()
    frozen = [w.copy() for w in base_model.get_weights()]
    model.compile(optimizer=keras.optimizers.Adam(), loss=keras.losses.BinaryCrossentropy(from_logits=True),
                  metrics=[keras.metrics.BinaryAccuracy()])
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    for before, after in zip(frozen, base_model.get_weights()):
        np.testing.assert_array_equal(before, after)

    base_model.trainable = True
    for layer in base_model.layers[:2]:
        layer.trainable = False
    model.compile(optimizer=keras.optimizers.Adam(1e-5), loss=keras.losses.BinaryCrossentropy(from_logits=True),
                  metrics=[keras.metrics.BinaryAccuracy()])
    model.summary()
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    changed = [not np.array_equal(b, a) for b, a in zip(frozen, base_model.get_weights())]
    assert any(changed), "fine-tuning should move the unfrozen base weights"

    head = build_sequential_head()
    head.summary()
    head.compile(loss="categorical_crossentropy", optimizer=keras.optimizers.Adam(0.001), metrics=["accuracy"])
    print("first layer:", head.get_layer(index=0).name)
    copy = build_sequential_head()
    copy.set_weights(head.get_weights())
    np.testing.assert_allclose(copy.predict(x[:4]), head.predict(x[:4]), rtol=1e-6)


if __name__ == "__main__":
    main()
