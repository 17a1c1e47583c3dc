"""``convplan serve`` as a real server process: stalled and oversized clients, shutdown.

Raw sockets, because an HTTP client library never sends half a request head.
Every wait is bounded by a socket or process timeout far above the setting
under test, so a dropped connection shows as an answer, a hang as a failure.
"""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.client.client_helpers import free_port, start_server, stop_server

HEAD = b"POST /v1/shapes HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def _connect(port: int, timeout: float = 20.0) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    sock.settimeout(timeout)
    return sock


def _read_until_closed(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes (socket.timeout if it never does)."""
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


@pytest.fixture(scope="module")
def guarded_server() -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    port = free_port()
    process = start_server(
        port,
        settings={
            "CONVPLAN_REQUEST_TIMEOUT_SECONDS": "3",
            "CONVPLAN_KEEP_ALIVE_TIMEOUT_SECONDS": "1",
            "CONVPLAN_SYMBOLIC_WORKERS": "1",
        },
    )
    try:
        yield port, process
    finally:
        stop_server(process)


class TestStalledClients:
    @pytest.mark.parametrize(
        "sent",
        [
            b"",  # connects, says nothing
            b"POST /v1/sha",  # half a request line
            HEAD,  # a head that never ends
        ],
        ids=["nothing", "half-request-line", "unfinished-head"],
    )
    def test_unfinished_head_is_answered_408_and_dropped(
        self, guarded_server: tuple[int, subprocess.Popen[bytes]], sent: bytes
    ) -> None:
        port, _ = guarded_server
        with _connect(port) as sock:
            sock.sendall(sent)
            answer = _read_until_closed(sock)
        assert answer.startswith(b"HTTP/1.1 408 ")
        assert b"application/problem+json" in answer

    def test_unfinished_body_is_dropped(self, guarded_server: tuple[int, subprocess.Popen[bytes]]) -> None:
        port, _ = guarded_server
        with _connect(port) as sock:
            sock.sendall(HEAD + b"Content-Length: 100\r\n\r\n" + b'{"input_size": ')
            assert _read_until_closed(sock) == b""  # the app had the head: closed, no answer

    def test_many_stalled_connections_are_all_dropped(
        self, guarded_server: tuple[int, subprocess.Popen[bytes]]
    ) -> None:
        port, _ = guarded_server
        sockets = [_connect(port) for _ in range(50)]
        try:
            for sock in sockets:
                sock.sendall(b"GET /v1/health HTTP/1.1\r\nHo")
            for sock in sockets:
                assert _read_until_closed(sock).startswith(b"HTTP/1.1 408 ")
        finally:
            for sock in sockets:
                sock.close()

    def test_a_complete_request_still_works(self, guarded_server: tuple[int, subprocess.Popen[bytes]]) -> None:
        port, _ = guarded_server
        with _connect(port) as sock:
            sock.sendall(b"GET /v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            assert _read_until_closed(sock).startswith(b"HTTP/1.1 200 ")


    def test_idle_keep_alive_connection_is_closed(self, guarded_server: tuple[int, subprocess.Popen[bytes]]) -> None:
        port, _ = guarded_server
        with _connect(port, timeout=4.0) as sock:  # the default keep-alive (5 s) would time this out
            sock.sendall(b"GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
            assert _read_until_closed(sock).startswith(b"HTTP/1.1 200 ")


class TestOversizedHead:
    def test_100_mb_header_is_refused_without_memory_growth(
        self, guarded_server: tuple[int, subprocess.Popen[bytes]]
    ) -> None:
        port, process = guarded_server
        # Built before connecting: on a loaded machine that alone can outlast the request timeout.
        header = b"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 100_000_000 + b"\r\n\r\n"
        before = _rss_mb(process.pid)
        with _connect(port) as sock:

            def send() -> None:
                with contextlib.suppress(OSError):  # the server closed after its drain: fine
                    sock.sendall(header)

            sender = threading.Thread(target=send)
            sender.start()
            answer = sock.recv(65536)
            sender.join(timeout=60)
        assert answer.startswith(b"HTTP/1.1 431 ")
        assert _rss_mb(process.pid) - before < 30  # was +97 MB, kept

    def test_header_under_the_limit_is_served(self, guarded_server: tuple[int, subprocess.Popen[bytes]]) -> None:
        port, _ = guarded_server
        with _connect(port) as sock:
            fine = b"X-Fine: " + b"a" * 20_000
            sock.sendall(b"GET /v1/health HTTP/1.1\r\nHost: x\r\n" + fine + b"\r\nConnection: close\r\n\r\n")
            assert _read_until_closed(sock).startswith(b"HTTP/1.1 200 ")


class TestConnectionCap:
    def test_requests_over_the_connection_cap_get_503(self) -> None:
        port = free_port()
        process = start_server(
            port,
            settings={
                "CONVPLAN_MAX_CONNECTIONS": "3",
                "CONVPLAN_REQUEST_TIMEOUT_SECONDS": "600",
                "CONVPLAN_SYMBOLIC_WORKERS": "1",
            },
        )
        idle = [_connect(port) for _ in range(3)]
        try:
            with _connect(port) as sock:
                sock.sendall(b"GET /v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                assert _read_until_closed(sock).startswith(b"HTTP/1.1 503 ")
            for sock in idle:
                sock.close()
            idle = []
            answers = []
            for _ in range(50):  # the server notices the closed connections soon, not at once
                with _connect(port) as sock:
                    sock.sendall(b"GET /v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    answers.append(_read_until_closed(sock)[:12])
                if answers[-1] == b"HTTP/1.1 200":
                    break
                time.sleep(0.1)
            assert answers[-1] == b"HTTP/1.1 200"
        finally:
            for sock in idle:
                sock.close()
            stop_server(process)


class TestShutdown:
    def test_sigterm_drains_within_the_grace_period_despite_stalled_clients(self) -> None:
        port = free_port()
        process = start_server(
            port,
            settings={
                "CONVPLAN_REQUEST_TIMEOUT_SECONDS": "600",  # only the grace period can end these
                "CONVPLAN_SHUTDOWN_GRACE_SECONDS": "1",
                "CONVPLAN_SYMBOLIC_WORKERS": "1",
            },
        )
        stalled_body, stalled_head = _connect(port), _connect(port)
        try:
            stalled_body.sendall(HEAD + b"Content-Length: 100\r\n\r\n{")
            stalled_head.sendall(b"GET /v1/health HTTP/1.1\r\nHo")
            process.send_signal(signal.SIGTERM)
            # Generous for a loaded machine; without a grace period the server never exits.
            assert process.wait(timeout=30) in (0, -signal.SIGTERM)  # uvicorn re-raises the signal
        finally:
            stalled_body.close()
            stalled_head.close()
            stop_server(process)
