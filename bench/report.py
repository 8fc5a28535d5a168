"""Turn the collected runs into the report: Markdown tables and a PNG bar chart.

Numbers: for every contender and test, the *best* (minimum) and *median* time over the
repetitions; rows/second = rows handled / best time; the ratio to the raw driver = the
contender's best time / the raw driver's best time (lower is better; 1.0 is the floor);
the geometric mean of those ratios over A-K summarises a contender; the relation tests L
and M get their own line (geometric mean over L-M) and are not part of it. B, I, J and K
are also shown against the statement-per-row floor (``raw-per-row``). From the counting
run: the statements per unit of work of every contender and test; from every timed run:
the peak RSS of each contender process.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from typing import Any

from .contenders import ASYNC_FLOORS, FLOORS
from .workload import CORE_LETTERS, LETTERS, RELATION_LETTERS, TESTS

RAW = "raw"
PER_ROW = "raw-per-row"
OURS = "ormolu"
# The tests where the two floors differ: the unit of work may batch the rows.
BOTH_FLOORS = ("B", "I", "J", "K")


@dataclass(frozen=True)
class Suite:
    """What a report compares: the reference (1.00), ormolu's column, the floors and the
    other columns that are no peers (never "best peer"), and the sync twin of each async
    contender (the async suite's overhead table)."""

    name: str = "sync"
    ref: str = RAW
    ours: str = OURS
    per_row: str | None = PER_ROW
    floors: tuple[str, ...] = FLOORS
    not_peers: tuple[str, ...] = ("ormolu-base",)
    also_ours: tuple[str, ...] = ()  # ormolu on another driver: targets checked for it too
    twins: tuple[tuple[str, str], ...] = ()  # (async key, its sync twin)
    floor_text: str = (
        "hand-written SQL in the cheapest form the driver offers: autocommit for single "
        "statements and reads, multi-row INSERTs, one `executemany` for the UPDATEs / "
        "DELETEs of I-K"
    )

    def peer(self, key: str) -> bool:
        """Whether ``key`` competes for "best peer"."""
        return key not in self.floors and key != self.ours and key not in self.not_peers


SYNC = Suite()
ASYNC = Suite(
    name="async",
    ref="raw-async",
    ours="ormolu-async",
    per_row=None,
    floors=ASYNC_FLOORS,
    not_peers=("ormolu-base", RAW, OURS, "ormolu-asyncpg"),
    also_ours=("ormolu-asyncpg",),
    twins=(("ormolu-async", OURS), ("raw-async", RAW), ("ormolu-asyncpg", OURS)),
    floor_text=(
        "the same hand-written SQL as the sync floor, awaited on the async driver: "
        "autocommit for single statements and reads, multi-row INSERTs, one "
        "`executemany` for the UPDATEs / DELETEs of I-K"
    ),
)


@dataclass
class Cell:
    """One contender x test: the times of the successful repetitions and any problems."""

    times: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)  # the process's CPU seconds, per run
    counts: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    na: str | None = None  # the contender cannot run this test: the reason

    @property
    def best(self) -> float | None:
        """The fastest repetition's seconds."""
        return min(self.times) if self.times else None

    @property
    def best_cpu(self) -> float | None:
        """The least CPU time of the repetitions (seconds; the process's, all threads)."""
        return min(self.cpu) if self.cpu else None

    @property
    def median(self) -> float | None:
        """The median repetition's seconds."""
        return statistics.median(self.times) if self.times else None


@dataclass
class Contender:
    """Everything collected about one contender."""

    key: str
    label: str
    cells: dict[str, Cell] = field(default_factory=lambda: {k: Cell() for k in LETTERS})
    unavailable: str | None = None
    problems: list[str] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)
    settings: list[dict[str, Any]] = field(default_factory=list)
    # one dict per timed process: {"setup"|letter|"end": {"rss_mb", "peak_rss_mb"}}
    memory: list[dict[str, Any]] = field(default_factory=list)
    # from the counting run: letter -> {"total": n, "by_verb": {...}}
    statements: dict[str, Any] = field(default_factory=dict)
    # the contender's own server-side count per test, where it has one (raw on MySQL)
    server_statements: dict[str, int] = field(default_factory=dict)
    count_problem: str | None = None

    def peak_rss(self, point: str) -> float | None:
        """The median over the processes of the peak RSS (MiB) reached by ``point``
        ("setup", a test letter or "end")."""
        values = [m[point]["peak_rss_mb"] for m in self.memory if point in m]
        return statistics.median(values) if values else None

    def ratio(self, raw: Contender, letter: str, stat: str = "best") -> float | None:
        """This contender's time over the raw driver's for one test."""
        mine = getattr(self.cells[letter], stat)
        floor = getattr(raw.cells[letter], stat)
        if mine is None or not floor:
            return None
        return float(mine / floor)

    def geomean(
        self, raw: Contender, stat: str = "best", letters: tuple[str, ...] = CORE_LETTERS
    ) -> tuple[float | None, int]:
        """The geometric mean of the ratios over A-K (or ``letters``), and how many tests
        it covers."""
        ratios = [r for r in (self.ratio(raw, k, stat) for k in letters) if r is not None]
        if not ratios:
            return None, 0
        return math.exp(sum(math.log(r) for r in ratios) / len(ratios)), len(ratios)


