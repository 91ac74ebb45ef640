"""The steps every load shares: build a model from a file's configuration without letting the
file make minidl allocate more than it holds, check stored arrays against the model's weights,
and assign them all only once every one has been checked.

Every reader (minidl's ``.npz``, Keras's ``.h5``, ``.weights.h5`` and ``.keras``) first reads
and checks everything, producing a list of ``(weight, array)`` pairs, and only then calls
:func:`assign_all`; so a file that fails on its last layer leaves the model exactly as it was.
"""

import contextlib
import re
import warnings

import numpy as np

from minidl.errors import ModelFileError
from minidl.layers.base import checking_new_weights
from minidl.models import registry
from minidl.models.file_checks import describe_exception, file_error
from minidl.runtime import backend


@contextlib.contextmanager
def weight_budget(elements, path):
    """Within this block, newly created weights may hold ``elements`` numbers in all: a model
    built from a file's configuration must fit in the weights the file holds."""
    remaining = [int(elements)]

    def check(layer, name, shape, dtype):
        size = int(np.prod(shape, dtype=np.float64))
        if size > remaining[0]:
            raise file_error(path, f"its configuration makes layer {layer.name!r} create weight {name!r} of shape "
                                   f"{shape}, but the file holds only {remaining[0]} more weight values; the "
                                   "configuration and the weights do not belong together (or the file is crafted)")
        remaining[0] -= size

    with checking_new_weights(check):
        yield


def build_model(spec, path, custom_objects, budget_elements):
    """A model rebuilt from a file's configuration ``spec``; every problem becomes a ModelFileError."""
    from minidl.models.model import Model

    try:
        with weight_budget(budget_elements, path):
            model = registry.deserialize_layer(spec, custom_objects)
    except ModelFileError:
        raise
    except MemoryError as exc:
        raise file_error(path, "its model configuration asks for more memory than there is; refusing it", exc) from None
    except RecursionError as exc:
        raise file_error(path, "its model configuration is nested too deeply", exc) from None
    except Exception as exc:  # the config's values, or a user class's __init__/from_config/build, failed
        raise file_error(path, f"its model configuration cannot be rebuilt: {describe_exception(exc)}", exc) from None
    if not isinstance(model, Model):
        raise file_error(path, f"its configuration describes a {type(model).__name__} layer, not a model")
    return model


def require_built(model, what, path=None):
    """Weights can only be loaded into a model whose weights exist."""
    if not model.weights:
        source = f" from {path}" if path is not None else ""
        raise ModelFileError(
            f"{what}: cannot load weights{source}: model {model.name!r} has no weights yet (it is not built); build "
            "it first, e.g. by calling it on data or giving the first layer an input_shape",
            path=None if path is None else str(path),
        )


def check_shape(weight, shape, path, stored_as):
    """A ModelFileError when the stored array's shape is not the weight's."""
    if tuple(shape) != tuple(weight.shape):
        owner = getattr(weight.owner, "name", None)
        layer = f" of layer {owner!r}" if owner else ""
        raise file_error(path, f"weight {weight.name!r}{layer} has shape {tuple(weight.shape)} but the file holds shape "
                               f"{tuple(shape)} for it ({stored_as}); nothing was loaded")


def skip_warning(layer_name, reason):
    """The warning of ``skip_mismatch=True`` for a layer left as it was."""
    reason = re.sub(r"[;.] [Nn]othing was loaded\.?$", "", str(reason))
    warnings.warn(f"Skipping loading of weights for layer {layer_name!r}: {reason}; the layer keeps its values",
                  stacklevel=4)


def assign_all(pairs):
    """Assign every ``(weight, array)`` pair; arrays are converted before the first assignment."""
    converted = [(weight, np.asarray(array, dtype=weight.dtype)) for weight, array in pairs]
    for weight, array in converted:
        weight.assign(backend.to_device(array))
