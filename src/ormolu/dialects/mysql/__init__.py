"""MySQL and MariaDB dialect (https://mariadb.com/kb/en/sql-statements/)."""

from .dialect import MySQLDialect

__all__ = ["MySQLDialect"]
