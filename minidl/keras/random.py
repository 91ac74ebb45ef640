"""``keras.random`` (Keras 3): random tensors by Keras 3's seeding rules, with the numbers Keras 3
draws on TensorFlow.

Keras 3's rules (not TensorFlow's stateful ones, which ``minidl.tf.random`` keeps):

* ``seed=7``, an integer: the draw is deterministic -- the same numbers on every call;
* ``seed=SeedGenerator(7)``: the generator's state ``[7, n]`` seeds the draw, then ``n`` grows by
  one, so successive draws differ and two generators made with one seed give one sequence;
* no seed: a global ``SeedGenerator``, made on first use with a seed from Python's
  ``random.randint(1, 10**9)`` -- which ``keras.utils.set_random_seed(s)`` seeds -- and made anew
  after every such call (and ``minidl.set_seed``, ``tf.random.set_seed``); it moves on by Keras's
  "unordered" rule, state -> (state + 1) * 5387 % 933199.

A draw's seed pair, taken mod 2**31 - 2 as Keras's TensorFlow backend does, is scrambled into a
Philox key and counter as TensorFlow's stateless ops do (``_philox_key``), so ``normal``,
``uniform``, ``truncated_normal``, ``randint``, ``dropout`` and ``shuffle`` give the numbers of
Keras 3 on TensorFlow (bit for bit, but for the last bit of a few normals: ``minidl/tf/philox.py``).
``categorical``, ``gamma``, ``binomial`` and ``beta`` draw from a NumPy generator seeded with the
same pair: reproducible by the same rules, though not Keras's numbers.
"""

import numbers
import random as python_random

import numpy as np

from minidl.autograd.tensor import Tensor
from minidl.keras.ops import Variable
from minidl.layers.base import unique_name
from minidl.ops import math as _math
from minidl.ops import shapes as _shapes
from minidl.runtime import backend
from minidl.tf import philox
from minidl.tf.array_ops import _shape_argument
from minidl.tf.op_support import operand, tf_function
from minidl.tf.tensor import _from_host, as_tf

_SEED_MODULUS = 2**31 - 2  # Keras's TensorFlow backend: floormod(seed, int32.max - 1)
_KEY_SCRAMBLE = 0x3EC8F720 | (0x02461E29 << 32)  # TensorFlow's key for mixing a stateless seed


