"""keras.utils.timeseries_dataset_from_array / image_dataset_from_directory /
text_dataset_from_directory: the same windows, files, labels, splits and pixels as Keras 3
(compared with the real Keras where TensorFlow is importable), minidl's tf.data methods and
``model.fit`` on the result, and clear errors for bad arguments."""

import numpy as np
import pytest

import minidl.keras as keras
import minidl.tf as tf
from minidl.preprocessing import dataset_utils as index

PIL_IMAGE = pytest.importorskip("PIL.Image", reason="Pillow writes the test images")


def real_keras():
    """Keras 3 on TensorFlow, or a skip saying why it is missing."""
    pytest.importorskip("tensorflow", reason="TensorFlow (the oracle for Keras's behaviour) is not installed")
    return pytest.importorskip("keras", reason="Keras (the oracle) is not installed")


def batches(dataset):
    """Every batch of a dataset (minidl's or TensorFlow's) as tuples of NumPy arrays."""
    out = []
    for element in dataset:
        parts = element if isinstance(element, tuple) else (element,)
        out.append(tuple(np.asarray(part.numpy()) for part in parts))
    return out


def text_of(values):
    return [value.decode() if isinstance(value, bytes) else str(value) for value in values]


# -- timeseries_dataset_from_array ----------------------------------------------------------------

SERIES = np.arange(60, dtype=np.float32).reshape(30, 2)
WINDOW_CASES = [
    dict(sequence_length=5),
    dict(sequence_length=4, sequence_stride=3, sampling_rate=2, batch_size=4),
    dict(sequence_length=3, start_index=4, end_index=25, batch_size=5),
    dict(sequence_length=6, sampling_rate=3, batch_size=None),
    dict(sequence_length=2, sequence_stride=5, start_index=1, batch_size=2),
]


def test_timeseries_windows_by_hand():
    dataset = keras.utils.timeseries_dataset_from_array(np.arange(20), np.arange(20) * 10, sequence_length=4,
                                                        sequence_stride=2, sampling_rate=2, batch_size=3)
    (x0, y0), (x1, y1), (x2, y2) = batches(dataset)
    assert x0.tolist() == [[0, 2, 4, 6], [2, 4, 6, 8], [4, 6, 8, 10]] and y0.tolist() == [0, 20, 40]
    assert x2.tolist() == [[12, 14, 16, 18]] and y2.tolist() == [120]
    assert len(dataset) == 3


@pytest.mark.parametrize("case", WINDOW_CASES, ids=str)
@pytest.mark.parametrize("with_targets", [True, False], ids=["targets", "no-targets"])
def test_timeseries_windows_match_keras(case, with_targets):
    real = real_keras()
    targets = np.arange(100, 125) if with_targets else None  # shorter than the data: fewer windows
    ours = batches(keras.utils.timeseries_dataset_from_array(SERIES, targets, **case))
    theirs = batches(real.utils.timeseries_dataset_from_array(SERIES, targets, **case))
    assert len(ours) == len(theirs)
    for our_batch, their_batch in zip(ours, theirs):
        for our_part, their_part in zip(our_batch, their_batch):
            assert our_part.shape == their_part.shape
            np.testing.assert_array_equal(our_part, their_part)


def test_timeseries_shuffle_keeps_the_windows_and_their_targets():
    data = np.arange(50)
    dataset = keras.utils.timeseries_dataset_from_array(data, data * 10, sequence_length=3, batch_size=8,
                                                        shuffle=True, seed=3)
    one_pass = batches(dataset)  # every pass is shuffled anew
    windows = np.concatenate([x for x, _ in one_pass])
    targets = np.concatenate([y for _, y in one_pass])
    assert sorted(windows[:, 0].tolist()) == list(range(48))
    np.testing.assert_array_equal(windows[:, 0] * 10, targets)
    assert windows[:, 0].tolist() != list(range(48))


