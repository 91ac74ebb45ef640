"""The Deep Learning Workshop, chapter 6: SimpleRNN, LSTM, GRU, bidirectional and stacked LSTM
sentiment models on IMDB (Exercises 6.01-6.05), and Activity 6.01 (Amazon product reviews).

The book, as written (Exercises 6.01-6.05)::

    np.random.seed(42); tf.random.set_seed(42)
    (X_train, y_train), (X_test, y_test) = imdb.load_data(num_words=8000)      # vocab_size = 8000
    X_train = pad_sequences(X_train, maxlen=200); X_test = pad_sequences(X_test, maxlen=200)
    model = Sequential([Embedding(vocab_size, output_dim=32), SpatialDropout1D(0.4),
                        <RNN part>, Dropout(0.4), Dense(1, activation='sigmoid')])
    model.compile(loss='binary_crossentropy', optimizer='rmsprop', metrics=['accuracy'])
    model.fit(X_train, y_train, validation_split=0.2, batch_size=128, epochs=<N>)
    y_test_pred = model.predict_classes(X_test); print(accuracy_score(y_test, y_test_pred))

    RNN part                                        params  epochs  book's test accuracy
    SimpleRNN(32)                                    2,080    10    0.85128   (Ex 6.01)
    LSTM(32)                                         8,320     5    0.87032   (Ex 6.02)
    GRU(32, reset_after=False)                       6,240     4    0.87156   (Ex 6.03)
    Bidirectional(LSTM(32))                         16,640     4    0.877     (Ex 6.04)
    LSTM(32, return_sequences=True) -> LSTM(32)     16,640     4    0.87572   (Ex 6.05, Dropout 0.5)

Then the book classifies raw sentences ("An excellent movie!" -> 1, "Don't watch this movie -
poor acting, poor script, bad direction." -> 0) with ``text_to_word_sequence`` and a vocabulary
made from ``imdb.get_word_index()``, and summarises the five models in a table (parameters,
training time, test accuracy).

Quirks reproduced as written, and one corrected:

* The book's raw-text pipeline looks words up in ``get_word_index()`` directly
  (``preprocess("An excellent movie!") == [32, 318, 17]``), but ``load_data`` shifted every id by
  ``index_from=3`` and started each review with the start mark 1: the model was trained on
  ``[1, 35, 321, 20]`` for those words, so the book feeds it *other* words ("an excellent movie"
  becomes roughly "i ... was" three ranks up).  The script prints the prediction with the book's
  mapping and with the corrected one (start mark, rank + 3, ids >= 8000 -> 2, pre-padded to 200).
* ``predict_classes`` (removed from Keras) is ``(predict(x) > 0.5).astype("int32")``.
* The book's summaries show ``(None, None, 32)`` because the Embedding has no ``input_length``;
  minidl builds the model on the padded data's shape, so its summary shows ``(None, 200, 32)``
  (the parameter counts are the same).

Activity 6.01 (``--model amazon``): the book's sampled Amazon product reviews
(``Amazon_reviews_train.csv`` / ``Amazon_reviews_test.csv``, columns ``review_text,label``,
25,000 each) are not available here.  Give ``--reviews-csv path/to/Amazon_reviews_train.csv``
(the test file is found by replacing "train" with "test" in the name, or give
``--reviews-test-csv``) to run the activity on them; otherwise the SAME pipeline and model run on
the IMDB review texts (train 25,000 / test 25,000, ``<br />`` removed, each split shuffled with
the seed so that ``validation_split`` does not take only positive reviews) and the first output
line says so.  The pipeline: lower-case, ``nltk.word_tokenize`` (minidl's Punkt-style sentence
splitter + NLTK Treebank tokenizer), drop the 179 NLTK English stop words and punctuation, Porter
stems, ``Tokenizer(num_words=10000)``, ``pad_sequences(maxlen=100)``; model Embedding(10000, 32)
-> SpatialDropout1D(0.4) -> LSTM(64, return_sequences) -> LSTM(64) -> Dropout(0.4) -> Dense(32,
relu) -> Dropout(0.5) -> Dense(32, relu) -> Dropout(0.5) -> Dense(1, sigmoid) (381,025 params);
rmsprop, 5 epochs, batch 128, validation_split 0.2.  Book: accuracy 0.85864, confusion matrix
``[[10226, 1931], [1603, 11240]]``.  The tokenised, stemmed texts are cached (they take minutes).

Data: Keras's pre-tokenised ``imdb.npz`` is not available here; minidl builds the same kind of
arrays from the raw aclImdb texts (see ``minidl/datasets/imdb.py``).  On these texts Keras 3
itself reached SimpleRNN 0.860, LSTM 0.860, GRU 0.859 (one run each).

    python examples/book_ch6_imdb_rnn.py --model all      # the five models of the chapter
    python examples/book_ch6_imdb_rnn.py --model gru
    python examples/book_ch6_imdb_rnn.py --model amazon   # Act 6.01 (IMDB substitute)
    python examples/book_ch6_imdb_rnn.py --quick
"""

