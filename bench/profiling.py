"""Profile one contender's tests with cProfile: ``python -m bench.profiling [options]``.

Runs the contender's tests A -> K in this process on a fresh SQLite file (or server
table) exactly as the benchmark does, profiling only the tests named by ``--tests``, and
prints each one's time next to the raw driver's and the top functions by own time
(``tottime``) and by cumulative time. Example, for ormolu's slowest tests::

    bench/.venv/bin/python -m bench.profiling --contender ormolu --tests F,B,I --n 10000

An asynchronous contender runs in one ``asyncio.run`` (the event loop's own work is in
the profile too) and is compared with the async floor ``raw-async``::

    bench/.venv/bin/python -m bench.profiling --contender ormolu-async --db postgresql --tests E,F
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import importlib
import io
import os
import pstats
import shutil
import sys
import time
from typing import Any

from . import dbsetup
from .contenders import MODULES
from .dbsetup import DbConfig
from .workload import TESTS, make_workload


def run(contender: str, cfg: DbConfig, n: int, profile: set[str]) -> dict[str, Any]:
    """Run all tests of ``contender``; return {letter: (seconds, Profile | None)}."""
    dbsetup.fresh_table(cfg)
    mod = importlib.import_module(f"bench.contenders.{MODULES[contender]}")
    w = make_workload(n)
    dbsetup.fresh_relations(cfg, w)
    if getattr(mod, "ASYNC", False):
        return asyncio.run(run_async(mod.Bench(cfg), w, profile))
    bench = mod.Bench(cfg)
    out: dict[str, Any] = {}
    for letter, method, _ in TESTS:
        prof = cProfile.Profile() if letter in profile else None
        started = time.perf_counter()
        if prof:
            prof.enable()
        getattr(bench, method)(w)
        if prof:
            prof.disable()
        out[letter] = (time.perf_counter() - started, prof)
    bench.close()
    return out


async def run_async(bench: Any, w: Any, profile: set[str]) -> dict[str, Any]:
    """:func:`run` for an asynchronous contender, inside one event loop."""
    await bench.setup()
    out: dict[str, Any] = {}
    for letter, method, _ in TESTS:
        if not callable(getattr(bench, method, None)):
            continue
        prof = cProfile.Profile() if letter in profile else None
        started = time.perf_counter()
        if prof:
            prof.enable()
        await getattr(bench, method)(w)
        if prof:
            prof.disable()
        out[letter] = (time.perf_counter() - started, prof)
    await bench.close()
    return out


def main(argv: list[str]) -> int:
    """Entry point."""
    p = argparse.ArgumentParser(prog="python -m bench.profiling", description=__doc__)
    p.add_argument("--contender", default="ormolu", choices=sorted(MODULES))
    p.add_argument("--tests", default="F,B,I,J", help="letters to profile, e.g. D,F")
    p.add_argument("--n", type=int, default=10_000)
    p.add_argument("--db", default="sqlite", choices=("sqlite", "postgresql", "mysql"))
    p.add_argument("--top", type=int, default=15, help="functions listed per table")
    p.add_argument("--floor", help="the reference contender (raw; raw-async for async ones)")
    args = p.parse_args(argv)
    letters = {t.strip().upper() for t in args.tests.split(",") if t.strip()}
    if args.db == "sqlite":
        where = dbsetup.sqlite_dir()
        cfg = DbConfig("sqlite", path=os.path.join(where, "profile.db"))
    else:
        where = ""
        cfg = dbsetup.server_config(args.db)
        dbsetup.create_database(cfg)
    try:
        mod = importlib.import_module(f"bench.contenders.{MODULES[args.contender]}")
        floor_key = args.floor or ("raw-async" if getattr(mod, "ASYNC", False) else "raw")
        floor = run(floor_key, cfg, args.n, set())
        ours = run(args.contender, cfg, args.n, letters)
    finally:
        dbsetup.drop_database(cfg)
        if where:
            shutil.rmtree(where, ignore_errors=True)
    for letter, _, title in TESTS:
        if letter not in letters:
            continue
        seconds, prof = ours[letter]
        raw_seconds = floor[letter][0]
        print(
            f"\n=== {letter} {title}: {args.contender} {seconds:.3f} s, "
            f"{floor_key} {raw_seconds:.3f} s"
        )
        print(f"    (x{seconds / raw_seconds:.1f}; the profiler itself slows Python code down)")
        for sort in ("tottime", "cumulative"):
            buf = io.StringIO()
            stats = pstats.Stats(prof, stream=buf)
            stats.strip_dirs().sort_stats(sort).print_stats(args.top)
            text = buf.getvalue()
            print(f"--- by {sort}")
            print(text[text.find("   ncalls") :].rstrip())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
