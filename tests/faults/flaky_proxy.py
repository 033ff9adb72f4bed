"""An HTTP proxy on loopback in front of the test S3 server that misbehaves on purpose:
answers 503, stalls past the client's timeout, or flips bytes in GET bodies."""

from __future__ import annotations

import http.client
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse


class FlakyProxy:
    """``mode``: "ok", "errors" (the first ``budget`` requests get 503), "stall" (the first
    ``budget`` requests sleep ``stall_seconds``), "corrupt" (every pack GET body is altered)."""

    def __init__(self, upstream: str, mode: str = "ok", budget: int = 0, stall_seconds: float = 5.0) -> None:
        self.upstream = urlparse(upstream)
        self.mode = mode
        self.budget = budget
        self.stall_seconds = stall_seconds
        self.requests = 0
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _relay(self) -> None:
                with proxy._lock:
                    proxy.requests += 1
                    misbehave = proxy.budget > 0
                    if misbehave:
                        proxy.budget -= 1
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                if proxy.mode == "errors" and misbehave:
                    self.send_response(503)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if proxy.mode == "stall" and misbehave:
                    time.sleep(proxy.stall_seconds)
                conn = http.client.HTTPConnection(proxy.upstream.hostname, proxy.upstream.port, timeout=30)
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                headers["Host"] = f"{proxy.upstream.hostname}:{proxy.upstream.port}"
                conn.request(self.command, self.path, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
                if proxy.mode == "corrupt" and self.command == "GET" and ".pack" in self.path and len(data) > 64:
                    data = data[:40] + bytes([data[40] ^ 0xFF]) + data[41:]
                self.send_response(response.status)
                for key, value in response.getheaders():
                    if key.lower() not in ("content-length", "transfer-encoding", "connection"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)
                conn.close()

            do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _relay

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "FlakyProxy":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
