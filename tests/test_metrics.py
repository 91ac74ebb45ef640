"""Metrics against NumPy over several batches; accumulation stays on the device."""

import re

import numpy as np
import pytest

from minidl import backend, losses, metrics
from tests.conftest import to_host


def _batches(seed, kind, count=3, batch=6, classes=4):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        weights = rng.uniform(0, 2, batch)
        if kind == "binary":
            out.append((rng.integers(0, 2, (batch, 1)).astype(np.float64), rng.uniform(0, 1, (batch, 1)), weights))
        elif kind == "categorical":
            labels = rng.integers(0, classes, batch)
            out.append((np.eye(classes)[labels], rng.uniform(0, 1, (batch, classes)), weights))
        elif kind == "sparse":
            out.append((rng.integers(0, classes, batch), rng.uniform(0, 1, (batch, classes)), weights))
        else:
            out.append((rng.standard_normal((batch, 2)), rng.standard_normal((batch, 2)), weights))
    return out


PER_SAMPLE = {
    "binary": lambda y, p: np.mean(y == (p > 0.5), axis=-1),
    "categorical": lambda y, p: (y.argmax(-1) == p.argmax(-1)).astype(float),
    "sparse": lambda y, p: (y == p.argmax(-1)).astype(float),
    "mse": lambda y, p: np.mean((y - p) ** 2, axis=-1),
    "mae": lambda y, p: np.mean(np.abs(y - p), axis=-1),
}

CASES = [
    (metrics.BinaryAccuracy, "binary", "binary", "binary_accuracy"),
    (metrics.CategoricalAccuracy, "categorical", "categorical", "categorical_accuracy"),
    (metrics.SparseCategoricalAccuracy, "sparse", "sparse", "sparse_categorical_accuracy"),
    (metrics.MeanSquaredError, "regression", "mse", "mean_squared_error"),
    (metrics.MeanAbsoluteError, "regression", "mae", "mean_absolute_error"),
    (lambda: metrics.get("mse"), "regression", "mse", "mse"),
    (lambda: metrics.get("mae"), "regression", "mae", "mae"),
    (lambda: metrics.get("accuracy"), "binary", "binary", "accuracy"),
    (lambda: metrics.get("acc"), "sparse", "sparse", "acc"),
    (lambda: metrics.get("accuracy"), "categorical", "categorical", "accuracy"),
]


@pytest.mark.parametrize("index", range(len(CASES)))
@pytest.mark.parametrize("weighted", [False, True])
def test_metric_accumulates_like_numpy(index, weighted, any_backend):
    make, kind, reference, name = CASES[index]
    metric = make()
    assert metric.name == name
    values, weights = [], []
    for y_true, y_pred, w in _batches(index, kind):
        metric.update_state(backend.to_device(y_true), backend.to_device(y_pred),
                            backend.to_device(w) if weighted else None)
        values.append(PER_SAMPLE[reference](y_true, y_pred))
        weights.append(w if weighted else np.ones(len(w)))
    result = metric.result()
    assert backend.is_array(result.data) and result.shape == ()  # a Tensor over a 0-d device array
    values, weights = np.concatenate(values), np.concatenate(weights)
    np.testing.assert_allclose(to_host(result), np.sum(values * weights) / np.sum(weights), rtol=1e-12)
    metric.reset_state()
    assert to_host(metric.result()) == 0.0


def test_binary_accuracy_threshold_and_flat_targets(any_backend):
    metric = metrics.BinaryAccuracy(threshold=0.7)
    y = backend.to_device(np.array([1.0, 0.0, 1.0, 0.0]))  # (n,) targets against (n, 1) outputs
    p = backend.to_device(np.array([[0.8], [0.6], [0.65], [0.9]]))
    metric.update_state(y, p)
    assert to_host(metric.result()) == 0.5


def test_mean_metric_weighted(any_backend):
    mean = metrics.Mean()
    mean.update_state(backend.to_device(np.array([1.0, 3.0])))
    mean.update_state(backend.to_device(np.array([5.0])), sample_weight=backend.to_device(np.array([2.0])))
    assert to_host(mean.result()) == pytest.approx((1 + 3 + 10) / 4)


