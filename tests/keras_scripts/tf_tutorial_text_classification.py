"""TensorFlow tutorial "Basic text classification" (IMDB sentiment from the raw review files),
reduced.

Source: tensorflow/docs ``site/en/tutorials/keras/text_classification.ipynb``. Only the import
lines changed (``import tensorflow as tf`` -> ``import minidl.tf as tf``, ``from
tensorflow.keras import layers, losses`` -> ``from minidl.keras import ...``).

Substitute data: the tutorial downloads ``aclImdb_v1.tar.gz`` with ``tf.keras.utils.get_file(...,
untar=True)``; here a slice of the same archive (from ``MINIDL_DATA_DIR``) is unpacked into the
layout ``get_file`` leaves (``aclImdb_v1/aclImdb/{train,test}/{pos,neg}`` plus a ``train/unsup``
folder for the tutorial to remove): 400 training reviews per class and 150 test reviews per
class in place of 12,500. Reduced: 1,000 tokens, sequences of 120 and 15 epochs.

Patterns: ``tf.keras.utils.text_dataset_from_directory(train_dir, batch_size, validation_split=0.2,
subset='training'/'validation', seed=42)`` and ``class_names``; ``text_batch.numpy()[i]``; a
custom standardisation (``tf.strings.lower``, ``tf.strings.regex_replace``) given to
``layers.TextVectorization(max_tokens, output_mode='int', output_sequence_length)``, adapted on
``raw_train_ds.map(lambda x, y: x)``; ``tf.expand_dims(text, -1)`` then the layer, mapped over
the datasets; ``get_vocabulary()``; ``cache().prefetch(buffer_size=tf.data.AUTOTUNE)``; an
``Embedding`` / ``Dropout`` / ``GlobalAveragePooling1D`` model with
``tf.metrics.BinaryAccuracy(threshold=0.5)`` and the ``'binary_accuracy'`` history keys; an
export model ``Sequential([vectorize_layer, model, layers.Activation('sigmoid')])`` evaluated on
the raw-string dataset with ``return_dict=True`` and asked to ``predict`` on a ``tf.constant``
of strings.
"""

import os
import re
import shutil
import string
import tarfile

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt

import minidl.tf as tf
from minidl.keras import layers, losses

print(tf.__version__)


def unpack_imdb_slice(per_class_train=400, per_class_test=150):
    """Substitute for ``tf.keras.utils.get_file('aclImdb_v1', url, untar=True, cache_dir='.')``."""
    archive = os.path.join(os.environ["MINIDL_DATA_DIR"], "imdb", "aclImdb_v1.tar.gz")
    root = os.path.join(".", "aclImdb_v1")
    wanted = {f"aclImdb/{part}/{label}": (per_class_train if part == "train" else per_class_test)
              for part in ("train", "test") for label in ("pos", "neg")}
    taken = dict.fromkeys(wanted, 0)
    with tarfile.open(archive) as tar:
        for member in tar:
            folder = os.path.dirname(member.name)
            if member.isfile() and folder in wanted and (taken[folder] < wanted[folder]
                                                         or member.name.endswith("/1181_9.txt")):
                taken[folder] += 1
                tar.extract(member, root, filter="data")
    os.makedirs(os.path.join(root, "aclImdb", "train", "unsup"), exist_ok=True)
    with open(os.path.join(root, "aclImdb", "train", "unsup", "0_0.txt"), "w") as file:
        file.write("An unlabelled review, which the tutorial removes.")
    return root


dataset = unpack_imdb_slice()

dataset_dir = os.path.join(os.path.dirname(dataset), 'aclImdb_v1')
print(os.listdir(dataset_dir))

train_dir = os.path.join(dataset_dir, 'aclImdb', 'train')
test_dir = os.path.join(dataset_dir, 'aclImdb', 'test')
print(sorted(os.listdir(train_dir)))

sample_file = os.path.join(train_dir, 'pos', '1181_9.txt')
with open(sample_file) as f:
    print(f.read())

remove_dir = os.path.join(train_dir, 'unsup')
shutil.rmtree(remove_dir)

batch_size = 32
seed = 42

raw_train_ds = tf.keras.utils.text_dataset_from_directory(
    train_dir,
    batch_size=batch_size,
    validation_split=0.2,
    subset='training',
    seed=seed)

for text_batch, label_batch in raw_train_ds.take(1):
    for i in range(3):
        print("Review", text_batch.numpy()[i])
        print("Label", label_batch.numpy()[i])

print("Label 0 corresponds to", raw_train_ds.class_names[0])
print("Label 1 corresponds to", raw_train_ds.class_names[1])
assert raw_train_ds.class_names == ['neg', 'pos']

raw_val_ds = tf.keras.utils.text_dataset_from_directory(
    train_dir,
    batch_size=batch_size,
    validation_split=0.2,
    subset='validation',
    seed=seed)

