"""Small real servers for the reliability suite: a counting "victim" that must never be reached."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Victim:
    """An HTTP server on another loopback port standing for an internal service; counts every hit."""

    def __init__(self, body: bytes = b"internal secret") -> None:
        self.hits: list[str] = []
        victim = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                victim.hits.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def __enter__(self) -> Victim:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


class Site:
    """A threaded HTTP server of fixed routes: path -> (body, content type, seconds to stall first).

    Unlike pytest-httpserver it serves requests concurrently, so one stalled route does not hold up
    the others; stalls end early when the site stops. Counts requests per path.
    """

    def __init__(self) -> None:
        self.routes: dict[str, tuple[bytes, str, float]] = {}
        self.hits: dict[str, int] = {}
        self.stopping = threading.Event()
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                path = self.path.split("?")[0]
                site.hits[path] = site.hits.get(path, 0) + 1
                body, ctype, stall = site.routes.get(path, (b"not found", "text/plain", 0.0))
                if stall:
                    site.stopping.wait(stall)  # the remote server's slowness, not a test wait
                try:
                    self.send_response(200 if path in site.routes else 404)
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client hung up (what a stopped run does)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def route(self, path: str, body: bytes, ctype: str = "application/rss+xml", stall: float = 0.0) -> str:
        self.routes[path] = (body, ctype, stall)
        return self.url(path)

    def __enter__(self) -> Site:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()
