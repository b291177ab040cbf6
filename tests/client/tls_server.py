"""A small threaded HTTP/1.1 server over mutual TLS on 127.0.0.1, answering with the fake DMP.

The request body is streamed to a temporary file (never held in memory), read back through the streaming
MTOM reader, handled by :class:`fake_dmp.FakeDMP`, and the answer is streamed with an exact Content-Length.
``TCP_NODELAY`` is set (Nagle + delayed ACK would add ~40 ms per exchange; ``library-notes.md``).
"""

from __future__ import annotations

import ssl
import tempfile
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from dmpclient.soap import read_message

from .fake_dmp import FakeDMP

CHUNK = 1024 * 1024


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: DmpTlsServer

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        with tempfile.TemporaryFile(prefix="tls-server-body-") as spool:
            remaining = length
            while remaining > 0:
                chunk = self.rfile.read(min(CHUNK, remaining))
                if not chunk:
                    return
                spool.write(chunk)
                remaining -= len(chunk)
            spool.seek(0)
            self.server.bodies.append(length)
            message = read_message(self.headers["Content-Type"], iter(lambda: spool.read(CHUNK), b""))
        try:
            response = self.server.fake.handle(message)
            self.send_response(response.status_code)
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.end_headers()
            for chunk in response.iter_bytes(CHUNK):
                self.wfile.write(chunk)
        finally:
            message.close()

    def log_message(self, format: str, *args: Any) -> None:
        return


class DmpTlsServer(ThreadingHTTPServer):
    """``with DmpTlsServer(fake, ssl_context) as server: server.base_url``."""

    daemon_threads = True

    def __init__(self, fake: FakeDMP, context: ssl.SSLContext) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fake = fake
        self.bodies: list[int] = []
        self.socket = context.wrap_socket(self.socket, server_side=True, do_handshake_on_connect=False)
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def get_request(self) -> tuple[Any, Any]:
        sock, address = self.socket.accept()
        return sock, address

    def finish_request(self, request: Any, client_address: Any) -> None:
        try:
            request.do_handshake()
        except (ssl.SSLError, OSError):
            return
        super().finish_request(request, client_address)

    @property
    def base_url(self) -> str:
        return f"https://127.0.0.1:{self.server_address[1]}/si-dmp-server/v2/services"

    def __enter__(self) -> DmpTlsServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()
        self._thread.join(timeout=5)


def iter_file(path: Any) -> Iterator[bytes]:
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            yield chunk
