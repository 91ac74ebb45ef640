"""``plot_model``: a picture of a model's layers and how they connect (Keras's
``keras.utils.plot_model``), and ``model_to_dot``, its Graphviz DOT text.

Keras needs pydot and Graphviz for this and, without them, prints a hint and draws nothing.
minidl writes the DOT text itself and then draws the picture with whatever is installed:

1. Graphviz's ``dot`` program, if present, renders ``to_file`` (.png, .svg, .pdf, ...);
2. otherwise matplotlib draws the same graph -- one box per layer, top to bottom in the order
   the layers run, arrows from each layer to the layers it feeds;
3. with neither, the DOT text is saved beside ``to_file`` (``model.dot``), and a message says
   how to render it.

Every file is written atomically (``minidl.fileio``). The model's edges come from its structure:
a Sequential model is a chain; a functional model's edges are its recorded layer calls.
"""

import pathlib
import shutil
import subprocess
import tempfile

from minidl import fileio
from minidl.layers.input_layer import InputLayer


def _edges_and_layers(model):
    """(layers in running order, edges as (from layer, to layer) pairs)."""
    if hasattr(model, "_nodes"):  # functional
        layers = list(model.layers)
        edges = []
        for node in model._nodes:
            for symbol in node.inputs:
                edge = (symbol.layer, node.layer)
                if edge not in edges:
                    edges.append(edge)
        return layers, edges
    layers = list(model.layers)
    input_layer = getattr(model, "_input_layer", None)
    if input_layer is not None:
        layers = [input_layer] + layers
    return layers, list(zip(layers, layers[1:]))


def _shapes(model):
    """layer -> (input shape text, output shape text), where the model knows them."""
    shapes = {}
    rows = model.layer_output_shapes() if hasattr(model, "layer_output_shapes") else []
    for layer, shape in rows:
        shapes[id(layer)] = _shape_text(shape)
    input_layer = getattr(model, "_input_layer", None)
    if input_layer is not None:
        shapes[id(input_layer)] = _shape_text(input_layer.batch_input_shape)
    return shapes


def _shape_text(shape):
    if shape is None:
        return "?"
    if isinstance(shape, str):
        return shape
    if isinstance(shape, list):
        return ", ".join(_shape_text(s) for s in shape)
    return "(" + ", ".join("None" if size is None else str(size) for size in shape) + ("," if len(shape) == 1 else "") + ")"


def _label(layer, shapes, show_shapes, show_layer_names, show_dtype):
    kind = "InputLayer" if isinstance(layer, InputLayer) else type(layer).__name__
    text = f"{layer.name}: {kind}" if show_layer_names else kind
    if show_dtype:
        text += f" ({layer.dtype.name})"
    if show_shapes:
        text += f"\n{shapes.get(id(layer), '?')}"
    return text


def model_to_dot(model, show_shapes=False, show_dtype=False, show_layer_names=True, rankdir="TB",
                 expand_nested=False, dpi=96, subgraph=False, **kwargs):
    """The model's graph as Graphviz DOT text (Keras returns a pydot object; this is its source)."""
    layers, edges = _edges_and_layers(model)
    shapes = _shapes(model) if show_shapes else {}
    ids = {id(layer): f"layer{index}" for index, layer in enumerate(layers)}
    lines = ["digraph model {", f"  rankdir={rankdir};", f"  dpi={int(dpi)};",
             '  node [shape=record, fontname="Helvetica", fontsize=10];']
    for layer in layers:
        label = _label(layer, shapes, show_shapes, show_layer_names, show_dtype).replace('"', "'").replace("\n", "\\n")
        lines.append(f'  {ids[id(layer)]} [label="{label}"];')
    for source, target in edges:
        if id(source) in ids and id(target) in ids:
            lines.append(f"  {ids[id(source)]} -> {ids[id(target)]};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def plot_model(model, to_file="model.png", show_shapes=False, show_dtype=False, show_layer_names=True,
               rankdir="TB", expand_nested=False, dpi=96, **kwargs):
    """Draw ``model`` into ``to_file`` (see the module docstring); returns the path written."""
    if not getattr(model, "built", False):
        raise ValueError(
            f"plot_model: {model.name} has not been built yet (no input shape is known); give its first layer an "
            "input_shape, start it with keras.Input(...), or call it on data first"
        )
    target = pathlib.Path(to_file)
    dot_text = model_to_dot(model, show_shapes, show_dtype, show_layer_names, rankdir, expand_nested, dpi)
    suffix = target.suffix.lower().lstrip(".") or "png"
    if suffix == "dot":
        fileio.atomic_write_text(target, dot_text)
        return target
    if shutil.which("dot") is not None:
        _render_with_graphviz(dot_text, target, suffix)
        return target
    try:
        _draw_with_matplotlib(model, target, show_shapes, show_dtype, show_layer_names, dpi)
        return target
    except ImportError:
        pass
    dot_path = target.with_suffix(".dot")
    fileio.atomic_write_text(dot_path, dot_text)
    print(f"plot_model: neither Graphviz ('dot') nor matplotlib is installed, so {target} was not drawn; the "
          f"graph was written as DOT text to {dot_path} (render it with `dot -T{suffix} {dot_path} -o {target}`)")
    return dot_path


def _render_with_graphviz(dot_text, target, suffix):
    with tempfile.TemporaryDirectory() as folder:
        rendered = pathlib.Path(folder) / f"model.{suffix}"
        subprocess.run(["dot", f"-T{suffix}", "-o", str(rendered)], input=dot_text.encode(), check=True)
        fileio.atomic_write_bytes(target, rendered.read_bytes())


def _draw_with_matplotlib(model, target, show_shapes, show_dtype, show_layer_names, dpi):
    """Boxes in running order, top to bottom, side by side where layers share a depth."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    layers, edges = _edges_and_layers(model)
    shapes = _shapes(model) if show_shapes else {}
    depth = {id(layer): 0 for layer in layers}
    for source, target_layer in edges:  # edges follow running order, so one pass settles every depth
        if id(source) in depth and id(target_layer) in depth:
            depth[id(target_layer)] = max(depth[id(target_layer)], depth[id(source)] + 1)
    rows = {}
    for layer in layers:
        rows.setdefault(depth[id(layer)], []).append(layer)
    width = max(len(row) for row in rows.values())
    figure, axis = plt.subplots(figsize=(3.2 * width, 0.9 * len(rows) + 0.5))
    axis.set_xlim(0, width)
    axis.set_ylim(-len(rows), 0.5)
    axis.axis("off")
    centres = {}
    for level, row in rows.items():
        for position, layer in enumerate(row):
            x = (position + 0.5) * width / len(row)
            y = -level
            centres[id(layer)] = (x, y)
            axis.text(x, y, _label(layer, shapes, show_shapes, show_layer_names, show_dtype), ha="center", va="center",
                      fontsize=8, bbox={"boxstyle": "round", "facecolor": "#e8eefc", "edgecolor": "#4060a0"})
    for source, target_layer in edges:
        if id(source) in centres and id(target_layer) in centres:
            (x0, y0), (x1, y1) = centres[id(source)], centres[id(target_layer)]
            axis.annotate("", xy=(x1, y1 + 0.25), xytext=(x0, y0 - 0.25), arrowprops={"arrowstyle": "->"})
    with tempfile.TemporaryDirectory() as folder:
        drawn = pathlib.Path(folder) / f"model{target.suffix or '.png'}"
        figure.savefig(drawn, dpi=dpi, bbox_inches="tight")
        plt.close(figure)
        fileio.atomic_write_bytes(target, drawn.read_bytes())
