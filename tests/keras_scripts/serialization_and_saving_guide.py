"""Saving, serializing and reloading models and custom objects, after the keras-io guide
"Save, serialize, and export models" (guides/serialization_and_saving.py, Neel Kovelamudi and
fchollet, Keras 3 edition), then parts of its TF 2 edition. Reduced rewrite: beyond the
imports, the export section (TF SavedModel artifacts) and ``tf.saved_model.load`` are left out;
the TF 2 edition's loading of a subclassed model *without* its class (SavedModel's traced
graphs) checks the clear error instead; asserts check what the guide prints.

Patterns: ``model.save("x.keras")`` + ``keras.models.load_model``; ``keras.saving.
get_custom_objects().clear()``; ``@keras.saving.register_keras_serializable(package=...,
name=...)`` on a layer class and on a function used as an activation; ``load_model(...,
custom_objects={...})`` and ``keras.saving.custom_object_scope``; ``keras.models.
clone_model``; ``Dense.from_config(layer.get_config())``, ``Sequential.from_config`` /
``Model.from_config``; ``to_json`` + ``keras.models.model_from_json``;
``keras.saving.serialize_keras_object`` / ``deserialize_keras_object`` on a regularizer;
``get_weights`` / ``set_weights`` between layers, between a functional and a subclassed model,
and across a weightless Dropout; ``v.numpy()`` of ``model.weights``; ``save_weights`` /
``load_weights`` with ``.weights.h5``; variable order after freezing a nested layer;
``keras.Sequential(pretrained.layers[:-1] + [new head])`` (its InputLayer first); a custom
layer whose config holds a regularizer, an initializer and another custom layer, through
``keras.layers.serialize`` / ``deserialize``; and a layer whose ``from_config`` deserializes
its sublayers, inside a functional model rebuilt with ``Model.from_config``. TF 2 edition: a
subclassed model with ``get_config`` / ``from_config`` saved to a folder (``save("my_model")``)
and loaded with ``custom_objects``; ``np.testing.assert_allclose`` on model outputs;
``keras.utils.custom_object_scope`` around ``Model.from_config`` and ``clone_model`` of a model
with a custom layer and an ``Activation(custom_function)``; ``.h5`` with ``custom_objects``.
"""

import numpy as np

import minidl.keras as keras
from minidl.keras import ops


def get_model():
    # Create a simple model.
    inputs = keras.Input(shape=(32,))
    outputs = keras.layers.Dense(1)(inputs)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(), loss="mean_squared_error")
    return model


model = get_model()

# Train the model.
test_input = np.random.random((128, 32))
test_target = np.random.random((128, 1))
model.fit(test_input, test_target)

# Calling `save('my_model.keras')` creates a zip archive `my_model.keras`.
model.save("my_model.keras")

# It can be used to reconstruct the model identically.
reconstructed_model = keras.models.load_model("my_model.keras")

# Let's check:
np.testing.assert_allclose(model.predict(test_input), reconstructed_model.predict(test_input))

# Clear all previously registered custom objects
keras.saving.get_custom_objects().clear()


# Upon registration, you can optionally specify a package or a name.
# If left blank, the package defaults to `Custom` and the name defaults to
# the class name.
@keras.saving.register_keras_serializable(package="MyLayers")
class CustomLayer(keras.layers.Layer):
    def __init__(self, factor):
        super().__init__()
        self.factor = factor

    def call(self, x):
        return x * self.factor

    def get_config(self):
        return {"factor": self.factor}


@keras.saving.register_keras_serializable(package="my_package", name="custom_fn")
def custom_fn(x):
    return x**2


# Create the model.
def get_model():
    inputs = keras.Input(shape=(4,))
    mid = CustomLayer(0.5)(inputs)
    outputs = keras.layers.Dense(1, activation=custom_fn)(mid)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="rmsprop", loss="mean_squared_error")
    return model


# Train the model.
def train_model(model):
    input = np.random.random((4, 4))
    target = np.random.random((4, 1))
    model.fit(input, target)
    return model


test_input = np.random.random((4, 4))
test_target = np.random.random((4, 1))

