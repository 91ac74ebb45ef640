"""Sparse class labels -- one integer class index per prediction row -- checked the same way
wherever they meet predictions of shape (..., classes): the sparse cross-entropy op, the sparse
accuracy metrics, the training loop's check of a whole ``y`` before ``fit``, and
``to_categorical``.

* ``check_label_shape``: labels of shape ``predictions.shape[:-1]``, or that with a trailing
  axis of one (Keras accepts both); a None in either shape (an unknown batch size) matches any
  size.
* ``check_label_values``: whole numbers in ``[0, classes)``. Float labels such as 2.0 are
  accepted, as Keras accepts them; 2.5 or NaN is refused, never truncated.
* ``as_label_indices``: the labels as an integer array of the predictions' row shape.

Each takes ``who``, the name the error message starts with (``sparse_categorical_crossentropy``,
``fit: sparse_categorical_crossentropy, output 'dense'``, ``to_categorical``). Plain NumPy and
array methods only, so every layer of minidl may use it.
"""

import numpy as np


def label_shapes(prediction_shape):
    """The two label shapes that fit predictions of ``prediction_shape``: (n,) and (n, 1)."""
    rows = tuple(prediction_shape[:-1])
    return rows, rows + (1,)


def _fits(shape, pattern):
    return len(shape) == len(pattern) and all(a is None or b is None or a == b for a, b in zip(shape, pattern))


def check_label_shape(label_shape, prediction_shape, who):
    """Raise a ValueError naming both shapes unless the labels fit the predictions."""
    label_shape, prediction_shape = tuple(label_shape), tuple(prediction_shape)
    rows, column = label_shapes(prediction_shape)
    if not (_fits(label_shape, rows) or _fits(label_shape, column)):
        raise ValueError(
            f"{who}: labels have shape {label_shape} but predictions have shape {prediction_shape}; "
            f"expected labels of shape {rows} or {column}"
        )


def check_label_values(labels, classes, who):
    """Raise unless every label of the host array ``labels`` is a whole number in [0, classes)
    (a TypeError for labels that are not numbers)."""
    labels = np.asarray(labels)
    if labels.dtype.kind not in "iuf":
        raise TypeError(f"{who}: labels must be integers, got {labels.dtype}")
    if labels.size == 0:
        return
    if labels.dtype.kind == "f":
        fractional = labels[~(np.mod(labels, 1) == 0)]  # NaN is not a whole number either
        if fractional.size:
            raise ValueError(
                f"{who}: labels must be whole numbers (class indices), got values like {fractional[:5].tolist()}"
            )
    low, high = labels.min(), labels.max()
    if low < 0 or high >= classes:
        expected = (f"lie in [0, {classes}) for {classes} classes" if np.isfinite(classes)
                    else "be non-negative class indices")
        raise ValueError(f"{who}: labels must {expected}, got labels from {low:g} to {high:g}")


def as_label_indices(labels, prediction_shape, who):
    """``labels`` (a host or device array) reshaped to the predictions' rows, as integers: float labels
    become int64, anything else but integers is a TypeError."""
    rows, column = label_shapes(prediction_shape)
    check_label_shape(labels.shape, prediction_shape, who)
    if tuple(labels.shape) == column:
        labels = labels.reshape(rows)
    if labels.dtype.kind == "f":
        return labels.astype(np.int64)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"{who}: labels must be integers, got {labels.dtype}")
    return labels
