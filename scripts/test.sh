#!/usr/bin/env bash
# The whole test suite: creates .venv, installs ormolu with its dev tools, then runs
# ruff (lint + format check), mypy --strict and pytest (unit, integration, docs, demo).
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[dev,demo]'
echo "== ruff check"; .venv/bin/ruff check src examples tests bench
echo "== ruff format --check"; .venv/bin/ruff format --check src examples tests bench
echo "== mypy --strict"; .venv/bin/mypy
echo "== pytest"; .venv/bin/pytest -q "$@"
