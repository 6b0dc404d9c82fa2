"""The capture API: connecting mailboxes (against Dovecot), the review queue, forgetting,
and the book rule on captured mail, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, text

from steward.accounts.models import AccountDomain
from steward.activities.models import Activity
from steward.app import create_app
from steward.capture.ingest import ingest
from steward.capture.matching import Matcher
from steward.capture.models import Mailbox, MailMessage, MailThread, ReviewItem
from steward.capture.parsing import parse_message
from steward.config import Settings
from steward.contacts.models import Contact
from tests.capture.conftest import holder
from tests.support.digests import fingerprint
from tests.support.dovecot import PASSWORD
from tests.support.mailgen import message

MISSING_ID = 2_000_000_001


def _mailbox_body(server: Any, login: str, password: str = PASSWORD) -> dict[str, Any]:
    return {
        "host": server.host,
        "port": server.port,
        "security": "none",
        "username": login,
        "password": password,
    }


def _log(db, settings, user_id: int, raw: bytes) -> None:  # type: ignore[no-untyped-def]
    with db.session() as session:
        ingest(session, Matcher(session, settings), parse_message(raw), holder(user_id))
        session.commit()


def test_a_mailbox_connects_with_its_password_kept_encrypted(
    client, db, factory, imap_server, imap_user
):
    am = factory.user("am")
    answer = client.post(
        "/api/v1/mailboxes",
        json=_mailbox_body(imap_server, imap_user),
        headers=factory.headers(am),
    )
    assert answer.status_code == 201, answer.text
    assert "password" not in answer.json() and PASSWORD not in answer.text
    with db.session() as session:
        stored = session.scalars(select(Mailbox)).one()
        assert stored.user_id == am.id
        raw = session.execute(text("SELECT secret_encrypted FROM mailboxes")).scalar_one()
        assert PASSWORD not in str(raw)
    # Another user does not see it; its owner does.
    other = factory.user("am")
    mailbox_id = answer.json()["id"]
    assert (
        client.get(f"/api/v1/mailboxes/{mailbox_id}", headers=factory.headers(other)).status_code
        == 404
    )
    assert client.get("/api/v1/mailboxes", headers=factory.headers(other)).json() == []
    mine = client.get(f"/api/v1/mailboxes/{mailbox_id}", headers=factory.headers(am))
    assert mine.json()["username"] == imap_user


def test_a_wrong_password_is_refused_naming_the_field_and_nothing_is_kept(
    client, db, factory, imap_server, imap_user
):
    am = factory.user("am")
    answer = client.post(
        "/api/v1/mailboxes",
        json=_mailbox_body(imap_server, imap_user, password="not-it"),
        headers=factory.headers(am),
    )
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert "password" in answer.text
    with db.session() as session:
        assert session.scalars(select(Mailbox)).all() == []


def test_a_private_host_is_refused_unless_the_operator_allows_it(db, factory, tmp_path):
    from fastapi.testclient import TestClient

    strict = Settings(data_dir=tmp_path, secret_key="test")  # capture_allow_private off
    am = factory.user("am")
    with TestClient(create_app(strict, db), raise_server_exceptions=False) as client:
        for host in ("127.0.0.1", "localhost", "10.0.0.8", "169.254.169.254"):
            answer = client.post(
                "/api/v1/mailboxes",
                json={"host": host, "username": "u", "password": "p"},
                headers=factory.headers(am),
            )
            assert answer.status_code == 422, host
            assert answer.json()["errors"][0]["field"] == "host", answer.text
    with db.session() as session:
        assert session.scalars(select(Mailbox)).all() == []


def test_a_password_or_token_is_required_by_the_chosen_login(client, factory):
    am = factory.user("am")
    answer = client.post(
        "/api/v1/mailboxes",
        json={"host": "imap.example.com", "username": "u", "auth": "xoauth2"},
        headers=factory.headers(am),
    )
    assert answer.status_code == 422 and "access_token" in answer.text


def test_an_unknown_domain_waits_for_review_and_assigning_it_captures_its_mail(
    client, db, factory, settings
):
    am = factory.user("am")
    account = factory.account(domain="acme.example", owner_am_id=am.id)
    _log(db, settings, am.id, message(message_id="n1@x", sender=am.email, to=["ceo@newco.example"]))
    _log(db, settings, am.id, message(message_id="n2@x", sender="cfo@newco.example", to=[am.email]))
    queue = client.get("/api/v1/capture/review", headers=factory.headers(am)).json()
    assert [(i["domain"], i["messages"], i["waiting_threads"]) for i in queue] == [
        ("newco.example", 2, 2)
    ]
    # Someone whose mail does not hold the domain does not see it.
    stranger = factory.user("am")
    assert client.get("/api/v1/capture/review", headers=factory.headers(stranger)).json() == []
    item_id = queue[0]["id"]
    assert (
        client.post(
            f"/api/v1/capture/review/{item_id}",
            json={"action": "ignore"},
            headers=factory.headers(stranger),
        ).status_code
        == 404
    )
    decided = client.post(
        f"/api/v1/capture/review/{item_id}",
        json={"action": "assign", "account_id": account.id},
        headers=factory.headers(am),
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["threads_assigned"] == 2
    with db.session() as session:
        assert session.scalars(select(AccountDomain.domain)).all() == ["newco.example"]
        activities = session.scalars(select(Activity)).all()
        assert {a.account_id for a in activities} == {account.id} and len(activities) == 2
    # Mail from the domain now goes straight to the account.
    _log(db, settings, am.id, message(message_id="n3@x", sender="cto@newco.example", to=[am.email]))
    with db.session() as session:
        assert len(session.scalars(select(Activity)).all()) == 3
    mail = client.get(f"/api/v1/accounts/{account.id}/mail", headers=factory.headers(am)).json()
    assert len(mail) == 3
    # Deciding twice is a conflict, not a second write.
    again = client.post(
        f"/api/v1/capture/review/{item_id}",
        json={"action": "assign", "account_id": account.id},
        headers=factory.headers(am),
    )
    assert again.status_code == 409


def test_assigning_to_an_account_outside_the_book_answers_as_a_missing_one(
    client, db, factory, settings
):
    am = factory.user("am")
    factory.account(domain="acme.example", owner_am_id=am.id)
    theirs = factory.account(domain="theirs.example", owner_am_id=factory.user("am").id)
    _log(db, settings, am.id, message(message_id="o1@x", sender=am.email, to=["a@newco.example"]))
    headers = factory.headers(am)  # each call makes a token: made before the fingerprint
    item_id = client.get("/api/v1/capture/review", headers=headers).json()[0]["id"]
    before = fingerprint(db)

    def assign(account_id: int) -> Any:
        return client.post(
            f"/api/v1/capture/review/{item_id}",
            json={"action": "assign", "account_id": account_id},
            headers=headers,
        )

    missing, hidden = assign(MISSING_ID), assign(theirs.id)
    assert missing.status_code == hidden.status_code == 422
    assert (
        missing.json()["errors"][0]["field"] == hidden.json()["errors"][0]["field"] == "account_id"
    )
    hidden_error, missing_error = hidden.json()["errors"][0], missing.json()["errors"][0]
    assert hidden_error["message"].replace(str(theirs.id), "N") == missing_error["message"].replace(
        str(MISSING_ID), "N"
    )
    assert fingerprint(db) == before, "a refused decision wrote something"


def test_create_contact_and_ignore(client, db, factory, settings):
    am = factory.user("am")
    account = factory.account(domain="acme.example", owner_am_id=am.id)
    _log(
        db,
        settings,
        am.id,
        message(message_id="c1@x", sender="Ann Lee <ann@gmail.example>", to=[am.email]),
    )
    _log(db, settings, am.id, message(message_id="s1@x", sender="news@spam.example", to=[am.email]))
    queue = {
        i["domain"]: i["id"]
        for i in client.get("/api/v1/capture/review", headers=factory.headers(am)).json()
    }
    made = client.post(
        f"/api/v1/capture/review/{queue['gmail.example']}",
        json={
            "action": "create_contact",
            "account_id": account.id,
            "first_name": "Ann",
            "last_name": "Lee",
        },
        headers=factory.headers(am),
    )
    assert made.status_code == 200, made.text
    with db.session() as session:
        contact = session.get(Contact, made.json()["contact_id"])
        assert (contact.email, contact.account_id) == ("ann@gmail.example", account.id)
        assert session.scalars(select(Activity.account_id)).all() == [account.id]
    ignored = client.post(
        f"/api/v1/capture/review/{queue['spam.example']}",
        json={"action": "ignore"},
        headers=factory.headers(am),
    )
    assert ignored.json()["messages_deleted"] == 1
    _log(db, settings, am.id, message(message_id="s2@x", sender="news@spam.example", to=[am.email]))
    with db.session() as session:
        # Ignored for good: nothing kept, nothing waiting.
        assert session.scalars(
            select(MailMessage.subject).where(MailMessage.id_hash.is_not(None))
        ).all() == ["Renewal plan"]
        statuses = dict(session.execute(select(ReviewItem.domain, ReviewItem.status)).all())
        assert statuses["spam.example"] == "ignored"


def test_a_user_forgets_what_they_logged_and_the_account_keeps_the_rest(
    client, db, factory, settings
):
    am = factory.user("am")
    csm = factory.user("csm")
    account = factory.account(domain="acme.example", owner_am_id=am.id, csm_id=csm.id)
    factory.contact(account, email="jane@acme.example")
    shared = message(message_id="shared@x", sender="jane@acme.example", to=[am.email, csm.email])
    _log(db, settings, am.id, shared)
    _log(db, settings, csm.id, shared)
    _log(
        db,
        settings,
        am.id,
        message(
            message_id="mine@x", sender=am.email, to=["jane@acme.example"], subject="Only mine"
        ),
    )
    forgot = client.post("/api/v1/capture/logged/forget", headers=factory.headers(am))
    assert forgot.status_code == 200, forgot.text
    with db.session() as session:
        # The thread the CSM's mail holds too stays; the AM's own message is gone.
        assert session.scalars(select(MailMessage.subject)).all() == ["Renewal plan"]
        assert session.scalars(select(Activity.subject)).all() == ["Renewal plan"]


def test_captured_mail_obeys_the_book_rule(client, db, factory, settings):
    am = factory.user("am")
    other = factory.user("am")
    theirs = factory.account(domain="theirs.example", owner_am_id=other.id)
    factory.contact(theirs, email="bob@theirs.example")
    _log(
        db,
        settings,
        other.id,
        message(message_id="t1@x", sender="bob@theirs.example", to=[other.email]),
    )
    for path in (
        f"/api/v1/accounts/{theirs.id}/mail",
        f"/api/v1/accounts/{theirs.id}/mail-signals",
    ):
        assert client.get(path, headers=factory.headers(am)).status_code == 404
        assert client.get(path, headers=factory.headers(other)).status_code == 200
    with db.session() as session:
        assert session.scalars(select(MailThread)).one().account_id == theirs.id


def test_capture_level_is_validated_and_a_team_limit_applies(client, factory):
    am = factory.user("am")
    bad = client.put(
        "/api/v1/capture/settings", json={"level": "everything"}, headers=factory.headers(am)
    )
    assert bad.status_code == 422 and "level" in bad.text
    ok = client.put("/api/v1/capture/settings", json={"level": "body"}, headers=factory.headers(am))
    assert ok.json()["effective_level"] == "body"


@pytest.mark.parametrize("domain", ["not a domain", "-x.example", "a..b"])
def test_an_account_domain_must_be_a_domain(client, factory, domain):
    am = factory.user("am")
    account = factory.account(owner_am_id=am.id)
    answer = client.post(
        f"/api/v1/accounts/{account.id}/domains",
        json={"domain": domain},
        headers=factory.headers(am),
    )
    assert answer.status_code == 422 and "domain" in answer.text
