"""A real IMAP server for capture tests and benchmarks: Debian's Dovecot, started on a free
loopback port with its own configuration, users and Maildirs in a temporary folder.

Messages are put in place as Maildir files (what a delivery agent writes), so a mailbox of
50,000 messages is ready in seconds; Dovecot indexes them on first access like any other.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.servers import free_port

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
PASSWORD = "imap-secret"


def mail_root() -> Path:
    """A folder for Dovecot's files that its own users can reach (pytest's are private)."""
    return Path(tempfile.mkdtemp(prefix="steward-dovecot-"))


def available() -> bool:
    return os.path.exists(DOVECOT)


@dataclass
class Dovecot:
    root: Path
    port: int

    @property
    def host(self) -> str:
        return "127.0.0.1"

    def maildir(self, user: str, folder: str = "INBOX") -> Path:
        base = self.root / "mail" / user
        path = base if folder == "INBOX" else base / f".{folder}"
        for part in ("cur", "new", "tmp"):
            (path / part).mkdir(parents=True, exist_ok=True)
        if os.getuid() == 0:
            uid, gid = _mail_owner()
            for owned in (base, path, path / "cur", path / "new", path / "tmp"):
                os.chown(owned, uid, gid)
        return path

    def deliver(self, user: str, raw: bytes, folder: str = "INBOX") -> None:
        """One message into a folder, as a delivery agent leaves it (seen, in cur/)."""
        path = self.maildir(user, folder)
        name = f"{time.time_ns()}.{uuid.uuid4().hex}.steward-test:2,S"
        (path / "tmp" / name).write_bytes(raw)
        if os.getuid() == 0:
            os.chown(path / "tmp" / name, *_mail_owner())
        os.replace(path / "tmp" / name, path / "cur" / name)

    def deliver_many(self, user: str, messages: Iterator[bytes], folder: str = "INBOX") -> int:
        count = 0
        for raw in messages:
            self.deliver(user, raw, folder)
            count += 1
        return count


def _mail_owner() -> tuple[int, int]:
    """Dovecot never reads mail as root: as root, mail belongs to its own `dovecot` user."""
    if os.getuid() != 0:
        return os.getuid(), os.getgid()
    import pwd

    entry = pwd.getpwnam("dovecot")
    return entry.pw_uid, entry.pw_gid


def _config(root: Path, port: int) -> str:
    uid, gid = _mail_owner()
    return f"""
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 0
first_valid_gid = 0
default_internal_user = {"dovecot" if uid == 0 else os.environ.get("USER", "nobody")}
default_login_user = {"dovenull" if uid == 0 else os.environ.get("USER", "nobody")}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
mail_location = maildir:{root}/mail/%u
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Sent {{
    special_use = \\Sent
  }}
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service auth {{
  user = {os.environ.get("USER", "root") if uid != 0 else "root"}
}}
service auth-worker {{
  user = {os.environ.get("USER", "root") if uid != 0 else "root"}
}}
service imap-login {{
  chroot =
}}
"""


def _wait_for(port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
                if conn.recv(100).startswith(b"* OK"):
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"Dovecot did not answer on port {port}")


@contextmanager
def dovecot(root: Path, users: tuple[str, ...] = ("alice", "bob")) -> Iterator[Dovecot]:
    """Dovecot serving `users` (password PASSWORD) from `root`, which must be a folder the
    mail user can reach (see `mail_root`)."""
    root.mkdir(parents=True, exist_ok=True)
    root.chmod(0o755)
    for part in ("run", "state", "mail", "home"):
        (root / part).mkdir(exist_ok=True)
    (root / "users").write_text("".join(f"{u}:{PASSWORD}\n" for u in users))
    port = free_port()
    config = root / "dovecot.conf"
    config.write_text(_config(root, port))
    process = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        try:
            _wait_for(port, time.monotonic() + 20)
        except RuntimeError:
            process.kill()
            _, err = process.communicate(timeout=5)
            log = (root / "dovecot.log").read_text() if (root / "dovecot.log").exists() else ""
            raise RuntimeError(f"Dovecot failed to start: {err.decode()} {log}") from None
        server = Dovecot(root, port)
        for user in users:
            server.maildir(user)
            server.maildir(user, "Sent")
        yield server
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
