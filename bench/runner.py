"""The benchmark driver: ``python -m bench.runner [options]`` (``bench/run.sh`` wraps it).

For each repetition it runs every contender once, each in a fresh process against a fresh
empty table (contenders rotate their order from one repetition to the next), verifies
the table afterwards; then runs every contender once more with a statement counter
(``bench/counting.py``; not timed), measures ormolu's streaming memory and compile cache,
and writes ``bench/results/latest.md``, ``latest.png``, ``latest.json`` (and the same as
``latest-<db>.*``, the last run on each backend) and a timestamped copy under
``bench/results/history/``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from . import dbsetup
from .contenders import ASYNC_DBS, ASYNC_SUITE, ONLY_ON, SYNC_SUITE
from .dbsetup import DbConfig
from .report import ASYNC, SYNC, Contender, Suite, markdown
from .report_tables import chart
from .workload import (
    CORE_LETTERS,
    LETTERS,
    LEVELS,
    RELATION_LETTERS,
    make_workload,
    units_of_work,
)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DB_LABELS = {"sqlite": "SQLite", "postgresql": "PostgreSQL", "mysql": "MySQL/MariaDB"}


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The command line."""
    p = argparse.ArgumentParser(prog="bench/run.sh", description=__doc__.splitlines()[0])
    p.add_argument("--db", choices=sorted(DB_LABELS), default="sqlite", help="backend")
    p.add_argument(
        "--suite",
        choices=("sync", "async"),
        default="sync",
        help="sync: the raw driver is 1.00 (default); async: the async driver is 1.00, "
        "with ormolu async, the async peers, and the sync raw driver and ormolu beside them",
    )
    p.add_argument("--n", type=int, help="rows per insert test (default 10000; --quick 1000)")
    p.add_argument("--reps", type=int, help="repetitions (default 3; --quick 1)")
    p.add_argument("--quick", action="store_true", help="N=1000, 1 repetition, 100k stream rows")
    p.add_argument(
        "--contenders",
        help="comma-separated subset of: " + ", ".join(dict.fromkeys((*SYNC_SUITE, *ASYNC_SUITE))),
    )
    p.add_argument("--stream-rows", type=int, help="rows for the streaming test (1000000)")
    p.add_argument("--no-extras", action="store_true", help="skip streaming and compile time")
    p.add_argument("--no-counts", action="store_true", help="skip the statement-counting run")
    p.add_argument(
        "--baseline",
        metavar="DIR",
        help="also run ormolu from DIR (the src/ folder of another checkout, e.g. a git "
        "worktree of the commit before a change) as the contender 'ormolu-base', side by "
        "side with the current one",
    )
    p.add_argument(
        "--inner",
        type=int,
        default=2,
        help="runs of each read-only test (D-H, L, M) per process, fastest kept (default 2)",
    )
    p.add_argument("--seed", type=int, default=20240501, help="workload seed")
    p.add_argument("--timeout", type=float, default=900, help="seconds per contender process")
    p.add_argument(
        "--pin",
        choices=["last", "off"],
        default="last",
        help="run each contender process on one CPU (the last one: default), or let the "
        "scheduler place it (off); see bench/README.md, 'One CPU per contender'",
    )
    p.add_argument("--results", default=str(HERE / "results"), help="output directory")
    args = p.parse_args(argv)
    args.n = args.n or (1000 if args.quick else 10_000)
    args.reps = args.reps or (1 if args.quick else 3)
    args.stream_rows = args.stream_rows or (100_000 if args.quick else 1_000_000)
    return args


# -- processes ----------------------------------------------------------------------------
def job_for(key: str, cfg: DbConfig, args: argparse.Namespace, kind: str) -> dict[str, Any]:
    """The job of one contender process: a timed run (``"run"``) or a counting run."""
    return {
        "pythonpath": args.baseline if key == "ormolu-base" else None,
        "contender": key,
        "db": cfg.to_json(),
        "n": args.n,
        "seed": args.seed,
        "inner": args.inner,
        "kind": kind,
        "cpu": pinned_cpu(args.pin),
    }


def pinned_cpu(pin: str) -> int | None:
    """The CPU each contender process runs on (``None``: not pinned). A thread-based
    async driver (aiosqlite) hands every statement to its own thread and back; whether
    the scheduler puts that thread on the event loop's core or on another one changed a
    call from 19 to 100 us here, at random per process, which swamped the differences
    being measured. One CPU for the whole process makes every contender pay the same
    same-core hand-off; the database server keeps the other CPUs."""
    if pin == "off" or not hasattr(os, "sched_getaffinity"):
        return None
    cpus = sorted(os.sched_getaffinity(0))
    return cpus[-1] if len(cpus) > 1 else None


