"""InputSpec: a layer's declared input contract, checked by the base class on every call."""

import numpy as np
import pytest

import minidl
from minidl.layers import Dense, Input, InputSpec, Layer
from minidl.layers.base import clear_session


class Pairwise(Layer):
    """A custom layer declaring its contract the Keras way."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.input_spec = InputSpec(ndim=3, axes={-1: 2}, layout=("batch", "pairs", "coordinates"))

    def call(self, inputs):
        return inputs[:, :, :1] - inputs[:, :, 1:]


def test_a_custom_layer_declares_its_spec_and_the_base_class_checks_it(any_backend):
    clear_session()
    layer = Pairwise()
    assert layer(np.zeros((4, 5, 2), "float32")).shape == (4, 5, 1)
    with pytest.raises(ValueError, match=r"pairwise \(Pairwise\): expected input of rank 3 \(batch, pairs, "
                                         r"coordinates\), got shape \(4, 2\)"):
        layer(np.zeros((4, 2), "float32"))
    with pytest.raises(ValueError, match=r"pairwise \(Pairwise\): expected input of rank 3 with 2 coordinates on "
                                         r"the last axis, \(batch, pairs, 2\), got shape \(4, 5, 3\)"):
        layer(np.zeros((4, 5, 3), "float32"))
    with pytest.raises(ValueError, match=r"got shape \(None, 5, 3\)"):  # symbolic calls too, with None kept
        layer(Input(shape=(5, 3)))


@pytest.mark.parametrize("spec, good, bad, match", [
    (InputSpec(min_ndim=2), (2, 3), (2,), r"rank >= 2, got shape \(2,\)"),
    (InputSpec(max_ndim=3), (2, 3, 4), (2, 3, 4, 5), r"rank <= 3, got shape"),
    (InputSpec(min_ndim=2, max_ndim=3), (2, 3), (2, 3, 4, 5), r"rank 2 to 3"),
    (InputSpec(axes={1: 4}), (2, 4, 9), (2, 5, 9), r"with 4 entries on axis 1, got shape \(2, 5, 9\)"),
    (InputSpec(shape=(None, 3)), (7, 3), (7, 4), r'Input 0 of layer "probe" is incompatible with the layer: '
                                                 r"expected shape=\(None, 3\), found shape=\(7, 4\)"),
    (InputSpec(shape=(None, 3, 1), allow_last_axis_squeeze=True), (7, 3), (7, 4), r"expected shape=\(None, 3, 1\)"),
    (InputSpec(dtype="int32"), np.zeros((2, 2), "int32"), np.zeros((2, 2), "float32"),
     r"expected input of dtype int32, got dtype float32"),
])
def test_each_kind_of_constraint(spec, good, bad, match):
    probe = Dense(1, name="probe")

    def check(value):
        array = value if isinstance(value, np.ndarray) else np.zeros(value)
        spec.check(probe, array.shape, array.dtype)

    check(good)
    with pytest.raises(ValueError, match=match):
        check(bad)


def test_one_spec_per_input_and_unknown_sizes():
    probe = Dense(1, name="probe")
    specs = [InputSpec(ndim=2), InputSpec(ndim=3)]
    tensors = [minidl.tensor(np.zeros((1, 2))), minidl.tensor(np.zeros((1, 2, 3)))]
    minidl.layers.input_spec.check_inputs(probe, specs, tensors)
    with pytest.raises(ValueError, match=r"probe \(Dense\), input 1: expected input of rank 3"):
        minidl.layers.input_spec.check_inputs(probe, specs, tensors[:1] * 2)
    with pytest.raises(ValueError, match=r"expected 2 input tensor\(s\), got 1"):
        minidl.layers.input_spec.check_inputs(probe, specs, tensors[:1])
    with pytest.raises(ValueError, match=r"expected one input tensor, got a list of 2"):
        minidl.layers.input_spec.check_inputs(probe, InputSpec(ndim=2), tensors)
    InputSpec(axes={-1: 3}).check(probe, (None, None, None))  # unknown sizes match anything
    assert repr(InputSpec(ndim=3, axes={-1: 2})) == "InputSpec(ndim=3, axes={-1: 2})"