model = get_model()
model = train_model(model)
model.save("custom_model.keras")

# Now, we can simply load without worrying about our custom objects.
reconstructed_model = keras.models.load_model("custom_model.keras")

# Let's check:
np.testing.assert_allclose(model.predict(test_input), reconstructed_model.predict(test_input))
assert type(reconstructed_model.layers[1]) is CustomLayer and reconstructed_model.layers[1].factor == 0.5

# Passing custom objects to `load_model()`.
model = get_model()
model = train_model(model)

# Calling `save('my_model.keras')` creates a zip archive `my_model.keras`.
model.save("custom_model.keras")

# Upon loading, pass a dict containing the custom objects used in the
# `custom_objects` argument of `keras.models.load_model()`.
reconstructed_model = keras.models.load_model(
    "custom_model.keras",
    custom_objects={"CustomLayer": CustomLayer, "custom_fn": custom_fn},
)

# Let's check:
np.testing.assert_allclose(model.predict(test_input), reconstructed_model.predict(test_input))

# Using a custom object scope.
model = get_model()
model = train_model(model)
model.save("custom_model.keras")

# Pass the custom objects dictionary to a custom object scope and place
# the `keras.models.load_model()` call within the scope.
custom_objects = {"CustomLayer": CustomLayer, "custom_fn": custom_fn}

with keras.saving.custom_object_scope(custom_objects):
    reconstructed_model = keras.models.load_model("custom_model.keras")

# Let's check:
np.testing.assert_allclose(model.predict(test_input), reconstructed_model.predict(test_input))

# In-memory model cloning.
new_model = keras.models.clone_model(model)
assert [type(layer) for layer in new_model.layers] == [type(layer) for layer in model.layers]
assert new_model.layers[1] is not model.layers[1]

# get_config() and from_config().
layer = keras.layers.Dense(3, activation="relu")
layer_config = layer.get_config()
print(layer_config)
assert layer_config["units"] == 3 and layer_config["activation"] == "relu", layer_config

new_layer = keras.layers.Dense.from_config(layer_config)
assert new_layer.units == 3

model = keras.Sequential([keras.Input((32,)), keras.layers.Dense(1)])
config = model.get_config()
new_model = keras.Sequential.from_config(config)
assert new_model.predict(np.ones((2, 32)), verbose=0).shape == (2, 1)

inputs = keras.Input((32,))
outputs = keras.layers.Dense(1)(inputs)
model = keras.Model(inputs, outputs)
config = model.get_config()
new_model = keras.Model.from_config(config)
assert new_model.predict(np.ones((2, 32)), verbose=0).shape == (2, 1)

# to_json() and keras.models.model_from_json().
model = keras.Sequential([keras.Input((32,)), keras.layers.Dense(1)])
json_config = model.to_json()
new_model = keras.models.model_from_json(json_config)
assert new_model.predict(np.ones((2, 32)), verbose=0).shape == (2, 1)

# Arbitrary object serialization and deserialization.
my_reg = keras.regularizers.L1(0.005)
config = keras.saving.serialize_keras_object(my_reg)
print(config)
assert config["class_name"] == "L1" and np.isclose(config["config"]["l1"], 0.005), config

new_reg = keras.saving.deserialize_keras_object(config)
assert isinstance(new_reg, keras.regularizers.L1) and np.isclose(new_reg.l1, 0.005)


# APIs for in-memory weight transfer.
def create_layer():
    layer = keras.layers.Dense(64, activation="relu", name="dense_2")
    layer.build((None, 784))
    return layer


layer_1 = create_layer()
layer_2 = create_layer()

# Copy weights from layer 1 to layer 2
layer_2.set_weights(layer_1.get_weights())
np.testing.assert_array_equal(layer_2.get_weights()[0], layer_1.get_weights()[0])

# Create a simple functional model
inputs = keras.Input(shape=(784,), name="digits")
x = keras.layers.Dense(64, activation="relu", name="dense_1")(inputs)
x = keras.layers.Dense(64, activation="relu", name="dense_2")(x)
outputs = keras.layers.Dense(10, name="predictions")(x)
functional_model = keras.Model(inputs=inputs, outputs=outputs, name="3_layer_mlp")


