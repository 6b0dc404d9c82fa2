from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from steward.auth.models import ApiToken
from steward.auth.service import create_token
from steward.db.base import utcnow
from steward.users.models import User
from steward.users.passwords import verify_password
from tests.factories import PASSWORD, Factory


def test_token_login_use_and_logout(client, factory: Factory) -> None:
    user = factory.user("am", email="login@test.example")
    response = client.post(
        "/api/v1/auth/token", json={"email": "LOGIN@test.example", "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=headers).json()["id"] == user.id
    assert client.delete("/api/v1/auth/token", headers=headers).status_code == 204
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_wrong_password_is_401_and_logins_are_rate_limited(
    client, factory: Factory, settings
) -> None:
    factory.user("am", email="victim@test.example")
    settings.login_max_failures_per_hour = 3
    for _ in range(3):
        response = client.post(
            "/api/v1/auth/token",
            json={"email": "victim@test.example", "password": "wrong password!"},
        )
        assert response.status_code == 401
    blocked = client.post(
        "/api/v1/auth/token", json={"email": "victim@test.example", "password": PASSWORD}
    )
    assert blocked.status_code == 429
    assert blocked.headers["retry-after"]


def test_tokens_are_stored_hashed_and_revocable(client, factory: Factory) -> None:
    user = factory.user("csm")
    headers = factory.headers(user)
    created = client.post("/api/v1/me/tokens", json={"name": "script"}, headers=headers)
    assert created.status_code == 201
    secret, token_id = created.json()["secret"], created.json()["id"]
    listed = client.get("/api/v1/me/tokens", headers=headers).text
    assert secret not in listed
    assert client.delete(f"/api/v1/me/tokens/{token_id}", headers=headers).status_code == 200
    assert (
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    )


def test_cookie_session_writes_need_the_csrf_token(client, factory: Factory) -> None:
    factory.user("admin", email="boss@test.example")
    login = client.post(
        "/login", data={"email": "boss@test.example", "password": PASSWORD}, follow_redirects=False
    )
    assert login.status_code == 303
    cookie = login.cookies.get("steward_session")
    assert cookie and "httponly" in login.headers["set-cookie"].lower()
    body = {"name": "Via cookie", "segment": "smb"}
    refused = client.post("/api/v1/accounts", json=body)
    assert refused.status_code == 403
    page = client.get("/book")
    csrf = page.text.split('"X-CSRF-Token": "')[1].split('"')[0]
    accepted = client.post("/api/v1/accounts", json=body, headers={"X-CSRF-Token": csrf})
    assert accepted.status_code == 201, accepted.text


def test_passwords_use_argon2id(factory: Factory) -> None:
    user = factory.user("am")
    assert user.password_hash and user.password_hash.startswith("$argon2id$")
    assert "m=19456,t=2" in user.password_hash
    assert verify_password(user.password_hash, PASSWORD)
    assert not verify_password(user.password_hash, PASSWORD + "x")


def test_audit_log_records_before_and_after(client, factory: Factory) -> None:
    admin = factory.user("admin")
    account = factory.account()
    headers = factory.headers(admin)
    client.patch(f"/api/v1/accounts/{account.id}", json={"tier": "key"}, headers=headers)
    events = client.get(
        f"/api/v1/audit-events?entity_type=accounts&entity_id={account.id}", headers=headers
    )
    event = events.json()["items"][0]
    assert event["action"] == "update" and event["actor_id"] == admin.id
    assert event["before"]["tier"] == "standard" and event["after"]["tier"] == "key"
    am = factory.user("am")
    assert client.get("/api/v1/audit-events", headers=factory.headers(am)).status_code == 403


def test_page_forms_without_the_csrf_token_are_refused_and_write_nothing(
    client, factory: Factory
) -> None:
    am = factory.user("am", email="forms@test.example")
    login = client.post(
        "/login", data={"email": "forms@test.example", "password": PASSWORD}, follow_redirects=False
    )
    assert login.status_code == 303
    refused = client.post("/accounts/new", data={"name": "Forged", "segment": "smb"})
    assert refused.status_code == 403
    assert "session expired" in refused.text
    listed = client.get("/api/v1/accounts", headers=factory.headers(am)).json()
    assert listed["total"] == 0


def test_expired_tokens_and_deactivated_users_are_refused(client, factory: Factory) -> None:
    user = factory.user("am")
    with factory.db.session() as session:
        _, expired = create_token(
            session, user, "old", actor_id=None, expires_at=utcnow() - timedelta(seconds=1)
        )
    assert (
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {expired}"}).status_code == 401
    )
    headers = factory.headers(user)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    with factory.db.session() as session:
        session.execute(update(User).where(User.id == user.id).values(is_active=False))
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_token_use_is_stamped_without_a_write_per_request(client, factory: Factory) -> None:
    user = factory.user("am")
    headers = factory.headers(user)

    def last_used():
        with factory.db.session() as session:
            return session.scalar(select(ApiToken.last_used_at).where(ApiToken.user_id == user.id))

    assert last_used() is None
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    first = last_used()
    assert first is not None
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    assert last_used() == first
