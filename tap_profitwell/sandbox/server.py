"""HTTP plumbing: a keep-alive threaded server that hands every request to ``Api``."""

from __future__ import annotations

import contextlib
import socket
import socketserver
import sys
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from tap_profitwell.sandbox.api import Api
from tap_profitwell.sandbox.config import SandboxConfig
from tap_profitwell.sandbox.data import generate
from tap_profitwell.sandbox.replies import message
from tap_profitwell.sandbox.store import Store

if TYPE_CHECKING:
    from types import TracebackType

    from typing_extensions import Self  # typing.Self needs Python 3.11; type checkers only

    from tap_profitwell.sandbox.replies import Reply


class _Handler(BaseHTTPRequestHandler):
    """Translate HTTP to ``Api.handle`` and back; always sets Content-Length (keep-alive)."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as separate writes
    server_version = "ProfitWellSandbox/1.0"
    server: _Server

    def do_GET(self) -> None:
        """Serve a GET."""
        self._serve("GET")

    def do_POST(self) -> None:
        """Serve a POST, reading any body so the connection stays usable."""
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self._serve("POST")

    def _serve(self, method: str) -> None:
        """Answer via the API; a bug in it becomes a 500, not a hung client."""
        try:
            reply = self.server.api.handle(method, self.path, self.headers.get("Authorization"))
        except Exception:  # noqa: BLE001 - report any bug to the client and stderr
            traceback.print_exc(file=sys.stderr)
            reply = message(500, "Sandbox error")
        if reply.delay:
            time.sleep(reply.delay)
        if reply.drop:
            self.close_connection = True
            return
        self._send(reply)
        if reply.after is not None:
            reply.after()

    def _send(self, reply: Reply) -> None:
        """Write status, headers and body."""
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(reply.body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002, ANN401
        """Stay quiet unless verbose: benchmarks make thousands of requests."""
        if self.server.verbose:
            super().log_message(format, *args)


class _Server(ThreadingHTTPServer):
    """Threaded server that can also close idle keep-alive connections when stopping."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], api: Api, *, verbose: bool) -> None:
        """Bind to the address; IPv6 hosts get an IPv6 socket."""
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.api = api
        self.verbose = verbose
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        """Bind without HTTPServer's reverse DNS lookup, which can stall offline machines."""
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def process_request(self, request: Any, client_address: Any) -> None:  # noqa: ANN401
        """Remember the connection so ``close_connections`` can end it."""
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:  # noqa: ANN401
        """Forget a finished connection."""
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Unblock handler threads waiting on idle keep-alive connections."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):  # already closed by the client
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:  # noqa: ANN401
        """Ignore clients that hang up mid-response; print anything else."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class Sandbox:
    """A local ProfitWell Customers API with generated data, served from a background thread.

    Use as a context manager, or call ``start()`` and ``stop()``.
    """

    def __init__(
        self, config: SandboxConfig | None = None, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        """Generate the data now, so ``snapshot()`` works before the server starts."""
        self.config = config or SandboxConfig()
        cfg = self.config
        dataset = generate(
            cfg.customers, cfg.seed, cfg.tie_blocks, cfg.tie_block_size, cfg.extra_customers
        )
        self._store = Store(dataset, cfg.seed)
        self._api = Api(cfg, self._store)
        self._address = (host, port)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> Sandbox:
        """Bind and serve in a daemon thread; port 0 picks a free port."""
        if self._server is not None:
            msg = "sandbox already started"
            raise RuntimeError(msg)
        self._server = _Server(self._address, self._api, verbose=self.config.verbose)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="profitwell-sandbox",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close open connections and release the port."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        server.shutdown()
        server.close_connections()
        server.server_close()
        thread.join()
        self._server = self._thread = None

    def __enter__(self) -> Self:
        """Start on entering the ``with`` block."""
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop on leaving it."""
        self.stop()

    @property
    def port(self) -> int:
        """The bound port (useful when started with port 0)."""
        if self._server is None:
            msg = "sandbox not started"
            raise RuntimeError(msg)
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """Base URL without a trailing slash, e.g. ``http://127.0.0.1:8765``."""
        host = self._address[0]
        return f"http://{f'[{host}]' if ':' in host else host}:{self.port}"

    @property
    def token(self) -> str:
        """The token the API accepts."""
        return self.config.token

    @property
    def stats(self) -> dict[str, Any]:
        """A copy of the request counters."""
        return self._api.stats_dict()

    def snapshot(self) -> list[dict[str, Any]]:
        """Deep copies of all customers, sorted by (updated_on, insertion order)."""
        return self._store.snapshot()

    def mutate(self, n: int = 1) -> list[str]:
        """Update ``n`` customers now, as the automatic mutation does; return their ids."""
        return self._store.mutate(n, self.config.mutate_target)
