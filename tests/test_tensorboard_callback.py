"""keras.callbacks.TensorBoard: real event files (TFRecord framing, CRC32C, Event/Summary
protobufs written by hand in ``minidl.tensorboard_events``), read back with minidl's reader and,
where TensorFlow is importable, with TensorFlow's own ``summary_iterator``."""

import pathlib
import struct
import warnings

import numpy as np
import pytest

import minidl.keras as keras
from minidl import tensorboard_events as events


def event_files(folder):
    return sorted(pathlib.Path(folder).glob("events.out.tfevents.*.v2"))


def tensorflow_scalars(path):
    """``[(tag, step, value)]`` of an event file as TensorFlow reads it."""
    tf = pytest.importorskip("tensorflow", reason="TensorFlow (the oracle reader of event files) is not installed")
    found = []
    for event in tf.compat.v1.train.summary_iterator(str(path)):
        for value in event.summary.value:
            found.append((value.tag, event.step, value.simple_value))
    return found


def small_model():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="relu"),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile(keras.optimizers.SGD(0.05), "binary_crossentropy", metrics=["accuracy"])
    return model


def training_data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3)).astype(np.float32)
    return x, (x.sum(axis=1) > 0).astype(np.float32)


# -- the encoding ---------------------------------------------------------------------------------

def test_crc32c_known_values():
    assert events.crc32c(b"") == 0
    assert events.crc32c(b"123456789") == 0xE3069283  # the CRC-32C check value
    assert events.crc32c(bytes(32)) == 0x8A9136AA  # RFC 3720, 32 bytes of zeros
    assert events.crc32c(b"\xff" * 32) == 0x62A8AB43  # RFC 3720, 32 bytes of ones


def test_tfrecord_bytes_match_tensorflows_writer(tmp_path):
    tf = pytest.importorskip("tensorflow", reason="TensorFlow (the oracle for TFRecord framing) is not installed")
    records = [b"", b"minidl", bytes(range(256)) * 3]
    path = tmp_path / "records.tfrecord"
    with tf.io.TFRecordWriter(str(path)) as writer:
        for data in records:
            writer.write(data)
    assert path.read_bytes() == b"".join(events.tfrecord(data) for data in records)
    assert list(events.read_records(path)) == records


def test_varint_and_fields():
    assert events.varint(0) == b"\x00" and events.varint(1) == b"\x01"
    assert events.varint(300) == b"\xac\x02"
    assert events.varint(-1) == b"\xff" * 9 + b"\x01"  # int64 two's complement, ten bytes
    assert events.double_field(1, 1.5) == b"\x09" + struct.pack("<d", 1.5)
    assert events.float_field(2, 0.25) == b"\x15" + struct.pack("<f", 0.25)
    assert events.bytes_field(1, "ab") == b"\x0a\x02ab"


def test_tfrecord_framing_and_event_round_trip(tmp_path):
    writer = events.EventFileWriter(tmp_path)
    writer.add_scalar("epoch_loss", 0.5, 3)
    writer.add_scalar("batch_loss", -2.0, -1)
    writer.close()
    data = pathlib.Path(writer.path).read_bytes()
    (length,) = struct.unpack("<Q", data[:8])
    assert struct.unpack("<I", data[8:12])[0] == events.masked_crc32c(data[:8])
    assert struct.unpack("<I", data[12 + length:16 + length])[0] == events.masked_crc32c(data[12:12 + length])
    decoded = events.read_events(writer.path)
    assert decoded[0]["file_version"] == "brain.Event:2"
    assert events.read_scalars(writer.path) == [("epoch_loss", 3, 0.5), ("batch_loss", -1, -2.0)]


def test_reader_detects_corruption(tmp_path):
    writer = events.EventFileWriter(tmp_path)
    writer.add_scalar("x", 1.0, 0)
    writer.close()
    data = bytearray(pathlib.Path(writer.path).read_bytes())
    data[-6] ^= 0xFF
    pathlib.Path(writer.path).write_bytes(bytes(data))
    with pytest.raises(ValueError, match="fails its CRC32C check"):
        events.read_scalars(writer.path)
    pathlib.Path(writer.path).write_bytes(bytes(data[:-3]))
    with pytest.raises(ValueError, match="truncated record"):
        events.read_scalars(writer.path)


def test_file_name_is_tensorflows(tmp_path):
    first, second = events.EventFileWriter(tmp_path), events.EventFileWriter(tmp_path)
    name = pathlib.Path(first.path).name
    assert name.startswith("events.out.tfevents.") and name.endswith(".v2") and first.path != second.path
    first.close()
    second.close()


# -- the callback ---------------------------------------------------------------------------------