def test_timeseries_dataset_trains_a_model():
    data = np.random.default_rng(0).normal(size=(80, 3)).astype(np.float32)
    dataset = keras.utils.timeseries_dataset_from_array(data, data[5:, 0], sequence_length=5, batch_size=16)
    model = keras.Sequential([keras.Input((5, 3)), keras.layers.LSTM(4), keras.layers.Dense(1)])
    model.compile("adam", "mse")
    history = model.fit(dataset.cache().prefetch(tf.data.AUTOTUNE), epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2


@pytest.mark.parametrize("arguments, message", [
    (dict(sequence_length=0), "sequence_length must be an integer >= 1"),
    (dict(sequence_length=3, sampling_rate=0), "sampling_rate must be an integer >= 1"),
    (dict(sequence_length=3, sequence_stride=10), "sequence_stride must be lower than the length of data"),
    (dict(sequence_length=3, start_index=-1), "start_index must be an integer >= 0"),
    (dict(sequence_length=3, start_index=5, end_index=4), "end_index (4) must be higher than start_index (5)"),
    (dict(sequence_length=3, end_index=10), "end_index must be lower than the length of data (10)"),
    (dict(sequence_length=20), "no window fits"),
    (dict(sequence_length=3, batch_size=0), "batch_size must be a positive integer or None"),
])
def test_timeseries_errors_name_the_argument(arguments, message):
    with pytest.raises(ValueError, match="timeseries_dataset_from_array") as error:
        keras.utils.timeseries_dataset_from_array(np.arange(10), None, **arguments)
    assert message in str(error.value)


# -- image_dataset_from_directory -----------------------------------------------------------------

def write_image_folder(root, classes=("cats", "dogs", "birds"), per_class=4, mode="RGB"):
    """Small images of different sizes and aspect ratios, one sub-folder per class."""
    rng = np.random.default_rng(1)
    for class_index, name in enumerate(classes):
        folder = root / name
        folder.mkdir(parents=True)
        for number in range(per_class):
            height, width = 6 + 3 * number, 9 + 2 * class_index
            channels = {"RGB": 3, "RGBA": 4, "L": 1}[mode]
            pixels = rng.integers(0, 256, size=(height, width, channels), dtype=np.uint8)
            PIL_IMAGE.fromarray(pixels[..., 0] if mode == "L" else pixels, mode).save(folder / f"img_{number}.png")
    (root / classes[0] / "notes.txt").write_text("not an image")
    return root


def test_image_dataset_classes_labels_and_pixels_by_hand(tmp_path):
    root = write_image_folder(tmp_path / "photos")
    dataset = keras.utils.image_dataset_from_directory(root, image_size=(5, 7), batch_size=5, shuffle=False,
                                                       verbose=False)
    assert dataset.class_names == ["birds", "cats", "dogs"]
    images, labels = zip(*batches(dataset))
    assert [len(batch) for batch in images] == [5, 5, 2]
    images, labels = np.concatenate(images), np.concatenate(labels)
    assert images.dtype == np.float32 and images.shape == (12, 5, 7, 3) and labels.dtype == np.int32
    assert labels.tolist() == [0] * 4 + [1] * 4 + [2] * 4
    assert 0 <= images.min() and images.max() <= 255


@pytest.mark.parametrize("options", [
    dict(image_size=(8, 10)),
    dict(image_size=(5, 5), interpolation="nearest", label_mode="categorical"),
    dict(image_size=(7, 4), crop_to_aspect_ratio=True),
    dict(image_size=(9, 6), pad_to_aspect_ratio=True),
    dict(image_size=6, color_mode="rgba", label_mode=None),
], ids=str)
def test_image_dataset_matches_keras(tmp_path, options):
    real = real_keras()
    root = write_image_folder(tmp_path / "photos", mode="RGBA" if options.get("color_mode") == "rgba" else "RGB")
    common = dict(batch_size=5, shuffle=False, verbose=False, **options)
    ours = keras.utils.image_dataset_from_directory(root, **common)
    theirs = real.utils.image_dataset_from_directory(str(root), **common)
    assert ours.class_names == theirs.class_names
    assert ours.file_paths == theirs.file_paths
    for our_batch, their_batch in zip(batches(ours), batches(theirs), strict=True):
        for our_part, their_part in zip(our_batch, their_batch, strict=True):
            assert our_part.dtype == their_part.dtype and our_part.shape == their_part.shape
            np.testing.assert_allclose(our_part, their_part, atol=2e-3)


def test_image_dataset_grayscale_matches_keras(tmp_path):
    real = real_keras()
    root = write_image_folder(tmp_path / "gray", classes=("a", "b"), mode="L")
    common = dict(batch_size=8, shuffle=False, verbose=False, color_mode="grayscale", image_size=(4, 4),
                  label_mode="binary")
    ours, theirs = (batches(module.utils.image_dataset_from_directory(str(root), **common)) for module in (keras, real))
    for (our_images, our_labels), (their_images, their_labels) in zip(ours, theirs, strict=True):
        assert our_labels.shape == their_labels.shape == (len(our_labels), 1)
        np.testing.assert_array_equal(our_labels, their_labels)
        np.testing.assert_allclose(our_images, their_images, atol=2e-3)


def test_image_dataset_split_matches_keras(tmp_path):
    real = real_keras()
    root = write_image_folder(tmp_path / "photos", per_class=5)
    common = dict(image_size=(4, 4), validation_split=0.3, subset="both", seed=1337, verbose=False)
    our_train, our_validation = keras.utils.image_dataset_from_directory(root, **common)
    their_train, their_validation = real.utils.image_dataset_from_directory(str(root), **common)
    assert our_train.file_paths == their_train.file_paths  # the order of the files as well as the files
    assert our_validation.file_paths == their_validation.file_paths
    assert len(our_validation.file_paths) == int(0.3 * 15)
    one_subset = keras.utils.image_dataset_from_directory(root, **{**common, "subset": "validation"})
    assert one_subset.file_paths == our_validation.file_paths


def test_image_split_is_the_last_fraction_of_the_seeded_shuffle(tmp_path):
    root = write_image_folder(tmp_path / "photos", per_class=5)
    paths, _, _ = index.index_directory("test", root, "inferred", (".png",), shuffle=True, seed=5)
    train, validation = keras.utils.image_dataset_from_directory(
        root, image_size=(4, 4), validation_split=0.2, subset="both", seed=5, verbose=False)
    assert train.file_paths == paths[:12] and validation.file_paths == paths[12:]
    labels = np.concatenate([y for _, y in batches(validation)])
    expected = [["birds", "cats", "dogs"].index(path.split("/")[-2]) for path in paths[12:]]
    assert labels.tolist() == expected  # the validation set is not shuffled


def test_image_dataset_class_names_order_and_fit(tmp_path, capsys):
    root = write_image_folder(tmp_path / "photos")
    dataset = keras.utils.image_dataset_from_directory(root, class_names=["dogs", "cats"], image_size=(8, 8),
                                                       batch_size=4, seed=0, label_mode="categorical")
    assert "Found 8 files belonging to 2 classes." in capsys.readouterr().out
    assert dataset.class_names == ["dogs", "cats"]
    assert all(path.split("/")[-2] in ("dogs", "cats") for path in dataset.file_paths)
    model = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Rescaling(1 / 255), keras.layers.Flatten(),
                              keras.layers.Dense(2, activation="softmax")])
    model.compile("adam", "categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(dataset.cache().prefetch(tf.data.AUTOTUNE), epochs=2, verbose=0)
    assert len(history.history["accuracy"]) == 2
    assert sum(len(x) for x, _ in batches(dataset.unbatch().batch(3))) == 8


def test_image_dataset_explicit_labels(tmp_path):
    root = write_image_folder(tmp_path / "photos", classes=("x",), per_class=3)
    dataset = keras.utils.image_dataset_from_directory(root, labels=[2, 0, 2], image_size=(3, 3), shuffle=False,
                                                       verbose=False)
    assert dataset.class_names == ["0", "2"]
    assert np.concatenate([y for _, y in batches(dataset)]).tolist() == [2, 0, 2]
    as_array = keras.utils.image_dataset_from_directory(root, labels=np.array([1, 1, 0]), image_size=(3, 3),
                                                        shuffle=False, verbose=False)
    assert np.concatenate([y for _, y in batches(as_array)]).tolist() == [1, 1, 0]


@pytest.mark.parametrize("arguments, error, message", [
    (dict(directory="missing"), FileNotFoundError, "does not exist"),
    (dict(label_mode="sparse"), ValueError, "label_mode must be 'int', 'categorical', 'binary' or None, got 'sparse'"),
    (dict(subset="training"), ValueError, "subset and validation_split go together"),
    (dict(validation_split=0.2), ValueError, "subset and validation_split go together"),
    (dict(validation_split=0.2, subset="training"), ValueError, "give a seed"),
    (dict(validation_split=1.5, subset="training", seed=1), ValueError, "validation_split must be a fraction"),
    (dict(validation_split=0.2, subset="testing", seed=1), ValueError, "subset must be 'training'"),
    (dict(validation_split=0.01, subset="training", seed=1), ValueError, "leaves no file for validation"),
    (dict(class_names=["cats", "wolves"]), ValueError, "class_names must be distinct names of sub-folders"),
    (dict(labels=None, class_names=["cats"]), ValueError, "class_names can only be given with labels='inferred'"),
    (dict(labels="folders"), ValueError, "labels must be 'inferred'"),
    (dict(label_mode=None, class_names=["cats"]), ValueError, "class_names cannot be used with label_mode=None"),
    (dict(labels=[0, 1]), ValueError, "labels has 2 entries but"),
    (dict(labels=[0, -1] * 6), ValueError, "labels must be non-negative integers, got -1"),
    (dict(label_mode="binary"), ValueError, "label_mode='binary' needs exactly 2 classes, got 3"),
    (dict(color_mode="bgr"), ValueError, "color_mode must be 'rgb', 'rgba' or 'grayscale', got 'bgr'"),
    (dict(image_size=(0, 4)), ValueError, "image_size must be (height, width), two positive integers"),
    (dict(interpolation="lanczos3"), ValueError, "interpolation must be 'bilinear' or 'nearest'"),
    (dict(batch_size=-1), ValueError, "batch_size must be a positive integer or None, got -1"),
    (dict(crop_to_aspect_ratio=True, pad_to_aspect_ratio=True), ValueError, "not both"),
])
def test_image_dataset_errors_name_the_argument(tmp_path, arguments, error, message):
    root = write_image_folder(tmp_path / "photos")
    arguments = {"directory": root, "verbose": False, **arguments}
    if arguments["directory"] == "missing":
        arguments["directory"] = tmp_path / "missing"
    with pytest.raises(error, match="image_dataset_from_directory") as raised:
        keras.utils.image_dataset_from_directory(**arguments)
    assert message in str(raised.value)


def test_image_dataset_without_images_or_class_folders(tmp_path):
    (tmp_path / "empty" / "a").mkdir(parents=True)
    (tmp_path / "empty" / "a" / "readme.txt").write_text("no pictures")
    with pytest.raises(ValueError, match=r"no files with extensions \.bmp, .*\.png found"):
        keras.utils.image_dataset_from_directory(tmp_path / "empty", verbose=False)
    (tmp_path / "flat").mkdir()
    with pytest.raises(ValueError, match="has no class sub-folders"):
        keras.utils.image_dataset_from_directory(tmp_path / "flat", verbose=False)


# -- text_dataset_from_directory ------------------------------------------------------------------

REVIEWS = {
    "pos": ["a great film", "loved it, loved it", "wonderful acting and a fine story", "great great great",
            "très bien"],
    "neg": ["a dull film", "hated it", "the story was bad and the acting worse", "bad", "awful, just awful"],
}


def write_text_folder(root):
    """The aclImdb layout: train/pos and train/neg, one review per .txt file (and files to skip)."""
    for name, texts in REVIEWS.items():
        folder = root / "train" / name
        folder.mkdir(parents=True)
        for number, text in enumerate(texts):
            (folder / f"{number}_{len(text)}.txt").write_text(text, encoding="utf-8")
    (root / "train" / "pos" / "urls.csv").write_text("skipped")
    return root / "train"


def test_text_dataset_strings_and_labels(tmp_path):
    train = write_text_folder(tmp_path / "aclImdb")
    dataset = keras.utils.text_dataset_from_directory(train, batch_size=4, shuffle=False, verbose=False)
    assert dataset.class_names == ["neg", "pos"]
    texts, labels = zip(*batches(dataset))
    texts, labels = text_of(np.concatenate(texts)), np.concatenate(labels)
    assert texts == sorted(REVIEWS["neg"], key=lambda t: REVIEWS["neg"].index(t)) + REVIEWS["pos"]
    assert labels.tolist() == [0] * 5 + [1] * 5 and labels.dtype == np.int32


@pytest.mark.parametrize("options", [
    dict(shuffle=False, batch_size=3),
    dict(shuffle=False, batch_size=None, label_mode="binary", max_length=9),
    dict(shuffle=False, label_mode=None),
], ids=str)
def test_text_dataset_matches_keras(tmp_path, options):
    real = real_keras()
    train = write_text_folder(tmp_path / "aclImdb")
    ours = keras.utils.text_dataset_from_directory(train, verbose=False, **options)
    theirs = real.utils.text_dataset_from_directory(str(train), verbose=False, **options)
    assert ours.class_names == theirs.class_names
    for our_batch, their_batch in zip(batches(ours), batches(theirs), strict=True):
        assert text_of(np.atleast_1d(our_batch[0])) == text_of(np.atleast_1d(their_batch[0]))
        for our_part, their_part in zip(our_batch[1:], their_batch[1:], strict=True):
            assert our_part.dtype == their_part.dtype
            np.testing.assert_array_equal(our_part, their_part)


def text_label_pairs(dataset):
    """The sorted (text, label) pairs of one pass (the training set is reshuffled every pass)."""
    return sorted((text, int(label)) for texts, labels in batches(dataset)
                  for text, label in zip(text_of(texts), labels))


def test_text_dataset_split_matches_keras(tmp_path):
    real = real_keras()
    train = write_text_folder(tmp_path / "aclImdb")
    common = dict(validation_split=0.2, seed=1337, batch_size=32, verbose=False)
    mine = [keras.utils.text_dataset_from_directory(train, subset=subset, **common)
            for subset in ("training", "validation")]
    theirs = [real.utils.text_dataset_from_directory(str(train), subset=subset, **common)
              for subset in ("training", "validation")]
    for our_set, their_set in zip(mine, theirs):
        assert text_label_pairs(our_set) == text_label_pairs(their_set)


def test_text_classification_from_scratch_flow(tmp_path):
    """keras-io's "text classification from scratch": dataset -> TextVectorization -> fit."""
    train = write_text_folder(tmp_path / "aclImdb")
    raw_train, raw_validation = keras.utils.text_dataset_from_directory(
        train, batch_size=4, validation_split=0.2, subset="both", seed=1337, verbose=False)
    vectorize_layer = keras.layers.TextVectorization(max_tokens=50, output_mode="int", output_sequence_length=8)
    vectorize_layer.adapt(raw_train.map(lambda x, y: x))

    def vectorize_text(text, label):
        text = tf.expand_dims(text, -1)
        return vectorize_layer(text), label

    train_ds = raw_train.map(vectorize_text).cache().prefetch(buffer_size=10)
    validation_ds = raw_validation.map(vectorize_text).cache().prefetch(buffer_size=10)
    inputs = keras.Input(shape=(None,), dtype="int64")
    x = keras.layers.Embedding(50, 8)(inputs)
    x = keras.layers.GlobalMaxPooling1D()(x)
    predictions = keras.layers.Dense(1, activation="sigmoid", name="predictions")(x)
    model = keras.Model(inputs, predictions)
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    history = model.fit(train_ds, validation_data=validation_ds, epochs=2, verbose=0)
    assert set(history.history) >= {"loss", "accuracy", "val_loss", "val_accuracy"}
    end_to_end = keras.Model(*(lambda i: (i, model(vectorize_layer(i))))(keras.Input(shape=(1,), dtype="string")))
    assert end_to_end.predict(np.array([["a great film"]], dtype=object), verbose=0).shape == (1, 1)


def test_text_max_length_cuts_bytes_and_keeps_whole_characters(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("très bien", encoding="utf-8")
    assert index.read_text(path, 3) == "tr"  # 'è' is two bytes; the third byte splits it
    assert index.read_text(path, 4) == "trè"
    assert index.read_text(path) == "très bien"


@pytest.mark.parametrize("arguments, message", [
    (dict(max_length=0), "max_length must be a positive integer (bytes) or None, got 0"),
    (dict(label_mode="onehot"), "label_mode must be"),
    (dict(class_names=["neg", "neutral"]), "class_names must be distinct names of sub-folders"),
    (dict(validation_split=0.5, subset="both"), "give a seed"),
])
def test_text_dataset_errors_name_the_argument(tmp_path, arguments, message):
    train = write_text_folder(tmp_path / "aclImdb")
    with pytest.raises(ValueError, match="text_dataset_from_directory") as raised:
        keras.utils.text_dataset_from_directory(train, verbose=False, **arguments)
    assert message in str(raised.value)


def test_keras2_preprocessing_aliases():
    assert keras.preprocessing.image_dataset_from_directory is keras.utils.image_dataset_from_directory
    assert keras.preprocessing.text_dataset_from_directory is keras.utils.text_dataset_from_directory
    assert keras.preprocessing.timeseries_dataset_from_array is keras.utils.timeseries_dataset_from_array
    assert tf.keras.utils.image_dataset_from_directory is keras.utils.image_dataset_from_directory
