"""The training loop: data handling, validation split, History, progress output, errors."""

import re

import numpy as np
import pytest

import minidl
from minidl import backend, callbacks
from minidl.layers import Dense, Layer
from minidl.models.sequential import Sequential


class RecordRows(Layer):
    """Identity layer remembering the first column of every batch it sees while training."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seen_training, self.seen_inference = [], []

    def call(self, inputs, training=False):
        target = self.seen_training if training else self.seen_inference
        target.append(backend.to_numpy(inputs.data[:, 0]).copy())
        return inputs


def _ids_model(features=2):
    recorder = RecordRows(input_shape=(features,))
    model = Sequential([recorder, Dense(1, kernel_initializer="zeros")])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    recorder.seen_inference.clear()  # the build-time probe
    return model, recorder


def _ids_data(rows):
    x = np.stack([np.arange(rows), np.zeros(rows)], axis=1).astype("float32")
    return x, np.zeros((rows, 1), "float32")


def test_validation_split_uses_the_last_rows_and_shuffles_only_training(any_backend):
    model, recorder = _ids_model()
    x, y = _ids_data(25_000)
    history = model.fit(x, y, batch_size=2_000, epochs=2, validation_split=0.2, verbose=0)
    trained = np.concatenate(recorder.seen_training)
    validated = np.concatenate(recorder.seen_inference)
    first_epoch, second_epoch = trained[:20_000], trained[20_000:]
    np.testing.assert_array_equal(np.sort(first_epoch), np.arange(20_000))
    np.testing.assert_array_equal(np.sort(second_epoch), np.arange(20_000))
    assert not np.array_equal(first_epoch, second_epoch)  # a new permutation every epoch
    np.testing.assert_array_equal(validated, np.tile(np.arange(20_000, 25_000), 2))  # in order
    assert list(history.history) == ["loss", "mae", "val_loss", "val_mae"]
    assert history.epoch == [0, 1]


def test_shuffle_follows_numpy_global_rng():
    model, recorder = _ids_model()
    x, y = _ids_data(50)
    np.random.seed(3)
    model.fit(x, y, batch_size=50, epochs=1, verbose=0)
    np.random.seed(3)
    np.testing.assert_array_equal(recorder.seen_training[0], np.random.permutation(50))
    recorder.seen_training.clear()
    model.fit(x, y, batch_size=7, epochs=1, verbose=0, shuffle=False)
    np.testing.assert_array_equal(np.concatenate(recorder.seen_training), np.arange(50))
    assert [len(b) for b in recorder.seen_training] == [7] * 7 + [1]


def test_history_keys_for_classification(any_backend):
    minidl.set_seed(0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 4)).astype("float32")
    y = (x[:, 0] > 0).astype("float32")
    model = Sequential([Dense(8, activation="relu", input_dim=4), Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=3, batch_size=16, validation_data=(x, y), verbose=0)
    assert list(history.history) == ["loss", "accuracy", "val_loss", "val_accuracy"]
    assert all(len(values) == 3 and all(isinstance(v, float) for v in values) for values in history.history.values())
    assert model.history is history
    loss, accuracy = model.evaluate(x, y, verbose=0)
    assert history.history["val_loss"][-1] == pytest.approx(loss, rel=1e-5)
    assert model.evaluate(x, y, verbose=0, return_dict=True) == {"loss": loss, "accuracy": accuracy}


def test_epoch_loss_is_batch_size_weighted_mean(any_backend):
    model = Sequential([Dense(1, input_dim=1, kernel_initializer="zeros", use_bias=False)])
    model.compile(optimizer=minidl.optimizers.get({"class_name": "SGD", "config": {"learning_rate": 0.0}}), loss="mse")
    x = np.ones((5, 1), "float32")
    y = np.array([[1], [1], [1], [3], [3]], "float32")  # batches of 3 and 2: losses 1 and 9
    history = model.fit(x, y, batch_size=3, epochs=1, shuffle=False, verbose=0)
    assert history.history["loss"][0] == pytest.approx((3 * 1 + 2 * 9) / 5, rel=1e-6)


def test_no_device_to_host_read_per_batch(monkeypatch):
    minidl.set_backend("simulated")
    model = Sequential([Dense(4, input_dim=3), Dense(1)])
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    x = np.random.default_rng(0).standard_normal((400, 3)).astype("float32")
    model.fit(x, x[:, :1], batch_size=8, epochs=1, verbose=0)  # warm up
    reads = []
    original = backend.to_numpy
    monkeypatch.setattr(backend, "to_numpy", lambda a: reads.append(1) or original(a))
    model.fit(x, x[:, :1], batch_size=8, epochs=2, verbose=0)  # 100 steps
    assert len(reads) <= 4  # the epoch-end logs (one transfer each), not one per batch


def test_progress_output_formats(capsys):
    model = Sequential([Dense(1, input_dim=2)])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    x = np.zeros((100, 2), "float32")
    model.fit(x, x[:, :1], batch_size=10, epochs=2, verbose=1, validation_split=0.2)
    out = capsys.readouterr().out
    assert out.startswith("Epoch 1/2\n")
    final = out.split("Epoch 2/2\n")[1].split("\r")[-1]
    assert re.fullmatch(
        r"8/8 \[={30}\] - \d+s \d+(us|ms|s)/step - loss: \S+ - mae: \S+ - val_loss: \S+ - val_mae: \S+\n", final
    ), final
    model.fit(x, x[:, :1], batch_size=10, epochs=1, verbose=2)
    line = capsys.readouterr().out.splitlines()[1]
    assert re.fullmatch(r"10/10 - \d+s - loss: 0\.0000e\+00 - mae: 0\.0000e\+00", line), line
    model.fit(x, x[:, :1], epochs=1, verbose=0)
    assert capsys.readouterr().out == ""


def test_mismatched_lengths_name_both():
    model = Sequential([Dense(1, input_dim=2)])
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match=r"x has 10.*y has 9"):
        model.fit(np.zeros((10, 2)), np.zeros((9, 1)), verbose=0)


def test_sparse_labels_out_of_range_checked_once_on_host():
    model = Sequential([Dense(3, input_dim=2, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match=r"^fit: sparse_categorical_crossentropy, output 'dense\w*': labels must lie in "
                                         r"\[0, 3\) for 3 classes, got labels from 0 to 3"):
        model.fit(np.zeros((4, 2)), np.array([0, 1, 2, 3]), verbose=0)
    with pytest.raises(ValueError, match=r"from -1 to 1"):
        model.train_on_batch(np.zeros((2, 2)), np.array([-1, 1]))


def test_target_shapes_against_output_shape():
    model = Sequential([Dense(1, input_dim=2)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.zeros((6, 2)), np.zeros(6), verbose=0)  # (n,) against (n, 1) is fine
    with pytest.raises(ValueError, match=r"\(6, 3\).*\(None, 1\)"):
        model.fit(np.zeros((6, 2)), np.zeros((6, 3)), verbose=0)


def test_errors_before_compile_and_bad_validation_data():
    model = Sequential([Dense(1, input_dim=2)])
    with pytest.raises(RuntimeError, match="compile"):
        model.fit(np.zeros((2, 2)), np.zeros((2, 1)))
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match="validation_data"):
        model.fit(np.zeros((2, 2)), np.zeros((2, 1)), validation_data=np.zeros((2, 2)), verbose=0)


def test_terminate_on_nan_stops_training(capsys):
    terminate = callbacks.TerminateOnNaN
    model = Sequential([Dense(1, input_dim=1)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.ones((40, 1), "float32")
    y = np.full((40, 1), np.nan, "float32")
    history = model.fit(x, y, batch_size=4, epochs=5, callbacks=[terminate()], verbose=0)
    assert len(history.epoch) == 1 and np.isnan(history.history["loss"][0])


def test_generators_sequences_and_dataframes(any_backend):
    model = Sequential([Dense(1, input_dim=2)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.ones((12, 2), "float32"), np.zeros((12, 1), "float32")

    def generator():
        while True:
            yield x[:4], y[:4]

    class Batches:
        def __init__(self):
            self.epochs_ended = 0

        def __len__(self):
            return 3

        def __getitem__(self, index):
            return x[index * 4:(index + 1) * 4], y[index * 4:(index + 1) * 4]

        def on_epoch_end(self):
            self.epochs_ended += 1

    history = model.fit(generator(), steps_per_epoch=3, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    sequence = Batches()
    model.fit(sequence, epochs=2, verbose=0, validation_data=Batches())
    assert sequence.epochs_ended == 2
    assert model.predict(Batches()).shape == (12, 1)
    pandas = pytest.importorskip("pandas", reason="pandas input is optional")
    model.fit(pandas.DataFrame(x), pandas.Series(y[:, 0]), verbose=0)


def test_class_weight_and_sample_weight_scale_the_loss():
    model = Sequential([Dense(1, input_dim=1, kernel_initializer="zeros", use_bias=False)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.ones((2, 1), "float32")
    y = np.array([[0.0], [1.0]], "float32")
    plain = model.test_on_batch(x, y)
    weighted = model.test_on_batch(x, y, sample_weight=np.array([1.0, 3.0]))
    assert weighted == pytest.approx(3 * plain)
    before = model.get_weights()
    model.train_on_batch(x, y, class_weight={0: 1.0, 1: 0.0})
    np.testing.assert_array_equal(before[0], model.get_weights()[0])  # only the zero-loss row counts


def test_a_dataset_already_on_the_device_stays_there(monkeypatch):
    """fit on device arrays slices batches on the device: no host-to-device copy per batch (only
    the shuffle permutation, once per epoch)."""
    minidl.set_backend("simulated")
    model = Sequential([Dense(4, input_dim=3), Dense(1)])
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    host = np.random.default_rng(0).standard_normal((400, 3)).astype("float32")
    x, y = backend.to_device(host), backend.to_device(host[:, :1])
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)  # warm up
    copies = []
    original = backend.to_device
    monkeypatch.setattr(backend, "to_device", lambda a, dtype=None: copies.append(np.shape(a)) or original(a, dtype))
    history = model.fit(x, y, batch_size=8, epochs=2, verbose=0, shuffle=True)  # 100 steps
    assert len(history.history["loss"]) == 2
    assert [shape for shape in copies if shape and shape[0] > 1] == [(400,), (400,)]  # one permutation per epoch
    assert np.isfinite(model.evaluate(x, y, verbose=0)).all()


def test_a_re_iterable_dataset_is_iterated_afresh_every_epoch():
    class Dataset:
        """Only __iter__, as tf.data datasets: each iteration starts over."""

        def __init__(self):
            self.iterations = 0

        def __iter__(self):
            self.iterations += 1
            x = np.ones((4, 2), "float32")
            return iter([(x, x[:, :1])] * 3)

    model = Sequential([Dense(1, input_dim=2)])
    model.compile(optimizer="sgd", loss="mse")
    dataset = Dataset()
    history = model.fit(dataset, epochs=3, verbose=0)
    assert len(history.history["loss"]) == 3 and dataset.iterations == 3
    assert model.predict(Dataset()).shape == (12, 1)


def test_a_subclassed_model_fed_a_dict_gets_the_dict_in_call():
    """The pandas tutorial's ``MyModel.call(self, inputs)`` stacks ``sorted(inputs.items())``:
    ``fit`` on a dict of columns, on a dataset of dict batches, and ``predict(dict(df.iloc[:3]))``
    (pandas Series become (n, 1) columns, as in Keras 3) all hand the model a dict."""
    pd = pytest.importorskip("pandas")
    import minidl.tf as tf
    from minidl.models.model import Model

    seen = []

    class Stacking(Model):
        def __init__(self):
            super().__init__()
            self.concat = minidl.layers.Concatenate(axis=1)
            self.dense = Dense(1)

        def call(self, inputs):
            seen.append(sorted(inputs))
            return self.dense(self.concat([value for _, value in sorted(inputs.items())]))

    frame = pd.DataFrame({"b": np.arange(8.0), "a": np.linspace(0, 1, 8)})
    columns = {key: value.to_numpy()[:, None] for key, value in dict(frame).items()}
    model = Stacking()
    model.compile(optimizer="adam", loss="mse")
    model.fit(columns, np.zeros((8, 1)), epochs=1, batch_size=4, verbose=0)
    model.fit(tf.data.Dataset.from_tensor_slices((columns, np.zeros((8, 1)))).batch(4), epochs=1, verbose=0)
    assert model.predict(dict(frame.iloc[:3]), verbose=0).shape == (3, 1)
    assert seen and all(keys == ["a", "b"] for keys in seen)
    series_model = Sequential([Dense(1, input_shape=(1,))])
    series_model.compile(optimizer="sgd", loss="mse")
    history = series_model.fit(frame["a"], frame["b"], epochs=1, verbose=0)  # two Series: (n, 1) columns
    assert np.isfinite(history.history["loss"][0])
