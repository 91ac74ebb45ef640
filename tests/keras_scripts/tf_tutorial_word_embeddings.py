"""TensorFlow tutorial "Word embeddings" (an embedding trained on IMDB sentiment, exported for
the Embedding Projector), reduced.

Source: tensorflow/text ``docs/tutorials/word_embeddings.ipynb`` (published on tensorflow.org
under text/guide/word_embeddings). Only the import lines changed (``import tensorflow as tf`` ->
``import minidl.tf as tf``, ``from tensorflow.keras... import`` -> ``from minidl.keras...``).

Substitute data: the tutorial downloads and unpacks ``aclImdb_v1.tar.gz``; here a slice of the
same archive (from ``MINIDL_DATA_DIR``) is unpacked into ``./aclImdb`` (300 reviews per class,
plus a ``train/unsup`` folder for the tutorial to remove). Reduced: ``batch_size=64`` in place of
1024 (so a few hundred reviews make several batches), 2,000 tokens in place of 10,000, 8 epochs
in place of 15. The TensorBoard magics and the Colab download are notebook-only and left out.

Patterns: ``text_dataset_from_directory('aclImdb/train', ..., validation_split=0.2,
subset=..., seed=123)``; ``label_batch[i].numpy()``; ``tf.keras.layers.Embedding(1000, 5)``
called on ``tf.constant([1, 2, 3])`` and on a 2-D batch; a ``Sequential`` whose first layer is
an adapted ``TextVectorization`` (it is fed raw strings); ``Embedding(vocab_size, embedding_dim,
name="embedding")``; ``tf.keras.callbacks.TensorBoard(log_dir="logs")``;
``BinaryCrossentropy(from_logits=True)`` with ``metrics=['accuracy']``;
``model.get_layer('embedding').get_weights()[0]`` and ``get_vocabulary()`` written to
``vectors.tsv`` / ``metadata.tsv`` with ``io.open``.
"""

import io
import os
import re
import shutil
import string
import tarfile

import minidl.tf as tf
from minidl.keras import Sequential
from minidl.keras.layers import Dense, Embedding, GlobalAveragePooling1D, TextVectorization


def unpack_imdb_slice(per_class=300):
    """Substitute for ``tf.keras.utils.get_file('aclImdb_v1.tar.gz', url, untar=True, cache_dir='.')``."""
    archive = os.path.join(os.environ["MINIDL_DATA_DIR"], "imdb", "aclImdb_v1.tar.gz")
    taken = {"aclImdb/train/pos": 0, "aclImdb/train/neg": 0}
    with tarfile.open(archive) as tar:
        for member in tar:
            folder = os.path.dirname(member.name)
            if member.isfile() and taken.get(folder, per_class) < per_class:
                taken[folder] += 1
                tar.extract(member, ".", filter="data")
    os.makedirs(os.path.join("aclImdb", "train", "unsup"), exist_ok=True)
    with open(os.path.join("aclImdb", "train", "unsup", "0_0.txt"), "w") as file:
        file.write("An unlabelled review, which the tutorial removes.")
    return os.path.join(".", "aclImdb_v1.tar.gz")


dataset = unpack_imdb_slice()

dataset_dir = os.path.join(os.path.dirname(dataset), 'aclImdb')
print(os.listdir(dataset_dir))

train_dir = os.path.join(dataset_dir, 'train')
print(sorted(os.listdir(train_dir)))

remove_dir = os.path.join(train_dir, 'unsup')
shutil.rmtree(remove_dir)

batch_size = 64
seed = 123
train_ds = tf.keras.utils.text_dataset_from_directory(
    'aclImdb/train', batch_size=batch_size, validation_split=0.2,
    subset='training', seed=seed)
val_ds = tf.keras.utils.text_dataset_from_directory(
    'aclImdb/train', batch_size=batch_size, validation_split=0.2,
    subset='validation', seed=seed)

for text_batch, label_batch in train_ds.take(1):
    for i in range(5):
        print(label_batch[i].numpy(), text_batch.numpy()[i])

AUTOTUNE = tf.data.AUTOTUNE

train_ds = train_ds.cache().prefetch(buffer_size=AUTOTUNE)
val_ds = val_ds.cache().prefetch(buffer_size=AUTOTUNE)

# Embed a 1,000 word vocabulary into 5 dimensions.
embedding_layer = tf.keras.layers.Embedding(1000, 5)

result = embedding_layer(tf.constant([1, 2, 3]))
print(result.numpy())
assert result.numpy().shape == (3, 5)

result = embedding_layer(tf.constant([[0, 1, 2], [3, 4, 5]]))
print(result.shape)
assert tuple(result.shape) == (2, 3, 5)


# Create a custom standardization function to strip HTML break tags '<br />'.
def custom_standardization(input_data):
    lowercase = tf.strings.lower(input_data)
    stripped_html = tf.strings.regex_replace(lowercase, '<br />', ' ')
    return tf.strings.regex_replace(stripped_html,
                                    '[%s]' % re.escape(string.punctuation), '')


# Vocabulary size and number of words in a sequence.
vocab_size = 2000
sequence_length = 100

# Use the text vectorization layer to normalize, split, and map strings to
# integers. Note that the layer uses the custom standardization defined above.
# Set maximum_sequence length as all samples are not of the same length.
vectorize_layer = TextVectorization(
    standardize=custom_standardization,
    max_tokens=vocab_size,
    output_mode='int',
    output_sequence_length=sequence_length)

# Make a text-only dataset (no labels) and call adapt to build the vocabulary.
text_ds = train_ds.map(lambda x, y: x)
vectorize_layer.adapt(text_ds)

embedding_dim = 16

model = Sequential([
    vectorize_layer,
    Embedding(vocab_size, embedding_dim, name="embedding"),
    GlobalAveragePooling1D(),
    Dense(16, activation='relu'),
    Dense(1)
])

tensorboard_callback = tf.keras.callbacks.TensorBoard(log_dir="logs")

model.compile(optimizer='adam',
              loss=tf.keras.losses.BinaryCrossentropy(from_logits=True),
              metrics=['accuracy'])

history = model.fit(
    train_ds,
    validation_data=val_ds,
    epochs=8,
    callbacks=[tensorboard_callback])

model.summary()
assert history.history['loss'][-1] < history.history['loss'][0], history.history
assert os.path.isdir(os.path.join("logs", "train")) and os.path.isdir(os.path.join("logs", "validation"))

weights = model.get_layer('embedding').get_weights()[0]
vocab = vectorize_layer.get_vocabulary()
assert weights.shape == (vocab_size, embedding_dim) and len(vocab) == vocab_size

out_v = io.open('vectors.tsv', 'w', encoding='utf-8')
out_m = io.open('metadata.tsv', 'w', encoding='utf-8')

for index, word in enumerate(vocab):
    if index == 0:
        continue  # skip 0, it's padding.
    vec = weights[index]
    out_v.write('\t'.join([str(x) for x in vec]) + "\n")
    out_m.write(word + "\n")
out_v.close()
out_m.close()

with open('vectors.tsv') as file:
    rows = file.read().splitlines()
assert len(rows) == vocab_size - 1 and len(rows[0].split('\t')) == embedding_dim
