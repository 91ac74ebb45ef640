"""Damaged and crafted model files, and saves that fail half-way.

Every load of a bad file must end in a correct load or a ModelFileError that names the file,
raised without chained tracebacks, with the model exactly as it was; nothing is unpickled;
sizes a file declares are checked before memory is allocated for them. Every failed save
leaves the previous file and no temporary file behind.
"""

import errno
import io
import json
import os
import pickle
import stat
import struct
import subprocess
import sys
import textwrap
import warnings
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minidl
from minidl.errors import ModelFileError
from minidl.layers import BatchNormalization, Conv2D, Dense, Flatten
from minidl.models import Sequential, load_model
from minidl.models.h5_weights import read_keras_h5_weights
from tests.conftest import REPO_ROOT

h5py = pytest.importorskip("h5py", reason="the HDF5 formats need h5py")

FORMATS = {  # name: (file name, writes the whole model?)
    "npz-weights": ("w.npz", False),
    "npz-model": ("m.npz", True),
    "h5-weights": ("w.h5", False),
    "h5-model": ("m.h5", True),
    "keras3-weights": ("w.weights.h5", False),
    "keras": ("m.keras", True),
}


def build(units=3):
    minidl.set_seed(0)
    model = Sequential([Conv2D(2, 3, input_shape=(5, 5, 1)), BatchNormalization(), Flatten(), Dense(units)])
    model.compile(optimizer="adam", loss="mse")
    return model


def trained():
    model = build()
    model.fit(np.ones((4, 5, 5, 1), "float32"), np.ones((4, 3), "float32"), epochs=1, verbose=0)
    return model


def save(model, path, whole):
    (model.save if whole else model.save_weights)(str(path))


def snapshot(model):
    return [w.copy() for w in model.get_weights()]


def assert_unchanged(model, before):
    after = model.get_weights()
    assert len(after) == len(before)
    for old, new in zip(before, after):
        np.testing.assert_array_equal(old, new)


def assert_clean_error(info, path):
    """The error names the file and carries no chained traceback."""
    error = info.value
    assert os.fspath(path) in str(error), str(error)
    assert error.__cause__ is None
    assert error.__context__ is None or error.__suppress_context__


@pytest.fixture(autouse=True)
def no_unpickling(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a model file was unpickled")

    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(pickle, "Unpickler", refuse)


@pytest.fixture(scope="module")
def originals(tmp_path_factory):
    """One good file per format, written by a trained model, and that model's weights."""
    folder = tmp_path_factory.mktemp("originals")
    model = trained()
    paths = {}
    for name, (filename, whole) in FORMATS.items():
        paths[name] = folder / filename
        save(model, paths[name], whole)
    return paths, model.get_weights()


def load_into(path, whole, target):
    """Load ``path`` the way its format allows; returns the weights that were loaded."""
    if whole:
        return load_model(path).get_weights()
    target.load_weights(path)
    return target.get_weights()


def check_outcome(path, whole, expected):
    """A correct load, or a clean ModelFileError leaving the model unchanged."""
    target = build()
    before = snapshot(target)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            loaded = load_into(path, whole, target)
    except ModelFileError as error:
        assert os.fspath(path) in str(error), str(error)
        assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__)
        assert_unchanged(target, before)
        return "refused"
    for got, want in zip(loaded, expected, strict=True):
        np.testing.assert_array_equal(got, want)
    return "loaded"


# -- sizes declared by a file are checked before anything is allocated ----------------------------------

def npy_bytes(shape, dtype="<f4", data=b""):
    header = f"{{'descr': '{dtype}', 'fortran_order': False, 'shape': {tuple(shape)!r}, }}"
    header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin1") + data


