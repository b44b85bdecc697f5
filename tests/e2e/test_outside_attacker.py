"""What an outside attacker could do to a live server (issue 10): real uvicorn, raw sockets."""

from __future__ import annotations

import json
import socket
import time
from urllib.parse import urlparse

import pytest


def _connect(server) -> socket.socket:  # type: ignore[no-untyped-def]
    url = urlparse(server.url)
    sock = socket.create_connection((url.hostname, url.port), timeout=10)
    return sock


def _read_response(sock: socket.socket, deadline_s: float = 10) -> tuple[int, bytes]:
    """Status and whatever of the body arrived, reading until the server closes or is done."""
    sock.settimeout(deadline_s)
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        while len(rest) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            rest += chunk
    except TimeoutError:
        pytest.fail(f"no answer within {deadline_s} s (got {data[:200]!r})")
    status = int(head.split(b" ")[1]) if head else 0
    return status, rest


def test_a_300_mb_body_is_refused_before_it_is_read(live_server) -> None:
    # Only a few bytes of the declared 300 MB are ever sent: a server that reads the whole body
    # before checking its size waits for the rest and never answers.
    for path in ("/api/v1/auth/token", "/api/v1/lots", "/login", "/api/v1/planning/siting"):
        with _connect(live_server) as sock:
            sock.sendall(
                f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                f"Content-Length: {300_000_000}\r\n\r\n".encode()
                + b'{"username": "'
            )
            started = time.monotonic()
            status, body = _read_response(sock, deadline_s=5)
        assert status == 413, (path, status, body)
        assert time.monotonic() - started < 5
        if path.startswith("/api/"):
            error = json.loads(body)["error"]
            assert error["code"] == "too_large" and error["field"] == "body"
            assert "300,000,000 bytes, at most" in error["message"]


def test_a_streamed_body_is_cut_off_at_the_limit(live_server) -> None:
    # chunked, no Content-Length: 1.5 MB sent and the body never finished; the server must stop
    # at 1 MB and answer rather than wait for (and hold) the rest
    with _connect(live_server) as sock:
        sock.sendall(
            b"POST /api/v1/auth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        piece = b"x" * 65536
        try:
            for _ in range(24):
                sock.sendall(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed before the last pieces: what it should do
        status, body = _read_response(sock, deadline_s=5)
    assert status == 413
    assert json.loads(body)["error"]["message"] == (
        "body: more than 1,000,000 bytes, at most 1,000,000 allowed"
    )


def test_an_upload_route_keeps_its_own_larger_limit(live_server) -> None:
    # a 2 MB siting request is within the siting route's limit (zones may be large): not 413
    token = live_server.token("regulator-demo")
    with live_server.client(token) as client:
        r = client.post(
            "/api/v1/planning/siting",
            content=b'{"material": "phosphogypsum", "pad": "' + b"x" * 2_000_000 + b'"}',
            headers={"content-type": "application/json"},
        )
    assert r.status_code == 422, r.text
