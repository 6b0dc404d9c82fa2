"""Merging duplicate accounts and contacts (issue 7 §6): every related record moves to the
survivor in one transaction, the merged-away ids keep resolving, the audit log has it all."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from steward.account360.merge import DERIVED_TABLES, moved_columns
from steward.accounts.models import Account, AccountAncestor
from steward.analytics.store import accounts_input
from steward.contacts.models import Contact
from steward.core.audit import AuditEvent
from steward.core.merging import referencing_columns
from steward.health.models import AccountMeasure, HealthScore, HealthScorecard
from steward.plans.models import AccountPlan, AccountPlanGoal
from steward.surveys.models import Survey, SurveyInvitation, SurveyResponse
from tests.factories import Factory
from tests.support.digests import fingerprint
from tests.support.killed import WRITES, run_killed_at


def _duplicates(factory: Factory, am: Any) -> dict[str, Any]:
    """A survivor and two duplicates, each with records of every kind."""
    survivor = factory.account(name="Acme", owner_am_id=am.id, external_id="crm-acme")
    first = factory.account(
        name="ACME Inc", owner_am_id=am.id, external_id="crm-acme-2", domain="acme.example"
    )
    second = factory.account(name="Acme (old)", owner_am_id=am.id, industry="Retail")
    child = factory.account(name="Acme Europe", owner_am_id=am.id, parent_id=second.id)
    survey = factory._save(Survey(kind="nps", name="NPS", question="Recommend us?"))
    scorecard = factory._save(HealthScorecard(key="default", name="Default", definition="{}"))
    for account in (survivor, first, second):
        contact = factory.contact(account)
        factory.contract(account)
        factory.opportunity(account)
        factory.activity(account, contact_id=contact.id)
        factory.task(account)
        factory.escalation(account, contact_id=contact.id)
        invitation = factory._save(
            SurveyInvitation(
                survey_id=survey.id,
                account_id=account.id,
                contact_id=contact.id,
                token_hash=secrets.token_hex(32),
                expires_at=datetime.now(UTC) + timedelta(days=30),
            )
        )
        factory._save(
            SurveyResponse(
                survey_id=survey.id,
                invitation_id=invitation.id,
                account_id=account.id,
                contact_id=contact.id,
                kind="nps",
                score=9,
            )
        )
        factory._save(
            HealthScore(
                account_id=account.id,
                scorecard_id=scorecard.id,
                as_of=date.today(),
                score=70.0,
                band="green",
                components="[]",
                explanation="",
            )
        )
        factory._save(
            AccountMeasure(account_id=account.id, key="seats_used", value=5, as_of=date.today())
        )
    factory._save(
        AccountMeasure(account_id=first.id, key="seats_used", value=3, as_of=date(2026, 1, 1))
    )
    plan = factory._save(AccountPlan(account_id=first.id, strategy="Land the EU team"))
    factory._save(AccountPlanGoal(plan_id=plan.id, title="Expand to 50 seats"))
    factory._save(AccountPlanGoal(plan_id=plan.id, title="Sign the DPA"))
    return {"survivor": survivor, "first": first, "second": second, "child": child}


def _count(factory: Factory, model: Any, *where: Any) -> int:
    with factory.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def test_merging_two_duplicates_moves_everything_to_the_survivor(client, factory: Factory) -> None:
    am = factory.user("am")
    world = _duplicates(factory, am)
    survivor, first, second = world["survivor"], world["first"], world["second"]
    merged = [first.id, second.id]
    headers = factory.headers(am)
    arr_before = sum(
        Decimal(str(client.get(f"/api/v1/accounts/{a.id}", headers=headers).json()["arr"]))
        for a in (survivor, first, second)
    )

    answer = client.post(
        f"/api/v1/accounts/{survivor.id}/merge", json={"merged_ids": merged}, headers=headers
    )

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["merged_ids"] == merged
    kept = body["survivor"]
    # Blank fields took the duplicates' values; its own stayed.
    assert (kept["name"], kept["domain"], kept["industry"]) == ("Acme", "acme.example", "Retail")
    assert Decimal(str(kept["arr"])) == arr_before
    for table in ("contacts", "contracts", "opportunities", "activities", "tasks", "escalations"):
        assert body["moved"][table] == 2, table
    assert body["moved"]["survey_invitations"] == 2 and body["moved"]["survey_responses"] == 2
    # Nothing outside the computed history names a merged-away account any more.
    with factory.db.session() as session:
        for column in moved_columns():
            left = session.scalar(
                select(func.count()).select_from(column.table).where(column.in_(merged))
            )
            assert left == 0, f"{column.table.name}.{column.name}"
        # Per-day history stays with the account it was computed for.
        assert (
            session.scalar(
                select(func.count())
                .select_from(HealthScore)
                .where(HealthScore.account_id.in_(merged))
            )
            == 2
        )
        # The child account now hangs under the survivor, closure table included.
        child = session.get(Account, world["child"].id)
        assert child is not None and child.parent_id == survivor.id
        assert (
            session.scalar(
                select(AccountAncestor.depth).where(
                    AccountAncestor.account_id == child.id,
                    AccountAncestor.ancestor_id == survivor.id,
                )
            )
            == 1
        )
        assert (
            session.scalar(
                select(func.count())
                .select_from(AccountAncestor)
                .where(
                    AccountAncestor.account_id == child.id, AccountAncestor.ancestor_id == second.id
                )
            )
            == 0
        )
        # One plan: the duplicate's moved (the survivor had none), goals with it.
        plan = session.scalar(select(AccountPlan).where(AccountPlan.account_id == survivor.id))
        assert plan is not None and plan.strategy == "Land the EU team"
        assert (
            session.scalar(
                select(func.count())
                .select_from(AccountPlanGoal)
                .where(AccountPlanGoal.plan_id == plan.id)
            )
            == 2
        )
        # Measures: the survivor's value for a day stands; the other day moves.
        measures = session.execute(
            select(AccountMeasure.account_id, AccountMeasure.as_of, AccountMeasure.value)
            .where(AccountMeasure.key == "seats_used")
            .order_by(AccountMeasure.id)
        ).all()
        assert (survivor.id, date.today(), 5.0) in measures
        assert (survivor.id, date(2026, 1, 1), 3.0) in measures
        for account_id in merged:
            gone = session.get(Account, account_id)
            assert gone is not None
            assert gone.merged_into_id == survivor.id and gone.archived_at is not None
        # The audit log: the survivor, each merged-away account, and every moved row.
        actions = session.execute(
            select(AuditEvent.entity_type, func.count())
            .where(AuditEvent.action == "merge")
            .group_by(AuditEvent.entity_type)
        ).all()
    audited = dict(actions)
    assert audited["accounts"] == 4  # survivor, 2 merged away, the adopted child
    assert audited["contacts"] == 2 and audited["tasks"] == 2
    listed = client.get("/api/v1/accounts?limit=100", headers=headers).json()
    assert {a["id"] for a in listed["items"]} == {survivor.id, world["child"].id}


def test_merged_away_ids_resolve_to_the_survivor(client, factory: Factory) -> None:
    am = factory.user("am")
    survivor = factory.account(owner_am_id=am.id)
    duplicate = factory.account(owner_am_id=am.id, external_id="crm-dup", domain="dup.example")
    contact = factory.contact(duplicate, email="pat@dup.example")
    headers = factory.headers(am)
    assert (
        client.post(
            f"/api/v1/accounts/{survivor.id}/merge",
            json={"merged_ids": [duplicate.id]},
            headers=headers,
        ).status_code
        == 200
    )
    moved = client.get(f"/api/v1/accounts/{duplicate.id}", headers=headers, follow_redirects=False)
    assert moved.status_code == 308
    assert moved.headers["Location"] == f"/api/v1/accounts/{survivor.id}"
    assert moved.json()["merged_into_id"] == survivor.id
    followed = client.get(f"/api/v1/accounts/{duplicate.id}", headers=headers)
    assert followed.status_code == 200 and followed.json()["id"] == survivor.id
    # The contact that moved keeps its own id.
    assert (
        client.get(f"/api/v1/contacts/{contact.id}", headers=headers).json()["account_id"]
        == survivor.id
    )
    # The duplicate's external id and domain now count the product usage for the survivor.
    keys = [row for row in accounts_input(factory.db, date.today()).to_pylist()]
    assert {"account_id": survivor.id, "external_id": "crm-dup", "domain": "dup.example"} in [
        {k: r[k] for k in ("account_id", "external_id", "domain")} for r in keys
    ]
    # Imports naming the old external id land on the survivor.
    csv = "external_id,account_external_id,first_name,last_name\nc-9,crm-dup,Lee,Park\n"
    imported = client.post(
        "/api/v1/imports/contacts",
        files={"file": ("contacts.csv", csv, "text/csv")},
        headers=headers,
    )
    assert imported.status_code == 200, imported.text
    assert (
        _count(factory, Contact, Contact.external_id == "c-9", Contact.account_id == survivor.id)
        == 1
    )


def test_a_merge_chain_resolves_in_one_step(client, factory: Factory) -> None:
    am = factory.user("am")
    a, b, c = (factory.account(owner_am_id=am.id) for _ in range(3))
    headers = factory.headers(am)
    for survivor, merged in ((b, a), (c, b)):
        assert (
            client.post(
                f"/api/v1/accounts/{survivor.id}/merge",
                json={"merged_ids": [merged.id]},
                headers=headers,
            ).status_code
            == 200
        )
    with factory.db.session() as session:
        first = session.get(Account, a.id)
        assert first is not None and first.merged_into_id == c.id
    answer = client.get(f"/api/v1/accounts/{a.id}", headers=headers, follow_redirects=False)
    assert answer.headers["Location"] == f"/api/v1/accounts/{c.id}"


def test_merges_that_cannot_be_done_are_refused_and_change_nothing(
    client, factory: Factory
) -> None:
    am, other = factory.user("am"), factory.user("am")
    survivor = factory.account(owner_am_id=am.id)
    duplicate = factory.account(owner_am_id=am.id)
    outside = factory.account(owner_am_id=other.id)
    parent = factory.account(owner_am_id=am.id)
    kid = factory.account(owner_am_id=am.id, parent_id=parent.id)
    archived = factory.account(owner_am_id=am.id, archived_at=datetime.now(UTC))
    headers = factory.headers(am)
    before = fingerprint(factory.db)

    def merge(into: int, ids: Any, **extra: Any) -> Any:
        return client.post(
            f"/api/v1/accounts/{into}/merge", json={"merged_ids": ids}, headers=headers, **extra
        )

    for ids, field_says in (
        ([], "at least 1"),
        ([survivor.id], "cannot be merged away"),
        ([duplicate.id, duplicate.id], "same id twice"),
        ([outside.id], f"no account with id {outside.id}"),
        ([1, 2, 3, 4, 5], "at most 4"),
    ):
        answer = merge(survivor.id, ids)
        assert answer.status_code == 422, answer.text
        assert "merged_ids" in answer.text and field_says in answer.text, answer.text
    assert merge(parent.id, [kid.id]).status_code == 422
    assert merge(outside.id, [duplicate.id]).status_code == 404
    assert merge(survivor.id, [archived.id]).status_code == 409
    assert fingerprint(factory.db) == before
    assert merge(survivor.id, [duplicate.id]).status_code == 200
    assert fingerprint(factory.db) != before
    # Once merged: a second merge of it, a restore and an edit all answer 409.
    assert merge(survivor.id, [duplicate.id]).status_code == 409
    restore = client.post(f"/api/v1/accounts/{duplicate.id}/restore", headers=headers)
    assert restore.status_code == 409 and "merged into" in restore.json()["detail"]
    edit = client.patch(f"/api/v1/accounts/{duplicate.id}", json={"name": "X"}, headers=headers)
    assert edit.status_code == 409


def test_a_merge_against_an_older_version_of_the_survivor_answers_409(
    client, factory: Factory
) -> None:
    am = factory.user("am")
    survivor, duplicate = factory.account(owner_am_id=am.id), factory.account(owner_am_id=am.id)
    headers = factory.headers(am)
    tag = client.get(f"/api/v1/accounts/{survivor.id}", headers=headers).headers["ETag"]
    client.patch(f"/api/v1/accounts/{survivor.id}", json={"industry": "Tech"}, headers=headers)
    before = fingerprint(factory.db)
    stale = client.post(
        f"/api/v1/accounts/{survivor.id}/merge",
        json={"merged_ids": [duplicate.id]},
        headers=headers | {"If-Match": tag},
    )
    assert stale.status_code == 409
    assert fingerprint(factory.db) == before


def test_merging_duplicate_contacts(client, factory: Factory) -> None:
    am = factory.user("am")
    account = factory.account(owner_am_id=am.id)
    other_account = factory.account(owner_am_id=am.id)
    survivor = factory.contact(account, email=None, title="CTO")
    first = factory.contact(account, email="pat@acme.example")
    second = factory.contact(account, phone="+1 555 0100")
    stranger = factory.contact(other_account)
    for contact in (survivor, first, second):
        factory.activity(account, contact_id=contact.id)
        factory.escalation(account, contact_id=contact.id)
    headers = factory.headers(am)
    wrong = client.post(
        f"/api/v1/contacts/{survivor.id}/merge",
        json={"merged_ids": [stranger.id]},
        headers=headers,
    )
    assert wrong.status_code == 422 and "another account" in wrong.text

    answer = client.post(
        f"/api/v1/contacts/{survivor.id}/merge",
        json={"merged_ids": [first.id, second.id]},
        headers=headers,
    )

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["moved"] == {"activities": 2, "escalations": 2}
    kept = body["survivor"]
    assert (kept["email"], kept["phone"], kept["title"]) == (
        "pat@acme.example",
        "+1 555 0100",
        "CTO",
    )
    moved = client.get(f"/api/v1/contacts/{first.id}", headers=headers, follow_redirects=False)
    assert (
        moved.status_code == 308 and moved.headers["Location"] == f"/api/v1/contacts/{survivor.id}"
    )
    listed = client.get(f"/api/v1/contacts?account_id={account.id}", headers=headers).json()
    assert [c["id"] for c in listed["items"]] == [survivor.id]
    restore = client.post(f"/api/v1/contacts/{second.id}/restore", headers=headers)
    assert restore.status_code == 409


MERGE = (
    """
