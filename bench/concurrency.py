"""The concurrency scenario: many concurrent tasks, each running realistic requests, on
PostgreSQL with the Chinook data. ``bash bench/run.sh concurrency [--quick] [options]``.

The runner creates a fresh database ``ormolu_bench_<random>`` on 127.0.0.1:5432, loads
the bundled Chinook data into it (``examples.chinook.load.load_chinook``, untimed), and
builds one deterministic list of requests — a random mix, in equal shares, of
``invoice`` (an invoice with its customer and its lines with their tracks),
``genre_tracks`` (50 tracks of a genre with their album and artist) and ``checkout``
(a transaction inserting an invoice with 5 lines) — written per contender in
:mod:`bench.concurrency_requests`. Then, per repetition, every contender in its own
process (the order rotating): it opens a pool of ``--pool`` connections, runs a warm-up
list untimed, then ``--tasks`` asyncio tasks that take the next request from the shared
list until it is empty, each request timed from its start (the pool wait included) to
its response. Reported: requests per second (all requests / wall time) and the latency
percentiles, per contender and per kind of request.

Checks: the read responses (invoices and track lists) must be identical for every
contender (a digest of them is compared), every checkout must have written one invoice
with 5 lines whose total is the sum of the lines (plain SQL after each process, which
then deletes them, so every process starts from the same data).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import hashlib
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from . import dbsetup

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
KINDS = ("invoice", "genre_tracks", "checkout")
ORDER = (
    "raw-async", "raw-async-ormolu-sql", "ormolu-async", "ormolu-asyncpg",
    "sqlalchemy-async", "sqlalchemy-async-psycopg",
)  # fmt: skip
OURS = ("ormolu-async", "ormolu-asyncpg")  # ormolu on each of its PostgreSQL async drivers
# Chinook's id ranges (the bundled data): invoices, customers, tracks, genres.
INVOICES, CUSTOMERS, TRACKS, GENRES = 412, 59, 3503, 25
# Targets (issue 12): ormolu's requests per second at least raw's / 1.3, and above
# SQLAlchemy's.
RAW_TARGET = 1.3


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="bash bench/run.sh concurrency", description=__doc__)
    p.add_argument("--tasks", type=int, default=64, help="concurrent tasks (64)")
    p.add_argument("--pool", type=int, default=16, help="connections per contender (16)")
    p.add_argument("--requests", type=int, help="timed requests per process (6000; quick 1500)")
    p.add_argument("--reps", type=int, help="repetitions (3; quick 1)")
    p.add_argument("--quick", action="store_true", help="1,500 requests, 1 repetition")
    p.add_argument("--contenders", help="comma-separated subset of: " + ", ".join(ORDER))
    p.add_argument("--seed", type=int, default=20240501)
    p.add_argument("--timeout", type=float, default=600, help="seconds per process")
    p.add_argument("--results", default=str(HERE / "results"), help="output directory")
    args = p.parse_args(argv)
    args.requests = args.requests or (1500 if args.quick else 6000)
    args.reps = args.reps or (1 if args.quick else 3)
    return args


def make_requests(n: int, seed: int) -> list[list[Any]]:
    """``n`` requests ``[kind, args]``, a seeded random mix of the three kinds."""
    rng = random.Random(seed)
    out: list[list[Any]] = []
    for i in range(n):
        kind = KINDS[i % 3]
        if kind == "invoice":
            out.append([kind, [rng.randint(1, INVOICES)]])
        elif kind == "genre_tracks":
            out.append([kind, [rng.randint(1, GENRES)]])
        else:
            out.append([kind, [rng.randint(1, CUSTOMERS), rng.sample(range(1, TRACKS + 1), 5)]])
    rng.shuffle(out)
    return out


# -- the worker (one contender, one process) ---------------------------------------------
async def _run_all(c: Any, reqs: list[list[Any]], tasks: int) -> tuple[list[float], list[Any]]:
    """Run ``reqs`` with ``tasks`` concurrent tasks; each request's latency and response."""
    latency = [0.0] * len(reqs)
    responses: list[Any] = [None] * len(reqs)
    todo = iter(range(len(reqs)))  # shared: next() never awaits, so no two tasks get one
    clock = time.perf_counter

    async def task() -> None:
        for i in todo:
            kind, args = reqs[i]
            # A request reaches a server through the event loop: at least one loop turn
            # between two requests of one task. Without it a task that has just given its
            # connection back takes it again at once, before the waiter the pool woke can
            # run, and a few tasks do all the work while the others starve (every pool
            # here lets a new caller take an idle connection ahead of the woken waiter).
            await asyncio.sleep(0)
            started = clock()
            responses[i] = await getattr(c, kind)(*args)
            latency[i] = clock() - started

    await asyncio.gather(*(task() for _ in range(tasks)))
    return latency, responses


