"""A live Steward (demo data, real uvicorn) and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import missing_service

CHROMIUM = os.environ.get("STEWARD_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def live_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The live server's data directory (its SQLite file), for what no page or API shows,
    such as the e-mails waiting in the outbox."""
    return tmp_path_factory.mktemp("live")


@pytest.fixture(scope="session")
def live_smtp_port() -> int:
    """The live server's logging address (its SMTP listener), as the demo turns it on."""
    return _free_port()


@pytest.fixture(scope="session")
def live_server(live_data_dir: Path, live_smtp_port: int) -> Iterator[str]:
    data_dir = live_data_dir
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = os.environ | {
        "STEWARD_DATA_DIR": str(data_dir),
        # Links Steward writes (shared plans, surveys) point here: named, because a test that
        # ran a CLI command in this process may have left another address in os.environ.
        "STEWARD_PUBLIC_URL": base,
        "STEWARD_INBOUND_SMTP_PORT": str(live_smtp_port),
        # The browser tests connect a mailbox on a Dovecot on loopback, which users' hosts
        # may not name by default (the SSRF rule).
        "STEWARD_CAPTURE_ALLOW_PRIVATE": "true",
    }
    steward = [sys.executable, "-m", "steward.cli.main"]
    subprocess.run(
        [*steward, "demo", "--no-serve", "--accounts", "120", "--seed", "11"],
        check=True,
        env=env,
        capture_output=True,
    )
    process = subprocess.Popen(
        [*steward, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    # Importing the scientific stack takes a while on a slow machine: allow a minute.
    for _ in range(600):
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    else:
        process.kill()
        pytest.fail("the live server did not start")
    for _ in range(600):
        try:
            socket.create_connection(("127.0.0.1", live_smtp_port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    else:
        process.kill()
        pytest.fail("the live server's logging address (SMTP) did not start")
    yield base
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        missing_service(f"Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    yield page
    context.close()


def login(page, base: str, email: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", "steward-demo")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/book*")


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def _bearer(base: str, email: str) -> dict[str, str]:
    token = httpx.post(
        f"{base}/api/v1/auth/token",
        json={"email": email, "password": "steward-demo"},
        timeout=60,
    ).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def api_get(base: str, email: str, path: str) -> dict:  # type: ignore[type-arg]
    """What the JSON API answers a demo user, to compare a page's figures with."""
    # Reports such as retention fit models on first use: generous on a loaded machine.
    return httpx.get(f"{base}{path}", headers=_bearer(base, email), timeout=60).json()


def api_post(base: str, email: str, path: str, body: dict) -> dict:  # type: ignore[type-arg]
    answer = httpx.post(f"{base}{path}", json=body, headers=_bearer(base, email), timeout=60)
    assert answer.status_code < 300, answer.text
    return answer.json()  # type: ignore[no-any-return]
