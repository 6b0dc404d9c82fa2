"""Grouped revenue holds contracts whose account never had ARR at a month-end (issue 19,
defect 13: a 15-day pilot or a services-only deal made every grouping answer 500)."""

from __future__ import annotations

from datetime import date

import pytest

from steward.revenue.engine import GROUP_BY_VALUES, NO_ARR_COHORT
from tests.factories import PASSWORD, Factory


@pytest.mark.parametrize("by", GROUP_BY_VALUES)
def test_every_grouping_answers_with_pilots_and_services_only_deals(
    client, factory: Factory, by: str
) -> None:
    admin = factory.user("admin")
    headers = factory.headers(admin)
    steady = factory.account(segment="smb", industry="Retail")
    factory.contract(steady, start=date(2026, 1, 1), end=date(2027, 1, 1))
    pilot = factory.account(segment="enterprise", industry="Energy")
    factory.contract(pilot, start=date(2026, 3, 3), end=date(2026, 3, 18))
    services = factory.account(segment="mid_market", industry="Media")
    factory.contract(
        services,
        start=date(2026, 2, 1),
        end=date(2026, 5, 1),
        items=[{"billing_period": "one_time"}],
    )
    response = client.get(
        f"/api/v1/metrics/revenue?from=2026-01&to=2026-06&by={by}", headers=headers
    )
    assert response.status_code == 200, response.text
    groups = {g["group"]: g for g in response.json()["groups"]}
    assert None not in groups
    due = sum(g["renewals"]["due"] for g in groups.values())
    assert due == 2  # the pilot and the services deal ended in range; neither renewed
    if by == "segment":
        assert groups["enterprise"]["renewals"]["due"] == 1
        assert groups["mid_market"]["renewals"]["due"] == 1
    if by == "cohort":
        assert groups[NO_ARR_COHORT]["renewals"]["due"] == 2
    login = {"email": admin.email, "password": PASSWORD}
    assert client.post("/login", data=login, follow_redirects=False).status_code == 303
    page = client.get(f"/revenue?from=2026-01&to=2026-06&by={by}")
    assert page.status_code == 200, page.text
