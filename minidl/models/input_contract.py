"""What a model promises about its inputs, enforced once at its boundary.

A Sequential or functional model knows, for each of its inputs:

* a shape -- declared (``input_shape=``, ``batch_input_shape=``, ``input_dim=``,
  ``Input(shape=...)``, ``build(shape)``) or inferred from the first data it was built on;
* a kind of values -- text when the input is declared with ``dtype="string"`` or feeds a layer
  that takes strings (``TextVectorization``, ``StringLookup``); integer token ids when it is
  declared with an integer dtype or feeds a layer that takes ids (``Embedding``); numbers
  otherwise;
* the layers that take it directly, which may check whole input arrays once
  (``Layer.check_input_data``: Embedding's id range).

``fit``/``evaluate``/``predict`` pass every input array through ``conform_array`` once per
call, on the host, before anything runs: the value kind is fixed (text becomes a host array of
``str`` and numbers given for text are an error; whole-number float ids become int32; ids with
fractions, text and other types are errors; numbers become the float type of the model), a rank differing by a trailing axis of size 1 is adjusted as Keras 3 does (``(n,)`` data
for an ``Input(shape=(1,))``), and the shape is checked. A direct call ``model(x)`` goes through
``conform_tensor``, the same rules for one tensor. A declared shape is checked in full (unknown
axes and the batch axis excepted), in Keras's words::

    Input 0 of layer "sequential" is incompatible with the layer: expected shape=(None, 3),
    found shape=(2, 3, 3)

A shape inferred from data only fixes the rank, as in Keras: the layers check the rest, so a
model built on sequences of 10 steps still takes sequences of 20.
"""

import numpy as np

from minidl import ops
from minidl.autograd.function import no_grad
from minidl.autograd.tensor import Tensor
from minidl.layers.base import Layer
from minidl.layers.text_values import as_text_array, holds_text, is_text_dtype
from minidl.runtime import backend


class ModelInput:
    """One input of a model: its shape, whether declared, the kind of its values, its consumers."""

    __slots__ = ("name", "shape", "declared", "kind", "consumers")

    def __init__(self, name, shape, declared, kind, consumers):
        self.name = name
        self.shape = None if shape is None else tuple(shape)
        self.declared = declared
        self.kind = kind  # "text" (strings), "text_or_number" (either), "int" (token ids) or "float"
        self.consumers = list(consumers)


def value_kind(declared_dtype, consumers):
    """'text' where strings are expected (a string Input dtype or a layer taking strings), 'int'
    where ids are (an integer Input dtype or an id-taking layer), else 'float'."""
    if declared_dtype is not None and is_text_dtype(declared_dtype):
        return "text"
    if declared_dtype is not None and np.dtype(declared_dtype).kind in "iu":
        return "int"
    wanted = [getattr(layer, "input_dtype", None) for layer in consumers]
    if any(dtype is not None and is_text_dtype(dtype) for dtype in wanted):
        return "text"
    if any(getattr(layer, "accepts_text", False) for layer in consumers):
        return "text_or_number"  # Hashing: strings or numbers
    if any(dtype is not None and np.dtype(dtype).kind in "iu" for dtype in wanted):
        return "int"
    return "float"


def direct_consumers(layer, index=0):
    """The layers that see a model input first when it enters ``layer`` (through nested models)."""
    contract = getattr(layer, "input_contract", None)
    if callable(contract):
        inputs = contract()
        if inputs is not None and index < len(inputs):
            return inputs[index].consumers
    return [layer]


class InputContract:
    """The inputs of one model (see the module docstring)."""

    def __init__(self, model, inputs):
        self.model = model
        self.inputs = list(inputs)
        # The consumers that check whole input arrays (Embedding): inside fit's steps their
        # per-batch checks are skipped (see ``Model._forward``).
        self.checking_consumers = [layer for spec in self.inputs for layer in spec.consumers
                                   if type(layer).check_input_data is not Layer.check_input_data]

    def __len__(self):
        return len(self.inputs)

    @property
    def accepts_text(self):
        """One flag per input: whether it takes strings (see ``value_kind``)."""
        return [spec.kind in ("text", "text_or_number") for spec in self.inputs]

    def __getitem__(self, index):
        return self.inputs[index]

    # -- whole arrays, once per fit / evaluate / predict ------------------------------------------
    def conform_arrays(self, arrays, what):
        """The input arrays with their value kind, rank and shape checked (see the module docstring)."""
        if len(arrays) != len(self.inputs):
            raise ValueError(f'Layer "{self.model.name}" expects {len(self.inputs)} input(s), but it received '
                             f"{len(arrays)} input arrays ({what})")
        conformed = []
        for index, (array, spec) in enumerate(zip(arrays, self.inputs)):
            label = what if len(self.inputs) == 1 else f"{what}[{index}]"
            array = _conform_kind(array, spec, label)
            if spec.shape is not None:
                given = tuple(array.shape)
                array = _adjust_rank(array, spec.shape, lambda a, shape: a.reshape(shape))
                self._check_shape(array.shape, spec, index, batch_known=False, given=given)
            for layer in spec.consumers:
                layer.check_input_data(array, label)
            conformed.append(array)
        return conformed

    # -- one call ----------------------------------------------------------------------------
    def conform_tensor(self, tensor, index):
        """One input of a direct call: rank adjusted, shape checked, whole-number float ids cast."""
        spec = self.inputs[index]
        if spec.kind == "text" or (spec.kind == "text_or_number" and holds_text(tensor)):
            tensor = Tensor._from_op(_text(tensor, spec, "the input"))
        elif spec.kind == "int" and tensor.data.dtype.kind == "f":
            tensor = Tensor._from_op(_whole_ids(tensor.data, spec, "the input").astype(np.int32))
        if spec.shape is not None:
            given = tuple(tensor.shape)
            tensor = _adjust_rank(tensor, spec.shape, _reshape_tensor)
            self._check_shape(tensor.shape, spec, index, batch_known=True, given=given)
        return tensor

    def check_symbolic(self, symbol, index):
        spec = self.inputs[index]
        if spec.shape is not None:
            self._check_shape(symbol.shape, spec, index, batch_known=True)

    def _check_shape(self, shape, spec, index, batch_known, given=None):
        """``given``: the data's shape as passed, before a trailing axis of 1 was added or dropped
        (the error shows it, not the adjusted one)."""
        expected = spec.shape
        rank_ok = len(shape) == len(expected)
        if rank_ok and spec.declared:
            rank_ok = all(e is None or s is None or s == e for s, e in zip(shape[1:], expected[1:]))
        if not rank_ok:
            shown = expected if spec.declared else (None,) * len(expected)
            found = tuple(shape) if given is None else given
            raise ValueError(
                f'Input {index} of layer "{self.model.name}" is incompatible with the layer: '
                f"expected shape={_shape_text(shown)}, found shape={found}"
                + ("" if spec.declared else f" (the model was built on inputs of shape {_shape_text(expected)}; "
                   "their rank is fixed)")
                + _one_sample_hint(found, expected)
            )


