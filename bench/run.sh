#!/usr/bin/env bash
# ormolu's benchmark in one command: bash bench/run.sh [--quick] [--db sqlite|postgresql|mysql]
#   [--n N] [--reps R] [--contenders raw,ormolu,...] [--no-extras]   (--help for all options)
# Creates bench/.venv (python3 -m venv), installs ormolu (-e .) and the peers into it,
# then runs bench/runner.py. A peer whose packages do not install is reported as "n/a"
# with the reason instead of stopping the run. Set BENCH_REINSTALL=1 to reinstall.
set -euo pipefail
cd "$(dirname "$0")/.."

PY="${PYTHON:-python3}"
VENV=bench/.venv
LOG="$VENV/pip.log"
FAILURES="$VENV/install-failures.txt"

# contender key(s) -> the packages they need (drivers for all three backends)
BASE=(-e . "matplotlib>=3.7" "psycopg[binary]>=3.2" "pymysql>=1.1")
PEERS=(
  "sqlalchemy-orm,sqlalchemy-core|sqlalchemy>=2"
  "peewee|peewee>=3.17"
  "django|django>=4.2"
  "pony|pony>=0.7.17 psycopg2-binary"
  "tortoise|tortoise-orm>=0.21 aiosqlite asyncpg aiomysql"
  # the async suite (--suite async): the async floors, ormolu's and SQLAlchemy's AsyncSession
  "raw-async,raw-asyncpg,ormolu-async,ormolu-asyncpg|aiosqlite>=0.20 asyncpg>=0.30"
  "sqlalchemy-async,sqlalchemy-async-psycopg|sqlalchemy[asyncio]>=2 aiosqlite asyncpg"
  "piccolo|piccolo[postgres,sqlite]>=1"
)

[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
STAMP="$VENV/.installed"
WANT="$(printf '%s\n' "${BASE[*]}" "${PEERS[@]}")"
if [ "${BENCH_REINSTALL:-0}" = 1 ] || [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$WANT" ]; then
  echo "bench: installing ormolu and the peers into $VENV (log: $LOG)"
  : > "$LOG"
  : > "$FAILURES"
  pip() { "$VENV/bin/python" -m pip install --disable-pip-version-check -q "$@" >>"$LOG" 2>&1; }
  if ! pip "${BASE[@]}"; then
    echo "bench: cannot install ormolu and the drivers; see $LOG" >&2
    tail -n 20 "$LOG" >&2
    exit 1
  fi
  for entry in "${PEERS[@]}"; do
    keys="${entry%%|*}"
    read -r -a pkgs <<<"${entry#*|}"
    if ! pip "${pkgs[@]}"; then
      reason="pip install ${pkgs[*]} failed: $(grep -E 'ERROR' "$LOG" | tail -n 1 | cut -c1-200)"
      echo "bench: $reason" >&2
      for key in ${keys//,/ }; do printf '%s\tn/a: %s\n' "$key" "$reason" >>"$FAILURES"; done
    fi
  done
  printf '%s' "$WANT" > "$STAMP"
fi

export BENCH_INSTALL_FAILURES="$FAILURES"
MODULE=bench.runner
if [ "${1:-}" = concurrency ]; then  # bash bench/run.sh concurrency [options]
  MODULE=bench.concurrency
  shift
fi
exec "$VENV/bin/python" -m "$MODULE" "$@"
