"""The access matrix (issue 7 §2), over every operation of /openapi.json that takes an id.

Each operation is classified by its path parameters:

- book: the id names an account-owned record. For every role, every record of an account
  outside its book answers exactly what an id that does not exist answers (status and body,
  ids aside), and nothing in the database changes;
- personal: the id names another user's token or notification: the same parity;
- configuration: products, users, teams, scorecards, rules, playbooks, webhooks, sources,
  outbox, onboarding templates: writes by anyone but an admin are refused and change nothing;
- bulk: CSV imports and exports of a kind: exports hold only the book, and import rows that
  name a record outside it are refused row by row as if it did not exist.

A new operation whose parameter is in none of these fails `test_every_operation_is_classified`
until someone decides which rule guards it. Request bodies are Schemathesis's first valid
example for the operation, so a write reaches its handler rather than failing validation.
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
from decimal import Decimal
from functools import cache
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.core import NotSet
from schemathesis.generation import GenerationMode

from steward.app import create_app
from steward.config import Settings
from steward.db import Database
from tests.factories import Factory
from tests.support.book import ALL, EXPECTED, RESOURCES, World, build_world, external_id
from tests.support.digests import fingerprint

# Parameters that name an account-owned record, by the resource they name.
BOOK_PARAMS = {
    "account_id": "accounts",
    "contract_id": "contracts",
    "opportunity_id": "opportunities",
    "escalation_id": "escalations",
    "plan_id": "success-plans",
    "outcome_id": "outcomes",
    "milestone_id": "milestones",
    "share_id": "plan-shares",
    "project_id": "onboarding/projects",
}
# A saved segment, report or dashboard is its owner's (and, when shared, its team's):
# tests/segments/, tests/reports/. A tile is named under its dashboard.
PERSONAL_PARAMS = {
    "token_id",
    "notification_id",
    "segment_id",
    "report_id",
    "dashboard_id",
    "tile_id",
}
# Records with an access rule of their own, held by their domain's tests: a lead is read by its
# owner, its team's lead and those who see all (steward.pipeline.leads.readable;
# tests/pipeline/test_leads.py).
# Capture (tests/capture/test_capture_api.py): a mailbox is its user's (and an admin's); a
# review item is read by those whose mail holds the domain, managers and admins; a team's
# capture limit is set by its lead or an admin.
OWN_RULE_PARAMS = {"lead_id", "mailbox_id", "calendar_id", "destination_id", "item_id", "team_id"}
CONFIGURATION_PARAMS = {
    "scorecard_id",
    "rule_id",
    "playbook_id",
    "endpoint_id",
    "source_id",
    "message_id",
    "template_id",
    "field_id",
}
# Imports and exports of a kind of record: checked by the bulk tests below.
BULK_PARAMS = {"kind"}
CONFIGURATION_COLLECTIONS = {"products", "users", "teams"}
# Non-id parameters and the value every request uses.
FIXED = {"key": "matrix_measure"}
MISSING_ID = 2_000_000_001


# Tables a refused request may touch: the token's last-used stamp is written on every
# authenticated request, refused or not.
def _app_schema() -> dict[str, Any]:
    app = create_app(Settings(data_dir=tempfile.mkdtemp(), secret_key="x"), Database("sqlite://"))
    return app.openapi()


SCHEMA = _app_schema()
OPERATIONS = [
    (method.upper(), path)
    for path, operations in SCHEMA["paths"].items()
    for method in operations
    if "{" in path
]


def _params(path: str) -> list[str]:
    return re.findall(r"{(\w+)}", path)


def _collection(path: str) -> str:
    return path.removeprefix("/api/v1/").split("/{", 1)[0]


def classify(method: str, path: str) -> str | None:
    kinds = set()
    for param in _params(path):
        if param in FIXED:
            continue
        if param == "record_id":
            collection = _collection(path)
            if collection in RESOURCES:
                kinds.add("book")
            elif collection in CONFIGURATION_COLLECTIONS:
                kinds.add("configuration")
            else:
                return None
        elif param in BOOK_PARAMS:
            kinds.add("book")
        elif param in PERSONAL_PARAMS:
            kinds.add("personal")
        elif param in OWN_RULE_PARAMS:
            kinds.add("own rule")
        elif param in CONFIGURATION_PARAMS:
            kinds.add("configuration")
        elif param in BULK_PARAMS:
            kinds.add("bulk")
        else:
            return None
    return kinds.pop() if len(kinds) == 1 else None


def _resource_of(path: str, param: str) -> str:
    return _collection(path) if param == "record_id" else BOOK_PARAMS[param]


@cache
def example(method: str, path: str) -> tuple[Any, dict[str, Any]]:
    """Schemathesis's first valid body and query for the operation (the same every run)."""
    operation = schemathesis.openapi.from_dict(SCHEMA).find_operation_by_label(f"{method} {path}")
    found: list[Any] = []

    @given(case=operation.as_strategy(GenerationMode.POSITIVE))
    @settings(
        max_examples=1,
        derandomize=True,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def draw(case: Any) -> None:
        found.append(case)

    draw()
    case = found[0]
    body = None if isinstance(case.body, NotSet) else case.body
    return body, dict(case.query or {})


def _send(client: Any, method: str, url: str, headers: dict[str, str]) -> Any:
    path = re.sub(r"\?.*", "", url)
    body, query = example(method, _template_of(method, path))
    return client.request(method, url, json=body, params=query, headers=headers)


_TEMPLATES: dict[tuple[str, str], str] = {}


def _template_of(method: str, url: str) -> str:
    return _TEMPLATES[(method, url)]


def _url(path: str, ids: dict[str, Any], method: str) -> str:
    url = path
    for param in _params(path):
        url = url.replace("{" + param + "}", str(ids[param]))
    _TEMPLATES[(method, url)] = path
    return url


def _normalised(response: Any, ids: list[int]) -> tuple[int, str]:
    text = response.text
    for record_id in ids:
        text = re.sub(rf"\b{record_id}\b", "<id>", text)
    return response.status_code, text


def _book_ids(world: World, path: str, key: str) -> dict[str, Any]:
    ids: dict[str, Any] = dict(FIXED)
    for param in _params(path):
        if param not in FIXED:
            ids[param] = world.records[_resource_of(path, param)][key]
    return ids


def _missing_ids(path: str) -> dict[str, Any]:
    return FIXED | {p: MISSING_ID for p in _params(path) if p not in FIXED}


def test_every_operation_is_classified() -> None:
    unclassified = [f"{m} {p}" for m, p in OPERATIONS if classify(m, p) is None]
    assert not unclassified, f"decide which access rule guards: {unclassified}"
    assert sum(classify(m, p) == "book" for m, p in OPERATIONS) >= 50


BOOK_OPERATIONS = [(m, p) for m, p in OPERATIONS if classify(m, p) == "book"]
RESTRICTED = sorted(role for role, book in EXPECTED.items() if book != ALL)


@pytest.mark.parametrize("user", RESTRICTED)
def test_records_outside_the_book_answer_as_if_they_did_not_exist(
    client, db: Database, factory: Factory, user: str
) -> None:
    world = build_world(factory)
    headers = factory.headers(world.users[user])
    before = fingerprint(db)
    checked = 0
    for method, path in BOOK_OPERATIONS:
        missing_ids = _missing_ids(path)
        missing = _send(client, method, _url(path, missing_ids, method), headers)
        assert missing.status_code < 500, f"{method} {path}: {missing.text}"
        expected = _normalised(missing, [MISSING_ID])
        for key in sorted(world.hidden_from(user)):
            ids = _book_ids(world, path, key)
            url = _url(path, ids, method)
            hidden = _send(client, method, url, headers)
            numeric = [v for k, v in ids.items() if k not in FIXED]
            assert _normalised(hidden, numeric) == expected, (
                f"{user} {method} {url} (account {key}) answers differently from a missing id"
            )
            assert hidden.status_code >= 400
            checked += 1
    assert checked >= 50 * len(world.hidden_from(user))
    assert fingerprint(db) == before, "a refused request wrote something"


@pytest.mark.parametrize("user", ["am_a", "ae", "lead_south"])
def test_reads_inside_the_book_reach_the_record(client, factory: Factory, user: str) -> None:
    """The other side of the matrix: the same reads find a record in the book, so the 404s
    above come from the book rule and not from a broken request. (A record may have nothing
    to show yet, such as an account's churn score before the first training, or refuse for
    a rule, such as a plan for a standard-tier account: those answers differ from a missing
    id's.)"""
    world = build_world(factory)
    headers = factory.headers(world.users[user])
    for method, path in BOOK_OPERATIONS:
        if method != "GET":
            continue
        missing = _send(client, method, _url(path, _missing_ids(path), method), headers)
        for key in sorted(EXPECTED[user]):
            ids = _book_ids(world, path, key)
            url = _url(path, ids, method)
            response = _send(client, method, url, headers)
            numeric = [v for k, v in ids.items() if k not in FIXED]
            assert response.status_code < 500, f"{user} {url}: {response.text}"
            assert _normalised(response, numeric) != _normalised(missing, [MISSING_ID]), url


PERSONAL_OPERATIONS = [(m, p) for m, p in OPERATIONS if classify(m, p) == "personal"]


def test_other_users_tokens_and_notifications_answer_as_if_they_did_not_exist(
    client, db: Database, factory: Factory
) -> None:
    world = build_world(factory)
    callers = {user: factory.headers(world.users[user]) for user in ("am_a", "admin")}
    before = fingerprint(db)
    owned = {
        "token_id": world.tokens,
        "notification_id": world.notifications,
        "segment_id": world.segments,
        "report_id": world.reports,
        "dashboard_id": world.dashboards,
    }
    for user, headers in callers.items():
        for method, path in PERSONAL_OPERATIONS:
            # The first parameter names the owned thing; any under it (a tile) is missing.
            param, *under = _params(path)
            rest = {name: MISSING_ID for name in under}
            missing = _send(client, method, _url(path, {param: MISSING_ID} | rest, method), headers)
            assert missing.status_code == 404, missing.text
            for other, record_id in owned[param].items():
                if other == user:
                    continue
                url = _url(path, {param: record_id} | rest, method)
                response = _send(client, method, url, headers)
                assert _normalised(response, [record_id]) == _normalised(missing, [MISSING_ID])
    assert fingerprint(db) == before


CONFIGURATION_WRITES = [
    (m, p) for m, p in OPERATIONS if classify(m, p) == "configuration" and m != "GET"
]


@pytest.mark.parametrize("user", sorted(set(EXPECTED) - {"admin"}))
def test_only_admins_change_configuration(
    client, db: Database, factory: Factory, user: str
) -> None:
    world = build_world(factory)
    headers = factory.headers(world.users[user])
    existing = {
        "users": world.users["am_b"].id,
        "teams": world.users["am_b"].team_id,
        "products": None,
    }
    before = fingerprint(db)
    for method, path in CONFIGURATION_WRITES:
        ids: dict[str, Any] = {}
        for param in _params(path):
            if param == "record_id":
                ids[param] = existing[_collection(path)] or MISSING_ID
            else:
                ids[param] = MISSING_ID
        url = _url(path, ids, method)
        response = _send(client, method, url, headers)
        assert response.status_code in {403, 404}, f"{user} {method} {url}: {response.text}"
    assert fingerprint(db) == before, "a refused request wrote something"


BULK_OPERATIONS = [(m, p) for m, p in OPERATIONS if classify(m, p) == "bulk"]
EXPORT_KINDS = ["accounts", "contacts", "contracts", "opportunities"]


def _owners(csv_text: str) -> set[str]:
    """The external ids of the exported records and of the accounts they belong to. (A
    subsidiary's parent is named by its external id even outside the book, as a CRM's lookup
    field shows the parent's name: the hierarchy must survive a round trip.)"""
    rows = list(csv.DictReader(io.StringIO(csv_text)))
    return {row[c] for row in rows for c in ("external_id", "account_external_id") if c in row}


@pytest.mark.parametrize("user", RESTRICTED)
def test_exports_hold_only_the_book(client, factory: Factory, user: str) -> None:
    assert {p for _, p in BULK_OPERATIONS} == {"/api/v1/imports/{kind}", "/api/v1/exports/{kind}"}
    world = build_world(factory)
    headers = factory.headers(world.users[user])
    for kind in EXPORT_KINDS:
        response = client.get(f"/api/v1/exports/{kind}", headers=headers)
        assert response.status_code == 200, response.text
        cells = _owners(response.text)
        for key in world.hidden_from(user):
            assert external_id("account", key) not in cells, f"{user} exported {kind} of {key}"
            assert external_id("contact", key) not in cells, f"{user} exported {kind} of {key}"
        for key in EXPECTED[user]:
            assert external_id("account", key) in cells, f"{user} misses {kind} of {key}"


def _import(client: Any, kind: str, rows: list[list[str]], headers: dict[str, str]) -> Any:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    response = client.post(
        f"/api/v1/imports/{kind}",
        files={"file": (f"{kind}.csv", out.getvalue().encode())},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("user", RESTRICTED)
def test_import_rows_naming_records_outside_the_book_are_refused_row_by_row(
    client, db: Database, factory: Factory, user: str
) -> None:
    world = build_world(factory)
    headers = factory.headers(world.users[user])
    hidden = sorted(world.hidden_from(user))
    before = fingerprint(db)
    # A new contact at an account outside the book: refused exactly as at an unknown account.
    rows = [["external_id", "account_external_id", "first_name", "last_name"]]
    rows += [[f"new:{key}", external_id("account", key), "Ann", "Lee"] for key in hidden]
    rows += [["new:missing", "account:missing", "Ann", "Lee"]]
    report = _import(client, "contacts", rows, headers)
    assert report["created"] == 0 and len(report["errors"]) == len(hidden) + 1
    messages = {
        error["message"].replace(external_id("account", key), "<id>")
        for error, key in zip(report["errors"], [*hidden, "missing"], strict=True)
    }
    assert len(messages) == 1, messages
    # Updating a record outside the book by its external id. External ids are unique across
    # the workspace, so refusing it cannot look like "unknown": the row says it is not yours.
    for kind, field in (("contacts", "title"), ("accounts", "industry")):
        rows = [["external_id", "account_external_id", "name", field]]
        rows += [[external_id(kind[:-1], k), "", "", "Changed"] for k in hidden]
        report = _import(client, kind, rows, headers)
        assert report["updated"] == 0 and len(report["errors"]) == len(hidden), report
        assert all("outside your book" in error["message"] for error in report["errors"])
    assert fingerprint(db) == before, "a refused import row wrote something"


LIST_READS = [
    path
    for path, operations in SCHEMA["paths"].items()
    if "get" in operations and "{" not in path and path.startswith("/api/v1/")
]
# Names a response must never carry, for anyone: secrets and their hashes.
SECRET_KEYS = {"password_hash", "token_hash", "secret_hash", "write_key_hash", "password"}


def _keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


@pytest.mark.parametrize("user", RESTRICTED)
def test_lists_searches_and_reports_name_only_the_book(client, factory: Factory, user: str) -> None:
    """Every list, search and report (renewals, risk, CLTV, milestones, rule runs, survey
    responses, My Day, …): no account outside the book is named, and no secret is sent."""
    assert len(LIST_READS) >= 30
    world = build_world(factory)
    headers = factory.headers(world.users[user])
    hidden = world.hidden_from(user)
    hidden_names = [f'"{world.accounts[key].name}"' for key in hidden]
    hidden_ids = [external_id("account", key) for key in hidden]
    for path in LIST_READS:
        _, query = example("GET", path)
        responses = [client.get(path, params=query, headers=headers)]
        if path.endswith("/contacts") or path == "/api/v1/accounts":
            # Searching for a hidden record by name finds nothing.
            responses += [
                client.get(path, params={"q": world.accounts[k].name}, headers=headers)
                for k in hidden
            ]
        for response in responses:
            assert response.status_code < 500, f"{path}: {response.text}"
            if response.status_code != 200:
                assert response.status_code in {403, 422}, f"{path}: {response.text}"
                continue
            text = response.text
            leaked = [n for n in hidden_names + hidden_ids if n in text]
            assert not leaked, f"{user} GET {response.url} names {leaked}"
            if response.headers["content-type"].startswith("application/json"):
                assert not _keys(response.json()) & SECRET_KEYS, path
    # The scan can see a name: the book's own accounts are named in the same lists.
    book = client.get("/api/v1/accounts", params={"limit": 1000}, headers=headers).text
    assert all(f'"{world.accounts[key].name}"' in book for key in EXPECTED[user])


@pytest.mark.parametrize("user", RESTRICTED)
def test_revenue_metrics_add_up_only_the_book(client, factory: Factory, user: str) -> None:
    world = build_world(factory)
    headers = factory.headers(world.users[user])
    report = client.get("/api/v1/metrics/revenue", headers=headers)
    assert report.status_code == 200, report.text
    end_arr = sum(Decimal(g["waterfall"]["end_arr"]) for g in report.json()["groups"])
    # Every world account has one contract of 10 seats at 600.00 a year.
    assert end_arr == Decimal(6000) * len(EXPECTED[user])