# Define a subclassed model with the same architecture
class SubclassedModel(keras.Model):
    def __init__(self, output_dim, name=None):
        super().__init__(name=name)
        self.output_dim = output_dim
        self.dense_1 = keras.layers.Dense(64, activation="relu", name="dense_1")
        self.dense_2 = keras.layers.Dense(64, activation="relu", name="dense_2")
        self.dense_3 = keras.layers.Dense(output_dim, name="predictions")

    def call(self, inputs):
        x = self.dense_1(inputs)
        x = self.dense_2(x)
        x = self.dense_3(x)
        return x

    def get_config(self):
        return {"output_dim": self.output_dim, "name": self.name}


subclassed_model = SubclassedModel(10)
# Call the subclassed model once to create the weights.
subclassed_model(np.ones((1, 784)))

# Copy weights from functional_model to subclassed_model.
subclassed_model.set_weights(functional_model.get_weights())

assert len(functional_model.weights) == len(subclassed_model.weights)
for a, b in zip(functional_model.weights, subclassed_model.weights):
    np.testing.assert_allclose(a.numpy(), b.numpy())

# The case of stateless layers.
inputs = keras.Input(shape=(784,), name="digits")
x = keras.layers.Dense(64, activation="relu", name="dense_1")(inputs)
x = keras.layers.Dense(64, activation="relu", name="dense_2")(x)
outputs = keras.layers.Dense(10, name="predictions")(x)
functional_model = keras.Model(inputs=inputs, outputs=outputs, name="3_layer_mlp")

inputs = keras.Input(shape=(784,), name="digits")
x = keras.layers.Dense(64, activation="relu", name="dense_1")(inputs)
x = keras.layers.Dense(64, activation="relu", name="dense_2")(x)

# Add a dropout layer, which does not contain any weights.
x = keras.layers.Dropout(0.5)(x)
outputs = keras.layers.Dense(10, name="predictions")(x)
functional_model_with_dropout = keras.Model(inputs=inputs, outputs=outputs, name="3_layer_mlp")

functional_model_with_dropout.set_weights(functional_model.get_weights())
digits = np.random.random((3, 784))
np.testing.assert_allclose(functional_model_with_dropout.predict(digits, verbose=0),
                           functional_model.predict(digits, verbose=0), rtol=1e-5, atol=1e-6)

# APIs for saving weights to disk & loading them back.
sequential_model = keras.Sequential(
    [
        keras.Input(shape=(784,), name="digits"),
        keras.layers.Dense(64, activation="relu", name="dense_1"),
        keras.layers.Dense(64, activation="relu", name="dense_2"),
        keras.layers.Dense(10, name="predictions"),
    ]
)
sequential_model.save_weights("my_model.weights.h5")
saved = sequential_model.get_weights()
sequential_model.set_weights([np.zeros_like(w) for w in saved])
sequential_model.load_weights("my_model.weights.h5")
assert all(np.array_equal(a, b) for a, b in zip(saved, sequential_model.get_weights()))


class NestedDenseLayer(keras.layers.Layer):
    def __init__(self, units, name=None):
        super().__init__(name=name)
        self.dense_1 = keras.layers.Dense(units, name="dense_1")
        self.dense_2 = keras.layers.Dense(units, name="dense_2")

    def call(self, inputs):
        return self.dense_2(self.dense_1(inputs))


nested_model = keras.Sequential([keras.Input((784,)), NestedDenseLayer(10, "nested")])
variable_names = [v.name for v in nested_model.weights]
print("variables: {}".format(variable_names))
assert len(variable_names) == 4, variable_names

print("\nChanging trainable status of one of the nested layers...")
nested_model.get_layer("nested").dense_1.trainable = False

variable_names_2 = [v.name for v in nested_model.weights]
print("\nvariables: {}".format(variable_names_2))
print("variable ordering changed:", variable_names != variable_names_2)
# tf.keras (and minidl) list trainable weights first, so the order changes; Keras 3 keeps it.
assert sorted(variable_names) == sorted(variable_names_2)
assert len(nested_model.trainable_weights) == 2


