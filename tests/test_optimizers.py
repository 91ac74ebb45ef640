"""Optimizers against NumPy transcriptions of Keras 2's update formulas (float64, three steps).

Each reference below is written from TensorFlow 2's Keras optimizers (keras/optimizer_v2/*.py)
and the kernels they call (tensorflow/core/kernels/training_ops.cc), independently of minidl.
"""

import contextlib

import numpy as np
import pytest

import minidl
from minidl import backend, optimizers, schedules
from minidl.optimizers import SGD, Adadelta, Adagrad, Adam, Adamax, Nadam, RMSprop
from tests.conftest import to_host

SHAPES = [(3, 2), (2,), ()]


def _problem(seed=0, steps=3):
    rng = np.random.default_rng(seed)
    start = [rng.standard_normal(shape) for shape in SHAPES]
    grads = [[rng.standard_normal(shape) * 2 for shape in SHAPES] for _ in range(steps)]
    return start, grads


def _run_minidl(optimizer, start, grads):
    weights = [minidl.tensor(backend.to_device(value.copy())) for value in start]
    for step_grads in grads:
        optimizer.apply_gradients([(backend.to_device(g), w) for g, w in zip(step_grads, weights)])
    return [to_host(w.data) for w in weights]


# -- NumPy transcriptions ---------------------------------------------------------------------

def ref_sgd(start, grads, lr=0.01, momentum=0.0, nesterov=False):
    out = []
    for index, w in enumerate(start):
        w, v = w.copy(), np.zeros_like(w)
        for step in grads:
            g = step[index]
            if momentum == 0:
                w = w - lr * g
                continue
            v = momentum * v - lr * g
            w = w + (momentum * v - lr * g if nesterov else v)
        out.append(w)
    return out


def ref_rmsprop(start, grads, lr=0.001, rho=0.9, momentum=0.0, eps=1e-7, centered=False):
    out = []
    for index, w in enumerate(start):
        w, ms, mg, mom = w.copy(), np.zeros_like(w), np.zeros_like(w), np.zeros_like(w)
        for step in grads:
            g = step[index]
            ms = rho * ms + (1 - rho) * g * g
            mg = rho * mg + (1 - rho) * g
            denominator = ms - mg * mg if centered else ms
            if momentum > 0:  # TF kernel: epsilon inside the square root
                mom = momentum * mom + lr * g / np.sqrt(denominator + eps)
                w = w - mom
            else:  # Keras Python path: epsilon outside
                w = w - lr * g / (np.sqrt(denominator) + eps)
        out.append(w)
    return out


def ref_adam(start, grads, lr=0.001, b1=0.9, b2=0.999, eps=1e-7, amsgrad=False):
    out = []
    for index, w in enumerate(start):
        w, m, v, vhat = w.copy(), np.zeros_like(w), np.zeros_like(w), np.zeros_like(w)
        for t, step in enumerate(grads, start=1):
            g = step[index]
            lr_t = lr * np.sqrt(1 - b2**t) / (1 - b1**t)
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g * g
            vhat = np.maximum(vhat, v)
            w = w - lr_t * m / (np.sqrt(vhat if amsgrad else v) + eps)
        out.append(w)
    return out


def ref_adagrad(start, grads, lr=0.001, initial=0.1, eps=1e-7):
    out = []
    for index, w in enumerate(start):
        w, acc = w.copy(), np.full_like(w, initial)
        for step in grads:
            g = step[index]
            acc = acc + g * g
            w = w - lr * g / (np.sqrt(acc) + eps)
        out.append(w)
    return out


def ref_adadelta(start, grads, lr=0.001, rho=0.95, eps=1e-7):
    out = []
    for index, w in enumerate(start):
        w, acc_g, acc_dx = w.copy(), np.zeros_like(w), np.zeros_like(w)
        for step in grads:
            g = step[index]
            acc_g = rho * acc_g + (1 - rho) * g * g
            update = np.sqrt(acc_dx + eps) / np.sqrt(acc_g + eps) * g
            w = w - lr * update
            acc_dx = rho * acc_dx + (1 - rho) * update * update
        out.append(w)
    return out


def ref_adamax(start, grads, lr=0.001, b1=0.9, b2=0.999, eps=1e-7):
    out = []
    for index, w in enumerate(start):
        w, m, u = w.copy(), np.zeros_like(w), np.zeros_like(w)
        for t, step in enumerate(grads, start=1):
            g = step[index]
            m = b1 * m + (1 - b1) * g
            u = np.maximum(b2 * u, np.abs(g))
            w = w - lr / (1 - b1**t) * m / (u + eps)
        out.append(w)
    return out


