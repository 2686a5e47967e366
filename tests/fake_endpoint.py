"""Helpers other tests import: the fake Mistral server and an "attacker" that counts bytes.

The attacker is a plain TCP listener on loopback. Every boundary test points something at it
(a redirect, a proxy variable, a workspace setting) and then proves it received zero bytes.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from fixtures.fake_mistral import FakeMistral, Recorded, Reply

__all__ = [
    "Attacker",
    "ConnectProxy",
    "FakeMistral",
    "Recorded",
    "Reply",
    "fake_mistral",
    "patched_env",
]


class Attacker:
    """A loopback TCP listener that accepts everything and counts every byte it receives.

    It never answers: a client that reached it would hang or fail, and `bytes_received` /
    `connections` prove whether anything got here.
    """

    def __init__(self, host: str = "127.0.0.1") -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, 0))
        self._sock.listen(64)
        self._sock.settimeout(0.05)
        self.host = host
        self.port = int(self._sock.getsockname()[1])
        self._lock = threading.Lock()
        self._bytes = 0
        self._connections = 0
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def https_url(self) -> str:
        return f"https://{self.host}:{self.port}"

    @property
    def bytes_received(self) -> int:
        with self._lock:
            return self._bytes

    @property
    def connections(self) -> int:
        with self._lock:
            return self._connections

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self._connections += 1
            t = threading.Thread(target=self._drain, args=(conn,), daemon=True)
            t.start()
            self._threads.append(t)

    def _drain(self, conn: socket.socket) -> None:
        conn.settimeout(0.05)
        with conn:
            while not self._stop.is_set():
                try:
                    data = conn.recv(65536)
                except TimeoutError:
                    continue
                except OSError:
                    return
                if not data:
                    return
                with self._lock:
                    self._bytes += len(data)

    def start(self) -> Attacker:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._sock.close()
        self._thread.join(timeout=2)
        for t in self._threads:
            t.join(timeout=2)

    def settle(self, seconds: float = 0.1) -> None:
        """Give in-flight bytes a moment to arrive before asserting on the counters."""
        time.sleep(seconds)

    def __enter__(self) -> Attacker:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextlib.contextmanager
def fake_mistral(tls: object = None, **kwargs: object) -> Iterator[FakeMistral]:
    """Start a FakeMistral on a free loopback port for the duration of a `with` block."""
    fake = FakeMistral(tls=tls, **kwargs)  # type: ignore[arg-type]
    with fake:
        yield fake


@contextlib.contextmanager
def patched_env(**values: str | None) -> Iterator[None]:
    """Set (or, with None, remove) environment variables, restoring them afterwards."""
    saved = {k: os.environ.get(k) for k in values}
    try:
        for k, v in values.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


TEST_KEY = "tk-0123456789abcdefTESTKEYvalue42"
_SCRATCH: list[Path] = []


def _scratch_dir() -> Path:
    if not _SCRATCH:
        import atexit
        import shutil
        import tempfile

        path = Path(tempfile.mkdtemp(prefix="mistral-lsp-tests-"))
        atexit.register(shutil.rmtree, path, True)
        _SCRATCH.append(path)
    return _SCRATCH[0]


def make_settings(
    url: str,
    *,
    audit_path: str = "",
    api: str = "mistral",
    ca_bundle: str = "",
    secrets: str = "redact",
    privacy_exclude: tuple[str, ...] = (),
    policy: object = None,
    timeout_ms: int = 10000,
    proxy: str = "",
):  # noqa: ANN201 - a lsp_server.config.settings.Settings
    """Settings for a custom endpoint at `url` (the fake server), everything else default.

    Without `audit_path` the audit log goes to a per-process temporary directory, never to
    the real user log directory.
    """
    if not audit_path:
        audit_path = str(_scratch_dir() / "audit.jsonl")
    from lsp_server.config.settings import (
        EndpointSettings,
        PolicySettings,
        PrivacySettings,
        Settings,
    )

    return Settings(
        endpoint=EndpointSettings(
            preset="custom",
            url=url,
            api=api,  # type: ignore[arg-type]
            ca_bundle=ca_bundle,
            timeout_ms=timeout_ms,
            proxy=proxy,
        ),
        privacy=PrivacySettings(
            exclude=privacy_exclude,
            secrets=secrets,  # type: ignore[arg-type]
            audit_path=audit_path,
        ),
        policy=policy if policy is not None else PolicySettings(),  # type: ignore[arg-type]
    )


class ConnectProxy:
    """A minimal HTTP CONNECT proxy on loopback that counts the tunnels it opened.

    Proves `endpoint.proxy` is used (and is the only proxy used).
    """

    def __init__(self) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self._sock.settimeout(0.05)
        self.port = int(self._sock.getsockname()[1])
        self.tunnels: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._tunnel, args=(conn,), daemon=True).start()

    def _tunnel(self, conn: socket.socket) -> None:
        with conn:
            head = b""
            while b"\r\n\r\n" not in head:
                data = conn.recv(4096)
                if not data:
                    return
                head += data
            line = head.split(b"\r\n", 1)[0].decode()
            method, target, _ = line.split(" ", 2)
            if method != "CONNECT":
                conn.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
                return
            host, port = target.rsplit(":", 1)
            self.tunnels.append(target)
            with socket.create_connection((host, int(port))) as upstream:
                conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                self._pipe(conn, upstream)

    def _pipe(self, a: socket.socket, b: socket.socket) -> None:
        import selectors

        sel = selectors.DefaultSelector()
        sel.register(a, selectors.EVENT_READ, b)
        sel.register(b, selectors.EVENT_READ, a)
        while not self._stop.is_set():
            for key, _ in sel.select(timeout=0.05):
                try:
                    data = key.fileobj.recv(65536)  # type: ignore[union-attr]
                except OSError:
                    return
                if not data:
                    return
                key.data.sendall(data)

    def __enter__(self) -> ConnectProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._sock.close()
        self._thread.join(timeout=2)
