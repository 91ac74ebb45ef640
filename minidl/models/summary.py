"""``model.summary()``: Keras's table of layers, output shapes and parameter counts.

The layout is tf.keras 2.x's (the one the labs printed): 65 characters wide with columns
ending at 45% and 85% for sequential-like models; 98 characters with a 'Connected to' column
for graphs that branch. A field too long for its column is cut, and the last character kept
before the next column is replaced by a space -- which is why Keras prints
``max_pooling2d_1 (MaxPooling2`` for a long name. A nested model is one row, or, with
``expand_nested=True``, that row followed by its own layers, each prefixed with ``| `` per level
of nesting. ``show_trainable=True`` adds a column 'Trainable' (Y/N); ``layer_range=[first,
last]`` (regular expressions matched against the names, as Keras) prints only the rows from the
first layer matching ``first`` to the last matching ``last``.

A model not built yet (a Sequential without an input shape) is printed as Keras 3 prints it:
its layers with output shape ``?`` and ``0 (unbuilt)`` parameters, and totals of 0.
"""

import re

from minidl.layers.input_layer import InputLayer


def _print_row(fields, positions, print_fn, cut_last=True):
    line = ""
    for index, field in enumerate(fields):
        if index > 0:
            line = line[:-1] + " "
        line += str(field)
        if cut_last or index < len(fields) - 1:
            line = line[:positions[index]]
        line += " " * (positions[index] - len(line))
    print_fn(line)


def _param_count(layer):
    """The layer's parameter count, or Keras 3's '0 (unbuilt)' for a layer not built yet."""
    return layer.count_params() if layer.built else "0 (unbuilt)"


def _count(weights):
    seen = set()
    total = 0
    for weight in weights:
        if id(weight) not in seen:
            seen.add(id(weight))
            total += weight.size
    return total


def _rows(model):
    if hasattr(model, "layer_output_shapes"):
        return model.layer_output_shapes()
    return [(layer, layer.output_shape_seen) for layer in model.layers]


def _format_shape(shape):
    if shape is None:
        return "?"
    if isinstance(shape, list):
        return str([tuple(s) for s in shape])
    return str(tuple(shape)) if not isinstance(shape, str) else shape


def print_summary(model, line_length=None, positions=None, print_fn=None, expand_nested=False, show_trainable=False,
                  layer_range=None):
    """Print (or pass line by line to ``print_fn``) the summary table of ``model``."""
    print_fn = print_fn or print
    chain = not hasattr(model, "is_chain") or model.is_chain()
    if chain:
        line_length = line_length or 65
        positions = positions or [0.45, 0.85, 1.0]
        headers = ["Layer (type)", "Output Shape", "Param #"]
    else:
        line_length = line_length or 98
        positions = positions or [0.33, 0.55, 0.67, 1.0]
        headers = ["Layer (type)", "Output Shape", "Param #", "Connected to"]
    if positions[-1] <= 1:
        positions = [int(line_length * p) for p in positions]
    if show_trainable:
        line_length += 11
        positions = [*positions, line_length]
        headers = [*headers, "Trainable"]

    def print_layer(layer, shape, prefix="", connections=()):
        fields = [prefix + f"{layer.name} ({type(layer).__name__})", _format_shape(shape), _param_count(layer)]
        if not chain:
            fields.append(connections[0] if connections else "")
        if show_trainable:
            fields.append("Y" if layer.trainable else "N")
        _print_row(fields, positions, print_fn, cut_last=not chain or show_trainable)
        for extra in connections[1:]:
            _print_row(["", "", "", extra] + ([""] if show_trainable else []), positions, print_fn)
        if expand_nested and hasattr(layer, "layers") and layer is not model:
            for inner, inner_shape in _rows(layer):
                print_layer(inner, inner_shape, prefix + "| ")

    print_fn(f'Model: "{model.name}"')
    print_fn("_" * line_length)
    _print_row(headers, positions, print_fn)
    print_fn("=" * line_length)
    rows = _in_range(_rows(model), layer_range)
    for index, (layer, shape) in enumerate(rows):
        print_layer(layer, shape, connections=() if chain else _connections(model, layer))
        print_fn("=" * line_length if index == len(rows) - 1 else "_" * line_length)

    trainable = _count(model.trainable_weights)
    total = _count(model.weights)
    print_fn(f"Total params: {total:,}")
    print_fn(f"Trainable params: {trainable:,}")
    print_fn(f"Non-trainable params: {total - trainable:,}")
    print_fn("_" * line_length)


def _in_range(rows, layer_range):
    """The rows from the first layer whose name matches ``layer_range[0]`` to the last whose name
    matches ``layer_range[1]`` (``re.match``, as Keras); all rows for None."""
    if layer_range is None:
        return rows
    if isinstance(layer_range, str) or len(layer_range) != 2 or not all(isinstance(p, str) for p in layer_range):
        raise ValueError(f"summary: layer_range must be a list of two strings [first, last] (patterns of layer "
                         f"names), got {layer_range!r}")
    names = [layer.name for layer, _ in rows]
    starts = [i for i, name in enumerate(names) if re.match(layer_range[0], name)]
    ends = [i for i, name in enumerate(names) if re.match(layer_range[1], name)]
    if not starts or not ends or ends[-1] < starts[0]:
        raise ValueError(f"summary: layer_range {list(layer_range)} matches no range of the layers {names}")
    return rows[starts[0]:ends[-1] + 1]


def _connections(model, layer):
    if isinstance(layer, InputLayer):
        return []
    return [
        f"{name}[{node_index}][{tensor_index}]"
        for node in model.nodes_of(layer)
        for name, node_index, tensor_index in model.inbound_of(node) + model.keyword_inbound_of(node)
    ]
