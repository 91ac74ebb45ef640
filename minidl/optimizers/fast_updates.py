"""The optimizers' fast updates: what ``apply_gradients`` runs outside ``minidl.reference_ops()``.

Each function here is the fast form of one optimizer's ``update_one`` -- the update written as
its formula, in that optimizer's module; read that first -- and must give the same bits: it
does the same float operations in the same order, only into a scratch buffer reused from line
to line instead of a new temporary array per operation. ``update_tasks`` then cuts a large
weight into ranges of elements and ``run_tasks`` updates a step's weights and ranges side by
side on the CPU cores: every update is element-wise, so each range gets exactly the numbers the
whole array would.

Each takes the weight ``var`` (updated in place), its gradient, its slots (updated in place)
and the step's scalars ``s`` (``Optimizer.step_scalars``), in the weight's dtype.
"""

import functools

from minidl.autograd.function import xp
from minidl.runtime.parallel import element_ranges, map_chunks
from minidl.runtime.step_buffers import reusable_empty_like

# A weight of at least two ranges of this many elements has its update split over the CPU cores:
# a range's handful of arrays (weight, gradient, slots, scratch) stays in cache from one pass of
# the update to the next.
UPDATE_RANGE_SIZE = 1 << 17

# A step's weights of at least this many elements (or ranges of them) are updated side by side
# on the CPU cores (``run_tasks``). Measured in turns on a 2-core Xeon: LM-4's dense autoencoder
# at batch 32 9.4 -> 8.8 ms a step, the MNIST MLP 9.6 -> 8.7; the harness's models unchanged.
SHARED_UPDATE_SIZE = 1 << 14


def update_tasks(update, var, grad, slots):
    """``update(var, grad, slots)`` as independent tasks, ``(elements, zero-argument callable)``:
    one per range of ``UPDATE_RANGE_SIZE`` elements of a large contiguous weight, else one for
    the whole weight. Tasks touch disjoint elements, so they may run in any order on any core."""
    ranges = element_ranges(var.size, UPDATE_RANGE_SIZE)
    if len(ranges) == 1 or not all(array.flags.c_contiguous for array in [var, *slots.values()]):
        return [(var.size, functools.partial(update, var, grad, slots))]
    flat_var, flat_grad = var.reshape(-1), grad.reshape(-1)
    flat_slots = {name: slot.reshape(-1) for name, slot in slots.items()}
    return [(stop - start, functools.partial(update, flat_var[start:stop], flat_grad[start:stop],
                                             {name: slot[start:stop] for name, slot in flat_slots.items()}))
            for start, stop in ranges]


def run_tasks(tasks, side_by_side=True):
    """Every task of ``update_tasks`` for all of a step's weights: those of at least
    ``SHARED_UPDATE_SIZE`` elements on every CPU core at once (a model's many middle-sized
    weights then update beside each other, not one after the other), the smaller ones here --
    their few microseconds of NumPy calls would only queue for the interpreter on another core.
    Without ``side_by_side`` (a weight listed twice: its updates must follow each other) every
    task runs here, in order."""
    if not side_by_side:
        for _, task in tasks:
            task()
        return
    shared = []
    for elements, task in tasks:
        if elements >= SHARED_UPDATE_SIZE:
            shared.append(task)
        else:
            task()
    map_chunks(lambda start, stop, _: [shared[index]() for index in range(start, stop)],
               [(index, index + 1) for index in range(len(shared))])


def sgd(var, grad, slots, s, momentum, nesterov):
    """Fast form of ``SGD.update_one`` (optimizers/sgd.py)."""
    step = grad * s.lr
    if momentum == 0:
        var -= step
        return
    velocity = slots["momentum"]
    velocity *= s.momentum
    velocity -= step
    if nesterov:
        ahead = xp().multiply(velocity, s.momentum)
        ahead -= step
        var += ahead
    else:
        var += velocity


def rmsprop(var, grad, slots, s, centered):
    """Fast form of ``RMSprop.update_one`` without momentum (optimizers/rmsprop.py)."""
    module = xp()
    ms = slots["rms"]
    scratch = module.multiply(grad, grad, out=reusable_empty_like(var))
    scratch *= 1 - s.rho
    ms *= s.rho
    ms += scratch
    if centered:
        mg = slots["mg"]
        mg *= s.rho
        mg += grad * (1 - s.rho)
        module.multiply(mg, mg, out=scratch)
        module.subtract(ms, scratch, out=scratch)
        module.sqrt(scratch, out=scratch)
    else:
        module.sqrt(ms, out=scratch)
    scratch += s.epsilon
    step = grad * s.lr
    step /= scratch
    var -= step


