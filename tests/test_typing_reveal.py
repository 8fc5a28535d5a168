"""What a type checker shows users for query results: ``reveal_type`` on each result method.

``tests/typing/check_queries.py`` pins the same types with ``assert_type`` in the main mypy
run; this test shows them the way a user sees them in an editor, by running mypy over
``reveal_type`` calls and comparing each revealed type with the ``# R:`` expectation on
its line.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SOURCE = """\
from decimal import Decimal

from ormolu import Database, Mapped, Model, field, func


class Track(Model, table="track"):
    id: Mapped[int] = field(primary_key=True, default=None)
    name: Mapped[str] = field(max_length=200)
    composer: Mapped[str | None] = field(max_length=220, default=None)
    milliseconds: Mapped[int]
    unit_price: Mapped[Decimal] = field(max_digits=10, decimal_places=2, default=Decimal(1))


db = Database()
with db.session() as s:
    reveal_type(s.query(Track).all())  # R: list[reveal_queries.Track]
    reveal_type(s.query(Track).first())  # R: reveal_queries.Track | None
    reveal_type(s.query(Track).one())  # R: reveal_queries.Track
    reveal_type(s.query(Track).one_or_none())  # R: reveal_queries.Track | None
    reveal_type(s.query(Track.name, Track.milliseconds).all())  # R: list[tuple[str, int]]
    reveal_type(s.query(Track.composer).one())  # R: str | None
    reveal_type(s.query(Track.name, func.sum(Track.unit_price)).first())  # R: tuple[str, decimal.Decimal] | None
    reveal_type(s.query(func.sum(Track.milliseconds)).one())  # R: int
    reveal_type(s.query(Track).count())  # R: int
    reveal_type(s.query(Track).exists())  # R: bool
    reveal_type(iter(s.query(Track.milliseconds)))  # R: typing.Iterator[int]
    reveal_type(s.query(Track).dicts().all())  # R: list[dict[str, Any]]
    reveal_type(s.get(Track, 1))  # R: reveal_queries.Track | None
    reveal_type(Track.name)  # R: ormolu.sql.elements.ColumnRef[str]
    reveal_type(Track(name="x", milliseconds=1).unit_price)  # R: decimal.Decimal
"""  # noqa: E501

NOTE = re.compile(r'^[^:]+:(?P<line>\d+): note: Revealed type is "(?P<type>.*)"$')


def test_revealed_types_of_query_results(tmp_path: Path) -> None:
    path = tmp_path / "reveal_queries.py"
    path.write_text(SOURCE, encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-pretty", "--no-error-summary", str(path)],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    revealed = {int(m["line"]): m["type"] for m in map(NOTE.match, proc.stdout.splitlines()) if m}
    expected = {
        number: line.rsplit("# R: ", 1)[1].strip()
        for number, line in enumerate(SOURCE.splitlines(), start=1)
        if "# R: " in line
    }
    assert len(expected) == 15
    assert revealed == expected, proc.stdout
    assert "error:" not in proc.stdout, proc.stdout  # reveal_type notes only
