"""Login limits that stop guessing without locking the real user out (issue 19, defect 17):
a browser that logged in before carries a device cookie (OWASP "slow down online guessing with
device cookies") and is never locked out by guessing from elsewhere or from its own office's
address; a guesser behind the same NAT does not lock out the user whose address it is; and
parallel attempts never get past a limit (counted atomically)."""

from __future__ import annotations

import threading

from fastapi.testclient import TestClient

from steward.auth.service import DEVICE_COOKIE
from tests.factories import PASSWORD, Factory


def _token(client: TestClient, email: str, password: str) -> int:
    body = {"email": email, "password": password}
    return client.post("/api/v1/auth/token", json=body).status_code


def _web(client: TestClient, email: str, password: str) -> int:
    response = client.post(
        "/login", data={"email": email, "password": password}, follow_redirects=False
    )
    return response.status_code


def test_a_guesser_behind_the_same_nat_does_not_lock_out_its_known_user(
    app, factory: Factory, settings
) -> None:
    factory.user("am", email="office@test.example")
    settings.login_max_failures_per_ip_per_hour = 20
    office = TestClient(app, client=("198.51.100.20", 50000))
    assert _token(office, "office@test.example", PASSWORD) == 200  # the user's own address
    guesser = TestClient(app, client=("198.51.100.20", 50001))
    statuses = [_token(guesser, f"x{n}@test.example", "wrong guess!!") for n in range(25)]
    assert statuses.count(401) == 20 and statuses[20:] == [429] * 5  # the address is limited
    assert _token(office, "office@test.example", PASSWORD) == 200  # but not its own user


def test_a_browser_with_a_device_cookie_is_never_locked_out(
    app, factory: Factory, settings
) -> None:
    factory.user("am", email="traveller@test.example")
    settings.login_max_failures_per_hour = 3
    settings.login_max_failures_per_ip_per_hour = 3
    laptop = TestClient(app, base_url="https://steward.example", client=("192.0.2.1", 1))
    assert _web(laptop, "traveller@test.example", PASSWORD) == 303
    device = laptop.cookies.get(DEVICE_COOKIE)
    assert device
    # Guessing from everywhere uses up the account's and the addresses' allowances ...
    for n in range(6):
        attacker = TestClient(app, client=(f"203.0.113.{n}", 1))
        _token(attacker, "traveller@test.example", "wrong guess!!")
    hotel = TestClient(app, base_url="https://steward.example", client=("203.0.113.0", 2))
    assert _web(hotel, "traveller@test.example", PASSWORD) == 429
    # ... the laptop, on that same hotel address, still gets in with its device cookie,
    hotel.cookies.set(DEVICE_COOKIE, device)
    assert _web(hotel, "traveller@test.example", PASSWORD) == 303
    # ... and a stolen cookie only gives its own small allowance of guesses.
    thief = TestClient(app, base_url="https://steward.example", client=("203.0.113.77", 3))
    thief.cookies.set(DEVICE_COOKIE, device)
    statuses = [_web(thief, "traveller@test.example", "wrong guess!!") for _ in range(12)]
    assert statuses.count(401) == 10 and statuses[10:] == [429, 429]


def test_a_device_cookie_of_another_user_is_no_device_of_this_one(
    app, factory: Factory, settings
) -> None:
    factory.user("am", email="alice@test.example")
    factory.user("am", email="bob@test.example")
    settings.login_max_failures_per_hour = 1
    browser = TestClient(app, base_url="https://steward.example", client=("192.0.2.9", 1))
    assert _web(browser, "alice@test.example", PASSWORD) == 303
    elsewhere = TestClient(app, client=("203.0.113.50", 1))
    assert _token(elsewhere, "bob@test.example", "wrong guess!!") == 401
    assert _web(browser, "bob@test.example", PASSWORD) == 429  # alice's device, not bob's


def test_parallel_attempts_never_pass_the_limit(app, factory: Factory, settings) -> None:
    factory.user("am", email="target@test.example")
    settings.login_max_failures_per_hour = 10
    settings.login_max_failures_per_ip_per_hour = 1000
    statuses: list[int] = []
    lock = threading.Lock()

    def guess(n: int) -> None:
        client = TestClient(app, client=(f"203.0.113.{n}", 1))
        for _ in range(4):
            status = _token(client, "target@test.example", "wrong guess!!")
            with lock:
                statuses.append(status)

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(statuses) == 32
    assert statuses.count(401) == 10, statuses  # exactly the limit, never more
    assert statuses.count(429) == 22
