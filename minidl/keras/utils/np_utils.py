"""Keras 2's ``keras.utils.np_utils``: ``to_categorical`` and ``normalize``."""

import numpy as np

from minidl.preprocessing.utils import to_categorical


def normalize(x, axis=-1, order=2):
    """``x`` divided by its L-``order`` norm along ``axis`` (rows of norm 0 stay 0), as Keras does."""
    x = np.asarray(x)
    if not -max(x.ndim, 1) <= axis < max(x.ndim, 1):
        raise ValueError(f"normalize: axis {axis} is out of range for x of shape {x.shape}")
    norms = np.atleast_1d(np.linalg.norm(x, order, axis))
    norms[norms == 0] = 1
    return x / np.expand_dims(norms, axis)


__all__ = ["normalize", "to_categorical"]