async def _work(job: dict[str, Any]) -> dict[str, Any]:
    from .concurrency_requests import CONTENDERS

    c = CONTENDERS[job["contender"]]()
    await c.open(job["url"], job["pool"])
    try:
        await _run_all(c, job["warmup"], job["tasks"])
        gc.collect()
        cpu = time.process_time()
        started = time.perf_counter()
        latency, responses = await _run_all(c, job["requests"], job["tasks"])
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu
    finally:
        await c.close()
    reads = [r for (kind, _), r in zip(job["requests"], responses) if kind != "checkout"]
    digest = hashlib.sha256(json.dumps(reads, sort_keys=True).encode()).hexdigest()[:16]
    by_kind: dict[str, list[float]] = {k: [] for k in KINDS}
    for (kind, _), t in zip(job["requests"], latency):
        by_kind[kind].append(t)
    return {
        "label": c.label,
        "seconds": elapsed,
        "cpu": cpu,
        "latency": {k: v for k, v in by_kind.items()},
        "read_digest": digest,
        "checkouts": sum(1 for kind, _ in (*job["warmup"], *job["requests"]) if kind == "checkout"),
    }


def worker_main(job_path: str, out_path: str) -> int:
    with open(job_path) as f:
        job = json.load(f)
    try:
        out = asyncio.run(_work(job))
    except Exception as e:
        out = {"error": f"{type(e).__name__}: {e}"[:500]}
    with open(out_path, "w") as f:
        json.dump(out, f)
    return 0


# -- the runner ---------------------------------------------------------------------------
def load(cfg: dbsetup.DbConfig) -> dict[str, int]:
    """The Chinook tables and rows in the fresh database (through ormolu, untimed)."""
    from examples.chinook.load import load_chinook
    from ormolu import Database

    db = Database(cfg.url())
    try:
        return load_chinook(db)
    finally:
        db.dispose()


def verify_and_clean(cfg: dbsetup.DbConfig, checkouts: int) -> list[str]:
    """Check the invoices the checkouts wrote (one each, 5 lines, total = sum of lines),
    then delete them: the next process starts from the loaded data."""
    problems = []
    conn = dbsetup.connect(cfg)
    try:
        cur = conn.cursor()
        cur.execute(
            'SELECT i."InvoiceId", i."Total", count(l."InvoiceLineId"), sum(l."UnitPrice") '
            'FROM "Invoice" i LEFT JOIN "InvoiceLine" l ON l."InvoiceId" = i."InvoiceId" '
            'WHERE i."InvoiceId" > %s GROUP BY i."InvoiceId", i."Total"',
            (INVOICES,),
        )
        rows = cur.fetchall()
        if len(rows) != checkouts:
            problems.append(f"{len(rows)} new invoices, expected {checkouts}")
        bad = [r[0] for r in rows if r[2] != 5 or r[1] != r[3]]
        if bad:
            problems.append(f"{len(bad)} new invoices without 5 lines summing to their total")
        cur.execute('DELETE FROM "InvoiceLine" WHERE "InvoiceId" > %s', (INVOICES,))
        cur.execute('DELETE FROM "Invoice" WHERE "InvoiceId" > %s', (INVOICES,))
    finally:
        conn.close()
    return problems


def run_worker(job: dict[str, Any], workdir: str, timeout: float) -> dict[str, Any]:
    job_path, out_path = os.path.join(workdir, "job.json"), os.path.join(workdir, "out.json")
    with open(job_path, "w") as f:
        json.dump(job, f)
    if os.path.exists(out_path):
        os.remove(out_path)
    cmd = [sys.executable, "-m", "bench.concurrency", "--worker", job_path, out_path]
    try:
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    if not os.path.exists(out_path):
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        return {"error": f"worker crashed (exit {proc.returncode}): {tail[0][:300]}"}
    with open(out_path) as f:
        return json.load(f)  # type: ignore[no-any-return]


