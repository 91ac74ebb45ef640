"""TensorFlow tutorial "Custom training: walkthrough" (penguin species, a hand-written loop),
reduced.

Source: tensorflow/docs ``site/en/tutorials/customization/custom_training_walkthrough.ipynb``.
Only the TensorFlow import changed (``import tensorflow as tf`` -> ``import minidl.tf as tf``).

Substitute data: the tutorial loads ``penguins/processed`` with ``tensorflow_datasets`` (four
normalised measurements and a species label 0-2, split ``train[:20%]`` / ``train[20%:]`` as
``(features, label)`` datasets); here the two ``tf.data`` datasets are built with
``from_tensor_slices`` from 330 synthetic penguins (three clusters in the four measurements),
and ``tfds.as_dataframe`` previews are replaced by pandas DataFrames. The tutorial's 201 epochs
(40 left the test accuracy under 0.6 in two runs of four).

Patterns: ``next(iter(ds.batch(32)))`` and tensors indexed ``features[:, 0]`` in
``plt.scatter(..., c=labels)``; ``Dense(10, activation=tf.nn.relu, input_shape=(4,))``;
``model(features)`` sliced ``[:5]`` and ``tf.nn.softmax`` of it; ``tf.math.argmax(predictions,
axis=1)`` in a format string; a loss object called as ``loss_object(y_true=y, y_pred=y_)``; a
``grad`` function returning the loss and ``tape.gradient``; ``optimizer.iterations.numpy()``
before and after ``apply_gradients``; per-epoch ``tf.keras.metrics.Mean()`` /
``SparseCategoricalAccuracy()`` with ``update_state`` and ``"{:.3%}".format(metric.result())``;
``plt.subplots`` of the result lists; ``tf.keras.metrics.Accuracy()`` called on argmax
predictions (``output_type=tf.int64``); ``tf.stack([y, prediction], axis=1)``;
``tf.convert_to_tensor`` of a nested list, iterated row by row, ``tf.math.argmax(logits)
.numpy()`` and ``tf.nn.softmax(logits)[class_idx]``.
"""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import minidl.tf as tf

print("TensorFlow version: {}".format(tf.__version__))


def synthetic_penguins(rows=330, seed=4):
    """Stands in for tfds' penguins/processed: 4 normalised features and a species 0-2."""
    rng = np.random.default_rng(seed)
    species = rng.integers(0, 3, rows)
    centres = np.array([[0.3, 0.6, 0.3, 0.4], [0.4, 0.3, 0.8, 0.4], [0.8, 0.5, 0.6, 0.8]])
    features = (centres[species] + rng.normal(scale=0.07, size=(rows, 4))).astype(np.float32)
    return features, species.astype(np.int64)


class_names = ['Adélie', 'Chinstrap', 'Gentoo']

features_all, labels_all = synthetic_penguins()
split = len(labels_all) // 5
ds_test = tf.data.Dataset.from_tensor_slices((features_all[:split], labels_all[:split]))
ds_train = tf.data.Dataset.from_tensor_slices((features_all[split:], labels_all[split:]))
assert isinstance(ds_test, tf.data.Dataset)

print(pd.DataFrame(features_all[:5], columns=['body_mass', 'culmen_depth', 'culmen_length', 'flipper_length']))

ds_train_batch = ds_train.batch(32)

features, labels = next(iter(ds_train_batch))
print(features)
print(labels)

plt.scatter(features[:, 0],
            features[:, 2],
            c=labels,
            cmap='viridis')

plt.xlabel("Body Mass")
plt.ylabel("Culmen Length")
plt.show()

model = tf.keras.Sequential([
    tf.keras.layers.Dense(10, activation=tf.nn.relu, input_shape=(4,)),  # input shape required
    tf.keras.layers.Dense(10, activation=tf.nn.relu),
    tf.keras.layers.Dense(3)
])

predictions = model(features)
print(predictions[:5])

print(tf.nn.softmax(predictions[:5]))

