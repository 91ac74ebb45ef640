"""The order in which Keras lists a functional model's layers (``model.layers``).

Keras (``map_graph`` in Keras 3, ``_map_graph_network`` in Keras 2) sorts the layers by
decreasing *depth* -- the longest path from the layer to an output -- and breaks ties by the
order in which a depth-first walk from the outputs, through each call's inputs in order,
first meets each layer. Inputs therefore come first and the output layers last, but a branch
is not kept together: in ResNet50 the shortcut convolution ``..._0_conv`` comes after
``..._2_relu``.

This order matters beyond printing: ``get_weights``/``set_weights`` follow it, and Keras's
weight files list layers in it (the HDF5 ``layer_names``, the keys of a ``.weights.h5``), so a
minidl functional model keeps its layers in it too.
"""

from minidl.graph import depth_first
from minidl.layers.base import symbols_in


def keras_layer_order(inputs, outputs):
    """The layers between the symbolic ``inputs`` and ``outputs``, in Keras's order."""
    post_order, parents, layer_of, first_seen = _walk_from_outputs(inputs, outputs)
    node_depth = {}
    layer_depth = {}  # id(layer) -> depth
    for node in reversed(post_order):
        layer = layer_of[node]
        depth = max(node_depth.setdefault(node, 0), layer_depth.get(id(layer), 0))
        layer_depth[id(layer)] = depth
        node_depth[node] = depth
        for parent in parents[node]:
            node_depth[parent] = max(depth + 1, node_depth.get(parent, 0))
    layers = {id(layer_of[node]): layer_of[node] for node in post_order}
    for symbol in inputs:  # inputs not connected to any output still come first
        if id(symbol.layer) not in layers:
            layers[id(symbol.layer)] = symbol.layer
            layer_depth[id(symbol.layer)] = 0
            first_seen[id(symbol.layer)] = -1
    return sorted(layers.values(), key=lambda layer: (-layer_depth[id(layer)], first_seen[id(layer)]))


def call_key(symbol):
    """The layer call that produced ``symbol``: (layer, inputs). The outputs of one call (an
    LSTM's sequence and states) share it."""
    return (id(symbol.layer), id(symbol.inputs))


def _walk_from_outputs(inputs, outputs):
    """Depth-first walk of the recorded calls, as Keras's ``_build_map`` does it.

    A node is one layer call (``call_key``). Returns the nodes in post-order (every node after
    the nodes producing its inputs), each node's parent nodes, each node's layer, and each
    layer's first-seen index.
    """
    input_ids = {id(symbol) for symbol in inputs}
    parents, layer_of, first_seen = {}, {}, {}

    def parents_of(symbol):
        return [] if id(symbol) in input_ids else list(symbol.inputs) + symbols_in(symbol.call_kwargs)

    def enter(symbol):
        node = call_key(symbol)
        layer_of[node] = symbol.layer
        first_seen.setdefault(id(symbol.layer), len(first_seen))
        parents[node] = [call_key(parent) for parent in parents_of(symbol)]

    post_order = [call_key(symbol) for symbol in depth_first(outputs, parents_of, key=call_key, on_enter=enter)]
    return post_order, parents, layer_of, first_seen
