"""Code that ``mypy --strict`` must reject: the typing of models and queries has teeth.

Every case is a small program written to a temporary file; each marks the one line that
must fail with ``# E: <error-code>``. One mypy run checks all the files (a few seconds with
the cache), and each case is then its own test: mypy must report the expected error code on
the marked line and no error anywhere else in that file, so a case cannot pass because of an
unrelated mistake. The cases that mypy must *accept* live in ``tests/typing/``.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

PRELUDE = """\
from decimal import Decimal

from ormolu import Database, Expr, Mapped, Model, field


class Track(Model, table="track"):
    id: Mapped[int] = field(primary_key=True, default=None)
    name: Mapped[str] = field(max_length=200)
    composer: Mapped[str | None] = field(max_length=220, default=None)
    milliseconds: Mapped[int]
    unit_price: Mapped[Decimal] = field(max_digits=10, decimal_places=2, default=Decimal(1))


class Album(Model, table="album"):
    id: Mapped[int] = field(primary_key=True, default=None)
    title: Mapped[str]


db = Database()
"""

# name -> code appended to the prelude. A line marked "# E: code[, code...]" must be rejected
# with exactly those error codes (mypy may report one code several times on the line).
CASES: dict[str, str] = {
    "load_only_takes_fields_not_names": """
from ormolu import load_only
load_only("name")  # E: arg-type
""",
    "constructor_wrong_type": """
Track(name=3, milliseconds=1)  # E: arg-type
""",
    "constructor_unknown_keyword": """
Track(name="x", milliseconds=1, colour="red")  # E: call-arg
""",
    "constructor_missing_required": """
Track(name="x")  # E: call-arg
""",
    "constructor_positional": """
Track("x", 1)  # E: call-arg, arg-type
""",
    "assign_wrong_type": """
track = Track(name="x", milliseconds=1)
track.name = 5  # E: assignment
""",
    "assign_none_to_not_null": """
track = Track(name="x", milliseconds=1)
track.name = None  # E: assignment
""",
    "nullable_attribute_used_as_str": """
track = Track(name="x", milliseconds=1)
track.composer.upper()  # E: union-attr
""",
    "contains_wrong_type": """
Track.name.contains(5)  # E: arg-type
""",
    "like_wrong_type": """
Track.name.like(5)  # E: arg-type
""",
    "query_result_wrong_model": """
with db.session() as s:
    albums: list[Album] = s.query(Track).all()  # E: assignment
""",
    "query_first_may_be_none": """
with db.session() as s:
    s.query(Track).first().name  # E: union-attr
""",
    "get_may_be_none": """
with db.session() as s:
    s.get(Track, 1).milliseconds  # E: union-attr
""",
    "plain_default_instead_of_field": """
class Note(Model, table="note"):
    id: Mapped[int] = field(primary_key=True, default=None)
    text: Mapped[str | None] = None  # E: assignment
""",
    "where_python_bool": """
with db.session() as s:
    s.query(Track).where(True)  # E: arg-type
""",
    "where_string": """
with db.session() as s:
    s.query(Track).where("1=1; DROP TABLE track")  # E: arg-type
""",
    "where_non_boolean_column": """
with db.session() as s:
    s.query(Track).where(Track.name)  # E: arg-type
""",
    "having_string": """
with db.session() as s:
    s.query(Track.name).group_by(Track.name).having("count(*) > 1")  # E: arg-type
""",
    "order_by_string": """
with db.session() as s:
    s.query(Track).order_by("name")  # E: arg-type
""",
    "group_by_string": """
with db.session() as s:
    s.query(Track.name).group_by("name")  # E: arg-type
""",
    "division_is_float": """
ratio: Expr[int] = Track.milliseconds / 1000  # E: assignment
""",
    "decimal_times_float_is_float": """
net: Expr[Decimal] = Track.unit_price * 0.5  # E: assignment
""",
    "date_difference_is_int": """
from datetime import date
class Trip(Model, table="trip"):
    id: Mapped[int] = field(primary_key=True, default=None)
    start: Mapped[date]
    end: Mapped[date]
days: Expr[date] = Trip.end - Trip.start  # E: assignment
""",
    "scalar_may_be_none": """
with db.session() as s:
    s.query(Track.milliseconds).scalar() + 1  # E: operator
""",
    "cte_column_keeps_its_type": """
