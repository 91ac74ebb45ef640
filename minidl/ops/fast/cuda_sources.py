"""The CUDA C sources of the fast ops, read from the ``.cu`` files shipped in ``cuda/``.

``source("lstm.cu")`` returns the text NVRTC compiles: the file with each ``#include "x.cuh"``
of a header beside it replaced by that header's text. NVRTC cannot follow an include into a
package that may be zipped, so the loader does it, and it puts ``#line`` directives around the
inlined header: a compile error then names the real file and line (``lstm.cu(42)``,
``rnn_common.cuh(17)``) instead of an offset in one long string. The files are read with
``importlib.resources``, so they are found in a source checkout, an installed wheel or a zip.
"""

import functools
import importlib.resources
import re

_INCLUDE = re.compile(r'^#include "([A-Za-z0-9_]+\.cuh)"\s*$')


def source_files():
    """The names of the CUDA files shipped with minidl (sources and headers), sorted."""
    folder = importlib.resources.files(__package__).joinpath("cuda")
    return sorted(entry.name for entry in folder.iterdir() if entry.name.endswith((".cu", ".cuh")))


def read(name):
    """The text of one file in ``cuda/``, as shipped."""
    return importlib.resources.files(__package__).joinpath("cuda").joinpath(name).read_text(encoding="utf-8")


@functools.lru_cache(maxsize=None)
def source(name):
    """The compilable text of ``cuda/<name>``: local headers written in, with ``#line`` marks."""
    lines = []
    for number, line in enumerate(read(name).splitlines(), start=1):
        include = _INCLUDE.match(line)
        if include is None:
            lines.append(line)
            continue
        header = include.group(1)
        lines.append(f'#line 1 "{header}"')
        lines.extend(read(header).splitlines())
        lines.append(f'#line {number + 1} "{name}"')
    return "\n".join(lines) + "\n"