def minidl_npz(path, weights, members=None, header_extra=None):
    """A minidl .npz written by hand: ``weights`` is [(name, declared shape)]."""
    header = {"format": "minidl-weights", "version": 1, "model": "m",
              "weights": [{"name": n, "shape": list(s), "dtype": "float32"} for n, s in weights]}
    header.update(header_extra or {})
    text = json.dumps(header)
    header_npy = io.BytesIO()
    np.save(header_npy, np.array(text))
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("__header__.npy", header_npy.getvalue())
        for index, (_, shape) in enumerate(weights):
            archive.writestr(f"weight_{index:04d}.npy", (members or {}).get(index, npy_bytes(shape, data=b"\0" * 16)))


def test_a_1kb_npz_declaring_a_huge_weight_is_refused_without_allocating(tmp_path):
    path = tmp_path / "huge.npz"
    minidl_npz(path, [("dense/kernel", (10**6, 10**6))])
    assert path.stat().st_size < 2048
    model = Sequential([Dense(2, input_shape=(3,))])
    before = snapshot(model)
    for load in (model.load_weights, load_model):
        with pytest.raises(ModelFileError, match=r"declares shape \(1000000, 1000000\)") as info:
            load(path)
        assert_clean_error(info, path)
    assert_unchanged(model, before)


def test_npz_weight_member_declaring_more_than_it_holds(tmp_path):
    path = tmp_path / "short.npz"
    minidl_npz(path, [("dense/kernel", (3, 2))], members={0: npy_bytes((3, 2), data=b"\0" * 8)})
    with pytest.raises(ModelFileError, match="holds 8 bytes") as info:
        Sequential([Dense(2, input_shape=(3,))]).load_weights(path)
    assert_clean_error(info, path)


def test_zip_member_declaring_a_huge_size_is_refused(tmp_path):
    model = Sequential([Dense(2, input_shape=(3,))])
    path = tmp_path / "w.npz"
    model.save_weights(path)
    data = bytearray(path.read_bytes())
    central = data.rfind(b"PK\x01\x02")  # the last member's central directory entry
    data[central + 24:central + 28] = struct.pack("<I", 2**31)  # its uncompressed size
    path.write_bytes(bytes(data))
    before = snapshot(model)
    with pytest.raises(ModelFileError, match="declares|corrupt|truncated") as info:
        model.load_weights(path)
    assert_clean_error(info, path)
    assert_unchanged(model, before)


def h5_weights_file(path, layers):
    """Keras's HDF5 weights layout written by hand: layers = [(name, [(weight name, shape, chunked)])]."""
    with h5py.File(path, "w") as file:
        file.attrs["layer_names"] = np.array([name.encode() for name, _ in layers])
        for name, weights in layers:
            group = file.create_group(name)
            group.attrs["weight_names"] = np.array([w.encode() for w, _, _ in weights], dtype="S40")
            for weight_name, shape, chunked in weights:
                if chunked:  # declared, never written: no data stored
                    group.create_dataset(weight_name, shape=shape, dtype="float32", chunks=(1000, 1000))
                else:
                    group.create_dataset(weight_name, data=np.ones(shape, "float32"))


def test_a_small_h5_declaring_a_huge_weight_is_refused(tmp_path):
    path = tmp_path / "huge.h5"
    h5_weights_file(path, [("dense", [("dense/kernel:0", (10**6, 10**6), True), ("dense/bias:0", (2,), False)])])
    assert path.stat().st_size < 8192
    model = Sequential([Dense(2, input_shape=(3,), name="dense")])
    before = snapshot(model)
    with pytest.raises(ModelFileError, match="no data is stored|has shape") as info:
        model.load_weights(path)
    assert_clean_error(info, path)
    assert_unchanged(model, before)
    with pytest.raises(ModelFileError, match="no data is stored") as info:  # read without a model
        read_keras_h5_weights(path)
    assert_clean_error(info, path)


def huge_dense_spec():
    """A Sequential of Dense(100000) on 100000 inputs, as JSON only (building it would need 40 GB)."""
    return {"class_name": "Sequential", "config": {"name": "big", "layers": [
        {"class_name": "InputLayer", "config": {"batch_shape": [None, 100_000], "dtype": "float32", "name": "x"}},
        {"class_name": "Dense", "config": {"name": "dense", "units": 100_000}}]}}


