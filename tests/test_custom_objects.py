"""Custom objects (``minidl.custom_objects``) and Keras 3's object serialization
(``minidl.models.serialization``): user functions and classes known by name when a model or a
config is rebuilt, through ``register_keras_serializable``, ``custom_objects=`` and
``custom_object_scope``, as in keras.io's serialization guide."""

import json
import zipfile

import numpy as np
import pytest

import minidl.keras as keras
import minidl.tf as tf
from minidl import custom_objects


@pytest.fixture(autouse=True)
def restored_registry():
    """Each test registers its own objects; the process-wide registry is put back afterwards."""
    saved = dict(custom_objects.get_custom_objects())
    yield
    custom_objects.get_custom_objects().clear()
    custom_objects.get_custom_objects().update(saved)


def _squared(x):
    return x**2


def _model_with_activation(activation):
    inputs = keras.Input(shape=(3,))
    outputs = keras.layers.Dense(2, activation=activation)(inputs)
    return keras.Model(inputs, outputs)


def test_a_registered_function_activation_is_saved_under_its_registered_name_and_loads_back(tmp_path):
    custom_fn = keras.saving.register_keras_serializable(package="my_package", name="custom_fn")(_squared)
    model = _model_with_activation(custom_fn)
    assert model.layers[1].get_config()["activation"] == "my_package>custom_fn"
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as archive:
        written = json.loads(archive.read("config.json"))["config"]["layers"][1]["config"]["activation"]
    assert written == {"module": "builtins", "class_name": "function", "config": "my_package>custom_fn",
                       "registered_name": "function"}  # as Keras 3 writes it
    x = np.random.default_rng(0).random((4, 3)).astype("float32")
    restored = keras.models.load_model(tmp_path / "m.keras")
    assert restored.layers[1].activation is custom_fn
    np.testing.assert_allclose(restored.predict(x, verbose=0), model.predict(x, verbose=0))


@pytest.mark.parametrize("how", ["custom_objects", "scope"])
def test_an_unregistered_function_activation_loads_with_custom_objects_or_a_scope(tmp_path, how):
    model = _model_with_activation(_squared)
    model.save(tmp_path / "m.keras")
    with pytest.raises(Exception, match="_squared"):
        keras.models.load_model(tmp_path / "m.keras")
    if how == "custom_objects":
        restored = keras.models.load_model(tmp_path / "m.keras", custom_objects={"_squared": _squared})
    else:
        with keras.saving.custom_object_scope({"_squared": _squared}):
            restored = keras.models.load_model(tmp_path / "m.keras")
    assert restored.layers[1].activation is _squared
    with pytest.raises(ValueError, match="unknown activation '_squared'.*register_keras_serializable"):
        keras.layers.Dense(2, activation="_squared")  # the scope is closed again


def test_a_registered_name_loads_with_the_plain_name_in_custom_objects():
    found = custom_objects.get_registered_object("my_package>custom_fn", {"custom_fn": _squared})
    assert found is _squared


def test_serialize_keras_object_writes_keras_3_forms_and_reads_them_back():
    config = keras.saving.serialize_keras_object(keras.regularizers.L1(0.005))
    assert config["module"] == "keras.regularizers" and config["class_name"] == "L1" and config["registered_name"] is None
    restored = keras.saving.deserialize_keras_object(config)
    assert isinstance(restored, keras.regularizers.L1) and np.isclose(restored.l1, 0.005)
    assert keras.saving.serialize_keras_object([1, "relu", {"a": None}]) == [1, "relu", {"a": None}]
    function = keras.saving.serialize_keras_object(_squared)
    assert function["class_name"] == "function" and function["config"] == "_squared"
    assert keras.saving.deserialize_keras_object(function, custom_objects={"_squared": _squared}) is _squared
    dense = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(keras.layers.Dense(3)))
    assert isinstance(dense, keras.layers.Dense) and dense.units == 3


