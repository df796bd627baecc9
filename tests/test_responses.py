"""Answers the sandbox never gives: the CLI against a loopback server with canned replies."""

from __future__ import annotations

import threading
import typing as t
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import run_tap


class Canned:
    """A loopback HTTP server that answers every GET with one fixed reply and counts them."""

    def __init__(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.hits: list[tuple[str, dict[str, str]]] = []
        canned = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                canned.hits.append((self.path, dict(self.headers)))
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: t.Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def canned() -> t.Iterator[t.Callable[..., Canned]]:
    servers: list[Canned] = []

    def start(status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> Canned:
        servers.append(Canned(status, body, headers))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def config(url: str) -> dict[str, t.Any]:
    return {"api_token": "tok-abc", "api_url": url, "rate_limit_requests": 0, "retry_max_tries": 3}


def test_400_stops_at_once_with_the_apis_message(canned, tmp_path: Path) -> None:
    server = canned(400, b'{"message": "per_page must be at most 250"}')
    run = run_tap(tmp_path, config(server.url))
    assert run.returncode == 1
    assert "HTTP 400 for /v2/customers/: per_page must be at most 250" in run.stderr
    assert len(server.hits) == 1


def test_403_is_a_rejected_token(canned, tmp_path: Path) -> None:
    server = canned(403, b'{"message": "Forbidden"}')
    run = run_tap(tmp_path, config(server.url))
    assert run.returncode == 1
    assert "ProfitWell rejected the API token (HTTP 403" in run.stderr
    assert len(server.hits) == 1


def test_a_redirect_is_never_followed_so_the_token_stays_home(canned, tmp_path: Path) -> None:
    elsewhere = canned(200, b"[]")
    server = canned(301, b"", {"Location": f"{elsewhere.url}/v2/customers/"})
    run = run_tap(tmp_path, config(server.url))
    assert run.returncode == 1
    assert "redirect" in run.stderr
    assert "check the api_url setting" in run.stderr
    assert elsewhere.hits == []


def test_requests_follow_the_documented_shape(canned, tmp_path: Path) -> None:
    server = canned(200, b"[]")
    run = run_tap(
        tmp_path,
        {
            **config(server.url),
            "start_date": "2024-01-02",
            "end_date": 1735689600,
            "email": "a@b.c",
        },
    )
    assert run.returncode == 0, run.stderr
    ((path, headers),) = server.hits
    assert headers["Authorization"] == "tok-abc"
    assert path == (
        "/v2/customers/?date_field=updated_on&direction=asc&per_page=250&page=1"
        "&start_date=2024-01-02T00%3A00%3A00.000000Z&end_date=2025-01-01T00%3A00%3A00.000000Z"
        "&email=a%40b.c"
    )