import gzip
import hashlib
import json
import os
import pathlib
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np
from _common import parse_args, setup, write_metrics

from minidl import viz
from minidl.datasets import imdb
from minidl.datasets._resolve import cache_dir
from minidl.fileio import atomic_write_bytes
from minidl.layers import GRU, LSTM, Bidirectional, Dense, Dropout, Embedding, SimpleRNN, SpatialDropout1D
from minidl.models import Sequential
from minidl.preprocessing import nlp
from minidl.preprocessing.sequence import pad_sequences
from minidl.preprocessing.text import Tokenizer, text_to_word_sequence

VOCAB_SIZE = 8000
MAXLEN = 200
CHAPTER_MODELS = ("rnn", "lstm", "gru", "bilstm", "stacked")
MODEL_INFO = {  # name, exercise, epochs, book's RNN-part parameters, book's total, book's accuracy
    "rnn": ("Plain RNN", "Ex 6.01", 10, 2080, 258113, 0.85128),
    "lstm": ("LSTM", "Ex 6.02", 5, 8320, 264353, 0.87032),
    "gru": ("GRU", "Ex 6.03", 4, 6240, 262273, 0.87156),
    "bilstm": ("Bi-directional LSTM", "Ex 6.04", 4, 16640, 272705, 0.877),
    "stacked": ("Stacked LSTM", "Ex 6.05", 4, 16640, 272673, 0.87572),
}
BOOK_TRAINING_TIME = {"rnn": "Low", "lstm": "High", "gru": "Medium-High", "bilstm": "Very High", "stacked": "Very High"}
RAW_REVIEWS = ("An excellent movie!", "Don't watch this movie - poor acting, poor script, bad direction.")
AMAZON_VOCAB = 10000
AMAZON_MAXLEN = 100
AMAZON_REFERENCE = {"accuracy": 0.85864, "confusion_matrix": [[10226, 1931], [1603, 11240]]}


def add_arguments(parser):
    parser.add_argument("--model", choices=[*CHAPTER_MODELS, "all", "amazon"], default="all",
                        help="which exercise to run: one model, all five (default), or Activity 6.01")
    parser.add_argument("--reviews-csv", default=None,
                        help="Act 6.01: the book's Amazon_reviews_train.csv (columns review_text,label)")
    parser.add_argument("--reviews-test-csv", default=None,
                        help="Act 6.01: the test CSV (default: the train path with 'train' -> 'test')")


def rnn_part(name):
    """The layers between SpatialDropout1D and the output Dense, per exercise."""
    if name == "rnn":
        return [SimpleRNN(32), Dropout(0.4)]
    if name == "lstm":
        return [LSTM(32), Dropout(0.4)]
    if name == "gru":
        return [GRU(32, reset_after=False), Dropout(0.4)]
    if name == "bilstm":
        return [Bidirectional(LSTM(32)), Dropout(0.4)]
    if name == "stacked":
        return [LSTM(32, return_sequences=True), LSTM(32, return_sequences=False), Dropout(0.5)]
    raise ValueError(f"unknown model {name!r}")


def build_chapter_model(name, maxlen):
    model = Sequential()
    model.add(Embedding(VOCAB_SIZE, output_dim=32))
    model.add(SpatialDropout1D(0.4))
    for layer in rnn_part(name):
        model.add(layer)
    model.add(Dense(1, activation="sigmoid"))
    model.compile(loss="binary_crossentropy", optimizer="rmsprop", metrics=["accuracy"])
    model.build((None, maxlen))
    return model


