"""Loss objects against NumPy transcriptions of Keras 2 (per-sample loss, SUM_OVER_BATCH_SIZE)."""

import numpy as np
import pytest

import minidl
from minidl import losses, ops
from tests.conftest import device, to_host

EPS = 1e-7


# -- NumPy references (Keras 2's backend formulas) ----------------------------------------------

def np_binary_crossentropy(y, p):
    p = np.clip(p, EPS, 1 - EPS)
    return -np.mean(y * np.log(p + EPS) + (1 - y) * np.log(1 - p + EPS), axis=-1)


def np_binary_crossentropy_logits(y, z):
    return np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z))), axis=-1)


def np_categorical_crossentropy(y, p):
    p = p / p.sum(axis=-1, keepdims=True)
    return -np.sum(y * np.log(np.clip(p, EPS, 1 - EPS)), axis=-1)


def np_categorical_crossentropy_logits(y, z):
    log_softmax = z - z.max(axis=-1, keepdims=True)
    log_softmax = log_softmax - np.log(np.exp(log_softmax).sum(axis=-1, keepdims=True))
    return -np.sum(y * log_softmax, axis=-1)


def np_sparse_categorical_crossentropy(labels, p):
    q = np.clip(p, EPS, 1 - EPS)
    return np.log(q.sum(axis=-1)) - np.log(q[np.arange(len(labels)), labels])


def np_mse(y, p):
    return np.mean((p - y) ** 2, axis=-1)


def np_mae(y, p):
    return np.mean(np.abs(p - y), axis=-1)


def np_huber(y, p, delta=1.0):
    d = np.abs(p - y)
    return np.mean(np.where(d <= delta, 0.5 * d * d, delta * d - 0.5 * delta * delta), axis=-1)


def _reduce(per_sample, weights=None):
    if weights is None:
        return per_sample.mean()
    return np.sum(per_sample * weights) / per_sample.size


def _data(seed, batch=5, classes=3):
    rng = np.random.default_rng(seed)
    logits = rng.standard_normal((batch, classes)) * 2
    probs = np.exp(logits) / np.exp(logits).sum(axis=-1, keepdims=True)
    labels = rng.integers(0, classes, batch)
    onehot = np.eye(classes)[labels]
    binary_targets = rng.integers(0, 2, (batch, classes)).astype(np.float64)
    sigmoid = 1 / (1 + np.exp(-logits))
    regression_target = rng.standard_normal((batch, classes))
    weights = rng.uniform(0, 2, batch)
    return logits, probs, labels, onehot, binary_targets, sigmoid, regression_target, weights


CASES = {
    "binary_crossentropy": (lambda: losses.BinaryCrossentropy(), "sigmoid", "binary", np_binary_crossentropy),
    "binary_crossentropy_logits": (lambda: losses.BinaryCrossentropy(from_logits=True), "logits", "binary",
                                   np_binary_crossentropy_logits),
    "categorical_crossentropy": (lambda: losses.CategoricalCrossentropy(), "probs", "onehot",
                                 np_categorical_crossentropy),
    "categorical_crossentropy_logits": (lambda: losses.CategoricalCrossentropy(from_logits=True), "logits",
                                        "onehot", np_categorical_crossentropy_logits),
    "sparse_categorical_crossentropy": (lambda: losses.SparseCategoricalCrossentropy(), "probs", "labels",
                                        np_sparse_categorical_crossentropy),
    "sparse_categorical_crossentropy_logits": (
        lambda: losses.SparseCategoricalCrossentropy(from_logits=True), "logits", "labels",
        lambda labels, z: np_categorical_crossentropy_logits(np.eye(z.shape[-1])[labels], z)),
    "mean_squared_error": (lambda: losses.MeanSquaredError(), "logits", "regression", np_mse),
    "mean_absolute_error": (lambda: losses.MeanAbsoluteError(), "logits", "regression", np_mae),
    "huber": (lambda: losses.Huber(), "logits", "regression", np_huber),
    "huber_delta": (lambda: losses.Huber(delta=0.3), "logits", "regression",
                    lambda y, p: np_huber(y, p, 0.3)),
}


def _inputs(case, seed):
    logits, probs, labels, onehot, binary, sigmoid, regression, weights = _data(seed)
    predictions = {"logits": logits, "probs": probs, "sigmoid": sigmoid}
    targets = {"binary": binary, "onehot": onehot, "labels": labels, "regression": regression}
    _, prediction_kind, target_kind, _ = CASES[case]
    return targets[target_kind], predictions[prediction_kind], weights


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("weighted", [False, True])
def test_loss_object_matches_keras(case, weighted, any_backend):
    make, _, _, reference = CASES[case]
    y_true, y_pred, weights = _inputs(case, seed=len(case))
    loss = make()
    value = loss(device(y_true) if y_true.dtype.kind == "f" else y_true, minidl.tensor(device(y_pred)),
                 sample_weight=device(weights) if weighted else None)
    expected = _reduce(reference(y_true, y_pred), weights if weighted else None)
    assert value.shape == ()
    np.testing.assert_allclose(to_host(value), expected, rtol=1e-10)


