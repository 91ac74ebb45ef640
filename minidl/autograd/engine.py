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

``grad(roots, sources)`` runs the same three steps but delivers nothing into ``.grad``: it
returns d(roots)/d(source) for each source -- leaf or intermediate tensor -- as PyTorch's
``torch.autograd.grad`` does; ``tf.GradientTape.gradient`` is built on it.

``leaf_grad_ready_hooks``: functions called with each leaf as soon as its gradient for this
``backward()`` pass is complete (every use of the leaf has delivered its part), while the rest
of the graph is still being differentiated. ``minidl.distributed`` uses this to start summing
the last layers' gradients across processes during the backward pass. With no hook registered
(the normal case) nothing extra is done.
"""

from minidl.graph import depth_first
from minidl.runtime import backend, step_buffers
from minidl.runtime.denormals import flushes_denormals

leaf_grad_ready_hooks = []


def backward(root, grad=None, retain_graph=False):
    """Backpropagate from tensor ``root``; see the module docstring."""
    xp = backend.get_xp()
    if not root.requires_grad:
        raise RuntimeError(
            "backward: this tensor does not require grad and has no graph to backpropagate "
            "through (was it computed under no_grad(), or from tensors without requires_grad=True?)"
        )
    _propagate([(root, _initial_grad(root, grad, xp))], retain_graph, _accumulate_leaf, announce_leaves=True)


def grad(roots, sources, grad_roots=None, retain_graph=False):
    """d(roots)/d(source) for every source, as backend arrays (None where no path leads).

    ``roots`` is a tensor or a list of them; several roots are differentiated as their sum,
    each weighted by its entry of ``grad_roots`` (default: ones, so a non-scalar root counts
    as the sum of its elements). A source may be a leaf or a tensor computed inside the graph.
    No ``.grad`` attribute is read or written.
    """
    xp = backend.get_xp()
    roots = list(roots) if isinstance(roots, (list, tuple)) else [roots]
    if grad_roots is None:
        grad_roots = [None] * len(roots)
    if len(grad_roots) != len(roots):
        raise ValueError(f"grad: {len(roots)} roots but {len(grad_roots)} root gradients")
    sources = list(sources)
    results = [None] * len(sources)
    leaf_slots = {}
    output_slots = {}
    for index, source in enumerate(sources):
        if source.creator is None:
            leaf_slots.setdefault(id(source), []).append(index)
        else:
            output_slots.setdefault((id(source.creator), source.output_index), []).append(index)

    def receive_leaf(tensor, leaf_grad):
        for index in leaf_slots.get(id(tensor), ()):
            results[index] = leaf_grad if results[index] is None else results[index] + leaf_grad

    def receive_outputs(function, grad_outputs):
        for output_index, output_grad in enumerate(grad_outputs):
            for index in output_slots.get((id(function), output_index), ()):
                results[index] = output_grad

    seeds = []
    for root, root_grad in zip(roots, grad_roots):
        if root.requires_grad:
            seed = xp.ones_like(root.data) if root_grad is None else _initial_grad(root, root_grad, xp)
            seeds.append((root, seed))
    if seeds:
        _propagate(seeds, retain_graph, receive_leaf, receive_outputs)
    return results


@flushes_denormals  # as TensorFlow's kernels: see minidl/runtime/denormals.py
def _propagate(seeds, retain_graph, receive_leaf, receive_outputs=None, announce_leaves=False):
    """The chain rule from ``seeds`` -- (tensor, dL/d(tensor)) pairs -- down to the leaves.

    ``receive_leaf(leaf, grad)`` is called for every gradient arriving at a leaf;
    ``receive_outputs(function, grads)`` (optional) sees the complete dL/d(outputs) of every
    function just before its backward runs. With ``announce_leaves`` the
    ``leaf_grad_ready_hooks`` hear of each leaf whose gradient is complete.
    """
    xp = backend.get_xp()
    step_buffers.new_step()  # each backward pass is a step of the reused work arrays
    pending = {}
    for tensor, seed in seeds:
        if tensor.creator is None:
            receive_leaf(tensor, seed)
        else:
            _add_pending(pending, tensor, seed)
    starts = [tensor.creator for tensor, _ in seeds if tensor.creator is not None]
    order = _topological_order(starts)
    leaf_uses = _count_leaf_uses(order) if announce_leaves and leaf_grad_ready_hooks else None
    for function in reversed(order):
        grad_outputs = pending.pop(function, None)
        if grad_outputs is None:  # no path from the roots reaches this function's outputs
            continue
        grad_outputs = [
            g if g is not None else xp.zeros(shape, dtype)
            for g, (shape, dtype) in zip(grad_outputs, function.output_meta)
        ]
        if receive_outputs is not None:
            receive_outputs(function, grad_outputs)
        grad_inputs = function.backward(*grad_outputs)
        if not isinstance(grad_inputs, tuple):
            grad_inputs = (grad_inputs,)
        for tensor, grad_input, needed in zip(function.inputs, grad_inputs, function.needs_input_grad):
            if not needed or grad_input is None:
                continue
            _check_grad_shape(function, tensor, grad_input)
            if tensor.creator is None:
                receive_leaf(tensor, grad_input)
                if leaf_uses is not None:
                    _leaf_use_delivered(leaf_uses, tensor)
            else:
                _add_pending(pending, tensor, grad_input)
        if not retain_graph:
            function.release()


def _add_pending(pending, tensor, grad):
    """Sum ``grad`` into the slot of ``tensor`` among its creator's output gradients."""
    slots = pending.get(tensor.creator)
    if slots is None:
        slots = [None] * len(_output_meta(tensor.creator))
        pending[tensor.creator] = slots
    previous = slots[tensor.output_index]
    slots[tensor.output_index] = grad if previous is None else _sum_of_gradients(previous, grad)


def _sum_of_gradients(previous, grad):
    """``previous + grad``: a tensor used twice receives the sum of both uses' gradients. Written
    into a reused step buffer (``step_buffers``) when the two have the same shape -- they do,
    unless a Function's backward returned a gradient that broadcasts."""
    if previous.shape != grad.shape:
        return previous + grad
    module = backend.get_xp()
    out = step_buffers.reusable_empty(previous.shape, module.result_type(previous, grad))
    return module.add(previous, grad, out=out)


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


def _topological_order(roots):
    """Functions reachable from ``roots`` (a Function or a list of them), each after the
    functions feeding it."""
    roots = list(roots) if isinstance(roots, (list, tuple)) else [roots]
    return depth_first(roots, _creators_to_visit)


def _creators_to_visit(function):
    """The Functions that made ``function``'s inputs and need a gradient, the last input's first
    (the order that fixes how gradients meeting at a tensor are summed)."""
    _output_meta(function)  # raises a clear error if this part of the graph was freed
    return [tensor.creator for tensor in reversed(function.inputs)
            if tensor.creator is not None and tensor.requires_grad]


def _accumulate_leaf(tensor, grad):
    # Out of place on purpose: ``grad`` may be the very array another input also received.
    tensor.grad = grad if tensor.grad is None else tensor.grad + grad


def _check_grad_shape(function, tensor, grad):
    if tuple(grad.shape) != tensor.shape:
        raise RuntimeError(
            f"{function.name}.backward returned a gradient of shape {tuple(grad.shape)} for an "
            f"input of shape {tensor.shape}; a backward must undo broadcasting (see ops.sum_to)"
        )


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