def _fmt_ratio(r: float | None) -> str:
    if r is None:
        return "-"
    return f"{r:.2f}" if r < 10 else f"{r:.1f}"


def _fmt_rate(rate: float) -> str:
    if rate >= 100_000:
        return f"{rate / 1000:,.0f}k"
    if rate >= 10_000:
        return f"{rate / 1000:,.1f}k"
    return f"{rate:,.0f}"


def _cell_text(c: Contender, letter: str, value: str, expected: int) -> str:
    cell = c.cells[letter]
    if c.unavailable or cell.na:
        return "n/a"
    if not cell.times:
        return "error" if cell.errors else "-"
    flags = ""
    if any(n != expected for n in cell.counts):
        flags += " ⚠count"
    if cell.errors:
        flags += " ⚠err"
    return value + flags


def _best_peer(
    contenders: list[Contender],
    raw: Contender,
    letter: str | None,
    letters: tuple[str, ...] = CORE_LETTERS,
    suite: Suite = SYNC,
) -> str | None:
    best, best_value = None, math.inf
    for c in contenders:
        if not suite.peer(c.key) or c.unavailable:
            continue
        v = c.geomean(raw, letters=letters)[0] if letter is None else c.ratio(raw, letter)
        if v is not None and v < best_value:
            best, best_value = c.key, v
    return best


def _bold(text: str) -> str:
    return f"**{text}**" if text not in ("", "-") else text


def _fmt_per_unit(total: int, units: int) -> str:
    """``k (+r)``: ``k`` statements per unit of work and ``r`` more in the whole test
    (``total = k * units + r``); just ``total`` when the test is one unit, and the
    fraction when there are fewer statements than units (a library's query cache)."""
    if units <= 1:
        return f"{total:,}"
    k, r = divmod(total, units)
    if k == 0:
        return f"{total / units:.2f}"
    return f"{k}" + (f" (+{r:,})" if r else "")