@pytest.mark.parametrize("name, reference, kind", [
    ("binary_crossentropy", np_binary_crossentropy, "binary"),
    ("categorical_crossentropy", np_categorical_crossentropy, "onehot"),
    ("sparse_categorical_crossentropy", np_sparse_categorical_crossentropy, "labels"),
    ("mse", np_mse, "regression"), ("mean_squared_error", np_mse, "regression"),
    ("mae", np_mae, "regression"), ("mean_absolute_error", np_mae, "regression"),
    ("huber", np_huber, "regression"),
])
def test_loss_by_name_matches_keras(name, reference, kind):
    logits, probs, labels, onehot, binary, sigmoid, regression, _ = _data(3)
    y_true = {"binary": binary, "onehot": onehot, "labels": labels, "regression": regression}[kind]
    y_pred = sigmoid if kind == "binary" else probs if kind in ("onehot", "labels") else logits
    loss = losses.get(name)
    np.testing.assert_allclose(loss(y_true, minidl.tensor(y_pred)).item(), reference(y_true, y_pred).mean(),
                               rtol=1e-10)


def test_names_are_keras_names():
    assert losses.get("mse").name == "mean_squared_error"
    assert losses.get("mae").name == "mean_absolute_error"
    assert losses.get("binary_crossentropy").name == "binary_crossentropy"
    assert losses.BinaryCrossentropy().name == "binary_crossentropy"
    assert losses.SparseCategoricalCrossentropy().name == "sparse_categorical_crossentropy"
    assert losses.Huber().name == "huber_loss"
    assert losses.get(losses.mean_squared_error).name == "mean_squared_error"


def test_loss_backpropagates_through_the_reduction():
    rng = np.random.default_rng(0)
    y_true, weights = rng.standard_normal((4, 2)), rng.uniform(0.5, 1.5, 4)

    def weighted_mse(prediction):
        return losses.MeanSquaredError()(y_true, prediction, sample_weight=weights)

    minidl.gradcheck(weighted_mse, rng.standard_normal((4, 2)))


def test_label_smoothing_moves_targets_as_keras():
    _, probs, _, onehot, binary, sigmoid, _, _ = _data(5)
    value = losses.CategoricalCrossentropy(label_smoothing=0.2)(onehot, minidl.tensor(probs)).item()
    np.testing.assert_allclose(value, np_categorical_crossentropy(onehot * 0.8 + 0.2 / 3, probs).mean(), rtol=1e-10)
    value = losses.BinaryCrossentropy(label_smoothing=0.1)(binary, minidl.tensor(sigmoid)).item()
    np.testing.assert_allclose(value, np_binary_crossentropy(binary * 0.9 + 0.05, sigmoid).mean(), rtol=1e-10)


@pytest.mark.parametrize("cls", [losses.CategoricalCrossentropy, losses.BinaryCrossentropy])
def test_cross_entropies_take_keras_axis_argument(cls):
    """Keras's (from_logits, label_smoothing, axis, ...) order; axis -1, which Keras 3 writes into
    every file, is accepted and kept in the config; any other axis is refused by name."""
    loss = cls(True, 0.1, -1)
    assert loss.fn_kwargs == {"from_logits": True, "label_smoothing": 0.1} and loss.get_config()["axis"] == -1
    assert cls.from_config(loss.get_config()).get_config() == loss.get_config()
    for axis in (1, 0, True, "last"):
        with pytest.raises(ValueError, match=rf"axis must be -1 .*got {axis!r}"):
            cls(axis=axis)


def test_reductions_sum_and_none():
    y, p = np.array([[1.0], [2.0]]), np.array([[0.0], [0.0]])
    assert losses.MeanSquaredError(reduction="sum")(y, minidl.tensor(p)).item() == 5.0
    np.testing.assert_array_equal(losses.MeanSquaredError(reduction="none")(y, minidl.tensor(p)).numpy(), [1.0, 4.0])
    with pytest.raises(ValueError, match="unknown reduction"):
        losses.MeanSquaredError(reduction="mean")


def test_sample_weight_of_shape_n_1_is_squeezed_and_bad_shapes_rejected():
    y, p = np.array([[1.0], [2.0]]), minidl.tensor(np.zeros((2, 1)))
    assert losses.get("mse")(y, p, sample_weight=np.array([[1.0], [0.0]])).item() == 0.5
    with pytest.raises(ValueError, match=r"sample_weight of shape \(3,\)"):
        losses.get("mse")(y, p, sample_weight=np.ones(3))


def test_custom_callable_is_wrapped_and_reduced():
    def squared(y_true, y_pred):
        return ops.sum((y_pred - y_true) ** 2, axis=-1)

    loss = losses.get(squared)
    assert loss.name == "squared"
    assert loss(np.array([[1.0, 1.0]]), minidl.tensor(np.zeros((1, 2)))).item() == 2.0
    assert losses.serialize(loss) == "squared"


def test_serialize_round_trip():
    loss = losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.1)
    copy = losses.get(losses.serialize(loss))
    assert type(copy) is losses.BinaryCrossentropy and copy.get_config() == loss.get_config()
    assert losses.get(losses.serialize(losses.get("mse"))).name == "mean_squared_error"


def test_unknown_loss_lists_valid_names():
    with pytest.raises(ValueError, match=r"unknown loss 'hinge'; expected one of .*'binary_crossentropy'.*'mse'"):
        losses.get("hinge")
    with pytest.raises(TypeError, match="could not interpret loss"):
        losses.get(42)
