"""TensorFlow tutorial "Text classification with an RNN", reduced.

Source: tensorflow/text ``docs/tutorials/text_classification_rnn.ipynb`` (tensorflow.org:
text/tutorials/text_classification_rnn). Only the TensorFlow import changed (``import tensorflow
as tf`` -> ``import minidl.tf as tf``).

Substitute data: the tutorial loads ``imdb_reviews`` with ``tensorflow_datasets`` (``tfds.load(
..., as_supervised=True)``: a dict of ``tf.data`` datasets of (text, label) pairs); here the
same dict is built with ``tf.data.Dataset.from_tensor_slices`` from reviews read out of the
aclImdb archive in ``MINIDL_DATA_DIR`` -- 384 training and 128 test reviews, each cut to its
first 300 characters so that the LSTMs run over short sequences. Reduced: 2 epochs, LSTM(16) /
LSTM(8) in place of 64 / 32, ``validation_steps=2``.

Patterns: ``train_dataset.element_spec``; ``shuffle(BUFFER_SIZE).batch(BATCH_SIZE).prefetch(
tf.data.AUTOTUNE)``; ``TextVectorization(max_tokens=VOCAB_SIZE)`` adapted on ``ds.map(lambda
text, label: text)`` and called on a batch of strings (sequences as long as the batch's
longest); ``np.array(encoder.get_vocabulary())`` indexed by encoded ids to round-trip a review;
``Embedding(..., mask_zero=True)`` and ``Bidirectional(LSTM(...))`` after the encoder in a
Sequential; ``[layer.supports_masking for layer in model.layers]`` (printed only: minidl's
built-in layers pass masks on in ``call`` and report False); the masking check (a review
predicts the same alone and batched with 2,000 words of padding); ``fit(...,
validation_data=test_dataset, validation_steps=...)``; stacked ``Bidirectional(LSTM(...,
return_sequences=True))``.
"""

import os
import tarfile

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np

import minidl.tf as tf


def plot_graphs(history, metric):
    plt.plot(history.history[metric])
    plt.plot(history.history['val_' + metric], '')
    plt.xlabel("Epochs")
    plt.ylabel(metric)
    plt.legend([metric, 'val_' + metric])


