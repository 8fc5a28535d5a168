"""Database URLs: ``scheme://user:password@host:port/database?option=value``.

SQLite: ``sqlite://`` or ``sqlite:///:memory:`` (in memory), ``sqlite:///relative.db``,
``sqlite:////absolute/path.db``; SQLite's options (``?journal_mode=wal&busy_timeout=5000``)
are checked by :mod:`ormolu.drivers.sqlite_options`. Passwords are URL-decoded and never
shown by ``repr``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote, urlsplit

from .exceptions import ConfigurationError


@dataclass(frozen=True)
class URL:
    """A parsed database URL."""

    scheme: str
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    host: str | None = None
    port: int | None = None
    database: str | None = None
    # Not in repr: an option may hold a secret (``?ssl_key_password=...``).
    options: dict[str, str] = field(default_factory=dict, repr=False)

    def __str__(self) -> str:
        auth = ""
        if self.user:
            auth = self.user + (":***" if self.password else "") + "@"
        host = (self.host or "") + (f":{self.port}" if self.port else "")
        return f"{self.scheme}://{auth}{host}/{self.database or ''}"


def parse_url(url: str) -> URL:
    """Parse ``url``; raise ConfigurationError (without echoing any password) if malformed."""
    if "://" not in url:
        raise ConfigurationError("a database URL looks like 'sqlite:///file.db' or 'sqlite://'")
    scheme, rest = url.split("://", 1)
    scheme = scheme.lower()
    if scheme.partition("+")[0] == "sqlite":  # (also sqlite+aiosqlite://)
        path, _, query = rest.partition("?")
        if path.startswith("/"):
            path = path[1:]
        if path.startswith("file:"):  # an SQLite URI filename keeps its own query
            return URL(scheme, database=unquote(rest.lstrip("/")), options={})
        database = unquote(path) or ":memory:"
        return URL(scheme, database=database, options=dict(parse_qsl(query)))
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise ConfigurationError(f"malformed database URL for scheme {scheme!r}") from None
    return URL(
        scheme,
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        host=parts.hostname,
        port=port,
        database=unquote(parts.path.lstrip("/")) or None,
        options=dict(parse_qsl(parts.query)),
    )
