"""TensorFlow's low-level API: variables, tapes, and a model fitted by hand.

Patterns: ``tf.random.set_seed`` and ``tf.random.normal``/``uniform``, ``tf.Variable`` with
``assign``/``assign_sub``, ``tf.constant`` with ``dtype``, ``tape.watch`` on a constant,
a persistent tape used twice, gradients of a list and of a dict of sources, ``None`` for an
unconnected source, ``tf.reduce_mean``/``tf.square``/``tf.matmul``, ``tf.concat`` and
``tf.stack``, ``tf.cast``/``tf.round``, ``.numpy()``, ``tf.print``, and the book's
``optimizer.minimize(loss_fn, var_list)``.
"""

import numpy as np

import minidl.tf as tf


def linear_regression_by_hand():
    tf.random.set_seed(42)
    true_w, true_b = 3.0, -1.0
    x = tf.random.uniform([200, 1], minval=-1.0, maxval=1.0)
    y = true_w * x + true_b + tf.random.normal([200, 1], stddev=0.05)
    w = tf.Variable(tf.zeros([1, 1]), name="w")
    b = tf.Variable(0.0, name="b")
    for _ in range(300):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(tf.matmul(x, w) + b - y))
        dw, db = tape.gradient(loss, [w, b])
        w.assign_sub(0.1 * dw)
        b.assign_sub(0.1 * db)
    tf.print("w:", w, "b:", b, "loss:", loss)
    assert abs(float(w.numpy()[0, 0]) - true_w) < 0.05 and abs(float(b) - true_b) < 0.05


def tape_features():
    x = tf.constant(3.0)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * x
        z = y * y
    dz_dx = tape.gradient(z, x)  # 4 x^3 = 108
    dy_dx = tape.gradient(y, x)  # 2 x = 6
    print("dz/dx =", dz_dx.numpy(), "dy/dx =", dy_dx.numpy())
    assert dz_dx.numpy() == 108.0 and dy_dx.numpy() == 6.0
    del tape

    params = {"scale": tf.Variable(2.0), "shift": tf.Variable(1.0), "unused": tf.Variable(5.0)}
    with tf.GradientTape() as tape:
        out = params["scale"] * tf.constant([1.0, 2.0]) + params["shift"]
        total = tf.reduce_sum(out)
    grads = tape.gradient(total, params)
    print({name: None if g is None else g.numpy() for name, g in grads.items()})
    assert grads["unused"] is None and grads["scale"].numpy() == 3.0 and grads["shift"].numpy() == 2.0


def tensor_ops():
    a = tf.constant([[1, 2], [3, 4]], dtype=tf.float32)
    b = tf.ones_like(a)
    joined = tf.concat([a, b], axis=1)
    stacked = tf.stack([a, b])
    print(joined.shape, stacked.shape, tf.reduce_max(joined, axis=1).numpy())
    assert joined.shape == (2, 4) and stacked.shape == (2, 2, 2)
    as_int = tf.cast(tf.round(a / 3), tf.int32)
    tf.print(as_int)
    assert as_int.dtype == tf.int32
    one_hot = tf.one_hot([0, 2], depth=3)
    assert np.array_equal(one_hot.numpy(), [[1, 0, 0], [0, 0, 1]])


def minimize_like_the_book():
    x = tf.Variable(0.0)
    optimizer = tf.keras.optimizers.Adam(0.1)
    for _ in range(200):
        optimizer.minimize(lambda: (x - 4.0) ** 2, var_list=[x])
    tf.print("x after minimize:", x)
    assert abs(float(x) - 4.0) < 0.05


if __name__ == "__main__":
    linear_regression_by_hand()
    tape_features()
    tensor_ops()
    minimize_like_the_book()
