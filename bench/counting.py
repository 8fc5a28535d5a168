"""Counting the SQL statements a contender sends, in a run of its own (never a timed one).

Two counters, both outside the contenders' code, so every contender is counted the same
way whatever its library does:

* **SQLite** — :class:`SqliteTrace` wraps ``sqlite3.connect`` in the worker process
  before the contender is imported, and installs ``Connection.set_trace_callback`` on every
  connection it opens (aiosqlite's too: it calls ``sqlite3.connect`` in its thread). SQLite
  calls the callback each time a statement starts running, so it sees the ``BEGIN`` and
  ``COMMIT`` that Python's ``sqlite3`` module issues by itself, and each row of an
  ``executemany`` as one execution.
* **PostgreSQL and MySQL/MariaDB** — :class:`WireCounter` is a TCP proxy on 127.0.0.1
  between the contender and the server (the contender is given the proxy's port). It reads
  the client's side of the wire protocol and counts what reaches the server: PostgreSQL's
  simple-query (``Q``) and extended-protocol ``Execute`` (``E``) messages (the SQL of an
  ``Execute`` is found through its ``Bind`` and ``Parse``), MySQL's ``COM_QUERY`` and
  ``COM_STMT_EXECUTE`` commands. A pipelined or batched ``executemany`` is therefore
  counted as the statements the server runs (psycopg 3 pipelines one ``Execute`` per
  row; PyMySQL rewrites an INSERT's rows into multi-row statements and sends other
  statements one by one). A PostgreSQL simple-query message may hold several statements
  separated by ``;`` (asyncpg's pool resets a connection it takes back with one such
  message of four); each counts (:func:`split_statements`). Neither server
  here offers TLS (``ssl=off``; ``have_ssl=DISABLED``), so the protocol is readable; a
  client that would insist on TLS could not be counted this way.

Each counted statement is filed under its first keyword (``SELECT``, ``INSERT``,
``BEGIN``, ...); :data:`TX_CONTROL` are the transaction-control ones.
"""

from __future__ import annotations

import re
import socket
import sqlite3
import struct
import threading
from collections import Counter
from typing import Any

TX_CONTROL = frozenset(
    {"BEGIN", "START", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "END", "XA"}
)
_DOLLAR = re.compile(r"\$[A-Za-z_]*\$")
_FIRST_WORD = re.compile(r"\s*(?:(?:--[^\n]*\n|/\*.*?\*/)\s*)*\(?\s*([A-Za-z]+)", re.S)


def split_statements(sql: str) -> list[str]:
    """The statements of a PostgreSQL simple-query string: split at each ``;`` outside
    quotes (``'...'``, ``E'...'`` with backslash escapes, ``"..."``, ``$tag$...$tag$``) and
    comments; empty statements dropped."""
    out, start, i, n = [], 0, 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch == "'":
            escapes = i > 0 and sql[i - 1] in "eE"
            i += 1
            while i < n:
                if escapes and sql[i] == "\\":
                    i += 2
                    continue
                if sql[i] == "'":
                    if i + 1 < n and sql[i + 1] == "'":
                        i += 2
                        continue
                    break
                i += 1
        elif ch == '"':
            end = sql.find('"', i + 1)
            i = n if end < 0 else end
        elif ch == "-" and sql.startswith("--", i):
            end = sql.find("\n", i)
            i = n if end < 0 else end
        elif ch == "/" and sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            i = n if end < 0 else end + 1
        elif ch == "$":
            m = _DOLLAR.match(sql, i)
            if m:
                end = sql.find(m.group(0), m.end())
                i = n if end < 0 else end + len(m.group(0)) - 1
        elif ch == ";":
            out.append(sql[start:i])
            start = i + 1
        i += 1
    out.append(sql[start:])
    return [part for part in out if part.strip()]


def verb(sql: str) -> str:
    """The statement's first keyword, upper case (``"?"`` when there is none)."""
    m = _FIRST_WORD.match(sql)
    return m.group(1).upper() if m else "?"


