"""The models of ``tests/keras_scripts`` have Keras's parameter counts and output shapes.

Every ``build*`` function of a script is run twice: as written (on minidl) and with its import
lines turned back into Keras's (``minidl.keras`` -> ``keras``, ``minidl.tf`` -> ``tensorflow``),
on the real Keras installed beside it. The two models must agree layer by layer: the layer's
class, its number of weights, and its output shape; and in total and trainable parameters.

Keras 3 removed ``ImageDataGenerator`` and ``keras.preprocessing.text``; the lines importing
them are left pointing at minidl's (they play no part in the models). Functions applied to
symbolic tensors are layers (``TFOpLambda``) in minidl, as in TensorFlow 2's Keras, but not in
Keras 3, so they are left out of the layer-by-layer comparison.

Keras and TensorFlow are not installed in CI (they are large); there these tests skip. A
builder using a TensorFlow 2-era form that Keras 3 rejects is listed in ``KERAS3_REJECTS``
with the reason; a script waiting for another branch's work is skipped with its reason.
"""

import ast
import importlib
import inspect
import pathlib
import types

import numpy as np
import pytest

from tests.test_keras_scripts import WAITING

keras = pytest.importorskip("keras", reason="real Keras is not installed (CI does not install it)")

SCRIPTS_DIR = pathlib.Path(__file__).parent / "keras_scripts"

# (script, builder) -> why real Keras 3 cannot build it as written (minidl accepts these TF 2 forms)
KERAS3_REJECTS = {
    ("lambda_and_tf_ops_in_models", "build_tf_op_model"): "TensorFlow functions on KerasTensors (TF 2's automatic "
                                                          "op layers) raise in Keras 3",
    ("lambda_and_tf_ops_in_models", "build_vae_encoder"): "keras.backend.random_normal / K.shape are gone in Keras 3",
    ("gan_train_on_batch", "build_gan"): "takes two models as arguments (covered by its two builders)",
}


def _defines_builders(path):
    """Whether a script has a top-level ``build*`` function called without arguments. Only
    those scripts are executed here: a script written as flat notebook or guide code (no main
    guard: ``tf_tutorial_*.py``, keras-io guides) runs its whole training when executed, and
    writes its files into the working folder."""
    tree = ast.parse(path.read_text())
    return any(isinstance(node, ast.FunctionDef) and node.name.startswith("build")
               and len(node.args.args) == len(node.args.defaults) for node in tree.body)


def _builders():
    cases = []
    for path in sorted(SCRIPTS_DIR.glob("*.py")):
        if not _defines_builders(path):
            continue
        module = _load(path, to_keras=False)
        for name, function in vars(module).items():
            if name.startswith("build") and inspect.isfunction(function) and function.__module__ == module.__name__:
                cases.append(pytest.param(path.stem, name, id=f"{path.stem}.{name}"))
    return cases


# preprocessing modules that Keras 3 no longer has: those import lines keep minidl's
_KEPT_IMPORTS = ("minidl.keras.preprocessing.image import ImageDataGenerator", "minidl.keras.preprocessing.text",
                 "minidl.tf.keras.preprocessing.image import ImageDataGenerator")


def _to_keras(source):
    lines = []
    for line in source.splitlines():
        if not any(kept in line for kept in _KEPT_IMPORTS):
            line = line.replace("minidl.keras", "keras").replace("minidl.tf", "tensorflow")
        lines.append(line)
    return "\n".join(lines) + "\n"


def _load(path, to_keras):
    source = path.read_text()
    if to_keras:
        source = _to_keras(source)
    module = types.ModuleType(f"keras_parity_{path.stem}_{'keras' if to_keras else 'minidl'}")
    module.__file__ = str(path)
    exec(compile(source, str(path), "exec"), module.__dict__)  # noqa: S102 - our own test scripts
    return module


def _first_model(built):
    return built[0] if isinstance(built, tuple) else built


def _minidl_rows(model):
    rows = []
    for layer in model.layers:
        if type(layer).__name__ in ("InputLayer", "TFOpLambda"):
            continue
        shape = layer.output_shape_seen
        rows.append((type(layer).__name__, layer.count_params(), _normalized(shape)))
    return rows


def _keras_rows(model, input_shape):
    if not model.built:
        model.build(input_shape)
    rows = []
    for layer in model.layers:
        if type(layer).__name__ == "InputLayer":
            continue
        output = layer.output
        shape = [tuple(o.shape) for o in output] if isinstance(output, (list, tuple)) else tuple(output.shape)
        rows.append((type(layer).__name__, layer.count_params(), _normalized(shape)))
    return rows


def _normalized(shape):
    if isinstance(shape, list):
        return [_normalized(s) for s in shape]
    return tuple(None if size is None else int(size) for size in shape)


def _counts(model):
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    return model.count_params(), trainable


@pytest.mark.parametrize("script, builder", _builders())
def test_model_matches_keras(script, builder):
    if (script, builder) in KERAS3_REJECTS:
        pytest.skip(KERAS3_REJECTS[(script, builder)])
    if f"{script}.py" in WAITING:
        pytest.skip(WAITING[f"{script}.py"])
    path = SCRIPTS_DIR / f"{script}.py"
    minidl_model = _first_model(getattr(_load(path, to_keras=False), builder)())
    keras.backend.clear_session()
    keras_model = _first_model(getattr(_load(path, to_keras=True), builder)())
    input_shape = minidl_model.input_shape
    assert _minidl_rows(minidl_model) == _keras_rows(keras_model, input_shape)
    assert _counts(minidl_model) == _counts(keras_model)


def test_the_scripts_define_builders():
    assert len(_builders()) >= 30
    importlib.import_module("minidl.keras")