def load_imdb_reviews(train=384, test=128, characters=300):
    """Substitute for ``tfds.load('imdb_reviews', with_info=True, as_supervised=True)``."""
    archive = os.path.join(os.environ["MINIDL_DATA_DIR"], "imdb", "aclImdb_v1.tar.gz")
    wanted = {"aclImdb/train/pos": train // 2, "aclImdb/train/neg": train // 2,
              "aclImdb/test/pos": test // 2, "aclImdb/test/neg": test // 2}
    reviews = {folder: [] for folder in wanted}
    with tarfile.open(archive) as tar:
        for member in tar:
            folder = os.path.dirname(member.name)
            if member.isfile() and len(reviews.get(folder, range(10**9))) < wanted.get(folder, 0):
                reviews[folder].append(tar.extractfile(member).read().decode("utf-8")[:characters])
    rng = np.random.default_rng(0)
    dataset = {}
    for part in ("train", "test"):
        texts = reviews[f"aclImdb/{part}/neg"] + reviews[f"aclImdb/{part}/pos"]
        labels = [0] * len(reviews[f"aclImdb/{part}/neg"]) + [1] * len(reviews[f"aclImdb/{part}/pos"])
        order = rng.permutation(len(texts))
        dataset[part] = tf.data.Dataset.from_tensor_slices(
            (np.array(texts)[order], np.array(labels, dtype=np.int64)[order]))
    return dataset, None


dataset, info = load_imdb_reviews()
train_dataset, test_dataset = dataset['train'], dataset['test']

print(train_dataset.element_spec)

for example, label in train_dataset.take(1):
    print('text: ', example.numpy())
    print('label: ', label.numpy())
assert example.dtype == tf.string and label.dtype == tf.int64

BUFFER_SIZE = 10000
BATCH_SIZE = 64

train_dataset = train_dataset.shuffle(BUFFER_SIZE).batch(BATCH_SIZE).prefetch(tf.data.AUTOTUNE)
test_dataset = test_dataset.batch(BATCH_SIZE).prefetch(tf.data.AUTOTUNE)

for example, label in train_dataset.take(1):
    print('texts: ', example.numpy()[:3])
    print()
    print('labels: ', label.numpy()[:3])

VOCAB_SIZE = 1000
encoder = tf.keras.layers.TextVectorization(
    max_tokens=VOCAB_SIZE)
encoder.adapt(train_dataset.map(lambda text, label: text))

vocab = np.array(encoder.get_vocabulary())
print(vocab[:20])
assert list(vocab[:2]) == ['', '[UNK]']

encoded_example = encoder(example)[:3].numpy()
print(encoded_example)

for n in range(3):
    print("Original: ", example[n].numpy())
    print("Round-trip: ", " ".join(vocab[encoded_example[n]]))
    print()

model = tf.keras.Sequential([
    encoder,
    tf.keras.layers.Embedding(
        input_dim=len(encoder.get_vocabulary()),
        output_dim=64,
        # Use masking to handle the variable sequence lengths
        mask_zero=True),
    tf.keras.layers.Bidirectional(tf.keras.layers.LSTM(16)),
    tf.keras.layers.Dense(64, activation='relu'),
    tf.keras.layers.Dense(1)
])

print([layer.supports_masking for layer in model.layers])
# Keras prints [False, True, True, True, True]; minidl's built-in layers pass masks on in their
# call and report False here (the attribute is Keras's opt-in for custom layers).

# predict on a sample text without padding.
sample_text = ('The movie was cool. The animation and the graphics '
               'were out of this world. I would recommend this movie.')
predictions = model.predict(np.array([sample_text]))
print(predictions[0])
alone = predictions[0]

# predict on a sample text with padding
padding = "the " * 2000
predictions = model.predict(np.array([sample_text, padding]))
print(predictions[0])
np.testing.assert_allclose(predictions[0], alone, rtol=1e-4, atol=1e-6)  # the mask hides the padding

model.compile(loss=tf.keras.losses.BinaryCrossentropy(from_logits=True),
              optimizer=tf.keras.optimizers.Adam(1e-4),
              metrics=['accuracy'])

history = model.fit(train_dataset, epochs=2,
                    validation_data=test_dataset,
                    validation_steps=2)

test_loss, test_acc = model.evaluate(test_dataset)

print('Test Loss:', test_loss)
print('Test Accuracy:', test_acc)
assert sorted(history.history) == ['accuracy', 'loss', 'val_accuracy', 'val_loss']
assert 0.0 <= test_acc <= 1.0 and np.isfinite(test_loss)

plt.figure(figsize=(16, 8))
plt.subplot(1, 2, 1)
plot_graphs(history, 'accuracy')
plt.ylim(None, 1)
plt.subplot(1, 2, 2)
plot_graphs(history, 'loss')
plt.ylim(0, None)

sample_text = ('The movie was cool. The animation and the graphics '
               'were out of this world. I would recommend this movie.')
predictions = model.predict(np.array([sample_text]))

model = tf.keras.Sequential([
    encoder,
    tf.keras.layers.Embedding(len(encoder.get_vocabulary()), 64, mask_zero=True),
    tf.keras.layers.Bidirectional(tf.keras.layers.LSTM(16, return_sequences=True)),
    tf.keras.layers.Bidirectional(tf.keras.layers.LSTM(8)),
    tf.keras.layers.Dense(64, activation='relu'),
    tf.keras.layers.Dropout(0.5),
    tf.keras.layers.Dense(1)
])

model.compile(loss=tf.keras.losses.BinaryCrossentropy(from_logits=True),
              optimizer=tf.keras.optimizers.Adam(1e-4),
              metrics=['accuracy'])

history = model.fit(train_dataset, epochs=2,
                    validation_data=test_dataset,
                    validation_steps=2)

test_loss, test_acc = model.evaluate(test_dataset)

print('Test Loss:', test_loss)
print('Test Accuracy:', test_acc)

# predict on a sample text without padding.
sample_text = ('The movie was not good. The animation and the graphics '
               'were terrible. I would not recommend this movie.')
predictions = model.predict(np.array([sample_text]))
print(predictions)
assert predictions.shape == (1, 1)
padded = model.predict(np.array([sample_text, padding]))
np.testing.assert_allclose(padded[0], predictions[0], rtol=1e-4, atol=1e-6)

plt.figure(figsize=(16, 6))
plt.subplot(1, 2, 1)
plot_graphs(history, 'accuracy')
plt.subplot(1, 2, 2)
plot_graphs(history, 'loss')
plt.close('all')
