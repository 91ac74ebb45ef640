"""minidl.labels: one set of checks for sparse class labels, used by the loss op, the metrics,
the training loop and to_categorical -- so the same bad labels get the same answer everywhere."""

import numpy as np
import pytest

import minidl
from minidl import labels, metrics, ops
from minidl.layers import Dense
from minidl.layers.base import clear_session
from minidl.models import Sequential
from minidl.preprocessing.utils import to_categorical


@pytest.mark.parametrize("label_shape, prediction_shape", [
    ((4,), (4, 3)), ((4, 1), (4, 3)), ((2, 5), (2, 5, 7)), ((2, 5, 1), (2, 5, 7)), ((9,), (None, 3)),
    ((None,), (4, 3)),
])
def test_label_shapes_that_fit(label_shape, prediction_shape):
    labels.check_label_shape(label_shape, prediction_shape, "who")


@pytest.mark.parametrize("label_shape, prediction_shape", [
    ((4, 3), (4, 3)), ((5,), (4, 3)), ((4, 2), (4, 3)), ((2, 5), (2, 6, 7)), ((), (4, 3)),
])
def test_label_shapes_that_do_not_fit(label_shape, prediction_shape):
    rows = prediction_shape[:-1]
    with pytest.raises(ValueError, match=rf"^who: labels have shape {label_shape} but predictions have shape "
                                         rf"{prediction_shape}; expected labels of shape {rows} or {rows + (1,)}$"
                       .replace("(", r"\(").replace(")", r"\)")):
        labels.check_label_shape(label_shape, prediction_shape, "who")


def test_label_values():
    labels.check_label_values(np.array([0, 2, 1]), 3, "who")
    labels.check_label_values(np.array([0.0, 2.0]), 3, "who")  # whole floats are class indices
    labels.check_label_values(np.array([], dtype=np.int64), 3, "who")
    for bad, text in [([0, 3], "from 0 to 3"), ([-1, 0], "from -1 to 0"), ([0.0, 3.0], "from 0 to 3")]:
        with pytest.raises(ValueError, match=rf"^who: labels must lie in \[0, 3\) for 3 classes, got labels {text}$"):
            labels.check_label_values(np.array(bad), 3, "who")
    for fractional in ([0.0, 2.5], [np.nan, 1.0]):
        with pytest.raises(ValueError, match=r"^who: labels must be whole numbers \(class indices\)"):
            labels.check_label_values(np.array(fractional), 3, "who")
    with pytest.raises(TypeError, match=r"^who: labels must be integers, got bool"):
        labels.check_label_values(np.array([True]), 3, "who")


def test_as_label_indices_reshapes_a_column_and_casts_floats(any_backend):
    column = minidl.backend.to_device(np.array([[1.0], [0.0]], dtype=np.float32))
    indices = labels.as_label_indices(column, (2, 3), "who")
    assert indices.shape == (2,) and indices.dtype == np.int64
    np.testing.assert_array_equal(minidl.backend.to_numpy(indices), [1, 0])


def test_every_consumer_refuses_the_same_label_alike():
    """Label 3 for three classes: the op, the trainer and to_categorical give one answer."""
    bad = np.array([0, 1, 3])
    expected = r"labels must lie in \[0, 3\) for 3 classes, got labels from 0 to 3"
    with pytest.raises(ValueError, match=rf"^sparse_categorical_crossentropy: {expected}$"):
        ops.sparse_categorical_crossentropy(bad, minidl.tensor(np.full((3, 3), 1 / 3)))
    clear_session()
    model = Sequential([Dense(3, input_dim=2, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match=rf"^fit: sparse_categorical_crossentropy, output 'dense': {expected}$"):
        model.fit(np.zeros((3, 2)), bad, verbose=0)
    with pytest.raises(ValueError, match=rf"^to_categorical: {expected}$"):
        to_categorical(bad, num_classes=3)


def test_every_consumer_refuses_the_same_shape_alike():
    """One-hot targets given where sparse labels belong: the same message everywhere."""
    one_hot, predictions = np.eye(3)[[0, 1]], np.full((2, 3), 1 / 3)
    expected = r"labels have shape \(2, 3\) but predictions have shape \(2, 3\); expected labels of shape \(2,\) or"
    with pytest.raises(ValueError, match=rf"^sparse_categorical_crossentropy: {expected}"):
        ops.sparse_categorical_crossentropy(one_hot, minidl.tensor(predictions))
    with pytest.raises(ValueError, match=rf"^sparse_categorical_accuracy: {expected}"):
        metrics.SparseCategoricalAccuracy().update_state(one_hot, predictions)
    with pytest.raises(ValueError, match=rf"^sparse_top_k_categorical_accuracy: {expected}"):
        metrics.sparse_top_k_categorical_accuracy(minidl.backend.to_device(one_hot), minidl.backend.to_device(predictions))
    clear_session()
    model = Sequential([Dense(3, input_dim=2, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match=r"^fit: sparse_categorical_crossentropy, output 'dense': labels have shape "
                                         r"\(2, 3\) but predictions have shape \(None, 3\)"):
        model.fit(np.zeros((2, 2)), one_hot, verbose=0)
