"""Keras names that minidl.keras lacks raise UnsupportedError with what to use instead, and the
advice is the one docs/keras_coverage.md gives."""

import re

import pytest

import minidl.keras as keras
from minidl.errors import UnsupportedError
from minidl.keras import unsupported
from tests.conftest import REPO_ROOT

PAGE = (REPO_ROOT / "docs" / "keras_coverage.md").read_text()


def _module(name):
    module = keras
    for part in name.split(".")[2:]:
        module = getattr(module, part)
    return module


def test_every_layer_the_page_marks_missing_raises_with_the_page_advice():
    rows = re.findall(r"^\| `(\w+)` \| no \| (.*?) \|$", PAGE, re.M)
    assert len(rows) > 50
    for name, advice in rows:
        with pytest.raises(UnsupportedError) as caught:
            getattr(keras.layers, name)
        assert str(caught.value).startswith(f"keras.layers.{name} is not supported by minidl; instead: ")
        assert advice.replace("`", "") in str(caught.value)
    assert sorted(name for name, _ in rows) == sorted(unsupported.NEAREST["minidl.keras.layers"])


def test_every_other_name_the_page_lists_as_missing_raises():
    table = PAGE.split("## Other Keras names minidl does not have")[1].split("\n## ")[0]
    modules = {"losses", "metrics", "optimizers", "callbacks", "activations", "utils", "applications"}
    for module, missing in re.findall(r"^\| (\w+) \| (.*?) \| .*? \|$", table, re.M):
        if module not in modules:
            continue
        for name in re.findall(r"`(\w+)`", missing):
            with pytest.raises(UnsupportedError, match=rf"keras\.{module}\.{name} is not supported by minidl; "):
                getattr(getattr(keras, module), name)


def test_advice_is_only_given_for_names_minidl_really_lacks():
    for module_name, names in unsupported.NEAREST.items():
        module = _module(module_name)
        present = sorted(name for name in names if name in vars(module))
        assert present == [], f"{module_name} has {present}: drop them from minidl/keras/unsupported.py"


def test_other_missing_names_are_plain_attribute_errors_and_hasattr_is_false():
    with pytest.raises(AttributeError) as caught:
        keras.layers.NoSuchLayer  # noqa: B018
    assert not isinstance(caught.value, UnsupportedError)
    assert not hasattr(keras.layers, "ConvLSTM2D")
    assert not hasattr(keras, "mixed_precision")
    with pytest.raises(UnsupportedError, match=r"keras.mixed_precision is not supported by minidl; instead: minidl "
                                               r"computes in float32"):
        keras.mixed_precision.set_global_policy("mixed_float16")
