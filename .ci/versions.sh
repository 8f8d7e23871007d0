#!/usr/bin/env bash
# Oldest supported versions: the test suite, scikit-learn's common checks
# included, against the oldest scikit-learn, numpy, pandas, skorch and safetensors that work
# (the minimums of pyproject.toml where they do, each pin says why otherwise) and
# install on this Python, with torch (and everything else) from the system
# environment.
#
# The newest versions are the system environment's own: on a fresh machine the
# README's install (python -m pip install -c constraints.txt -e ".[test]") takes
# the newest releases, and .ci/run runs the whole suite on them. This script prints
# them, and says when PyPI has a newer release than the one installed.
#
# The old packages go into a venv that sees the system site-packages, so only they
# are installed (wheels only, no builds) and shadow the system's copies; torch stays
# the local CPU build. Reruns reuse the venv while the pins are unchanged.
#
# Usage, from anywhere:  bash .ci/versions.sh [extra pytest arguments]
# Environment: PYTHON (default python), SKRNN_OLDEST_VENV (default
# /tmp/skrnn-oldest), SKRNN_VERSIONS_TIMEOUT (seconds for the tests, default 900),
# OMP_NUM_THREADS (default 1).
set -euo pipefail
cd "$(dirname "$0")/.."
# One torch thread: the checks fit many tiny networks, and on a busy 2-core machine
# two OpenMP threads made one check 4 to 18 times slower (8 s against 32-153 s).
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}

PYTHON=${PYTHON:-python}
VENV=${SKRNN_OLDEST_VENV:-/tmp/skrnn-oldest}
TEST_TIMEOUT=${SKRNN_VERSIONS_TIMEOUT:-900}
PY_VERSION=$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')

# The oldest releases that work here, per Python (each with a wheel for it).
case "$PY_VERSION" in
3.11)
    OLDEST=(
        scikit-learn==1.6.0 # pyproject minimum (validate_data, expected_failed_checks)
        numpy==1.23.2       # 1.23.0 and 1.23.1 have no cp311 wheel
        pandas==1.5.0       # pyproject minimum
        skorch==1.2.0       # 1.0 and 1.1 cannot unpickle a fitted net on torch>=2.6
        safetensors==0.4.4  # before 0.4.4 a file with no tensors cannot be read
        scipy==1.9.2        # not ours (sklearn's, skorch's): oldest cp311 wheel
    )
    ;;
*)
    echo "versions.sh: no oldest-versions set recorded for Python $PY_VERSION;" \
        "add one to .ci/versions.sh (tested on Python 3.11)." >&2
    exit 1
    ;;
esac

STAMP="$VENV/.skrnn-oldest-pins"
WANTED="python $("$PYTHON" -c 'import sys; print(sys.version.split()[0])') ${OLDEST[*]}"
if [[ -x "$VENV/bin/python" && -f "$STAMP" && "$(cat "$STAMP")" == "$WANTED" ]]; then
    echo "== reusing $VENV"
else
    echo "== creating $VENV"
    rm -rf "$VENV"
    "$PYTHON" -m venv --system-site-packages "$VENV"
    # Wheels only: a source build would take minutes. pip's complaints about the
    # system's packages that want a newer numpy (matplotlib, ...) are expected.
    if ! timeout 600 "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
        --only-binary :all: -c constraints.txt "${OLDEST[@]}" >"$VENV/pip.log" 2>&1; then
        grep -v "^WARNING: Location 'file:" "$VENV/pip.log" >&2 || true
        echo "versions.sh: pip install of the oldest set failed" >&2
        exit 1
    fi
    echo "$WANTED" >"$STAMP"
fi
echo "   (${SECONDS}s)"

# The versions in effect in the venv: the pins must be what Python imports.
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
"$VENV/bin/python" - "${OLDEST[@]}" <<'EOF'
import importlib.metadata as md
import sys

import numpy as np
import torch

import skrnn

wrong = []
for pin in sys.argv[1:]:
    name, version = pin.split("==")
    if md.version(name) != version:
        wrong.append(f"{name} {md.version(name)} (wanted {version})")
if wrong:
    sys.exit("versions.sh: the venv does not import the pinned versions: " + ", ".join(wrong))
torch.from_numpy(np.zeros(3))  # torch's numpy bridge works with the old numpy
print("== oldest set:", ", ".join(f"{p.split('==')[0]} {p.split('==')[1]}" for p in sys.argv[1:]))
print(f"   with torch {torch.__version__}, python {sys.version.split()[0]}, skrnn from {skrnn.__path__[0]}")
EOF

echo "== newest set (system environment, tested by .ci/run's pytest):"
"$PYTHON" - <<'EOF'
import importlib.metadata as md

names = ["scikit-learn", "numpy", "pandas", "skorch", "safetensors", "torch"]
print("  ", ", ".join(f"{n} {md.version(n)}" for n in names))
EOF
# A newer release on PyPI means the system environment is not the newest: say so
# (a note, not a failure: offline runs and fresh releases must not break CI).
for name in scikit-learn numpy pandas skorch safetensors; do
    installed=$("$PYTHON" -c "import importlib.metadata as m; print(m.version('$name'))")
    latest=$(timeout 30 "$PYTHON" -m pip index versions "$name" 2>/dev/null |
        sed -n "s/^$name (\(.*\))$/\1/p" || true)
    if [[ -n "$latest" && "$latest" != "$installed" ]]; then
        echo "   note: $name $latest is on PyPI, the system has $installed"
    fi
done

# The test suite, less what the oldest numpy cannot import: the system's onnx and
# matplotlib builds need numpy >= 1.25 (the ONNX, plotting and example tests), and
# the property-based suite, which the newest set runs.
echo "== the test suite on the oldest set (after ${SECONDS}s of setup)"
exec timeout "$TEST_TIMEOUT" "$VENV/bin/python" -m pytest tests -q \
    -p no:cacheprovider --ignore=tests/test_examples.py --ignore=tests/test_onnx.py \
    --ignore=tests/test_plotting.py --ignore=tests/test_fuzz.py "$@"
