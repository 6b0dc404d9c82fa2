"""The Mail page and the review queue through HTTP (the browser test drives them in Chromium):
bad input answers the form with the field named and keeps nothing; someone else's mailbox
answers what a missing one does; the review queue acts only inside the reader's book."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from steward.accounts.models import AccountDomain
from steward.capture.ingest import ingest
from steward.capture.matching import Matcher
from steward.capture.models import Mailbox, MailThread, ReviewItem, ReviewStatus
from steward.capture.parsing import parse_message
from steward.capture.service import likely_first
from tests.capture.conftest import holder
from tests.factories import Factory
from tests.pipeline.test_pipeline_pages import _sign_in
from tests.support.digests import fingerprint
from tests.support.dovecot import PASSWORD
from tests.support.mailgen import message


def _mailboxes(db: Any) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(Mailbox)) or 0


def _form(server: Any, user: str, password: str, csrf: str) -> dict[str, str]:
    return {
        "csrf_token": csrf,
        "host": server.host,
        "port": str(server.port),
        "security": "none",
        "username": user,
        "password": password,
        "folders": "",
        "excluded_folders": "Private, Personal",
    }


def test_connecting_a_mailbox_checks_the_login_and_names_the_field(
    client: Any, factory: Factory, imap_server: Any, imap_user: str
) -> None:
    am = factory.user("am")
    csrf = _sign_in(client, am.email)
    assert "No mailbox connected yet" in client.get("/mail").text

    wrong = client.post("/mail/mailboxes", data=_form(imap_server, imap_user, "nope", csrf))
    assert wrong.status_code == 422
    assert 'class="field-error"' in wrong.text and "nope" not in wrong.text
    blank = client.post("/mail/mailboxes", data={**_form(imap_server, "", "x", csrf)})
    assert blank.status_code == 422 and "This field is required." in blank.text
    forged = client.post("/mail/mailboxes", data=_form(imap_server, imap_user, PASSWORD, "forged"))
    assert forged.status_code == 403
    assert _mailboxes(factory.db) == 0

    done = client.post(
        "/mail/mailboxes",
        data=_form(imap_server, imap_user, PASSWORD, csrf),
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/mail?done=connected"
    page = client.get(done.headers["location"]).text
    assert imap_user in page and "Mailbox connected" in page
    assert PASSWORD not in page  # the password never goes back to the browser
    assert "never: Private, Personal" in page
    with factory.db.session() as session:
        mailbox = session.scalars(select(Mailbox)).one()
        assert PASSWORD not in mailbox.secret_encrypted  # kept encrypted


def test_someone_elses_mailbox_is_missing_and_unchanged(
    client: Any, factory: Factory, imap_server: Any, imap_user: str
) -> None:
    owner, other = factory.user("am"), factory.user("am")
    csrf = _sign_in(client, owner.email)
    client.post("/mail/mailboxes", data=_form(imap_server, imap_user, PASSWORD, csrf))
    with factory.db.session() as session:
        mailbox_id = session.scalars(select(Mailbox.id)).one()
    client.post("/logout")
    csrf = _sign_in(client, other.email)
    before = fingerprint(factory.db)
    for action in ("pause", "forget", "remove"):
        answer = client.post(
            f"/mail/mailboxes/{mailbox_id}/{action}",
            data={"csrf_token": csrf},
            follow_redirects=False,
        )
        assert answer.status_code == 404, action
    assert fingerprint(factory.db) == before
    assert imap_user not in client.get("/mail").text


def test_the_review_queue_assigns_inside_the_book_only(
    client: Any, factory: Factory, settings: Any
) -> None:
    am = factory.user("am")
    mine = factory.account(name="Initech", owner_am_id=am.id)
    theirs = factory.account(name="Umbrella")
    raw = message(message_id="r1@x", sender="cto@initech-labs.example", to=[am.email])
    with factory.db.session() as session:
        ingest(session, Matcher(session, settings), parse_message(raw), holder(am.id))
        session.commit()
        item_id = session.scalars(select(ReviewItem.id)).one()
    csrf = _sign_in(client, am.email)
    page = client.get("/mail/review").text
    assert "initech-labs.example" in page and "1 thread waiting" in page
    assert f'value="{mine.id}">Initech' in page
    assert "Umbrella" not in page  # outside the AM's book: not offered

    nothing = client.post(f"/mail/review/{item_id}", data={"csrf_token": csrf, "action": "assign"})
    assert nothing.status_code == 422 and "name the account" in nothing.text
    outside = client.post(
        f"/mail/review/{item_id}",
        data={"csrf_token": csrf, "action": "assign", "account_id": str(theirs.id)},
    )
    assert outside.status_code == 422 and f"no account with id {theirs.id}" in outside.text
    with factory.db.session() as session:
        assert session.scalar(select(func.count()).select_from(AccountDomain)) == 0

    done = client.post(
        f"/mail/review/{item_id}",
        data={"csrf_token": csrf, "action": "assign", "account_id": str(mine.id)},
        follow_redirects=False,
    )
    assert done.status_code == 303 and "done=assign&n=1" in done.headers["location"]
    with factory.db.session() as session:
        assert session.get(ReviewItem, item_id).status == ReviewStatus.ASSIGNED  # type: ignore[union-attr]
        thread = session.scalars(select(MailThread)).one()
        assert thread.account_id == mine.id
    account_page = client.get(f"/accounts/{mine.id}").text
    assert 'id="account-mail"' in account_page and "Renewal plan" in account_page


def test_accounts_named_like_the_domain_are_offered_first() -> None:
    choices = [(1, "Acme Rockets"), (2, "Globex Corp"), (3, "Initech"), (4, "Soylent")]
    assert likely_first(choices, "globex-corp.example")[0] == (2, "Globex Corp")
    assert likely_first(choices, "globex.io")[0] == (2, "Globex Corp")
    assert likely_first(choices, "io.example") == choices  # too short a label to guess
    assert sorted(likely_first(choices, "initech.example")) == choices