def ref_nadam(start, grads, lr=0.001, b1=0.9, b2=0.999, eps=1e-7, decay=0.004):
    out = []
    for index, w in enumerate(start):
        w, m, v, cache = w.copy(), np.zeros_like(w), np.zeros_like(w), 1.0
        for t, step in enumerate(grads, start=1):
            g = step[index]
            mu_t = b1 * (1 - 0.5 * 0.96 ** (decay * t))
            mu_next = b1 * (1 - 0.5 * 0.96 ** (decay * (t + 1)))
            cache = cache * mu_t
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g * g
            m_bar = (1 - mu_t) * g / (1 - cache) + mu_next * m / (1 - cache * mu_next)
            w = w - lr * m_bar / (np.sqrt(v / (1 - b2**t)) + eps)
        out.append(w)
    return out


CASES = [
    (lambda: SGD(), lambda s, g: ref_sgd(s, g)),
    (lambda: SGD(0.1, momentum=0.9), lambda s, g: ref_sgd(s, g, 0.1, 0.9)),
    (lambda: SGD(0.1, momentum=0.9, nesterov=True), lambda s, g: ref_sgd(s, g, 0.1, 0.9, True)),
    (lambda: RMSprop(), lambda s, g: ref_rmsprop(s, g)),
    (lambda: RMSprop(0.01, centered=True), lambda s, g: ref_rmsprop(s, g, 0.01, centered=True)),
    (lambda: RMSprop(0.01, momentum=0.5), lambda s, g: ref_rmsprop(s, g, 0.01, momentum=0.5)),
    (lambda: RMSprop(0.01, rho=0.8, momentum=0.5, centered=True),
     lambda s, g: ref_rmsprop(s, g, 0.01, 0.8, 0.5, centered=True)),
    (lambda: Adam(), lambda s, g: ref_adam(s, g)),
    (lambda: Adam(0.02, beta_1=0.5, beta_2=0.9, epsilon=1e-3), lambda s, g: ref_adam(s, g, 0.02, 0.5, 0.9, 1e-3)),
    (lambda: Adam(0.01, amsgrad=True), lambda s, g: ref_adam(s, g, 0.01, amsgrad=True)),
    (lambda: Adagrad(), lambda s, g: ref_adagrad(s, g)),
    (lambda: Adagrad(0.1, initial_accumulator_value=0.5), lambda s, g: ref_adagrad(s, g, 0.1, 0.5)),
    (lambda: Adadelta(), lambda s, g: ref_adadelta(s, g)),
    (lambda: Adadelta(learning_rate=1.0, rho=0.9), lambda s, g: ref_adadelta(s, g, 1.0, 0.9)),
    (lambda: Adamax(), lambda s, g: ref_adamax(s, g)),
    (lambda: Adamax(0.02, beta_1=0.8), lambda s, g: ref_adamax(s, g, 0.02, 0.8)),
    (lambda: Nadam(), lambda s, g: ref_nadam(s, g)),
    (lambda: Nadam(0.01, beta_2=0.99), lambda s, g: ref_nadam(s, g, 0.01, b2=0.99)),
]


@pytest.mark.parametrize("index", range(len(CASES)))
def test_three_updates_match_keras_formula(index, any_backend):
    make, reference = CASES[index]
    start, grads = _problem(seed=index)
    got = _run_minidl(make(), start, grads)
    for value, expected in zip(got, reference(start, grads)):
        assert value.dtype == np.float64
        np.testing.assert_allclose(value, expected, rtol=1e-12, atol=1e-14)


def test_iterations_count_applied_updates():
    start, grads = _problem()
    optimizer = Adam()
    _run_minidl(optimizer, start, grads)
    assert optimizer.iterations == 3


# -- clipping -------------------------------------------------------------------------------

def _clipped_then_sgd(start, grads, clip):
    return ref_sgd(start, [clip(step) for step in grads], lr=0.1)


def test_clipvalue_limits_each_element(any_backend):
    start, grads = _problem(seed=11)
    got = _run_minidl(SGD(0.1, clipvalue=0.5), start, grads)
    expected = _clipped_then_sgd(start, grads, lambda step: [np.clip(g, -0.5, 0.5) for g in step])
    for value, reference in zip(got, expected):
        np.testing.assert_allclose(value, reference, rtol=1e-12)


