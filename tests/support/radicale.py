"""A real CalDAV server for calendar capture tests: Radicale (PyPI), started on a free loopback
port with a plain htpasswd file, its collections in a temporary folder.

Events are put with a plain HTTP PUT of an iCalendar file, as any CalDAV client does; a
collection's GET answers the whole calendar as one ICS file, which makes it an ICS feed too.
"""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx

from tests.support.servers import free_port

PASSWORD = "dav-secret"


@dataclass
class Radicale:
    port: int
    users: tuple[str, ...]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def calendar_url(self, user: str, name: str = "work") -> str:
        return f"{self.base}/{user}/{name}/"

    def make_calendar(self, user: str, name: str = "work") -> str:
        url = self.calendar_url(user, name)
        answer = httpx.request("MKCALENDAR", url, auth=(user, PASSWORD))
        assert answer.status_code in (201, 405, 409), answer.text  # 405, 409: there already
        return url

    def put(self, user: str, ics: str, uid: str, name: str = "work") -> None:
        url = self.make_calendar(user, name) + f"{uuid.uuid5(uuid.NAMESPACE_URL, uid)}.ics"
        answer = httpx.put(
            url,
            content=ics.encode(),
            auth=(user, PASSWORD),
            headers={"Content-Type": "text/calendar; charset=utf-8"},
        )
        assert answer.status_code in (201, 204), answer.text

    def remove(self, user: str, uid: str, name: str = "work") -> None:
        url = self.calendar_url(user, name) + f"{uuid.uuid5(uuid.NAMESPACE_URL, uid)}.ics"
        answer = httpx.delete(url, auth=(user, PASSWORD))
        assert answer.status_code in (200, 204), answer.text


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%SZ")


def event(
    uid: str,
    start: datetime,
    minutes: int = 60,
    *,
    title: str = "Check-in",
    organizer: str,
    attendees: list[str],
    rrule: str | None = None,
    status: str | None = None,
    description: str | None = None,
) -> str:
    """One VEVENT in a VCALENDAR, as calendar clients write them (times in UTC)."""
    from datetime import timedelta

    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Steward tests//EN",
        "BEGIN:VEVENT",
        f"UID:{uid}",
        f"DTSTAMP:{_stamp(start)}",
        f"DTSTART:{_stamp(start)}",
        f"DTEND:{_stamp(start + timedelta(minutes=minutes))}",
        f"SUMMARY:{title}",
        f"ORGANIZER;CN=Organizer:mailto:{organizer}",
    ]
    lines += [f"ATTENDEE;PARTSTAT=ACCEPTED;CN={a.split('@')[0]}:mailto:{a}" for a in attendees]
    if rrule:
        lines.append(f"RRULE:{rrule}")
    if status:
        lines.append(f"STATUS:{status}")
    if description:
        lines.append(f"DESCRIPTION:{description}")
    lines += ["END:VEVENT", "END:VCALENDAR", ""]
    return "\r\n".join(lines)


@contextmanager
def radicale(root: Path, users: tuple[str, ...]) -> Iterator[Radicale]:
    root.mkdir(parents=True, exist_ok=True)
    (root / "users").write_text("".join(f"{u}:{PASSWORD}\n" for u in users))
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "radicale",
            "--server-hosts",
            f"127.0.0.1:{port}",
            "--auth-type",
            "htpasswd",
            "--auth-htpasswd-filename",
            str(root / "users"),
            "--auth-htpasswd-encryption",
            "plain",
            "--rights-type",
            "owner_only",
            "--storage-filesystem-folder",
            str(root / "collections"),
            "--logging-level",
            "warning",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    server = Radicale(port, users)
    deadline = time.monotonic() + 20
    while True:
        try:
            httpx.get(server.base + "/.web/", timeout=1)
            break
        except httpx.HTTPError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                errors = process.stderr.read().decode() if process.stderr else ""
                raise RuntimeError(f"Radicale did not start: {errors}") from None
            time.sleep(0.1)
    try:
        yield server
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stderr is not None:
            process.stderr.close()
