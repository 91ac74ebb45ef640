"""minidl: a deep learning framework written from scratch on NumPy, with CuPy for GPUs.

Two faces on one engine:

* low level, PyTorch style -- ``x = minidl.tensor(a, requires_grad=True)``, operators build
  the graph, ``loss.backward()`` fills ``.grad``;
* high level, Keras style -- ``minidl.layers``, ``minidl.models.Sequential``, compile/fit.

``import minidl`` loads the engine and the Keras-style packages, and changes nothing outside
minidl (allocator tuning for training scripts is a call: ``minidl.runtime.keep_freed_memory()``).
The optional parts --
``minidl.viz`` (plots; needs matplotlib), ``minidl.applications`` (VGG16, ResNet50, Keras .h5
weights) and the ``minidl.keras`` / ``minidl.tf`` faces -- load on first use, so
``minidl.viz.plot_history(...)`` works after a plain ``import minidl`` without slowing it.
"""

import importlib as _importlib
import importlib.util as _importlib_util

from minidl import (
    backend,  # the public name of minidl.runtime.backend
    callbacks,
    datasets,
    layers,
    losses,
    metrics,
    models,
    ops,
    optimizers,
    preprocessing,
    runtime,
    schedules,
    text,
)
from minidl.autograd import (
    Function,
    GradcheckError,
    Tensor,
    debug,
    enable_grad,
    gradcheck,
    is_grad_enabled,
    no_grad,
    tensor,
)
from minidl.ops import (
    abs,
    argmax,
    clip,
    concatenate,
    exp,
    log,
    matmul,
    max,
    maximum,
    mean,
    min,
    minimum,
    pad,
    reference_ops,
    reshape,
    sqrt,
    stack,
    sum,
    tanh,
    transpose,
    where,
)
from minidl.runtime.backend import (
    floatx,
    get_backend,
    set_backend,
    set_floatx,
    set_seed,
    to_device,
    to_numpy,
)
from minidl.version import __version__ as __version__  # re-exported: minidl.__version__

# Submodules loaded on first attribute access (PEP 562) rather than by ``import minidl``.
_LAZY_SUBMODULES = ("applications", "distributed", "keras", "tf", "viz")


def __getattr__(name):
    if name in _LAZY_SUBMODULES and _importlib_util.find_spec(f"{__name__}.{name}") is not None:
        return _importlib.import_module(f"{__name__}.{name}")  # also sets it as an attribute
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    present = [name for name in _LAZY_SUBMODULES if _importlib_util.find_spec(f"{__name__}.{name}") is not None]
    return sorted(set(globals()) | set(present))


__all__ = [
    "backend", "callbacks", "datasets", "layers", "losses", "metrics", "models", "optimizers", "preprocessing",
    "runtime", "schedules", "text",
    "Function", "GradcheckError", "Tensor", "abs", "argmax", "clip", "concatenate", "debug",
    "enable_grad", "exp", "floatx", "get_backend", "gradcheck", "is_grad_enabled", "log",
    "matmul", "max", "maximum", "mean", "min", "minimum", "no_grad", "ops", "pad", "reference_ops", "reshape",
    "set_backend", "set_floatx", "set_seed", "sqrt", "stack", "sum", "tanh", "tensor",
    "to_device", "to_numpy", "transpose", "where",
]
