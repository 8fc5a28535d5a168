"""The ``ormolu`` command (a console script; see docs/cli.md).

Built on click: composable command groups, environment-variable defaults and
testable entry points, with no dependencies of its own. Commands::

    ormolu inspect [URL] [-o FILE]     model code for an existing database
    ormolu check                       exit 1 and list the differences models vs database
    ormolu shell                       Python with the models imported and a session open
    ormolu migrate init                create the migrations folder
    ormolu migrate make -m MESSAGE     write a migration (models vs database)
    ormolu migrate up [REV]            apply migrations (default: up to the head)
    ormolu migrate down [REV]          revert (default: the last one; "base": all)
    ormolu migrate status | history    what is applied / the revisions
    ormolu migrate sql [REV]           the SQL script, without touching the database
    ormolu migrate merge               join two heads

Exit status: 0 on success, 1 when ``check`` finds differences, 2 on an error (printed
as ``error: ...`` on standard error, never with a traceback or a password).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import click

from ..exceptions import OrmoluError
from ..migrations.config import Config, load_config


def _fail(exc: BaseException) -> NoReturn:
    click.echo(f"error: {exc}", err=True)
    sys.exit(2)


def _config(ctx: click.Context) -> Config:
    obj = ctx.find_root().obj or {}
    try:
        return load_config(obj.get("url"), obj.get("models"), obj.get("migrations"))
    except OrmoluError as exc:
        _fail(exc)


def _guard(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Report ormolu's errors as ``error: ...`` with exit status 2."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except OrmoluError as exc:
            _fail(exc)

    return wrapper


@click.group()
@click.option("--url", help="Database URL (default: $ORMOLU_URL or [tool.ormolu] url).")
@click.option("--models", help="Models module (default: $ORMOLU_MODELS or [tool.ormolu] models).")
@click.option(
    "--migrations", help="Migrations folder (default: $ORMOLU_MIGRATIONS or [tool.ormolu])."
)
@click.version_option(package_name="ormolu")
@click.pass_context
def cli(ctx: click.Context, url: str | None, models: str | None, migrations: str | None) -> None:
    """ormolu: inspect a database, check it against the models, migrate it."""
    ctx.obj = {"url": url, "models": models, "migrations": migrations}


# -- inspect / check / shell ---------------------------------------------------------------
@cli.command()
@click.argument("url", required=False)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to FILE.")
@click.option("--table", "tables", multiple=True, help="Only this table (repeatable).")
@click.pass_context
@_guard
def inspect(
    ctx: click.Context, url: str | None, output: str | None, tables: tuple[str, ...]
) -> None:
    """Write typed model code for the database at URL."""
    from .inspect import write_models

    cfg = _config(ctx)
    if url:
        cfg.url = url
    db = cfg.database()
    try:
        with db.session() as s:
            state = s.run(db.dialect.reflector().reflect(list(tables) or None))
    finally:
        db.dispose()
    if tables:
        missing = sorted(set(tables) - set(state.table_names))
        if missing:
            raise OrmoluError(f"no table {', '.join(missing)} in {db.url}")
    code = write_models(state, db.dialect, str(db.url))
    if output:
        Path(output).write_text(code, encoding="utf-8")
        click.echo(f"wrote {len(state.tables)} models to {output}", err=True)
    else:
        click.echo(code, nl=False)


def _migrator(cfg: Config, echo: bool = True) -> Any:
    from ..migrations.runner import Migrator

    return Migrator(
        cfg.database(),
        cfg.migrations,
        echo=(lambda line: click.echo(line)) if echo else None,
        progress=_progress_bar,
    )


def _progress_bar(label: str) -> Callable[[int, int], None]:
    state: dict[str, Any] = {}

    def update(done: int, total: int) -> None:
        if not sys.stderr.isatty():  # (click's bar would print its label, unterminated)
            if done >= total:
                click.echo(f"{label}: {done} rows copied", err=True)
            return
        bar = state.get("bar")
        if bar is None:
            bar = state["bar"] = click.progressbar(
                length=max(total, 1), label=label, file=sys.stderr, show_pos=True
            )
            bar.__enter__()
        bar.update(done - state.get("done", 0))
        state["done"] = done
        if done >= total:
            bar.__exit__(None, None, None)

    return update


@cli.command()
@click.pass_context
@_guard
def check(ctx: click.Context) -> None:
    """Exit 1 and list the differences when the database does not match the models."""
    from ..migrations.make import check as check_

    cfg = _config(ctx)
    m = _migrator(cfg, echo=False)
    diffs = check_(m, cfg.model_tables())
    m.db.dispose()
    if diffs:
        click.echo(f"the database differs from the models ({len(diffs)}):")
        for line in diffs:
            click.echo(f"  {line}")
        sys.exit(1)
    click.echo("the database matches the models")


@cli.command()
@click.pass_context
@_guard
def shell(ctx: click.Context) -> None:
    """An interactive Python shell with the models imported and a session ``s`` open."""
    import code

    cfg = _config(ctx)
    db = cfg.database()
    namespace: dict[str, Any] = {"db": db}
    if cfg.models:
        for cls in cfg.model_classes():
            namespace[cls.__name__] = cls
    with db.session() as s:
        namespace["s"] = s
        names = ", ".join(sorted(k for k in namespace if k not in ("db", "s")))
        banner = (
            f"ormolu shell on {db.url}\n"
            f"db: the Database; s: an open session (committed on exit)\nmodels: {names or '-'}"
        )
        code.interact(banner=banner, local=namespace, exitmsg="")
    db.dispose()


# -- migrate -------------------------------------------------------------------------------
@cli.group()
def migrate() -> None:
    """Write and apply migrations."""


@migrate.command()
@click.pass_context
@_guard
def init(ctx: click.Context) -> None:
    """Create the migrations folder."""
    from ..migrations.make import init_folder

    cfg = _config(ctx)
    if init_folder(cfg.migrations):
        click.echo(f"created {cfg.migrations}")
    else:
        click.echo(f"{cfg.migrations} exists already")


@migrate.command()
@click.option("-m", "--message", required=True, help="What the migration does.")
@click.option(
    "--rename",
    "renames",
    multiple=True,
    help="Confirm a rename: old:new (a table), table.old:new (a column) or "
    "table.column.old:new (a value of an enum column).",
)
@click.option("--no-rename", "declined", multiple=True, help="Decline a rename (drop and add).")
@click.option("--allow-destructive", is_flag=True, help="Allow operations that lose data.")
@click.option("--offline", is_flag=True, help="Compare with the migrations, not the database.")
@click.pass_context
@_guard
def make(
    ctx: click.Context,
    message: str,
    renames: tuple[str, ...],
    declined: tuple[str, ...],
    allow_destructive: bool,
    offline: bool,
) -> None:
    """Write a migration from the differences between the models and the database."""
    from ..migrations.autodetect import describe_candidate
    from ..migrations.make import make_migration

    cfg = _config(ctx)
    m = _migrator(cfg, echo=False)
    interactive = sys.stdin.isatty()

    def confirm(candidate: str) -> bool:
        return click.confirm(describe_candidate(candidate) + "?", default=True)

    try:
        path, ops = make_migration(
            m, cfg.model_tables(), message, renames=renames, declined=declined,
            allow_destructive=allow_destructive, offline=offline,
            confirm=confirm if interactive else None,
        )  # fmt: skip
    finally:
        m.db.dispose()
    if path is None:
        click.echo("no changes")
        return
    click.echo(f"wrote {path}")
    for op in ops:
        mark = "  (destructive)" if op.destructive else ""
        click.echo(f"  {op.describe()}{mark}")


@migrate.command()
@click.argument("revision", required=False)
@click.pass_context
@_guard
def up(ctx: click.Context, revision: str | None) -> None:
    """Apply the migrations up to REVISION (default: the head)."""
    m = _migrator(_config(ctx))
    try:
        done = m.upgrade(revision)
    finally:
        m.db.dispose()
    click.echo(f"applied {len(done)} migration(s)" if done else "already up to date")


@migrate.command()
@click.argument("revision", required=False)
@click.pass_context
@_guard
def down(ctx: click.Context, revision: str | None) -> None:
    """Revert the migrations after REVISION (default: the last applied; base: all)."""
    m = _migrator(_config(ctx))
    try:
        done = m.downgrade(revision)
    finally:
        m.db.dispose()
    click.echo(f"reverted {len(done)} migration(s)" if done else "nothing to revert")


@migrate.command()
@click.pass_context
@_guard
def status(ctx: click.Context) -> None:
    """Which revisions are applied."""
    m = _migrator(_config(ctx), echo=False)
    try:
        rows = m.status()
        heads = m.graph().heads()
    finally:
        m.db.dispose()
    if not rows:
        click.echo("no migrations yet")
    for rev, rec in rows:
        if rec is None:
            mark = "pending"
        elif rec.state == "applied":
            mark = f"applied {rec.applied_at}"
        else:
            mark = f"{rec.state}: stopped after {rec.steps} of {rec.total} operations"
        click.echo(f"{rev.revision:<40} {mark}")
    if len(heads) > 1:
        click.echo(f"warning: {len(heads)} heads ({', '.join(heads)}): run `ormolu migrate merge`")


@migrate.command()
@click.pass_context
@_guard
def history(ctx: click.Context) -> None:
    """The revisions, oldest first, with what each follows."""
    from ..migrations.revisions import RevisionGraph

    cfg = _config(ctx)
    graph = RevisionGraph(cfg.migrations)
    heads = set(graph.heads())
    for rev in graph.order():
        r = graph.revisions[rev]
        after = ", ".join(r.down) or "base"
        head = " (head)" if rev in heads else ""
        click.echo(f"{after} -> {rev}{head}: {r.message}")


@migrate.command()
@click.argument("revision", required=False)
@click.option("--from", "start", help="Start after this revision (default: an empty database).")
@click.pass_context
@_guard
def sql(ctx: click.Context, revision: str | None, start: str | None) -> None:
    """Print the SQL script of the migrations (the database is not touched)."""
    from ..migrations.runner import Migrator

    cfg = _config(ctx)
    db = cfg.database()
    click.echo(Migrator(db, cfg.migrations).sql(revision, start=start), nl=False)


@migrate.command()
@click.option("-m", "--message", default="merge", help="What the merge joins.")
@click.pass_context
@_guard
def merge(ctx: click.Context, message: str) -> None:
    """Write a migration joining two heads."""
    from ..migrations.make import merge_heads

    cfg = _config(ctx)
    path = merge_heads(_offline_migrator(cfg), message)
    click.echo(f"wrote {path}")


def _offline_migrator(cfg: Config) -> Any:
    from ..migrations.runner import Migrator

    if cfg.url:
        return Migrator(cfg.database(), cfg.migrations)
    from ..engine import Database

    return Migrator(Database(), cfg.migrations)


def main() -> None:
    """The console script's entry point."""
    cli(prog_name="ormolu")
