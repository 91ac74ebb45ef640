"""Label and bag-of-words helpers: ``to_categorical`` and multi-hot ``vectorize_sequences``."""

import numpy as np

from minidl.labels import check_label_values


def to_categorical(y, num_classes=None, dtype="float32"):
    """One-hot encode integer class labels, as ``keras.utils.to_categorical`` does.

    ``y`` of shape ``s`` (a trailing axis of size 1 is dropped) becomes ``s + (num_classes,)``;
    ``num_classes=None`` means ``max(y) + 1``.  Labels must be whole numbers in
    ``[0, num_classes)``.
    """
    labels = np.asarray(y)
    if labels.dtype.kind == "b":  # True / False are the classes 1 and 0, as Keras's cast makes them
        labels = labels.astype(np.int64)
    shape = labels.shape
    if len(shape) > 1 and shape[-1] == 1:
        shape = shape[:-1]
    if num_classes is None:
        check_label_values(labels, np.inf, "to_categorical")  # whole numbers >= 0, before taking the max
        num_classes = int(labels.max()) + 1 if labels.size else 0
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) or num_classes < 1:
        raise ValueError(f"to_categorical: num_classes must be a positive int, got {num_classes!r}")
    check_label_values(labels, num_classes, "to_categorical")
    labels = labels.astype(np.int64).ravel()
    encoded = np.zeros((labels.size, num_classes), dtype=dtype)
    encoded[np.arange(labels.size), labels] = 1
    return encoded.reshape(tuple(shape) + (num_classes,))


def vectorize_sequences(sequences, dimension=10000, dtype="float32"):
    """Multi-hot encode index sequences: row i has 1 at every index occurring in sequence i.

    This is the classic ``vectorize_sequences`` of the IMDB dense-network labs.  Repeated
    indices still give 1.  ``dtype`` defaults to float32 (the labs' NumPy default, float64, doubles
    the memory of a 50,000 x 10,000 matrix for no gain).  An index outside ``[0, dimension)``
    is an error rather than silently wrapping.
    """
    if isinstance(dimension, bool) or not isinstance(dimension, (int, np.integer)) or dimension < 1:
        raise ValueError(f"vectorize_sequences: dimension must be a positive int, got {dimension!r}")
    matrix = np.zeros((len(sequences), dimension), dtype=dtype)
    for row, sequence in enumerate(sequences):
        indices = np.asarray(sequence, dtype=np.int64).ravel()
        if indices.size == 0:
            continue
        if indices.min() < 0 or indices.max() >= dimension:
            raise ValueError(
                f"vectorize_sequences: sequence {row} holds index {int(indices.max())} "
                f"(min {int(indices.min())}), outside [0, {dimension}); raise dimension or limit num_words"
            )
        matrix[row, indices] = 1
    return matrix
