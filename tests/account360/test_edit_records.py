"""Contacts, activities and tasks edited through the pages (issue 21 §1): the form opens at the
record's version, validates like the API, refuses a save over a newer one, confirms what it
saved."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from steward.activities.models import Activity
from steward.contacts.models import Contact
from steward.db.base import utcnow
from tests.factories import Factory
from tests.pipeline.test_pipeline_pages import _sign_in


def test_a_contact_is_edited_and_a_stale_edit_refused(client: Any, factory: Factory) -> None:
    am = factory.user("am")
    account = factory.account(owner_am_id=am.id)
    contact = factory.contact(account, first_name="Ada", last_name="Byron")
    csrf = _sign_in(client, am.email)
    form = client.get(f"/contacts/{contact.id}/edit").text
    version = form.split('name="version" value="')[1].split('"')[0]
    assert 'value="Ada"' in form
    body = {
        "csrf_token": csrf,
        "version": version,
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "not an address",
        "sentiment": "positive",
        "deal_role": "champion",
    }
    bad = client.post(f"/contacts/{contact.id}/edit", data=body)
    assert bad.status_code == 422 and "field-error" in bad.text
    saved = client.post(
        f"/contacts/{contact.id}/edit",
        data=body | {"email": "ada@x.example"},
        follow_redirects=False,
    )
    assert saved.status_code == 303 and saved.headers["location"].endswith("saved=contacts")
    assert "Contact saved." in client.get(saved.headers["location"]).text
    with factory.db.session() as session:
        stored = session.get(Contact, contact.id)
        assert stored is not None
        assert (stored.last_name, stored.deal_role, stored.email) == (
            "Lovelace",
            "champion",
            "ada@x.example",
        )
    stale = client.post(f"/contacts/{contact.id}/edit", data=body | {"last_name": "King"})
    assert stale.status_code == 409 and "Someone else changed this" in stale.text
    with factory.db.session() as session:
        assert session.get(Contact, contact.id).last_name == "Lovelace"  # type: ignore[union-attr]


def test_an_activity_and_a_task_are_corrected(client: Any, factory: Factory) -> None:
    am = factory.user("am")
    account = factory.account(owner_am_id=am.id)
    activity = factory.activity(
        account, user_id=am.id, type="call", subject="Cal", occurred_at=utcnow() - timedelta(days=1)
    )
    task = factory.task(account, title="Follow up", assignee_id=am.id)
    csrf = _sign_in(client, am.email)
    page = client.get(f"/accounts/{account.id}").text
    assert f"/activities/{activity.id}/edit" in page and f"/tasks/{task.id}/edit" in page
    form = client.get(f"/activities/{activity.id}/edit").text
    version = form.split('name="version" value="')[1].split('"')[0]
    when = form.split('name="occurred_at" value="')[1].split('"')[0]
    fixed = client.post(
        f"/activities/{activity.id}/edit",
        data={
            "csrf_token": csrf,
            "version": version,
            "type": "meeting",
            "subject": "Call",
            "occurred_at": when,
        },
        follow_redirects=False,
    )
    assert fixed.status_code == 303, fixed.text
    with factory.db.session() as session:
        stored = session.get(Activity, activity.id)
        assert stored is not None and (stored.type, stored.subject) == ("meeting", "Call")
    blank = client.post(
        f"/tasks/{task.id}/edit",
        data={"csrf_token": csrf, "version": "1", "title": "", "priority": "high"},
    )
    assert blank.status_code == 422 and "field-error" in blank.text
    done = client.post(
        f"/tasks/{task.id}/edit",
        data={
            "csrf_token": csrf,
            "version": "1",
            "title": "Follow up by phone",
            "priority": "high",
        },
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
