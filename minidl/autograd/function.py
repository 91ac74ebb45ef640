"""``Function``: one differentiable operation, its forward and its backward side by side.

A Function works on raw backend arrays. ``forward(*arrays)`` computes the output(s) and saves
on ``self`` whatever backward will need; ``backward(*grad_outputs)`` receives dL/d(output) for
each output and returns dL/d(input) for each input, already summed back to the input's shape
(broadcasting undone). Calling a Function on Tensors runs forward and -- when gradients are
being recorded and some input requires them -- links the outputs to this Function so that
``loss.backward()`` can find it later (see ``minidl.autograd.engine``).

Writing a new op therefore means writing two short methods::

    class Exp(Function):
        def forward(self, x):
            self.y = xp().exp(x)
            return self.y

        def backward(self, gy):
            return gy * self.y          # d/dx exp(x) = exp(x)
"""

import contextlib

from minidl.autograd.tensor import Tensor
from minidl.runtime import backend


class _GradMode:
    """Whether new operations are recorded for backprop, and whether outputs are NaN-checked."""

    enabled = True
    debug = False


def is_grad_enabled():
    return _GradMode.enabled


@contextlib.contextmanager
def no_grad():
    """Run a block without recording the graph: inference, metric updates, weight updates."""
    previous = _GradMode.enabled
    _GradMode.enabled = False
    try:
        yield
    finally:
        _GradMode.enabled = previous


@contextlib.contextmanager
def enable_grad():
    """Record the graph inside a block even where an outer ``no_grad`` turned it off."""
    previous = _GradMode.enabled
    _GradMode.enabled = True
    try:
        yield
    finally:
        _GradMode.enabled = previous


def xp():
    """The active array module; Functions call this rather than importing numpy or cupy."""
    return backend.get_xp()


class Function:
    """Base class of every differentiable operation (see the module docstring)."""

    # Set on each call: which inputs need a gradient, so backward can skip the others.
    needs_input_grad = ()

    def __call__(self, *inputs):
        record = _GradMode.enabled and any(t.requires_grad for t in inputs)
        self.needs_input_grad = tuple(t.requires_grad for t in inputs) if record else ()
        outputs = self.forward(*[t.data for t in inputs])
        single = not isinstance(outputs, tuple)
        if single:
            outputs = (outputs,)
        if _GradMode.debug:
            _check_finite(self, outputs)
        tensors = tuple(Tensor._from_op(y) for y in outputs)
        if record:
            self.inputs = inputs
            self.output_meta = tuple((y.shape, y.dtype) for y in outputs)
            for index, out in enumerate(tensors):
                out.requires_grad = True
                out.creator = self
                out.output_index = index
        return tensors[0] if single else tensors

    def forward(self, *arrays):
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def backward(self, *grad_outputs):
        raise NotImplementedError(f"{type(self).__name__} must define backward()")

    def release(self):
        """Drop the inputs and everything forward saved: the graph below is freed."""
        self.__dict__.clear()
        self.released = True

    @property
    def name(self):
        return type(self).__name__

    def __repr__(self):
        return f"<{self.name}>"


def _check_finite(function, outputs):
    """Debug mode: name the operation whose output first holds a NaN or an infinity."""
    module = xp()
    for index, y in enumerate(outputs):
        if module.issubdtype(y.dtype, module.floating) and not module.isfinite(y).all().item():
            nan_count = int(module.isnan(y).sum().item())
            inf_count = int(module.isinf(y).sum().item())
            raise FloatingPointError(
                f"minidl.debug: {function.name} produced {nan_count} NaN and {inf_count} Inf "
                f"values in output {index} (shape {tuple(y.shape)})"
            )


@contextlib.contextmanager
def debug():
    """Check every operation's output for NaN/Inf and raise naming the op that made it."""
    previous = _GradMode.debug
    _GradMode.debug = True
    try:
        yield
    finally:
        _GradMode.debug = previous