from steward.account360.merge import merge_accounts
from steward.app import assemble
from steward.core.principal import Principal, read_as
from steward.db import Database
from steward.users.models import User

assemble()
db = Database(sys.argv[2])
with db.session() as session:
    principal = Principal.of(session.get(User, int(sys.argv[3])))
    read_as(session, principal)
    merge_accounts(session, principal, int(sys.argv[4]), [int(i) for i in sys.argv[5:]])
    session.commit()
"""
    + WRITES
)


@pytest.mark.parametrize("killed_at", [1, 8, 25, 10_000])
def test_a_merge_killed_midway_is_all_or_nothing(factory: Factory, killed_at: int) -> None:
    am = factory.user("am")
    world = _duplicates(factory, am)
    merged = [world["first"].id, world["second"].id]
    before = fingerprint(factory.db)
    child = run_killed_at(
        killed_at,
        MERGE,
        factory.db.url,
        str(am.id),
        str(world["survivor"].id),
        *map(str, merged),
    )
    factory.db.engine.dispose()
    if child.returncode == 9:
        assert fingerprint(factory.db) == before  # untouched
        return
    assert child.returncode == 0 and "writes" in child.stdout, child.stderr
    assert killed_at == 10_000  # the merge ran to its end only when never killed
    writes = int(child.stdout.split()[-1])
    assert writes > 25, writes  # so the other cases stop it midway
    with factory.db.session() as session:
        for column in moved_columns():
            assert not session.scalar(
                select(func.count()).select_from(column.table).where(column.in_(merged))
            )


def test_every_table_that_names_an_account_is_moved_or_named_as_kept() -> None:
    """A table added later moves with a merge unless it is listed as per-day history."""
    names = {c.table.name for c in referencing_columns("accounts")}
    assert names >= DERIVED_TABLES
    assert {"contacts", "tasks", "survey_responses", "outbound_messages"} <= {
        c.table.name for c in moved_columns()
    }