# Transfer learning example.
def create_functional_model():
    inputs = keras.Input(shape=(784,), name="digits")
    x = keras.layers.Dense(64, activation="relu", name="dense_1")(inputs)
    x = keras.layers.Dense(64, activation="relu", name="dense_2")(x)
    outputs = keras.layers.Dense(10, name="predictions")(x)
    return keras.Model(inputs=inputs, outputs=outputs, name="3_layer_mlp")


functional_model = create_functional_model()
functional_model.save_weights("pretrained.weights.h5")

# In a separate program:
pretrained_model = create_functional_model()
pretrained_model.load_weights("pretrained.weights.h5")

# Create a new model by extracting layers from the original model:
extracted_layers = pretrained_model.layers[:-1]
extracted_layers.append(keras.layers.Dense(5, name="dense_3"))
model = keras.Sequential(extracted_layers)
model.summary()
assert model.predict(np.ones((2, 784)), verbose=0).shape == (2, 5)
np.testing.assert_array_equal(model.get_layer("dense_1").get_weights()[0],
                              functional_model.get_layer("dense_1").get_weights()[0])


# Appendix: defining the config methods.
@keras.saving.register_keras_serializable(package="MyLayers", name="KernelMult")
class MyDense(keras.layers.Layer):
    def __init__(
        self,
        units,
        *,
        kernel_regularizer=None,
        kernel_initializer=None,
        nested_model=None,
        **kwargs
    ):
        super().__init__(**kwargs)
        self.hidden_units = units
        self.kernel_regularizer = kernel_regularizer
        self.kernel_initializer = kernel_initializer
        self.nested_model = nested_model

    def get_config(self):
        config = super().get_config()
        # Update the config with the custom layer's parameters
        config.update(
            {
                "units": self.hidden_units,
                "kernel_regularizer": self.kernel_regularizer,
                "kernel_initializer": self.kernel_initializer,
                "nested_model": self.nested_model,
            }
        )
        return config

    def build(self, input_shape):
        input_units = input_shape[-1]
        self.kernel = self.add_weight(
            name="kernel",
            shape=(input_units, self.hidden_units),
            regularizer=self.kernel_regularizer,
            initializer=self.kernel_initializer,
        )

    def call(self, inputs):
        return ops.matmul(inputs, self.kernel)


layer = MyDense(units=16, kernel_regularizer="l1", kernel_initializer="ones")
layer3 = MyDense(units=64, nested_model=layer)

config = keras.layers.serialize(layer3)

print(config)
assert config["registered_name"] == "MyLayers>KernelMult", config

new_layer = keras.layers.deserialize(config)

print(new_layer)
assert type(new_layer) is MyDense and new_layer.hidden_units == 64


@keras.saving.register_keras_serializable(package="ComplexModels")
class CustomModel(keras.layers.Layer):
    def __init__(self, first_layer, second_layer=None, **kwargs):
        super().__init__(**kwargs)
        self.first_layer = first_layer
        if second_layer is not None:
            self.second_layer = second_layer
        else:
            self.second_layer = keras.layers.Dense(8)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "first_layer": self.first_layer,
                "second_layer": self.second_layer,
            }
        )
        return config

    @classmethod
    def from_config(cls, config):
        # Note that you can also use `keras.saving.deserialize_keras_object` here
        config["first_layer"] = keras.layers.deserialize(config["first_layer"])
        config["second_layer"] = keras.layers.deserialize(config["second_layer"])
        return cls(**config)

    def call(self, inputs):
        return self.first_layer(self.second_layer(inputs))


# Let's make our first layer the custom layer from the previous example (MyDense)
inputs = keras.Input((32,))
outputs = CustomModel(first_layer=layer)(inputs)
model = keras.Model(inputs, outputs)

config = model.get_config()
new_model = keras.Model.from_config(config)
rebuilt = new_model.layers[1]
assert type(rebuilt) is CustomModel and type(rebuilt.first_layer) is MyDense, rebuilt
assert rebuilt.first_layer.hidden_units == 16 and rebuilt.second_layer.units == 8
assert new_model.predict(np.ones((2, 32)), verbose=0).shape == (2, 16)

