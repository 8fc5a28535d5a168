"""One contender's run, in its own process: ``python -m bench.worker JOB.json OUT.json``.

The job file names the contender, the database config, ``n`` and the seed; the worker
builds the workload, runs tests A → M in order timing each with ``perf_counter`` (after a
``gc.collect()``, with the collector left on as in real programs; the read-only tests
D-H, L and M ``inner`` times, keeping the fastest), and writes a JSON result: per test the
seconds and the row count, or the error, or ``na`` with the reason when the contender
cannot run that test; the contender's versions and SQLite settings. A
contender that cannot be imported or set up is reported with the reason instead of
timings. ``kind`` ``"stream"``/``"compile"`` jobs run ormolu's extra
measurements instead.
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import json
import sys
import time
import traceback
from importlib import metadata
from typing import Any

from .contenders import MODULES
from .dbsetup import DbConfig
from .workload import REPEATABLE, TESTS, make_workload


def versions(dists: list[str]) -> dict[str, str]:
    """Installed versions of ``dists`` (``"missing"`` when not installed)."""
    out = {}
    for d in dists:
        try:
            out[d] = metadata.version(d)
        except metadata.PackageNotFoundError:
            out[d] = "missing"
    return out


def _reason(e: BaseException) -> str:
    text = f"{type(e).__name__}: {e}".strip().splitlines()
    return text[0][:300] if text else type(e).__name__


def not_available(bench: Any, letter: str, method: str) -> str | None:
    """Why ``bench`` cannot run one test (its ``not_available`` dict, or a missing method),
    or None: such a test is reported as n/a with the reason instead of being timed."""
    reason = (getattr(bench, "not_available", None) or {}).get(letter)
    if reason:
        return str(reason)
    if not callable(getattr(bench, method, None)):
        return f"no {method}() in this contender"
    return None


def run_sync(mod: Any, cfg: DbConfig, job: dict[str, Any], out: dict[str, Any]) -> None:
    """Run the tests of a synchronous contender."""
    w = make_workload(job["n"], job["seed"])
    bench = mod.Bench(cfg)
    out["label"] = getattr(bench, "label", out["label"])
    only = set(job.get("tests") or [])
    inner = max(1, int(job.get("inner", 1)))
    for letter, method, _ in TESTS:
        if only and letter not in only:
            continue
        na = not_available(bench, letter, method)
        if na:
            out["tests"][letter] = {"na": na}
            continue
        times = []
        try:
            for _ in range(inner if letter in REPEATABLE else 1):
                gc.collect()
                started = time.perf_counter()
                count = getattr(bench, method)(w)
                times.append(time.perf_counter() - started)
        except Exception as e:
            out["tests"][letter] = {"error": _reason(e), "trace": traceback.format_exc()[-2000:]}
            continue
        out["tests"][letter] = {"seconds": min(times), "count": count, "inner": times}
    out["settings"] = bench.settings()
    bench.close()


async def run_async(mod: Any, cfg: DbConfig, job: dict[str, Any], out: dict[str, Any]) -> None:
    """Run the tests of an asynchronous contender inside one event loop."""
    w = make_workload(job["n"], job["seed"])
    bench = mod.Bench(cfg)
    await bench.setup()
    only = set(job.get("tests") or [])
    inner = max(1, int(job.get("inner", 1)))
    try:
        for letter, method, _ in TESTS:
            if only and letter not in only:
                continue
            na = not_available(bench, letter, method)
            if na:
                out["tests"][letter] = {"na": na}
                continue
            times = []
            try:
                for _ in range(inner if letter in REPEATABLE else 1):
                    gc.collect()
                    started = time.perf_counter()
                    count = await getattr(bench, method)(w)
                    times.append(time.perf_counter() - started)
            except Exception as e:
                out["tests"][letter] = {
                    "error": _reason(e),
                    "trace": traceback.format_exc()[-2000:],
                }
                continue
            out["tests"][letter] = {"seconds": min(times), "count": count, "inner": times}
        out["settings"] = await bench.settings()
    finally:
        await bench.close()


def main(argv: list[str]) -> int:
    """Entry point: read the job, run it, write the result JSON."""
    job_path, out_path = argv
    with open(job_path) as f:
        job = json.load(f)
    cfg = DbConfig.from_json(job["db"])
    out: dict[str, Any] = {"contender": job["contender"], "tests": {}, "settings": {}}
    try:
        if job["kind"] == "stream":
            from .contenders import ormolu_orm

            out["stream"] = ormolu_orm.stream_memory(cfg, job["rows"])
        elif job["kind"] == "compile":
            from .contenders import ormolu_orm

            out["compile"] = ormolu_orm.compile_times(cfg)
        else:
            try:
                mod = importlib.import_module(f"bench.contenders.{MODULES[job['contender']]}")
            except Exception as e:
                out["unavailable"] = f"cannot import: {_reason(e)}"
                return 0
            out["label"] = mod.LABEL
            out["versions"] = versions(mod.DISTS[cfg.kind])
            if getattr(mod, "ASYNC", False):
                asyncio.run(run_async(mod, cfg, job, out))
            else:
                run_sync(mod, cfg, job, out)
    except Exception as e:
        key = "error" if out["tests"] else "unavailable"
        out[key] = f"{'failed' if out['tests'] else 'setup failed'}: {_reason(e)}"
        out["trace"] = traceback.format_exc()[-3000:]
    finally:
        with open(out_path, "w") as f:
            json.dump(out, f, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
