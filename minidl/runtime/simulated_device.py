"""A simulated accelerator: NumPy arrays that behave like device arrays at the host boundary.

CuPy arrays live in GPU memory. Code that quietly pulls them back to the host -- ``np.asarray(x)``,
``float(x)``, ``if x:``, mixing a NumPy array into a device computation -- either raises on CuPy
or forces a slow device synchronisation in a hot path. A test run on NumPy alone would never
notice. This module provides ``xp``, a stand-in for the ``cupy`` module whose arrays
(``DeviceArray``) do all their arithmetic in NumPy but refuse every implicit host conversion:

* ``np.asarray(device_array)`` / any ``np.*`` function on one       -> TypeError
* ``float(a)``, ``int(a)``, ``bool(a)``, ``if a:``, ``range(a)``     -> TypeError
* a host ``np.ndarray`` mixed into a device operation              -> TypeError
* reductions return 0-d device arrays, never NumPy scalars (as CuPy does)

Explicit transfers are allowed, as on CuPy: ``xp.asarray(host)`` moves host data in (copying
it), ``a.get()`` / ``minidl.backend.to_numpy(a)`` copy it out, ``a.item()`` and ``a.tolist()``
are explicit reads. Select it with ``minidl.set_backend("simulated")``.
"""

import operator
import types

import numpy as np

_TRANSFER_IN = frozenset({"asarray", "array", "asanyarray", "ascontiguousarray"})


class DeviceTransferError(TypeError):
    """An implicit device-to-host conversion (or host-to-device mix) was attempted."""


def _refuse(what):
    raise DeviceTransferError(
        f"simulated device: {what} would implicitly copy a device array to the host. "
        "CuPy refuses (or stalls on) this; convert explicitly with minidl.backend.to_numpy(), "
        "or keep the value on the device."
    )


def _unwrap(value, allow_host=False):
    """Turn DeviceArrays (also inside lists/tuples/dicts) back into the NumPy arrays they hold."""
    if isinstance(value, DeviceArray):
        return value._host
    if isinstance(value, np.ndarray):
        if allow_host:
            return value
        raise DeviceTransferError(
            f"simulated device: a host numpy.ndarray of shape {value.shape} was mixed into a "
            "device operation. Move it first with minidl.backend.to_device() (CuPy raises here)."
        )
    if isinstance(value, (list, tuple)):
        items = [_unwrap(item, allow_host) for item in value]
        return type(value)(items) if isinstance(value, tuple) else items
    if isinstance(value, dict):
        return {key: _unwrap(item, allow_host) for key, item in value.items()}
    return value


def _wrap(value):
    """Turn NumPy results into DeviceArrays; a NumPy scalar becomes a 0-d device array."""
    if isinstance(value, np.ndarray):
        return DeviceArray(value)
    if isinstance(value, np.generic):
        return DeviceArray(np.asarray(value))
    if isinstance(value, tuple):
        return tuple(_wrap(item) for item in value)
    if isinstance(value, list) and value and isinstance(value[0], np.ndarray):
        return [_wrap(item) for item in value]
    if isinstance(value, np.random.Generator):
        return _Proxy(value)
    return value


class DeviceArray:
    """A NumPy array standing in for a CuPy array: same math, no implicit trip to the host."""

    __slots__ = ("_host",)
    __array_ufunc__ = None  # NumPy ufuncs must not reach inside; the reflected operator runs.

    def __init__(self, host):
        self._host = host

    # -- explicit reads (allowed, as on CuPy) --------------------------------------------
    def get(self):
        """Copy to a host NumPy array (CuPy's explicit transfer)."""
        return self._host.copy()

    def item(self):
        return self._host.item()

    def tolist(self):
        return self._host.tolist()

    # -- implicit reads (refused) ----------------------------------------------------------
    def __array__(self, *args, **kwargs):
        _refuse("numpy.asarray() / a NumPy function")

    def __float__(self):
        _refuse("float()")

    def __int__(self):
        _refuse("int()")

    def __index__(self):
        _refuse("using a device array as an index or count")

    def __complex__(self):
        _refuse("complex()")

    def __bool__(self):
        _refuse("a truth test (if/and/or/bool())")

    # -- array protocol ------------------------------------------------------------------
    shape = property(lambda self: self._host.shape)
    dtype = property(lambda self: self._host.dtype)
    ndim = property(lambda self: self._host.ndim)
    size = property(lambda self: self._host.size)
    nbytes = property(lambda self: self._host.nbytes)
    itemsize = property(lambda self: self._host.itemsize)
    strides = property(lambda self: self._host.strides)
    flags = property(lambda self: self._host.flags)
    T = property(lambda self: DeviceArray(self._host.T))

    def __len__(self):
        return len(self._host)

    def __iter__(self):
        for row in self._host:
            yield _wrap(row)

    def __repr__(self):
        return f"DeviceArray({self._host!r})"

    def __getitem__(self, key):
        return _wrap(self._host[_unwrap(key)])

    def __setitem__(self, key, value):
        self._host[_unwrap(key)] = _unwrap(value)

    def __getattr__(self, name):
        if name.startswith("__"):
            # Never forward protocol hooks such as __array_interface__ / __array_struct__: NumPy
            # would read the host buffer through them and np.asarray() would quietly succeed.
            raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")
        attr = getattr(self._host, name)
        if not callable(attr):
            return attr

        def method(*args, **kwargs):
            return _wrap(attr(*_unwrap(args), **_unwrap(kwargs)))

        return method

    def __copy__(self):
        return DeviceArray(self._host.copy())

    def __deepcopy__(self, memo):
        return DeviceArray(self._host.copy())

    def __reduce__(self):  # pickling copies through the host explicitly
        return (_from_host, (self._host.copy(),))