def predict_classes(model, x):
    return (model.predict(x, batch_size=512) > 0.5).astype("int32")


def book_preprocess(review, vocab_map):
    """The book's mapping: get_word_index() ranks used as ids (off by index_from=3)."""
    return [vocab_map.get(token) for token in text_to_word_sequence(review)]


def corrected_preprocess(review, word_index, maxlen, index_from=3, start_char=1, oov_char=2):
    """The ids load_data gave the training reviews: start mark, rank + index_from, OOV past 8000."""
    ids = [start_char]
    for token in text_to_word_sequence(review):
        rank = word_index.get(token)
        ids.append(rank + index_from if rank is not None and rank + index_from < VOCAB_SIZE else oov_char)
    return pad_sequences([ids], maxlen=maxlen)


def run_chapter(names, args, out):
    (x_train, y_train), (x_test, y_test) = imdb.load_data(num_words=VOCAB_SIZE)
    print(type(x_train))
    print(type(x_train[5]))
    print(x_train[5])
    maxlen = MAXLEN
    if args.quick:
        x_train, y_train, x_test, y_test = x_train[:400], y_train[:400], x_test[:200], y_test[:200]
        maxlen = 40
    x_train = pad_sequences(x_train, maxlen=maxlen)
    x_test = pad_sequences(x_test, maxlen=maxlen)
    print(x_train[5])

    word_map = imdb.get_word_index()
    vocab_map = dict(sorted(word_map.items(), key=lambda item: item[1])[:VOCAB_SIZE])
    rows, metrics = [], {}
    for name in names:
        label, exercise, epochs, _, _, reference = MODEL_INFO[name]
        epochs = args.epochs if args.epochs is not None else (1 if args.quick else epochs)
        print(f"\n=== {exercise}: {label} ({epochs} epochs) ===")
        model = build_chapter_model(name, maxlen)
        model.summary()
        started = time.perf_counter()
        history = model.fit(x_train, y_train, validation_split=0.2, batch_size=args.batch_size, epochs=epochs)
        training_time = time.perf_counter() - started
        y_test_pred = predict_classes(model, x_test)
        accuracy = float(np.mean(y_test_pred[:, 0] == y_test))
        print(accuracy)
        for review in RAW_REVIEWS:
            book_ids = book_preprocess(review, vocab_map)
            book_probability = float(model.predict(np.array([book_ids]))[0, 0])
            fixed_probability = float(model.predict(corrected_preprocess(review, word_map, maxlen))[0, 0])
            book_class, fixed_class = int(book_probability > 0.5), int(fixed_probability > 0.5)
            print(f"{review!r}: book's ids {book_ids} -> {book_class} (p={book_probability:.3f}); corrected ids "
                  f"(start mark, rank + 3, padded) -> {fixed_class} (p={fixed_probability:.3f})")
            metrics[f"{name}_raw_review_{RAW_REVIEWS.index(review)}_class"] = fixed_class
        rnn_parameters = sum(layer.count_params() for layer in model.layers
                             if isinstance(layer, (SimpleRNN, LSTM, GRU, Bidirectional)))
        rows.append((label, rnn_parameters, model.count_params(), training_time, accuracy, reference))
        metrics[f"{name}_test_accuracy"] = accuracy
        metrics[f"{name}_training_time_s"] = training_time
        metrics[f"{name}_final_val_accuracy"] = float(history.history["val_accuracy"][-1])
        metrics[f"{name}_params"] = model.count_params()

    print("\nComparing the models (book: Figure 6.23)")
    print(f"{'Model':<22}{'RNN layer parameters':>22}{'Total':>10}{'Training time':>16}{'Test accuracy':>15}"
          f"{'Book':>8}{'Book time':>14}")
    for (label, rnn_parameters, total, seconds, accuracy, reference), name in zip(rows, names):
        print(f"{label:<22}{rnn_parameters:>22,}{total:>10,}{seconds:>15.1f}s{accuracy:>15.2%}"
              f"{reference:>8.1%}{BOOK_TRAINING_TIME[name]:>14}")
    metrics["lab_reference"] = {name: {"test_accuracy": MODEL_INFO[name][5], "params": MODEL_INFO[name][4]}
                                for name in names}
    return metrics