def test_clipnorm_rescales_each_gradient_separately(any_backend):
    start, grads = _problem(seed=12)

    def clip(step):  # tf.clip_by_norm
        return [g * 1.0 / max(np.sqrt(np.sum(g * g)), 1.0) for g in step]

    got = _run_minidl(SGD(0.1, clipnorm=1.0), start, grads)
    for value, reference in zip(got, _clipped_then_sgd(start, grads, clip)):
        np.testing.assert_allclose(value, reference, rtol=1e-12)


def test_global_clipnorm_scales_all_gradients_together(any_backend):
    start, grads = _problem(seed=13)

    def clip(step):  # tf.clip_by_global_norm: scale = c * min(1 / norm, 1 / c)
        norm = np.sqrt(sum(np.sum(g * g) for g in step))
        return [g * 1.5 * min(1 / norm, 1 / 1.5) for g in step]

    got = _run_minidl(SGD(0.1, global_clipnorm=1.5), start, grads)
    for value, reference in zip(got, _clipped_then_sgd(start, grads, clip)):
        np.testing.assert_allclose(value, reference, rtol=1e-12)


def test_clipping_leaves_the_gradient_array_untouched():
    weight = minidl.tensor(np.zeros(3))
    grad = np.array([3.0, -4.0, 0.0])
    SGD(0.1, clipnorm=1.0, clipvalue=2.0).apply_gradients([(grad, weight)])
    np.testing.assert_array_equal(grad, [3.0, -4.0, 0.0])


# -- learning-rate decay and schedules --------------------------------------------------------

def test_decay_is_keras_inverse_time_decay_of_the_step():
    start, grads = _problem(seed=3)
    got = _run_minidl(SGD(0.1, decay=0.5), start, grads)
    expected = [w.copy() for w in start]
    for t, step in enumerate(grads):
        lr = 0.1 / (1 + 0.5 * t)
        expected = [w - lr * g for w, g in zip(expected, step)]
    for value, reference in zip(got, expected):
        np.testing.assert_allclose(value, reference, rtol=1e-12)


@pytest.mark.parametrize("schedule, rates", [
    (schedules.ExponentialDecay(0.1, 2, 0.5), [0.1, 0.1 * 0.5**0.5, 0.05]),
    (schedules.ExponentialDecay(0.1, 2, 0.5, staircase=True), [0.1, 0.1, 0.05]),
    (schedules.InverseTimeDecay(0.1, 1, 1.0), [0.1, 0.05, 0.1 / 3]),
    (schedules.PiecewiseConstantDecay([0, 1], [0.3, 0.2, 0.1]), [0.3, 0.2, 0.1]),
    (schedules.PolynomialDecay(0.1, 2, 0.02), [0.1, 0.06, 0.02]),
    (schedules.LinearDecay(0.025, 4, 0.0001), [0.025, 0.025 - 0.0249 / 4, 0.025 - 0.0249 / 2]),
])
def test_schedules_set_the_rate_of_each_step(schedule, rates):
    start, grads = _problem(seed=4)
    got = _run_minidl(SGD(schedule), start, grads)
    expected = [w.copy() for w in start]
    for rate, step in zip(rates, grads):
        expected = [w - rate * g for w, g in zip(expected, step)]
    for value, reference in zip(got, expected):
        np.testing.assert_allclose(value, reference, rtol=1e-12)


def test_schedule_round_trips_through_the_optimizer_config():
    optimizer = Adam(schedules.ExponentialDecay(0.1, 10, 0.9, staircase=True))
    restored = optimizers.get(optimizers.serialize(optimizer))
    assert isinstance(restored.learning_rate, schedules.ExponentialDecay)
    assert restored.learning_rate(25) == optimizer.learning_rate(25)


# -- dtypes and the device ---------------------------------------------------------------------

@pytest.mark.parametrize("make", [c[0] for c in CASES])
def test_float32_weights_stay_float32(make, any_backend):
    weight = minidl.tensor(np.ones((2, 3), np.float32))
    slots_before = None
    optimizer = make()
    for _ in range(2):
        grad = backend.to_device(np.full((2, 3), 0.5, np.float32))
        optimizer.apply_gradients([(grad, weight)])
        slots_before = optimizer._slots_of(weight)
    assert weight.data.dtype == np.float32
    assert all(slot.dtype == np.float32 for slot in slots_before.values())


