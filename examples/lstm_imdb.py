"""Lab LM-6 (lab manual): sentiment of IMDB reviews with an Embedding -> LSTM(100) -> Dense model.

The lab, as written::

    (X_train, y_train), (X_test, y_test) = imdb.load_data(num_words=5000)
    X_train = sequence.pad_sequences(X_train, maxlen=500)       # pre-padding, pre-truncation
    model = Sequential([Embedding(5000, 32, input_length=500), LSTM(100), Dense(1, 'sigmoid')])
    model.compile(loss='binary_crossentropy', optimizer='adam', metrics=['accuracy'])
    model.fit(X_train[64:], y_train[64:], validation_data=(X_train[:64], y_train[:64]),
              batch_size=64, epochs=3)
    print('Test accuracy:', model.evaluate(X_test, y_test, verbose=0)[1])       # lab: 0.86964

Quirks reproduced as written: the "validation set" is just the first 64 training reviews (the
first batch), so val_accuracy is measured on 64 samples and is very noisy; the lab decodes a
review with ``get_word_index()`` ids directly, ignoring load_data's ``index_from=3`` offset, so
its decoded words are shifted (the script prints that, then the corrected decoding).

Data: the lab used Keras's pre-tokenised ``imdb.npz``, which is not available here. minidl's
``imdb.load_data`` builds the same kind of arrays from the raw aclImdb review texts (see
``minidl/datasets/imdb.py`` for exactly how the two relate), so word ids and the reference
accuracy differ slightly: on these raw texts Keras itself reaches about 0.82-0.85 with this model.

    python examples/lstm_imdb.py                 # the full lab (3 epochs)
    python examples/lstm_imdb.py --quick         # a smoke run on a small subset
    python examples/lstm_imdb.py --backend cupy  # on an NVIDIA GPU
    mpiexec -n 2 python examples/lstm_imdb.py --distributed   # data parallel on two processes

With ``--distributed`` every rank trains on its half of each batch of 64 and the gradients are
averaged (``minidl.distributed``), so the run trains as the one-process run does; rank 0 prints
and writes ``metrics.json`` (with ``world_size``) and the plot.
"""

import time

import numpy as np
from _common import distribution_scope, is_primary, parse_args, setup, write_metrics

from minidl import viz
from minidl.datasets import imdb
from minidl.layers import LSTM, Dense, Embedding
from minidl.models import Sequential
from minidl.preprocessing.sequence import pad_sequences

VOCABULARY_SIZE = 5000
MAX_WORDS = 500
EMBEDDING_SIZE = 32


def main(argv=None):
    args = parse_args(__doc__, epochs=3, batch_size=64, argv=argv, distributed=True)
    started = time.perf_counter()
    out = setup(args, "lstm_imdb")

    (x_train, y_train), (x_test, y_test) = imdb.load_data(num_words=VOCABULARY_SIZE)
    print(f"Loaded dataset with {len(x_train)} training samples, {len(x_test)} test samples")
    print("---review---")
    print(x_train[6])
    print("---label---")
    print(y_train[6])
    id_to_word = {index: word for word, index in imdb.get_word_index().items()}
    print("---review with words---")
    print([id_to_word.get(i, "") for i in x_train[6]])
    # The lab's lookup (above, as written) ignores load_data's index_from=3 offset, so its
    # words are shifted; the review as it really reads:
    print("---review with words, offset corrected---")
    print([id_to_word.get(i - 3, "?") for i in x_train[6]])
    lengths = [len(review) for review in list(x_train) + list(x_test)]
    print(f"Maximum review length: {max(lengths)}")
    print(f"Minimum review length: {min(lengths)}")

    max_words = MAX_WORDS
    if args.quick:
        x_train, y_train, x_test, y_test = x_train[:640], y_train[:640], x_test[:256], y_test[:256]
        max_words = 100
    x_train = pad_sequences(x_train, maxlen=max_words)
    x_test = pad_sequences(x_test, maxlen=max_words)

    with distribution_scope(args):
        model = Sequential()
        model.add(Embedding(VOCABULARY_SIZE, EMBEDDING_SIZE, input_length=max_words))
        model.add(LSTM(100))
        model.add(Dense(1, activation="sigmoid"))
        model.summary()
        model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])

    batch_size = args.batch_size
    x_valid, y_valid = x_train[:batch_size], y_train[:batch_size]
    x_train2, y_train2 = x_train[batch_size:], y_train[batch_size:]
    print(f"Train on {len(x_train2)} samples, validate on {len(x_valid)} samples")
    history = model.fit(x_train2, y_train2, validation_data=(x_valid, y_valid),
                        batch_size=batch_size, epochs=args.epochs)

    scores = model.evaluate(x_test, y_test, verbose=0)
    print("Test accuracy:", scores[1])
    if is_primary(args):
        viz.plot_history(history, out / "curves.png", title="LM-6 IMDB LSTM")
    write_metrics(out, {
        "test_loss": float(scores[0]), "test_accuracy": float(scores[1]),
        "final_train_accuracy": float(history.history["accuracy"][-1]),
        "final_val_accuracy": float(history.history["val_accuracy"][-1]),
        "lab_reference_test_accuracy": 0.86964,
    }, args, started)
    return scores


if __name__ == "__main__":
    np.set_printoptions(linewidth=120)
    main()