def main(argv: list[str]) -> int:
    if argv[:1] == ["--worker"]:
        return worker_main(argv[1], argv[2])
    args = parse_args(argv)
    keys = list(ORDER)
    if args.contenders:
        wanted = {k.strip() for k in args.contenders.split(",")}
        keys = [k for k in ORDER if k in wanted or k == "raw-async"]
    cfg = dbsetup.server_config("postgresql")
    dbsetup.create_database(cfg)
    workdir = tempfile.mkdtemp(prefix="ormolu-bench-conc-")
    runs: dict[str, list[dict[str, Any]]] = {k: [] for k in keys}
    problems: dict[str, list[str]] = {k: [] for k in keys}
    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    from .runner import cpu_model, git_commit, server_version

    try:
        server = server_version(cfg)
        t0 = time.perf_counter()
        rows = load(cfg)
        print(f"concurrency: Chinook loaded ({sum(rows.values()):,} rows, "
              f"{time.perf_counter() - t0:.1f} s)", flush=True)  # fmt: skip
        url = {"host": cfg.host, "port": cfg.port, "user": cfg.user, "dbname": cfg.database}
        base = {
            "url": url,
            "tasks": args.tasks,
            "pool": args.pool,
            "warmup": make_requests(max(300, args.tasks * 3), args.seed + 1),
            "requests": make_requests(args.requests, args.seed),
        }
        for rep in range(args.reps):
            for key in keys[rep % len(keys) :] + keys[: rep % len(keys)]:
                res = run_worker({**base, "contender": key}, workdir, args.timeout)
                if "error" in res:
                    problems[key].append(res["error"])
                    print(f"  rep {rep + 1}  {key:26} {res['error']}", flush=True)
                else:
                    runs[key].append(res)
                    rps = args.requests / res["seconds"]
                    print(f"  rep {rep + 1}  {key:26} {rps:7.0f} req/s", flush=True)
                problems[key].extend(verify_and_clean(cfg, res.get("checkouts", 0)))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        dbsetup.drop_database(cfg)
    meta = {
        "date": datetime.now().strftime("%Y-%m-%d %H:%M"),
        "command": "bash bench/run.sh concurrency " + " ".join(argv),
        "tasks": args.tasks,
        "pool": args.pool,
        "requests": args.requests,
        "reps": args.reps,
        "elapsed_s": round(time.perf_counter() - started, 1),
        "load": f"{load_before:.2f} at the start, {os.getloadavg()[0]:.2f} at the end",
    }
    meta.update(cpu=cpu_model(), nproc=os.cpu_count(), ormolu_commit=git_commit(), server=server)
    text = report(keys, runs, problems, meta)
    out = Path(args.results)
    (out / "history").mkdir(parents=True, exist_ok=True)
    (out / "concurrency.md").write_text(text)
    data = {"meta": meta, "runs": runs, "problems": problems}
    (out / "concurrency.json").write_text(json.dumps(data, indent=1))
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    (out / "history" / f"{stamp}-concurrency.md").write_text(text)
    print()
    print(text)
    return 0