@pytest.mark.parametrize("index", range(len(CASES)))
def test_a_large_weights_update_split_over_the_cores_equals_the_whole_update(index, monkeypatch):
    """A weight of at least two ``UPDATE_RANGE_SIZE`` ranges is updated range by range on the
    CPU cores (here ranges of 4 elements of a (7, 5) weight, the last range short): the same
    bits as one update of the whole array."""
    import minidl.optimizers.fast_updates as optimizer_base

    make, _ = CASES[index]
    rng = np.random.default_rng(index)
    start = [rng.standard_normal((7, 5)), rng.standard_normal((2, 3))]
    grads = [[rng.standard_normal(value.shape) for value in start] for _ in range(3)]
    whole = _run_minidl(make(), start, grads)
    monkeypatch.setattr(optimizer_base, "UPDATE_RANGE_SIZE", 4)
    monkeypatch.setattr(optimizer_base, "SHARED_UPDATE_SIZE", 0)
    monkeypatch.setattr(optimizer_base, "map_chunks", _counting_map_chunks(optimizer_base.map_chunks))
    split = _run_minidl(make(), start, grads)
    for got, expected in zip(split, whole):
        np.testing.assert_array_equal(got, expected)
    # per step, one set of tasks on the cores: the (7, 5) weight in 9 ranges and the (2, 3) weight whole
    assert _counting_map_chunks.ranges == [10] * 3


@pytest.mark.parametrize("index", range(len(CASES)))
def test_a_weight_listed_twice_is_updated_twice_in_order(index, monkeypatch):
    """Updates of different weights run side by side; a weight given twice in one
    ``apply_gradients`` call gets its two updates one after the other, as the readable form does."""
    import minidl.optimizers.fast_updates as fast_updates

    monkeypatch.setattr(fast_updates, "SHARED_UPDATE_SIZE", 0)  # even this small weight would go to the cores
    make, _ = CASES[index]
    rng = np.random.default_rng(index)
    start = rng.standard_normal((4, 3))
    first, second = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    results = []
    for readable in (False, True):
        weight = minidl.tensor(backend.to_device(start.copy()))
        optimizer = make()
        with minidl.reference_ops() if readable else contextlib.nullcontext():
            optimizer.apply_gradients([(backend.to_device(first), weight), (backend.to_device(second), weight)])
        results.append(to_host(weight.data))
    np.testing.assert_array_equal(results[0], results[1])


def _counting_map_chunks(map_chunks):
    _counting_map_chunks.ranges = []

    def counting(work, chunks, *args):
        _counting_map_chunks.ranges.append(len(chunks))
        return map_chunks(work, chunks, *args)

    return counting


def test_update_is_in_place_on_the_weight_array():
    weight = minidl.tensor(np.ones(4))
    array = weight.data
    Adam(0.1).apply_gradients([(np.ones(4), weight)])
    assert weight.data is array
    assert np.all(array < 1)


# -- the PyTorch face and minimize -------------------------------------------------------------

def test_zero_grad_backward_step_trains_parameters(any_backend):
    w = minidl.tensor(np.array([1.0, -2.0]), requires_grad=True)
    optimizer = SGD([w], lr=0.1)
    for _ in range(2):
        optimizer.zero_grad()
        (w * w).sum().backward()
        optimizer.step()
    np.testing.assert_allclose(to_host(w.data), np.array([1.0, -2.0]) * 0.8**2)
    assert optimizer.iterations == 2


def test_pytorch_style_positional_learning_rate():
    w = minidl.tensor(np.zeros(2), requires_grad=True)
    optimizer = Adam([w], 0.05)
    assert optimizer.learning_rate == 0.05 and optimizer.params == [w]
    assert Adam(0.01).learning_rate == 0.01 and Adam(lr=0.02).learning_rate == 0.02


def test_minimize_differentiates_a_vector_loss_as_its_sum(any_backend):
    w = minidl.tensor(2.0)
    optimizer = SGD(0.1)
    optimizer.minimize(lambda: w * minidl.tensor([1.0, 2.0, 3.0]), [w])
    np.testing.assert_allclose(to_host(w.data), 2.0 - 0.1 * 6.0, rtol=1e-6)
    assert w.grad is None and not w.requires_grad


def test_step_without_gradients_is_an_error():
    w = minidl.tensor(np.zeros(2), requires_grad=True)
    with pytest.raises(ValueError, match="loss.backward"):
        SGD([w]).step()