@pytest.mark.parametrize("suffix", [".h5", ".keras", ".npz"])
def test_a_model_config_asking_for_more_weights_than_the_file_holds(tmp_path, suffix):
    path = tmp_path / f"model{suffix}"
    Sequential([Dense(2, input_shape=(3,))]).save(path)
    tampered = tmp_path / f"tampered{suffix}"
    _replace_config(path, tampered, suffix, huge_dense_spec())
    with pytest.raises(ModelFileError, match="holds only") as info:
        load_model(tampered)
    assert_clean_error(info, tampered)


def _replace_config(path, tampered, suffix, spec):
    """Copy ``path`` to ``tampered`` with the architecture ``spec`` (weights unchanged)."""
    if suffix == ".keras":
        with zipfile.ZipFile(path) as source, zipfile.ZipFile(tampered, "w") as target:
            for name in source.namelist():
                target.writestr(name, json.dumps(spec) if name == "config.json" else source.read(name))
    elif suffix == ".h5":
        tampered.write_bytes(path.read_bytes())
        with h5py.File(tampered, "a") as file:
            file.attrs["model_config"] = json.dumps(spec)
    else:
        with zipfile.ZipFile(path) as source:
            header = json.loads(str(np.load(io.BytesIO(source.read("__header__.npy")))))
            arrays = {name: source.read(name) for name in source.namelist() if name != "__header__.npy"}
        header["model_config"] = spec
        buffer = io.BytesIO()
        np.save(buffer, np.array(json.dumps(header)))
        with zipfile.ZipFile(tampered, "w") as target:
            target.writestr("__header__.npy", buffer.getvalue())
            for name, data in arrays.items():
                target.writestr(name, data)


def test_a_config_declaring_a_huge_input_is_refused(tmp_path):
    model = Sequential([Dense(2, input_shape=(3,))])
    path = tmp_path / "m.keras"
    model.save(path)
    tampered = tmp_path / "input_bomb.keras"
    spec = json.loads(model.to_json())
    spec["config"]["layers"][0]["config"]["batch_shape"] = [None, 10**6, 10**6]
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(tampered, "w") as target:
        for name in source.namelist():
            target.writestr(name, json.dumps(spec) if name == "config.json" else source.read(name))
    with pytest.raises(ModelFileError, match="elements per sample") as info:
        load_model(tampered)
    assert_clean_error(info, tampered)


# -- a bad second layer changes nothing, in every format and load path ------------------------------------

def layered(second_kernel, seed):
    """Three layers with weights; only the second one's kernel size differs between files and models."""
    minidl.set_seed(seed)
    return Sequential([Conv2D(2, 3, padding="same", input_shape=(4, 4, 1), name="first"),
                       Conv2D(2, second_kernel, padding="same", name="second"), Flatten(), Dense(2, name="third")])


def second_layer_differs():
    return layered(3, seed=1)


def target_model():
    return layered(5, seed=2)


@pytest.mark.parametrize("filename,whole", [
    ("w.npz", False), ("m.npz", True), ("w.h5", False), ("m.h5", True), ("w.weights.h5", False), ("m.keras", True),
    ("saved_model_folder", True),
])
def test_bad_second_layer_changes_nothing(tmp_path, filename, whole):
    path = tmp_path / filename
    save(second_layer_differs(), path, whole)
    target = target_model()
    before = snapshot(target)
    with pytest.raises(ModelFileError, match="second") as info:
        target.load_weights(path)
    assert_clean_error(info, path)
    assert_unchanged(target, before)
    if filename.endswith(".h5") and not filename.endswith(".weights.h5"):
        with pytest.raises(ModelFileError, match="second"):
            target.load_weights(path, by_name=True)
        assert_unchanged(target, before)
    with pytest.warns(UserWarning, match="Skipping loading of weights for layer 'second'"):
        target.load_weights(path, skip_mismatch=True)
    saved = second_layer_differs()
    assert_unchanged(target.get_layer("second"), before[2:4])
    for name in ("first", "third"):
        for got, want in zip(target.get_layer(name).get_weights(), saved.get_layer(name).get_weights()):
            np.testing.assert_array_equal(got, want)


