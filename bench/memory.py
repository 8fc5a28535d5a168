"""Where a contender's memory goes, test by test: ``python -m bench.memory [options]``.

Runs each named contender's tests A -> M in a fresh process of its own (tracemalloc on
from before the library is imported) on a fresh SQLite file or server database, and
prints per test:

* ``rss`` — the process's resident set size after the test and its peak so far (MiB);
* ``traced`` — the Python allocations still alive after the test (MiB), and the highest
  traced total *during* the test above what was alive at its start (``tracemalloc``
  ``reset_peak``/``get_traced_memory``): the test's own transient peak;
* for the tests named by ``--detail``, what the highest sampled point of the test held
  above its start, by source file (or line, ``--by lineno``): a thread snapshots the
  traced allocations every ``--interval`` seconds and keeps the largest. The snapshots
  slow the test down and take memory themselves: in such a run neither times nor RSS
  mean anything, only the traced figures.

Example (ormolu against SQLAlchemy Core, details of B, I and L)::

    bench/.venv/bin/python -m bench.memory --contenders ormolu,sqlalchemy-core \\
        --n 10000 --detail B,I,L

Memory figures are deterministic enough on a busy machine (unlike times).
"""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import tracemalloc
from pathlib import Path
from typing import Any

from . import dbsetup
from .contenders import MODULES
from .dbsetup import DbConfig
from .worker import memory
from .workload import TESTS, make_workload

ROOT = Path(__file__).resolve().parent.parent
_BY = "filename"  # or "lineno" (--by)


class PeakSampler:
    """Snapshot the traced allocations every ``interval`` s; keep the largest."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.best: tracemalloc.Snapshot | None = None
        self.best_size = -1
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            size = tracemalloc.get_traced_memory()[0]
            if size > self.best_size:
                self.best_size = size
                self.best = tracemalloc.take_snapshot()

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _group(diff: list[tracemalloc.StatisticDiff], top: int) -> list[dict[str, Any]]:
    """The largest positive differences, paths shortened to the package."""
    out = []
    for d in diff[:top]:
        if d.size_diff <= 0:
            break
        frame = d.traceback[0]
        name = frame.filename
        for marker in ("site-packages/", "/src/", "/lib/python3"):
            if marker in name:
                name = name.split(marker, 1)[1]
                break
        if _BY == "lineno":
            name += f":{frame.lineno}"
        out.append({"file": name, "mib": round(d.size_diff / 2**20, 2), "blocks": d.count_diff})
    return out


def measure(contender: str, cfg: DbConfig, n: int, detail: set[str], interval: float) -> Any:
    """In this process: run every test of ``contender`` with tracemalloc on."""
    tracemalloc.start(1)
    mod = importlib.import_module(f"bench.contenders.{MODULES[contender]}")
    if getattr(mod, "ASYNC", False):
        raise SystemExit("asynchronous contenders are not supported here yet")
    w = make_workload(n)
    bench = mod.Bench(cfg)
    out: dict[str, Any] = {
        "setup": {**memory(), "traced_mb": _mib(tracemalloc.get_traced_memory()[0])}
    }
    for letter, method, _ in TESTS:
        gc.collect()
        start_size = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        before = tracemalloc.take_snapshot() if letter in detail else None
        if before is not None:
            with PeakSampler(interval) as sampler:
                getattr(bench, method)(w)
        else:
            getattr(bench, method)(w)
        current, peak = tracemalloc.get_traced_memory()
        row = {
            **memory(),
            "traced_mb": _mib(current),
            "test_peak_mb": _mib(peak - start_size),
        }
        if before is not None and sampler.best is not None:
            diff = sampler.best.compare_to(before, _BY)
            row["at_peak"] = _group(diff, 12)
            row["sampled_peak_mb"] = _mib(sampler.best_size - start_size)
        out[letter] = row
    bench.close()
    return out


def _mib(size: int) -> float:
    return round(size / 2**20, 2)


def main(argv: list[str]) -> int:
    """Entry point."""
    p = argparse.ArgumentParser(prog="python -m bench.memory", description=__doc__)
    p.add_argument("--contenders", default="raw,ormolu,sqlalchemy-core")
    p.add_argument("--n", type=int, default=10_000)
    p.add_argument("--db", default="sqlite", choices=("sqlite", "postgresql", "mysql"))
    p.add_argument("--detail", default="", help="tests to break down by file, e.g. B,I")
    p.add_argument("--interval", type=float, default=0.02, help="sampling period (s)")
    p.add_argument("--by", choices=("filename", "lineno"), default="filename")
    p.add_argument("--json", help="also write the figures to this file")
    p.add_argument("--child", help=argparse.SUPPRESS)  # internal: one contender's process
    args = p.parse_args(argv)
    detail = {t.strip().upper() for t in args.detail.split(",") if t.strip()}
    global _BY
    _BY = args.by
    if args.child:
        job = json.loads(args.child)
        cfg = DbConfig.from_json(job["db"])
        result = measure(job["contender"], cfg, args.n, detail, args.interval)
        print(json.dumps(result))
        return 0
    if args.db == "sqlite":
        where = dbsetup.sqlite_dir()
        cfg = DbConfig("sqlite", path=os.path.join(where, "memory.db"))
    else:
        where = ""
        cfg = dbsetup.server_config(args.db)
        dbsetup.create_database(cfg)
    results: dict[str, Any] = {}
    try:
        w = make_workload(args.n)
        for key in [k.strip() for k in args.contenders.split(",") if k.strip()]:
            dbsetup.fresh_table(cfg)
            dbsetup.fresh_relations(cfg, w)
            job = json.dumps({"contender": key, "db": cfg.to_json()})
            cmd = [sys.executable, "-m", "bench.memory", "--child", job, "--n", str(args.n)]
            cmd += ["--detail", args.detail, "--interval", str(args.interval), "--by", args.by]
            started = time.perf_counter()
            proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
            if proc.returncode:
                print(f"{key}: failed\n{proc.stderr[-2000:]}", file=sys.stderr)
                continue
            results[key] = json.loads(proc.stdout.strip().splitlines()[-1])
            print(f"({key}: {time.perf_counter() - started:.0f} s)", file=sys.stderr)
    finally:
        dbsetup.drop_database(cfg)
        if where:
            shutil.rmtree(where, ignore_errors=True)
    print_table(results)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    return 0


def print_table(results: dict[str, Any]) -> None:
    """Per test and contender: peak RSS so far, traced after, the test's traced peak."""
    keys = list(results)
    print("point  " + "".join(f"| {k:^32} " for k in keys))
    print("       " + "| peak RSS  RSS  traced  test-peak " * len(keys))
    for point in ("setup", *(t[0] for t in TESTS)):
        line = f"{point:6} "
        for k in keys:
            r = results[k].get(point, {})
            line += (
                f"| {r.get('peak_rss_mb', 0):8.1f} {r.get('rss_mb', 0):5.1f} "
                f"{r.get('traced_mb', 0):7.1f} {r.get('test_peak_mb', 0):9.1f} "
            )
        print(line)
    for k in keys:
        for point, r in results[k].items():
            if "at_peak" not in r:
                continue
            print(
                f"\n{k}, test {point}: {r['sampled_peak_mb']} MiB above the start at the "
                "highest sampled point, by file:"
            )
            for item in r["at_peak"]:
                print(f"   {item['mib']:7.2f} MiB {item['blocks']:8d} blocks  {item['file']}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