def _np_roc_auc(y, p, num_thresholds=200):
    thresholds = np.array([-1e-7] + [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)] + [1 + 1e-7])
    positive = y.ravel() != 0
    tp = np.array([np.sum((p.ravel() > t) & positive) for t in thresholds], dtype=float)
    fp = np.array([np.sum((p.ravel() > t) & ~positive) for t in thresholds], dtype=float)
    fn = positive.sum() - tp
    tn = (~positive).sum() - fp
    tpr, fpr = tp / (tp + fn), fp / (fp + tn)
    return np.sum((fpr[:-1] - fpr[1:]) * (tpr[:-1] + tpr[1:]) / 2)


def test_auc_precision_recall_over_batches(any_backend):
    batches = _batches(42, "binary", count=4, batch=20)
    auc, precision, recall = metrics.AUC(name="auc"), metrics.Precision(name="p"), metrics.Recall(name="r")
    for y_true, y_pred, _ in batches:
        for metric in (auc, precision, recall):
            metric.update_state(backend.to_device(y_true), backend.to_device(y_pred))
    y = np.concatenate([b[0] for b in batches])
    p = np.concatenate([b[1] for b in batches])
    predicted, actual = p > 0.5, y != 0
    np.testing.assert_allclose(to_host(auc.result()), _np_roc_auc(y, p), rtol=1e-12)
    np.testing.assert_allclose(to_host(precision.result()), np.sum(predicted & actual) / np.sum(predicted))
    np.testing.assert_allclose(to_host(recall.result()), np.sum(predicted & actual) / np.sum(actual))
    assert auc.result().shape == () and precision.result().shape == ()


def test_pr_auc_of_a_perfect_ranking_is_one():
    auc = metrics.AUC(curve="PR")
    auc.update_state(np.array([0, 0, 1, 1]), np.array([0.1, 0.2, 0.8, 0.9]))
    assert to_host(auc.result()) == pytest.approx(1.0, abs=1e-6)


def test_metrics_created_without_name_are_numbered_like_keras():
    from minidl.layers.base import clear_session

    clear_session()
    assert [metrics.AUC().name, metrics.AUC().name, metrics.Precision().name] == ["auc", "auc_1", "precision"]


def test_accuracy_resolution_follows_tensorflow_2_shapes():
    binary = metrics.get("accuracy", loss=losses.get("binary_crossentropy"))
    binary.update_state(np.array([[1.0], [0.0]]), np.array([[0.9], [0.2]]))
    assert isinstance(binary.resolved, metrics.BinaryAccuracy) and binary.name == "accuracy"

    sparse = metrics.get("accuracy", loss=losses.get("sparse_categorical_crossentropy"))
    sparse.update_state(np.array([2, 0]), np.array([[0.1, 0.2, 0.7], [0.6, 0.3, 0.1]]))
    assert isinstance(sparse.resolved, metrics.SparseCategoricalAccuracy) and float(sparse.result()) == 1.0

    categorical = metrics.get("acc", loss=losses.get("categorical_crossentropy"))
    categorical.update_state(np.eye(3)[[2, 1]], np.array([[0.1, 0.2, 0.7], [0.6, 0.3, 0.1]]))
    assert isinstance(categorical.resolved, metrics.CategoricalAccuracy) and categorical.name == "acc"
    assert float(categorical.result()) == 0.5


@pytest.mark.parametrize("identifier, name", [
    ("binary_accuracy", "binary_accuracy"), ("categorical_accuracy", "categorical_accuracy"),
    ("sparse_categorical_accuracy", "sparse_categorical_accuracy"), ("mae", "mae"), ("mse", "mse"),
    ("mean_absolute_error", "mean_absolute_error"), ("auc", "auc"), ("accuracy", "accuracy"),
])
def test_history_key_is_the_identifier_keras_would_use(identifier, name):
    assert metrics.get(identifier).name == name


