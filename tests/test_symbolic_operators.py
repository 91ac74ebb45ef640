"""Python operators on the symbolic tensors of a functional model (``keras.Input`` and what
layers make of it): indexing, comparisons, ``**``, ``abs``, ``//``, ``%``, ``@``, the logical
operators and the reflected forms, each recorded as a layer of the graph (as Keras 3 records
them as op nodes) that trains, predicts, and saves with the model."""

import numpy as np
import pytest

import minidl
import minidl.keras as keras
from minidl.layers.base import SymbolicTensor

X = np.array([[-1.5, -0.25, 0.0, 0.75], [2.0, 0.5, -3.0, 1.25], [0.3, -0.7, 1.1, -2.2]], dtype="float32")
W = np.arange(12, dtype="float32").reshape(4, 3) / 10

# (what the model computes from its input a, what NumPy computes from x)
OPERATORS = {
    "slice": (lambda a: a[:, :2], lambda x: x[:, :2]),
    "step slice": (lambda a: a[:, ::-2], lambda x: x[:, ::-2]),
    "ellipsis": (lambda a: a[..., 0], lambda x: x[..., 0]),
    "new axis": (lambda a: a[:, None], lambda x: x[:, None]),
    "index list": (lambda a: a[:, [3, 0]], lambda x: x[:, [3, 0]]),
    "greater": (lambda a: a > 0, lambda x: x > 0),
    "less": (lambda a: a < 0.5, lambda x: x < 0.5),
    "greater_equal": (lambda a: a >= 0, lambda x: x >= 0),
    "less_equal": (lambda a: a <= 0, lambda x: x <= 0),
    "not_equal": (lambda a: a != 0, lambda x: x != 0),
    "reflected comparison": (lambda a: 0.5 < a, lambda x: 0.5 < x),
    "where on a comparison": (lambda a: keras.ops.where(a > 0, a, 0), lambda x: np.where(x > 0, x, 0)),
    "power": (lambda a: a ** 2, lambda x: x ** 2),
    "reflected power": (lambda a: 2 ** a, lambda x: 2 ** x),
    "abs": (lambda a: abs(a), np.abs),
    "floor_divide": (lambda a: a // 0.5, lambda x: x // 0.5),
    "mod": (lambda a: a % 0.5, lambda x: x % 0.5),
    "reflected mod": (lambda a: 2 % (a + 10), lambda x: 2 % (x + 10)),
    "matmul with an array": (lambda a: a @ W, lambda x: x @ W),
    "matmul with a vector": (lambda a: a @ W[:, 0], lambda x: x @ W[:, 0]),
    "matmul of two symbols": (lambda a: a[:, :, None] @ a[:, None, :], lambda x: x[:, :, None] @ x[:, None, :]),
    "array on the left": (lambda a: W.T @ a[:, :, None], lambda x: W.T @ x[:, :, None]),
    "array plus": (lambda a: W[:, 0] + a, lambda x: W[:, 0] + x),
    "reflected subtract": (lambda a: 2 - a, lambda x: 2 - x),
    "reflected divide": (lambda a: 1 / (a + 5), lambda x: 1 / (x + 5)),
    "logical and, or, xor, not": (lambda a: ((a > 0) & (a < 1)) | ~(a != 0) ^ (a > 2),
                                  lambda x: ((x > 0) & (x < 1)) | ~(x != 0) ^ (x > 2)),
}


@pytest.mark.parametrize("name", list(OPERATORS))
def test_each_operator_is_a_layer_of_the_model_and_computes_what_numpy_does(name, any_backend):
    symbolic, expected = OPERATORS[name]
    inputs = keras.Input(shape=(4,))
    outputs = symbolic(inputs)
    assert isinstance(outputs, SymbolicTensor)
    model = keras.Model(inputs, outputs)
    result = model.predict(X, verbose=0)
    want = expected(X)
    assert outputs.shape == (None,) + want.shape[1:] and result.dtype == want.dtype
    np.testing.assert_allclose(result, want, rtol=1e-6, atol=1e-6)
    assert any(layer is outputs.layer for layer in model.layers[1:])  # a layer of the model made it


def test_operators_are_named_as_tensorflow_2_named_them():
    minidl.layers.clear_session()
    a = keras.Input(shape=(4,))
    made = [a[:, 0], a > 0, a ** 2, abs(a), a // 2, a % 2, a @ W, a != 0, ~(a > 0)]
    assert [t.layer.name for t in made] == [
        "tf.__operators__.getitem", "tf.math.greater", "tf.math.pow", "tf.math.abs", "tf.math.floordiv",
        "tf.math.floormod", "tf.linalg.matmul", "tf.math.not_equal", "tf.math.logical_not"]


def _head(h):
    """Slicing, abs, ** (both ways), @ with a constant and with another symbol, %, and a
    reflected subtraction: everything that passes gradients."""
    kept = abs(h[:, :2]) ** 2 @ W[:2, :2] + 2 ** h[:, 1:3]
    outer = h[:, :, None] @ h[:, None, :2]
    return 1 - (kept + outer[:, 0] + h[:, 2:] % 0.7) * 0.5


def _numpy_loss(kernel, x, y):
    h = x @ kernel
    kept = np.abs(h[:, :2]) ** 2 @ W[:2, :2] + 2 ** h[:, 1:3]
    outer = h[:, :, None] @ h[:, None, :2]
    prediction = 1 - (kept + outer[:, 0] + h[:, 2:] % 0.7) * 0.5
    return np.mean((prediction - y) ** 2)


def test_gradients_flow_through_the_operators_as_numerical_differences_say(any_backend):
    kernel = np.array([[0.3, -0.2, 0.1, 0.4], [0.5, 0.2, -0.3, 0.1], [-0.4, 0.3, 0.2, -0.1],
                       [0.2, -0.5, 0.4, 0.3]])
    inputs = keras.Input(shape=(4,))
    dense = keras.layers.Dense(4, use_bias=False)
    model = keras.Model(inputs, _head(dense(inputs)))
    dense.set_weights([kernel.astype("float32")])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse")
    y = np.full((3, 2), 0.5)
    model.train_on_batch(X, y)

    x = X.astype(np.float64)
    numerical = np.zeros_like(kernel)
    for index in np.ndindex(kernel.shape):
        step = np.zeros_like(kernel)
        step[index] = 1e-6
        numerical[index] = (_numpy_loss(kernel + step, x, y) - _numpy_loss(kernel - step, x, y)) / 2e-6
    assert np.abs(numerical).min() > 1e-3  # every weight gets a gradient through the head
    np.testing.assert_allclose(dense.get_weights()[0], kernel - 0.1 * numerical, rtol=1e-4, atol=1e-5)


def test_a_model_with_operators_fits():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype("float32")
    y = (np.abs(x[:, :2]) ** 2 @ W[:2, :2]).astype("float32")
    inputs = keras.Input(shape=(4,))
    h = keras.layers.Dense(4)(inputs)
    model = keras.Model(inputs, abs(h[:, :2]) ** 2 @ W[:2, :2])
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(x, y, epochs=5, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


@pytest.mark.parametrize("suffix", [".keras", ".npz", ".h5"])
def test_a_model_with_operators_saves_and_loads(tmp_path, suffix):
    inputs = keras.Input(shape=(4,))
    h = keras.layers.Dense(4)(inputs)
    model = keras.Model(inputs, [_head(h), h[..., None, 1:] @ W[1:], (h >= 0) & ~(h > 1), 2 ** h // 1])
    path = tmp_path / f"model{suffix}"
    model.save(path)
    loaded = keras.models.load_model(path)
    for got, want in zip(loaded.predict(X, verbose=0), model.predict(X, verbose=0)):
        np.testing.assert_array_equal(got, want)
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]


def test_a_model_with_operators_round_trips_through_json():
    inputs = keras.Input(shape=(2, 4))
    outputs = keras.layers.Dense(3)(inputs)[:, 0, ::2] @ np.ones((2, 2)) - abs(inputs[:, 1, :2]) ** 0.5
    model = keras.Model(inputs, outputs)
    rebuilt = keras.models.model_from_json(model.to_json())
    rebuilt.set_weights(model.get_weights())
    x = np.stack([X, X[::-1]], axis=1)
    np.testing.assert_allclose(rebuilt.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)


def test_symbolic_tensors_stay_hashable_and_compare_by_identity_as_in_keras_3():
    a = keras.Input(shape=(4,))
    b = keras.Input(shape=(4,))
    assert (a == a) is True and (a == b) is False and {a: 1}[a] == 1 and b not in [a]


def test_what_cannot_be_recorded_is_refused_clearly():
    a = keras.Input(shape=(4,))
    with pytest.raises(TypeError, match="only integers"):
        a[:, a]
    with pytest.raises(TypeError, match="only integers, slices of integers"):
        a[:, 0.5]
    with pytest.raises(TypeError, match="cannot be iterated over"):
        list(a)
    with pytest.raises(TypeError, match="unsupported operand"):
        a @ "weights"
    with pytest.raises(ValueError, match=r"matmul: shapes .*\(4, 3\) .*do not fit"):
        a[:, :2] @ W