def _pct(values: list[float], q: float) -> float:
    """The ``q`` quantile (0-1) of ``values``, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def report(
    keys: list[str],
    runs: dict[str, list[dict[str, Any]]],
    problems: dict[str, list[str]],
    meta: dict[str, Any],
) -> str:
    """The scenario's Markdown report."""
    lines = [
        f"# ormolu concurrency: {meta['tasks']} tasks over a pool of {meta['pool']}, "
        f"PostgreSQL, Chinook",
        "",
        f"{meta['date']} · `{meta['command']}` · ormolu {meta['ormolu_commit']}",
        "",
        f"{meta['requests']:,} requests per process (a seeded mix, a third each: an invoice "
        "with its customer and its lines with their tracks; 50 tracks of a genre with "
        "album and artist; a checkout transaction inserting an invoice with 5 lines), run "
        f"by {meta['tasks']} concurrent asyncio tasks sharing {meta['pool']} connections, "
        "after an untimed warm-up (each task yields to the event loop once before each "
        "request, as a request arriving on a socket would); each contender in its own "
        "process, "
        f"{meta['reps']} repetition(s) interleaved. Latency: from a request's start (the "
        "wait for a connection included) to its response. The repetition with the best "
        "throughput is shown; the median throughput is beside it. Client CPU: the "
        "contender process's CPU time over the timed requests (the server's is not in it; "
        "on 2 cores the two compete). See "
        "`bench/concurrency.py`.",
        "",
        "| contender | req/s (best) | req/s (median) | vs raw (time per request) | "
        "client CPU ms / request | p50 ms | p99 ms | p99 invoice | p99 genre tracks | "
        "p99 checkout |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    best: dict[str, dict[str, Any]] = {}
    rps: dict[str, float] = {}
    for k in keys:
        if runs[k]:
            best[k] = min(runs[k], key=lambda r: r["seconds"])
            rps[k] = meta["requests"] / best[k]["seconds"]
    for k in keys:
        if k not in best:
            lines.append(f"| {k} | n/a | | | | | | | | |")
            continue
        r = best[k]
        every = [t for v in r["latency"].values() for t in v]
        med = statistics.median(meta["requests"] / x["seconds"] for x in runs[k])
        vs = f"{rps['raw-async'] / rps[k]:.2f}" if "raw-async" in rps else "-"
        kinds = [f"{_pct(r['latency'][kind], 0.99) * 1000:.1f}" for kind in KINDS]
        label = f"**{r['label']}**" if k in OURS else r["label"]
        cpu = f"{r['cpu'] / meta['requests'] * 1000:.2f}" if "cpu" in r else "-"
        lines.append(
            f"| {label} | {rps[k]:,.0f} | {med:,.0f} | {vs} | {cpu} | "
            f"{_pct(every, 0.5) * 1000:.1f} | {_pct(every, 0.99) * 1000:.1f} | "
            + " | ".join(kinds)
            + " |"
        )
    lines.append("")
    ours = [k for k in OURS if k in rps]
    if ours and "raw-async" in rps:
        sa = [rps[k] for k in ("sqlalchemy-async", "sqlalchemy-async-psycopg") if k in rps]
        lines.append("Targets (issue 12), for ormolu on each driver:")
        lines.append("")
        for k in ours:
            name = best[k]["label"]
            ratio = rps["raw-async"] / rps[k]
            lines.append(
                f"- {name} within {RAW_TARGET}x of raw psycopg: {ratio:.2f}x: "
                f"**{'met' if ratio <= RAW_TARGET else 'not met'}**"
            )
            if sa:
                ahead = rps[k] > max(sa)
                lines.append(
                    f"- {name} ahead of SQLAlchemy async: {rps[k]:,.0f} vs "
                    f"{max(sa):,.0f} req/s: **{'met' if ahead else 'not met'}**"
                )
        lines.append("")
    if "raw-async-ormolu-sql" in rps and "raw-async" in rps:
        # (see concurrency_requests.RawOrmoluStatements)
        sql = rps["raw-async"] / rps["raw-async-ormolu-sql"]
        lines.append(
            f"ormolu's statements sent by the raw driver: {sql:.2f}x raw (the cost of the "
            "SQL itself: wider rows for the server to send and psycopg to read, the keys "
            "returned)"
            + "".join(
                f"; {best[k]['label']} {rps['raw-async-ormolu-sql'] / rps[k]:.2f}x that "
                "(ormolu's own cost)"
                for k in ours
            )
            + "."
        )
        lines.append("")
    digests = {best[k]["read_digest"] for k in best}
    lines.append("## Checks")
    lines.append("")
    if len(digests) > 1:
        detail = ", ".join(f"{k} {best[k]['read_digest']}" for k in best)
        lines.append(f"- the read responses differ between contenders: {detail}")
    notes = [f"- {k}: {p}" for k in keys for p in sorted(set(problems[k]))]
    lines.extend(notes)
    if len(digests) <= 1 and not notes:
        lines.append(
            "Every contender gave identical read responses (invoices and track lists), "
            "and every checkout wrote one invoice with 5 lines summing to its total."
        )
    lines += [
        "",
        "## Machine",
        "",
        f"- {meta['cpu']} x {meta['nproc']} (nproc); server: {meta['server']}",
        f"- load average (1 min): {meta['load']}: the machine is shared, and the server, "
        "the client and the other sessions' work share its cores, so compare contenders "
        "within one run only",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
