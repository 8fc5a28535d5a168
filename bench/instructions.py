"""Deterministic per-test cost: the instructions each contender's process executes in
each test, counted by valgrind's callgrind. ``bench/.venv/bin/python -m bench.instructions
[--db postgresql] [--contenders raw,raw-async,ormolu,ormolu-async] [--n 1000]``.

Wall time on a shared 2-core machine moves by tens of percent from one run to the next;
an instruction count of the client process does not depend on what else runs, nor on the
server (whose work is not in it). It is a measure of the client's own cost — the part an
ORM and its async front end add — not of the time a request takes: a statement the
server spends long on counts nothing here, and an instruction is not a fixed time.

How: each contender runs tests A -> M once, in order, in its own process under
``valgrind --tool=callgrind --collect-atstart=no --toggle-collect=_operator_call
--dump-after=_operator_call``; the child calls every test through ``operator.call`` (a
C function nothing else in the workload calls), so collection is on exactly while a test
runs and callgrind writes one profile per test, whose total is that test's count. An
async test runs inside that call as ``loop.run_until_complete(test)``, so the event loop's
own work is in it. Needs valgrind (Debian's package) and symbols in the interpreter.

Only the thread that calls the test is counted: aiosqlite runs ``sqlite3`` in a thread
of its own, so async contenders on SQLite are refused (their counts would leave out the
database work). Results go to stdout and ``results/instructions-<db>.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import glob
import importlib
import json
import operator
import os
import re
import shutil
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from . import dbsetup
from .contenders import MODULES
from .dbsetup import DbConfig
from .workload import CORE_LETTERS, TESTS, make_workload

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT = "raw,raw-async,ormolu,ormolu-async"
TOGGLE = "_operator_call"


def child(job_path: str) -> int:
    """Run one contender's tests, each through ``operator.call``; write the letters run."""
    with open(job_path) as f:
        job = json.load(f)
    cfg = DbConfig.from_json(job["db"])
    mod = importlib.import_module(f"bench.contenders.{MODULES[job['contender']]}")
    w = make_workload(job["n"], job["seed"])
    bench = mod.Bench(cfg)
    ran = []
    if getattr(mod, "ASYNC", False):
        loop = asyncio.new_event_loop()
        loop.run_until_complete(bench.setup())
        for letter, method, _ in TESTS:
            call = getattr(bench, method, None)
            if callable(call) and letter not in (getattr(bench, "not_available", None) or {}):
                operator.call(loop.run_until_complete, call(w))
                ran.append(letter)
        loop.run_until_complete(bench.close())
        loop.close()
    else:
        for letter, method, _ in TESTS:
            call = getattr(bench, method, None)
            if callable(call) and letter not in (getattr(bench, "not_available", None) or {}):
                operator.call(call, w)
                ran.append(letter)
        bench.close()
    with open(job["out"], "w") as f:
        json.dump(ran, f)
    return 0


def _total(path: str) -> int:
    """The instruction total of one callgrind profile (its ``summary:`` line)."""
    with open(path) as f:
        for line in f:
            if line.startswith(("summary:", "totals:")):
                return int(line.split()[1])
    return 0


def measure(key: str, cfg: DbConfig, n: int, seed: int, workdir: str) -> dict[str, Any]:
    """Run one contender under callgrind; its instructions per test (or the failure)."""
    w = make_workload(n, seed)
    dbsetup.fresh_table(cfg)
    dbsetup.fresh_relations(cfg, w)
    out = os.path.join(workdir, f"{key}.json")
    job = os.path.join(workdir, f"{key}.job.json")
    with open(job, "w") as f:
        json.dump({"contender": key, "db": cfg.to_json(), "n": n, "seed": seed, "out": out}, f)
    prefix = os.path.join(workdir, f"cg.{key}")
    cmd = [
        "valgrind", "--tool=callgrind", "--collect-atstart=no", f"--toggle-collect={TOGGLE}",
        f"--dump-after={TOGGLE}", "--dump-instr=no", f"--callgrind-out-file={prefix}",
        sys.executable, "-m", "bench.instructions", "--child", job,
    ]  # fmt: skip
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0 or not os.path.exists(out):
        tail = (proc.stderr or "").strip().splitlines()[-1:] or ["no output"]
        return {"error": f"exit {proc.returncode}: {tail[0][:300]}"}
    with open(out) as f:
        letters = json.load(f)
    dumps = sorted(
        (p for p in glob.glob(prefix + ".*") if re.fullmatch(r".*\.\d+", p)),
        key=lambda p: int(p.rsplit(".", 1)[1]),
    )
    if len(dumps) != len(letters):
        return {"error": f"{len(dumps)} profiles for {len(letters)} tests"}
    return {"tests": {k: _total(p) for k, p in zip(letters, dumps)}}