class _Scaled(keras.layers.Layer):
    """A user layer whose config holds a regularizer and another layer (keras.io's MyDense)."""

    def __init__(self, units, *, kernel_regularizer=None, inner=None, **kwargs):
        super().__init__(**kwargs)
        self.units, self.kernel_regularizer, self.inner = units, kernel_regularizer, inner

    def get_config(self):
        return {**super().get_config(), "units": self.units, "kernel_regularizer": self.kernel_regularizer,
                "inner": self.inner}

    def build(self, input_shape):
        self.kernel = self.add_weight(name="kernel", shape=(input_shape[-1], self.units),
                                      regularizer=self.kernel_regularizer)

    def call(self, inputs):
        return keras.ops.matmul(inputs, self.kernel)


def test_layers_serialize_a_user_layer_with_objects_in_its_config_as_keras_3_does():
    keras.saving.register_keras_serializable(package="MyLayers", name="KernelMult")(_Scaled)
    inner = _Scaled(4, kernel_regularizer=keras.regularizers.L1L2(l1=1e-5, l2=1e-4))
    config = keras.layers.serialize(_Scaled(8, inner=inner))
    assert config["module"] is None and config["class_name"] == "_Scaled"
    assert config["registered_name"] == "MyLayers>KernelMult"
    nested = config["config"]["inner"]
    assert nested["registered_name"] == "MyLayers>KernelMult"
    assert nested["config"]["kernel_regularizer"]["class_name"] == "L1L2"
    json.dumps(config)  # plain JSON all the way down
    rebuilt = keras.layers.deserialize(config)
    assert type(rebuilt) is _Scaled and rebuilt.units == 8
    assert isinstance(rebuilt.inner, dict)  # as Keras: from_config hands inner configs over as they are


class _Wrapper(keras.layers.Layer):
    """A user layer that deserializes its sublayer in from_config (keras.io's CustomModel)."""

    def __init__(self, first_layer, **kwargs):
        super().__init__(**kwargs)
        self.first_layer = first_layer

    def get_config(self):
        return {**super().get_config(), "first_layer": self.first_layer}

    @classmethod
    def from_config(cls, config):
        config["first_layer"] = keras.layers.deserialize(config["first_layer"])
        return cls(**config)

    def call(self, inputs):
        return self.first_layer(inputs)


def test_a_functional_model_holding_a_layer_with_a_sublayer_in_its_config_is_rebuilt_from_config():
    inputs = keras.Input((5,))
    model = keras.Model(inputs, _Wrapper(first_layer=keras.layers.Dense(3))(inputs))
    rebuilt = keras.Model.from_config(model.get_config())
    assert type(rebuilt.layers[1].first_layer) is keras.layers.Dense
    assert rebuilt.predict(np.ones((2, 5)), verbose=0).shape == (2, 3)
    json.dumps(model.get_config())


def test_a_registered_class_wins_over_another_class_of_the_same_name():
    first = type("Twin", (keras.layers.Layer,), {"call": lambda self, x: x})
    second = type("Twin", (keras.layers.Layer,), {"call": lambda self, x: x * 2})
    spec = {"class_name": "Twin", "config": {"name": "twin"}, "registered_name": "Mine>Twin"}
    with pytest.raises(ValueError, match="ambiguous"):  # a guide that redefines a class, unregistered
        keras.layers.deserialize(spec)
    keras.saving.register_keras_serializable(package="Mine")(second)
    assert type(keras.layers.deserialize(spec)) is second
    assert type(keras.layers.deserialize({**spec, "registered_name": None}, custom_objects={"Twin": first})) is first


def test_clearing_the_registry_forgets_registered_objects():
    keras.saving.register_keras_serializable(package="p")(_squared)
    assert keras.saving.get_registered_name(_squared) == "p>_squared"
    keras.saving.get_custom_objects().clear()
    assert keras.saving.get_registered_name(_squared) == "_squared"
    assert keras.saving.get_registered_object("p>_squared") is None


