"""PostgreSQL dialect (https://www.postgresql.org/docs/current/sql.html)."""

from .dialect import PostgreSQLDialect

__all__ = ["PostgreSQLDialect"]
