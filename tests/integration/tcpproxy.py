"""A TCP proxy on 127.0.0.1 that can cut the link right after forwarding a statement.

For tests of what a client sees when its connection dies at the worst moment: the proxy
forwards bytes both ways between one client and the database server, and once a chunk
from the client contains ``cut_after`` (e.g. ``b"COMMIT"``) it forwards that chunk, then
closes both sides at once, so the server receives the statement but its answer never
reaches the client. Wire-protocol agnostic: PostgreSQL and MySQL both send a statement's
text as-is inside their query messages.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator


class TCPProxy:
    """``with TCPProxy(host, port, cut_after=b"COMMIT") as proxy:`` listens on
    ``proxy.port``; ``proxy.cut`` is set once it has cut a link."""

    def __init__(self, host: str, port: int, cut_after: bytes | None = None) -> None:
        self.target = (host, port)
        self.cut_after = cut_after
        self.cut = threading.Event()
        self.armed = threading.Event()  # the cut happens only once armed
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._threads: list[threading.Thread] = []
        self._sockets: list[socket.socket] = []
        self._closed = False

    def __enter__(self) -> TCPProxy:
        accept = threading.Thread(target=self._accept, daemon=True)
        accept.start()
        self._threads.append(accept)
        return self

    def __exit__(self, *exc: object) -> None:
        self._closed = True
        with contextlib.suppress(OSError):
            self._listener.close()
        for s in self._sockets:
            # (shutdown first: close alone does not wake a pump blocked in recv, and the
            # server would keep the session, and its locks, open)
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                s.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self._sockets += [client, upstream]
            for src, dst, watch in ((client, upstream, True), (upstream, client, False)):
                t = threading.Thread(target=self._pump, args=(src, dst, watch, client, upstream))
                t.daemon = True
                t.start()
                self._threads.append(t)

    def _pump(
        self, src: socket.socket, dst: socket.socket, watch: bool, *pair: socket.socket
    ) -> None:
        try:
            while True:
                chunk = src.recv(65536)
                if not chunk or (not watch and self.cut.is_set()):
                    break  # (after the cut, the server's answer is dropped)
                cutting = (
                    watch
                    and self.cut_after is not None
                    and self.armed.is_set()
                    and self.cut_after in chunk
                )
                if cutting:
                    self.cut.set()  # before forwarding: the answer must not slip through
                dst.sendall(chunk)
                if cutting:
                    for s in pair:  # the answer will find no one to read it
                        with contextlib.suppress(OSError):
                            s.shutdown(socket.SHUT_RDWR)
                        with contextlib.suppress(OSError):
                            s.close()
                    return
        except OSError:
            pass
        finally:
            for s in pair:
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)


@contextlib.contextmanager
def proxied(url: str, cut_after: bytes | None = None) -> Iterator[tuple[str, TCPProxy]]:
    """``url`` (a server database URL) rewritten to go through a new proxy."""
    from ormolu.url import parse_url

    u = parse_url(url)
    assert u.host is not None and u.port is not None
    with TCPProxy(u.host, u.port, cut_after) as proxy:
        yield url.replace(f"{u.host}:{u.port}", f"127.0.0.1:{proxy.port}", 1), proxy