def markdown(
    contenders: list[Contender],
    meta: dict[str, Any],
    expected: dict[str, int],
    units: dict[str, tuple[str, int]] | None = None,
    suite: Suite = SYNC,
) -> str:
    """The whole report as Markdown (``units``: per test, the unit of work and how many
    the test does, for the statement counts; ``suite``: what is compared)."""
    OURS = suite.ours
    raw = next(c for c in contenders if c.key == suite.ref)
    per_row = next((c for c in contenders if c.key == suite.per_row), None)
    shown = contenders
    lines: list[str] = []
    add = lines.append
    kind = "async benchmark" if suite.name == "async" else "benchmark"
    add(f"# ormolu {kind}: {meta['db_label']}, N = {meta['n']:,}, {meta['reps']} rep(s)")
    add("")
    add(f"{meta['date']} · `{meta['command']}` · ormolu {meta['ormolu_commit']}")
    add("")
    add(
        "The eleven tests of the small-table benchmark (see `bench/README.md` for the exact "
        "workload). Each contender runs in its own process per repetition, on an empty "
        "table with identical DDL; repetitions are interleaved across contenders. The "
        f"read-only tests D-H run {meta.get('inner', 1)} times in each process and keep "
        "the fastest."
        " Then the relation tests L (parents with their children) and M (many-to-many), "
        "each contender's eager loading (select-in / prefetch) over identical pre-filled "
        "tables, also run that many times; they have their own geometric mean and are not "
        "part of the one over A-K."
    )
    add("")
    # -- ratios -------------------------------------------------------------------------
    add("## Time relative to the raw driver (best of the repetitions; lower is better)")
    add("")
    add(
        f"**Bold**: ormolu, and the fastest peer of each row (named in the last column). "
        f"1.00 = the raw driver ({raw.label}, {suite.floor_text}). "
        + (
            f"`{per_row.label}` is the same driver sending one statement per row in B, I, "
            "J and K (its ratios here are to the batched floor; the next table shows every "
            "contender against it)."
            if per_row
            else ""
        )
    )
    add("")
    header = ["test", *[(_bold(c.label) if c.key == OURS else c.label) for c in shown]]
    add("| " + " | ".join([*header, "best peer"]) + " |")
    add("|" + "---|" * (len(header) + 1))
    labels = {c.key: c.label for c in contenders}
    for letter, _, title in TESTS:
        peer = _best_peer(contenders, raw, letter, suite=suite)
        row = [f"{letter} {title}"]
        for c in shown:
            text = _cell_text(c, letter, _fmt_ratio(c.ratio(raw, letter)), expected[letter])
            row.append(_bold(text) if c.key == OURS or c.key == peer else text)
        row.append(labels[peer] if peer else "-")
        add("| " + " | ".join(row) + " |")
    for stat, title in (("best", "geometric mean A-K"), ("median", "geometric mean A-K (medians)")):
        peer = _best_peer(contenders, raw, None, suite=suite) if stat == "best" else None
        row = [f"**{title}**"]
        for c in shown:
            g, k = c.geomean(raw, stat)
            text = "n/a" if c.unavailable else _fmt_ratio(g)
            if g is not None and k < len(CORE_LETTERS):
                text += f" ({k}/{len(CORE_LETTERS)})"
            row.append(_bold(text) if c.key == OURS or c.key == peer else text)
        row.append(labels[peer] if peer else "")
        add("| " + " | ".join(row) + " |")
    add(_relations_geomean_row(contenders, raw, suite))
    add("")
    if per_row is not None:
        lines.extend(_both_floors(contenders, raw, per_row, expected))
    if suite.twins:
        from .report_tables import cpu_table, overhead, targets

        lines.extend(targets(contenders, raw, suite))
        lines.extend(overhead(contenders, suite))
        lines.extend(cpu_table(contenders, raw, suite))
    # -- rows per second ------------------------------------------------------------------
    add("## Rows per second (best of the repetitions; higher is better)")
    add("")
    add("| " + " | ".join(["test", "rows", *header[1:]]) + " |")
    add("|" + "---|" * (len(header) + 1))
    for letter, _, title in TESTS:
        row = [f"{letter} {title}", f"{expected[letter]:,}"]
        for c in shown:
            best = c.cells[letter].best
            rate = _fmt_rate(expected[letter] / best) if best else "-"
            text = _cell_text(c, letter, rate, expected[letter])
            row.append(_bold(text) if c.key == OURS else text)
        add("| " + " | ".join(row) + " |")
    add("")
    if units is not None:
        lines.extend(_statements(contenders, meta, units, OURS))
    lines.extend(_memory(contenders, OURS))
    # -- problems -------------------------------------------------------------------------
    notes = []
    for c in contenders:
        if c.unavailable:
            notes.append(f"- **{c.label}: n/a** — {c.unavailable}")
        for letter in LETTERS:
            cell = c.cells[letter]
            if cell.na and not c.unavailable:
                notes.append(f"- {c.label}, test {letter}: n/a — {cell.na}")
            if cell.errors:
                notes.append(f"- {c.label}, test {letter}: {cell.errors[0]}")
            wrong = sorted({n for n in cell.counts if n != expected[letter]})
            if wrong:
                notes.append(
                    f"- {c.label}, test {letter}: row count {wrong} ≠ expected {expected[letter]}"
                )
        for p in sorted(set(c.problems)):
            notes.append(f"- {c.label}: {p}")
        if c.count_problem:
            notes.append(f"- {c.label}: counting run: {c.count_problem}")
        for s in c.settings:
            if s and (
                str(s.get("journal_mode")).lower() != "wal" or str(s.get("synchronous")) != "1"
            ):
                notes.append(f"- {c.label}: SQLite settings {s} (expected wal, synchronous=1)")
                break
    add("## Checks")
    add("")
    if notes:
        add("Problems found (⚠ in the tables):")
        add("")
        lines.extend(notes)
    else:
        add(
            "Every test of every available contender returned the expected row count, and "
            "the table contents after K were verified with plain SQL for every run (and the "
            "relation tables after L and M: unchanged)."
            + (
                " Every contender ran with journal_mode=WAL and synchronous=NORMAL."
                if meta["db"] == "sqlite"
                else ""
            )
        )
    add("")
    # -- extras ---------------------------------------------------------------------------
    if suite.name == "sync":
        lines.extend(_extras(meta))
    # -- environment ----------------------------------------------------------------------
    add("## Machine and versions")
    add("")
    add(f"- machine: {meta['cpu']} x {meta['nproc']} (nproc), {meta['platform']}")
    add(f"- Python {meta['python']}, SQLite {meta['sqlite']}")
    if meta.get("load"):
        add(
            f"- load average (1 min): {meta['load']}; the benchmark itself keeps about one "
            "core busy, so more means other work shared the machine and the run is noisier"
        )
    if meta.get("pinned_cpu") is not None:
        add(
            f"- each contender process ran on CPU {meta['pinned_cpu']} alone (`--pin`; see "
            "bench/README.md, 'One CPU per contender')"
        )
    if meta.get("server"):
        add(f"- server: {meta['server']}")
    add(f"- database: {meta['db_where']}")
    versions: dict[str, str] = {}
    for c in contenders:
        versions.update(c.versions)
    if versions:
        add("- packages: " + ", ".join(f"{k} {v}" for k, v in sorted(versions.items())))
    add("")
    return "\n".join(lines)