def test_applications_refuse_a_mismatched_weights_file(tmp_path):
    from minidl.applications import VGG16

    path = tmp_path / "not_vgg.h5"
    second_layer_differs().save_weights(path)
    with pytest.raises(ModelFileError) as info:
        VGG16(include_top=False, weights=str(path), input_shape=(32, 32, 3))
    assert_clean_error(info, path)


# -- malformed fields ------------------------------------------------------------------------------

@pytest.mark.parametrize("mutation,message", [
    (lambda h: h["weights"][0].update(shape="abc"), "shape"),
    (lambda h: h["weights"][0].pop("shape"), "shape"),
    (lambda h: h["weights"][0].update(shape=[3, -2]), "shape"),
    (lambda h: h.update(version="x"), "version"),
    (lambda h: h.update(version=99), "version 99"),
    (lambda h: h.update(format=3), "format"),
    (lambda h: h.update(weights={"a": 1}), "weights"),
    (lambda h: h["weights"].__setitem__(0, "dense"), "weight 0"),
])
def test_malformed_npz_header_fields_name_the_field(tmp_path, mutation, message):
    header = {"format": "minidl-weights", "version": 1, "model": "m",
              "weights": [{"name": "dense/kernel", "shape": [3, 2], "dtype": "float32"}]}
    mutation(header)
    buffer = io.BytesIO()
    np.save(buffer, np.array(json.dumps(header)))
    path = tmp_path / "bad.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("__header__.npy", buffer.getvalue())
        archive.writestr("weight_0000.npy", npy_bytes((3, 2), data=b"\0" * 24))
    model = Sequential([Dense(2, input_shape=(3,))])
    with pytest.raises(ModelFileError, match=message) as info:
        model.load_weights(path)
    assert_clean_error(info, path)


@pytest.mark.parametrize("attrs,message", [
    ({"layer_names": np.array([1, 2])}, "layer_names"),
    ({"layer_names": np.array([b"dense", b"missing"])}, "missing"),
    ({"layer_names": np.array([b"../dense"])}, "plain relative name"),
])
def test_malformed_h5_attributes(tmp_path, attrs, message):
    path = tmp_path / "w.h5"
    Sequential([Dense(2, input_shape=(3,), name="dense")]).save_weights(path)
    with h5py.File(path, "a") as file:
        for key, value in attrs.items():
            file.attrs[key] = value
    with pytest.raises(ModelFileError, match=message) as info:
        Sequential([Dense(2, input_shape=(3,), name="dense")]).load_weights(path)
    assert_clean_error(info, path)


@pytest.mark.parametrize("config,message", [
    (b"{not json", "config.json is not valid JSON"),
    (b"[1, 2]", "does not describe a model"),
    (json.dumps({"class_name": "NoSuchLayer", "config": {}}).encode(), "NoSuchLayer"),
    (json.dumps({"class_name": "Sequential", "config": {"layers": [{"class_name": "Dense", "config": {
        "units": "many"}}]}}).encode(), "cannot be rebuilt"),
    (json.dumps({"class_name": "Lambda", "config": {"function": {"class_name": "__lambda__"}}}).encode(), "Lambda"),
    (b"\xff\xfe", "UTF-8"),
    (b"[" * 100_000 + b"]" * 100_000, "nested too deeply|cannot be rebuilt|does not describe"),
])
def test_malformed_keras_config(tmp_path, config, message):
    path = tmp_path / "m.keras"
    Sequential([Dense(2, input_shape=(3,))]).save(path)
    bad = tmp_path / "bad.keras"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(bad, "w") as target:
        for name in source.namelist():
            target.writestr(name, config if name == "config.json" else source.read(name))
    with pytest.raises(ModelFileError, match=message) as info:
        load_model(bad)
    assert_clean_error(info, bad)