def _one_sample_hint(found, expected):
    """A hint when the data looks like one sample without its batch axis."""
    sample = tuple(expected[1:])
    if len(found) == len(sample) and all(e is None or f == e for f, e in zip(found, sample)):
        return f"; this looks like one sample without the batch axis: pass x[None] (shape {(1, *found)})"
    return ""


def _shape_text(shape):
    return str(tuple(shape))


def _adjust_rank(value, expected, reshape):
    """Keras 3's rule: a trailing axis of size 1 may be missing from, or extra in, the data."""
    rank, wanted = len(value.shape), len(expected)
    if rank == wanted + 1 and value.shape[-1] == 1:
        return reshape(value, tuple(value.shape[:-1]))
    if rank == wanted - 1 and expected[-1] == 1:
        return reshape(value, tuple(value.shape) + (1,))
    return value


def _reshape_tensor(tensor, shape):
    return ops.reshape(tensor, shape)


def _conform_kind(array, spec, label):
    if spec.kind == "text" or (spec.kind == "text_or_number" and holds_text(array)):
        return _text(array, spec, label)
    if spec.kind == "text_or_number":
        return array  # numbers for a layer that hashes them: kept as they are
    kind = array.dtype.kind
    if spec.kind == "int":
        if kind == "f":
            return _whole_ids(array, spec, label).astype(np.int32)
        if kind == "b":
            return array.astype(np.int32)
        return array
    if kind in "iub" or (kind == "f" and array.dtype != np.dtype(backend.floatx())):
        return array.astype(backend.floatx())
    return array


def _text(value, spec, label):
    """``value`` as a host array of ``str``, or a TypeError naming the layers that take strings."""
    if not holds_text(value):
        data = value.data if isinstance(value, Tensor) else value
        layers = ", ".join(f"{layer.name} ({type(layer).__name__})" for layer in spec.consumers) or "the model"
        raise TypeError(f"{layers}: expected strings in {label}, got an array of dtype {data.dtype} and shape "
                        f"{tuple(data.shape)}")
    return as_text_array(value, label)


def _whole_ids(array, spec, label):
    """``array`` if every value is a whole number, else a TypeError naming the id-taking layer."""
    with no_grad():
        module = backend.get_xp() if _on_device(array) else np
        fractional = (array != module.floor(array)) | ~module.isfinite(array)
        bad = bool(backend.to_numpy(fractional.any())) if _on_device(array) else bool(fractional.any())
    if bad:
        host = backend.to_numpy(array) if _on_device(array) else array
        position = tuple(int(i) for i in np.argwhere((host != np.floor(host)) | ~np.isfinite(host))[0])
        layers = ", ".join(f"{layer.name} ({type(layer).__name__})" for layer in spec.consumers) or "the model"
        raise TypeError(
            f"{layers}: expected integer token ids in {label}, but it holds {host[position].item()!r} at index "
            f"{position} (dtype {array.dtype}); ids are not rounded silently -- build them as integers, "
            "e.g. with Tokenizer.texts_to_sequences and pad_sequences"
        )
    return array


def _on_device(array):
    return not isinstance(array, np.ndarray)


def text_inputs(model, contract):
    """Which inputs of ``model`` may be text: per input from its contract; for a subclassed model
    (no contract) every input when any of its layers takes strings, else none."""
    if contract is not None:
        return contract.accepts_text
    takes_text = any(is_text_dtype(getattr(layer, "input_dtype", None) or "float32") or getattr(layer, "accepts_text", False)
                     for layer in model._walk())
    return True if takes_text else None
