"""A TCP proxy on loopback that cuts connections at random points, to test sync under faults."""
from __future__ import annotations

import contextlib
import random
import socket
import threading


class CuttingProxy:
    """Forwards 127.0.0.1:<port> to ``upstream``; cuts a share of connections after a random
    number of bytes in either direction. ``cuts`` counts them."""

    def __init__(self, upstream_port: int, cut_share: float = 0.5, seed: int = 11, max_bytes: int = 400_000) -> None:
        self.upstream_port = upstream_port
        self.cut_share = cut_share
        self.rng = random.Random(seed)
        self.max_bytes = max_bytes
        self.cuts = 0
        self.enabled = True
        self.down = False  # the server is unreachable: connections close at once
        self._lock = threading.Lock()
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self._stop = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        self.sock.settimeout(0.2)
        while not self._stop.is_set():
            try:
                client, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        if self.down:
            client.close()
            return
        try:
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
        except OSError:
            client.close()
            return
        with self._lock:
            cut_after = self.rng.randint(1, self.max_bytes) if self.enabled and self.rng.random() < self.cut_share \
                else None
        budget = [cut_after]
        closed = threading.Event()

        def pump(src: socket.socket, dst: socket.socket) -> None:
            try:
                while not closed.is_set():
                    data = src.recv(16384)
                    if not data:
                        break
                    with self._lock:
                        if budget[0] is not None:
                            if len(data) >= budget[0]:
                                dst.sendall(data[:budget[0]])
                                self.cuts += 1
                                budget[0] = None
                                raise ConnectionAbortedError
                            budget[0] -= len(data)
                    dst.sendall(data)
            except OSError:
                pass
            finally:
                closed.set()
                for s in (src, dst):
                    with contextlib.suppress(OSError):
                        s.shutdown(socket.SHUT_RDWR)
                    s.close()

        threading.Thread(target=pump, args=(client, upstream), daemon=True).start()
        threading.Thread(target=pump, args=(upstream, client), daemon=True).start()

    def close(self) -> None:
        self._stop.set()
        self.sock.close()
