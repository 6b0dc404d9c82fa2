"""The report builder (issue 25 §3): a measure's figures are its engine's, the book rule holds,
custom fields and segments group and filter account measures, and bad requests name the field."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import update

from steward.accounts.models import Account
from steward.users.models import Team
from tests.factories import Factory

PERIOD = {"from": "2026-01", "to": "2026-10"}


def _book(factory: Factory, team: Team | None = None) -> dict[str, Any]:
    """Two AMs' customers with renewals, a churn and an expansion in 2026."""
    am1, am2 = factory.user("am", team=team), factory.user("am", team=team)
    a = factory.account(name="Renews bigger", owner_am_id=am1.id, tier="key")
    b = factory.account(name="Churns", owner_am_id=am1.id, tier="standard")
    c = factory.account(name="Steady", owner_am_id=am2.id, tier="key")
    first = factory.contract(
        a,
        start=date(2025, 3, 1),
        end=date(2026, 3, 1),
        items=[{"quantity": 10, "unit_price_minor": 100_000}],
    )
    factory.contract(
        a,
        start=date(2026, 3, 1),
        end=date(2027, 3, 1),
        renewal_of_id=first.id,
        items=[{"quantity": 14, "unit_price_minor": 100_000}],
    )
    factory.contract(
        b,
        start=date(2025, 4, 1),
        end=date(2026, 4, 1),
        items=[{"quantity": 5, "unit_price_minor": 100_000}],
    )
    factory.contract(
        c,
        start=date(2025, 6, 1),
        end=date(2027, 6, 1),
        items=[{"quantity": 8, "unit_price_minor": 100_000}],
    )
    return {"am1": am1, "am2": am2, "a": a, "b": b, "c": c}


def _run(client: Any, headers: dict[str, str], **body: Any) -> Any:
    return client.post("/api/v1/reports/run", json=body, headers=headers)


@pytest.mark.parametrize("reader", ["vp", "am1"])
def test_nrr_by_owner_equals_the_revenue_pages(client, factory: Factory, reader: str) -> None:
    world = _book(factory)
    user = factory.user("vp") if reader == "vp" else world["am1"]
    headers = factory.headers(user)
    page = client.get(
        "/api/v1/metrics/revenue?by=owner&from=2026-01&to=2026-10", headers=headers
    ).json()
    expected = {g["group"]: g["retention"]["nrr"] for g in page["groups"] if g["retention"]}
    for measure, figure in (("nrr", "nrr"), ("grr", "grr"), ("logo_retention", "logo_retention")):
        answer = _run(client, headers, measure=measure, group_by=["owner"], **PERIOD)
        assert answer.status_code == 200, answer.text
        got = {r["dimensions"]["owner"]: r["value"] for r in answer.json()["rows"]}
        wanted = {g["group"]: g["retention"][figure] for g in page["groups"] if g["retention"]}
        assert {k: v for k, v in got.items() if v is not None} == wanted, measure
    nrr = {
        r["dimensions"]["owner"]: r["value"]
        for r in _run(client, headers, measure="nrr", group_by=["owner"], **PERIOD).json()["rows"]
    }
    assert nrr[world["am1"].full_name] == expected[world["am1"].full_name]
    # am1's customers: 1,000,000/yr and 500,000/yr at the start; 1,400,000 at the end.
    assert nrr[world["am1"].full_name] == pytest.approx(1_400_000 / 1_500_000)
    if reader == "am1":  # the book rule: another AM's customers are not in an AM's reports
        assert set(nrr) == {world["am1"].full_name}
    else:
        assert set(nrr) == {world["am1"].full_name, world["am2"].full_name}
    arr = _run(client, headers, measure="arr", group_by=["owner", "month"], **PERIOD).json()
    months = {(r["dimensions"]["owner"], r["dimensions"]["month"]): r["value"] for r in arr["rows"]}
    assert months[(world["am1"].full_name, "2026-10")] == 14_000.0
    assert arr["from"] == "2026-01" and arr["to"] == "2026-10"
    # By quarter: each quarter's end in the period (Q4 ends, for now, with October).
    quarters = _run(client, headers, measure="arr", group_by=["owner", "quarter"], **PERIOD).json()
    ends = {
        (r["dimensions"]["owner"], r["dimensions"]["quarter"]): r["value"] for r in quarters["rows"]
    }
    for quarter, last in (("2026-Q1", "2026-03"), ("2026-Q2", "2026-06"), ("2026-Q4", "2026-10")):
        assert ends[(world["am1"].full_name, quarter)] == months[(world["am1"].full_name, last)]