def test_not_a_model_file_and_h5py_errors_are_wrapped(tmp_path):
    model = Sequential([Dense(2, input_shape=(3,))])
    garbage = tmp_path / "garbage.h5"
    garbage.write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(range(256)) * 4)
    pickled = tmp_path / "pickled.npz"
    pickled.write_bytes(b"\x80\x04\x95" + b"\0" * 100)
    empty = tmp_path / "empty.keras"
    empty.write_bytes(b"")
    for path in (garbage, pickled, empty):
        with pytest.raises(ModelFileError) as info:
            model.load_weights(path)
        assert_clean_error(info, path)
        with pytest.raises(ModelFileError):
            load_model(path)
    with pytest.raises(FileNotFoundError):
        model.load_weights(tmp_path / "missing.h5")


def test_object_arrays_are_never_unpickled(tmp_path):
    path = tmp_path / "object.npz"
    minidl_npz(path, [("dense/kernel", (3, 2))], members={0: npy_bytes((3, 2), dtype="|O", data=b"\0" * 48)})
    with pytest.raises(ModelFileError, match="nothing is unpickled") as info:
        Sequential([Dense(2, input_shape=(3,))]).load_weights(path)
    assert_clean_error(info, path)
    h5 = tmp_path / "strings.h5"
    with h5py.File(h5, "w") as file:
        file.attrs["layer_names"] = np.array([b"dense"])
        group = file.create_group("dense")
        group.attrs["weight_names"] = np.array([b"kernel", b"bias"])
        group.create_dataset("kernel", data=np.array([b"abc"] * 6).reshape(3, 2))
        group.create_dataset("bias", data=np.zeros(2, "float32"))
    with pytest.raises(ModelFileError, match="plain numbers") as info:
        Sequential([Dense(2, input_shape=(3,), name="dense")]).load_weights(h5)
    assert_clean_error(info, h5)


def test_links_and_external_storage_are_not_followed(tmp_path):
    outside = tmp_path / "outside.bin"
    np.ones(6, "float32").tofile(outside)
    path = tmp_path / "linked.h5"
    with h5py.File(path, "w") as file:
        file.attrs["layer_names"] = np.array([b"dense"])
        group = file.create_group("dense")
        group.attrs["weight_names"] = np.array([b"kernel", b"bias"])
        group.create_dataset("kernel", shape=(3, 2), dtype="float32", external=[(str(outside), 0, 24)])
        group["bias"] = h5py.ExternalLink(str(tmp_path / "other.h5"), "/bias")
    with pytest.raises(ModelFileError, match="another file|ExternalLink") as info:
        Sequential([Dense(2, input_shape=(3,), name="dense")]).load_weights(path)
    assert_clean_error(info, path)


@pytest.mark.parametrize("name,message", [
    ("../evil.py", "unsafe name"), ("/etc/passwd", "unsafe name"), ("a/../../b", "unsafe name"),
    ("evil.py", "unexpected zip member"), ("assets/vocab.txt", "assets"),
])
def test_keras_archives_with_unexpected_members(tmp_path, name, message):
    path = tmp_path / "m.keras"
    Sequential([Dense(2, input_shape=(3,))]).save(path)
    bad = tmp_path / "bad.keras"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(bad, "w") as target:
        for member in source.namelist():
            target.writestr(member, source.read(member))
        target.writestr(name, b"print('pwned')")
    with pytest.raises(ModelFileError, match=message) as info:
        load_model(bad)
    assert_clean_error(info, bad)


