"""Weight initialisers with Keras's names, formulas and defaults.

Every initialiser draws on the host from ``backend.host_rng()`` (one seeded NumPy Generator)
and returns a NumPy array; layers move it to the device. The same seed therefore gives the
same starting weights on NumPy and on CuPy.

Fans follow Keras: for a kernel of shape (..., fan_in_channels, fan_out_channels) the
receptive field (the product of the leading axes) multiplies both fans.
"""

import math

import numpy as np

from minidl.runtime import backend


def compute_fans(shape):
    shape = tuple(shape)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive_field = math.prod(shape[:-2])
    return shape[-2] * receptive_field, shape[-1] * receptive_field


class Initializer:
    """Base: ``initializer(shape, dtype) -> numpy array``.

    Random initialisers take Keras's ``seed`` argument: with a seed, every call draws the same
    values from its own generator; without one (the usual case) they draw from the shared
    ``backend.host_rng()``, which ``minidl.set_seed`` seeds.
    """

    seed = None

    def __call__(self, shape, dtype=None):
        dtype = np.dtype(dtype or backend.floatx())
        rng = backend.host_rng() if self.seed is None else np.random.default_rng(self.seed)
        return np.asarray(self.sample(tuple(shape), rng), dtype=dtype)

    def sample(self, shape, rng):
        raise NotImplementedError

    def get_config(self):
        return {key: value for key, value in vars(self).items() if not key.startswith("_")}


class Zeros(Initializer):
    def sample(self, shape, rng):
        return np.zeros(shape)


class Ones(Initializer):
    def sample(self, shape, rng):
        return np.ones(shape)


class Constant(Initializer):
    def __init__(self, value=0.0):
        self.value = value

    def sample(self, shape, rng):
        return np.full(shape, self.value)


class RandomUniform(Initializer):
    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval, self.maxval, self.seed = minval, maxval, seed

    def sample(self, shape, rng):
        return rng.uniform(self.minval, self.maxval, size=shape)


class RandomNormal(Initializer):
    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean, self.stddev, self.seed = mean, stddev, seed

    def sample(self, shape, rng):
        return rng.normal(self.mean, self.stddev, size=shape)


def _truncated_normal(rng, shape, mean, stddev):
    """Normal samples redrawn until they lie within two standard deviations (as TF does)."""
    samples = rng.normal(0.0, 1.0, size=shape)
    outside = np.abs(samples) > 2
    while outside.any():
        samples[outside] = rng.normal(0.0, 1.0, size=int(outside.sum()))
        outside = np.abs(samples) > 2
    return mean + stddev * samples


class TruncatedNormal(Initializer):
    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean, self.stddev, self.seed = mean, stddev, seed

    def sample(self, shape, rng):
        return _truncated_normal(rng, shape, self.mean, self.stddev)


class VarianceScaling(Initializer):
    """Samples with variance ``scale / n`` where n is fan_in, fan_out or their average.

    The truncated-normal form divides the stddev by 0.8796..., the stddev of a unit normal
    truncated at two standard deviations, so the variance comes out as asked.
    """

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"VarianceScaling: mode must be fan_in, fan_out or fan_avg, got {mode!r}")
        if distribution not in ("truncated_normal", "untruncated_normal", "uniform"):
            raise ValueError(f"VarianceScaling: unknown distribution {distribution!r}")
        if scale <= 0:
            raise ValueError(f"VarianceScaling: scale must be positive, got {scale}")
        self.scale, self.mode, self.distribution, self.seed = scale, mode, distribution, seed

    def sample(self, shape, rng):
        fan_in, fan_out = compute_fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        variance = self.scale / max(1.0, n)
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * variance)
            return rng.uniform(-limit, limit, size=shape)
        if self.distribution == "untruncated_normal":
            return rng.normal(0.0, math.sqrt(variance), size=shape)
        return _truncated_normal(rng, shape, 0.0, math.sqrt(variance) / 0.87962566103423978)


