"""NumPy's BLAS as the benchmark's processes see it: which kernel runs, and how fast SGEMM is.

Some machines set ``OPENBLAS_CORETYPE`` and ``OPENBLAS_L2_SIZE`` (older OpenBLAS builds fail on
some processors without them). On an AVX-512 processor they hold OpenBLAS to AVX2 kernels and
about half its SGEMM speed, which handicaps NumPy (minidl) and not PyTorch or TensorFlow, whose
BLAS is not OpenBLAS. The benchmark therefore unsets both in its own worker processes, for every
framework alike (``--keep-blas-variables`` keeps them), and records what OpenBLAS then ran.

``python benchmarks/blas.py`` prints the probe as JSON for the current environment.
"""

import json
import os
import subprocess
import sys
import time

HANDICAP_VARIABLES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
SGEMM_SIZE = 1024


def environment(keep_handicap=False):
    """The environment for benchmark processes: this one, less the handicap variables."""
    env = dict(os.environ)
    if not keep_handicap:
        for name in HANDICAP_VARIABLES:
            env.pop(name, None)
    return env


def sgemm_gflops(size=SGEMM_SIZE, repeats=7):
    """Median GFLOP/s of a float32 (size x size) @ (size x size) product with all BLAS threads."""
    import numpy as np

    rng = np.random.default_rng(0)
    a = rng.random((size, size), dtype=np.float32)
    b = rng.random((size, size), dtype=np.float32)
    out = np.empty((size, size), dtype=np.float32)
    for _ in range(3):
        np.matmul(a, b, out=out)
    rates = []
    for _ in range(repeats):
        started = time.perf_counter()
        np.matmul(a, b, out=out)
        rates.append(2 * size**3 / (time.perf_counter() - started) / 1e9)
    rates.sort()
    return rates[len(rates) // 2]


def probe():
    """The BLAS NumPy loaded (threadpoolctl's report) and its SGEMM rate, in this process."""
    import numpy  # noqa: F401 - loads the BLAS library threadpoolctl then reports
    from threadpoolctl import threadpool_info

    libraries = [
        {key: info.get(key) for key in ("internal_api", "version", "architecture", "num_threads", "filepath")}
        for info in threadpool_info() if info.get("user_api") == "blas"
    ]
    return {
        "blas_libraries": libraries,
        "sgemm_size": SGEMM_SIZE,
        "sgemm_gflops": round(sgemm_gflops(), 1),
        "variables": {name: os.environ.get(name) for name in HANDICAP_VARIABLES},
    }


def probe_in_subprocess(env):
    """:func:`probe` run in a fresh process with ``env`` (the variables act at library load)."""
    completed = subprocess.run([sys.executable, os.path.abspath(__file__)], env=env, capture_output=True,
                               text=True, timeout=300)
    if completed.returncode != 0:
        return {"error": completed.stderr.strip()[-500:]}
    return json.loads(completed.stdout)


def describe(result):
    """One line for the report: the kernel OpenBLAS chose and the SGEMM rate."""
    if "error" in result:
        return f"BLAS probe failed: {result['error']}"
    libraries = ", ".join(
        f"{lib['internal_api']} {lib['version']} (kernel {lib['architecture']}, {lib['num_threads']} threads)"
        for lib in result["blas_libraries"]) or "no BLAS reported by threadpoolctl"
    set_variables = {name: value for name, value in result["variables"].items() if value is not None}
    variables = f"set: {set_variables}" if set_variables else f"unset: {', '.join(HANDICAP_VARIABLES)}"
    return (f"{libraries}; SGEMM {result['sgemm_size']}^3 {result['sgemm_gflops']:.0f} GFLOP/s "
            f"(median of 7; {variables})")


if __name__ == "__main__":
    print(json.dumps(probe()))