def run_worker(
    job: dict[str, Any],
    workdir: str,
    timeout: float,
    cfg: DbConfig | None = None,
    w: Any = None,
) -> dict[str, Any]:
    """Run one worker process for ``job``; return its JSON result (or the failure).

    With ``cfg`` and ``w`` the tables are made fresh first: an empty ``journal`` and the
    relation tables of L and M, filled by the plain driver.
    """
    if cfg is not None:
        dbsetup.fresh_table(cfg)
        dbsetup.fresh_relations(cfg, w)
    job_path = os.path.join(workdir, "job.json")
    out_path = os.path.join(workdir, "out.json")
    with open(job_path, "w") as f:
        json.dump(job, f)
    if os.path.exists(out_path):
        os.remove(out_path)
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    if job.get("pythonpath"):  # ormolu-base: that checkout's ormolu comes first
        env["PYTHONPATH"] = os.pathsep.join([job["pythonpath"], env.get("PYTHONPATH", "")])
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "bench.worker", job_path, out_path],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return {"unavailable": f"timed out after {timeout:.0f} s"}
    if not os.path.exists(out_path):
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        return {"unavailable": f"worker crashed (exit {proc.returncode}): {tail[0][:300]}"}
    with open(out_path) as f:
        return json.load(f)  # type: ignore[no-any-return]


# -- extra measurements -------------------------------------------------------------------
def populate(cfg: DbConfig, rows: int) -> None:
    """Fill a fresh table with ``rows`` rows quickly through the plain driver."""
    dbsetup.fresh_table(cfg)
    base = datetime(2024, 1, 1)

    def gen() -> Any:
        for i in range(rows):
            ts = base + timedelta(seconds=i)
            yield (
                ts.isoformat(" ") if cfg.kind == "sqlite" else ts,
                LEVELS[i % 5],
                f"streamed row {i}",
            )

    conn = dbsetup.connect(cfg)
    try:
        if cfg.kind == "sqlite":
            conn.execute("BEGIN")
            conn.executemany("INSERT INTO journal (timestamp, level, text) VALUES (?, ?, ?)", gen())
            conn.execute("COMMIT")
        elif cfg.kind == "postgresql":
            with conn.cursor().copy("COPY journal (timestamp, level, text) FROM STDIN") as copy:
                for row in gen():
                    copy.write_row(row)
        else:
            cur = conn.cursor()
            batch: list[Any] = []
            sql = "INSERT INTO journal (timestamp, level, text) VALUES (%s, %s, %s)"
            for row in gen():
                batch.append(row)
                if len(batch) == 10_000:
                    cur.executemany(sql, batch)
                    batch.clear()
            if batch:
                cur.executemany(sql, batch)
    finally:
        conn.close()


def extras(cfg: DbConfig, args: argparse.Namespace, workdir: str) -> dict[str, Any]:
    """ormolu's streaming memory over ``--stream-rows`` rows and its compile times."""
    out: dict[str, Any] = {}
    print(f"extras: loading {args.stream_rows:,} rows for the streaming test", flush=True)
    started = time.perf_counter()
    populate(cfg, args.stream_rows)
    print(f"extras: loaded in {time.perf_counter() - started:.1f} s; streaming", flush=True)
    out["streams"] = []
    for how in ("iterate", "yield_per"):  # each in a process of its own
        job = {"contender": "ormolu", "db": cfg.to_json(), "kind": "stream", "how": how}
        res = run_worker({**job, "rows": args.stream_rows}, workdir, args.timeout)
        out["streams"].append(res.get("stream") or {"how": how, "error": res.get("unavailable")})
    job = {"contender": "ormolu", "db": cfg.to_json(), "kind": "compile"}
    res = run_worker(job, workdir, args.timeout)
    out["compile"] = res.get("compile") or {"error": res.get("unavailable", "failed")}
    return out


# -- environment --------------------------------------------------------------------------
def cpu_model() -> str:
    """The CPU model name from /proc/cpuinfo."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def git_commit() -> str:
    """The checked-out commit of the repository (with ``+dirty`` for local changes)."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "src"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        return (head or "unknown") + ("+dirty" if dirty else "")
    except OSError:
        return "unknown"


def server_version(cfg: DbConfig) -> str:
    """The server's version string (empty for SQLite)."""
    if cfg.kind == "sqlite":
        return ""
    conn = dbsetup.connect(cfg)
    try:
        cur = conn.cursor()
        cur.execute("SELECT version()")
        return str(cur.fetchone()[0]).split(" on ")[0]
    finally:
        conn.close()


