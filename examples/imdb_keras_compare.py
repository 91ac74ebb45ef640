"""minidl against TensorFlow/Keras on the IMDB labs: the same model, the same arrays, several seeds.

For each lab the script trains the minidl model and its Keras twin on exactly the same arrays
(``minidl.datasets.imdb.load_data`` + ``minidl.preprocessing.sequence.pad_sequences``, so both
frameworks see the same word ids, the same padding and the same train/validation/test rows), with
the same layers, optimizer, loss, batch size and epochs, once per seed.  It reports every test
accuracy, each framework's mean over the seeds, and the difference minidl mean - Keras mean.

    lab      model                                                      training
    lm6      Embedding(5000, 32, input_length=500) -> LSTM(100)         adam, batch 64, 3 epochs,
             -> Dense(1, sigmoid)  (examples/lstm_imdb.py)              validation = first 64 train
                                                                        reviews, test = evaluate()
    ex6.01   Embedding(8000, 32) -> SpatialDropout1D(0.4) -> SimpleRNN(32)
             -> Dropout(0.4) -> Dense(1, sigmoid)                       rmsprop, batch 128, 10 epochs
    ex6.02   ... LSTM(32) ...                                           rmsprop, batch 128, 5 epochs
    ex6.03   ... GRU(32, reset_after=False) ...                         rmsprop, batch 128, 4 epochs
             (Ex 6.01-6.03: examples/book_ch6_imdb_rnn.py, maxlen 200, validation_split 0.2,
             test accuracy = mean(predict(x_test) > 0.5 == y_test), as the book computes it)

The minidl models are the ones the lab scripts build (imported from them); the Keras models are
written here with the same layers and arguments.  Both use binary cross-entropy and their
framework's default optimizer settings.  Seeds: ``minidl.set_seed(seed)`` and
``keras.utils.set_random_seed(seed)`` before each run.  TensorFlow keeps its own thread defaults.

The bar: over the seeds, minidl's mean test accuracy is at most 0.01 below Keras's
(minidl mean - Keras mean >= -0.01), for every lab.

Keras needs TensorFlow (``pip install tensorflow-cpu``).  Without it the script says so on one
line, runs minidl only and records ``"not installed"`` for Keras in metrics.json; it never
makes up Keras numbers.  ``--backend cupy`` moves only minidl to the GPU; Keras runs wherever
TensorFlow puts it (the CPU with tensorflow-cpu), so compare wall times with that in mind.

``--seeds`` sets the seeds (``--seed`` is ignored).  ``--epochs`` and ``--batch-size``, when
given, replace every lab's own values.  ``--quick`` trains on 640 / tests on 256 reviews with
maxlen 100, 1 epoch and the first seed only.

    python examples/imdb_keras_compare.py                        # all four labs, seeds 0,1,2
    python examples/imdb_keras_compare.py --lab lm6              # one lab
    python examples/imdb_keras_compare.py --lab ex6.02 --seeds 0,1,2,3,4
    python examples/imdb_keras_compare.py --frameworks minidl    # minidl only
    python examples/imdb_keras_compare.py --quick                # a smoke run on a small subset
"""

import argparse
import dataclasses
import os
import sys
import time

import numpy as np
from _common import parse_args, setup, write_metrics
from book_ch6_imdb_rnn import MAXLEN as CHAPTER_MAXLEN
from book_ch6_imdb_rnn import MODEL_INFO, build_chapter_model
from book_ch6_imdb_rnn import VOCAB_SIZE as CHAPTER_VOCAB_SIZE
from lstm_imdb import EMBEDDING_SIZE, MAX_WORDS, VOCABULARY_SIZE

import minidl
from minidl.datasets import imdb
from minidl.layers import LSTM, Dense, Embedding
from minidl.models import Sequential
from minidl.preprocessing.sequence import pad_sequences

BAR = -0.01  # minidl mean - Keras mean must be at least this
FRAMEWORKS = ("minidl", "keras")
QUICK_TRAIN_REVIEWS = 640
QUICK_TEST_REVIEWS = 256
QUICK_MAXLEN = 100


