"""An HTTP server on 127.0.0.1 for what the lab serves over HTTP (REST APIs, function URLs)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_start_lock = threading.Lock()


class LoopbackServer:
    """`handler` served on 127.0.0.1 at a free port, in a daemon thread; `stop()` ends it."""

    def __init__(self, handler: type[BaseHTTPRequestHandler], name: str) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name=name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def started(lab: Any, attribute: str, handler: type[BaseHTTPRequestHandler]) -> LoopbackServer:
    """The lab's server kept in `lab.<attribute>`, started on first use and stopped with the
    lab (one per lab, however many threads ask at once)."""
    with _start_lock:
        server = getattr(lab, attribute, None)
        if server is None:
            server = LoopbackServer(handler, attribute)
            setattr(lab, attribute, server)
            lab.on_stop.append(server.stop)
    return server