# How custom objects are serialized.
layer = MyDense(
    units=16,
    kernel_regularizer=keras.regularizers.L1L2(l1=1e-5, l2=1e-4),
    kernel_initializer="ones",
)
config = keras.layers.serialize(layer)
print(config)
assert config["registered_name"] == "MyLayers>KernelMult" and config["class_name"] == "MyDense", config
assert config["module"] is None, config
assert config["config"]["kernel_regularizer"]["class_name"] == "L1L2", config
print("serialization and saving: ok")

# The TF 2 edition of the guide (guides/serialization_and_saving.py before Keras 3): a subclassed
# model saved to a folder and loaded with custom_objects, and a custom layer with a custom
# activation function rebuilt from config and cloned inside a custom_object_scope.
import minidl.tf as tf  # noqa: E402


class CustomModel(keras.Model):
    def __init__(self, hidden_units):
        super(CustomModel, self).__init__()  # noqa: F821 - the guide deletes the name below
        self.hidden_units = hidden_units
        self.dense_layers = [keras.layers.Dense(u) for u in hidden_units]

    def call(self, inputs):
        x = inputs
        for layer in self.dense_layers:
            x = layer(x)
        return x

    def get_config(self):
        return {"hidden_units": self.hidden_units}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


model = CustomModel([16, 16, 10])
# Build the model by calling it
input_arr = tf.random.uniform((1, 5))
outputs = model(input_arr)
model.save("my_model")

# Option 1: Load with the custom_object argument.
loaded_1 = keras.models.load_model("my_model", custom_objects={"CustomModel": CustomModel})

# Option 2: Load without the CustomModel class. Only TensorFlow's SavedModel could: it keeps
# traced graphs of `call`. A minidl (or Keras 3) file holds the config, so the class must run.
del CustomModel

try:
    loaded_2 = keras.models.load_model("my_model")
except Exception as error:  # the loader names what failed: the class's __init__ needs its name
    assert "cannot be rebuilt: NameError: name 'CustomModel' is not defined" in str(error), error
else:
    raise AssertionError("a subclassed model whose class is gone cannot be rebuilt")
np.testing.assert_allclose(loaded_1(input_arr), outputs, rtol=1e-6)

print("Original model:", model)
print("Model Loaded with custom objects:", loaded_1)


class CustomLayer(keras.layers.Layer):
    def __init__(self, units=32, **kwargs):
        super(CustomLayer, self).__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(
            shape=(input_shape[-1], self.units),
            initializer="random_normal",
            trainable=True,
        )
        self.b = self.add_weight(shape=(self.units,), initializer="random_normal", trainable=True)

    def call(self, inputs):
        return tf.matmul(inputs, self.w) + self.b

    def get_config(self):
        config = super(CustomLayer, self).get_config()
        config.update({"units": self.units})
        return config


def custom_activation(x):
    return tf.nn.tanh(x) ** 2


# Make a model with the CustomLayer and custom_activation
inputs = keras.Input((32,))
x = CustomLayer(32)(inputs)
outputs = keras.layers.Activation(custom_activation)(x)
model = keras.Model(inputs, outputs)

# Retrieve the config
config = model.get_config()

# At loading time, register the custom objects with a `custom_object_scope`:
custom_objects = {"CustomLayer": CustomLayer, "custom_activation": custom_activation}
with keras.utils.custom_object_scope(custom_objects):
    new_model = keras.Model.from_config(config)
    cloned_model = keras.models.clone_model(model)
assert new_model.layers[2].activation is custom_activation and cloned_model.layers[2].activation is custom_activation

model.save("my_h5_model.h5")
reconstructed_model = keras.models.load_model("my_h5_model.h5", custom_objects=custom_objects)
x = np.random.random((4, 32)).astype("float32")
np.testing.assert_allclose(model.predict(x), reconstructed_model.predict(x), rtol=1e-5)
print("serialization and saving (TF 2 edition): ok")
