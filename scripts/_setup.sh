# Sourced by scripts/demo and scripts/test: create or reuse .venv and install surge into it.
# torch is pinned to the CPU build 2.13.0 and installed first, alone, so that no resolver
# ever reaches for a CUDA build. Re-installs only when pyproject.toml changes.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${SURGE_VENV:-$ROOT/.venv}"
PY="${PYTHON:-python3}"
if [ ! -x "$VENV/bin/python" ]; then
    echo "surge: creating virtual environment in $VENV" >&2
    "$PY" -m venv "$VENV"
fi
STAMP="$VENV/.surge-installed"
WANT="$(sha256sum "$ROOT/pyproject.toml" | cut -d' ' -f1)"
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$WANT" ]; then
    echo "surge: installing dependencies (torch==2.13.0 CPU, numpy, rich, ...)" >&2
    LOG="$VENV/install.log"
    if ! { "$VENV/bin/python" -m pip install --quiet "torch==2.13.0" \
           && "$VENV/bin/python" -m pip install --quiet -e "$ROOT[optimizer,plots,distributed,optuna,bench,dev]"; \
         } >"$LOG" 2>&1; then
        cat "$LOG" >&2
        echo "surge: installation failed (log: $LOG)" >&2
        exit 1
    fi
    echo "$WANT" > "$STAMP"
fi
export PATH="$VENV/bin:$PATH"
cd "$ROOT"