def test_a_model_compiled_with_a_custom_loss_and_metric_function_loads_with_custom_objects(tmp_path):
    def half_squared_error(y_true, y_pred):
        return keras.ops.mean((y_true - y_pred) ** 2, axis=-1) / 2

    def max_error(y_true, y_pred):
        return keras.ops.max(keras.ops.abs(y_true - y_pred), axis=-1)

    model = _model_with_activation("linear")
    model.compile(optimizer="adam", loss=half_squared_error, metrics=[max_error])
    x, y = np.ones((4, 3), "float32"), np.zeros((4, 2), "float32")
    model.fit(x, y, epochs=1, verbose=0)
    model.save(tmp_path / "m.keras")
    restored = keras.models.load_model(
        tmp_path / "m.keras", custom_objects={"half_squared_error": half_squared_error, "max_error": max_error})
    np.testing.assert_allclose(restored.evaluate(x, y, verbose=0), model.evaluate(x, y, verbose=0), rtol=1e-6)


def test_compile_finds_a_registered_loss_by_name():
    keras.saving.register_keras_serializable(package="losses")(_squared_difference)
    model = _model_with_activation("linear")
    model.compile(optimizer="sgd", loss="_squared_difference")
    assert np.isfinite(model.evaluate(np.ones((2, 3)), np.zeros((2, 2)), verbose=0))
    with pytest.raises(ValueError, match="unknown loss 'nowhere'.*register_keras_serializable"):
        model.compile(optimizer="sgd", loss="nowhere")


def _squared_difference(y_true, y_pred):
    return keras.ops.mean((y_true - y_pred) ** 2, axis=-1)


class _ScaledSquaredError(keras.losses.Loss):
    def __init__(self, scale=2.0, name="scaled_squared_error", **kwargs):
        super().__init__(name=name, **kwargs)
        self.scale = scale

    def call(self, y_true, y_pred):
        return self.scale * keras.ops.mean(keras.ops.square(y_true - y_pred), axis=-1)

    def get_config(self):
        return {**super().get_config(), "scale": self.scale}


@pytest.mark.parametrize("suffix", [".keras", ".h5", ".npz"])
def test_a_registered_loss_class_and_metric_function_are_saved_with_their_config_and_load_alone(tmp_path, suffix):
    keras.saving.register_keras_serializable(package="mine")(_ScaledSquaredError)
    keras.saving.register_keras_serializable(package="mine")(_squared_difference)
    model = _model_with_activation("linear")
    model.compile(optimizer="adam", loss=_ScaledSquaredError(3.0), metrics=[_squared_difference])
    x, y = np.ones((4, 3), "float32"), np.zeros((4, 2), "float32")
    model.fit(x, y, epochs=1, verbose=0)
    model.save(tmp_path / f"m{suffix}")
    restored = keras.models.load_model(tmp_path / f"m{suffix}")
    loss = restored._compiled.identifiers["loss"]
    assert type(loss) is _ScaledSquaredError and loss.scale == 3.0
    np.testing.assert_allclose(restored.evaluate(x, y, verbose=0), model.evaluate(x, y, verbose=0), rtol=1e-6)
    if suffix == ".keras":
        with zipfile.ZipFile(tmp_path / "m.keras") as archive:
            written = json.loads(archive.read("config.json"))["compile_config"]["loss"]
        assert written["registered_name"] == "mine>_ScaledSquaredError" and written["module"] is None
        assert written["config"]["reduction"] == "sum_over_batch_size"  # Keras 3's spelling


class _Stack(keras.Model):
    """keras.io's subclassed CustomModel: layers in a list attribute, get_config/from_config."""

    def __init__(self, hidden_units, **kwargs):
        super().__init__(**kwargs)
        self.hidden_units = hidden_units
        self.dense_layers = [keras.layers.Dense(u) for u in hidden_units]

    def call(self, inputs):
        for layer in self.dense_layers:
            inputs = layer(inputs)
        return inputs

    def get_config(self):
        return {"hidden_units": self.hidden_units}


class _NoConfig(keras.Model):
    def __init__(self):
        super().__init__()
        self.dense = keras.layers.Dense(2)

    def call(self, inputs):
        return self.dense(inputs)


