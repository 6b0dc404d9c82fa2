"""`steward serve` starts its job worker and mail listener only once the server answers
/healthz (after a crash the server processes get the cores first; issue 26), the job worker at
a lower CPU priority."""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from steward.cli.main import LOWER_PRIORITY, _start_when_serving

# A helper that records what /healthz answered when it started, and its own nice value.
HELPER = """
import os, sys, urllib.request
try:
    status = urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/healthz", timeout=5).status
except OSError:
    status = "refused"
open(sys.argv[2], "w").write(f"{status} {os.nice(0)}")
"""


class _Healthy(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/healthz" else 404)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _read_when_written(path: Path, limit_s: float = 60) -> str:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if path.exists() and path.read_text():
            return path.read_text()
        time.sleep(0.05)
    raise AssertionError(f"{path} was never written")


def test_helpers_start_once_the_server_answers_the_worker_niced(tmp_path: Path) -> None:
    port = _free_port()
    worker, listener = tmp_path / "worker", tmp_path / "listener"
    command = [sys.executable, "-c", HELPER, str(port)]
    helpers = _start_when_serving(
        [([*command, str(worker)], True), ([*command, str(listener)], False)], "127.0.0.1", port
    )
    time.sleep(1.0)  # nothing listens yet: a helper started now would record "refused"
    assert helpers == [] and not worker.exists()
    server = ThreadingHTTPServer(("127.0.0.1", port), _Healthy)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        own = os.nice(0)
        assert _read_when_written(worker) == f"200 {own + LOWER_PRIORITY}"
        assert _read_when_written(listener) == f"200 {own}"
    finally:
        server.shutdown()
        for helper in helpers:
            helper.wait(timeout=30)