# -- Activity 6.01 ---------------------------------------------------------------------------

def _clean(tokens_of_review):
    unwanted = set(nlp.PUNCTUATION) | set(nlp.ENGLISH_STOP_WORDS)
    return nlp.drop_tokens(tokens_of_review, unwanted)


def _tokenize_chunk(texts):
    """Lower-case, word_tokenize and drop stop words/punctuation (runs in worker processes)."""
    return [_clean(nlp.word_tokenize(text.lower())) for text in texts]


def stemmed_texts(texts, workers):
    """The book's steps 3-7: tokens, stop words out, Porter stems, joined with spaces."""
    chunks = [texts[start:start + 500] for start in range(0, len(texts), 500)]
    if workers > 1 and len(chunks) > 1:
        with ProcessPoolExecutor(workers) as pool:
            tokens = [review for chunk in pool.map(_tokenize_chunk, chunks) for review in chunk]
    else:
        tokens = [review for chunk in chunks for review in _tokenize_chunk(chunk)]
    vocabulary = sorted({token for review in tokens for token in review})
    stem_of = dict(zip(vocabulary, nlp.porter_stem(vocabulary)))  # each distinct token stemmed once
    return tokens, [" ".join(stem_of[token] for token in review) for review in tokens]


def prepared_texts(texts, workers, cache=True):
    """``(first review's tokens, stemmed texts)``; memoised on disk, keyed by the texts' hash,
    because tokenising IMDB takes minutes."""
    if not cache:
        tokens, texts_out = stemmed_texts(texts, workers)
        return tokens[0], texts_out
    digest = hashlib.sha256("\x00".join(texts).encode("utf-8")).hexdigest()[:16]
    path = cache_dir() / "imdb" / f"act601-stemmed-{digest}-v1.json.gz"
    if path.is_file():
        with gzip.open(path, "rt", encoding="utf-8") as stream:
            stored = json.load(stream)
        return stored["first_tokens"], stored["texts"]
    tokens, texts_out = stemmed_texts(texts, workers)
    try:
        stored = json.dumps({"first_tokens": tokens[0], "texts": texts_out}).encode("utf-8")
        atomic_write_bytes(path, gzip.compress(stored))
    except OSError:
        pass  # a read-only cache only costs time
    return tokens[0], texts_out


def load_amazon_csv(train_path, test_path):
    import csv

    def read(path):
        with open(path, newline="", encoding="utf-8") as stream:
            rows = list(csv.DictReader(stream))
        if not rows or "review_text" not in rows[0] or "label" not in rows[0]:
            raise ValueError(f"{path}: expected a CSV with columns review_text,label (the book's Amazon sample)")
        return [row["review_text"] for row in rows], np.array([int(row["label"]) for row in rows], dtype=np.int64)

    if test_path is None:
        name = pathlib.Path(train_path).name
        if "train" not in name:
            raise ValueError(f"--reviews-csv {train_path}: cannot guess the test file; pass --reviews-test-csv")
        test_path = pathlib.Path(train_path).with_name(name.replace("train", "test"))
    return read(train_path), read(test_path)