def test_keras_archive_decompression_bomb(tmp_path):
    bad = tmp_path / "bomb.keras"
    with zipfile.ZipFile(bad, "w", compression=zipfile.ZIP_DEFLATED) as target:
        target.writestr("config.json", b"{}")
        target.writestr("model.weights.h5", b"\0" * (200 * 2**20))
    assert bad.stat().st_size < 2**20
    with pytest.raises(ModelFileError, match="bomb") as info:
        load_model(bad)
    assert_clean_error(info, bad)


# -- fuzzing: damaged copies of good files ------------------------------------------------------------

def damaged(data, edits):
    data = bytearray(data)
    for kind, position, value in edits:
        if not data:
            break
        position %= len(data)
        if kind == "flip":
            data[position] ^= 1 << (value % 8)
        elif kind == "zero":
            data[position:position + 1 + value % 64] = bytes(len(data[position:position + 1 + value % 64]))
        else:
            del data[position:]
    return bytes(data)


EDITS = st.lists(st.tuples(st.sampled_from(["flip", "flip", "zero", "truncate"]), st.integers(0, 2**31),
                           st.integers(0, 255)), min_size=1, max_size=4)


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=EDITS)
def test_damaged_files_load_correctly_or_are_refused(originals, tmp_path_factory, fmt, edits):
    paths, expected = originals
    source = paths[fmt]
    path = tmp_path_factory.mktemp("damaged") / source.name
    path.write_bytes(damaged(source.read_bytes(), edits))
    check_outcome(path, FORMATS[fmt][1], expected)


