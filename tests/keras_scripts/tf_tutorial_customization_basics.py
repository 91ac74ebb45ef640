"""TensorFlow tutorials "Customization basics: tensors and operations" and "Custom layers",
reduced.

Sources: tensorflow/docs ``site/en/tutorials/customization/basics.ipynb`` and
``customization/custom_layers.ipynb``. Only the import line changed (``import tensorflow as tf``
-> ``import minidl.tf as tf``). Reduced: 200x200 matrices in place of 1000x1000 for the timing.

Patterns (basics): ``tf.math.add`` / ``square`` / ``reduce_sum`` on Python numbers and lists,
``tf.linalg.matmul([[1]], [[2, 3]])`` and its ``shape`` / ``dtype``, ``tf.math.multiply`` of a
NumPy array, ``np.add(tensor, 1)`` (NumPy returns an array), ``tf.random.uniform``,
``tf.config.list_physical_devices("GPU")``, ``x.device.endswith('GPU:0')`` / ``"CPU:0"``,
``with tf.device("CPU:0")``, ``Dataset.from_tensor_slices(list).map(tf.math.square).shuffle(2)
.batch(2)``, ``TextLineDataset`` of a temporary file, batched.
Patterns (custom layers): ``Dense(10, input_shape=(None, 5))`` called on ``tf.zeros``,
``layer.variables`` / ``kernel`` / ``bias``; a ``Layer`` subclass whose ``build`` calls
``self.add_weight("kernel", shape=[int(input_shape[-1]), self.num_outputs])`` and whose ``call``
is ``tf.matmul``, its ``trainable_variables`` names; a ``Model`` subclass
``super().__init__(name='')`` ResNet identity block (``Conv2D``, ``BatchNormalization(x,
training=training)``, ``tf.nn.relu``, ``x += input_tensor``), ``block.layers``,
``len(block.variables)``, ``block.summary()``; a Sequential with ``input_shape=(None, None, 3)``
called on ``tf.zeros([1, 2, 3, 3])`` and summarised.
"""

import tempfile
import time

import numpy as np

import minidl.tf as tf

# -- basics ----------------------------------------------------------------------------------------
print(tf.math.add(1, 2))
print(tf.math.add([1, 2], [3, 4]))
print(tf.math.square(5))
print(tf.math.reduce_sum([1, 2, 3]))

# Operator overloading is also supported
print(tf.math.square(2) + tf.math.square(3))
assert int(tf.math.square(2) + tf.math.square(3)) == 13 and tf.math.add(1, 2).dtype == tf.int32

x = tf.linalg.matmul([[1]], [[2, 3]])
print(x)
print(x.shape)
print(x.dtype)
assert tuple(x.shape) == (1, 2) and x.dtype == tf.int32

ndarray = np.ones([3, 3])

print("TensorFlow operations convert numpy arrays to Tensors automatically")
tensor = tf.math.multiply(ndarray, 42)
print(tensor)

print("And NumPy operations convert Tensors to NumPy arrays automatically")
print(np.add(tensor, 1))
assert float(np.add(tensor, 1)[0, 0]) == 43.0

print("The .numpy() method explicitly converts a Tensor to a numpy array")
print(tensor.numpy())

x = tf.random.uniform([3, 3])

print("Is there a GPU available: "),
print(tf.config.list_physical_devices("GPU"))

print("Is the Tensor on GPU #0:  "),
print(x.device.endswith('GPU:0'))


def time_matmul(x):
    start = time.time()
    for loop in range(10):
        tf.linalg.matmul(x, x)

    result = time.time() - start

    print("10 loops: {:0.2f}ms".format(1000 * result))


# Force execution on CPU
print("On CPU:")
with tf.device("CPU:0"):
    x = tf.random.uniform([200, 200])
    assert x.device.endswith("CPU:0")
    time_matmul(x)

# Force execution on GPU #0 if available
if tf.config.list_physical_devices("GPU"):
    print("On GPU:")
    with tf.device("GPU:0"):  # Or GPU:1 for the 2nd GPU, GPU:2 for the 3rd etc.
        x = tf.random.uniform([200, 200])
        assert x.device.endswith("GPU:0")
        time_matmul(x)

ds_tensors = tf.data.Dataset.from_tensor_slices([1, 2, 3, 4, 5, 6])

# Create a CSV file
_, filename = tempfile.mkstemp()

with open(filename, 'w') as f:
    f.write("""Line 1
Line 2
Line 3
  """)

