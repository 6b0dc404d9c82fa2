"""Identity promises (issue 7 §3): password policy, login throttling that cannot lock the real
user out, session renewal, cookie flags, session lifetimes, cross-site cookie writes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from steward.auth.models import WebSession
from steward.db import Database
from steward.db.base import utcnow
from steward.db.revision import current_revision
from tests.factories import PASSWORD, Factory


def _create_user(client: TestClient, headers: dict[str, str], password: str) -> TestClient:
    return client.post(
        "/api/v1/users",
        json={
            "email": f"u{len(password)}@test.example",
            "full_name": "New User",
            "role": "am",
            "password": password,
        },
        headers=headers,
    )


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("eleven char", "at least 12"),
        ("password1234", "too common"),
        ("123456789012", "too common"),
        ("qwertyuiop[]", "too common"),
        ("aaaaaaaaaaaaaaaa", "too common"),
        ("x" * 1025, "at most 1024"),
    ],
)
def test_short_and_common_passwords_are_refused(
    client, factory: Factory, password: str, why: str
) -> None:
    admin = factory.user("admin")
    response = _create_user(client, factory.headers(admin), password)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "password"
    assert why in response.json()["detail"]


@pytest.mark.parametrize("length", [64, 200])
def test_long_passwords_are_accepted_and_never_truncated(
    client, factory: Factory, length: int
) -> None:
    admin = factory.user("admin")
    base = "Tangerine lighthouse, 7 quiet otters & a violin! "
    password = (base * 5)[:length]
    created = _create_user(client, factory.headers(admin), password)
    assert created.status_code == 201, created.text
    email = created.json()["email"]

    def login(secret: str) -> int:
        body = {"email": email, "password": secret}
        return client.post("/api/v1/auth/token", json=body).status_code

    assert login(password) == 200
    assert login(password[: min(72, length - 1)]) == 401  # bcrypt would take the first 72
    assert login(password[:-1] + "#") == 401  # the last character counts


def test_guessing_from_elsewhere_cannot_lock_the_real_user_out(app, factory: Factory, settings):
    factory.user("am", email="victim@test.example")
    settings.login_max_failures_per_hour = 5
    settings.login_max_failures_per_ip_per_hour = 1000
    home = TestClient(app, client=("198.51.100.7", 50000))
    cafe = TestClient(app, client=("198.51.100.99", 50000))
    body = {"email": "victim@test.example", "password": PASSWORD}
    wrong = {"email": "victim@test.example", "password": "not the right one"}
    assert home.post("/api/v1/auth/token", json=body).status_code == 200  # a known address

    # Guesses from many addresses use up the account's hourly allowance ...
    attackers = [TestClient(app, client=(f"203.0.113.{n}", 40000)) for n in range(1, 6)]
    for attacker in attackers:
        assert attacker.post("/api/v1/auth/token", json=wrong).status_code == 401
    blocked = attackers[0].post("/api/v1/auth/token", json=body)
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0
    # ... even the right password from a new address waits ...
    assert cafe.post("/api/v1/auth/token", json=body).status_code == 429
    # ... but the user's own address still gets in, with or without a typo first.
    assert home.post("/api/v1/auth/token", json=wrong).status_code == 401
    assert home.post("/api/v1/auth/token", json=body).status_code == 200


def test_the_known_address_has_a_small_allowance_of_its_own(app, factory: Factory, settings):
    factory.user("am", email="known@test.example")
    settings.login_max_failures_per_hour = 2
    settings.login_max_failures_per_ip_per_hour = 1000
    home = TestClient(app, client=("198.51.100.8", 50000))
    body = {"email": "known@test.example", "password": PASSWORD}
    wrong = {"email": "known@test.example", "password": "not the right one"}
    assert home.post("/api/v1/auth/token", json=body).status_code == 200
    statuses = [home.post("/api/v1/auth/token", json=wrong).status_code for _ in range(14)]
    # Its own failures count against its allowance of ten, the first two included.
    assert statuses.count(401) == 10 and statuses[10:] == [429] * 4


def _login(client: TestClient, email: str) -> str:
    response = client.post(
        "/login", data={"email": email, "password": PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    return response.headers["set-cookie"]


def test_each_login_gets_a_new_session_id_with_strict_cookie_flags(app, factory: Factory) -> None:
    factory.user("am", email="cookie@test.example")
    browser = TestClient(app, base_url="https://steward.example")
    first = _login(browser, "cookie@test.example")
    first_id = browser.cookies.get("steward_session")
    second = _login(browser, "cookie@test.example")
    second_id = browser.cookies.get("steward_session")
    assert first_id and second_id and first_id != second_id
    for header in (first, second):
        flags = {part.strip().split("=")[0].lower() for part in header.split(";")}
        assert {"httponly", "secure", "samesite"} <= flags
        assert "samesite=lax" in header.lower()
    # The session the first login made has ended: its id no longer opens a page.
    stale = TestClient(
        app, base_url="https://steward.example", cookies={"steward_session": first_id}
    )
    assert stale.get("/book", follow_redirects=False).status_code == 303


@pytest.mark.parametrize(
    ("idle", "age", "open_"),
    [
        (timedelta(minutes=29), timedelta(hours=11), True),
        (timedelta(minutes=31), timedelta(hours=1), False),
        (timedelta(minutes=1), timedelta(hours=12, minutes=1), False),
    ],
)
def test_sessions_end_after_30_minutes_idle_or_12_hours(
    app, factory: Factory, idle: timedelta, age: timedelta, open_: bool
) -> None:
    factory.user("am", email="idle@test.example")
    browser = TestClient(app, base_url="https://steward.example")
    _login(browser, "idle@test.example")
    now = utcnow()
    with factory.db.session() as session:
        session.execute(update(WebSession).values(last_seen_at=now - idle, created_at=now - age))
    page = browser.get("/book", follow_redirects=False)
    assert (page.status_code == 200) is open_, page.status_code
    if not open_:
        assert page.headers["location"].startswith("/login")
        assert browser.get("/api/v1/me").status_code == 401


def test_cookie_writes_from_another_site_are_refused_even_with_the_token(
    app, factory: Factory
) -> None:
    factory.user("admin", email="origin@test.example")
    browser = TestClient(app, base_url="https://steward.example")
    _login(browser, "origin@test.example")
    csrf = browser.get("/book").text.split('"X-CSRF-Token": "')[1].split('"')[0]
    body = {"name": "Forged", "segment": "smb"}
    for headers in (
        {"X-CSRF-Token": csrf, "Origin": "https://evil.example"},
        {"X-CSRF-Token": csrf, "Sec-Fetch-Site": "cross-site"},
    ):
        refused = browser.post("/api/v1/accounts", json=body, headers=headers)
        assert refused.status_code == 403 and "cross-site" in refused.json()["detail"]
    form = browser.post(
        "/accounts/new",
        data={"name": "Forged", "segment": "smb", "csrf_token": csrf},
        headers={"Origin": "https://evil.example"},
    )
    assert form.status_code == 403
    no_token = browser.post(
        "/api/v1/accounts", json=body, headers={"Origin": "https://steward.example"}
    )
    assert no_token.status_code == 403
    accepted = browser.post(
        "/api/v1/accounts",
        json={"name": "Real", "segment": "smb"},
        headers={"X-CSRF-Token": csrf, "Origin": "https://steward.example"},
    )
    assert accepted.status_code == 201, accepted.text
    listed = browser.get("/api/v1/accounts").json()
    assert [item["name"] for item in listed["items"]] == ["Real"]


def test_logging_in_and_failing_to_leaves_every_kept_page_current(
    app, db: Database, factory: Factory
) -> None:  # type: ignore[no-untyped-def]
    """A login writes only bookkeeping (its session, its device cookie, the failure counters):
    no page shows them, so no page kept per revision is thrown away because someone logged in
    (fifty people starting their day would otherwise recompute the VP's Forecast fifty times)."""
    factory.user("am", email="morning@test.example")
    browser = TestClient(app, base_url="https://steward.example")
    with db.session_factory() as session:
        before = current_revision(session)
    _login(browser, "morning@test.example")  # a new device
    _login(browser, "morning@test.example")  # a known device, refreshed
    wrong = {"email": "morning@test.example", "password": "not the right one"}
    assert browser.post("/login", data=wrong, follow_redirects=False).status_code in (200, 401)
    with db.session_factory() as session:
        assert current_revision(session) == before
