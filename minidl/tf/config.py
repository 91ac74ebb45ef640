"""``tf.config`` and ``tf.test``: which devices there are, and the settings scripts commonly
call at their top (memory growth, threads, eager mode), accepted so those scripts run.

The GPU list is minidl's: one GPU when the CuPy backend is active, none otherwise.
"""

from collections import namedtuple

from minidl.runtime import backend

PhysicalDevice = namedtuple("PhysicalDevice", ["name", "device_type"])
LogicalDevice = namedtuple("LogicalDevice", ["name", "device_type"])


def list_physical_devices(device_type=None):
    devices = [PhysicalDevice("/physical_device:CPU:0", "CPU")]
    if backend.on_device() and backend.get_backend() == "cupy":
        devices.append(PhysicalDevice("/physical_device:GPU:0", "GPU"))
    if device_type is None:
        return devices
    return [device for device in devices if device.device_type == str(device_type).upper()]


def list_logical_devices(device_type=None):
    return [LogicalDevice(device.name.replace("physical_device", "device"), device.device_type)
            for device in list_physical_devices(device_type)]


def get_visible_devices(device_type=None):
    return list_physical_devices(device_type)


def set_visible_devices(devices, device_type=None):
    """Accepted; minidl's device is chosen with minidl.set_backend('numpy' | 'cupy')."""


def run_functions_eagerly(run_eagerly):
    """Accepted: minidl always runs eagerly."""


def functions_run_eagerly():
    return True


class experimental:  # noqa: N801 - TensorFlow's namespace
    @staticmethod
    def set_memory_growth(device, enable):
        """Accepted: CuPy's memory pool already grows on demand."""

    @staticmethod
    def get_memory_growth(device):
        return True

    list_physical_devices = staticmethod(list_physical_devices)
    set_visible_devices = staticmethod(set_visible_devices)


class threading:  # noqa: N801 - TensorFlow's namespace
    @staticmethod
    def set_intra_op_parallelism_threads(num_threads):
        """Accepted; minidl sizes its CPU thread pool from the cores available."""

    @staticmethod
    def set_inter_op_parallelism_threads(num_threads):
        """Accepted (minidl runs one op at a time)."""

    @staticmethod
    def get_intra_op_parallelism_threads():
        return 0

    @staticmethod
    def get_inter_op_parallelism_threads():
        return 0


class test:  # noqa: N801 - the tf.test namespace
    @staticmethod
    def is_gpu_available(cuda_only=False, min_cuda_compute_capability=None):
        return bool(list_physical_devices("GPU"))

    @staticmethod
    def gpu_device_name():
        return "/device:GPU:0" if list_physical_devices("GPU") else ""

    @staticmethod
    def is_built_with_cuda():
        return bool(list_physical_devices("GPU"))