raw_test_ds = tf.keras.utils.text_dataset_from_directory(
    test_dir,
    batch_size=batch_size)


def custom_standardization(input_data):
    lowercase = tf.strings.lower(input_data)
    stripped_html = tf.strings.regex_replace(lowercase, '<br />', ' ')
    return tf.strings.regex_replace(stripped_html,
                                    '[%s]' % re.escape(string.punctuation),
                                    '')


max_features = 1000
sequence_length = 120

vectorize_layer = layers.TextVectorization(
    standardize=custom_standardization,
    max_tokens=max_features,
    output_mode='int',
    output_sequence_length=sequence_length)

# Make a text-only dataset (without labels), then call adapt
train_text = raw_train_ds.map(lambda x, y: x)
vectorize_layer.adapt(train_text)


def vectorize_text(text, label):
    text = tf.expand_dims(text, -1)
    return vectorize_layer(text), label


# retrieve a batch (of 32 reviews and labels) from the dataset
text_batch, label_batch = next(iter(raw_train_ds))
first_review, first_label = text_batch[0], label_batch[0]
print("Review", first_review)
print("Label", raw_train_ds.class_names[first_label])
print("Vectorized review", vectorize_text(first_review, first_label))
assert tuple(vectorize_text(first_review, first_label)[0].shape) == (1, sequence_length)

print("287 ---> ", vectorize_layer.get_vocabulary()[287])
print(" 313 ---> ", vectorize_layer.get_vocabulary()[313])
print('Vocabulary size: {}'.format(len(vectorize_layer.get_vocabulary())))
assert len(vectorize_layer.get_vocabulary()) == max_features
assert vectorize_layer.get_vocabulary()[:3] == ['', '[UNK]', 'the']

train_ds = raw_train_ds.map(vectorize_text)
val_ds = raw_val_ds.map(vectorize_text)
test_ds = raw_test_ds.map(vectorize_text)

AUTOTUNE = tf.data.AUTOTUNE

train_ds = train_ds.cache().prefetch(buffer_size=AUTOTUNE)
val_ds = val_ds.cache().prefetch(buffer_size=AUTOTUNE)
test_ds = test_ds.cache().prefetch(buffer_size=AUTOTUNE)

embedding_dim = 16

model = tf.keras.Sequential([
    layers.Embedding(max_features, embedding_dim),
    layers.Dropout(0.2),
    layers.GlobalAveragePooling1D(),
    layers.Dropout(0.2),
    layers.Dense(1, activation='sigmoid')])

model.summary()

model.compile(loss=losses.BinaryCrossentropy(),
              optimizer='adam',
              metrics=[tf.metrics.BinaryAccuracy(threshold=0.5)])

epochs = 15
history = model.fit(
    train_ds,
    validation_data=val_ds,
    epochs=epochs)

loss, accuracy = model.evaluate(test_ds)

print("Loss: ", loss)
print("Accuracy: ", accuracy)

history_dict = history.history
print(history_dict.keys())
assert sorted(history_dict) == ['binary_accuracy', 'loss', 'val_binary_accuracy', 'val_loss']

acc = history_dict['binary_accuracy']
val_acc = history_dict['val_binary_accuracy']
loss = history_dict['loss']
val_loss = history_dict['val_loss']

epochs = range(1, len(acc) + 1)

# "bo" is for "blue dot"
plt.plot(epochs, loss, 'bo', label='Training loss')
# b is for "solid blue line"
plt.plot(epochs, val_loss, 'b', label='Validation loss')
plt.title('Training and validation loss')
plt.xlabel('Epochs')
plt.ylabel('Loss')
plt.legend()
plt.show()

plt.plot(epochs, acc, 'bo', label='Training acc')
plt.plot(epochs, val_acc, 'b', label='Validation acc')
plt.title('Training and validation accuracy')
plt.xlabel('Epochs')
plt.ylabel('Accuracy')
plt.legend(loc='lower right')
plt.show()
assert loss[-1] < loss[0] and acc[-1] > 0.6, history_dict

export_model = tf.keras.Sequential([
    vectorize_layer,
    model,
    layers.Activation('sigmoid')
])

export_model.compile(
    loss=losses.BinaryCrossentropy(from_logits=False), optimizer="adam", metrics=['accuracy']
)

# Test it with `raw_test_ds`, which yields raw strings
metrics = export_model.evaluate(raw_test_ds, return_dict=True)
print(metrics)
assert sorted(metrics) == ['accuracy', 'loss']

examples = tf.constant([
    "The movie was great!",
    "The movie was okay.",
    "The movie was terrible..."
])

predictions = export_model.predict(examples)
print(predictions)
assert predictions.shape == (3, 1) and ((predictions > 0.5) & (predictions < 0.75)).all()
plt.close('all')