def _from_host(host):
    return DeviceArray(host)


def _binary(op):
    def forward(self, other):
        return _wrap(op(self._host, _unwrap(other)))

    def reflected(self, other):
        return _wrap(op(_unwrap(other), self._host))

    return forward, reflected


def _inplace(op):
    def method(self, other):
        op(self._host, _unwrap(other))
        return self

    return method


for _name, _op in {
    "add": operator.add, "sub": operator.sub, "mul": operator.mul,
    "truediv": operator.truediv, "floordiv": operator.floordiv, "mod": operator.mod,
    "pow": operator.pow, "matmul": operator.matmul, "and": operator.and_,
    "or": operator.or_, "xor": operator.xor,
}.items():
    _fwd, _ref = _binary(_op)
    setattr(DeviceArray, f"__{_name}__", _fwd)
    setattr(DeviceArray, f"__r{_name}__", _ref)

for _name, _op in {
    "iadd": operator.iadd, "isub": operator.isub, "imul": operator.imul,
    "itruediv": operator.itruediv, "ipow": operator.ipow,
}.items():
    setattr(DeviceArray, f"__{_name}__", _inplace(_op))

for _name, _op in {
    "eq": operator.eq, "ne": operator.ne, "lt": operator.lt,
    "le": operator.le, "gt": operator.gt, "ge": operator.ge,
}.items():
    setattr(DeviceArray, f"__{_name}__", _binary(_op)[0])

DeviceArray.__neg__ = lambda self: DeviceArray(-self._host)
DeviceArray.__pos__ = lambda self: DeviceArray(+self._host)
DeviceArray.__abs__ = lambda self: DeviceArray(abs(self._host))
DeviceArray.__invert__ = lambda self: DeviceArray(~self._host)
DeviceArray.__hash__ = None


class _Proxy:
    """Wraps a NumPy callable or object (function, ufunc, Generator): unwrap in, wrap out."""

    def __init__(self, target, allow_host=False):
        self._target = target
        self._allow_host = allow_host

    def __call__(self, *args, **kwargs):
        result = self._target(*_unwrap(args, self._allow_host), **_unwrap(kwargs, self._allow_host))
        if self._allow_host and any(result is arg for arg in args):
            result = result.copy()  # a host-to-device transfer never aliases host memory
        return _wrap(result)

    def __getattr__(self, name):
        attr = getattr(self._target, name)
        return _Proxy(attr) if callable(attr) and not isinstance(attr, type) else attr


class _Namespace:
    """A module whose functions take and return DeviceArrays (the simulated ``cupy``)."""

    def __init__(self, module):
        self._module = module

    def __getattr__(self, name):
        if name == "ndarray":
            return DeviceArray
        attr = getattr(self._module, name)
        if isinstance(attr, types.ModuleType):
            result = _Namespace(attr)
        elif isinstance(attr, type) or not callable(attr):
            result = attr  # dtypes, finfo, constants such as pi and newaxis
        else:
            result = _Proxy(attr, allow_host=name in _TRANSFER_IN)
        setattr(self, name, result)
        return result

    def __repr__(self):
        return f"<simulated device module over {self._module.__name__}>"


xp = _Namespace(np)