def test_apply_gradients_skips_missing_gradients_with_a_warning():
    a, b = minidl.tensor(np.ones(2), name="a"), minidl.tensor(np.ones(2), name="b")
    with pytest.warns(UserWarning, match=r"\['b'\]"):
        SGD(0.5).apply_gradients([(np.ones(2), a), (None, b)])
    np.testing.assert_allclose(a.numpy(), [0.5, 0.5])
    np.testing.assert_allclose(b.numpy(), [1.0, 1.0])
    with pytest.raises(ValueError, match="no gradients provided"):
        SGD().apply_gradients([(None, b)])


def test_keras_positional_order_and_pytorch_order_both_bind():
    """Keras's Adam(0.0002, 0.5) (DCGAN's line: learning rate, beta_1) and PyTorch's
    Adam(params, 0.01); a user's subclass without ``params`` keeps its own order."""
    adam = Adam(0.0002, 0.5)
    assert (adam.learning_rate, adam.beta_1, adam.beta_2, adam.params) == (0.0002, 0.5, 0.999, None)
    assert (SGD(0.01, 0.9).momentum, RMSprop(0.001, 0.8).rho, Adadelta(1.0, 0.9).rho) == (0.9, 0.8, 0.9)
    weight = minidl.tensor(np.ones(2), requires_grad=True)
    torch_style = Adam([weight], 0.01, 0.5)
    assert torch_style.params == [weight] and (torch_style.learning_rate, torch_style.beta_1) == (0.01, 0.5)
    schedule = schedules.ExponentialDecay(0.1, 100, 0.9)
    assert Adam(schedule, 0.5).learning_rate is schedule

    class Custom(SGD):
        def __init__(self, learning_rate=0.05, momentum=0.5):
            super().__init__(learning_rate=learning_rate, momentum=momentum)

    assert (Custom(0.2).learning_rate, Custom(0.2, 0.7).momentum) == (0.2, 0.7)


def test_apply_gradients_refuses_swapped_pairs_and_op_results_before_touching_anything():
    """(weight, gradient) pairs, or an op's result as the weight, would train nothing, silently."""
    layer = minidl.layers.Dense(2)
    layer(np.ones((1, 3), np.float32))
    kernel = layer.kernel
    before = kernel.numpy().copy()
    optimizer = SGD(0.5)
    gradient = minidl.tensor(np.ones((3, 2), np.float32))
    with pytest.raises(TypeError, match=r"position 0 holds a variable \(.*kernel\) as its gradient"):
        optimizer.apply_gradients([(kernel, gradient)])
    with pytest.raises(TypeError, match=r"weight at position 1 is the result of an op"):
        optimizer.apply_gradients([(gradient, kernel), (np.ones((3, 2), np.float32), kernel * 2)])
    np.testing.assert_array_equal(kernel.numpy(), before)  # nothing updated, no slot made
    assert optimizer.iterations == 0 and not optimizer.get_state()["slots"]
    optimizer.apply_gradients([(gradient, kernel)])  # the right order still works
    np.testing.assert_allclose(kernel.numpy(), before - 0.5)


# -- state -------------------------------------------------------------------------------------

@pytest.mark.parametrize("make", [lambda: Adam(0.01, amsgrad=True), lambda: Nadam(), lambda: RMSprop(momentum=0.9)])
def test_state_resumes_training_exactly(make):
    start, grads = _problem(seed=7, steps=4)
    straight = _run_minidl(make(), start, grads)

    first = make()
    weights = [minidl.tensor(w.copy()) for w in start]
    for step in grads[:2]:
        first.apply_gradients(list(zip(step, weights)))
    state = first.get_state()
    assert state["iterations"] == 2
    assert all(len(arrays) == len(SHAPES) for arrays in state["slots"].values())
    second = make()
    second.set_state(state, weights)
    for step in grads[2:]:
        second.apply_gradients(list(zip(step, weights)))
    for value, expected in zip(weights, straight):
        np.testing.assert_array_equal(value.numpy(), expected)


def test_set_state_checks_shapes():
    w = minidl.tensor(np.zeros(3))
    state = {"iterations": 1, "slots": {"m": [np.zeros(2)], "v": [np.zeros(2)]}}
    with pytest.raises(ValueError, match="slot 'm'.*shape"):
        Adam().set_state(state, [w])


# -- resolution and bad input ---------------------------------------------------------------------

@pytest.mark.parametrize("name, cls, rate", [
    ("sgd", SGD, 0.01), ("RMSprop", RMSprop, 0.001), ("Adam", Adam, 0.001), ("adagrad", Adagrad, 0.001),
    ("adadelta", Adadelta, 0.001), ("adamax", Adamax, 0.001), ("nadam", Nadam, 0.001),
])
def test_get_by_name_gives_keras_defaults(name, cls, rate):
    optimizer = optimizers.get(name)
    assert type(optimizer) is cls and optimizer.learning_rate == rate
    copy = optimizers.get(optimizers.serialize(optimizer))
    assert type(copy) is cls and copy.get_config() == optimizer.get_config()
    assert optimizers.get(optimizer) is optimizer


