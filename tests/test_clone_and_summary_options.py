"""``keras.models.clone_model`` and ``summary(expand_nested=, show_trainable=, layer_range=)``."""

import numpy as np
import pytest

import minidl.keras as keras
from minidl.keras import layers


def _sequential():
    return keras.Sequential([keras.Input((4,)), layers.Dense(3, activation="relu"), layers.Dropout(0.2),
                             layers.Dense(1)])


def test_clone_of_a_sequential_has_the_architecture_and_fresh_weights():
    model = _sequential()
    clone = keras.models.clone_model(model)
    assert [type(layer) for layer in clone.layers] == [type(layer) for layer in model.layers]
    assert [w.shape for w in clone.get_weights()] == [w.shape for w in model.get_weights()]
    assert not np.array_equal(clone.get_weights()[0], model.get_weights()[0])  # newly initialised
    assert all(a is not b for a, b in zip(clone.layers, model.layers))
    clone.set_weights(model.get_weights())
    x = np.random.default_rng(0).standard_normal((5, 4)).astype("float32")
    np.testing.assert_array_equal(clone.predict(x, verbose=0), model.predict(x, verbose=0))


def test_clone_of_a_functional_graph_uses_the_clone_function():
    inputs = keras.Input((4,))
    hidden = layers.Dense(3, name="hidden")(inputs)
    outputs = layers.Dense(1, name="out")(layers.concatenate([hidden, inputs]))
    model = keras.Model(inputs, outputs)
    seen = []

    def clone_function(layer):
        seen.append(layer.name)
        return layer.__class__.from_config(layer.get_config())

    clone = keras.models.clone_model(model, clone_function=clone_function)
    assert "hidden" in seen and "out" in seen
    assert clone.count_params() == model.count_params()
    clone.set_weights(model.get_weights())
    x = np.ones((2, 4), "float32")
    np.testing.assert_array_equal(clone.predict(x, verbose=0), model.predict(x, verbose=0))


def test_clone_refuses_what_it_cannot_rebuild():
    class Subclassed(keras.Model):
        def call(self, x):
            return x

    with pytest.raises(ValueError, match=r"clone_model: expected a Sequential or functional model, got Subclassed"):
        keras.models.clone_model(Subclassed())
    with pytest.raises(ValueError, match=r"clone_model: input_tensors is not supported"):
        keras.models.clone_model(_sequential(), input_tensors=[keras.Input((4,))])
    with pytest.raises(TypeError, match=r"clone_function must be a callable"):
        keras.models.clone_model(_sequential(), clone_function=3)


def _nested():
    inner = keras.Sequential([keras.Input((4,)), layers.Dense(3), layers.Dense(2)], name="inner")
    inner.layers[0].trainable = False
    return keras.Sequential([keras.Input((4,)), inner, layers.Dense(1, name="head")])


def test_summary_expands_nested_models_and_shows_trainable():
    lines = []
    _nested().summary(expand_nested=True, show_trainable=True, print_fn=lines.append)
    text = "\n".join(lines)
    assert "Trainable" in lines[2]
    inner_rows = [line for line in lines if line.startswith("| ")]
    assert len(inner_rows) == 2
    assert inner_rows[0].split()[-1] == "N" and inner_rows[1].split()[-1] == "Y"
    assert "Total params: 26" in text and "Trainable params: 11" in text
    plain = []
    _nested().summary(print_fn=plain.append)
    assert not any(line.startswith("| ") for line in plain) and "Trainable" not in plain[2]


def test_summary_layer_range_prints_the_rows_between_two_name_patterns():
    lines = []
    _nested().summary(layer_range=["head", "head"], print_fn=lines.append)
    rows = [line for line in lines if "(" in line and "Model:" not in line and "Layer (type)" not in line]
    assert [row.split()[0] for row in rows] == ["head"]
    with pytest.raises(ValueError, match=r"summary: layer_range must be a list of two strings"):
        _nested().summary(layer_range="head")
    with pytest.raises(ValueError, match=r"summary: layer_range \['nothing', 'head'\] matches no range"):
        _nested().summary(layer_range=["nothing", "head"])
