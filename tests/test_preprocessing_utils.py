"""to_categorical and vectorize_sequences."""

import numpy as np
import pytest

from minidl.preprocessing.utils import to_categorical, vectorize_sequences


def test_to_categorical_like_keras():
    encoded = to_categorical([0, 2, 1])
    assert encoded.dtype == np.float32
    assert encoded.tolist() == [[1, 0, 0], [0, 0, 1], [0, 1, 0]]
    assert to_categorical(np.array([[1], [0]]), num_classes=3).shape == (2, 3)  # trailing 1 dropped
    assert to_categorical(np.array([[1, 2], [0, 1]]), num_classes=4).shape == (2, 2, 4)
    assert to_categorical(np.array([1, 0], dtype=np.uint8), 2, dtype="int64").tolist() == [[0, 1], [1, 0]]


def test_to_categorical_errors_name_the_problem():
    with pytest.raises(ValueError, match=r"^to_categorical: labels must lie in \[0, 3\) for 3 classes, got labels "
                                         r"from 0 to 3$"):
        to_categorical([0, 3], num_classes=3)
    with pytest.raises(ValueError, match=r"to_categorical: labels must be whole numbers \(class indices\), got "
                                         r"values like \[0\.5\]"):
        to_categorical([0.5])
    with pytest.raises(ValueError, match=r"labels must be non-negative class indices.*from -1 to 1"):
        to_categorical([-1, 1])
    assert to_categorical([True, False]).tolist() == [[0, 1], [1, 0]]
    with pytest.raises(ValueError, match="num_classes must be a positive int, got 0"):
        to_categorical([0], num_classes=0)


def test_vectorize_sequences_multi_hot():
    matrix = vectorize_sequences([[1, 3, 3], [], [0]], dimension=5)
    assert matrix.dtype == np.float32
    assert matrix.tolist() == [[0, 1, 0, 1, 0], [0, 0, 0, 0, 0], [1, 0, 0, 0, 0]]
    assert vectorize_sequences([[2]], dimension=3, dtype="float64").dtype == np.float64


def test_vectorize_sequences_rejects_out_of_range():
    with pytest.raises(ValueError, match=r"sequence 1 holds index 10 .*outside \[0, 10\)"):
        vectorize_sequences([[1], [10]], dimension=10)
    with pytest.raises(ValueError, match="dimension must be a positive int, got 0"):
        vectorize_sequences([[1]], dimension=0)


def test_to_categorical_without_a_class_count_asks_for_non_negative_labels():
    with pytest.raises(ValueError, match=r"to_categorical: labels must be non-negative class indices, got labels "
                                         r"from -1 to 2"):
        to_categorical([0, -1, 2])
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 2\) for 2 classes"):
        to_categorical([0, 2], num_classes=2)
