"""SQLite's URL options: the connection settings a ``sqlite://`` URL may carry.

``sqlite:///app.db?journal_mode=wal&busy_timeout=5000&synchronous=normal&begin=immediate``

Each option is checked when the :class:`~ormolu.Database` (or ``AsyncDatabase``) is made,
before any connection is opened: an unknown option, or a value the option does not take,
raises :class:`~ormolu.exceptions.URLOptionError` naming both. The settings are applied to
every new connection, by the sync (``sqlite3``) and the asyncio (aiosqlite) driver alike.

=================  =====================================================================
option             meaning
=================  =====================================================================
``journal_mode``   ``PRAGMA journal_mode``: ``delete`` (SQLite's default), ``truncate``,
                   ``persist``, ``memory``, ``wal`` or ``off``. ``wal`` lets readers go
                   on while one connection writes; an in-memory database takes only
                   ``memory`` or ``off`` (SQLite would answer anything else with
                   ``memory``, so asking for it is refused instead).
``busy_timeout``   How long a statement waits for a lock another connection holds before
                   failing with ``database is locked`` (LockNotAvailable): **milliseconds**,
                   a whole number, as ``PRAGMA busy_timeout`` defines it. The same setting
                   as the ``timeout`` option (seconds, as Python's ``sqlite3.connect``
                   takes it) and ``Database(timeout=...)``; give one of the two options.
``timeout``        The busy timeout in seconds (a number); default 5.
``synchronous``    ``PRAGMA synchronous``: ``off``, ``normal``, ``full`` (SQLite's
                   default) or ``extra``. ``normal`` with ``wal`` is durable against an
                   application crash, and loses at most the last transactions on a power
                   failure, never the database.
``foreign_keys``   ``on`` (ormolu's default) or ``off`` (SQLite's own default, for a legacy
                   database whose rows break its declared foreign keys).
``begin``          How the session begins its transactions: ``deferred`` (SQLite's and
                   ormolu's default: the first read takes a read lock, the first write the
                   write lock), ``immediate`` (the write lock at BEGIN, waiting up to the
                   busy timeout for it) or ``exclusive``. An explicit
                   ``session.begin(mode=...)`` overrides it.
=================  =====================================================================

Why ``begin=immediate`` for writers: a transaction that began DEFERRED and read first
must upgrade its lock to write; if another connection committed in between, SQLite cannot
wait (the reader's snapshot is stale) and fails at once with ``database is locked``, busy
timeout or not. A transaction that begins IMMEDIATE waits for the write lock up front,
within the busy timeout, and then cannot meet that failure (https://sqlite.org/lang_transaction.html,
https://sqlite.org/wal.html#sometimes_queries_return_sqlite_busy_in_wal_mode).

Sources: https://sqlite.org/pragma.html (``journal_mode``, ``busy_timeout`` — "sets a
busy handler that sleeps for a specified amount of time when a table is locked ... after
at least N milliseconds", ``synchronous``, ``foreign_keys``).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..exceptions import URLOptionError

# option -> {accepted spelling: the value SQLite is sent}
_CHOICES: dict[str, dict[str, str]] = {
    "journal_mode": {
        m: m.upper() for m in ("delete", "truncate", "persist", "memory", "wal", "off")
    },
    "synchronous": {
        **{m: m.upper() for m in ("off", "normal", "full", "extra")},
        "0": "OFF", "1": "NORMAL", "2": "FULL", "3": "EXTRA",
    },
    "foreign_keys": {
        "on": "ON", "1": "ON", "true": "ON", "yes": "ON",
        "off": "OFF", "0": "OFF", "false": "OFF", "no": "OFF",
    },
    "begin": {m: m.upper() for m in ("deferred", "immediate", "exclusive")},
}  # fmt: skip
OPTIONS = ("journal_mode", "busy_timeout", "timeout", "synchronous", "foreign_keys", "begin")


@dataclass(frozen=True)
class SQLiteOptions:
    """The checked options of one SQLite URL (``None``: not given, SQLite's or ormolu's
    default applies)."""

    journal_mode: str | None = None  # as sent: "WAL"
    busy_timeout: float | None = None  # seconds
    synchronous: str | None = None
    foreign_keys: str = "ON"
    begin: str | None = None  # "IMMEDIATE"

    def pragmas(self) -> list[str]:
        """The PRAGMA statements to run on each new connection (after ormolu's own,
        which turn foreign keys on). journal_mode comes first: ``synchronous``'s
        meaning depends on it."""
        statements = []
        if self.journal_mode is not None:
            statements.append(f"PRAGMA journal_mode = {self.journal_mode}")
        if self.synchronous is not None:
            statements.append(f"PRAGMA synchronous = {self.synchronous}")
        if self.foreign_keys == "OFF":
            statements.append("PRAGMA foreign_keys = OFF")
        return statements


def parse_options(options: dict[str, str], in_memory: bool) -> SQLiteOptions:
    """Check a SQLite URL's ``options`` (names as given; values case-insensitive).

    Raises URLOptionError (a ConfigurationError) naming the option and its value for an
    unknown option, a value it does not take, both ``timeout`` and ``busy_timeout``, or a
    ``journal_mode`` an in-memory database cannot have (``in_memory``).

    >>> parse_options({"journal_mode": "WAL", "busy_timeout": "2500"}, False).busy_timeout
    2.5
    """
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise URLOptionError(
            unknown[0], options[unknown[0]],
            f"unknown SQLite URL option(s) "
            f"{', '.join(f'{n!r} (given {options[n]!r})' for n in unknown)}; the options "
            f"are {', '.join(OPTIONS)} (see docs/backends.md), or use a 'file:' URI",
        )  # fmt: skip
    chosen: dict[str, str] = {}
    for name, choices in _CHOICES.items():
        if name in options:
            value = options[name]
            if value.lower() not in choices:
                raise URLOptionError(
                    name, value,
                    f"the SQLite URL option {name}={value!r} is not one of "
                    f"{', '.join(sorted({k for k in choices if not k.isdigit()}))}",
                )  # fmt: skip
            chosen[name] = choices[value.lower()]
    if in_memory and chosen.get("journal_mode", "MEMORY") not in ("MEMORY", "OFF"):
        value = options["journal_mode"]
        raise URLOptionError(
            "journal_mode", value,
            f"journal_mode={value!r} needs a database file: an in-memory database keeps "
            f"its journal in memory (journal_mode=memory or off)",
        )  # fmt: skip
    return SQLiteOptions(
        journal_mode=chosen.get("journal_mode"),
        busy_timeout=_busy_timeout(options),
        synchronous=chosen.get("synchronous"),
        foreign_keys=chosen.get("foreign_keys", "ON"),
        begin=chosen.get("begin"),
    )


def _busy_timeout(options: dict[str, str]) -> float | None:
    """The busy timeout in seconds from ``busy_timeout`` (ms) or ``timeout`` (s)."""
    if "timeout" in options and "busy_timeout" in options:
        raise URLOptionError(
            "busy_timeout", options["busy_timeout"],
            "give the SQLite busy timeout once: 'busy_timeout' (milliseconds) or 'timeout' "
            f"(seconds), not both (got timeout={options['timeout']!r})",
        )  # fmt: skip
    if "busy_timeout" in options:
        value = options["busy_timeout"]
        if not value.isdigit():  # (no sign, no fraction: PRAGMA busy_timeout takes an int)
            raise URLOptionError(
                "busy_timeout", value,
                f"the SQLite URL option 'busy_timeout' is a whole number of milliseconds, "
                f"not {value!r}",
            )  # fmt: skip
        return int(value) / 1000
    if "timeout" in options:
        value = options["timeout"]
        try:
            seconds = float(value)
        except ValueError:
            seconds = -1.0
        if not 0 <= seconds < float("inf"):  # (also NaN)
            raise URLOptionError(
                "timeout", value,
                f"the SQLite URL option 'timeout' must be a number of seconds, not {value!r}",
            )  # fmt: skip
        return seconds
    return None