@dataclasses.dataclass(frozen=True)
class Lab:
    key: str
    title: str
    vocab_size: int
    maxlen: int
    epochs: int
    batch_size: int
    chapter_model: str | None  # book_ch6_imdb_rnn's model name; None for LM-6
    reference: float  # the lab's own test accuracy (Keras on the pre-tokenised imdb.npz)


def _chapter_lab(key, chapter_model):
    label, exercise, epochs, _, _, reference = MODEL_INFO[chapter_model]
    return Lab(key, f"DLW {exercise} ({label})", CHAPTER_VOCAB_SIZE, CHAPTER_MAXLEN, epochs, 128,
               chapter_model, reference)


LABS = {
    "lm6": Lab("lm6", "LM-6 (LSTM)", VOCABULARY_SIZE, MAX_WORDS, 3, 64, None, 0.86964),
    "ex6.01": _chapter_lab("ex6.01", "rnn"),
    "ex6.02": _chapter_lab("ex6.02", "lstm"),
    "ex6.03": _chapter_lab("ex6.03", "gru"),
}


# -- command line ----------------------------------------------------------------------------

def _seed_list(text):
    try:
        seeds = [int(item) for item in text.split(",") if item.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None
    if not seeds:
        raise argparse.ArgumentTypeError("give at least one seed")
    return seeds


def _framework_list(text):
    names = [item.strip() for item in text.split(",") if item.strip()]
    unknown = sorted(set(names) - set(FRAMEWORKS))
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"choose from {','.join(FRAMEWORKS)}, got {text!r}")
    return [name for name in FRAMEWORKS if name in names]


def add_arguments(parser):
    parser.add_argument("--lab", choices=[*LABS, "all"], default="all",
                        help="which lab to compare (default: all four)")
    parser.add_argument("--seeds", type=_seed_list, default=[0, 1, 2],
                        help="comma-separated seeds, one run per seed and framework (default: 0,1,2; "
                             "--seed is ignored; --quick uses the first seed only)")
    parser.add_argument("--frameworks", type=_framework_list, default=list(FRAMEWORKS),
                        help="comma-separated frameworks to run (default: minidl,keras)")


def _option_given(argv, option):
    given = sys.argv[1:] if argv is None else argv
    return any(item == option or item.startswith(option + "=") for item in given)


# -- data ------------------------------------------------------------------------------------

def load_arrays(lab, quick):
    """``(x_train, y_train, x_test, y_test)``: the lab's padded IMDB arrays, shared by both frameworks."""
    (x_train, y_train), (x_test, y_test) = imdb.load_data(num_words=lab.vocab_size)
    maxlen = lab.maxlen
    if quick:
        x_train, y_train = x_train[:QUICK_TRAIN_REVIEWS], y_train[:QUICK_TRAIN_REVIEWS]
        x_test, y_test = x_test[:QUICK_TEST_REVIEWS], y_test[:QUICK_TEST_REVIEWS]
        maxlen = QUICK_MAXLEN
    x_train = pad_sequences(x_train, maxlen=maxlen)
    x_test = pad_sequences(x_test, maxlen=maxlen)
    return x_train, y_train, x_test, y_test


# -- the models ------------------------------------------------------------------------------

def build_minidl_model(lab, maxlen):
    if lab.chapter_model is not None:
        return build_chapter_model(lab.chapter_model, maxlen)
    model = Sequential()
    model.add(Embedding(lab.vocab_size, EMBEDDING_SIZE, input_length=maxlen))
    model.add(LSTM(100))
    model.add(Dense(1, activation="sigmoid"))
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    model.build((None, maxlen))
    return model


def _keras_recurrent_part(layers, chapter_model):
    """The Keras twin of book_ch6_imdb_rnn.rnn_part for Ex 6.01-6.03."""
    if chapter_model == "rnn":
        return [layers.SimpleRNN(32), layers.Dropout(0.4)]
    if chapter_model == "lstm":
        return [layers.LSTM(32), layers.Dropout(0.4)]
    if chapter_model == "gru":
        return [layers.GRU(32, reset_after=False), layers.Dropout(0.4)]
    raise ValueError(f"no Keras twin for chapter model {chapter_model!r}")


