"""Surveys: one personal link per contact, one answer per link, nothing else readable through
it, and NPS/CSAT computed as SPEC §3 defines them."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from steward.delivery.models import OutboundMessage
from steward.surveys.models import Survey, SurveyInvitation, SurveyResponse
from tests.factories import Factory


def _links(factory: Factory) -> dict[str, str]:
    """Recipient → the link in their invitation e-mail."""
    with factory.db.session() as session:
        messages = session.scalars(select(OutboundMessage)).all()
    return {
        m.recipient: re.search(r"http://127\.0\.0\.1:8000(/s/\S+)", m.body).group(1)  # type: ignore[union-attr]
        for m in messages
    }


def test_a_survey_link_takes_one_answer_and_cannot_be_forged(client, factory: Factory) -> None:
    am, other = factory.user(role="am"), factory.user(role="am")
    account = factory.account(owner_am_id=am.id, name="Globex Secret Project")
    champion = factory.contact(account, email="champ@globex.example")
    no_email = factory.contact(account, email=None)
    outsider = factory.contact(factory.account(owner_am_id=other.id))
    sent = client.post(
        "/api/v1/surveys",
        json={
            "kind": "nps",
            "name": "Q4 NPS",
            "contact_ids": [champion.id, no_email.id, outsider.id, champion.id],
        },
        headers=factory.headers(am),
    )
    assert sent.status_code == 201, sent.json()
    assert sent.json()["invited"] == 1
    assert [(s["contact_id"], s["reason"]) for s in sent.json()["skipped"]] == [
        (no_email.id, "has no e-mail address"),
        (outsider.id, "no such contact in your book"),
        (champion.id, "listed twice"),
    ]
    link = _links(factory)["champ@globex.example"]
    with factory.db.session() as session:
        stored = session.scalars(select(SurveyInvitation)).one()
    assert link.rsplit("/", 1)[1] not in stored.token_hash  # only a hash is kept

    page = client.get(link)
    assert page.status_code == 200 and "recommend us" in page.text
    assert page.headers["referrer-policy"] == "no-referrer"
    # The page shows the question, nothing about the account or the contact.
    assert "Globex" not in page.text and "champ@" not in page.text

    # A forged or altered link reads nothing.
    token = link.rsplit("/", 1)[1]
    forged = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert client.get(f"/s/{forged}").status_code == 404
    assert client.post(f"/s/{forged}", data={"score": "9"}).status_code == 404
    # The token is not a credential for anything else.
    api = client.get("/api/v1/accounts", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 401

    bad = client.post(link, data={"score": "11", "comment": "keep me"})
    assert bad.status_code == 422 and "from 0 to 10" in bad.text and "keep me" in bad.text
    assert (
        client.post(link, data={"score": "3", "comment": "Exports keep failing"}).status_code == 200
    )
    # Used: neither answerable nor readable again.
    assert client.post(link, data={"score": "10"}).status_code == 410
    assert client.get(link).status_code == 410
    with factory.db.session() as session:
        [response] = session.scalars(select(SurveyResponse)).all()
    assert (response.score, response.comment, response.contact_id) == (
        3,
        "Exports keep failing",
        champion.id,
    )
    listed = client.get(
        f"/api/v1/surveys/responses?account_id={account.id}", headers=factory.headers(am)
    ).json()
    assert listed["items"][0]["category"] == "detractor"
    assert (
        client.get("/api/v1/surveys/responses", headers=factory.headers(other)).json()["total"] == 0
    )


def test_an_expired_link_is_refused(client, factory: Factory) -> None:
    am = factory.user(role="am")
    contact = factory.contact(factory.account(owner_am_id=am.id), email="x@y.example")
    client.post(
        "/api/v1/surveys",
        json={"kind": "csat", "name": "Support CSAT", "contact_ids": [contact.id]},
        headers=factory.headers(am),
    )
    link = _links(factory)["x@y.example"]
    with factory.db.session() as session:
        invitation = session.scalars(select(SurveyInvitation)).one()
        invitation.expires_at = datetime.now(UTC) - timedelta(minutes=1)
    assert client.post(link, data={"score": "5"}).status_code == 410


def test_nothing_is_sent_when_nobody_can_be_invited(client, factory: Factory) -> None:
    am = factory.user(role="am")
    nobody = factory.contact(factory.account(owner_am_id=am.id), email=None)
    refused = client.post(
        "/api/v1/surveys",
        json={"kind": "nps", "name": "x", "contact_ids": [nobody.id]},
        headers=factory.headers(am),
    )
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "contact_ids"
    with factory.db.session() as session:
        assert session.scalars(select(Survey)).all() == []


def _answered(factory: Factory, account, kind: str, scores: list[int], at: datetime) -> None:  # type: ignore[no-untyped-def]
    contacts = [factory.contact(account) for _ in scores]
    with factory.db.session() as session:
        survey = Survey(kind=kind, name="s", question="q?")
        session.add(survey)
        session.flush()
        for score, contact in zip(scores, contacts, strict=True):
            invitation = SurveyInvitation(
                survey_id=survey.id,
                account_id=account.id,
                contact_id=contact.id,
                token_hash=f"{survey.id}-{contact.id}".ljust(64, "0"),
                expires_at=at + timedelta(days=30),
                responded_at=at,
            )
            session.add(invitation)
            session.flush()
            session.add(
                SurveyResponse(
                    survey_id=survey.id,
                    invitation_id=invitation.id,
                    account_id=account.id,
                    contact_id=contact.id,
                    kind=kind,
                    score=score,
                    responded_at=at,
                )
            )


def test_nps_and_csat_by_segment_owner_and_period(client, factory: Factory) -> None:
    lead = factory.user(role="director")
    am1, am2 = factory.user(role="am"), factory.user(role="am")
    smb = factory.account(owner_am_id=am1.id, segment="smb")
    ent = factory.account(owner_am_id=am2.id, segment="enterprise")
    october = datetime(2026, 10, 15, tzinfo=UTC)
    november = datetime(2026, 11, 10, tzinfo=UTC)
    _answered(factory, smb, "nps", [10, 9, 7, 3, 0], october)  # 2 promoters, 2 detractors → 0
    _answered(factory, ent, "nps", [10, 9, 9, 8], november)  # 3 of 4 promoters → 75
    _answered(factory, ent, "nps", [2], datetime(2025, 1, 1, tzinfo=UTC))  # outside the window
    _answered(factory, ent, "csat", [5, 4, 3], november)  # 2 of 3 satisfied → 66.7 %

    def rows(by: str, user=lead, kind: str = "nps") -> dict[str, dict]:  # type: ignore[no-untyped-def]
        answer = client.get(
            f"/api/v1/surveys/results?kind={kind}&by={by}&start=2026-01-01&end=2026-11-30",
            headers=factory.headers(user),
        )
        assert answer.status_code == 200, answer.json()
        return {r["group"]: r for r in answer.json()["rows"]}

    everyone = rows("all")["all"]
    assert (everyone["responses"], everyone["promoters"], everyone["detractors"]) == (9, 5, 2)
    assert everyone["nps"] == round(100 * (5 - 2) / 9, 1)
    by_segment = rows("segment")
    assert (by_segment["smb"]["nps"], by_segment["enterprise"]["nps"]) == (0.0, 75.0)
    assert rows("owner")[str(am2.id)]["nps"] == 75.0
    assert set(rows("month")) == {"2026-10", "2026-11"}
    assert rows("quarter")["2026-Q4"]["responses"] == 9
    assert rows("all", kind="csat")["all"]["csat"] == 66.7
    # An AM sees their own book's answers only.
    assert rows("all", user=am1)["all"]["responses"] == 5
    bad = client.get("/api/v1/surveys/results?by=planet", headers=factory.headers(lead))
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "by"


def test_grouped_results_count_each_answer_once_in_every_grouping(client, factory: Factory) -> None:
    """The database counts answers per group and score; the figures equal NPS taken over each
    group's own answers, for every grouping and both kinds."""
    from collections import defaultdict
    from random import Random

    from steward.surveys.models import SurveyKind
    from steward.surveys.service import score_row

    pick = Random(26)
    lead = factory.user(role="director")
    owners = [factory.user(role="am"), factory.user(role="am"), None]
    moments = [
        datetime(2026, month, day, 12, tzinfo=UTC) for month, day in ((2, 3), (5, 30), (6, 1))
    ]
    expected: dict[tuple[str, str], dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for index in range(6):
        owner = owners[index % 3]
        segment = ("smb", "mid_market", "enterprise")[index % 2]
        account = factory.account(owner_am_id=owner.id if owner else None, segment=segment)
        for kind, top in (("nps", 10), ("csat", 5)):
            for at in moments:
                scores = [
                    pick.randint(0 if kind == "nps" else 1, top) for _ in range(pick.randint(1, 4))
                ]
                _answered(factory, account, kind, scores, at)
                quarter = f"{at.year}-Q{(at.month - 1) // 3 + 1}"
                for by, key in (
                    ("all", "all"),
                    ("account", str(account.id)),
                    ("segment", segment),
                    ("owner", str(owner.id) if owner else ""),
                    ("month", f"{at:%Y-%m}"),
                    ("quarter", quarter),
                ):
                    expected[(kind, by)][key].extend(scores)
    for (kind, by), groups in expected.items():
        answer = client.get(
            f"/api/v1/surveys/results?kind={kind}&by={by}&start=2026-01-01&end=2026-11-30",
            headers=factory.headers(lead),
        )
        assert answer.status_code == 200, answer.json()
        got = {r["group"]: r for r in answer.json()["rows"]}
        assert set(got) == set(groups), (kind, by)
        for key, scores in groups.items():
            want = score_row(SurveyKind(kind), key, "", scores).model_dump(exclude={"label"})
            assert {k: got[key][k] for k in want} == want, (kind, by, key)


def test_results_follow_each_new_answer(client, factory: Factory) -> None:
    """Results are kept per workspace revision: an answer recorded after a first look is in
    the next one."""
    lead = factory.user(role="director")
    account = factory.account(segment="smb")
    at = datetime(2026, 6, 1, tzinfo=UTC)

    def everyone() -> tuple[int, float]:
        answer = client.get(
            "/api/v1/surveys/results?kind=nps&by=all&start=2026-01-01&end=2026-11-30",
            headers=factory.headers(lead),
        ).json()
        row = answer["rows"][0]
        return row["responses"], row["nps"]

    _answered(factory, account, "nps", [10, 3], at)
    assert everyone() == (2, 0.0)
    _answered(factory, account, "nps", [9], at)
    assert everyone() == (3, round(100 * (2 - 1) / 3, 1))