def test_account_measures_group_by_custom_fields_and_filter_by_segment(
    client, factory: Factory
) -> None:
    world = _book(factory)
    admin = factory.user("admin")
    client.post(
        "/api/v1/custom-fields",
        json={
            "entity": "account",
            "key": "region",
            "label": "Region",
            "type": "picklist",
            "options": ["EMEA", "AMER"],
        },
        headers=factory.headers(admin),
    )
    for key, region in (("a", "EMEA"), ("b", "EMEA"), ("c", "AMER")):
        client.patch(
            f"/api/v1/accounts/{world[key].id}",
            json={"custom_fields": {"region": region}},
            headers=factory.headers(admin),
        )
    am1 = factory.headers(world["am1"])
    counts = _run(client, am1, measure="accounts", group_by=["cf.region", "tier"]).json()
    assert [(r["dimensions"], r["value"]) for r in counts["rows"]] == [
        ({"cf.region": "EMEA", "tier": "key"}, 1.0),
        ({"cf.region": "EMEA", "tier": "standard"}, 1.0),
    ]  # the AMER account is another AM's: not counted
    vp = factory.headers(factory.user("vp"))
    everyone = _run(client, vp, measure="accounts", group_by=["cf.region"]).json()["rows"]
    by_region = {r["dimensions"]["cf.region"]: r["value"] for r in everyone}
    assert by_region["AMER"] == 1.0 and by_region["EMEA"] == 2.0
    segment = client.post(
        "/api/v1/segments",
        json={"name": "Key", "filters": {"tier": "key"}},
        headers=vp,
    ).json()
    key_only = _run(
        client, vp, measure="accounts", group_by=["cf.region"], segment_id=segment["id"]
    ).json()["rows"]
    in_key = {r["dimensions"]["cf.region"]: r["value"] for r in key_only}
    assert in_key["AMER"] == 1.0 and in_key["EMEA"] == 1.0
    # ARR today equals My Book's figure for the same book.
    arr_today = _run(client, am1, measure="arr_today").json()["rows"]
    listed = client.get("/api/v1/accounts?limit=500", headers=am1).json()["items"]
    assert arr_today[0]["value"] == pytest.approx(sum(float(a["arr"]) for a in listed))


REVENUE_MEASURES = ("arr", "nrr", "grr", "logo_retention", "renewals_due", "renewed")


@pytest.mark.parametrize("reader", ["vp", "am1"])
def test_revenue_measures_by_custom_field_and_segment_equal_the_revenue_pages(
    client, factory: Factory, reader: str
) -> None:
    """The revenue engine grouped by a custom field, or narrowed to a segment, is the Revenue
    page's figure of the same accounts: here a region that follows the tier, so by region
    must equal the page's by tier. A child account's revenue rolls up to its parent (the
    revenue unit) and counts under the parent's region, as it counts under its tier."""
    world = _book(factory)
    child = factory.account(name="Child", owner_am_id=world["am1"].id, parent_id=world["a"].id)
    factory.contract(
        child,
        start=date(2025, 9, 1),
        end=date(2026, 9, 1),
        items=[{"quantity": 3, "unit_price_minor": 100_000}],
    )
    admin = factory.user("admin")
    answer = client.post(
        "/api/v1/custom-fields",
        json={"entity": "account", "key": "region", "label": "Region", "type": "text"},
        headers=factory.headers(admin),
    )
    assert answer.status_code == 201, answer.text
    region_of_tier = {"key": "North", "standard": "South"}
    for key in ("a", "b", "c"):
        region = region_of_tier[world[key].tier]
        client.patch(
            f"/api/v1/accounts/{world[key].id}",
            json={"custom_fields": {"region": region}},
            headers=factory.headers(admin),
        )
    client.patch(  # the child's own region does not move its revenue out of its unit
        f"/api/v1/accounts/{child.id}",
        json={"custom_fields": {"region": "Elsewhere"}},
        headers=factory.headers(admin),
    )
    # A key customer that left in May and was archived: its revenue was real, so the Revenue
    # page counts it, and so must a segment of key accounts.
    gone = factory.account(name="Gone", owner_am_id=world["am1"].id, tier="key")
    factory.contract(
        gone,
        start=date(2025, 5, 1),
        end=date(2026, 5, 1),
        items=[{"quantity": 2, "unit_price_minor": 100_000}],
    )
    client.patch(
        f"/api/v1/accounts/{gone.id}",
        json={"custom_fields": {"region": "North"}},
        headers=factory.headers(admin),
    )
    with factory.db.session() as session:
        session.execute(
            update(Account).where(Account.id == gone.id).values(archived_at=datetime.now(UTC))
        )
    user = factory.user("vp") if reader == "vp" else world["am1"]
    headers = factory.headers(user)
    page = client.get(
        "/api/v1/metrics/revenue?by=tier&from=2026-01&to=2026-10", headers=headers
    ).json()
    by_tier = {region_of_tier[g["group"]]: g for g in page["groups"]}
    figure = {
        "arr": lambda g: float(g["waterfall"]["end_arr"]),
        "nrr": lambda g: g["retention"] and g["retention"]["nrr"],
        "grr": lambda g: g["retention"] and g["retention"]["grr"],
        "logo_retention": lambda g: g["retention"] and g["retention"]["logo_retention"],
        "renewals_due": lambda g: g["renewals"]["due"],
        "renewed": lambda g: g["renewals"]["renewed"],
    }
    for measure in REVENUE_MEASURES:
        answer = _run(client, headers, measure=measure, group_by=["cf.region"], **PERIOD)
        assert answer.status_code == 200, answer.text
        got = {r["dimensions"]["cf.region"]: r["value"] for r in answer.json()["rows"]}
        wanted = {region: figure[measure](g) for region, g in by_tier.items()}
        assert got == pytest.approx(wanted), measure
    assert "Elsewhere" not in got
    segment = client.post(
        "/api/v1/segments", json={"name": "Key", "filters": {"tier": "key"}}, headers=headers
    ).json()
    for measure in REVENUE_MEASURES:
        answer = _run(client, headers, measure=measure, segment_id=segment["id"], **PERIOD)
        assert answer.status_code == 200, answer.text
        [row] = answer.json()["rows"]
        assert row["value"] == pytest.approx(figure[measure](by_tier["North"])), measure
    # Both at once: the segment's units, grouped by region.
    both = _run(
        client, headers, measure="arr", group_by=["cf.region"], segment_id=segment["id"], **PERIOD
    ).json()["rows"]
    assert {r["dimensions"]["cf.region"] for r in both} == {"North"}
    if reader == "am1":  # the book rule: am2's key account is not in am1's figures
        # a's renewal only: the child's contract ended in August, Steady is am2's.
        assert float(by_tier["North"]["waterfall"]["end_arr"]) == 14_000.0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"measure": "profit"}, "measure"),
        ({"measure": "nrr", "group_by": ["colour"]}, "group_by"),
        ({"measure": "nrr", "group_by": ["owner", "tier"]}, "group_by"),
        ({"measure": "accounts", "group_by": ["tier", "tier"]}, "group_by"),
        ({"measure": "accounts", "group_by": ["a", "b", "c"]}, "group_by"),
        ({"measure": "accounts", "group_by": ["cf.nope"]}, "group_by"),
        ({"measure": "activities", "group_by": ["month", "quarter"]}, "group_by"),
        ({"measure": "quota_attainment", "group_by": ["tier"]}, "group_by"),
        ({"measure": "quota_attainment", "segment_id": 1}, "segment_id"),
        ({"measure": "tasks_open", "from": "2026-01"}, "from"),
        ({"measure": "accounts", "from": "2026-01"}, "from"),
        ({"measure": "nrr", "from": "2026-13"}, "from"),
        ({"measure": "nrr", "from": "2026-06", "to": "2026-01"}, "from"),
    ],
)
def test_a_bad_report_is_a_422_naming_its_field(
    client, factory: Factory, body: dict[str, Any], field: str
) -> None:
    headers = factory.headers(factory.user("vp"))
    answer = client.post("/api/v1/reports/run", json=body, headers=headers)
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["field"] == field, answer.json()


