"""Real local peers for delivery tests: an SMTP server (aiosmtpd) and an HTTP receiver."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Mailbox:
    port: int
    messages: list[Message] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"


@contextmanager
def smtp_server() -> Iterator[Mailbox]:
    mailbox = Mailbox(port=free_port())
    controller = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port)
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()


# What an internal service might answer; it must never reach a Steward user.
FAILURE_BODY = b"internal: db_password=hunter2 at 10.0.0.5"


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Answers the first `failures` requests with 500 (or, with `redirect_to`, every request
    with a 302 there), then 200; keeps every request. Error answers carry FAILURE_BODY."""

    url: str
    failures: int = 0
    redirect_to: str | None = None
    requests: list[Received] = field(default_factory=list)


@contextmanager
def webhook_receiver(failures: int = 0, redirect_to: str | None = None) -> Iterator[Receiver]:
    port = free_port()
    receiver = Receiver(
        url=f"http://127.0.0.1:{port}/hooks/steward", failures=failures, redirect_to=redirect_to
    )

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            body = self.rfile.read(length)
            receiver.requests.append(Received(self.path, dict(self.headers.items()), body))
            if receiver.redirect_to is not None:
                self.send_response(302)
                self.send_header("Location", receiver.redirect_to)
                self.end_headers()
                self.wfile.write(FAILURE_BODY)
                return
            failing = len(receiver.requests) <= receiver.failures
            self.send_response(500 if failing else 200)
            self.end_headers()
            self.wfile.write(FAILURE_BODY if failing else b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
