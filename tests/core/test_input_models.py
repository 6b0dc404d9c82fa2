"""Request bodies: true/false is never read as a number (Pydantic's lax mode reads `true` as
1; the API fuzzer found a rule stored with `"days": true` as a one-day trigger)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import Factory

RULE = {"key": "quiet", "name": "Quiet accounts", "actions": [{"type": "notify"}]}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**RULE, "trigger": {"type": "no_touch", "days": True}}, "trigger.days"),
        ({**RULE, "trigger": {"type": "usage_drop", "percent": False}}, "trigger.percent"),
    ],
)
def test_a_boolean_for_a_number_is_a_422_naming_the_field(
    client: Any, factory: Factory, body: dict[str, Any], field: str
) -> None:
    headers = factory.headers(factory.user("admin"))
    for path in ("/api/v1/rules", "/api/v1/rules/dry-run"):
        answer = client.post(path, json=body, headers=headers)
        assert answer.status_code == 422, answer.text
        assert answer.json()["errors"][0]["field"] == field, answer.json()
    fine = {**RULE, "trigger": {"type": "no_touch", "days": 30}}
    assert client.post("/api/v1/rules", json=fine, headers=headers).status_code == 201


def test_true_and_false_still_answer_boolean_and_open_fields(client: Any, factory: Factory) -> None:
    headers = factory.headers(factory.user("admin"))
    made = client.post(
        "/api/v1/custom-fields",
        json={
            "entity": "account",
            "key": "sponsor",
            "label": "Exec sponsor",
            "type": "boolean",
            "default": True,
            "required": False,
        },
        headers=headers,
    )
    assert made.status_code == 201, made.text
    assert made.json()["default"] is True and made.json()["required"] is False
