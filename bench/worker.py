"""One contender's run, in its own process: ``python -m bench.worker JOB.json OUT.json``.

The job file names the contender, the database config, ``n`` and the seed; the worker
builds the workload, runs tests A → M in order timing each with ``perf_counter`` (after a
``gc.collect()``, with the collector left on as in real programs; the read-only tests
D-H, L and M ``inner`` times, keeping the fastest), and writes a JSON result: per test the
seconds and the row count, or the error, or ``na`` with the reason when the contender
cannot run that test; the process's memory after each test (current and peak RSS); the
contender's versions and SQLite settings. A contender that cannot be imported or set up is
reported with the reason instead of timings.

``kind`` ``"count"`` runs the same tests once each with a statement counter in place
(:mod:`bench.counting`) and records, per test, the statements the contender sent; its
times are not used. ``kind`` ``"stream"``/``"compile"`` jobs run ormolu's extra
measurements instead.

Synchronous and asynchronous contenders share everything but the call: :class:`TestRun`
holds the bookkeeping, and :func:`run_sync` / :func:`run_async` are the two loops around it.
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import inspect
import json
import os
import resource
import sys
import time
import traceback
from collections import Counter
from dataclasses import replace
from importlib import metadata
from typing import Any

from .contenders import MODULES
from .counting import SqliteTrace, WireCounter, difference
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


def memory() -> dict[str, float]:
    """This process's resident set size now and its peak so far, in MiB (``ru_maxrss``
    is in KiB on Linux; the current size comes from ``/proc/self/statm``)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    try:
        with open("/proc/self/statm") as f:
            now = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError):
        now = peak
    return {"rss_mb": round(now, 1), "peak_rss_mb": round(peak, 1)}


class TestRun:
    """The bookkeeping of one process's tests, shared by the sync and the async loop.

    ``counter`` (a :class:`~bench.counting.Tally`) is given in a counting run: each
    test's statements are then recorded from its snapshots just before and just after
    the test.
    """

    def __init__(self, job: dict[str, Any], out: dict[str, Any], counter: Any = None) -> None:
        self.workload = make_workload(job["n"], job["seed"])
        self.out = out
        self.only = set(job.get("tests") or [])
        self.inner = 1 if counter is not None else max(1, int(job.get("inner", 1)))
        self.counter = counter
        self._before: Counter[str] = Counter()
        # the process's CPU time of each run of the current test (all its threads:
        # aiosqlite's included), beside the wall time: it leaves out the waits for the
        # server and the time other processes of a shared machine took the core
        self._cpu: list[float] = []
        self._cpu_started = 0.0
        out["memory"] = {}

    def plan(self, bench: Any) -> list[tuple[str, str, int]]:
        """The tests to run as (letter, method, runs); records the n/a ones."""
        out = []
        self.out["memory"]["setup"] = memory()
        for letter, method, _ in TESTS:
            if self.only and letter not in self.only:
                continue
            na = not_available(bench, letter, method)
            if na:
                self.out["tests"][letter] = {"na": na}
                continue
            out.append((letter, method, self.inner if letter in REPEATABLE else 1))
        return out

    def start(self) -> float:
        """Just before one timed call: collect garbage, take the counter's snapshot."""
        gc.collect()
        if self.counter is not None:
            self._before = self.counter.snapshot()
        self._cpu_started = time.process_time()
        return time.perf_counter()

    def stop(self, letter: str, started: float) -> float:
        """Just after one timed call: the seconds it took (and its statements)."""
        elapsed = time.perf_counter() - started
        self._cpu.append(time.process_time() - self._cpu_started)
        if self.counter is not None:
            stats = difference(self.counter.snapshot(), self._before)
            self.out.setdefault("statements", {})[letter] = stats
        return elapsed

    def done(self, letter: str, times: list[float], count: int) -> None:
        """Record a test that ran."""
        self.out["tests"][letter] = {
            "seconds": min(times),
            "cpu": min(self._cpu),
            "count": count,
            "inner": times,
        }
        self._cpu = []
        self.out["memory"][letter] = memory()

    def failed(self, letter: str, e: BaseException) -> None:
        """Record a test that raised."""
        trace = traceback.format_exc()[-2000:]
        self._cpu = []
        self.out["tests"][letter] = {"error": _reason(e), "trace": trace}
        self.out["memory"][letter] = memory()