class Tally:
    """A thread-safe count of statements by first keyword."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    def add(self, sql: str) -> None:
        """Count one statement."""
        key = verb(sql)
        with self._lock:
            self._counts[key] += 1

    def snapshot(self) -> Counter[str]:
        """A copy of the counts so far."""
        with self._lock:
            return Counter(self._counts)


def difference(after: Counter[str], before: Counter[str]) -> dict[str, Any]:
    """The statements counted between two snapshots: ``{"total": n, "by_verb": {...}}``."""
    by_verb = {k: after[k] - before.get(k, 0) for k in sorted(after)}
    by_verb = {k: v for k, v in by_verb.items() if v}
    return {"total": sum(by_verb.values()), "by_verb": by_verb}


# -- SQLite --------------------------------------------------------------------------------
class SqliteTrace:
    """Count every statement of every ``sqlite3`` connection opened from now on."""

    def __init__(self) -> None:
        self.tally = Tally()
        self._original = sqlite3.connect

    def install(self) -> None:
        """Wrap ``sqlite3.connect`` (the same function as ``sqlite3.dbapi2.connect``,
        which Django calls) so each new connection gets the trace callback."""
        original, tally = self._original, self.tally

        def connect(*args: Any, **kwargs: Any) -> Any:
            conn = original(*args, **kwargs)
            conn.set_trace_callback(tally.add)
            return conn

        sqlite3.connect = connect  # type: ignore[assignment]
        sqlite3.dbapi2.connect = connect  # type: ignore[assignment]

    def uninstall(self) -> None:
        """Put ``sqlite3.connect`` back."""
        sqlite3.connect = self._original
        sqlite3.dbapi2.connect = self._original


# -- servers: a counting TCP proxy ------------------------------------------------------------
class _PgClientStream:
    """The client-to-server half of the PostgreSQL protocol (frontend messages)."""

    def __init__(self, tally: Tally) -> None:
        self.tally = tally
        self.buf = bytearray()
        self.started = False  # False until the StartupMessage (untyped messages before it)
        self.statements: dict[bytes, str] = {}  # prepared statement name -> SQL
        self.portals: dict[bytes, str] = {}  # portal name -> SQL

    def feed(self, data: bytes) -> None:
        buf = self.buf
        buf += data
        while True:
            if not self.started:
                if len(buf) < 8:
                    return
                (length,) = struct.unpack_from("!i", buf, 0)
                if len(buf) < length:
                    return
                (code,) = struct.unpack_from("!i", buf, 4)
                # SSLRequest, GSSENCRequest and CancelRequest come before (or instead of)
                # the StartupMessage, whose code is the protocol version 3.x.
                if code >> 16 == 3:
                    self.started = True
                del buf[:length]
                continue
            if len(buf) < 5:
                return
            kind = buf[0]
            (length,) = struct.unpack_from("!i", buf, 1)
            if len(buf) < 1 + length:
                return
            body = bytes(buf[5 : 1 + length])
            del buf[: 1 + length]
            self._message(kind, body)

    def _message(self, kind: int, body: bytes) -> None:
        if kind == ord("Q"):
            text = body.split(b"\0", 1)[0].decode("utf-8", "replace")
            for statement in split_statements(text) or [text]:
                self.tally.add(statement)
        elif kind == ord("P"):
            name, rest = body.split(b"\0", 1)
            self.statements[name] = rest.split(b"\0", 1)[0].decode("utf-8", "replace")
        elif kind == ord("B"):
            portal, rest = body.split(b"\0", 1)
            self.portals[portal] = self.statements.get(rest.split(b"\0", 1)[0], "?")
        elif kind == ord("E"):
            self.tally.add(self.portals.get(body.split(b"\0", 1)[0], "?"))


class _MySqlClientStream:
    """The client-to-server half of the MySQL protocol: command packets (sequence 0)."""

    COM_QUERY = 0x03
    COM_STMT_EXECUTE = 0x17

    def __init__(self, tally: Tally) -> None:
        self.tally = tally
        self.buf = bytearray()

    def feed(self, data: bytes) -> None:
        buf = self.buf
        buf += data
        while len(buf) >= 4:
            length = buf[0] | buf[1] << 8 | buf[2] << 16
            if len(buf) < 4 + length:
                return
            seq = buf[3]
            payload = bytes(buf[4 : 4 + length])
            del buf[: 4 + length]
            # Sequence 0 starts a command; the handshake reply and authentication packets
            # have other numbers, and so do the continuations of a packet over 16 MiB.
            if seq != 0 or not payload:
                continue
            if payload[0] == self.COM_QUERY:
                self.tally.add(payload[1:].decode("utf-8", "replace"))
            elif payload[0] == self.COM_STMT_EXECUTE:
                self.tally.add("EXECUTE")


class WireCounter:
    """A TCP proxy on 127.0.0.1 counting the statements clients send to ``host:port``.

    ``start()`` returns the proxy's port; every accepted connection is relayed to the
    server by two threads (one per direction), the client side parsed on the way.
    """

    def __init__(self, kind: str, host: str, port: int) -> None:
        if kind not in ("postgresql", "mysql"):
            raise ValueError(f"no wire protocol parser for {kind!r}")
        self.kind, self.host, self.port = kind, host, port
        self.tally = Tally()
        self.connections = 0
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._stopped = threading.Event()

    def start(self) -> int:
        """Listen on a free local port and serve in a daemon thread; return the port."""
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        threading.Thread(target=self._accept, daemon=True, name="wire-counter").start()
        return int(self._listener.getsockname()[1])

    def stop(self) -> None:
        """Stop accepting connections (relays of open connections end with them)."""
        self._stopped.set()
        self._listener.close()

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection((self.host, self.port))
            except OSError:
                client.close()
                continue
            for s in (client, server):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.connections += 1
            parser = (_PgClientStream if self.kind == "postgresql" else _MySqlClientStream)(
                self.tally
            )
            threading.Thread(target=_relay, args=(client, server, parser), daemon=True).start()
            threading.Thread(target=_relay, args=(server, client, None), daemon=True).start()


def _relay(src: socket.socket, dst: socket.socket, parser: Any) -> None:
    """Copy ``src`` to ``dst`` until either closes; feed ``parser`` before forwarding,
    so a statement is counted before the server (and so the client) can answer it."""
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            if parser is not None:
                parser.feed(data)
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()