def test_metric_instances_and_functions():
    metric = metrics.BinaryAccuracy()
    assert metrics.get(metric) is metric
    assert metrics.get(metrics.AUC).name.startswith("auc")

    def hits(y_true, y_pred):
        return (y_true == y_pred).astype(np.float64)

    custom = metrics.get(hits)
    custom.update_state(np.array([1.0, 2.0]), np.array([1.0, 3.0]))
    assert custom.name == "hits" and float(custom.result()) == 0.5


def test_serialize_round_trip_keeps_names():
    assert metrics.serialize(metrics.get("mae")) == "mae"
    copy = metrics.get(metrics.serialize(metrics.BinaryAccuracy(threshold=0.3)))
    assert isinstance(copy, metrics.BinaryAccuracy) and copy.fn_kwargs == {"threshold": 0.3}


@pytest.mark.parametrize("class_name, key", [
    ("AUC", "auc"), ("Precision", "precision"), ("Recall", "recall"), ("BinaryAccuracy", "binary_accuracy"),
    ("SparseCategoricalAccuracy", "sparse_categorical_accuracy"), ("MeanSquaredError", "mean_squared_error"),
    ("TopKCategoricalAccuracy", "top_k_categorical_accuracy"),
])
def test_metric_class_names_as_strings_give_the_class_under_its_keras_name(class_name, key):
    """Keras's metrics=["AUC"]: the class, keyed in history by its default name (AUC, Precision
    and Recall number theirs per instance, auc_1, ..., as Keras does)."""
    metric = metrics.get(class_name)
    assert type(metric) is getattr(metrics, class_name) and re.fullmatch(rf"{key}(_\d+)?", metric.name)


def test_loss_class_names_as_strings_give_the_class():
    for class_name, name in [("BinaryCrossentropy", "binary_crossentropy"), ("MeanSquaredError", "mean_squared_error"),
                             ("Huber", "huber_loss"), ("SparseCategoricalCrossentropy", "sparse_categorical_crossentropy")]:
        loss = losses.get(class_name)
        assert type(loss) is getattr(losses, class_name) and loss.name == name
    with pytest.raises(ValueError, match="unknown loss 'LossFunctionWrapper'"):
        losses.get("LossFunctionWrapper")


def test_unknown_metric_lists_valid_names():
    with pytest.raises(ValueError, match=r"unknown metric 'f1'; expected one of .*'accuracy'.*'mae'"):
        metrics.get("f1")
    with pytest.raises(TypeError, match="could not interpret metric"):
        metrics.get(3.5)


def test_shape_mismatch_is_an_error():
    with pytest.raises(ValueError, match=r"y_true has shape \(3,\) but y_pred has shape \(2, 1\)"):
        metrics.BinaryAccuracy().update_state(np.ones(3), np.ones((2, 1)))
    with pytest.raises(ValueError, match=r"sparse_categorical_accuracy: labels have shape \(2, 3\) but predictions"):
        metrics.SparseCategoricalAccuracy().update_state(np.ones((2, 3)), np.ones((2, 3)))