from ormolu import select
names = select(Track.id, Track.name).cte("names")
n: Expr[int] = names.col(Track.name)  # E: arg-type
""",
    "window_order_by_string": """
from ormolu import func
func.rank().over(order_by="name")  # E: arg-type
""",
    "json_integer_is_optional": """
from typing import Any
class Doc(Model, table="doc"):
    id: Mapped[int] = field(primary_key=True, default=None)
    data: Mapped[dict[str, Any]]
n: Expr[int] = Doc.data["n"].as_integer()  # E: assignment
""",
    "column_tuple_types": """
with db.session() as s:
    rows: list[tuple[int, str]] = s.query(Track.name, Track.milliseconds).all()  # E: assignment
""",
    "listen_unknown_event": """
db.listen("before_insert", lambda s: None)  # E: arg-type
""",
    "listen_callable_of_the_wrong_session": """
from ormolu import AsyncSession
def on_commit(s: AsyncSession) -> None: ...
db.listen("after_commit", on_commit)  # E: arg-type
""",
    # the async front end: a terminal not awaited is a coroutine, not its result
    "async_terminal_not_awaited": """
from ormolu import AsyncDatabase
adb = AsyncDatabase()
async def main() -> None:
    async with adb.session() as s:
        tracks: list[Track] = s.query(Track).all()  # E: assignment
""",
    "async_awaiting_a_sync_terminal": """
async def main() -> None:
    with db.session() as s:
        await s.query(Track).all()  # E: misc
""",
    "async_query_plain_for": """
from ormolu import AsyncDatabase
adb = AsyncDatabase()
async def main() -> None:
    async with adb.session() as s:
        for t in s.query(Track):  # E: attr-defined
            pass
""",
    "async_session_plain_with": """
from ormolu import AsyncDatabase
adb = AsyncDatabase()
def main() -> None:
    with adb.session() as s:  # E: attr-defined
        pass
""",
    "async_get_not_awaited": """
from ormolu import AsyncDatabase
adb = AsyncDatabase()
async def main() -> None:
    async with adb.session() as s:
        t = s.get(Track, 1)
        t.name  # E: attr-defined
""",
}

MYPY_FLAGS = ("--strict", "--show-error-codes", "--no-pretty", "--no-error-summary")
ERROR = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+): error: .*\[(?P<code>[a-z-]+)\]$")


@pytest.fixture(scope="module")
def mypy_errors(tmp_path_factory: pytest.TempPathFactory) -> dict[str, set[tuple[int, str]]]:
    """Run mypy once over every case; return ``{case: {(line, code), ...}}``."""
    folder = tmp_path_factory.mktemp("typing_rejects")
    files = []
    for name, body in CASES.items():
        path = folder / f"reject_{name}.py"
        path.write_text(PRELUDE + body, encoding="utf-8")
        files.append(str(path))
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", *MYPY_FLAGS, *files],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode != 0, f"mypy accepted every case:\n{proc.stdout}{proc.stderr}"
    errors: dict[str, set[tuple[int, str]]] = {name: set() for name in CASES}
    for line in proc.stdout.splitlines():
        m = ERROR.match(line)
        if m:
            case = Path(m["file"]).stem.removeprefix("reject_")
            errors[case].add((int(m["line"]), m["code"]))
    return errors


@pytest.mark.parametrize("case", list(CASES))
def test_mypy_rejects(case: str, mypy_errors: dict[str, set[tuple[int, str]]]) -> None:
    source = (PRELUDE + CASES[case]).splitlines()
    expected = {
        (number, code.strip())
        for number, line in enumerate(source, start=1)
        if "# E: " in line
        for code in line.rsplit("# E: ", 1)[1].split(",")
    }
    assert expected, "a case must mark the line mypy has to reject"
    assert mypy_errors[case] == expected


@pytest.mark.parametrize("name", ["check_queries", "check_relationships"])
def test_accepted_cases_also_run(name: str) -> None:
    """``tests/typing/*.py`` are type-checked by the main mypy run; their checks must
    also hold at run time (``assert_type`` does nothing when executed)."""
    path = ROOT / "tests" / "typing" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"_ormolu_typing_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # models resolve foreign keys through their module
    try:
        spec.loader.exec_module(module)
        module.run()
    finally:
        del sys.modules[spec.name]