def build_keras_model(keras, lab, maxlen):
    layers = keras.layers
    stack = [keras.Input(shape=(maxlen,), dtype="int32")]
    if lab.chapter_model is None:
        stack += [layers.Embedding(lab.vocab_size, EMBEDDING_SIZE), layers.LSTM(100)]
        optimizer = "adam"
    else:
        stack += [layers.Embedding(lab.vocab_size, 32), layers.SpatialDropout1D(0.4)]
        stack += _keras_recurrent_part(layers, lab.chapter_model)
        optimizer = "rmsprop"
    stack.append(layers.Dense(1, activation="sigmoid"))
    model = keras.Sequential(stack)
    model.compile(loss="binary_crossentropy", optimizer=optimizer, metrics=["accuracy"])
    return model


def load_keras():
    """Keras on TensorFlow, or None (with one line saying why) when TensorFlow is not importable."""
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        import tensorflow
    except ImportError:
        print("Keras is not installed (TensorFlow cannot be imported): running minidl only; "
              "`pip install tensorflow-cpu` to compare with Keras")
        return None
    # every run builds a new model, so TensorFlow's "tf.function retracing" warnings are expected
    tensorflow.get_logger().setLevel("ERROR")
    try:
        import keras
    except ImportError:
        from tensorflow import keras
    return keras


def keras_versions(keras):
    import tensorflow

    return {"keras": keras.__version__, "tensorflow": tensorflow.__version__}


# -- one run ---------------------------------------------------------------------------------

def fit_lab(model, lab, arrays, epochs, batch_size, verbose):
    """Train as the lab does; the calls are the same for minidl and Keras. Returns the history."""
    x_train, y_train, _, _ = arrays
    if lab.chapter_model is None:
        # LM-6: the "validation set" is the first batch of the training set
        x_valid, y_valid = x_train[:batch_size], y_train[:batch_size]
        return model.fit(x_train[batch_size:], y_train[batch_size:], validation_data=(x_valid, y_valid),
                         batch_size=batch_size, epochs=epochs, verbose=verbose)
    return model.fit(x_train, y_train, validation_split=0.2, batch_size=batch_size, epochs=epochs,
                     verbose=verbose)


def measure_test_accuracy(model, lab, arrays):
    """The lab's test accuracy: evaluate() for LM-6, predicted classes for the book's exercises."""
    _, _, x_test, y_test = arrays
    if lab.chapter_model is None:
        return float(model.evaluate(x_test, y_test, verbose=0)[1])
    predicted = (np.asarray(model.predict(x_test, batch_size=512, verbose=0)) > 0.5).astype("int32")
    return float(np.mean(predicted[:, 0] == y_test))


def run_once(framework, keras, lab, arrays, seed, epochs, batch_size):
    """Seed, build, train and test one model; returns its numbers and wall time."""
    started = time.perf_counter()
    maxlen = arrays[0].shape[1]
    if framework == "minidl":
        minidl.set_seed(seed)
        model = build_minidl_model(lab, maxlen)
    else:
        keras.backend.clear_session()
        keras.utils.set_random_seed(seed)
        model = build_keras_model(keras, lab, maxlen)
    history = fit_lab(model, lab, arrays, epochs, batch_size, verbose=2)
    accuracy = measure_test_accuracy(model, lab, arrays)
    wall_time = time.perf_counter() - started
    print(f"{lab.title} {framework} seed {seed}: test accuracy {accuracy:.4f}, wall time {wall_time:.1f} s")
    return {
        "test_accuracy": accuracy,
        "final_val_accuracy": float(history.history["val_accuracy"][-1]),
        "wall_time_s": round(wall_time, 2),
        "params": int(model.count_params()),
    }


def run_framework(framework, keras, lab, arrays, seeds, epochs, batch_size):
    """All seeds of one framework on one lab, gathered into lists (one entry per seed)."""
    runs = [run_once(framework, keras, lab, arrays, seed, epochs, batch_size) for seed in seeds]
    accuracies = [run["test_accuracy"] for run in runs]
    return {
        "seeds": list(seeds),
        "test_accuracy": accuracies,
        "mean_test_accuracy": float(np.mean(accuracies)),
        "final_val_accuracy": [run["final_val_accuracy"] for run in runs],
        "wall_time_s": [run["wall_time_s"] for run in runs],
        "params": runs[0]["params"],
    }