@pytest.mark.parametrize("name", ["m.keras", "folder"])
def test_a_subclassed_model_with_get_config_is_saved_built_and_loads_with_its_weights(tmp_path, name):
    model = _Stack([4, 3])
    x = np.random.default_rng(0).random((2, 5)).astype("float32")
    expected = model(x)
    model.save(tmp_path / name)
    restored = keras.models.load_model(tmp_path / name, custom_objects={"_Stack": _Stack})
    assert type(restored) is _Stack and restored.hidden_units == [4, 3]
    np.testing.assert_allclose(restored(x), expected, rtol=1e-6)


class _Scale(keras.layers.Layer):
    """A user's layer without get_config: Keras 3 records its constructor arguments."""

    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, inputs):
        return inputs * self.factor


class _Units(keras.Model):
    def __init__(self, units=3, **kwargs):
        super().__init__(**kwargs)
        self.dense = keras.layers.Dense(units)

    def call(self, inputs):
        return self.dense(inputs)


class _Wraps(keras.layers.Layer):
    def __init__(self, inner, **kwargs):
        super().__init__(**kwargs)
        self.inner = inner

    def call(self, inputs):
        return self.inner(inputs)


@pytest.mark.parametrize("name", ["m.keras", "m.h5"])
def test_classes_without_get_config_save_the_arguments_they_were_made_with(tmp_path, name):
    """Scale(10.0) must come back as Scale(10.0), not Scale() (it did, silently); a subclassed
    model without get_config saves its arguments too, and one without any (_NoConfig) loads."""
    inputs = keras.Input((2,))
    functional = keras.Model(inputs, _Scale(10.0)(inputs))
    functional.save(tmp_path / name)
    restored = keras.models.load_model(tmp_path / name, custom_objects={"_Scale": _Scale})
    np.testing.assert_array_equal(restored.predict(np.ones((1, 2)), verbose=0), [[10.0, 10.0]])
    for model, x in ((_Units(4), np.ones((2, 5), "float32")), (_NoConfig(), np.ones((1, 3), "float32"))):
        expected = model(x)
        if name.endswith(".h5"):  # Keras writes no subclassed model whole to HDF5 either
            with pytest.raises(ValueError, match=r"a subclassed model cannot be saved whole as HDF5"):
                model.save(tmp_path / f"sub_{name}")
            continue
        model.save(tmp_path / f"sub_{name}")
        loaded = keras.models.load_model(tmp_path / f"sub_{name}", custom_objects={"_Units": _Units, "_NoConfig": _NoConfig})
        assert type(loaded) is type(model)
        np.testing.assert_allclose(loaded(x), expected, rtol=1e-6)


def test_arguments_that_are_not_plain_values_ask_for_get_config(tmp_path):
    inputs = keras.Input((3,))
    model = keras.Model(inputs, _Wraps(keras.layers.Dense(2))(inputs))
    with pytest.raises(ValueError, match=r"_Wraps: the constructor argument\(s\) \['inner'\] are not plain values.*"
                                         r"give the class a get_config\(\)"):
        model.save(tmp_path / "m.keras")


def test_a_class_saved_unregistered_is_not_mistaken_for_a_registered_one_of_the_same_name():
    registered = type("Namesake", (keras.layers.Layer,), {"call": lambda self, x: x})
    keras.saving.register_keras_serializable(package="Pkg")(registered)
    plain = type("Namesake", (keras.layers.Layer,), {"call": lambda self, x: x * 2})
    assert keras.saving.get_registered_object("Namesake") is None  # classes: exact names only
    spec = {"class_name": "Namesake", "config": {"name": "n"}, "registered_name": "Namesake"}
    assert type(keras.layers.deserialize(spec)) is plain
    assert type(keras.layers.deserialize({**spec, "registered_name": "Pkg>Namesake"})) is registered


def test_a_user_class_failing_while_a_model_is_rebuilt_is_reported_as_such_not_as_a_corrupt_file(tmp_path):
    model = _Stack([2])
    model(np.ones((1, 3), "float32"))
    model.save(tmp_path / "m.keras")

    class _Broken(_Stack):
        def __init__(self, hidden_units, **kwargs):
            raise NameError("name 'helper' is not defined")

    with pytest.raises(Exception, match=r"configuration cannot be rebuilt: NameError: name 'helper'") as caught:
        keras.models.load_model(tmp_path / "m.keras", custom_objects={"_Stack": _Broken})
    assert "corrupt" not in str(caught.value)


