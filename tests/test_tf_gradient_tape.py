"""``tf.GradientTape``: TensorFlow's rules for what is watched, which structures come back,
persistent tapes, and the errors; values checked by hand derivatives and, where TensorFlow is
installed, against TensorFlow."""

import numpy as np
import pytest

import minidl
import minidl.keras as keras
import minidl.tf as tf
from tests.conftest import to_host


def test_variables_are_watched_and_constants_need_watch(any_backend):
    w = tf.Variable([[1.0], [2.0]])
    x = tf.constant([[3.0, 4.0]])
    with tf.GradientTape() as tape:
        y = tf.matmul(x, w)
    assert tape.gradient(y, x) is None  # not watched: a constant
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(tf.square(tf.matmul(x, w)))  # (3 + 8)^2
    dx, dw = tape.gradient(y, [x, w])
    np.testing.assert_allclose(to_host(dx), [[22.0, 44.0]])
    np.testing.assert_allclose(to_host(dw), [[66.0], [88.0]])
    assert not x.requires_grad  # watching ends with the block


def test_structures_unconnected_sources_and_zero_option():
    a, b, c = tf.Variable(1.0), tf.Variable(2.0), tf.Variable(3.0)
    with tf.GradientTape() as tape:
        y = a * b
    grads = tape.gradient(y, {"pair": (a, b), "other": [c]})
    assert set(grads) == {"pair", "other"} and isinstance(grads["pair"], tuple)
    assert float(grads["pair"][0]) == 2.0 and float(grads["pair"][1]) == 1.0 and grads["other"] == [None]
    with tf.GradientTape() as tape:
        y = a * 2.0
    zero = tape.gradient(y, c, unconnected_gradients=tf.UnconnectedGradients.ZERO)
    assert float(zero) == 0.0


def test_persistent_tape_and_the_one_use_rule():
    x = tf.Variable(3.0)
    with tf.GradientTape(persistent=True) as tape:
        y = x * x
        z = y * y
    assert float(tape.gradient(z, x)) == 108.0 and float(tape.gradient(y, x)) == 6.0
    assert float(tape.gradient(z, y)) == 18.0  # an intermediate tensor as the source
    with tf.GradientTape() as tape:
        y = x * x
    tape.gradient(y, x)
    with pytest.raises(RuntimeError, match="non-persistent GradientTape"):
        tape.gradient(y, x)


def test_output_gradients_weight_a_vector_target():
    x = tf.Variable([1.0, 2.0])
    with tf.GradientTape() as tape:
        y = x * x
    (dx,) = tape.gradient(y, [x], output_gradients=[tf.constant([1.0, 10.0])])
    np.testing.assert_allclose(dx.numpy(), [2.0, 40.0])


def test_a_gradient_inside_another_recording_tape_is_refused():
    x = tf.Variable(1.0)
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            y = x * x
        with pytest.raises(NotImplementedError, match="gradient of a gradient"):
            inner.gradient(y, x)
    assert outer is not None


def test_watch_accessed_variables_false_and_stop_recording():
    a, b = tf.Variable(2.0), tf.Variable(5.0)
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(a)
        y = a * b
    da, db = tape.gradient(y, [a, b])
    assert float(da) == 5.0 and db is None
    with tf.GradientTape() as tape:
        with tape.stop_recording():
            unrecorded = a * 3.0
        y = unrecorded * b
    assert tape.gradient(y, a) is None


def test_keras_model_weights_and_apply_gradients_move_the_loss():
    minidl.set_seed(0)
    model = keras.Sequential([keras.layers.Dense(4, activation="tanh", input_shape=(3,)), keras.layers.Dense(1)])
    optimizer = keras.optimizers.SGD(0.1)
    x = np.random.default_rng(0).normal(size=(16, 3)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    losses = []
    for _ in range(20):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(model(x, training=True) - y))
        grads = tape.gradient(loss, model.trainable_variables)
        assert all(g.shape == w.shape for g, w in zip(grads, model.trainable_variables))
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        losses.append(float(loss))
    assert losses[-1] < 0.5 * losses[0]
    assert all(w.grad is None for w in model.weights)  # tapes never fill .grad


def test_gradients_equal_tensorflows():
    real_tf = pytest.importorskip("tensorflow", reason="TensorFlow is not installed (CI does not install it)")
    values = np.array([[0.3, -1.2, 2.0], [1.5, 0.1, -0.7]], np.float32)
    labels = np.array([[0, 0, 1], [1, 0, 0]], np.float32)

    def run(module):
        w = module.Variable(values)
        with module.GradientTape(persistent=True) as tape:
            probabilities = module.nn.softmax(w)
            loss = module.reduce_mean(module.nn.softmax_cross_entropy_with_logits(labels=labels, logits=probabilities))
            other = module.reduce_sum(module.sqrt(module.abs(w) + 1.0) * module.tanh(w))
        return [np.asarray(tape.gradient(target, w)) for target in (loss, other)]

    for ours, theirs in zip(run(tf), run(real_tf)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-7)