def fit_with_tensorboard(tmp_path, **options):
    x, y = training_data()
    model = small_model()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # write_graph=True (the default) is ignored with a warning
        callback = keras.callbacks.TensorBoard(log_dir=tmp_path / "logs", **options)
    history = model.fit(x, y, batch_size=10, epochs=3, validation_split=0.25, callbacks=[callback], verbose=0)
    return model, history


def test_epoch_scalars_in_train_and_validation(tmp_path):
    _, history = fit_with_tensorboard(tmp_path)
    train_file, = event_files(tmp_path / "logs" / "train")
    validation_file, = event_files(tmp_path / "logs" / "validation")
    train = events.read_scalars(train_file)
    for epoch in range(3):
        assert ("epoch_loss", epoch, pytest.approx(history.history["loss"][epoch], rel=1e-6)) in train
        assert ("epoch_accuracy", epoch, pytest.approx(history.history["accuracy"][epoch], rel=1e-6)) in train
        assert ("epoch_learning_rate", epoch, pytest.approx(0.05)) in train
    validation = events.read_scalars(validation_file)
    epoch_losses = [(step, value) for tag, step, value in validation if tag == "epoch_loss"]
    assert epoch_losses == [(epoch, pytest.approx(history.history["val_loss"][epoch], rel=1e-6))
                            for epoch in range(3)]
    iterations = [step for tag, step, _ in validation if tag == "evaluation_loss_vs_iterations"]
    assert iterations == [3, 6, 9]  # 30 training rows, batches of 10
    assert not any(tag.startswith("batch_") for tag, _, _ in train)


def test_batch_scalars_every_n_batches(tmp_path):
    fit_with_tensorboard(tmp_path, update_freq=2)
    train = events.read_scalars(event_files(tmp_path / "logs" / "train")[0])
    assert [step for tag, step, _ in train if tag == "batch_loss"] == [2, 4, 6, 8]  # 9 batches in all
    fit_with_tensorboard(tmp_path / "again", update_freq="batch")
    train = events.read_scalars(event_files(tmp_path / "again" / "logs" / "train")[0])
    assert [step for tag, step, _ in train if tag == "batch_loss"] == list(range(1, 10))


def test_tensorflow_reads_the_same_scalars(tmp_path):
    fit_with_tensorboard(tmp_path, update_freq=3, write_steps_per_second=True)
    for run in ("train", "validation"):
        path, = event_files(tmp_path / "logs" / run)
        ours = events.read_scalars(path)
        theirs = tensorflow_scalars(path)
        assert [(tag, step) for tag, step, _ in ours] == [(tag, step) for tag, step, _ in theirs]
        np.testing.assert_allclose([value for *_, value in ours], [value for *_, value in theirs], rtol=0)
        assert {"epoch_loss", "epoch_accuracy"} <= {tag for tag, _, _ in theirs}


def test_each_run_writes_a_new_file(tmp_path):
    x, y = training_data()
    model = small_model()
    callback = keras.callbacks.TensorBoard(log_dir=str(tmp_path), write_graph=False)
    model.fit(x, y, epochs=1, callbacks=[callback], verbose=0)
    model.fit(x, y, epochs=1, callbacks=[callback], verbose=0)
    assert len(event_files(tmp_path / "train")) == 2
    assert not (tmp_path / "validation").exists()


def test_unsupported_options_warn_once(tmp_path):
    with pytest.warns(UserWarning, match="scalar summaries only") as caught:
        keras.callbacks.TensorBoard(tmp_path, histogram_freq=1, write_images=True, profile_batch=2)
    assert len(caught) == 1
    message = str(caught[0].message)
    assert "histogram_freq=1" in message and "write_graph=True" in message and "profile_batch=2" in message
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        keras.callbacks.TensorBoard(tmp_path, write_graph=False)  # nothing ignored: no warning


@pytest.mark.parametrize("arguments, error, message", [
    (dict(update_freq=0), ValueError, "update_freq must be 'epoch', 'batch' or a positive number of batches, got 0"),
    (dict(update_freq="step"), ValueError, "got 'step'"),
    (dict(histogram_freq=-1), ValueError, "histogram_freq must be a non-negative integer"),
    (dict(log_dir=3), TypeError, "log_dir must be a folder path, got int 3"),
    (dict(flush_secs=3), TypeError, "unexpected arguments ['flush_secs']"),
])
def test_bad_arguments_are_named(arguments, error, message):
    with pytest.raises(error, match="TensorBoard") as raised:
        keras.callbacks.TensorBoard(**{"write_graph": False, **arguments})
    assert message in str(raised.value)


def test_log_dir_that_cannot_be_created(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("a file, not a folder")
    x, y = training_data()
    model = small_model()
    with pytest.raises(OSError, match="cannot create the log folder"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[keras.callbacks.TensorBoard(blocker, write_graph=False)])