def zip_boundaries(data):
    """Offsets where a zip's structures start or end: every truncation point worth trying."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        points = set()
        for info in archive.infolist():
            start = info.header_offset
            name_length, extra_length = struct.unpack("<HH", data[start + 26:start + 30])
            data_start = start + 30 + name_length + extra_length
            points |= {start, start + 30, data_start, data_start + 10, data_start + info.compress_size}
        points.add(data.rfind(b"PK\x01\x02"))
        points.add(data.rfind(b"PK\x05\x06"))
    return sorted(p + delta for p in points for delta in (-1, 0, 1) if 0 < p + delta < len(data))


@pytest.mark.parametrize("fmt", ["npz-weights", "npz-model", "keras"])
def test_truncation_at_every_zip_boundary(originals, tmp_path, fmt):
    paths, expected = originals
    data = paths[fmt].read_bytes()
    for cut in zip_boundaries(data):
        path = tmp_path / f"cut{paths[fmt].suffix}"
        path.write_bytes(data[:cut])
        assert check_outcome(path, FORMATS[fmt][1], expected) == "refused", cut


@pytest.mark.parametrize("fmt", ["h5-weights", "h5-model", "keras3-weights"])
def test_truncation_at_every_hdf5_boundary(originals, tmp_path, fmt):
    paths, expected = originals
    data = paths[fmt].read_bytes()
    for cut in range(0, len(data), max(len(data) // 97, 1)):  # about a hundred cuts through every structure
        path = tmp_path / f"cut{paths[fmt].name}"
        path.write_bytes(data[:cut])
        assert check_outcome(path, FORMATS[fmt][1], expected) == "refused", cut


JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers(-2**40, 2**40) | st.floats(allow_nan=False) |
                           st.text(max_size=8), lambda children: st.lists(children, max_size=3) |
                           st.dictionaries(st.text(max_size=6), children, max_size=3), max_leaves=8)


def _paths_in(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths_in(item, prefix + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths_in(item, prefix + (index,))


def _replaced(value, path, new):
    if not path:
        return new
    value = json.loads(json.dumps(value))
    holder = value
    for key in path[:-1]:
        holder = holder[key]
    holder[path[-1]] = new
    return value


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_crafted_keras_config_fields(originals, tmp_path_factory, data):
    paths, expected = originals
    with zipfile.ZipFile(paths["keras"]) as source:
        members = {name: source.read(name) for name in source.namelist()}
    config = json.loads(members["config.json"])
    where = data.draw(st.sampled_from(list(_paths_in(config))))
    members["config.json"] = json.dumps(_replaced(config, where, data.draw(JSON_VALUES))).encode()
    path = tmp_path_factory.mktemp("crafted") / "m.keras"
    with zipfile.ZipFile(path, "w") as target:
        for name, content in members.items():
            target.writestr(name, content)
    check_outcome(path, True, expected)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_crafted_npz_header_fields(originals, tmp_path_factory, data):
    paths, expected = originals
    with zipfile.ZipFile(paths["npz-model"]) as source:
        members = {name: source.read(name) for name in source.namelist()}
    header = json.loads(str(np.load(io.BytesIO(members["__header__.npy"]))))
    where = data.draw(st.sampled_from(list(_paths_in(header))))
    buffer = io.BytesIO()
    np.save(buffer, np.array(json.dumps(_replaced(header, where, data.draw(JSON_VALUES)))))
    members["__header__.npy"] = buffer.getvalue()
    path = tmp_path_factory.mktemp("crafted") / "m.npz"
    with zipfile.ZipFile(path, "w") as target:
        for name, content in members.items():
            target.writestr(name, content)
    check_outcome(path, True, expected)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(shape=st.lists(st.integers(0, 2**20), min_size=0, max_size=4), dtype=st.sampled_from(
    ["<f4", ">f8", "<i8", "|b1", "<c8", "|O", "<U3", "|V4", "<f2"]), fortran=st.booleans(),
       extra=st.integers(-8, 8))
def test_crafted_npy_headers(tmp_path_factory, shape, dtype, fortran, extra):
    itemsize = np.dtype(dtype).itemsize
    size = max(int(np.prod(shape, dtype=np.float64)) * itemsize + extra, 0)
    header = (f"{{'descr': '{dtype}', 'fortran_order': {fortran}, 'shape': {tuple(shape)!r}, }}").ljust(117) + "\n"
    member = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + b"\0" * min(size, 4096)
    path = tmp_path_factory.mktemp("npy") / "w.npz"
    minidl_npz(path, [("dense/kernel", (3, 2))], members={0: member})
    model = Sequential([Dense(2, input_shape=(3,))])
    before = snapshot(model)
    try:
        model.load_weights(path)
    except ModelFileError as error:
        assert str(path) in str(error)
        assert_unchanged(model, before)
    else:
        assert tuple(shape) == (3, 2) and extra == 0 and np.dtype(dtype).kind in "fiub"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(st.one_of(st.text(max_size=12), st.binary(max_size=12), st.integers()), max_size=4),
       key=st.sampled_from(["layer_names", "weight_names"]))
def test_crafted_h5_name_lists(originals, tmp_path_factory, names, key):
    paths, expected = originals
    path = tmp_path_factory.mktemp("names") / "w.h5"
    path.write_bytes(paths["h5-weights"].read_bytes())
    with h5py.File(path, "a") as file:
        holder = file if key == "layer_names" else file["dense"] if "dense" in file else file
        try:
            holder.attrs[key] = np.array(names) if names else np.array([], dtype="S1")
        except (TypeError, ValueError):
            return  # h5py cannot store this mixture; nothing to test
    check_outcome(path, False, expected)


# -- saves that fail ------------------------------------------------------------------------------

WRITERS = {
    "npz-weights": ("w.npz", False), "npz-model": ("m.npz", True), "h5-weights": ("w.h5", False),
    "h5-model": ("m.h5", True), "keras3-weights": ("w.weights.h5", False), "keras": ("m.keras", True),
    "folder": ("saved_model", True),
}


def _files_under(folder):
    return sorted(os.path.relpath(os.path.join(root, name), folder)
                  for root, _, names in os.walk(folder) for name in names)


def _contents(path):
    if os.path.isdir(path):
        return {name: open(os.path.join(path, name), "rb").read() for name in sorted(os.listdir(path))}
    return open(path, "rb").read()


@pytest.mark.parametrize("fmt", sorted(WRITERS))
def test_disk_full_leaves_the_old_file_and_no_temporary(tmp_path, fmt):
    """A save that hits the file-size limit (what a full disk looks like to a program) in a
    separate process: an OSError naming the file, no crash, the old file unchanged."""
    filename, whole = WRITERS[fmt]
    path = tmp_path / filename
    small = Sequential([Dense(2, input_shape=(3,))])
    save(small, path, whole)
    old = _contents(path)
    before = _files_under(tmp_path)
    script = textwrap.dedent(f"""
        import resource, signal, sys
        import numpy as np
        from minidl.layers import Dense
        from minidl.models import Sequential
        model = Sequential([Dense(512, input_shape=(512,)), Dense(512)])
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))
        try:
            (model.save if {whole} else model.save_weights)({str(path)!r})
        except OSError as error:
            print("OSError:", error)
            sys.exit(3)
        sys.exit(0)
    """)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO_ROOT)] + sys.path))
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 3, (done.returncode, done.stdout, done.stderr[-2000:])
    assert str(path) in done.stdout and "unchanged" in done.stdout
    assert _contents(path) == old
    assert _files_under(tmp_path) == before


@pytest.mark.parametrize("fmt", sorted(WRITERS))
def test_failing_fsync_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch, fmt):
    filename, whole = WRITERS[fmt]
    path = tmp_path / filename
    save(Sequential([Dense(2, input_shape=(3,))]), path, whole)
    old = _contents(path)
    before = _files_under(tmp_path)

    def full_disk(descriptor):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(OSError, match="No space left on device") as info:
        save(Sequential([Dense(7, input_shape=(3,))]), path, whole)
    assert str(path) in str(info.value)
    monkeypatch.undo()
    assert _contents(path) == old
    assert _files_under(tmp_path) == before


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                    reason="root ignores file permissions, so a read-only folder cannot refuse the write")
@pytest.mark.parametrize("fmt", sorted(WRITERS))
def test_permission_denied_leaves_the_old_file(tmp_path, fmt):
    filename, whole = WRITERS[fmt]
    folder = tmp_path / "locked"
    folder.mkdir()
    path = folder / filename
    save(Sequential([Dense(2, input_shape=(3,))]), path, whole)
    old = _contents(path)
    for directory in [folder] + ([path] if os.path.isdir(path) else []):
        os.chmod(directory, stat.S_IRUSR | stat.S_IXUSR)
    try:
        with pytest.raises(PermissionError) as info:
            save(Sequential([Dense(7, input_shape=(3,))]), path, whole)
        assert str(path) in str(info.value)
    finally:
        for directory in [folder] + ([path] if os.path.isdir(path) else []):
            os.chmod(directory, stat.S_IRWXU)
    assert _contents(path) == old


@pytest.mark.parametrize("fmt", sorted(WRITERS))
def test_saved_files_get_the_normal_mode_and_stale_temporaries_go(tmp_path, fmt):
    filename, whole = WRITERS[fmt]
    path = tmp_path / "sub" / "dir" / filename  # missing parent folders are created, as TensorFlow 2 did
    stale_folder = path if fmt == "folder" else path.parent
    stale_name = "model.weights.h5" if fmt == "folder" else filename
    stale_folder.mkdir(parents=True, exist_ok=True)
    stale = stale_folder / f".{stale_name}.999999999.deadbeef.partial"  # left by a killed save
    stale.write_bytes(b"half a file")
    save(Sequential([Dense(2, input_shape=(3,))]), path, whole)
    assert not stale.exists()
    umask = os.umask(0)
    os.umask(umask)
    files = [path / name for name in os.listdir(path)] if fmt == "folder" else [path]
    for file in files:
        assert stat.S_IMODE(os.stat(file).st_mode) == 0o666 & ~umask