def run_amazon(args, out):
    if args.reviews_csv:
        print(f"Activity 6.01 on the user's Amazon reviews: {args.reviews_csv}")
        (train_raw, train_labels), (test_raw, test_labels) = load_amazon_csv(args.reviews_csv, args.reviews_test_csv)
    else:
        print("SUBSTITUTE: the Amazon product reviews of Activity 6.01 are not available here; running the same "
              "pipeline and model on IMDB review texts (give --reviews-csv for the real data)")
        (train_raw, train_labels), (test_raw, test_labels) = imdb.load_texts()
        rng = np.random.RandomState(args.seed)
        train_order, test_order = rng.permutation(len(train_raw)), rng.permutation(len(test_raw))
        train_raw = [train_raw[i].replace("<br />", " ") for i in train_order]
        test_raw = [test_raw[i].replace("<br />", " ") for i in test_order]
        train_labels, test_labels = train_labels[train_order], test_labels[test_order]
    if args.quick:
        train_raw, train_labels, test_raw, test_labels = train_raw[:300], train_labels[:300], test_raw[:150], test_labels[:150]
    print(len(train_raw), len(test_raw))
    print([review[:200] for review in train_raw[:2]])
    workers = min(4, os.cpu_count() or 1)
    started = time.perf_counter()
    first_tokens, train_texts = prepared_texts(list(train_raw), workers, cache=not args.quick)
    _, test_texts = prepared_texts(list(test_raw), workers, cache=not args.quick)
    print(f"(text preparation {time.perf_counter() - started:.1f}s)")
    print(first_tokens)
    print(train_texts[0])

    tok = Tokenizer(num_words=AMAZON_VOCAB)
    tok.fit_on_texts(train_texts)
    train_sequences = tok.texts_to_sequences(train_texts)
    test_sequences = tok.texts_to_sequences(test_texts)
    print(train_sequences[0])
    seq_lens = [len(seq) for seq in train_sequences]
    counts, edges = np.histogram(seq_lens)
    print("review lengths (histogram):", list(zip(np.round(edges[:-1]).astype(int).tolist(), counts.tolist())))
    _save_length_histogram(seq_lens, out / "act601_lengths.png")
    x_train = pad_sequences(train_sequences, maxlen=AMAZON_MAXLEN)
    x_test = pad_sequences(test_sequences, maxlen=AMAZON_MAXLEN)
    print(x_train.shape)

    model_lstm = Sequential()
    model_lstm.add(Embedding(AMAZON_VOCAB, output_dim=32))
    model_lstm.add(SpatialDropout1D(0.4))
    model_lstm.add(LSTM(64, return_sequences=True))
    model_lstm.add(LSTM(64, return_sequences=False))
    model_lstm.add(Dropout(0.4))
    model_lstm.add(Dense(32, activation="relu"))
    model_lstm.add(Dropout(0.5))
    model_lstm.add(Dense(32, activation="relu"))
    model_lstm.add(Dropout(0.5))
    model_lstm.add(Dense(1, activation="sigmoid"))
    model_lstm.compile(loss="binary_crossentropy", optimizer="rmsprop", metrics=["accuracy"])
    model_lstm.build((None, AMAZON_MAXLEN))
    model_lstm.summary()
    epochs = args.epochs if args.epochs is not None else (1 if args.quick else 5)
    started = time.perf_counter()
    model_lstm.fit(x_train, train_labels, validation_split=0.2, batch_size=args.batch_size, epochs=epochs)
    training_time = time.perf_counter() - started
    test_pred = predict_classes(model_lstm, x_test)[:, 0]
    matrix = [[int(np.sum((test_labels == truth) & (test_pred == guess))) for guess in (0, 1)] for truth in (0, 1)]
    print(np.array(matrix))
    accuracy = float(np.mean(test_pred == test_labels))
    print(accuracy)
    return {"amazon_data": "user CSV" if args.reviews_csv else "IMDB substitute",
            "amazon_test_accuracy": accuracy, "amazon_confusion_matrix": matrix,
            "amazon_training_time_s": training_time, "amazon_params": model_lstm.count_params(),
            "lab_reference": {"amazon": AMAZON_REFERENCE}}


def _save_length_histogram(lengths, path):
    plt = viz.pyplot()
    figure, axis = plt.subplots(figsize=(5, 4))
    axis.hist(lengths)
    axis.set_title("review lengths (tokens)")
    figure.tight_layout()
    viz.save_figure(figure, path, dpi=80)


def main(argv=None):
    args = parse_args(__doc__, epochs=10, batch_size=128, extra_arguments=add_arguments, argv=argv)
    if not _epochs_given(argv):
        args.epochs = None  # each exercise uses the book's own epochs
    started = time.perf_counter()
    out = setup(args, "book_ch6_imdb_rnn")
    if args.model == "amazon":
        metrics = run_amazon(args, out)
    else:
        names = CHAPTER_MODELS if args.model == "all" else (args.model,)
        metrics = run_chapter(names, args, out)
        if args.quick and args.model == "all":
            amazon = run_amazon(args, out)
            metrics["lab_reference"].update(amazon.pop("lab_reference"))
            metrics.update(amazon)
    write_metrics(out, metrics, args, started)
    return metrics


def _epochs_given(argv):
    import sys

    given = sys.argv[1:] if argv is None else argv
    return any(item.split("=")[0] == "--epochs" for item in given)


if __name__ == "__main__":
    np.set_printoptions(linewidth=120)
    main()
