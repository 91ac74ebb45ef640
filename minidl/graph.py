"""The one depth-first walk of a graph that minidl makes in several places: autograd's backward
order (Functions and the Functions that made their inputs), a functional model's order of layer
calls and Keras's order of its layers (symbolic tensors and the calls that made them), and a
layer's nested layers.

It uses an explicit stack, so a graph as deep as a recurrent layer's step-by-step form (one node
per time step) never meets Python's recursion limit.
"""


def depth_first(roots, neighbours, key=None, on_enter=None):
    """Every node reachable from ``roots`` through ``neighbours(node)``, in post-order: each node
    after all the nodes it reaches -- a topological order when ``neighbours`` gives a node's
    inputs.

    The walk goes to ``roots`` and to each node's neighbours in the order given, and meets each
    node once: ``key(node)`` says which nodes are the same (the node itself by default).
    ``on_enter(node)`` is called when the walk first meets a node (a pre-order), before its
    neighbours; ``neighbours`` is called there too, once per node.
    """
    order = []
    entered = set()
    stack = [(node, False) for node in reversed(roots)]
    while stack:
        node, leaving = stack.pop()
        if leaving:
            order.append(node)
            continue
        identity = node if key is None else key(node)
        if identity in entered:
            continue
        entered.add(identity)
        if on_enter is not None:
            on_enter(node)
        stack.append((node, True))
        for neighbour in reversed(neighbours(node)):
            stack.append((neighbour, False))
    return order