class _NamedVarianceScaling(VarianceScaling):
    """A fixed VarianceScaling recipe; like Keras, its config holds only the seed."""

    def get_config(self):
        return {"seed": self.seed}


class GlorotUniform(_NamedVarianceScaling):
    def __init__(self, seed=None):
        super().__init__(1.0, "fan_avg", "uniform", seed)


class GlorotNormal(_NamedVarianceScaling):
    def __init__(self, seed=None):
        super().__init__(1.0, "fan_avg", "truncated_normal", seed)


class HeUniform(_NamedVarianceScaling):
    def __init__(self, seed=None):
        super().__init__(2.0, "fan_in", "uniform", seed)


class HeNormal(_NamedVarianceScaling):
    def __init__(self, seed=None):
        super().__init__(2.0, "fan_in", "truncated_normal", seed)


class LecunUniform(_NamedVarianceScaling):
    def __init__(self, seed=None):
        super().__init__(1.0, "fan_in", "uniform", seed)


class LecunNormal(_NamedVarianceScaling):
    def __init__(self, seed=None):
        super().__init__(1.0, "fan_in", "truncated_normal", seed)


class Orthogonal(Initializer):
    """A (semi-)orthogonal matrix from the QR decomposition of a normal sample (Keras's way)."""

    def __init__(self, gain=1.0, seed=None):
        self.gain, self.seed = gain, seed

    def sample(self, shape, rng):
        rows = math.prod(shape[:-1]) if len(shape) > 1 else 1
        cols = shape[-1]
        flat = rng.normal(0.0, 1.0, size=(max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(flat)
        q = q * np.sign(np.diag(r))  # make the decomposition unique
        if rows < cols:
            q = q.T
        return self.gain * q[:rows, :cols].reshape(shape)


class Identity(Initializer):
    """``gain`` times the identity matrix (ones on the diagonal of a 2-D shape, rectangular too),
    Keras's 'identity' -- e.g. an RNN's recurrent kernel in IRNN experiments."""

    def __init__(self, gain=1.0):
        self.gain = gain

    def sample(self, shape, rng):
        if len(shape) != 2:
            raise ValueError(f"Identity initializer: only a 2-D weight has an identity matrix, got shape {shape}")
        return self.gain * np.eye(*shape)


IdentityInitializer = Identity  # Keras 3's class name


_BY_NAME = {
    "zeros": Zeros, "ones": Ones, "constant": Constant,
    "uniform": RandomUniform, "random_uniform": RandomUniform,
    "normal": RandomNormal, "random_normal": RandomNormal,
    "truncated_normal": TruncatedNormal,
    "glorot_uniform": GlorotUniform, "glorot_normal": GlorotNormal,
    "he_uniform": HeUniform, "he_normal": HeNormal,
    "lecun_uniform": LecunUniform, "lecun_normal": LecunNormal,
    "orthogonal": Orthogonal, "variance_scaling": VarianceScaling,
    "identity": Identity, "identity_initializer": Identity,
}


def get(identifier):
    """An initialiser from a Keras name ('glorot_uniform'), an instance, or a callable."""
    if isinstance(identifier, Initializer) or callable(identifier) and not isinstance(identifier, type):
        return identifier
    if isinstance(identifier, dict):
        return _BY_NAME[_snake(identifier["class_name"])](**identifier.get("config", {}))
    if isinstance(identifier, str) and identifier.lower() in _BY_NAME:
        return _BY_NAME[identifier.lower()]()
    if isinstance(identifier, str) and _snake(identifier) in _BY_NAME:
        return _BY_NAME[_snake(identifier)]()
    raise ValueError(f"unknown initializer {identifier!r}; expected one of {sorted(_BY_NAME)}")


def serialize(initializer):
    return {"class_name": type(initializer).__name__, "config": initializer.get_config()}


def _snake(name):
    out = []
    for i, ch in enumerate(name):
        if ch.isupper() and i and not name[i - 1].isupper():
            out.append("_")
        out.append(ch.lower())
    return "".join(out)