print("Prediction: {}".format(tf.math.argmax(predictions, axis=1)))
print("    Labels: {}".format(labels))

loss_object = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)


def loss(model, x, y, training):
    # training=training is needed only if there are layers with different
    # behavior during training versus inference (e.g. Dropout).
    y_ = model(x, training=training)

    return loss_object(y_true=y, y_pred=y_)


l = loss(model, features, labels, training=False)
print("Loss test: {}".format(l))


def grad(model, inputs, targets):
    with tf.GradientTape() as tape:
        loss_value = loss(model, inputs, targets, training=True)
    return loss_value, tape.gradient(loss_value, model.trainable_variables)


optimizer = tf.keras.optimizers.SGD(learning_rate=0.01)

loss_value, grads = grad(model, features, labels)

print("Step: {}, Initial Loss: {}".format(optimizer.iterations.numpy(),
                                          loss_value.numpy()))

optimizer.apply_gradients(zip(grads, model.trainable_variables))

print("Step: {},         Loss: {}".format(optimizer.iterations.numpy(),
                                          loss(model, features, labels, training=True).numpy()))
assert optimizer.iterations.numpy() == 1

# Keep results for plotting
train_loss_results = []
train_accuracy_results = []

num_epochs = 201

for epoch in range(num_epochs):
    epoch_loss_avg = tf.keras.metrics.Mean()
    epoch_accuracy = tf.keras.metrics.SparseCategoricalAccuracy()

    # Training loop - using batches of 32
    for x, y in ds_train_batch:
        # Optimize the model
        loss_value, grads = grad(model, x, y)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))

        # Track progress
        epoch_loss_avg.update_state(loss_value)  # Add current batch loss
        # Compare predicted label to actual label
        # training=True is needed only if there are layers with different
        # behavior during training versus inference (e.g. Dropout).
        epoch_accuracy.update_state(y, model(x, training=True))

    # End epoch
    train_loss_results.append(epoch_loss_avg.result())
    train_accuracy_results.append(epoch_accuracy.result())

    if epoch % 50 == 0:
        print("Epoch {:03d}: Loss: {:.3f}, Accuracy: {:.3%}".format(epoch,
                                                                    epoch_loss_avg.result(),
                                                                    epoch_accuracy.result()))

fig, axes = plt.subplots(2, sharex=True, figsize=(12, 8))
fig.suptitle('Training Metrics')

axes[0].set_ylabel("Loss", fontsize=14)
axes[0].plot(train_loss_results)

axes[1].set_ylabel("Accuracy", fontsize=14)
axes[1].set_xlabel("Epoch", fontsize=14)
axes[1].plot(train_accuracy_results)
plt.show()
assert float(train_loss_results[-1]) < float(train_loss_results[0])

test_accuracy = tf.keras.metrics.Accuracy()
ds_test_batch = ds_test.batch(10)

for (x, y) in ds_test_batch:
    # training=False is needed only if there are layers with different
    # behavior during training versus inference (e.g. Dropout).
    logits = model(x, training=False)
    prediction = tf.math.argmax(logits, axis=1, output_type=tf.int64)
    test_accuracy(prediction, y)

print("Test set accuracy: {:.3%}".format(test_accuracy.result()))
assert float(test_accuracy.result()) > 0.6, float(test_accuracy.result())

print(tf.stack([y, prediction], axis=1))

predict_dataset = tf.convert_to_tensor([
    [0.3, 0.8, 0.4, 0.5, ],
    [0.4, 0.1, 0.8, 0.5, ],
    [0.7, 0.9, 0.8, 0.4]
])

# training=False is needed only if there are layers with different
# behavior during training versus inference (e.g. Dropout).
predictions = model(predict_dataset, training=False)

for i, logits in enumerate(predictions):
    class_idx = tf.math.argmax(logits).numpy()
    p = tf.nn.softmax(logits)[class_idx]
    name = class_names[class_idx]
    print("Example {} prediction: {} ({:4.1f}%)".format(i, name, 100 * p))
plt.close('all')
