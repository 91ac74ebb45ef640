"""Keras's rules for what the compiled loss and metrics average over, checked against NumPy:

* a sequence output's padding mask (``mask_zero``, ``Masking``) leaves the padded steps out of
  the loss and of the averaged metrics (Keras turns it into weights of 0 and 1, the loss's
  rescaled so that its mean is over the real steps);
* ``metrics`` ignore the sample weights and ``class_weight``; ``weighted_metrics`` use them, a
  weighted twin of an unweighted metric logged as ``weighted_<name>``.
"""

import numpy as np
import pytest

import minidl
from minidl.layers import LSTM, Dense, Embedding, Input, TimeDistributed
from minidl.models import Sequential

IDS = np.array([[3, 4, 0, 0], [5, 0, 0, 0], [1, 2, 6, 0]])
TAGS = np.array([[1, 2, 0, 0], [1, 0, 0, 0], [2, 2, 1, 0]])


def _tagger():
    minidl.set_seed(0)
    model = Sequential([Input((4,), dtype="int32"), Embedding(8, 4, mask_zero=True), LSTM(5, return_sequences=True),
                        TimeDistributed(Dense(3, activation="softmax"))])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(1)
    model.set_weights([rng.standard_normal(w.shape).astype(np.float32) for w in model.get_weights()])
    return model


def _per_step(model):
    probabilities = model.predict(IDS, verbose=0).astype(np.float64)
    losses = -np.log(np.take_along_axis(probabilities, TAGS[..., None], axis=-1)[..., 0])
    correct = (probabilities.argmax(-1) == TAGS).astype(np.float64)
    return losses, correct, IDS > 0


def test_padded_steps_count_for_nothing_in_the_loss_and_accuracy():
    model = _tagger()
    losses, correct, real = _per_step(model)
    logs = model.evaluate(IDS, TAGS, verbose=0, return_dict=True)
    np.testing.assert_allclose(logs["loss"], (losses * real).sum() / real.sum(), rtol=1e-5)
    np.testing.assert_allclose(logs["accuracy"], (correct * real).sum() / real.sum(), rtol=1e-6)
    assert not np.isclose(logs["loss"], losses.mean(), rtol=1e-3)  # the unmasked mean is another number


def test_padded_steps_get_no_gradient():
    """Changing the target of a padded step changes neither the loss nor the update."""
    first, second = _tagger(), _tagger()
    other_tags = TAGS.copy()
    other_tags[IDS == 0] = 2
    first.train_on_batch(IDS, TAGS)
    second.train_on_batch(IDS, other_tags)
    for a, b in zip(first.get_weights(), second.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_sample_weights_and_the_mask_together():
    model = _tagger()
    losses, correct, real = _per_step(model)
    weights = np.array([1.0, 0.0, 3.0])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                  weighted_metrics=["accuracy"])
    logs = model.evaluate(IDS, TAGS, sample_weight=weights, verbose=0, return_dict=True)
    np.testing.assert_allclose(logs["loss"], (losses * real * weights[:, None]).sum() / real.sum(), rtol=1e-5)
    np.testing.assert_allclose(logs["accuracy"], (correct * real).sum() / real.sum(), rtol=1e-6)
    weighted_real = real * weights[:, None]
    np.testing.assert_allclose(logs["weighted_accuracy"], (correct * weighted_real).sum() / weighted_real.sum(),
                               rtol=1e-6)


@pytest.mark.parametrize("weighting", ["sample_weight", "class_weight"])
def test_plain_metrics_ignore_weights_and_weighted_metrics_use_them(weighting):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((40, 3)).astype(np.float32)
    y = (rng.random((40, 1)) > 0.5).astype(np.float32)
    model = Sequential([Input((3,)), Dense(1, activation="sigmoid")])
    model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["accuracy", "mae"],
                  weighted_metrics=["accuracy"])
    correct = ((model.predict(x, verbose=0) > 0.5) == y)[:, 0].astype(np.float64)
    if weighting == "sample_weight":
        weights = np.linspace(0, 2, 40)
        logs = model.evaluate(x, y, sample_weight=weights, verbose=0, return_dict=True)
    else:
        weights = np.where(y[:, 0] == 0, 10.0, 1.0)
        model.optimizer.learning_rate = 0.0  # fit's logs, with the weights unchanged
        logs = model.fit(x, y, class_weight={0: 10.0, 1: 1.0}, batch_size=40, epochs=1, verbose=0).history
        logs = {key: values[0] for key, values in logs.items()}
    assert sorted(logs) == ["accuracy", "loss", "mae", "weighted_accuracy"]
    np.testing.assert_allclose(logs["accuracy"], correct.mean(), rtol=1e-6)
    np.testing.assert_allclose(logs["weighted_accuracy"], (correct * weights).sum() / weights.sum(), rtol=1e-6)


def test_a_weighted_metric_alone_keeps_its_name():
    model = Sequential([Input((3,)), Dense(1, activation="sigmoid")])
    model.compile(optimizer="sgd", loss="binary_crossentropy", weighted_metrics=["accuracy"])
    logs = model.evaluate(np.ones((4, 3)), np.ones((4, 1)), sample_weight=np.arange(4.0), verbose=0,
                          return_dict=True)
    assert sorted(logs) == ["accuracy", "loss"]


def test_per_step_sample_weights_weigh_a_sequence_output_step_by_step():
    """Keras's (samples, steps) sample weights (Keras 2 asked for sample_weight_mode='temporal')."""
    model = _tagger()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", sample_weight_mode="temporal")
    losses, _, real = _per_step(model)
    weights = np.array([[1.0, 2.0, 0.0, 0.0], [0.5, 0.0, 0.0, 0.0], [1.0, 1.0, 3.0, 0.0]])
    loss = model.evaluate(IDS, TAGS, sample_weight=weights, verbose=0)
    np.testing.assert_allclose(loss, (losses * weights * real).sum() / real.sum(), rtol=1e-5)
    with pytest.raises(ValueError, match=r"sample_weight of shape \(3, 3\) does not match the per-sample losses"):
        model.evaluate(IDS, TAGS, sample_weight=weights[:, :3], verbose=0)
    with pytest.raises(ValueError, match="sample_weight_mode must be None or 'temporal'"):
        model.compile(optimizer="sgd", loss="mse", sample_weight_mode="steps")
