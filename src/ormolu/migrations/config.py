"""Configuration of the ``ormolu`` command: the database URL, the models module and the
migrations folder.

Each setting comes from the first of: a command-line flag (``--url``, ``--models``,
``--migrations``), an environment variable (``ORMOLU_URL``, ``ORMOLU_MODELS``,
``ORMOLU_MIGRATIONS``), or the ``[tool.ormolu]`` table of the nearest ``pyproject.toml``
(searched from the working directory upwards)::

    [tool.ormolu]
    url = "sqlite:///app.db"
    models = "app.models"          # a module (or several, comma-separated)
    migrations = "migrations/"     # relative to pyproject.toml (default: migrations/)
"""

from __future__ import annotations

import importlib
import os
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .revisions import MigrationError

if TYPE_CHECKING:
    from ..engine import Database
    from ..schema.table import Table


@dataclass
class Config:
    """Resolved settings; ``source`` says where the URL came from (for messages)."""

    url: str | None
    models: str | None
    migrations: Path
    root: Path
    source: str = ""

    def database(self) -> Database:
        """The database of ``url``; MigrationError when none is configured, and the
        URL's own ConfigurationError when it is malformed or names no backend."""
        from ..engine import Database

        if not self.url:
            raise MigrationError(
                'no database URL: pass --url, set ORMOLU_URL, or add url = "..." to '
                "[tool.ormolu] in pyproject.toml"
            )
        return Database(self.url)

    def model_classes(self) -> list[Any]:
        """The model classes of the models module(s), in definition order."""
        from ..orm.registry import all_mappers

        if not self.models:
            raise MigrationError(
                "no models module: pass --models, set ORMOLU_MODELS, or add "
                'models = "package.module" to [tool.ormolu] in pyproject.toml'
            )
        for path in (str(self.root), os.getcwd()):
            if path not in sys.path:
                sys.path.insert(0, path)
        names = [n.strip() for n in self.models.split(",") if n.strip()]
        modules = []
        for name in names:
            try:
                modules.append(importlib.import_module(name))
            except Exception as exc:
                raise MigrationError(
                    f"cannot import the models module {name!r}: {type(exc).__name__}: {exc}"
                ) from exc
        found = []
        for m in all_mappers():
            mod = m.cls.__module__
            if any(mod == n or mod.startswith(n + ".") for n in names):
                found.append(m.cls)
        for module in modules:
            for value in vars(module).values():
                mapped = getattr(value, "__mapper__", None) is not None
                if mapped and isinstance(value, type) and value not in found:
                    found.append(value)
        if not found:
            raise MigrationError(f"the models module {self.models!r} defines no models")
        return found

    def model_tables(self) -> list[Table]:
        """The tables of the models (with automatic many-to-many tables), parents first."""
        from ..orm.registry import configure, secondary_tables
        from ..schema.table import sort_tables

        mappers = [c.__mapper__ for c in self.model_classes()]
        for m in mappers:
            configure(m)
        return sort_tables([m.table for m in mappers] + secondary_tables(mappers))


def _pyproject(start: Path) -> tuple[dict[str, Any], Path]:
    for folder in (start, *start.parents):
        path = folder / "pyproject.toml"
        if path.is_file():
            try:
                data = tomllib.loads(path.read_text(encoding="utf-8"))
            except tomllib.TOMLDecodeError as exc:
                raise MigrationError(f"{path} is not valid TOML: {exc}") from None
            return data.get("tool", {}).get("ormolu", {}), folder
    return {}, start


def load_config(
    url: str | None = None,
    models: str | None = None,
    migrations: str | None = None,
    cwd: Path | None = None,
) -> Config:
    """Resolve the settings (see the module docstring)."""
    here = (cwd or Path.cwd()).resolve()
    table, root = _pyproject(here)
    source = "--url"
    if url is None:
        url, source = os.environ.get("ORMOLU_URL"), "ORMOLU_URL"
    if url is None:
        url, source = table.get("url"), "[tool.ormolu] url"
    models = models or os.environ.get("ORMOLU_MODELS") or table.get("models")
    folder = migrations or os.environ.get("ORMOLU_MIGRATIONS")
    base = here
    if folder is None:
        folder, base = table.get("migrations", "migrations"), root
    path = Path(folder)
    if not path.is_absolute():
        path = base / path
    return Config(url, models, path, root, source)