def rmsprop_with_momentum(var, grad, slots, s, centered):
    """Fast form of ``RMSprop.update_one`` with momentum (optimizers/rmsprop.py)."""
    module = xp()
    ms, mom = slots["rms"], slots["momentum"]
    scratch = module.multiply(grad, grad, out=reusable_empty_like(var))
    scratch -= ms
    scratch *= 1 - s.rho
    ms += scratch
    if centered:
        mg = slots["mg"]
        module.subtract(grad, mg, out=scratch)
        scratch *= 1 - s.rho
        mg += scratch
        module.multiply(mg, mg, out=scratch)
        module.subtract(ms, scratch, out=scratch)
        scratch += s.epsilon
    else:
        module.add(ms, s.epsilon, out=scratch)
    module.sqrt(scratch, out=scratch)
    step = grad * s.lr
    step /= scratch
    mom *= s.momentum
    mom += step
    var -= mom


def adam(var, grad, slots, s, amsgrad):
    """Fast form of ``Adam.update_one`` (optimizers/adam.py)."""
    module = xp()
    m, v = slots["m"], slots["v"]
    scratch = module.subtract(grad, m, out=reusable_empty_like(var))
    scratch *= 1 - s.beta_1
    m += scratch
    module.multiply(grad, grad, out=scratch)
    scratch -= v
    scratch *= 1 - s.beta_2
    v += scratch
    second_moment = v
    if amsgrad:
        second_moment = slots["vhat"]
        module.maximum(second_moment, v, out=second_moment)
    module.sqrt(second_moment, out=scratch)
    scratch += s.epsilon
    step = m * s.lr_t
    step /= scratch
    var -= step


def adagrad(var, grad, slots, s):
    """Fast form of ``Adagrad.update_one`` (optimizers/adagrad.py)."""
    module = xp()
    accumulator = slots["accumulator"]
    scratch = module.multiply(grad, grad, out=reusable_empty_like(var))
    accumulator += scratch
    module.sqrt(accumulator, out=scratch)
    scratch += s.epsilon
    step = grad * s.lr
    step /= scratch
    var -= step


def adadelta(var, grad, slots, s):
    """Fast form of ``Adadelta.update_one`` (optimizers/adadelta.py)."""
    module = xp()
    accum_grad, accum_var = slots["accum_grad"], slots["accum_var"]
    scratch = module.multiply(grad, grad, out=reusable_empty_like(var))
    scratch *= 1 - s.rho
    accum_grad *= s.rho
    accum_grad += scratch
    update = module.add(accum_var, s.epsilon, out=reusable_empty_like(var))
    module.sqrt(update, out=update)
    module.add(accum_grad, s.epsilon, out=scratch)
    module.sqrt(scratch, out=scratch)
    update /= scratch
    update *= grad
    module.multiply(update, s.lr, out=scratch)
    var -= scratch
    update *= update
    update *= 1 - s.rho
    accum_var *= s.rho
    accum_var += update


def adamax(var, grad, slots, s):
    """Fast form of ``Adamax.update_one`` (optimizers/adamax.py)."""
    module = xp()
    m, u = slots["m"], slots["v"]
    scratch = module.subtract(grad, m, out=reusable_empty_like(var))
    scratch *= 1 - s.beta_1
    m += scratch
    u *= s.beta_2
    module.maximum(u, module.abs(grad), out=u)
    module.add(u, s.epsilon, out=scratch)
    module.divide(m, scratch, out=scratch)
    scratch *= s.lr_t
    var -= scratch


def nadam(var, grad, slots, s):
    """Fast form of ``Nadam.update_one`` (optimizers/nadam.py)."""
    module = xp()
    m, v = slots["m"], slots["v"]
    g_prime = grad / (1 - s.schedule_new)
    m *= s.beta_1
    m += grad * (1 - s.beta_1)
    v *= s.beta_2
    scratch = module.multiply(grad, grad, out=reusable_empty_like(var))
    scratch *= 1 - s.beta_2
    v += scratch
    g_prime *= 1 - s.mu_t
    module.divide(m, 1 - s.schedule_next, out=scratch)
    scratch *= s.mu_next
    g_prime += scratch
    module.divide(v, 1 - s.beta_2 ** s.t, out=scratch)
    module.sqrt(scratch, out=scratch)
    scratch += s.epsilon
    g_prime *= s.lr
    g_prime /= scratch
    var -= g_prime