def test_a_segment_outside_reach_is_a_404(client, factory: Factory) -> None:
    owner, other = factory.user("am"), factory.user("am")
    segment = client.post(
        "/api/v1/segments", json={"name": "Mine"}, headers=factory.headers(owner)
    ).json()
    answer = _run(client, factory.headers(other), measure="accounts", segment_id=segment["id"])
    assert answer.status_code == 404


def test_health_bands_come_good_to_bad_and_unscored_last(client, factory: Factory) -> None:
    for band in ("red", None, "green", "yellow", "green"):
        factory.account(health_band=band)
    vp = factory.headers(factory.user("vp"))
    rows = _run(client, vp, measure="accounts", group_by=["health_band"]).json()["rows"]
    assert [(r["dimensions"]["health_band"], r["value"]) for r in rows] == [
        ("green", 2.0),
        ("yellow", 1.0),
        ("red", 1.0),
        ("(none)", 1.0),
    ]


def test_account_measures_group_by_the_team_an_account_counts_for(client, factory: Factory) -> None:
    """As the revenue engine and the Team page count it (accounts.team_scope): the owner AM's
    team; with no owner in a team, the CSM's; otherwise no team."""
    sales, success = factory.team(name="Sales East"), factory.team(name="Success")
    am, loner = factory.user("am", team=sales), factory.user("am")
    csm = factory.user("csm", team=success)
    factory.account(name="Owned", owner_am_id=am.id, csm_id=csm.id)
    factory.account(name="Covered", owner_am_id=loner.id, csm_id=csm.id)
    factory.account(name="Covered too", csm_id=csm.id)
    factory.account(name="Nobody's")
    vp = factory.headers(factory.user("vp"))
    answer = _run(client, vp, measure="accounts", group_by=["team", "tier"])
    assert answer.status_code == 200, answer.text
    counts = {r["dimensions"]["team"]: r["value"] for r in answer.json()["rows"]}
    assert counts == {"Sales East": 1.0, "Success": 2.0, "(no team)": 1.0}
    assert [r["dimensions"]["team"] for r in answer.json()["rows"]][-1] == "(no team)"
    # The same accounts as My Book's team filter holds for each team.
    for team, expected in ((sales, 1), (success, 2)):
        listed = client.get(f"/api/v1/accounts?team_id={team.id}", headers=vp).json()
        assert listed["total"] == expected == counts[team.name]