def report(results: dict[str, dict[str, Any]], meta: dict[str, Any]) -> str:
    """The Markdown table: millions of instructions per test, and ratios."""
    keys = [k for k in results if "tests" in results[k]]
    lines = [
        f"# Instructions per test (callgrind): {meta['db']}, N = {meta['n']:,}",
        "",
        f"{meta['date']} · `{meta['command']}` · ormolu {meta['commit']}",
        "",
        "Instructions the contender's process executed in each test (its calling thread; "
        "the server's work is not in it), in millions; deterministic, so differences of a "
        "few percent are real. See `bench/instructions.py`.",
        "",
        "| test | " + " | ".join(keys) + " |",
        "|" + "---|" * (len(keys) + 1),
    ]
    for letter, _, title in TESTS:
        row = [f"{letter} {title}"]
        for k in keys:
            v = results[k]["tests"].get(letter)
            row.append("-" if v is None else f"{v / 1e6:,.1f}")
        lines.append("| " + " | ".join(row) + " |")
    lines.append("")
    wanted = (
        ("ormolu-async", "ormolu"),
        ("raw-async", "raw"),
        ("ormolu", "raw"),
        ("ormolu-async", "raw-async"),
    )
    pairs = [(a, b) for a, b in wanted if a in keys and b in keys]
    if pairs:
        lines += [
            "Ratios of the counts (+15 % = 1.15):",
            "",
            "| test | " + " | ".join(f"{a} / {b}" for a, b in pairs) + " |",
            "|" + "---|" * (len(pairs) + 1),
        ]
        for letter, _, title in TESTS:
            row = [f"{letter} {title}"]
            for a, b in pairs:
                x, y = results[a]["tests"].get(letter), results[b]["tests"].get(letter)
                row.append(f"{(x / y - 1) * 100:+.0f} %" if x and y else "-")
            lines.append("| " + " | ".join(row) + " |")
        row = ["**sum A-K**"]
        for a, b in pairs:
            x = sum(results[a]["tests"].get(k, 0) for k in CORE_LETTERS)
            y = sum(results[b]["tests"].get(k, 0) for k in CORE_LETTERS)
            row.append(f"**{(x / y - 1) * 100:+.0f} %**" if y else "-")
        lines.append("| " + " | ".join(row) + " |")
        lines.append("")
    for k, r in results.items():
        if "error" in r:
            lines.append(f"- {k}: {r['error']}")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    """Entry point."""
    if argv[:1] == ["--child"]:
        return child(argv[1])
    p = argparse.ArgumentParser(prog="python -m bench.instructions", description=__doc__)
    p.add_argument("--db", default="postgresql", choices=("sqlite", "postgresql", "mysql"))
    p.add_argument("--contenders", default=DEFAULT)
    p.add_argument("--n", type=int, default=1000)
    p.add_argument("--seed", type=int, default=20240501)
    p.add_argument("--results", default=str(HERE / "results"))
    args = p.parse_args(argv)
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (apt-get install valgrind)", file=sys.stderr)
        return 2
    keys = [k.strip() for k in args.contenders.split(",") if k.strip()]
    for k in keys:
        mod = importlib.import_module(f"bench.contenders.{MODULES[k]}")
        if args.db == "sqlite" and getattr(mod, "ASYNC", False):
            print(f"{k}: async on SQLite is not counted (see the docstring)", file=sys.stderr)
            return 2
    workdir = tempfile.mkdtemp(prefix="ormolu-bench-cg-")
    if args.db == "sqlite":
        sqlite_dir = dbsetup.sqlite_dir()
        cfg = DbConfig("sqlite", path=os.path.join(sqlite_dir, "bench.db"))
    else:
        sqlite_dir = ""
        cfg = dbsetup.server_config(args.db)
        dbsetup.create_database(cfg)
    results: dict[str, dict[str, Any]] = {}
    try:
        for k in keys:
            results[k] = measure(k, cfg, args.n, args.seed, workdir)
            print(f"  {k:16} {results[k].get('error') or 'done'}", flush=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        dbsetup.drop_database(cfg)
        if sqlite_dir:
            shutil.rmtree(sqlite_dir, ignore_errors=True)
    from .runner import git_commit

    meta = {
        "db": args.db,
        "n": args.n,
        "date": datetime.now().strftime("%Y-%m-%d %H:%M"),
        "command": "bench/.venv/bin/python -m bench.instructions " + " ".join(argv),
        "commit": git_commit(),
    }
    text = report(results, meta)
    out = Path(args.results)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"instructions-{args.db}.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
