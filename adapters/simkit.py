"""A tiny loopback HTTP server that simulators build on, with switchable faults.

Why stdlib ``ThreadingHTTPServer`` rather than an ASGI stack: a simulator must be able
to misbehave the way real networks do (drop a connection mid-request, answer slowly,
return a broken page), which needs control of the raw socket. It runs in a daemon
thread, so the demo and the tests talk to it over real HTTP exactly as to production.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit


@dataclass
class SimRequest:
    """One request as a simulator route sees it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default


@dataclass
class SimResponse:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> SimResponse:
        return cls(
            status,
            json.dumps(payload, default=str).encode(),
            {"Content-Type": "application/json", **(headers or {})},
        )


class Drop(Exception):
    """Raise inside a route to close the connection without answering."""


@dataclass
class Fault:
    """A misbehaviour: ``kind`` fires on requests whose path matches ``path``.

    It skips the first ``after`` matching requests, then fires ``times`` times
    (``times=-1``: forever). Kinds the kit applies itself: ``status`` (answer with
    ``status`` and ``headers``), ``drop`` (close the socket), ``slow`` (sleep
    ``seconds`` then answer normally), ``malformed`` (send ``body`` as the answer, with
    ``headers``).
    Simulators may define their own kinds (e.g. ``expire_tokens``) and ask
    ``Faults.take`` for them.
    """

    kind: str
    path: str = ".*"
    after: int = 0
    times: int = 1
    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    seconds: float = 0.0
    seen: int = 0
    fired: int = 0


class Faults:
    """The switchboard a test flips: ``sim.faults.add(Fault("status", status=503, ...))``."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, path: str, kinds: tuple[str, ...]) -> Fault | None:
        """The first armed fault of ``kinds`` matching ``path``; counts it as fired."""
        with self._lock:
            for f in self._faults:
                if f.kind not in kinds or not re.search(f.path, path):
                    continue
                f.seen += 1
                if f.seen <= f.after:
                    continue
                if f.times != -1 and f.fired >= f.times:
                    continue
                f.fired += 1
                return f
        return None


Route = Callable[..., SimResponse]


@dataclass
class LoggedRequest:
    method: str
    path: str
    query: str
    status: int  # 0 when the connection was dropped


class _QuietServer(ThreadingHTTPServer):
    """A client that hangs up on a kept-alive connection is normal, not a traceback on the terminal
    (``tieout demo`` shares it with the simulators)."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class SimServer:
    """Serve ``routes`` (regex on the path → callable) on 127.0.0.1 in a background thread."""

    def __init__(self, routes: list[tuple[str, str, Route]], name: str = "sim") -> None:
        self.name = name
        self.faults = Faults()
        self.log: list[LoggedRequest] = []
        self._routes = [(m, re.compile(p + r"\Z"), fn) for m, p, fn in routes]
        self._log_lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        #: Called before routing; a simulator uses it for auth and rate limits.
        self.before: Callable[[SimRequest], SimResponse | None] | None = None
        #: The server's clock, for its ``Date`` header (a simulator may run a skewed or fake one).
        self.clock: Callable[[], float] = time.time

    # -- lifecycle ----------------------------------------------------------------
    def start(self, port: int = 0) -> str:
        sim = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go in separate writes: without this, 40 ms per request.
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
                pass

            def date_time_string(self, timestamp: float | None = None) -> str:
                return super().date_time_string(sim.clock() if timestamp is None else timestamp)

            def _handle(self) -> None:
                sim._serve(self)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = do_MERGE = _handle  # noqa: N815

        self._httpd = _QuietServer(("127.0.0.1", port), Handler)
        self._httpd.daemon_threads = True
        httpd = self._httpd
        # A short poll interval: stop() waits for the loop to notice, 0.5 s by default, per test.
        self._thread = threading.Thread(
            target=lambda: httpd.serve_forever(poll_interval=0.05), name=self.name, daemon=True
        )
        self._thread.start()
        return self.base_url

    @property
    def base_url(self) -> str:
        assert self._httpd is not None, "server not started"
        host, port = self._httpd.server_address[:2]
        host_text = host.decode() if isinstance(host, bytes) else host
        return f"http://{host_text}:{port}"

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> SimServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- observation for tests ------------------------------------------------------
    def requests(self, path_pattern: str = ".*", method: str | None = None) -> list[LoggedRequest]:
        with self._log_lock:
            return [
                r
                for r in self.log
                if re.search(path_pattern, r.path) and (method is None or r.method == method)
            ]

    # -- serving ------------------------------------------------------------------
    def _serve(self, h: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(h.path)
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        req = SimRequest(
            method=h.command,
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in h.headers.items()},
            body=body,
        )
        try:
            resp = self._respond(req)
        except Drop:
            self._record(req, parts.query, 0)
            h.close_connection = True
            try:
                h.connection.shutdown(2)
            except OSError:
                pass
            return
        self._record(req, parts.query, resp.status)
        h.send_response(resp.status)
        for k, v in resp.headers.items():
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(resp.body)))
        h.end_headers()
        if req.method != "HEAD":
            h.wfile.write(resp.body)

    def _record(self, req: SimRequest, query: str, status: int) -> None:
        with self._log_lock:
            self.log.append(LoggedRequest(req.method, req.path, query, status))

    def _respond(self, req: SimRequest) -> SimResponse:
        fault = self.faults.take(req.path, ("status", "drop", "slow", "malformed"))
        if fault is not None:
            if fault.kind == "drop":
                raise Drop()
            if fault.kind == "status":
                return SimResponse(fault.status, fault.body or b'{"error":"simulated"}', dict(fault.headers))
            if fault.kind == "malformed":
                headers = {"Content-Type": "application/json", **fault.headers}
                return SimResponse(200, fault.body or b'{"broken": ', headers)
            if fault.kind == "slow":
                time.sleep(fault.seconds)
        if self.before is not None:
            early = self.before(req)
            if early is not None:
                return early
        for method, pattern, fn in self._routes:
            m = pattern.match(req.path)
            if m and method == req.method:
                return fn(req, **m.groupdict())
        return SimResponse.json({"error": f"no route for {req.method} {req.path}"}, status=404)


class Served:
    """A simulator's lifecycle through its ``server``: ``start()`` → its URL, ``stop()``, ``with``."""

    server: SimServer

    def start(self, port: int = 0) -> str:
        return self.server.start(port)

    def stop(self) -> None:
        self.server.stop()

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
