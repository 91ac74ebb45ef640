"""The simulated device refuses every implicit device-to-host conversion, as CuPy does, and
allows the explicit ones."""

import copy
import pickle
import warnings

import numpy as np
import pytest

import minidl
from minidl import backend
from minidl.layers import Dense
from minidl.models import Sequential
from minidl.runtime.simulated_device import DeviceArray, DeviceTransferError, xp


@pytest.fixture
def array():
    return xp.asarray(np.array([[1.0, 2.0], [3.0, 4.0]]))


def test_transfer_error_is_a_type_error_like_cupys():
    assert issubclass(DeviceTransferError, TypeError)


@pytest.mark.parametrize("convert", [
    np.asarray, np.array, float, int, bool, complex, np.exp,
], ids=["np.asarray", "np.array", "float", "int", "bool", "complex", "np.exp"])
def test_implicit_conversions_are_refused(convert):
    scalar = xp.asarray(np.array(2.5))
    with pytest.raises(TypeError):
        convert(scalar)


def test_truth_tests_and_indexing_by_a_device_value_are_refused(array):
    with pytest.raises(DeviceTransferError, match="truth test"):
        if array.sum() > 0:
            pass
    with pytest.raises(DeviceTransferError, match="as an index"):
        [10, 20, 30][xp.asarray(np.array(1))]
    with pytest.raises(DeviceTransferError):
        range(xp.asarray(np.array(3)))
    with pytest.raises(DeviceTransferError, match="float()"):
        float(array.mean())


def test_mixing_a_host_ndarray_into_device_work_is_refused(array):
    host = np.ones(2)
    for mix in (lambda: array + host, lambda: host + array, lambda: array * host, lambda: xp.maximum(array, host),
                lambda: xp.where(array > 1, host, array)):
        with pytest.raises(DeviceTransferError, match=r"a host numpy.ndarray of shape \(2,\) was mixed"):
            mix()
    with pytest.raises(DeviceTransferError):
        array[0] = host


def test_python_scalars_mix_freely(array):
    assert isinstance(array * 2.0 + 1, DeviceArray)
    np.testing.assert_array_equal((array * 2.0 + 1).get(), [[3, 5], [7, 9]])


def test_explicit_transfers_are_allowed(array):
    host = np.array([1.0, 2.0, 3.0])
    moved = xp.asarray(host)
    assert isinstance(moved, DeviceArray)
    host[0] = 100.0  # the transfer copied: the device array is independent of the host buffer
    assert moved.get().tolist() == [1.0, 2.0, 3.0]
    got = moved.get()
    assert isinstance(got, np.ndarray) and got.tolist() == [1.0, 2.0, 3.0]
    got[1] = -1.0
    assert moved[1].item() == 2.0  # .get() copied too
    assert array.sum().item() == 10.0
    assert array.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert isinstance(backend.to_numpy(array), np.ndarray)


def test_reductions_return_0d_device_arrays_not_numpy_scalars(array):
    total = array.sum()
    assert isinstance(total, DeviceArray) and total.shape == ()
    assert isinstance(xp.max(array), DeviceArray)
    assert isinstance(array[0, 1], DeviceArray)


def test_device_arrays_behave_like_arrays(array):
    assert array.shape == (2, 2) and array.dtype == np.float64 and array.ndim == 2 and array.size == 4
    assert len(array) == 2
    assert [row.get().tolist() for row in array] == [[1.0, 2.0], [3.0, 4.0]]
    np.testing.assert_array_equal((array @ array).get(), [[7, 10], [15, 22]])
    np.testing.assert_array_equal(array.T.get(), [[1, 3], [2, 4]])
    np.testing.assert_array_equal(xp.concatenate([array, array]).get().shape, (4, 2))
    np.testing.assert_array_equal(array[xp.asarray(np.array([1, 1]))].get(), [[3, 4], [3, 4]])
    array[0, 0] = xp.asarray(np.array(9.0))
    array += 1
    assert array.get()[0, 0] == 10.0
    assert isinstance(xp.random.default_rng(0).random(3), DeviceArray)
    assert xp.float32 is np.float32


def test_copies_and_pickling_stay_on_the_device(array):
    for clone in (copy.copy(array), copy.deepcopy(array), pickle.loads(pickle.dumps(array))):
        assert isinstance(clone, DeviceArray)
        np.testing.assert_array_equal(clone.get(), array.get())
    duplicate = copy.copy(array)
    duplicate[0, 0] = -5.0
    assert array.get()[0, 0] == 1.0


# -- the mixed-device policy (minidl.backend): ops warn and copy, entry points move data silently --

@pytest.fixture
def on_simulated_device():
    """The simulated backend (the autouse fixture in conftest puts numpy back afterwards)."""
    minidl.set_backend("simulated")
    minidl.set_seed(0)


def test_a_host_array_given_to_an_op_on_a_device_is_copied_with_a_warning(on_simulated_device):
    weights = minidl.tensor(np.ones((3, 2), np.float32))
    host = np.arange(6, dtype=np.float32).reshape(2, 3)
    with pytest.warns(backend.DeviceTransferWarning, match=r"host numpy.ndarray of shape \(2, 3\) \(float32\).*"
                                                           r"backend is 'simulated'.*minidl.tensor\(x\)"):
        product = minidl.ops.matmul(host, weights)
    assert isinstance(product.data, DeviceArray)
    np.testing.assert_array_equal(product.data.get(), host @ np.ones((3, 2), np.float32))


def test_scalars_explicit_copies_and_model_entry_points_never_warn(on_simulated_device):
    x = np.random.default_rng(0).random((8, 4)).astype(np.float32)
    y = np.ones((8, 1), np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error", backend.DeviceTransferWarning)
        t = minidl.tensor(x)  # an explicit copy
        (t * 2.0 + np.float32(1)).sum()
        model = Sequential([Dense(1, input_shape=(4,))])
        model.compile(optimizer="sgd", loss="mse")
        model.fit(x, y, batch_size=4, epochs=1, verbose=0)
        model.evaluate(x, y, verbose=0)
        model.predict(x, verbose=0)
        model.train_on_batch(x, y)
        model(x)


def test_the_numpy_backend_never_warns():
    with warnings.catch_warnings():
        warnings.simplefilter("error", backend.DeviceTransferWarning)
        minidl.ops.matmul(np.ones((2, 3)), minidl.tensor(np.ones((3, 2))))