def _probe(bench: Any) -> Any:
    """The contender's own server-side statement counter, if it has one (counting runs)."""
    return getattr(bench, "server_statements", None)


def run_sync(mod: Any, cfg: DbConfig, job: dict[str, Any], out: dict[str, Any]) -> None:
    """Run the tests of a synchronous contender."""
    run = TestRun(job, out, job.get("counter"))
    bench = mod.Bench(cfg)
    out["label"] = getattr(bench, "label", out["label"])
    probe = _probe(bench) if run.counter is not None else None
    for letter, method, runs in run.plan(bench):
        call = getattr(bench, method)
        times = []
        try:
            q0 = probe() if probe else None
            for _ in range(runs):
                started = run.start()
                count = call(run.workload)
                times.append(run.stop(letter, started))
            if probe:  # its own statement counts once: the second probe's
                out.setdefault("server_statements", {})[letter] = probe() - q0 - 1
        except Exception as e:
            run.failed(letter, e)
            continue
        run.done(letter, times, count)
    out["settings"] = bench.settings()
    bench.close()


async def run_async(mod: Any, cfg: DbConfig, job: dict[str, Any], out: dict[str, Any]) -> None:
    """Run the tests of an asynchronous contender inside one event loop."""
    run = TestRun(job, out, job.get("counter"))
    bench = mod.Bench(cfg)
    await bench.setup()
    out["label"] = getattr(bench, "label", out["label"])
    probe = _probe(bench) if run.counter is not None else None
    try:
        for letter, method, runs in run.plan(bench):
            call = getattr(bench, method)
            times = []
            try:
                q0 = await _maybe_await(probe()) if probe else None
                for _ in range(runs):
                    started = run.start()
                    count = await call(run.workload)
                    times.append(run.stop(letter, started))
                if probe:
                    q1 = await _maybe_await(probe())
                    out.setdefault("server_statements", {})[letter] = q1 - q0 - 1
            except Exception as e:
                run.failed(letter, e)
                continue
            run.done(letter, times, count)
        out["settings"] = await bench.settings()
    finally:
        await bench.close()


async def _maybe_await(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


def counter_for(cfg: DbConfig) -> tuple[DbConfig, Any]:
    """For a counting run: install the statement counter for ``cfg``'s backend (before
    any contender is imported) and return the config the contender must use and the
    counter's tally."""
    if cfg.kind == "sqlite":
        trace = SqliteTrace()
        trace.install()
        return cfg, trace.tally
    proxy = WireCounter(cfg.kind, cfg.host, cfg.port)
    return replace(cfg, port=proxy.start()), proxy.tally


def main(argv: list[str]) -> int:
    """Entry point: read the job, run it, write the result JSON."""
    job_path, out_path = argv
    with open(job_path) as f:
        job = json.load(f)
    if job.get("cpu") is not None:  # (before any thread starts: threads inherit it)
        os.sched_setaffinity(0, {job["cpu"]})
    cfg = DbConfig.from_json(job["db"])
    out: dict[str, Any] = {"contender": job["contender"], "tests": {}, "settings": {}}
    try:
        if job["kind"] == "stream":
            from .contenders import ormolu_orm

            out["stream"] = ormolu_orm.stream_memory(cfg, job["rows"], job.get("how", "iterate"))
        elif job["kind"] == "compile":
            from .contenders import ormolu_orm

            out["compile"] = ormolu_orm.compile_times(cfg)
        else:
            if job["kind"] == "count":
                cfg, job["counter"] = counter_for(cfg)
            try:
                mod = importlib.import_module(f"bench.contenders.{MODULES[job['contender']]}")
            except Exception as e:
                out["unavailable"] = f"cannot import: {_reason(e)}"
                return 0
            # (the baseline runs the same contender module on another checkout's ormolu)
            out["label"] = mod.LABEL + (" (baseline)" if job["contender"] == "ormolu-base" else "")
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
        out["memory"] = {**out.get("memory", {}), "end": memory()}
        with open(out_path, "w") as f:
            json.dump(out, f, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
