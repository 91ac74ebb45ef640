"""What the readable recurrent cells share: splitting a weight into its gates' blocks, and
giving each gate its own dropped-out copy of an input."""


def gate_blocks(weight, count):
    """A Keras weight (..., count * units) as its ``count`` gate blocks (..., units), in order."""
    units = weight.shape[-1] // count
    return [weight[..., k * units:(k + 1) * units] for k in range(count)]


def per_gate(value, masks, count):
    """``[value * masks[0], ..., value * masks[count-1]]``: gate k's input under Keras 2's
    per-gate dropout, each mask (batch, width) fixed for the sequence; ``value`` itself for
    every gate when ``masks`` is None (no dropout)."""
    if masks is None:
        return [value] * count
    return [value * masks[k] for k in range(count)]


def back_through_masks(grads, masks):
    """The gradient of ``value`` from the gradients of its gates' copies ``value * masks[k]``:
    sum_k grads[k] * masks[k] (sum_k grads[k] without dropout)."""
    total = None
    for k, grad in enumerate(grads):
        term = grad if masks is None else grad * masks[k]
        total = term if total is None else total + term
    return total
