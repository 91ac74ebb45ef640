"""``tf.data`` pipelines feeding ``model.fit``, as TensorFlow 2 tutorials build them.

Patterns: ``Dataset.from_tensor_slices((x, y))`` with ``shuffle``/``batch``/``prefetch(
tf.data.AUTOTUNE)``, ``map`` with a normalising function of tensors, ``cache``, a validation
dataset passed as ``validation_data``, ``repeat()`` with ``steps_per_epoch``, ``take``,
iterating a dataset for a batch, ``as_numpy_iterator``, and ``model.evaluate(dataset)``.
"""


import minidl.keras as keras
import minidl.tf as tf


def build_model():
    return keras.Sequential([
        keras.layers.Flatten(input_shape=(28, 28)),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(10),
    ])


def normalize(image, label):
    return tf.cast(image, tf.float32) / 255.0, label


def main():
    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    x_train, y_train, x_test, y_test = x_train[:640], y_train[:640], x_test[:160], y_test[:160]

    train = tf.data.Dataset.from_tensor_slices((x_train, y_train))
    train = train.map(normalize, num_parallel_calls=tf.data.AUTOTUNE).cache().shuffle(640).batch(64)
    train = train.prefetch(tf.data.AUTOTUNE)
    test = tf.data.Dataset.from_tensor_slices((x_test, y_test)).map(normalize).batch(64)

    images, labels = next(iter(train))
    print("one batch:", images.shape, images.dtype, labels.shape)
    assert images.shape == (64, 28, 28) and float(tf.reduce_max(images)) <= 1.0

    model = build_model()
    model.compile(optimizer=keras.optimizers.Adam(0.001),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=[keras.metrics.SparseCategoricalAccuracy()])
    model.fit(train, epochs=2, validation_data=test)
    model.fit(train.repeat(), steps_per_epoch=5, epochs=1)
    loss, accuracy = model.evaluate(test, verbose=0)
    print(f"test loss {loss:.4f} accuracy {accuracy:.4f}")

    first = list(test.take(1).as_numpy_iterator())[0]
    print("as_numpy_iterator gives", type(first[0]).__name__, first[0].shape)
    logits = model.predict(first[0])
    assert logits.shape == (64, 10)


if __name__ == "__main__":
    main()
