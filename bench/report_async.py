"""The async suite's own report sections: the targets of issue 12 checked against the
run, and what async costs — each async contender against its sync twin on the same
backend (ormolu async / ormolu sync, psycopg async / psycopg sync or aiosqlite /
sqlite3), test by test.

The "runner's share" divides ormolu's async/sync ratio by the raw driver's: what ormolu's
async front end (its runner, its awaits, the async driver adapter) adds beyond what the
async driver itself costs over the sync one.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from .workload import CORE_LETTERS, LETTERS, TESTS

if TYPE_CHECKING:
    from .report import Contender, Suite

# Targets (issue 12): ormolu async's geometric mean over A-K at most this many times the
# psycopg async floor on PostgreSQL; its overhead over sync ormolu at most this per test.
GEOMEAN_TARGET = 1.5
OVERHEAD_TARGET = 0.15


def _by_key(contenders: list[Contender]) -> dict[str, Contender]:
    return {c.key: c for c in contenders if not c.unavailable}


def _fmt(r: float | None) -> str:
    return "-" if r is None else f"{r:.2f}"


def _pct(r: float | None) -> str:
    return "-" if r is None else f"{(r - 1) * 100:+.0f} %"


def _geomean(values: list[float]) -> float | None:
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else None


def targets(contenders: list[Contender], raw: Contender, suite: Suite) -> list[str]:
    """The targets, each with whether this run met it and where it did not."""
    by = _by_key(contenders)
    ours = by.get(suite.ours)
    if ours is None:
        return []
    out = ["## Targets (issue 12) in this run", ""]
    # 1. faster than every async peer on every test
    beaten = []
    for letter in LETTERS:
        mine = ours.ratio(raw, letter)
        if mine is None:
            continue
        for c in contenders:
            if not suite.peer(c.key) or c.unavailable:
                continue
            theirs = c.ratio(raw, letter)
            if theirs is not None and theirs < mine:
                beaten.append(f"{letter}: {c.label} {_fmt(theirs)} < {_fmt(mine)}")
    out.append(
        "- ormolu async faster than every async peer on every test: "
        + ("**met**" if not beaten else "**not met** (" + "; ".join(beaten) + ")")
    )
    # 2. geometric mean over A-K against the async floor
    g, k = ours.geomean(raw)
    if g is not None:
        met = "met" if g <= GEOMEAN_TARGET else "not met"
        out.append(
            f"- geometric mean A-K ≤ {GEOMEAN_TARGET}x {raw.label}: {g:.2f} "
            f"({k}/{len(CORE_LETTERS)} tests): **{met}**"
        )
    # 3. overhead over sync ormolu
    sync = by.get(dict(suite.twins).get(suite.ours, ""))
    if sync is not None:
        for stat, what in (("best", "wall time"), ("best_cpu", "CPU time")):
            over = []
            for letter in LETTERS:
                r = ours.ratio(sync, letter, stat)
                if r is not None and r > 1 + OVERHEAD_TARGET:
                    over.append(f"{letter} {_pct(r)}")
            out.append(
                f"- ormolu async's overhead over sync ormolu ≤ {OVERHEAD_TARGET:.0%} per test "
                f"({what}): " + ("**met**" if not over else "**not met** (" + ", ".join(over) + ")")
            )
        out.append("  (the next table shows how much of it the async driver costs by itself)")
    out.append("")
    return out


def overhead(contenders: list[Contender], suite: Suite) -> list[str]:
    """The table of each async contender's time over its sync twin's, per test: wall
    time and the process's CPU time."""
    by = _by_key(contenders)
    pairs = [(by[a], by[s]) for a, s in suite.twins if a in by and s in by]
    if not pairs:
        return []
    share = len(pairs) > 1  # ormolu's ratio over the raw driver's
    head = [f"{a.label} / {s.label}, {what}" for a, s in pairs for what in ("wall", "CPU")]
    if share:
        head += ["ormolu's share, wall", "ormolu's share, CPU"]
    out = [
        "## What async costs: each async contender against its sync twin",
        "",
        "Best time of the async contender over the best time of the sync one, same backend, "
        "same run (+15 % = 1.15): wall time (what the tables above use), and the "
        "process's CPU time (all its threads), which leaves out the waits for the server "
        "and the time other work on this shared machine held the core. The share columns "
        "divide ormolu's ratio by the raw driver's: what ormolu's async front end (its "
        "runner, awaits and driver adapter) adds beyond what the async driver itself "
        "costs over the sync one.",
        "",
        "| test | " + " | ".join(head) + " |",
        "|" + "---|" * (len(head) + 1),
    ]
    logs: list[list[float]] = [[] for _ in head]
    for letter, _, title in TESTS:
        ratios: list[float | None] = []
        for a, s in pairs:
            ratios += [a.ratio(s, letter), a.ratio(s, letter, "best_cpu")]
        if share:
            for i in (0, 1):
                mine, raw = ratios[i], ratios[2 + i]
                ratios.append(mine / raw if mine and raw else None)
        for i, r in enumerate(ratios):
            if r is not None and letter in CORE_LETTERS:
                logs[i].append(r)
        out.append("| " + " | ".join([f"{letter} {title}", *map(_pct, ratios)]) + " |")
    row = ["**geometric mean A-K**", *(f"**{_pct(_geomean(v))}**" for v in logs)]
    out.append("| " + " | ".join(row) + " |")
    out.append("")
    return out