def compare_lab(lab, frameworks, keras, keras_status, seeds, args):
    epochs = args.epochs if args.epochs is not None else (1 if args.quick else lab.epochs)
    batch_size = args.batch_size if args.batch_size is not None else lab.batch_size
    arrays = load_arrays(lab, args.quick)
    x_train, _, x_test, _ = arrays
    print(f"\n=== {lab.title}: {len(x_train)} train / {len(x_test)} test reviews, maxlen {x_train.shape[1]}, "
          f"epochs {epochs}, batch {batch_size}, seeds {seeds} ===")
    result = {"title": lab.title, "epochs": epochs, "batch_size": batch_size, "maxlen": int(x_train.shape[1]),
              "train_reviews": len(x_train), "test_reviews": len(x_test), "lab_reference": lab.reference}
    for framework in FRAMEWORKS:
        if framework not in frameworks:
            result[framework] = "not requested"
        elif framework == "keras" and keras is None:
            result[framework] = keras_status
        else:
            result[framework] = run_framework(framework, keras, lab, arrays, seeds, epochs, batch_size)
    _add_difference(result)
    return result


def _add_difference(result):
    minidl_result, keras_result = result["minidl"], result["keras"]
    if isinstance(minidl_result, dict) and isinstance(keras_result, dict):
        difference = minidl_result["mean_test_accuracy"] - keras_result["mean_test_accuracy"]
        result["difference_minidl_minus_keras"] = float(difference)
        result["meets_bar"] = bool(difference >= BAR)
        if minidl_result["params"] != keras_result["params"]:
            print(f"warning: {result['title']}: minidl has {minidl_result['params']:,} parameters, "
                  f"Keras {keras_result['params']:,}")
    else:
        result["difference_minidl_minus_keras"] = None
        result["meets_bar"] = None


# -- report ----------------------------------------------------------------------------------

def print_table(results, seeds):
    seed_columns = "".join(f"{'seed ' + str(seed):>9}" for seed in seeds)
    print(f"\n{'lab':<30}{'framework':<11}{seed_columns}{'mean':>9}{'wall s':>9}")
    for result in results.values():
        for framework in FRAMEWORKS:
            print(f"{result['title']:<30}{framework:<11}{_framework_columns(result[framework], seeds)}")
        difference = result["difference_minidl_minus_keras"]
        if difference is not None:
            verdict = "meets the bar" if result["meets_bar"] else "MISSES the bar"
            print(f"{'':<30}minidl - keras = {difference:+.4f} ({verdict}: >= {BAR})")


def _framework_columns(entry, seeds):
    if not isinstance(entry, dict):
        return f"  ({entry})"
    accuracies = "".join(f"{accuracy:>9.4f}" for accuracy in entry["test_accuracy"])
    return f"{accuracies}{entry['mean_test_accuracy']:>9.4f}{sum(entry['wall_time_s']):>9.1f}"


def main(argv=None):
    args = parse_args(__doc__, epochs=3, batch_size=64, extra_arguments=add_arguments, argv=argv)
    # each lab has its own epochs and batch size; the options replace them only when given
    if not _option_given(argv, "--epochs"):
        args.epochs = None
    if not _option_given(argv, "--batch-size"):
        args.batch_size = None
    started = time.perf_counter()
    out = setup(args, "imdb_keras_compare")
    seeds = args.seeds[:1] if args.quick else args.seeds
    labs = list(LABS.values()) if args.lab == "all" else [LABS[args.lab]]

    keras, keras_status, versions = None, "not requested", {}
    if "keras" in args.frameworks:
        keras = load_keras()
        keras_status = "installed" if keras is not None else "not installed"
        if keras is not None:
            versions = keras_versions(keras)
            print(f"Keras {versions['keras']} on TensorFlow {versions['tensorflow']}")

    results = {lab.key: compare_lab(lab, args.frameworks, keras, keras_status, seeds, args) for lab in labs}
    print_table(results, seeds)
    verdicts = [result["meets_bar"] for result in results.values() if result["meets_bar"] is not None]
    write_metrics(out, {
        "labs": results,
        "seeds": seeds,
        "bar_min_difference": BAR,
        "keras_status": keras_status,
        "versions": versions,
        "all_labs_meet_bar": all(verdicts) if verdicts else None,
    }, args, started)
    return results


if __name__ == "__main__":
    main()