def install_failures(path: str | None) -> dict[str, str]:
    """Contenders whose packages run.sh could not install, with the reason (run.sh names
    its file of ``contender<TAB>reason`` lines in ``$BENCH_INSTALL_FAILURES``)."""
    out: dict[str, str] = {}
    if path and os.path.exists(path):
        with open(path) as f:
            for line in f:
                if "\t" in line:
                    key, reason = line.rstrip("\n").split("\t", 1)
                    out[key] = reason
    return out


# -- main ---------------------------------------------------------------------------------
def main(argv: list[str]) -> int:
    """Run the benchmark and write the report; return the exit status."""
    args = parse_args(argv)
    suite: Suite = ASYNC if args.suite == "async" else SYNC
    if suite is ASYNC and args.db not in ASYNC_DBS:
        print(f"the async suite runs on {' and '.join(ASYNC_DBS)}", file=sys.stderr)
        return 2
    keys = [
        k
        for k in (ASYNC_SUITE if suite is ASYNC else SYNC_SUITE)
        if (k != "ormolu-base" or args.baseline) and args.db in ONLY_ON.get(k, (args.db,))
    ]
    # always run: the floors, and in the async suite the sync twins of the overhead table
    keep = {*suite.floors, *(t for pair in suite.twins for t in pair), "ormolu-base"}
    if args.contenders:
        wanted = [k.strip() for k in args.contenders.split(",") if k.strip()]
        unknown = [k for k in wanted if k not in keys]
        if unknown:
            print(f"unknown contender(s) here: {', '.join(unknown)}", file=sys.stderr)
            return 2
        keys = [k for k in keys if k in wanted or k in keep]
    failed_installs = install_failures(os.environ.get("BENCH_INSTALL_FAILURES"))
    w = make_workload(args.n, args.seed)
    contenders = {k: Contender(k, k) for k in keys}
    for k, reason in failed_installs.items():
        if k in contenders:
            contenders[k].unavailable = reason

    workdir = tempfile.mkdtemp(prefix="ormolu-bench-jobs-")
    if args.db == "sqlite":
        sqlite_dir = dbsetup.sqlite_dir()
        cfg = DbConfig("sqlite", path=os.path.join(sqlite_dir, "bench.db"))
        where = f"SQLite file in {sqlite_dir} (WAL, synchronous=NORMAL)"
    else:
        sqlite_dir = ""
        cfg = dbsetup.server_config(args.db)
        dbsetup.create_database(cfg)
        where = f"fresh database {cfg.database} on {cfg.host}:{cfg.port} (user {cfg.user})"
    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    extra: dict[str, Any] = {}
    try:
        server = server_version(cfg)
        print(
            f"ormolu bench: {DB_LABELS[args.db]}, N={args.n:,}, {args.reps} rep(s), "
            f"contenders: {', '.join(keys)}",
            flush=True,
        )
        for rep in range(args.reps):
            order = keys[rep % len(keys) :] + keys[: rep % len(keys)]
            for key in order:
                c = contenders[key]
                if c.unavailable:
                    continue
                t0 = time.perf_counter()
                res = run_worker(job_for(key, cfg, args, "run"), workdir, args.timeout, cfg, w)
                collect(c, res, cfg, w)
                status = c.unavailable or f"{time.perf_counter() - t0:5.1f} s"
                print(f"  rep {rep + 1}/{args.reps}  {key:16} {status}", flush=True)
        if not args.no_counts:
            for key in keys:
                c = contenders[key]
                if c.unavailable:
                    continue
                t0 = time.perf_counter()
                res = run_worker(job_for(key, cfg, args, "count"), workdir, args.timeout, cfg, w)
                collect_counts(c, res, cfg, w)
                print(f"  count     {key:16} {time.perf_counter() - t0:5.1f} s", flush=True)
        sync_ormolu = "ormolu" in contenders and not contenders["ormolu"].unavailable
        if not args.no_extras and suite is SYNC and sync_ormolu:
            extra = extras(cfg, args, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        try:
            dbsetup.drop_database(cfg)
        finally:
            if sqlite_dir:
                shutil.rmtree(sqlite_dir, ignore_errors=True)

    now = datetime.now()
    meta: dict[str, Any] = {
        "suite": suite.name,
        "db": args.db,
        "db_label": DB_LABELS[args.db],
        "db_where": where,
        "n": args.n,
        "reps": args.reps,
        "inner": args.inner,
        "date": now.strftime("%Y-%m-%d %H:%M"),
        "command": "bash bench/run.sh " + " ".join(argv),
        "ormolu_commit": git_commit(),
        "pinned_cpu": pinned_cpu(args.pin),
        "cpu": cpu_model(),
        "nproc": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "server": server,
        "elapsed_s": round(time.perf_counter() - started, 1),
        "load": f"{load_before:.2f} at the start, {os.getloadavg()[0]:.2f} at the end",
        **extra,
    }
    ordered = [contenders[k] for k in keys]
    if suite is ASYNC:  # the sync twins' columns say so
        for k in ("raw", "ormolu"):
            if k in contenders:
                contenders[k].label += " (sync)"
    text = markdown(ordered, meta, w.expected, units_of_work(w), suite)
    stem = write_results(Path(args.results), text, ordered, meta, now, suite)
    print()
    print(text)
    print(f"(total {meta['elapsed_s']:.0f} s; written to {args.results}/{stem}.md and .png)")
    return 0


def collect(c: Contender, res: dict[str, Any], cfg: DbConfig, w: Any) -> None:
    """Merge one worker result into its contender, verifying the table afterwards."""
    if res.get("label"):
        c.label = res["label"]
    c.versions.update(res.get("versions") or {})
    if res.get("unavailable"):
        c.unavailable = res["unavailable"]
        return
    if res.get("error"):
        c.problems.append(res["error"])
    if res.get("settings"):
        c.settings.append(res["settings"])
    tests = res.get("tests", {})
    for letter in LETTERS:
        t = tests.get(letter)
        if t is None:
            continue
        cell = c.cells[letter]
        if "na" in t:
            cell.na = t["na"]
        elif "error" in t:
            cell.errors.append(t["error"])
        else:
            cell.times.append(t["seconds"])
            if "cpu" in t:
                cell.cpu.append(t["cpu"])
            cell.counts.append(t["count"])
    if res.get("memory"):
        c.memory.append(res["memory"])
    verify(c, tests, cfg, w)


def verify(c: Contender, tests: dict[str, Any], cfg: DbConfig, w: Any) -> None:
    """Check the tables after one process with plain SQL; file the problems found."""
    if all(letter in tests for letter in CORE_LETTERS):
        c.problems.extend(dbsetup.verify(cfg, w))
    if any(letter in tests for letter in RELATION_LETTERS):
        c.problems.extend(dbsetup.verify_relations(cfg, w))


def collect_counts(c: Contender, res: dict[str, Any], cfg: DbConfig, w: Any) -> None:
    """Merge one counting run into its contender (statements per test), verifying the
    tables afterwards like a timed run."""
    if res.get("unavailable") or res.get("error"):
        c.count_problem = res.get("unavailable") or res.get("error")
    c.statements = res.get("statements") or {}
    c.server_statements = res.get("server_statements") or {}
    tests = res.get("tests", {})
    for letter, t in tests.items():
        if "error" in t:
            c.problems.append(f"counting run, test {letter}: {t['error']}")
    verify(c, tests, cfg, w)


def write_results(
    out: Path,
    text: str,
    contenders: list[Contender],
    meta: dict[str, Any],
    now: datetime,
    suite: Suite = SYNC,
) -> str:
    """Write latest.md/.png/.json, the same as latest-<db>.* (the last run on each
    backend) and the timestamped history copy; the async suite's files are
    latest-async.* and latest-async-<db>.*. Returns the stem of the latest files."""
    (out / "history").mkdir(parents=True, exist_ok=True)
    stem = "latest" if suite is SYNC else "latest-async"
    db = meta["db"]
    tag = db if suite is SYNC else f"async-{db}"
    (out / f"{stem}.md").write_text(text)
    (out / f"{stem}-{db}.md").write_text(text)
    data = {
        "meta": meta,
        "contenders": [
            {
                "key": c.key,
                "label": c.label,
                "unavailable": c.unavailable,
                "problems": c.problems,
                "versions": c.versions,
                "tests": {k: vars(v) for k, v in c.cells.items()},
                "memory": c.memory,
                "statements": c.statements,
                "server_statements": c.server_statements,
            }
            for c in contenders
        ],
    }
    (out / f"{stem}.json").write_text(json.dumps(data, indent=1, default=str))
    (out / f"{stem}-{db}.json").write_text(json.dumps(data, indent=1, default=str))
    stamp = now.strftime("%Y%m%d-%H%M%S")
    (out / "history" / f"{stamp}-{tag}.md").write_text(text)
    (out / "history" / f"{stamp}-{tag}.json").write_text(json.dumps(data, indent=1, default=str))
    try:
        chart(contenders, meta, str(out / f"{stem}.png"), suite)
        shutil.copyfile(out / f"{stem}.png", out / f"{stem}-{db}.png")
    except Exception as e:  # the tables matter more than the picture
        print(f"chart not written: {type(e).__name__}: {e}", file=sys.stderr)
    return stem


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