class _WithExtraState(keras.layers.Dense):
    """keras.io's LayerWithCustomVariables: an extra variable saved through the store hooks."""

    def __init__(self, units, **kwargs):
        super().__init__(units, **kwargs)
        self.stored_variables = tf.Variable(np.random.default_rng(1).random((3,)), dtype=tf.float32)

    def save_own_variables(self, store):
        super().save_own_variables(store)
        store["variables"] = self.stored_variables.numpy()

    def load_own_variables(self, store):
        self.stored_variables.assign(store["variables"])
        for i, v in enumerate(self.weights):
            v.assign(store[f"{i}"])

    def call(self, inputs):
        return super().call(inputs) * self.stored_variables


@pytest.mark.parametrize("how", ["model", "weights"])
def test_save_own_variables_and_load_own_variables_decide_what_a_layer_stores(tmp_path, how):
    model = keras.Sequential([keras.Input((4,)), _WithExtraState(3)])
    x = np.random.default_rng(0).random((2, 4)).astype("float32")
    expected = model.predict(x, verbose=0)
    if how == "model":
        model.save(tmp_path / "m.keras")
        restored = keras.models.load_model(tmp_path / "m.keras", custom_objects={"_WithExtraState": _WithExtraState})
    else:
        model.save_weights(tmp_path / "m.weights.h5")
        restored = keras.Sequential([keras.Input((4,)), _WithExtraState(3)])
        restored.load_weights(tmp_path / "m.weights.h5")
    np.testing.assert_array_equal(restored.layers[0].stored_variables.numpy(), model.layers[0].stored_variables.numpy())
    np.testing.assert_allclose(restored.predict(x, verbose=0), expected, rtol=1e-6)


class _BuiltWith(keras.layers.Layer):
    """keras.io's LayerWithCustomBuild: build takes an extra argument, kept in the build config."""

    def __init__(self, units=2, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape, layer_init):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer=layer_init)
        self.layer_init = layer_init

    def get_config(self):
        return {**super().get_config(), "units": self.units}

    def get_build_config(self):
        return {**super().get_build_config(), "layer_init": self.layer_init}

    def build_from_config(self, config):
        self.build(config["input_shape"], config["layer_init"])

    def call(self, inputs):
        return keras.ops.matmul(inputs, self.w)


def test_a_layer_built_by_hand_is_built_and_its_build_config_rebuilds_it_on_loading(tmp_path):
    layer = _BuiltWith(units=2)
    layer.build(input_shape=(3,), layer_init="ones")
    assert layer.built
    model = keras.Sequential([layer, keras.layers.Dense(1)])
    x = np.random.default_rng(0).random((4, 3))  # float64: cast to the layer's float32, as Keras does
    expected = model(x)
    assert expected.dtype == np.float32
    assert layer.get_build_config() == {"input_shape": [None, 3], "layer_init": "ones"}
    model.save(tmp_path / "m.keras")
    restored = keras.models.load_model(tmp_path / "m.keras", custom_objects={"_BuiltWith": _BuiltWith})
    assert restored.layers[0].layer_init == "ones" and restored.built
    np.testing.assert_allclose(restored(x), expected, rtol=1e-6)


def test_a_layer_with_keras_asset_hooks_is_refused_when_saved_rather_than_saved_without_its_state(tmp_path):
    class _WithAssets(keras.layers.Dense):
        def save_assets(self, inner_path):
            pass

        def load_assets(self, inner_path):
            pass

    model = keras.Sequential([keras.Input((2,)), _WithAssets(1)])
    with pytest.raises(NotImplementedError, match=r"defines save_assets and load_assets.*save_own_variables"):
        model.save(tmp_path / "m.keras")
    assert not (tmp_path / "m.keras").exists()
