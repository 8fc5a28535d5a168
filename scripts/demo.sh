#!/usr/bin/env bash
# The Chinook demo on the bundled SQLite database: creates .venv, installs ormolu[demo], runs it.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[demo]'
exec .venv/bin/python -m examples.chinook "$@"