ds_file = tf.data.TextLineDataset(filename)

ds_tensors = ds_tensors.map(tf.math.square).shuffle(2).batch(2)

ds_file = ds_file.batch(2)

print('Elements of ds_tensors:')
squares = []
for x in ds_tensors:
    print(x)
    squares.extend(x.numpy().tolist())
assert sorted(squares) == [1, 4, 9, 16, 25, 36]

print('\nElements in ds_file:')
lines = []
for x in ds_file:
    print(x)
    lines.extend(x.numpy().tolist())
assert lines == [b"Line 1", b"Line 2", b"Line 3", b"  "]

# -- custom layers -----------------------------------------------------------------------------------
print(tf.config.list_physical_devices('GPU'))

# In the tf.keras.layers package, layers are objects. To construct a layer,
# simply construct the object. Most layers take as a first argument the number
# of output dimensions / channels.
layer = tf.keras.layers.Dense(100)
# The number of input dimensions is often unnecessary, as it can be inferred
# the first time the layer is used, but it can be provided if you want to
# specify it manually, which is useful in some complex models.
layer = tf.keras.layers.Dense(10, input_shape=(None, 5))

# To use a layer, simply call it.
print(layer(tf.zeros([10, 5])))

# Layers have many useful methods. For example, you can inspect all variables
# in a layer using `layer.variables` and trainable variables using
# `layer.trainable_variables`. In this case a fully-connected layer
# will have variables for weights and biases.
print(layer.variables)

# The variables are also accessible through nice accessors
print(layer.kernel, layer.bias)
assert tuple(layer.kernel.shape) == (5, 10) and len(layer.variables) == 2


class MyDenseLayer(tf.keras.layers.Layer):
    def __init__(self, num_outputs):
        super(MyDenseLayer, self).__init__()
        self.num_outputs = num_outputs

    def build(self, input_shape):
        self.kernel = self.add_weight("kernel",
                                      shape=[int(input_shape[-1]),
                                             self.num_outputs])

    def call(self, inputs):
        return tf.matmul(inputs, self.kernel)


layer = MyDenseLayer(10)

_ = layer(tf.zeros([10, 5]))  # Calling the layer `.builds` it.

print([var.name for var in layer.trainable_variables])
assert len(layer.trainable_variables) == 1 and layer.trainable_variables[0].name.endswith("kernel")


class ResnetIdentityBlock(tf.keras.Model):
    def __init__(self, kernel_size, filters):
        super(ResnetIdentityBlock, self).__init__(name='')
        filters1, filters2, filters3 = filters

        self.conv2a = tf.keras.layers.Conv2D(filters1, (1, 1))
        self.bn2a = tf.keras.layers.BatchNormalization()

        self.conv2b = tf.keras.layers.Conv2D(filters2, kernel_size, padding='same')
        self.bn2b = tf.keras.layers.BatchNormalization()

        self.conv2c = tf.keras.layers.Conv2D(filters3, (1, 1))
        self.bn2c = tf.keras.layers.BatchNormalization()

    def call(self, input_tensor, training=False):
        x = self.conv2a(input_tensor)
        x = self.bn2a(x, training=training)
        x = tf.nn.relu(x)

        x = self.conv2b(x)
        x = self.bn2b(x, training=training)
        x = tf.nn.relu(x)

        x = self.conv2c(x)
        x = self.bn2c(x, training=training)

        x += input_tensor
        return tf.nn.relu(x)


block = ResnetIdentityBlock(1, [1, 2, 3])

_ = block(tf.zeros([1, 2, 3, 3]))

print(block.layers)
print(len(block.variables))
assert len(block.layers) == 6 and len(block.variables) == 18

block.summary()

my_seq = tf.keras.Sequential([tf.keras.layers.Conv2D(1, (1, 1),
                                                     input_shape=(
                                                         None, None, 3)),
                              tf.keras.layers.BatchNormalization(),
                              tf.keras.layers.Conv2D(2, 1,
                                                     padding='same'),
                              tf.keras.layers.BatchNormalization(),
                              tf.keras.layers.Conv2D(3, (1, 1)),
                              tf.keras.layers.BatchNormalization()])
print(my_seq(tf.zeros([1, 2, 3, 3])))
assert tuple(my_seq(tf.zeros([1, 2, 3, 3])).shape) == (1, 2, 3, 3)

my_seq.summary()
assert my_seq.count_params() == 4 + 4 + 4 + 8 + 9 + 12  # conv kernels+biases, then BatchNorm's 4 per channel