def test_crossentropy_metrics_take_logits_like_their_losses(any_backend):
    """``metrics.BinaryCrossentropy(from_logits=True, name='binary_crossentropy')`` (the
    overfit-and-underfit tutorial) and the categorical / sparse metrics equal the mean of their
    losses, from logits or probabilities."""
    rng = np.random.default_rng(4)
    logits = rng.normal(size=(6, 1)).astype(np.float32)
    targets = rng.integers(0, 2, (6, 1)).astype(np.float32)
    probabilities = 1 / (1 + np.exp(-logits))
    expected = np.mean(np.maximum(logits, 0) - logits * targets + np.log1p(np.exp(-np.abs(logits))))
    for metric, predictions in ((metrics.BinaryCrossentropy(from_logits=True), logits),
                                (metrics.BinaryCrossentropy(), probabilities), (metrics.get("binary_crossentropy"),
                                                                                 probabilities)):
        metric.update_state(targets, predictions)
        np.testing.assert_allclose(float(to_host(metric.result())), expected, rtol=1e-5)
    class_logits = rng.normal(size=(5, 3)).astype(np.float32)
    labels = rng.integers(0, 3, 5)
    log_softmax = class_logits - np.log(np.exp(class_logits).sum(axis=1, keepdims=True))
    expected = -np.mean(log_softmax[np.arange(5), labels])
    checks = [(metrics.CategoricalCrossentropy(from_logits=True), np.eye(3)[labels], class_logits),
              (metrics.SparseCategoricalCrossentropy(from_logits=True), labels, class_logits),
              (metrics.get("sparse_categorical_crossentropy"), labels, np.exp(log_softmax))]
    for metric, target, predictions in checks:
        metric.update_state(target, predictions)
        np.testing.assert_allclose(float(to_host(metric.result())), expected, rtol=1e-5)
    copy = metrics.deserialize(metrics.serialize(metrics.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1)))
    assert copy.fn_kwargs == {"kind": "categorical", "from_logits": True, "label_smoothing": 0.1}
    with pytest.raises(ValueError, match=r"ignore_class=3 is not supported \(expected None\)"):
        metrics.SparseCategoricalCrossentropy(ignore_class=3)
    with pytest.raises(ValueError, match=r"label_smoothing"):
        metrics.BinaryCrossentropy(label_smoothing=2)


def test_confusion_counts_at_thresholds(any_backend):
    """``TruePositives`` / ``FalsePositives`` / ``TrueNegatives`` / ``FalseNegatives`` (the
    imbalanced-data tutorial's METRICS), weighted, at the default 0.5 or at several thresholds."""
    y_true, y_pred = np.array([0, 1, 1, 0, 1]), np.array([0.2, 0.7, 0.4, 0.6, 0.9])
    weights = np.array([1.0, 2.0, 1.0, 1.0, 0.5])
    expected = {"TruePositives": (2.5, [3.5, 2.5]), "FalsePositives": (1.0, [1.0, 0.0]),
                "TrueNegatives": (1.0, [1.0, 2.0]), "FalseNegatives": (1.0, [0.0, 1.0])}
    for name, (at_half, at_two) in expected.items():
        single, several = getattr(metrics, name)(name="count"), getattr(metrics, name)(thresholds=[0.3, 0.65])
        for metric in (single, several):
            metric.update_state(y_true, y_pred, sample_weight=weights)
        assert float(to_host(single.result())) == at_half and single.name == "count"
        np.testing.assert_array_equal(to_host(several.result()), at_two)
    assert metrics.TruePositives().name.startswith("true_positives")
    copy = metrics.deserialize(metrics.serialize(metrics.FalseNegatives(thresholds=0.3, name="fn")))
    assert isinstance(copy, metrics.FalseNegatives) and copy.name == "fn" and copy.thresholds == [0.3]


def test_root_mean_squared_error_is_the_root_of_the_whole_mean():
    """Keras's RootMeanSquaredError: sqrt(sum w (p - y)^2 / sum w) over all batches, not a
    mean of per-batch roots; by class name in compile too."""
    rng = np.random.default_rng(0)
    batches = [(rng.standard_normal((5, 2)), rng.standard_normal((5, 2)), rng.random(5)) for _ in range(3)]
    metric = metrics.RootMeanSquaredError()
    for y, p, w in batches:
        metric.update_state(y, p, sample_weight=w)
    squared = sum((w[:, None] * (p - y) ** 2).sum() for y, p, w in batches)
    weights = sum(2 * w.sum() for _, _, w in batches)
    np.testing.assert_allclose(float(metric.result()), np.sqrt(squared / weights), rtol=1e-12)
    assert metric.name == "root_mean_squared_error"
    assert type(metrics.get("RootMeanSquaredError")) is metrics.RootMeanSquaredError
    metric.reset_state()
    assert float(metric.result()) == 0.0