def _relations_geomean_row(contenders: list[Contender], raw: Contender, suite: Suite = SYNC) -> str:
    """The table row of the geometric mean over the relation tests L-M (best times)."""
    OURS = suite.ours
    letters = RELATION_LETTERS
    span = f"{letters[0]}-{letters[-1]}"
    peer = _best_peer(contenders, raw, None, letters, suite)
    row = [f"**geometric mean {span} (relations, not in A-K)**"]
    for c in contenders:
        g, k = c.geomean(raw, letters=letters)
        text = "n/a" if c.unavailable else _fmt_ratio(g)
        if g is not None and k < len(letters):
            text += f" ({k}/{len(letters)})"
        row.append(_bold(text) if c.key == OURS or c.key == peer else text)
    row.append(next((c.label for c in contenders if c.key == peer), ""))
    return "| " + " | ".join(row) + " |"


def _both_floors(
    contenders: list[Contender], raw: Contender, per_row: Contender, expected: dict[str, int]
) -> list[str]:
    """The table of B, I, J and K against both floors."""
    shown = [c for c in contenders if c.key not in FLOORS]
    out = [
        "## B, I, J, K against both floors (batched / statement per row)",
        "",
        "Each cell: time relative to the batched floor (the table above: multi-row INSERT "
        "for B, one `executemany` for I-K) / time relative to the statement-per-row floor "
        f"({per_row.label}: one INSERT with its key per row in B, one UPDATE or DELETE per "
        "row in I-K). On PostgreSQL psycopg's `executemany` pipelines its statements; "
        "PyMySQL's sends UPDATEs and DELETEs one by one, so the two floors of I-K are close "
        "on MySQL/MariaDB.",
        "",
        "| test | "
        + " | ".join(_bold(c.label) if c.key == OURS else c.label for c in shown)
        + f" | {per_row.label} vs batched |",
        "|" + "---|" * (len(shown) + 2),
    ]
    titles = {letter: title for letter, _, title in TESTS}
    for letter in BOTH_FLOORS:
        row = [f"{letter} {titles[letter]}"]
        for c in shown:
            a, b = c.ratio(raw, letter), c.ratio(per_row, letter)
            value = f"{_fmt_ratio(a)} / {_fmt_ratio(b)}"
            text = _cell_text(c, letter, value, expected[letter])
            row.append(_bold(text) if c.key == OURS else text)
        row.append(_fmt_ratio(per_row.ratio(raw, letter)))
        out.append("| " + " | ".join(row) + " |")
    out.append("")
    return out


