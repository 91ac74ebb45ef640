"""Which form of an operation runs: the fast one (the default) or the readable reference.

Every heavy operation exists twice. Its readable form (``minidl/ops/reference/``, each
optimizer's ``update_one``) is written to be read: one time step of a recurrent cell with a
backward of one line per derivative, a convolution by im2col and col2im, an optimizer's update
as its formula. Its fast form (``minidl/ops/fast/``, ``minidl/optimizers/fast_updates.py``)
computes the same numbers with everything that makes it quick: whole sequences in one
Function, cache-sized chunks over several threads, CUDA kernels. The tests hold each fast form
to its readable form.

Inside ``with minidl.reference_ops():`` every operation runs in its readable form, so a model
trains on exactly the code a student reads (recurrent layers then record one graph node per
time step, and a debugger can step through them)::

    with minidl.reference_ops():
        model.fit(x, y, epochs=1)

It is also a decorator (``@minidl.reference_ops()``). The switch is process-wide, like
``minidl.no_grad()``: it holds for every thread until the block ends. The choice is made when
an operation runs forward (or when an optimizer applies an update): a graph recorded inside the
block backpropagates through the readable forms even if ``backward()`` is called after it.
"""

import contextlib


class _Forms:
    """The process-wide switch (a class attribute, as ``no_grad``'s)."""

    reference = False


def reference_forms_active():
    """True inside ``reference_ops()``: the dispatchers then pick the readable forms."""
    return _Forms.reference


@contextlib.contextmanager
def reference_ops(enabled=True):
    """Run every operation in its readable reference form inside the block (see the module
    docstring); ``reference_ops(False)`` switches back to the fast forms inside an outer block."""
    previous = _Forms.reference
    _Forms.reference = bool(enabled)
    try:
        yield
    finally:
        _Forms.reference = previous
