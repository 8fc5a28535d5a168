"""The ``ormolu`` command through its real entry point (the console script, in a
subprocess): the walk-through on every backend, configuration sources, and every error."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ormolu import Database

ORMOLU = str(Path(sys.executable).parent / "ormolu")

MODELS_V1 = """
from __future__ import annotations

from ormolu import Mapped, Model, field


class Band(Model, table="cli_band"):
    id: Mapped[int] = field(primary_key=True, default=None)
    name: Mapped[str] = field(max_length=80)
"""

MODELS_V2 = MODELS_V1 + "    formed: Mapped[int | None] = None\n"


def run(
    cwd: Path, *args: str, env: dict[str, str] | None = None, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("ORMOLU_")}
    full_env.update(env or {})
    return subprocess.run(
        [ORMOLU, *args], cwd=cwd, env=full_env, input=stdin, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip


def project(tmp_path: Path, url: str, models: str = MODELS_V1) -> Path:
    root = tmp_path / "proj"
    (root / "app").mkdir(parents=True)
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "models.py").write_text(models)
    (root / "pyproject.toml").write_text(
        f'[tool.ormolu]\nurl = "{url}"\nmodels = "app.models"\nmigrations = "migrations/"\n'
    )
    return root


def url_of(db: Database, tmp_path: Path) -> str:
    if db.url.scheme == "sqlite":
        if db.url.database == ":memory:":
            pytest.skip("the command needs a database other processes can open")
        return f"sqlite:///{db.url.database}"
    return str(db.url)


def test_walkthrough_make_up_check_down(db: Database, tmp_path: Path) -> None:
    root = project(tmp_path, url_of(db, tmp_path))
    assert run(root, "migrate", "init").returncode == 0
    r = run(root, "migrate", "make", "-m", "initial")
    assert r.returncode == 0, r.stderr
    assert "create table cli_band" in r.stdout
    assert run(root, "migrate", "up").returncode == 0
    assert run(root, "check").returncode == 0
    (root / "app" / "models.py").write_text(MODELS_V2)
    r = run(root, "check")
    assert r.returncode == 1 and "column cli_band.formed is missing" in r.stdout
    r = run(root, "migrate", "make", "-m", "add formed")
    assert r.returncode == 0 and "add column cli_band.formed" in r.stdout, r.stderr
    r = run(root, "migrate", "up")
    assert r.returncode == 0 and "applied 1 migration(s)" in r.stdout
    assert run(root, "check").returncode == 0
    assert "no changes" in run(root, "migrate", "make", "-m", "nothing").stdout
    r = run(root, "migrate", "down")
    assert r.returncode == 0 and "reverted 1" in r.stdout
    assert "0002_add_formed" in run(root, "migrate", "status").stdout.split("pending")[0]


@pytest.mark.parametrize("db", ["sqlite-file"], indirect=True)
def test_status_history_sql_inspect_shell(db: Database, tmp_path: Path) -> None:
    root = project(tmp_path, url_of(db, tmp_path), MODELS_V2)
    run(root, "migrate", "init")
    run(root, "migrate", "make", "-m", "initial")
    assert "pending" in run(root, "migrate", "status").stdout
    assert run(root, "migrate", "up").returncode == 0
    r = run(root, "migrate", "status")
    assert "0001_initial" in r.stdout and "applied" in r.stdout and "pending" not in r.stdout
    assert "base -> 0001_initial (head)" in run(root, "migrate", "history").stdout
    r = run(root, "migrate", "sql")
    assert r.returncode == 0 and 'CREATE TABLE "cli_band"' in r.stdout
    r = run(root, "inspect")
    assert r.returncode == 0 and "class CliBand(Model" in r.stdout
    assert "formed: Mapped[int | None]" in r.stdout
    r = run(
        root,
        "shell",
        stdin='n = s.execute("SELECT count(*) FROM cli_band").scalar()\n'
        "print(Band.__name__, n, db.dialect.name)\n",
    )
    assert r.returncode == 0 and f"Band 0 {db.dialect.name}" in r.stdout, r.stderr


@pytest.mark.parametrize("db", ["sqlite-file"], indirect=True)
def test_configuration_from_flags_and_environment(db: Database, tmp_path: Path) -> None:
    root = tmp_path / "bare"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "m.py").write_text(MODELS_V1)
    url = url_of(db, tmp_path)
    env = {"ORMOLU_URL": url, "ORMOLU_MODELS": "pkg.m", "ORMOLU_MIGRATIONS": "mig"}
    assert run(root, "migrate", "init", env=env).returncode == 0
    assert (root / "mig").is_dir()
    r = run(
        root, "--url", url, "--models", "pkg.m", "--migrations", "mig", "migrate", "make", "-m", "x"
    )
    assert r.returncode == 0, r.stderr
    assert run(root, "migrate", "up", env=env).returncode == 0


@pytest.mark.parametrize("db", ["sqlite-file"], indirect=True)
def test_every_error_is_clear(db: Database, tmp_path: Path) -> None:
    url = url_of(db, tmp_path)
    root = project(tmp_path, url)

    def error(*args: str, env: dict[str, str] | None = None) -> str:
        r = run(root, *args, env=env)
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        assert "Traceback" not in r.stderr
        return r.stderr

    assert "a database URL looks like" in error("--url", "nonsense", "check")
    assert "unsupported database scheme 'oracle'" in error("--url", "oracle://x/y", "check")
    assert "cannot import the models module 'nope.models'" in error(
        "--models", "nope.models", "check"
    )
    assert "no migrations folder" in error("migrate", "up")
    assert "no migrations folder" in error("migrate", "make", "-m", "x")
    run(root, "migrate", "init")
    assert run(root, "migrate", "make", "-m", "initial").returncode == 0
    assert run(root, "migrate", "up").returncode == 0
    # a database ahead of the code
    (root / "migrations" / "0001_initial.py").rename(root / "migrations" / "_gone.py")
    assert "ahead of this code" in error("migrate", "up")
    (root / "migrations" / "_gone.py").rename(root / "migrations" / "0001_initial.py")
    # two heads
    text = (root / "migrations" / "0001_initial.py").read_text()
    for name in ("0002_a", "0003_b"):
        (root / "migrations" / f"{name}.py").write_text(
            text.replace('revision = "0001_initial"', f'revision = "{name}"')
            .replace("down_revision = None", 'down_revision = "0001_initial"')
            .replace("return [\n        CreateTable", "return []\n    [\n        CreateTable")
        )
    assert "2 heads" in error("migrate", "up")
    assert "2 heads" in run(root, "migrate", "status").stdout
    r = run(root, "migrate", "merge", "-m", "join")
    assert r.returncode == 0, r.stderr
    assert "0004_join" in run(root, "migrate", "history").stdout
    # a rename needs an answer: without a terminal the command stops and names it
    (root / "app" / "models.py").write_text(MODELS_V1.replace("name:", "title:"))
    run(root, "migrate", "up")
    stderr = error("migrate", "make", "-m", "rename")
    assert "cli_band.name:title" in stderr and "--rename" in stderr
    r = run(root, "migrate", "make", "-m", "rename", "--rename", "cli_band.name:title")
    assert r.returncode == 0 and "rename column cli_band.name to title" in r.stdout


ENUM_MODELS = """
from __future__ import annotations