def _statements(
    contenders: list[Contender],
    meta: dict[str, Any],
    units: dict[str, tuple[str, int]],
    OURS: str = OURS,
) -> list[str]:
    """The table of statements per unit of work, from the counting run."""
    counted = [c for c in contenders if c.statements]
    if not counted:
        return []
    how = (
        "counted in each contender's process by a `sqlite3` trace callback on every "
        "connection (it sees the BEGIN/COMMIT the `sqlite3` module issues itself, and "
        "each row of an `executemany`)"
        if meta["db"] == "sqlite"
        else "counted on the wire by a proxy between the contender and the server "
        "(simple queries and extended-protocol executions on PostgreSQL, COM_QUERY and "
        "COM_STMT_EXECUTE on MySQL), so a pipelined `executemany` counts one per row"
    )
    out = [
        "## SQL statements per unit of work",
        "",
        f"From a separate, untimed run of every contender, {how}. `k (+r)`: k statements "
        "per unit of work and r more over the whole test (total = k * units + r; the r are "
        "usually one BEGIN and COMMIT around the test's session). BEGIN, COMMIT and the "
        "like count as statements.",
        "",
        "| test | unit (count) | "
        + " | ".join(_bold(c.label) if c.key == OURS else c.label for c in contenders)
        + " |",
        "|" + "---|" * (len(contenders) + 2),
    ]
    for letter, _, _ in TESTS:
        name, count = units[letter]
        row = [letter, f"{name} (x {count:,})" if count > 1 else f"{name} (total)"]
        for c in contenders:
            st = c.statements.get(letter)
            if c.unavailable or c.cells[letter].na:
                text = "n/a"
            elif st is None:
                text = "-"
            else:
                text = _fmt_per_unit(st["total"], count)
            row.append(_bold(text) if c.key == OURS else text)
        out.append("| " + " | ".join(row) + " |")
    out.append("")
    if meta["db"] == "postgresql":
        out.append(
            "No cross-check on PostgreSQL: it keeps no per-connection count of statements "
            "(`pg_stat_statements` is server-wide and not installed here)."
        )
        out.append("")
    for c in contenders:
        if not c.server_statements:
            continue
        wrong = {
            k: (v, c.statements.get(k, {}).get("total"))
            for k, v in c.server_statements.items()
            if v != c.statements.get(k, {}).get("total")
        }
        if wrong:
            detail = ", ".join(f"{k}: server {v}, proxy {p}" for k, (v, p) in wrong.items())
            out.append(f"Cross-check, {c.label}: the server's own count differs ({detail}).")
        else:
            out.append(
                f"Cross-check: {c.label}'s count on its own connection (`SHOW SESSION STATUS "
                "LIKE 'Questions'`, less the probe) equals the proxy's on every test."
            )
        out.append("")
    return out


def _memory(contenders: list[Contender], OURS: str = OURS) -> list[str]:
    """The table of peak RSS per contender process."""
    shown = [c for c in contenders if c.memory]
    if not shown:
        return []
    out = [
        "## Peak RSS of each contender process (MiB; median over the repetitions)",
        "",
        "`getrusage` `ru_maxrss` of the worker process after the library is imported and "
        "connected (setup), after each test (the peak so far), and at the end. The worker "
        "itself (Python, the harness, the workload data) is in every figure: the raw "
        "driver's column is the baseline.",
        "",
        "| point | "
        + " | ".join(_bold(c.label) if c.key == OURS else c.label for c in shown)
        + " |",
        "|" + "---|" * (len(shown) + 1),
    ]
    for point in ("setup", *LETTERS, "end"):
        title = {"setup": "after setup", "end": "**peak (end)**"}.get(point, f"after {point}")
        row = [title]
        for c in shown:
            v = c.peak_rss(point)
            text = "-" if v is None else f"{v:.1f}"
            row.append(_bold(text) if c.key == OURS or point == "end" else text)
        out.append("| " + " | ".join(row) + " |")
    out.append("")
    return out


def _stream_line(stream: dict[str, Any]) -> str:
    """The report's line for one streaming measurement (plain iteration or yield_per)."""
    how = (
        "`for obj in session.query(Journal).yield_per(1000)`"
        if stream.get("how") == "yield_per"
        else "`for obj in session.query(Journal)`"
    )
    if "peak_rss_growth_mb" not in stream:
        return f"- {how}: not measured ({stream.get('error') or 'unknown error'})"
    rate = stream["rows"] / stream["seconds"] if stream["seconds"] else 0
    return (
        f"- {how} over {stream['rows']:,} rows (of {stream['expected']:,}) in "
        f"{stream['seconds']:.2f} s ({_fmt_rate(rate)} rows/s): memory grew by "
        f"**{stream['rss_growth_mb']:.1f} MB** (current RSS sampled every 10,000 rows, from "
        f"{stream['rss_before_mb']:.1f} MB); the process's peak RSS (`getrusage`) grew by "
        f"{stream['peak_rss_growth_mb']:.1f} MB."
    )


def _extras(meta: dict[str, Any]) -> list[str]:
    """The section of ormolu's streaming memory and compile cache (sync suite)."""
    lines = ["## ormolu: streaming memory and compile cache", ""]
    add = lines.append
    streams = meta.get("streams") or ([meta["stream"]] if meta.get("stream") else [])
    for stream in streams:
        add(_stream_line(stream))
    compile_ = meta.get("compile")
    if compile_ and "error" not in compile_:
        add("- cached compile time, `ormolu.sql.compiler.measure_compile(dialect, stmt)`:")
        add("")
        add("  | query shape | µs per compile |")
        add("  |---|---|")
        for name, us in compile_.items():
            add(f"  | {name} | {us:.2f} |")
    elif compile_:
        add(f"- compile time: not measured ({compile_['error']})")
    if not streams and not compile_:
        add("Not measured in this run (`--no-extras`).")
    add("")
    return lines
