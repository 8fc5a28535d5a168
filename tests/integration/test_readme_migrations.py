"""The README's migrations walk-through, run as written: its ``pyproject.toml`` and
``app/models.py`` are written into a fresh project, each ``$ ormolu ...`` line of its
console blocks runs through the real console script (a subprocess), and what the command
prints must be the lines the README shows under it. The model change is the README's
``diff`` block applied to its models block. So the README and the command cannot drift.

Run on SQLite (the README's URL) and on the servers (the URL swapped for this run's
database): the command prints the same on every backend."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from ormolu import Database

ROOT = Path(__file__).resolve().parents[2]
ORMOLU = str(Path(sys.executable).parent / "ormolu")
HEADING = "## Migrations: add a field, make, up, down"
BLOCK = re.compile(r"^```(?P<lang>\w+)\n(?P<body>.*?)^```$", re.M | re.S)


def walkthrough() -> list[tuple[str, str]]:
    """(language, body) of each fenced block of the README's migrations section."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert HEADING in text, "the README's migrations walk-through is gone"
    section = text.split(HEADING, 1)[1].split("\n## ", 1)[0]
    return [(m.group("lang"), m.group("body")) for m in BLOCK.finditer(section)]


def apply_diff(source: str, diff: str) -> str:
    """``source`` with the one hunk of ``diff`` (context, ``-`` and ``+`` lines) applied."""
    lines = diff.splitlines(keepends=True)
    before = "".join(line[1:] for line in lines if line[:1] in (" ", "-"))
    after = "".join(line[1:] for line in lines if line[:1] in (" ", "+"))
    assert source.count(before) == 1, "the diff does not apply to the models block"
    return source.replace(before, after)


def commands(console: str) -> list[tuple[list[str], list[str]]]:
    """Each ``$ command`` of a console block with the output lines shown under it."""
    out: list[tuple[list[str], list[str]]] = []
    for line in console.splitlines():
        if line.startswith("$ "):
            out.append((shlex.split(line[2:]), []))
        else:
            out[-1][1].append(line)
    return out


def url_of(db: Database) -> str:
    if db.url.scheme == "sqlite":
        return f"sqlite:///{db.url.database}"
    return str(db.url)


@pytest.mark.parametrize("db", ["sqlite-file", "postgresql", "mysql"], indirect=True)
def test_the_readme_migrations_walkthrough_runs_as_written(db: Database, tmp_path: Path) -> None:
    blocks = walkthrough()
    assert [lang for lang, _ in blocks] == ["toml", "python", "console", "diff", "console"]
    (toml, models, first, change, second) = (body for _, body in blocks)
    project = tmp_path / "project"
    (project / "app").mkdir(parents=True)
    (project / "app" / "__init__.py").write_text("")
    (project / "app" / "models.py").write_text(models)
    assert 'url = "sqlite:///app.db"' in toml
    if db.url.scheme != "sqlite":  # the same walk-through on this run's server database
        toml = toml.replace("sqlite:///app.db", url_of(db))
    (project / "pyproject.toml").write_text(toml)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORMOLU_")}

    def run_block(console: str) -> None:
        for args, shown in commands(console):
            assert args[0] == "ormolu", args
            done = subprocess.run(
                [ORMOLU, *args[1:]], cwd=project, env=env, capture_output=True, text=True,
                timeout=120,
            )  # fmt: skip
            printed = done.stdout.replace(f"{project}/", "").splitlines()
            assert printed == shown, (args, done.stdout, done.stderr)
            differs = args[1] == "check" and bool(shown)  # `check` exits 1 on differences
            assert done.returncode == (1 if differs else 0), (args, done.stderr)

    run_block(first)
    (project / "app" / "models.py").write_text(apply_diff(models, change))
    run_block(second)
    # where it ended: the first migration applied, the second one written but reverted
    migrations = sorted(p.name for p in (project / "migrations").glob("0*.py"))
    assert migrations == ["0001_initial.py", "0002_add_formed.py"]
    done = subprocess.run(
        [ORMOLU, "check"], cwd=project, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 1 and "column band.formed is missing" in done.stdout
