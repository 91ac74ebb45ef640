"""What an error raised inside a layer says about the layer: its name and its inputs, added once.

An op checks its own operands and names itself in its message -- ``conv2d: the 5x5 window is
larger than the padded input 3x3 ...`` -- without knowing which layer called it.
``Layer.__call__`` catches an exception raised while the layer builds or runs, puts the layer's
label and the inputs it was called on in front of the message, and lets the same exception go
on::

    ValueError: conv2d (Conv2D), called on an input of shape (1, 3, 3, 1) (float32): conv2d: the
    5x5 window is larger than the padded input 3x3 ...

The idea is Keras's (``traceback_utils``): context added where a layer is called, rather than a
layer name passed down into every op. The exception keeps its type, its attributes and its
traceback, and nothing is chained to it. It is marked, so the layers around the one that failed
(a Sequential, a Bidirectional, a subclassed model) leave it alone: the context is the innermost
layer's, added once. A message that already starts with the layer's label (the layer's own
checks of its input) is left as it is. An exception whose text is not its one string argument
(``KeyError``, ``OSError``'s errno form) gets the context as a note, which the traceback prints
under the message (Python 3.11 and later).

While no exception is raised this costs nothing: it is an ``except`` clause of the ``try`` that
surrounds the call.
"""

_MARK = "_minidl_layer_context"  # set on an exception once a layer has added its context


def label(layer):
    """How messages name a layer: ``'lstm_1 (LSTM)'``. A string is taken as the label itself, so
    the argument checks of :mod:`minidl.layers.arguments` serve losses, metrics and other
    objects that are not layers too."""
    if isinstance(layer, str):
        return layer
    return f"{layer.name} ({type(layer).__name__})"


def add_call_context(error, layer, inputs, probing=False):
    """Put ``layer``'s label and ``inputs`` in front of ``error``'s message, unless a layer did so
    already. ``probing``: the inputs are the zero batch of a symbolic call, whose batch size is
    shown as None, as the user wrote it."""
    if getattr(error, _MARK, False):
        return
    try:
        setattr(error, _MARK, True)
    except AttributeError:  # an exception class without a __dict__: left as it is
        return
    name = label(layer)
    message = error.args[0] if len(error.args) == 1 and isinstance(error.args[0], str) else None
    if message is not None and message.startswith(name):
        return
    context = f"{name}, called on {describe_inputs(inputs, probing)}"
    if message is not None and type(error).__str__ is BaseException.__str__:
        error.args = (f"{context}: {message}",)
    elif hasattr(error, "add_note"):
        error.add_note(f"(raised in {context})")


def describe_inputs(inputs, probing=False):
    """``an input of shape (2, 3) (float32)`` or ``inputs of shapes (2, 3) (float32), (2, 4) (int32)``."""
    if isinstance(inputs, (list, tuple)):
        if len(inputs) == 1:
            return describe_inputs(inputs[0], probing)
        return "inputs of shapes " + ", ".join(_shape_and_dtype(x, probing) for x in inputs)
    if isinstance(inputs, dict):
        return "inputs " + ", ".join(f"{key!r} of shape {_shape_and_dtype(x, probing)}" for key, x in inputs.items())
    return "an input of shape " + _shape_and_dtype(inputs, probing)


def _shape_and_dtype(value, probing):
    shape = getattr(value, "shape", None)
    dtype = getattr(value, "dtype", None)
    if shape is None:
        return f"? ({type(value).__name__})"
    shape = tuple(shape)
    if probing and shape:
        shape = (None,) + shape[1:]
    return f"{shape} ({dtype})" if dtype is not None else str(shape)
