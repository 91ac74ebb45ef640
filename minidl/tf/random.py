"""``tf.random``: TensorFlow's seeding rules and its generator, so seeded code draws the numbers
it draws under TensorFlow (``tf.random.set_seed(0); tf.random.normal([2, 3])`` gives the same
six floats; the book's Exercise 5.02 prints its values).

TensorFlow 2's rules, followed here:

* ``set_seed(s)`` fixes the global seed; each later op without its own ``seed=`` takes an op
  seed from Python's ``random.Random(s)`` (one ``randint(0, 2**31 - 1)`` per op), so the n-th
  draw after ``set_seed`` is always the same;
* an op with ``seed=k`` uses (global seed, k) -- 87654321 as the global seed when none is set --
  and a second call of the same op with the same seeds continues the stream where the first
  stopped (TensorFlow skips 256 blocks per output element), until ``set_seed`` is called again;
* without any seed the numbers are not reproducible.

``set_seed`` also seeds minidl's own generators (weight initialisers, dropout masks) so that a
Keras model built after it is reproducible; NumPy's and Python's global generators are left
alone, as TensorFlow leaves them.
"""

import random as python_random

import numpy as np

from minidl.runtime import backend
from minidl.tf import dtypes, philox
from minidl.tf.array_ops import _shape_argument
from minidl.tf.op_support import operand
from minidl.tf.tensor import _from_host

_DEFAULT_GLOBAL_SEED = 87654321
_MAX_INT32 = 2**31 - 1
_SKIP_PER_ELEMENT = 256  # TensorFlow reserves 256 blocks per output element of a stateful draw


class _SeedState:
    global_seed = None
    op_seed_source = None  # random.Random(global_seed): TensorFlow's eager op seeds
    streams = {}  # (op kind, dtype, seed, seed2) -> next block, for ops given an explicit seed


def set_seed(seed):
    """``tf.random.set_seed``: fix the global seed (and minidl's weight and mask generators)."""
    seed = int(seed)
    _SeedState.global_seed = seed
    _SeedState.op_seed_source = python_random.Random(seed)
    _SeedState.streams = {}
    _seed_minidl_only(seed)


def _seed_minidl_only(seed):
    """``minidl.set_seed`` without touching NumPy's and Python's global generators."""
    numpy_state, python_state = np.random.get_state(), python_random.getstate()
    backend.set_seed(seed)
    np.random.set_state(numpy_state)
    python_random.setstate(python_state)


def get_global_generator():
    raise NotImplementedError("tf.random.Generator is not supported by minidl; use tf.random.set_seed and tf.random.normal/uniform")


def _seeds(op_seed):
    """TensorFlow's ``random_seed.get_seed``: the (seed, seed2) pair of one op, or None."""
    if _SeedState.global_seed is not None:
        if op_seed is None:
            op_seed = _SeedState.op_seed_source.randint(0, _MAX_INT32)
        seeds = (_SeedState.global_seed % _MAX_INT32, int(op_seed) % _MAX_INT32)
    elif op_seed is not None:
        seeds = (_DEFAULT_GLOBAL_SEED, int(op_seed) % _MAX_INT32)
    else:
        return None
    return (0, _MAX_INT32) if seeds == (0, 0) else seeds


def _draw(kind, dtype, shape, op_seed, generate):
    """Run ``generate(seed, seed2, count, first_block)`` for an op, keeping TensorFlow's streams."""
    count = int(np.prod(shape, dtype=np.int64))
    seeds = _seeds(op_seed)
    if seeds is None:
        seeds = tuple(int(s) for s in np.random.default_rng().integers(1, _MAX_INT32, size=2))
    first_block = 0
    if op_seed is not None:
        key = (kind, np.dtype(dtype).name, seeds)
        first_block = _SeedState.streams.get(key, 0)
        _SeedState.streams[key] = first_block + _SKIP_PER_ELEMENT * count
    return generate(seeds[0], seeds[1], count, first_block).reshape(shape)


def normal(shape, mean=0.0, stddev=1.0, dtype=dtypes.float32, seed=None, name=None):
    """Normal draws ``mean + stddev * z`` of ``shape``."""
    shape = _shape_argument(shape, "tf.random.normal", minimum=0)
    dtype = np.dtype(dtype)
    generate = philox.normal if dtype != np.float64 else philox.normal_double
    z = _draw("normal", dtype, shape, seed, generate).astype(dtype)
    return _scaled(z, mean, stddev, dtype)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=dtypes.float32, seed=None, name=None):
    """Normal draws within two standard deviations of the mean (others are redrawn)."""
    shape = _shape_argument(shape, "tf.random.truncated_normal", minimum=0)
    dtype = np.dtype(dtype)
    z = _draw("truncated_normal", dtype, shape, seed, philox.truncated_normal).astype(dtype)
    return _scaled(z, mean, stddev, dtype)


def uniform(shape, minval=0, maxval=None, dtype=dtypes.float32, seed=None, name=None):
    """Uniform draws in [minval, maxval); for integer dtypes ``maxval`` is required."""
    shape = _shape_argument(shape, "tf.random.uniform", minimum=0)
    dtype = np.dtype(dtype)
    if dtypes.is_integer(dtype):
        if maxval is None:
            raise ValueError("tf.random.uniform: an integer dtype needs maxval")
        if not int(minval) < int(maxval):
            raise ValueError(f"tf.random.uniform: need minval < maxval, got {minval} and {maxval}")

        def generate(seed, seed2, count, first_block):
            return philox.uniform_int(seed, seed2, count, int(minval), int(maxval), dtype, first_block)

        return _from_host(_draw("uniform_int", dtype, shape, seed, generate).astype(dtype))
    maxval = 1.0 if maxval is None else maxval
    generate = philox.uniform if dtype != np.float64 else philox.uniform_double
    unit = _draw("uniform", dtype, shape, seed, generate).astype(dtype)
    low, high = dtype.type(_number(minval)), dtype.type(_number(maxval))
    return _from_host(unit * (high - low) + low)


def _number(value):
    return operand(value).numpy().item() if hasattr(value, "numpy") else value


def _scaled(z, mean, stddev, dtype):
    return _from_host(z * dtype.type(_number(stddev)) + dtype.type(_number(mean)))


def shuffle(value, seed=None, name=None):
    """The rows of ``value`` in a random order (minidl's permutation, not TensorFlow's stream)."""
    data = operand(value).numpy()
    order = _minidl_generator(seed).permutation(len(data))
    return _from_host(data[order])


def categorical(logits, num_samples, dtype=None, seed=None, name=None):
    """Class indices drawn from softmax(logits), ``num_samples`` per row (minidl's generator)."""
    logits = operand(logits).numpy().astype(np.float64)
    probabilities = np.exp(logits - logits.max(axis=-1, keepdims=True))
    probabilities /= probabilities.sum(axis=-1, keepdims=True)
    rng = _minidl_generator(seed)
    draws = np.stack([rng.choice(len(row), size=int(num_samples), p=row) for row in probabilities])
    return _from_host(draws.astype(dtype or np.int64))


def _minidl_generator(op_seed):
    """A NumPy generator seeded from the op's TensorFlow seeds (unseeded when there are none)."""
    seeds = _seeds(op_seed)
    return np.random.default_rng(None if seeds is None else list(seeds))