import enum

from ormolu import Mapped, Model, field


class Mood(enum.Enum):
    HAPPY = "happy"
    SAD = "sad"


class Feel(Model, table="cli_feel"):
    id: Mapped[int] = field(primary_key=True, default=None)
    mood: Mapped[Mood | None] = None
"""


@pytest.mark.parametrize("db", ["sqlite-file"], indirect=True)
def test_an_enum_value_rename_through_the_command(db: Database, tmp_path: Path) -> None:
    root = project(tmp_path, url_of(db, tmp_path), ENUM_MODELS)
    run(root, "migrate", "init")
    assert run(root, "migrate", "make", "-m", "initial").returncode == 0
    assert run(root, "migrate", "up").returncode == 0
    (root / "app" / "models.py").write_text(ENUM_MODELS.replace('SAD = "sad"', 'BLUE = "blue"'))
    r = run(root, "check")
    assert r.returncode == 1 and "check" in r.stdout  # the constraint differs
    r = run(root, "migrate", "make", "-m", "blue")  # no terminal: it stops and names it
    assert r.returncode == 2 and "--rename cli_feel.mood.sad:blue" in r.stderr
    r = run(root, "migrate", "make", "-m", "blue", "--rename", "cli_feel.mood.sad:blue")
    assert r.returncode == 0, r.stderr
    assert "enum values of cli_feel.mood: rename 'sad' to 'blue'" in r.stdout
    assert run(root, "migrate", "up").returncode == 0
    assert run(root, "check").returncode == 0
    assert "no changes" in run(root, "migrate", "make", "-m", "nothing").stdout
