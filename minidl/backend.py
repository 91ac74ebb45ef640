"""``minidl.backend``: the public name of the runtime's array-module API.

The module lives in ``minidl/runtime/backend.py`` (read it there); this name is the one users
and the README know -- ``minidl.backend.to_numpy(x)``, ``minidl.backend.DeviceTransferWarning``,
``from minidl import backend`` -- and it is the very same module object, so a setting changed
or a function patched through either name holds for both.
"""

import sys

from minidl.runtime import backend as _runtime_backend

sys.modules[__name__] = _runtime_backend