class SeedGenerator:
    """Keras 3's seed state for random ops: ``SeedGenerator(seed=None, name=None)``.

    ``state`` is a non-trainable int64 ``keras.Variable`` ``[seed, counter]``; each draw given
    this generator is seeded by the state and advances the counter (``next()``). Without a seed,
    the seed comes from Python's ``random.randint(1, 10**9)``.
    """

    def __init__(self, seed=None, name=None, **kwargs):
        kwargs.pop("backend", None)
        if kwargs:
            raise ValueError(f"keras.random.SeedGenerator: unrecognized keyword arguments {sorted(kwargs)}")
        self.name = unique_name("seed_generator") if name is None else name
        self._initial_seed = seed
        if seed is None:
            seed = python_random.randint(1, int(1e9))
        if not isinstance(seed, numbers.Integral):
            raise ValueError(f"keras.random.SeedGenerator: seed must be an integer, got seed={seed!r}")
        self.state = Variable(np.array([int(seed), 0], dtype=np.int64), trainable=False, name="seed_generator_state")

    def next(self, ordered=True):
        """The current state (an int64 tensor [seed, counter]); the state then moves on: the
        counter by one, or (``ordered=False``) to (state + 1) * 5387 % 933199."""
        current = np.array(self.state.numpy(), dtype=np.int64)  # a copy: assign writes in place
        self.state.assign(current + np.array([0, 1]) if ordered else (current + 1) * 5387 % 933199)
        return _from_host(current)

    def get_config(self):
        return {"seed": self._initial_seed, "name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<SeedGenerator name={self.name} state={self.state.numpy().tolist()}>"


class _GlobalGenerator:
    """The generator of unseeded draws, and the minidl host generator it was made under: a new
    one (``set_random_seed`` / ``minidl.set_seed`` ran since) means the next draw starts afresh."""

    generator = None
    made_under = None


def _global_seed_generator():
    """The SeedGenerator that draws without a seed use (Keras's ``global_seed_generator``)."""
    current = backend.host_rng()
    if _GlobalGenerator.generator is None or _GlobalGenerator.made_under is not current:
        _GlobalGenerator.generator = SeedGenerator()
        _GlobalGenerator.made_under = current
    return _GlobalGenerator.generator


def _seed_pair(seed):
    """The two non-negative 31-bit seeds of one draw, by Keras 3's rules (module docstring)."""
    if isinstance(seed, SeedGenerator):
        pair = seed.next().numpy()
    elif isinstance(seed, numbers.Integral) and not isinstance(seed, bool):
        pair = np.array([int(seed), 0])
    elif seed is None:
        pair = _global_seed_generator().next(ordered=False).numpy()
    else:
        raise ValueError(f"keras.random: seed must be an integer or a keras.random.SeedGenerator, got seed={seed!r} "
                         f"(of type {type(seed).__name__})")
    return tuple(int(value) % _SEED_MODULUS for value in pair)


def _philox_key(seed):
    """TensorFlow's stateless seeding: the pair (s0, s1) is one Philox block of counter (s0, s1)
    under a fixed key, whose words become the key and the upper counter of the draw."""
    first, second = _seed_pair(seed)
    words = philox.philox_blocks(_KEY_SCRAMBLE, second, first, 1)[0].astype(np.uint64)
    key = int(words[0] | (words[1] << np.uint64(32)))
    counter = int(words[2] | (words[3] << np.uint64(32)))
    return key, counter


def _numpy_generator(seed):
    """A NumPy generator seeded with the draw's seed pair (for the draws without TensorFlow's numbers)."""
    return np.random.default_rng(list(_seed_pair(seed)))


def _dtype(dtype, kind, who):
    """``dtype`` (floatx when None for floats) checked to be of ``kind`` ('f' or 'i')."""
    dtype = np.dtype(dtype if dtype is not None else backend.floatx())
    if kind == "f" and dtype.kind != "f":
        raise ValueError(f"keras.random.{who} requires a floating-point dtype, got dtype={dtype.name}")
    if kind == "i" and dtype.kind not in "iu":
        raise ValueError(f"keras.random.{who} requires an integer dtype, got dtype={dtype.name}")
    return dtype


def _number(value):
    return operand(value).numpy() if isinstance(value, Tensor) else value


def _count(shape):
    return int(np.prod(shape, dtype=np.int64))


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal draws ``mean + stddev * z`` of ``shape`` (floatx unless ``dtype``)."""
    dtype = _dtype(dtype, "f", "normal")
    shape = _shape_argument(shape, "keras.random.normal", minimum=0)
    generate = philox.normal_double if dtype == np.float64 else philox.normal
    z = generate(*_philox_key(seed), _count(shape)).astype(dtype).reshape(shape)
    return _from_host(z * dtype.type(_number(stddev)) + dtype.type(_number(mean)))


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """Uniform draws in [minval, maxval) of ``shape``; ``dtype`` must be a float dtype."""
    dtype = _dtype(dtype, "f", "uniform")
    shape = _shape_argument(shape, "keras.random.uniform", minimum=0)
    generate = philox.uniform_double if dtype == np.float64 else philox.uniform
    unit = generate(*_philox_key(seed), _count(shape)).astype(dtype).reshape(shape)
    low, high = dtype.type(_number(minval)), dtype.type(_number(maxval))
    return _from_host(unit * (high - low) + low)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal draws within two standard deviations of the mean (others drawn again)."""
    dtype = _dtype(dtype, "f", "truncated_normal")
    shape = _shape_argument(shape, "keras.random.truncated_normal", minimum=0)
    z = philox.truncated_normal(*_philox_key(seed), _count(shape)).astype(dtype).reshape(shape)
    return _from_host(z * dtype.type(_number(stddev)) + dtype.type(_number(mean)))


def randint(shape, minval, maxval, dtype="int32", seed=None):
    """Integers drawn uniformly from [minval, maxval)."""
    dtype = _dtype(dtype, "i", "randint")
    shape = _shape_argument(shape, "keras.random.randint", minimum=0)
    low, high = int(_number(minval)), int(_number(maxval))
    if not low < high:
        raise ValueError(f"keras.random.randint: need minval < maxval, got minval={low}, maxval={high}")
    drawn = np.int64 if dtype not in (np.int32, np.int64) else dtype  # Keras draws other widths as int64
    values = philox.uniform_int(*_philox_key(seed), _count(shape), low, high, drawn)
    return _from_host(values.astype(dtype).reshape(shape))


@tf_function("dropout")
def dropout(inputs, rate, noise_shape=None, seed=None):
    """``inputs`` with each element (or each slice, by ``noise_shape``, whose None entries take the
    input's sizes) zeroed with probability ``rate``, the rest scaled by 1 / (1 - rate), as
    TensorFlow's stateless dropout; the gradient flows through the kept elements."""
    x = operand(inputs)
    if not 0 <= rate <= 1:
        raise ValueError(f"keras.random.dropout: rate must be in [0, 1], got rate={rate!r}")
    if rate == 1:
        return as_tf(Tensor._from_op(backend.get_xp().zeros_like(x.data)))
    if rate == 0:
        return x
    if noise_shape is None:
        noise_shape = tuple(x.shape)
    else:
        noise_shape = tuple(x.shape[i] if size is None else int(size) for i, size in enumerate(noise_shape))
    draws = uniform(noise_shape, dtype=x.dtype, seed=seed)
    keep = draws.data >= x.dtype.type(rate)
    scale = x.dtype.type(1) / (x.dtype.type(1) - x.dtype.type(rate))
    return as_tf(_math.where(keep, _math.mul(x, scale), x.dtype.type(0)))


@tf_function("shuffle")
def shuffle(x, axis=0, seed=None):
    """``x`` with its slices along ``axis`` in a random order (Keras's: the order that sorts one
    uniform draw per slice); the gradient goes back to each slice's place."""
    x = operand(x)
    axis = int(axis) % x.ndim
    order = np.argsort(uniform((x.shape[axis],), dtype="float32", seed=seed).numpy(), kind="stable")
    return as_tf(_shapes.getitem(x, (slice(None),) * axis + (order,)))


@tf_function("categorical")
def categorical(logits, num_samples, dtype="int32", seed=None):
    """``num_samples`` class indices per row of ``logits`` (batch, classes), each drawn with
    probability softmax(logits) (a NumPy generator seeded by Keras's rules)."""
    logits = operand(logits).numpy().astype(np.float64)
    if logits.ndim != 2:
        raise ValueError(f"keras.random.categorical: logits must be 2-D (batch_size, num_classes), got shape "
                         f"{logits.shape}")
    probabilities = np.exp(logits - logits.max(axis=-1, keepdims=True))
    cumulative = np.cumsum(probabilities / probabilities.sum(axis=-1, keepdims=True), axis=-1)
    draws = _numpy_generator(seed).random((logits.shape[0], int(num_samples)))
    indices = np.stack([np.searchsorted(row, draw, side="right") for row, draw in zip(cumulative, draws)])
    return _from_host(np.minimum(indices, logits.shape[1] - 1).astype(_dtype(dtype, "i", "categorical")))


def gamma(shape, alpha, dtype=None, seed=None):
    """Gamma draws of shape parameter ``alpha`` (scale 1)."""
    dtype = _dtype(dtype, "f", "gamma")
    shape = _shape_argument(shape, "keras.random.gamma", minimum=0)
    return _from_host(_numpy_generator(seed).gamma(_number(alpha), size=shape).astype(dtype))


def binomial(shape, counts, probabilities, dtype=None, seed=None):
    """Binomial draws: successes in ``counts`` trials of probability ``probabilities`` (as floats)."""
    dtype = _dtype(dtype, "f", "binomial")
    shape = _shape_argument(shape, "keras.random.binomial", minimum=0)
    drawn = _numpy_generator(seed).binomial(_number(counts), _number(probabilities), size=shape)
    return _from_host(drawn.astype(dtype))


def beta(shape, alpha, beta, dtype=None, seed=None):
    """Beta draws of parameters ``alpha`` and ``beta``."""
    dtype = _dtype(dtype, "f", "beta")
    shape = _shape_argument(shape, "keras.random.beta", minimum=0)
    return _from_host(_numpy_generator(seed).beta(_number(alpha), _number(beta), size=shape).astype(dtype))
