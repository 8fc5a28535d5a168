"""SQLite dialect (https://sqlite.org/lang.html)."""

from .dialect import SQLiteDialect

__all__ = ["SQLiteDialect"]
