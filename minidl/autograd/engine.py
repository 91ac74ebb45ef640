"""The backward engine: reverse-mode differentiation over the recorded graph.

``loss.backward()`` does three things:

1. Order: list the Functions that ``loss`` depends on so that every Function comes after all
   Functions that produced its inputs (a topological order), by an explicit-stack depth-first
   search -- no recursion, so graphs of hundreds of thousands of nodes are fine.
2. Propagate: walk that list backwards. Each Function receives dL/d(its outputs), summed over
   every place the outputs were used, and returns dL/d(its inputs) (the chain rule).
3. Deliver: gradients arriving at leaves (tensors with no creator) accumulate into ``leaf.grad``;
   gradients for intermediate tensors are kept only until their creator has used them.

Afterwards each Function releases what it saved, which frees the graph, unless
``retain_graph=True`` asks to keep it for a second backward pass.

``leaf_grad_ready_hooks``: functions called with each leaf as soon as its gradient for this
pass is complete (every use of the leaf has delivered its part), while the rest of the graph is
still being differentiated. ``minidl.distributed`` uses this to start summing the last layers'
gradients across processes during the backward pass. With no hook registered (the normal case)
nothing extra is done.
"""

from minidl import backend

leaf_grad_ready_hooks = []


def backward(root, grad=None, retain_graph=False):
    """Backpropagate from tensor ``root``; see the module docstring."""
    xp = backend.get_xp()
    if not root.requires_grad:
        raise RuntimeError(
            "backward: this tensor does not require grad and has no graph to backpropagate "
            "through (was it computed under no_grad(), or from tensors without requires_grad=True?)"
        )
    grad = _initial_grad(root, grad, xp)
    if root.creator is None:
        _accumulate_leaf(root, grad)
        return

    pending = {root.creator: [None] * len(_output_meta(root.creator))}
    pending[root.creator][root.output_index] = grad
    order = _topological_order(root.creator)
    leaf_uses = _count_leaf_uses(order) if leaf_grad_ready_hooks else None
    for function in reversed(order):
        grad_outputs = pending.pop(function, None)
        if grad_outputs is None:  # no path from the root reaches this function's outputs
            continue
        grad_outputs = [
            g if g is not None else xp.zeros(shape, dtype)
            for g, (shape, dtype) in zip(grad_outputs, function.output_meta)
        ]
        grad_inputs = function.backward(*grad_outputs)
        if not isinstance(grad_inputs, tuple):
            grad_inputs = (grad_inputs,)
        for tensor, grad_input, needed in zip(function.inputs, grad_inputs, function.needs_input_grad):
            if not needed or grad_input is None:
                continue
            _check_grad_shape(function, tensor, grad_input)
            if tensor.creator is None:
                _accumulate_leaf(tensor, grad_input)
                if leaf_uses is not None:
                    _leaf_use_delivered(leaf_uses, tensor)
            else:
                slots = pending.get(tensor.creator)
                if slots is None:
                    slots = [None] * len(tensor.creator.output_meta)
                    pending[tensor.creator] = slots
                previous = slots[tensor.output_index]
                slots[tensor.output_index] = grad_input if previous is None else previous + grad_input
        if not retain_graph:
            function.release()


def _initial_grad(root, grad, xp):
    if grad is None:
        if root.data.size != 1:
            raise RuntimeError(
                f"backward: grad can be omitted only for a one-element tensor; this one has shape "
                f"{root.shape}. Pass backward(grad) with an array of that shape."
            )
        return xp.ones_like(root.data)
    if hasattr(grad, "data") and not isinstance(grad, xp.ndarray):
        grad = grad.data  # a Tensor
    grad = xp.asarray(grad, dtype=root.data.dtype)
    if tuple(grad.shape) != root.shape:
        raise ValueError(f"backward: grad has shape {tuple(grad.shape)} but the tensor has shape {root.shape}")
    return grad


def _output_meta(function):
    meta = getattr(function, "output_meta", None)
    if meta is None:
        raise RuntimeError(
            f"backward: the graph through {function!r} was already freed by an earlier backward(). "
            "Pass retain_graph=True to the first backward() to backpropagate twice."
        )
    return meta


def _topological_order(root_function):
    """Functions reachable from ``root_function``, each after the functions feeding it."""
    order = []
    visited = set()
    stack = [(root_function, False)]
    while stack:
        function, inputs_done = stack.pop()
        if inputs_done:
            order.append(function)
            continue
        if function in visited:
            continue
        visited.add(function)
        _output_meta(function)  # raises a clear error if this part of the graph was freed
        stack.append((function, True))
        for tensor in function.inputs:
            creator = tensor.creator
            if creator is not None and tensor.requires_grad and creator not in visited:
                stack.append((creator, False))
    return order


def _count_leaf_uses(order):
    """How many gradient contributions each leaf (by id) can receive in this pass."""
    uses = {}
    for function in order:
        for tensor, needed in zip(function.inputs, function.needs_input_grad):
            if needed and tensor.creator is None:
                uses[id(tensor)] = uses.get(id(tensor), 0) + 1
    return uses


def _leaf_use_delivered(uses, leaf):
    """Count one contribution down; at the last one the leaf's gradient is ready. (A use whose
    backward returned None never counts down: that leaf is then not announced, and a hook's
    owner must treat leaves it did not hear about at the end of the pass.)"""
    remaining = uses[id(leaf)] - 1
    uses[id(leaf)] = remaining
    if remaining == 0:
        for hook in leaf_grad_ready_hooks:
            hook(leaf)


def _accumulate_leaf(tensor, grad):
    # Out of place on purpose: ``grad`` may be the very array another input also received.
    tensor.grad = grad if tensor.grad is None else tensor.grad + grad


def _check_grad_shape(function, tensor, grad):
    if tuple(grad.shape) != tensor.shape:
        raise RuntimeError(
            f"{function.name}.backward returned a gradient of shape {tuple(grad.shape)} for an "
            f"input of shape {tensor.shape}; a backward must undo broadcasting (see ops.sum_to)"
        )