def test_keras_default_hyper_parameters():
    assert (Adam().beta_1, Adam().beta_2, Adam().epsilon, Adam().amsgrad) == (0.9, 0.999, 1e-7, False)
    assert (RMSprop().rho, RMSprop().momentum, RMSprop().epsilon, RMSprop().centered) == (0.9, 0.0, 1e-7, False)
    assert (SGD().momentum, SGD().nesterov) == (0.0, False)
    assert Adagrad().initial_accumulator_value == 0.1 and Adadelta().rho == 0.95


def test_unknown_optimizer_name_lists_the_valid_ones():
    with pytest.raises(ValueError, match=r"unknown optimizer 'adamw'.*'adam'.*'sgd'"):
        optimizers.get("adamw")
    with pytest.raises(TypeError, match="could not interpret"):
        optimizers.get(3)


@pytest.mark.parametrize("kwargs, pattern", [
    ({"learning_rate": -0.1}, "learning_rate must be a finite number >= 0, got -0.1"),
    ({"learning_rate": float("inf")}, "learning_rate must be a finite number >= 0, got inf"),
    ({"learning_rate": float("nan")}, "learning_rate must be a finite number >= 0, got nan"),
    ({"epsilon": float("inf")}, "epsilon must be a finite number >= 0, got inf"),
    ({"clipnorm": 0}, "clipnorm must be > 0"),
    ({"clipnorm": -1.0}, "clipnorm must be > 0"),
    ({"clipvalue": 0}, "clipvalue must be > 0"),
    ({"global_clipnorm": -2}, "global_clipnorm must be > 0"),
    ({"clipnorm": 1.0, "global_clipnorm": 1.0}, "at most one of clipnorm"),
    ({"beta_1": 1.0}, r"beta_1 must be in \[0.0, 1.0\)"),
    ({"decay": -1}, "decay must be a finite number >= 0"),
])
def test_bad_arguments_name_the_argument(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        Adam(**kwargs)


def test_unexpected_argument_and_type_errors():
    with pytest.raises(TypeError, match=r"unexpected argument\(s\) \['momentm'\]"):
        SGD(momentm=0.9)
    with pytest.raises(TypeError, match="learning_rate must be a number"):
        SGD(learning_rate="fast")
    with pytest.raises(ValueError, match="momentum must be in"):
        SGD(momentum=1.5)
    optimizer = SGD()
    with pytest.raises(ValueError, match="learning_rate must be a finite number >= 0"):
        optimizer.learning_rate = -1
    with pytest.raises(ValueError, match="gradient for w has shape \\(3,\\) but the weight has shape \\(2,\\)"):
        optimizer.apply_gradients([(np.zeros(3), minidl.tensor(np.zeros(2), name="w"))])
    with pytest.raises(RuntimeError, match="created without parameters"):
        optimizer.step()


def test_minimize_rejects_non_leaf_variables():
    w = minidl.tensor(1.0, requires_grad=True)
    with pytest.raises(ValueError, match="leaf"):
        SGD().minimize(lambda: w * 2, [w * 3])


def test_state_of_an_unused_optimizer_restores_to_nothing():
    state = Adam().get_state()
    assert state == {"iterations": 0, "slots": {"m": [], "v": []}}
    optimizer = Adam()
    optimizer.set_state(state, [minidl.tensor(np.zeros(2))])
    assert optimizer.iterations == 0


def test_iterations_is_an_int_that_answers_numpy():
    """``optimizer.iterations.numpy()`` (the custom-training walkthrough): Keras keeps the step
    count in an int64 variable; minidl's is an int with ``.numpy()``."""
    import minidl.tf as tf

    optimizer = tf.keras.optimizers.SGD(learning_rate=0.1)
    weight = tf.Variable([1.0, 2.0])
    assert optimizer.iterations == 0 and optimizer.iterations.numpy().dtype == np.int64
    optimizer.apply_gradients([(tf.constant([1.0, 1.0]), weight)])
    assert optimizer.iterations.numpy() == 1 and int(optimizer.iterations) + 1 == 2
    optimizer.iterations = 5
    assert optimizer.iterations.numpy() == 5
