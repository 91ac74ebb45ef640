"""The package's layering (``../shared/DESIGN.md``) holds: no module imports from a layer above
its own. Every import in every module is read with ``ast`` -- those at the top and those inside
functions alike -- so a lazy import cannot hide a dependency the wrong way round.

    host utilities   errors, custom_objects, fileio, graph, labels, progbar, version, tensorboard_events; preprocessing,
                     datasets, viz
                     (plain Python and NumPy)
    runtime          minidl.runtime (and its public name minidl.backend)
    autograd
    ops              the readable forms (ops/reference) never import the fast forms (ops/fast)
    layers           layers, initializers, regularizers
    training         losses, metrics, optimizers, schedules, callbacks
    models
    distributed
    faces            keras, tf, applications, text
    the package      minidl/__init__.py
"""

import ast
import pathlib

import pytest

import minidl

PACKAGE = pathlib.Path(minidl.__file__).parent

LEVELS = [
    ("host utilities", ["minidl.errors", "minidl.custom_objects", "minidl.fileio", "minidl.graph", "minidl.labels", "minidl.progbar",
                        "minidl.version",
                        "minidl.tensorboard_events", "minidl.preprocessing", "minidl.datasets", "minidl.viz"]),
    ("runtime", ["minidl.runtime", "minidl.backend"]),
    ("autograd", ["minidl.autograd"]),
    ("ops", ["minidl.ops"]),
    ("layers", ["minidl.layers", "minidl.initializers", "minidl.regularizers"]),
    ("training", ["minidl.losses", "minidl.metrics", "minidl.optimizers", "minidl.schedules", "minidl.callbacks"]),
    ("models", ["minidl.models"]),
    ("distributed", ["minidl.distributed"]),
    ("faces", ["minidl.keras", "minidl.tf", "minidl.applications", "minidl.text"]),
    ("the package", ["minidl"]),
]

# Imports that go upwards on purpose, each with its reason. Keep this short.
ALLOWED_UPWARDS = {
    # A wrapper rebuilds whatever layer or model it wraps from a saved config, in any of the Keras
    # dialects the model loader reads; the import runs inside get_config/from_config only, as
    # Keras's own wrappers reach into its saving code.
    ("minidl.layers.time_distributed", "minidl.models.registry"),
    ("minidl.layers.rnn", "minidl.models.registry"),  # RNN(cell) rebuilds its cell, the same way
    ("minidl.layers.rnn_cells", "minidl.models.registry"),  # StackedRNNCells rebuilds its cells
}


def module_name(path):
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def all_modules():
    return sorted(module_name(path) for path in PACKAGE.rglob("*.py"))


def source_path(module):
    relative = pathlib.Path(*module.split("."))
    package_init = PACKAGE.parent / relative / "__init__.py"
    return package_init if package_init.exists() else PACKAGE.parent / relative.with_suffix(".py")


def is_module(name):
    relative = pathlib.Path(*name.split("."))
    return (PACKAGE.parent / relative.with_suffix(".py")).exists() or (PACKAGE.parent / relative).is_dir()


def imported_modules(module):
    """The minidl modules ``module`` imports, anywhere in its source (relative imports resolved)."""
    path = source_path(module)
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
                base = base[:len(base) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module
            for alias in node.names:  # ``from minidl.ops import conv`` imports the module minidl.ops.conv
                candidate = f"{source}.{alias.name}"
                found.add(candidate if is_module(candidate) else source)
    return {name for name in found if name == "minidl" or name.startswith("minidl.")}


def level_of(module):
    """(index, name) of the level whose prefix matches ``module`` most closely."""
    best = None
    for index, (level, prefixes) in enumerate(LEVELS):
        for prefix in prefixes:
            is_inside = module.startswith(prefix + ".") and prefix != "minidl"  # the package is its __init__ only
            if module == prefix or is_inside:
                if best is None or len(prefix) > best[0]:
                    best = (len(prefix), index, level)
    if best is None:
        raise AssertionError(f"{module} belongs to no level of the layering; add it to LEVELS in {__file__}")
    return best[1], best[2]


def upward_imports():
    found = []
    for module in all_modules():
        own_index, own_level = level_of(module)
        for target in sorted(imported_modules(module)):
            index, level = level_of(target)
            if index > own_index and (module, target) not in ALLOWED_UPWARDS:
                found.append(f"{module} ({own_level}) imports {target} ({level})")
    return found


def test_every_module_belongs_to_a_level():
    for module in all_modules():
        level_of(module)


def test_no_module_imports_from_a_layer_above_its_own():
    assert upward_imports() == []


def test_the_runtime_imports_nothing_from_minidl_outside_it():
    for module in all_modules():
        if module.startswith("minidl.runtime"):
            outside = [m for m in imported_modules(module) if not m.startswith("minidl.runtime")]
            assert outside == [], f"{module} imports {outside}"


def test_readable_forms_never_import_fast_forms():
    for module in all_modules():
        if module.startswith("minidl.ops.reference"):
            fast = [m for m in imported_modules(module) if m.startswith("minidl.ops.fast")]
            assert fast == [], f"{module} (a readable form) imports {fast}"


def test_layers_and_optimizers_use_only_the_public_ops():
    """``layers``/``optimizers`` call ops through their public modules, not ops' helpers."""
    internal = ("minidl.ops._util", "minidl.ops.fast", "minidl.ops.reference", "minidl.ops.tensor_methods")
    for module in all_modules():
        if module.startswith(("minidl.layers", "minidl.optimizers")):
            reached = [m for m in imported_modules(module) if m.startswith(internal)]
            assert reached == [], f"{module} reaches into {reached}"


@pytest.mark.parametrize("module, target", sorted(ALLOWED_UPWARDS))
def test_every_allowed_upward_import_still_exists(module, target):
    assert target in imported_modules(module), f"{module} no longer imports {target}: drop it from ALLOWED_UPWARDS"


def test_the_checker_sees_an_upward_import(tmp_path, monkeypatch):
    """The checker itself: a function-level import of a higher layer is found."""
    monkeypatch.setattr(pathlib.Path, "read_text", lambda self, *a, **k: "def f():\n    from minidl.models import Sequential\n")
    assert "minidl.models" in imported_modules("minidl.autograd.engine")
