"""QBR packs (issue 24): the deck and the PDF hold the account's own figures for the quarter
(read back with python-pptx and pypdf), follow the admin's template, and making one drafts a
single QBR activity per account and quarter."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from pptx import Presentation
from pypdf import PdfReader
from sqlalchemy import select

from steward.activities.models import Activity, ActivityType
from steward.core.dates import Quarter
from steward.health.models import AccountUsageWeek, HealthScore, HealthScorecard
from steward.plans.models import Milestone, PlanMetric, PlanOutcome
from steward.qbr.models import QbrPack
from steward.surveys.models import Survey, SurveyInvitation, SurveyResponse
from tests.factories import Factory

QUARTER = Quarter.of(date.today()).previous  # a whole quarter, in the past


def _at(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=10)


def _account(factory: Factory) -> dict[str, Any]:
    """An account whose quarter is known: a plan, a customer metric, an escalation, NPS
    answers, health scores, usage weeks and a contract renewing next year."""
    am, csm = factory.user("am"), factory.user("csm")
    account = factory.account(name="Initech", owner_am_id=am.id, csm_id=csm.id, tier="key")
    contact = factory.contact(account, first_name="Bill", last_name="Lumbergh")
    product = factory.product(name="Analytics Suite", list_price_minor=1_000_000)
    factory.product(name="Data Warehouse Add-on", list_price_minor=2_400_000)
    contract = factory.contract(
        account,
        start=QUARTER.start - timedelta(days=200),
        end=QUARTER.end + timedelta(days=300),
        items=[{"product_id": product.id, "quantity": 12}],
    )
    with factory.db.session() as session:
        session.merge(contract).name = "Initech 2026"
    plan = factory.success_plan(account, title="FY27 outcomes", owner_id=csm.id)
    mid = QUARTER.start + timedelta(days=40)
    with factory.db.session() as session:
        outcome = PlanOutcome(
            plan_id=plan.id, description="Close the books in 3 days", success_measure="≤ 3 days"
        )
        session.add(outcome)
        session.flush()
        session.add_all(
            [
                Milestone(
                    account_id=account.id,
                    success_plan_id=plan.id,
                    title="Connect the ledger",
                    status="done",
                    completed_at=_at(mid),
                ),
                Milestone(
                    account_id=account.id,
                    success_plan_id=plan.id,
                    title="Train the finance team",
                    status="planned",
                    due_date=QUARTER.next.start + timedelta(days=20),
                ),
                PlanMetric(
                    plan_id=plan.id,
                    account_id=account.id,
                    outcome_id=outcome.id,
                    name="Days to close",
                    unit="days",
                    baseline=Decimal(9),
                    current=Decimal("4.5"),
                    target=Decimal(3),
                ),
            ]
        )
        card = HealthScorecard(key="qbr-test", name="Test card", status="published",
                               definition="{}")  # fmt: skip
        session.add(card)
        session.flush()
        for n, score in enumerate((52.0, 61.0, 74.0)):
            component = {"measure": "nps", "value": 40.0, "points": score, "weight": 1.0}
            session.add(
                HealthScore(
                    account_id=account.id,
                    scorecard_id=card.id,
                    as_of=QUARTER.start + timedelta(days=30 * n + 5),
                    score=score,
                    band="green" if score >= 70 else "yellow",
                    components=json.dumps([component]),
                    explanation=f"Health {score:.0f}: NPS +40 holds it up.",
                    change="Up 13 points since last month: NPS rose." if n == 2 else None,
                )
            )
        for n in range(6):
            session.add(
                AccountUsageWeek(
                    account_id=account.id,
                    week=QUARTER.start + timedelta(days=7 * n),
                    active_users=20 + n,
                )
            )
        survey = Survey(kind="nps", name="NPS", question="How likely…")
        session.add(survey)
        session.flush()
        for n, score in enumerate((10, 9, 6)):
            invitation = SurveyInvitation(
                survey_id=survey.id,
                account_id=account.id,
                contact_id=contact.id,
                token_hash=f"{n}{plan.id:063d}",
                expires_at=_at(QUARTER.end),
            )
            session.add(invitation)
            session.flush()
            session.add(
                SurveyResponse(
                    survey_id=survey.id,
                    invitation_id=invitation.id,
                    account_id=account.id,
                    contact_id=contact.id,
                    kind="nps",
                    score=score,
                    comment="Close is faster already" if n == 0 else None,
                    responded_at=_at(mid + timedelta(days=n)),
                )
            )
    factory.escalation(
        account,
        title="Ledger sync fails nightly",
        severity="p2",
        opened_at=_at(mid),
        resolved_at=_at(mid + timedelta(days=4)),
        status="resolved",
        resolution="Connector patched",
    )
    return {"am": am, "account": account, "headers": factory.headers(am)}


def _slides_text(content: bytes) -> list[str]:
    deck = Presentation(io.BytesIO(content))
    texts = []
    for slide in deck.slides:
        parts: list[str] = []
        for shape in slide.shapes:
            if shape.has_text_frame and shape.text_frame.text:
                parts.append(shape.text_frame.text)
            if shape.has_table:
                parts.extend(cell.text for row in shape.table.rows for cell in row.cells)
            if shape.has_chart:
                plot = shape.chart.plots[0]
                parts.append(" ".join(str(v) for v in plot.series[0].values))
        parts.append(slide.notes_slide.notes_text_frame.text)
        texts.append("\n".join(parts))
    return texts


def test_the_deck_holds_the_accounts_figures(client, factory: Factory) -> None:
    world = _account(factory)
    url = f"/api/v1/accounts/{world['account'].id}/qbr"
    answer = client.get(url, params={"period": str(QUARTER)}, headers=world["headers"])
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert f"Initech-QBR-{QUARTER}.pptx" in answer.headers["content-disposition"]
    slides = _slides_text(answer.content)
    assert "Initech" in slides[0] and f"Quarterly business review · {QUARTER}" in slides[0]
    by_title = {text.split("\n", 1)[0]: text for text in slides[1:]}
    assert "74 · Green" in by_title[f"{QUARTER} at a glance"]  # the latest score, its band
    assert "+33" in by_title["NPS and CSAT"] and "3 answers" in by_title["NPS and CSAT"]
    assert "“Close is faster already”" in by_title["NPS and CSAT"]
    assert "52.0 61.0 74.0" in by_title["Health"]  # the chart's series are the scores
    assert "Up 13 points since last month: NPS rose." in by_title["Health"]
    assert "20.0 21.0 22.0 23.0 24.0 25.0" in by_title["Usage and licences"]
    assert "Connect the ledger" in by_title["Outcomes and milestones"]
    assert "Days to close: 4.5 days" in by_title["Outcomes and milestones"]
    value = by_title["Value delivered (your figures)"]
    assert all(v in value for v in ("Days to close (days)", "9", "4.5", "3", "-50% from baseline"))
    escalations = by_title["Escalations"]
    assert "Ledger sync fails nightly" in escalations and "(4 d)" in escalations
    renewal = by_title["Renewal"]
    assert f"{QUARTER.end + timedelta(days=300):%d %b %Y}" in renewal and "Initech 2026" in renewal
    contracts = client.get(
        "/api/v1/contracts", params={"account_id": world["account"].id}, headers=world["headers"]
    ).json()["items"]
    assert f"${Decimal(contracts[0]['arr']):,.0f} USD" in renewal  # the contract's own ARR
    assert "Data Warehouse Add-on" in by_title["Where else we can help"]
    assert "Train the finance team" in by_title[f"Plan for {QUARTER.next}"]
    # Every slide after the title names its sources in the speaker notes.
    assert all("Sources: " in text for text in slides[1:])
    assert "escalation #" in escalations and "customer metric #" in value


def test_the_pdf_says_what_the_deck_says(client, factory: Factory) -> None:
    world = _account(factory)
    url = f"/api/v1/accounts/{world['account'].id}/qbr"
    params = {"period": str(QUARTER), "format": "pdf"}
    answer = client.get(url, params=params, headers=world["headers"])
    assert answer.status_code == 200 and answer.content.startswith(b"%PDF")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(answer.content)).pages)
    for expected in (
        "Initech",
        "74 · Green",
        "Ledger sync fails nightly",
        "Days to close (days)",
        "-50% from baseline",
        "Data Warehouse Add-on",
        "Train the finance team",
        "Where the figures come from",
    ):
        assert expected in text, expected


def test_making_a_pack_drafts_one_qbr_activity(client, factory: Factory) -> None:
    world = _account(factory)
    url = f"/api/v1/accounts/{world['account'].id}/qbr"
    for fmt in ("pptx", "pdf", "pptx"):
        params = {"period": str(QUARTER), "format": fmt}
        assert client.get(url, params=params, headers=world["headers"]).status_code == 200
    with factory.db.session() as session:
        drafts = session.scalars(
            select(Activity).where(Activity.type == ActivityType.QBR_DRAFT)
        ).all()
        packs = session.scalars(select(QbrPack)).all()
    assert len(drafts) == 1 and drafts[0].subject == f"QBR {QUARTER} in preparation (pack made)"
    assert "Health 74" in (drafts[0].body or "")
    assert len(packs) == 1 and packs[0].generations == 3 and packs[0].activity_id == drafts[0].id


def test_the_template_shapes_the_pack(client, factory: Factory) -> None:
    world = _account(factory)
    admin = factory.headers(factory.user("admin"))
    template = {
        "company_name": "Acme Success",
        "primary_color": "#7C3AED",
        "accent_color": "#059669",
        "sections": ["health", "renewal"],
    }
    refused = client.put("/api/v1/qbr/template", json=template, headers=world["headers"])
    assert refused.status_code == 403
    saved = client.put("/api/v1/qbr/template", json=template, headers=admin)
    assert saved.status_code == 200 and saved.json()["sections"] == ["health", "renewal"]
    answer = client.get(
        f"/api/v1/accounts/{world['account'].id}/qbr",
        params={"period": str(QUARTER)},
        headers=world["headers"],
    )
    slides = _slides_text(answer.content)
    titles = [text.split("\n", 1)[0] for text in slides[1:]]
    assert titles == [f"{QUARTER} at a glance", "Health", "Renewal"]
    assert "by Acme Success" in slides[0]
    deck = Presentation(io.BytesIO(answer.content))
    bar = next(s for s in deck.slides[1].shapes if s.shape_type == 1)  # the title bar
    assert str(bar.fill.fore_color.rgb) == "7C3AED"


def test_bad_requests_name_their_field(client, factory: Factory) -> None:
    world = _account(factory)
    url = f"/api/v1/accounts/{world['account'].id}/qbr"
    for params, field in (
        ({"period": "2026-Q5"}, "period"),
        ({"period": "last quarter"}, "period"),
        ({}, "period"),
        ({"period": str(QUARTER), "format": "docx"}, "format"),
    ):
        answer = client.get(url, params=params, headers=world["headers"])
        assert answer.status_code == 422, params
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert field in str(answer.json()), (params, answer.json())
    outsider = factory.headers(factory.user("am"))
    hidden = client.get(url, params={"period": str(QUARTER)}, headers=outsider)
    assert hidden.status_code == 404
    admin = factory.headers(factory.user("admin"))
    bad = client.put(
        "/api/v1/qbr/template",
        json={"primary_color": "purple", "sections": ["health", "gossip"]},
        headers=admin,
    )
    assert bad.status_code == 422
    assert "primary_color" in str(bad.json()) and "sections" in str(bad.json())
    with factory.db.session() as session:
        assert session.scalars(select(QbrPack)).all() == []
