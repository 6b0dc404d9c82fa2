from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from steward.capture.ingest import Holder
from steward.capture.models import CaptureLevel
from steward.config import Settings
from tests.conftest import missing_service
from tests.support import dovecot as dovecot_server
from tests.support import radicale as radicale_server


@pytest.fixture
def settings(tmp_path) -> Settings:  # type: ignore[no-untyped-def]
    # The test servers listen on loopback, which users' hosts may not name by default.
    return Settings(data_dir=tmp_path, secret_key="test", capture_allow_private=True)


@pytest.fixture(scope="session")
def imap_server() -> Iterator[dovecot_server.Dovecot]:
    if not dovecot_server.available():
        missing_service("Dovecot (Debian's dovecot-imapd)")
    root = dovecot_server.mail_root()
    users = tuple(f"user{n}" for n in range(400))
    with dovecot_server.dovecot(root, users) as server:
        yield server
    shutil.rmtree(root, ignore_errors=True)


_next_user = iter(range(400))


@pytest.fixture
def imap_user() -> str:
    """A mailbox of its own on the shared Dovecot, for one test."""
    return f"user{next(_next_user)}"


def holder(user_id: int, level: CaptureLevel = CaptureLevel.BODY, origin: str = "smtp") -> Holder:
    return Holder(user_id, origin, level)


@pytest.fixture(scope="session")
def caldav_server(tmp_path_factory) -> Iterator[radicale_server.Radicale]:  # type: ignore[no-untyped-def]
    users = tuple(f"cal{n}" for n in range(200))
    with radicale_server.radicale(tmp_path_factory.mktemp("radicale"), users) as server:
        yield server


_next_calendar_user = iter(range(200))


def new_caldav_user() -> str:
    """A CalDAV account of its own on the shared Radicale (one per test process)."""
    return f"cal{next(_next_calendar_user)}"


@pytest.fixture
def caldav_user() -> str:
    return new_caldav_user()
