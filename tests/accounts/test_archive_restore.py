"""Archiving and restoring (issue 7 §6): an archived account leaves lists, search and exports
with everything it owns, and comes back whole when restored, however long after (Steward
never purges; the promise is at least 90 days). A restore that conflicts answers 409."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import update

from steward.accounts.models import Account
from steward.contacts.models import Contact
from tests.factories import Factory

LISTS = ("contacts", "contracts", "opportunities", "activities", "tasks", "escalations")
EXPORTS = ("accounts", "contacts", "contracts", "opportunities")


def _visible(client: Any, headers: dict[str, str]) -> dict[str, set[int]]:
    seen = {
        "accounts": {
            a["id"]
            for a in client.get("/api/v1/accounts?limit=500", headers=headers).json()["items"]
        },
        "search": {
            a["id"]
            for a in client.get("/api/v1/accounts?q=zephyr", headers=headers).json()["items"]
        },
        "contact search": {
            c["id"] for c in client.get("/api/v1/contacts?q=quill", headers=headers).json()["items"]
        },
    }
    for name in LISTS:
        answer = client.get(f"/api/v1/{name}?limit=500", headers=headers)
        assert answer.status_code == 200, answer.text
        seen[name] = {row["id"] for row in answer.json()["items"]}
    return seen


def _exported(client: Any, headers: dict[str, str]) -> dict[str, str]:
    files = {}
    for kind in EXPORTS:
        answer = client.get(f"/api/v1/exports/{kind}", headers=headers)
        assert answer.status_code == 200, answer.text
        files[kind] = answer.text
    return files


def test_an_archived_account_leaves_lists_search_and_exports_with_its_records_and_returns_whole(
    client, factory: Factory
) -> None:
    am = factory.user("am")
    account = factory.account(name="Zephyr Labs", owner_am_id=am.id, external_id="zephyr")
    contact = factory.contact(account, first_name="Quill", external_id="quill")
    factory.contract(account, external_id="zephyr-2026")
    factory.opportunity(account, external_id="zephyr-upsell")
    factory.activity(account, contact_id=contact.id)
    factory.task(account)
    factory.escalation(account)
    headers = factory.headers(am)
    shown = _visible(client, headers)
    exported = _exported(client, headers)
    assert all(shown.values()), shown
    assert all("zephyr" in text or "quill" in text for text in exported.values())
    account_before = client.get(f"/api/v1/accounts/{account.id}", headers=headers).json()

    assert client.delete(f"/api/v1/accounts/{account.id}", headers=headers).status_code == 200

    assert not any(_visible(client, headers).values())
    for kind, text in _exported(client, headers).items():
        rows = list(csv.DictReader(io.StringIO(text)))
        assert rows == [], (kind, rows)
    # A record of an archived account cannot be restored on its own.
    with factory.db.session() as session:
        session.execute(
            update(Contact).where(Contact.id == contact.id).values(archived_at=datetime.now(UTC))
        )
        session.commit()
    alone = client.post(f"/api/v1/contacts/{contact.id}/restore", headers=headers)
    assert alone.status_code == 409 and "restore the account first" in alone.json()["detail"]

    # 91 days later the account is still there to restore, with everything it owned.
    with factory.db.session() as session:
        session.execute(
            update(Account)
            .where(Account.id == account.id)
            .values(archived_at=datetime.now(UTC) - timedelta(days=91))
        )
        session.commit()
    restored = client.post(f"/api/v1/accounts/{account.id}/restore", headers=headers)
    assert restored.status_code == 200, restored.text
    assert client.post(f"/api/v1/contacts/{contact.id}/restore", headers=headers).status_code == 200
    after = client.get(f"/api/v1/accounts/{account.id}", headers=headers).json()
    changed = {k for k in after if after[k] != account_before[k]}
    assert changed <= {"updated_at"}, changed
    assert _visible(client, headers) == shown
    assert _exported(client, headers) == exported
