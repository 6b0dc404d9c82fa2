"""The access matrix for references in request bodies (issue 19, defect 14).

Every field of every JSON request body that names another record by id is classified: an
account-owned record (checked by the book rule), a user, configuration, or no reference at all.
A new such field fails `test_every_body_reference_is_classified` until someone decides.

For each account-owned reference, an AM sends the operation's valid example body, with every
other reference inside their book, once naming a record of an account outside their book and
once an id that does not exist: both must answer alike (a 4xx, ids aside), and nothing may
change. A decoy renewal opportunity on another book's contract was once created this way.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from sqlalchemy import select

from steward.db import Database
from steward.products.models import Product
from tests.api.test_access_matrix import (
    FIXED,
    MISSING_ID,
    SCHEMA,
    _book_ids,
    _normalised,
    _params,
    example,
)
from tests.factories import Factory
from tests.support.book import World, build_world
from tests.support.digests import fingerprint

# Body fields that name an account-owned record, by the world's resource.
BOOK_REFERENCES = {
    "account_id": "accounts",
    "parent_id": "accounts",
    "merged_ids": None,  # merge duplicates: the merge tests hold the book rule for them
    "contact_id": "contacts",
    "contact_ids": "contacts",
    "contact_owner_id": "contacts",
    "contract_id": "contracts",
    "renewal_of_id": "contracts",
    "outcome_id": "outcomes",
    "supersedes_id": None,  # a line item of the contract in the path (checked below)
}
USER_REFERENCES = {
    "ae_id",
    "assignee_id",
    "csm_id",
    "lead_id",
    "owner_am_id",
    "owner_id",
    "owner_ids",
    "strategist_id",
    "user_id",  # a quota's person: only those who manage them may set it
    "executive_sponsor_id",  # our sponsor on an account plan: any active user
}
CONFIGURATION_REFERENCES = {"product_id", "team_id", "template_id"}
# A saved segment is its owner's and its team's (tests/segments: another's answers 404 in
# reports and exports; a rule, an admin's, may name any segment of the workspace). So is a saved
# report (tests/reports/test_saved_reports.py: another's answers 404 as a dashboard tile).
OWN_RULE_REFERENCES = {"segment_id", "report_id"}
# client_id: a mailbox's OAuth client; slack_user_id: a Slack member ID (whose presses act as whom)
NOT_REFERENCES = {"external_id", "client_id", "slack_user_id"}


def _properties(reference: str, seen: frozenset[str] = frozenset()) -> dict[str, Any]:
    """A body schema's fields, nested objects and lists of objects as dotted paths."""
    components = SCHEMA["components"]["schemas"]
    found: dict[str, Any] = {}
    for name, spec in components[reference.rsplit("/", 1)[-1]].get("properties", {}).items():
        found[name] = spec
        for candidate in [spec, spec.get("items", {}), *spec.get("anyOf", [])]:
            ref = candidate.get("$ref") or candidate.get("items", {}).get("$ref")
            if ref and ref not in seen:
                for inner, inner_spec in _properties(ref, seen | {ref}).items():
                    found[f"{name}.{inner}"] = inner_spec
    return found


def _body_fields() -> list[tuple[str, str, str]]:
    fields = []
    for path, operations in SCHEMA["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            ref = content.get("application/json", {}).get("schema", {}).get("$ref")
            if ref:
                fields += [(method.upper(), path, name) for name in _properties(ref)]
    return fields


REFERENCE_FIELDS = [
    (m, p, f) for m, p, f in _body_fields() if f.rsplit(".", 1)[-1].endswith(("_id", "_ids"))
]


def test_every_body_reference_is_classified() -> None:
    known = (
        set(BOOK_REFERENCES)
        | USER_REFERENCES
        | CONFIGURATION_REFERENCES
        | NOT_REFERENCES
        | OWN_RULE_REFERENCES
    )
    unclassified = sorted(
        f"{m} {p} {f}" for m, p, f in REFERENCE_FIELDS if f.rsplit(".", 1)[-1] not in known
    )
    assert not unclassified, f"decide which access rule guards: {unclassified}"
    assert len(REFERENCE_FIELDS) >= 60


# Operations whose path names a record under an access rule of its own: their domain's tests
# send the out-of-book reference (a review item is visible only to those whose mail holds it).
OWN_RULE_PATHS = {"/api/v1/capture/review/{item_id}": "tests/capture/test_capture_api.py"}
BOOK_FIELDS = [
    (m, p, f)
    for m, p, f in REFERENCE_FIELDS
    if BOOK_REFERENCES.get(f.rsplit(".", 1)[-1]) and p not in OWN_RULE_PATHS
]


def _set(body: dict[str, Any], dotted: str, value: Any) -> None:
    """Sets a dotted field (a list's first element for list fields of objects)."""
    head, _, rest = dotted.partition(".")
    if not rest:
        body[head] = [value] if head.endswith("_ids") else value
        return
    inner = body.get(head)
    if isinstance(inner, list):
        if not inner:
            inner.append({})
        _set(inner[0], rest, value)
    else:
        body[head] = inner if isinstance(inner, dict) else {}
        _set(body[head], rest, value)


def _valid_body(
    world: World, method: str, path: str, user_id: int, product_id: int
) -> dict[str, Any]:
    """The example body with every reference pointing inside account a (the AM's book)."""
    body, _ = example(method, path)
    body = copy.deepcopy(body) if isinstance(body, dict) else {}
    for m, p, field in REFERENCE_FIELDS:
        if (m, p) != (method, path):
            continue
        name = field.rsplit(".", 1)[-1]
        resource = BOOK_REFERENCES.get(name)
        if resource:
            _set(body, field, world.records[resource]["a"])
        elif name in {"owner_id", "owner_am_id", "assignee_id"}:
            _set(body, field, user_id)  # an AM may name themselves
        elif name in USER_REFERENCES and "." not in field:
            body.pop(field, None)
        elif name == "product_id":
            _set(body, field, product_id)
    return body


@pytest.mark.parametrize(("method", "path", "field"), BOOK_FIELDS, ids=lambda v: str(v))
def test_body_references_outside_the_book_answer_as_if_they_did_not_exist(
    client, db: Database, factory: Factory, method: str, path: str, field: str
) -> None:
    world = build_world(factory)
    am = world.users["am_a"]
    headers = factory.headers(am)
    with factory.db.session() as session:
        product_id = session.scalars(select(Product.id)).first()
    resource = BOOK_REFERENCES[field.rsplit(".", 1)[-1]]
    assert resource
    ids = _book_ids(world, path, "a")
    url = path
    for param in _params(path):
        url = url.replace("{" + param + "}", str(ids[param]))
    _, query = example(method, path)
    before = fingerprint(db)

    def send(reference: int) -> Any:
        body = _valid_body(world, method, path, am.id, product_id)
        _set(body, field, reference)
        return client.request(method, url, json=body, params=query, headers=headers)

    missing = send(MISSING_ID)
    assert 400 <= missing.status_code < 500, missing.text
    expected = _normalised(missing, [MISSING_ID])
    hidden_id = world.records[resource]["b"]
    hidden = send(hidden_id)
    numeric = [v for k, v in ids.items() if k not in FIXED]
    assert _normalised(hidden, [hidden_id, *numeric]) == _normalised(
        missing, [MISSING_ID, *numeric]
    ), f"{method} {url} {field}={hidden_id} (account b) answers unlike a missing id"
    assert expected[0] == hidden.status_code
    assert fingerprint(db) == before, "a refused request wrote something"
