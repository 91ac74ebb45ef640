#!/bin/bash
# Every GPU verification the "GPU" issue asks for, as one script for the device tool's 15-minute
# budget (see RESULTS.md, "GPU"). Run from the repository root on the GPU machine, e.g.
#
#   run(command="bash benchmarks/gpu_check.sh", carry=[".gpu-data"], timeout_s=540)
#
# where .gpu-data/ (ignored by git through .git/info/exclude) holds aclImdb_v1.tar.gz and the
# token cache that `python examples/lstm_imdb.py --quick` leaves in $MINIDL_CACHE_DIR. Results go
# to $OUT (or ./gpu-check-out): the gpu test log, both benchmark JSONs and the flagship's metrics.
#
# The GPU machine reaches no package index: packages it lacks travel as wheels in .whl/ (also
# excluded from git; carry=[".gpu-data", ".whl"]), downloaded here for its Python as the device
# tool's README shows: h5py (a dependency of minidl since the Keras file formats), hypothesis,
# and mpi4py + mpich for the distributed NCCL test.
set -u
OUT=${OUT:-gpu-check-out}
mkdir -p "$OUT"
SITE=""
if [ -d .whl ]; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
    && SITE=":/tmp/site" && export PATH="/tmp/site/bin:$PATH"
fi
export PYTHONPATH=.$SITE MINIDL_DATA_DIR=${MINIDL_DATA_DIR:-.gpu-data} MINIDL_CACHE_DIR=${MINIDL_CACHE_DIR:-.gpu-data/cache}
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | tee "$OUT/gpu.txt"
python3 -c "import cupy, torch; print('cupy', cupy.__version__, 'torch', torch.__version__)" | tee -a "$OUT/gpu.txt"
timeout 240 python3 -m pytest -q -m gpu -p no:cacheprovider > "$OUT/gpu_tests.log" 2>&1
tail -n 3 "$OUT/gpu_tests.log"
timeout 120 python3 benchmarks/gpu_rnn.py --quick --json "$OUT/gpu_rnn.json" | tail -n 12
timeout 90 python3 benchmarks/gpu_cnn.py --json "$OUT/gpu_cnn.json" | tail -n 6
timeout 120 python3 examples/lstm_imdb.py --backend cupy --out "$OUT/lstm_imdb_cupy" | tail -n 3
