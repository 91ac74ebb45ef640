"""``keras.random`` (Keras 3): random tensors from ``minidl.tf.random``'s generator."""

from minidl.tf import random as _tf_random


class SeedGenerator:
    """Keras 3's seed holder: each draw that receives it gets the next seed of its sequence."""

    def __init__(self, seed=None, **kwargs):
        self.seed = 1337 if seed is None else int(seed)
        self.count = 0

    def next(self):
        self.count += 1
        return self.seed + self.count


def _seed(seed):
    return seed.next() if isinstance(seed, SeedGenerator) else seed


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    return _tf_random.normal(shape, mean, stddev, dtype or "float32", _seed(seed))


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    return _tf_random.uniform(shape, minval, maxval, dtype or "float32", _seed(seed))


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    return _tf_random.truncated_normal(shape, mean, stddev, dtype or "float32", _seed(seed))


def shuffle(x, axis=0, seed=None):
    return _tf_random.shuffle(x, _seed(seed))
