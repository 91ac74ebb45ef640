"""Pictures for teaching and for lab reports: the computational graph of a tensor, training
curves, image grids and weight distributions.

``graph_dot(tensor)`` returns Graphviz DOT text of everything ``tensor`` was computed from
(always available, no dependencies); ``draw_graph(tensor, "graph.png")`` also renders it when
the ``dot`` program is installed. Call them before ``backward()``, which frees the graph.

The plots need matplotlib, the ``examples`` extra (``pip install 'minidl[examples]'``); it is
imported on the first plot, not by ``import minidl``. Every file is written atomically with the
user's normal file mode (``minidl.fileio``), and every function returns the path it wrote.
"""

from __future__ import annotations

import io
import os
import pathlib
import shutil
import subprocess

import numpy as np

from minidl.fileio import atomic_write_bytes, atomic_write_text

PathLike = str | os.PathLike


def _tensor_label(tensor, fallback):
    name = tensor.name or fallback
    shape = "x".join(str(size) for size in tensor.shape) or "scalar"
    return f"{name}\\n{shape} {tensor.dtype}"


def graph_dot(tensor, title: str | None = None) -> str:
    """Graphviz DOT text of the graph that produced ``tensor``.

    Tensors are ellipses (name, shape, dtype; leaves that require grad are filled), operations
    are boxes named after their Function class; edges run from inputs to outputs.
    """
    lines = ["digraph minidl {", "  rankdir=LR;", '  node [fontname="Helvetica", fontsize=10];']
    if title:
        lines.append(f'  label="{title}";')
    ids = {}

    def node_id(obj, prefix):
        key = id(obj)
        if key not in ids:
            ids[key] = f"{prefix}{len(ids)}"
        return ids[key]

    def add_tensor(t):
        tid = node_id(t, "t")
        style = ', style=filled, fillcolor="#cfe2ff"' if t.creator is None and t.requires_grad else ""
        lines.append(f'  {tid} [shape=ellipse, label="{_tensor_label(t, tid)}"{style}];')
        return tid

    seen_tensors = set()
    seen_functions = set()
    stack = [tensor]
    while stack:
        current = stack.pop()
        if id(current) in seen_tensors:
            continue
        seen_tensors.add(id(current))
        tid = add_tensor(current)
        function = current.creator
        if function is None:
            continue
        fid = node_id(function, "f")
        if id(function) not in seen_functions:
            seen_functions.add(id(function))
            lines.append(f'  {fid} [shape=box, style=rounded, label="{function.name}"];')
            for source in getattr(function, "inputs", ()):
                lines.append(f"  {node_id(source, 't')} -> {fid};")
                stack.append(source)
        lines.append(f"  {fid} -> {tid};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def draw_graph(tensor, path: PathLike, title: str | None = None) -> pathlib.Path:
    """Write the graph of ``tensor`` to ``path``: ``.dot`` always, ``.png``/``.svg``/``.pdf`` via
    Graphviz.

    Returns the path written. Without the ``dot`` program a PNG request raises a clear error
    (the DOT text can still be written with a ``.dot`` path).
    """
    path = pathlib.Path(path)
    text = graph_dot(tensor, title)
    if path.suffix == ".dot":
        return atomic_write_text(path, text)
    dot = shutil.which("dot")
    if dot is None:
        raise RuntimeError(
            f"draw_graph: rendering {path.suffix} needs Graphviz's 'dot' program "
            "(apt-get install graphviz); write a '.dot' file instead"
        )
    rendered = subprocess.run([dot, f"-T{path.suffix[1:]}"], input=text.encode(), check=True,
                              capture_output=True).stdout
    return atomic_write_bytes(path, rendered)


def pyplot():
    """matplotlib's pyplot on the file-only Agg backend, or an ImportError naming what to install."""
    try:
        import matplotlib
    except ImportError as error:
        raise ImportError(
            f"minidl.viz draws its plots with matplotlib, which is not installed ({error}); install it "
            "with: pip install 'minidl[examples]'  (or just: pip install matplotlib)"
        ) from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(figure, path: PathLike, dpi: int = 80) -> pathlib.Path:
    """Save a matplotlib ``figure`` to ``path`` (format from the suffix: .png, .svg, .pdf, ...)
    atomically with the user's normal file mode, close it, and return the path."""
    path = pathlib.Path(path)
    buffer = io.BytesIO()
    figure.savefig(buffer, format=path.suffix[1:] or "png", dpi=dpi)
    pyplot().close(figure)
    return atomic_write_bytes(path, buffer.getvalue())


def plot_history(history, path: PathLike, title: str | None = None) -> pathlib.Path:
    """One panel per quantity of a Keras-style History (train and validation curves).

    ``history``: what ``fit`` returns, or its ``.history`` dict of per-epoch lists.
    """
    plt = pyplot()
    values = history.history if hasattr(history, "history") else history
    names = [key for key in values if not key.startswith("val_")]
    figure, axes = plt.subplots(1, len(names), figsize=(5 * len(names), 4), squeeze=False)
    for axis, name in zip(axes[0], names):
        axis.plot(range(1, len(values[name]) + 1), values[name], label=f"train {name}")
        if f"val_{name}" in values:
            axis.plot(range(1, len(values[f"val_{name}"]) + 1), values[f"val_{name}"], label=f"validation {name}")
        axis.set_xlabel("epoch")
        axis.set_title(name)
        axis.legend()
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return save_figure(figure, path)


def image_grid(images, path: PathLike, rows: int, cols: int, titles=None, cmap: str = "gray",
               value_range: tuple[float, float] | None = None) -> pathlib.Path:
    """Save ``rows x cols`` images (N, H, W) or (N, H, W, C) as one PNG grid.

    ``titles``: one caption per image; ``value_range``: (low, high) mapped to black and white
    (default: each image's own range).
    """
    plt = pyplot()
    images = np.asarray(images)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    figure, axes = plt.subplots(rows, cols, figsize=(cols * 1.2, rows * 1.2), squeeze=False)
    for index, axis in enumerate(axes.flat):
        axis.axis("off")
        if index < len(images):
            low, high = value_range if value_range else (None, None)
            axis.imshow(images[index], cmap=cmap, vmin=low, vmax=high)
            if titles is not None:
                axis.set_title(str(titles[index]), fontsize=8)
    figure.tight_layout()
    return save_figure(figure, path)


def weight_violins(model, path: PathLike, title: str = "weights per layer") -> pathlib.Path:
    """Violin plot of every weight array's values, one violin per weight (the AFR notebook's plot)."""
    plt = pyplot()
    weights = [(w.name, w.numpy().ravel()) for w in model.weights]
    if not weights:
        raise ValueError("weight_violins: the model has no weights yet (build or fit it first)")
    figure, axis = plt.subplots(figsize=(max(6, len(weights) * 0.9), 4))
    axis.violinplot([values for _, values in weights], showmedians=True)
    axis.set_xticks(range(1, len(weights) + 1))
    axis.set_xticklabels([name for name, _ in weights], rotation=60, ha="right", fontsize=7)
    axis.set_title(title)
    figure.tight_layout()
    return save_figure(figure, path)


def plot_norms(norms_by_name: dict, path: PathLike, title: str = "norms", xlabel: str = "step",
               log: bool = True) -> pathlib.Path:
    """Plot sequences of norms (e.g. per-layer gradient norms, or per-time-step norms)."""
    plt = pyplot()
    figure, axis = plt.subplots(figsize=(6, 4))
    for name, values in norms_by_name.items():
        axis.plot(values, label=name)
    if log:
        axis.set_yscale("log")
    axis.set_xlabel(xlabel)
    axis.set_title(title)
    axis.legend(fontsize=7)
    figure.tight_layout()
    return save_figure(figure, path)
