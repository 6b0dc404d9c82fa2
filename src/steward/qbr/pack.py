"""What a QBR pack says, gathered from each domain's own functions (the figures Account 360,
the health panel, the renewal calendar and the account plan show), each with its source: the
records it was read from, so every number in the deck can be traced."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from steward.accounts.models import Account
from steward.accounts.repository import get_account
from steward.config import settings_of
from steward.contracts.models import Contract
from steward.contracts.service import contract_service
from steward.core.dates import Quarter
from steward.core.errors import InvalidField
from steward.core.money import format_money, plain_decimal, to_minor
from steward.core.principal import Principal
from steward.escalations.models import Escalation
from steward.health.models import AccountUsageWeek, HealthScore
from steward.health.overview import health_panel
from steward.health.scoring import display_value, measure_label
from steward.plans.account_plans import whitespace
from steward.plans.models import (
    FINISHED_MILESTONE,
    Milestone,
    MilestoneStatus,
    PlanMetric,
    PlanOutcome,
    PlanStatus,
    SuccessPlan,
)
from steward.surveys.models import SurveyKind, SurveyResponse
from steward.surveys.service import score_row
from steward.users.models import User

WHITESPACE_SHOWN = 5


def parse_quarter(text: str) -> Quarter:
    try:
        return Quarter.parse(text)
    except ValueError as exc:
        raise InvalidField("period", str(exc)) from None


def recent_quarters(today: date, count: int = 4) -> tuple[list[Quarter], Quarter]:
    """The quarters a pack is usually made for, newest first, and the likely one: the quarter
    just ended during the first half of the next, else the current one."""
    current = Quarter.of(today)
    quarters = [current]
    while len(quarters) < count:
        quarters.append(quarters[-1].previous)
    likely = current.previous if (today - current.start).days < 45 else current
    return quarters, likely


def _instant(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), UTC)


@dataclass
class MilestoneLine:
    title: str
    status: str
    due: date | None
    owner: str
    completed: date | None
    source: str


@dataclass
class OutcomeLine:
    plan: str
    description: str
    status: str
    our_measure: str | None
    their_metrics: list[str]


@dataclass
class MetricLine:
    name: str
    baseline: str
    current: str
    target: str
    change: str | None
    source: str


@dataclass
class EscalationLine:
    title: str
    severity: str
    opened: date
    resolved: date | None
    days_to_resolve: int | None
    resolution: str | None
    source: str


@dataclass
class Pack:
    account_id: int
    account_name: str
    tier: str
    quarter: Quarter
    as_of: date
    team: list[tuple[str, str]]  # (role, name)
    narrative: list[str]
    outcomes: list[OutcomeLine]
    milestones_done: list[MilestoneLine]
    milestones_open: list[MilestoneLine]
    progress: tuple[int, int]  # milestones done, counted (skipped ones left out)
    health_points: list[tuple[date, float]]
    health_now: tuple[float | None, str | None]
    health_explanation: str | None
    health_change: str | None
    health_components: list[tuple[str, str, float]]  # label, value as shown, points
    usage_weeks: list[tuple[date, int]]
    utilisation: float | None
    escalations: list[EscalationLine]
    nps: float | None
    nps_responses: int
    csat: float | None
    csat_responses: int
    comments: list[str]
    value: list[MetricLine]
    renewal: dict[str, str] | None
    whitespace: list[tuple[str, str]]  # product, annual list price
    next_period: list[str]
    sources: dict[str, list[str]] = field(default_factory=dict)

    def cite(self, section: str, source: str) -> None:
        self.sources.setdefault(section, []).append(source)


def _money(amount: Decimal) -> str:
    return format_money(to_minor(amount))


def _names(session: Session, ids: set[int | None]) -> dict[int, str]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    rows = session.execute(select(User.id, User.full_name).where(User.id.in_(wanted)))
    return {int(i): n for i, n in rows}


def gather(session: Session, principal: Principal, account_id: int, quarter: Quarter) -> Pack:
    """The pack's content for an account in the principal's book (404 outside it)."""
    account = get_account(session, principal, account_id)
    today = date.today()
    as_of = min(quarter.end, today)
    names = _names(
        session, {account.owner_am_id, account.csm_id, account.ae_id, account.strategist_id}
    )
    team = [
        (role, names[user_id])
        for role, user_id in (
            ("Account manager", account.owner_am_id),
            ("Customer success", account.csm_id),
            ("Strategist", account.strategist_id),
        )
        if user_id in names
    ]
    pack = Pack(
        account_id=account.id,
        account_name=account.name,
        tier=account.tier,
        quarter=quarter,
        as_of=as_of,
        team=team,
        narrative=[],
        outcomes=[],
        milestones_done=[],
        milestones_open=[],
        progress=(0, 0),
        health_points=[],
        health_now=(None, None),
        health_explanation=None,
        health_change=None,
        health_components=[],
        usage_weeks=[],
        utilisation=None,
        escalations=[],
        nps=None,
        nps_responses=0,
        csat=None,
        csat_responses=0,
        comments=[],
        value=[],
        renewal=None,
        whitespace=[],
        next_period=[],
    )
    _plans(session, pack, account)
    _health(session, principal, pack, account)
    _escalations(session, pack, account)
    _surveys(session, pack, account)
    _renewal(session, pack, account, as_of)
    _whitespace(session, principal, pack, account, today)
    _narrative(pack)
    return pack


def _plans(session: Session, pack: Pack, account: Account) -> None:
    quarter = pack.quarter
    plans = list(
        session.scalars(
            select(SuccessPlan)
            .where(
                SuccessPlan.account_id == account.id,
                SuccessPlan.archived_at.is_(None),
                SuccessPlan.status != PlanStatus.CLOSED,
            )
            .order_by(SuccessPlan.id)
        )
    )
    plan_ids = [p.id for p in plans]
    titles = {p.id: p.title for p in plans}
    outcomes = list(
        session.scalars(
            select(PlanOutcome)
            .where(PlanOutcome.plan_id.in_(plan_ids))
            .order_by(PlanOutcome.plan_id, PlanOutcome.position)
        )
    )
    metrics = list(
        session.scalars(
            select(PlanMetric).where(PlanMetric.plan_id.in_(plan_ids)).order_by(PlanMetric.id)
        )
    )
    milestones = list(
        session.scalars(
            select(Milestone)
            .where(Milestone.success_plan_id.in_(plan_ids))
            .order_by(Milestone.due_date.nulls_last(), Milestone.id)
        )
    )
    people = _names(session, {m.owner_id for m in milestones})
    for outcome in outcomes:
        theirs = [
            f"{m.name}: {_figure(m.current, m.unit)}" for m in metrics if m.outcome_id == outcome.id
        ]
        pack.outcomes.append(
            OutcomeLine(
                plan=titles[outcome.plan_id],
                description=outcome.description,
                status=outcome.status.replace("_", " "),
                our_measure=outcome.success_measure,
                their_metrics=theirs,
            )
        )
        pack.cite("outcomes", f"plan outcome #{outcome.id}")
    start, end = _instant(quarter.start), _instant(quarter.next.start)
    counted = done = 0
    for m in milestones:
        line = MilestoneLine(
            title=m.title,
            status=m.status.replace("_", " "),
            due=m.due_date,
            owner="customer" if m.contact_owner_id else people.get(m.owner_id or 0, "—"),
            completed=m.completed_at.date() if m.completed_at else None,
            source=f"milestone #{m.id}",
        )
        if m.status != MilestoneStatus.SKIPPED:
            counted += 1
            done += m.status == MilestoneStatus.DONE
        if m.status == MilestoneStatus.DONE and m.completed_at and start <= m.completed_at < end:
            pack.milestones_done.append(line)
            pack.cite("outcomes", line.source)
        elif m.status not in FINISHED_MILESTONE:
            pack.milestones_open.append(line)
            pack.cite("outcomes", line.source)
            if m.due_date is None or m.due_date <= quarter.next.end:
                pack.next_period.append(
                    f"{m.title}"
                    + (f" (due {m.due_date:%d %b %Y})" if m.due_date else "")
                    + f", {line.owner}"
                )
    pack.progress = (done, counted)
    for metric in metrics:
        change = None
        if metric.baseline is not None and metric.current is not None and metric.baseline != 0:
            moved = (metric.current - metric.baseline) / abs(metric.baseline)
            change = f"{moved:+.0%} from baseline"
        pack.value.append(
            MetricLine(
                name=metric.name + (f" ({metric.unit})" if metric.unit else ""),
                baseline=_figure(metric.baseline, None),
                current=_figure(metric.current, None),
                target=_figure(metric.target, None),
                change=change,
                source=f"customer metric #{metric.id}",
            )
        )
        pack.cite("value", f"customer metric #{metric.id} (kept by the customer)")


def _figure(value: Decimal | None, unit: str | None) -> str:
    if value is None:
        return "—"
    return plain_decimal(value, grouped=True) + (f" {unit}" if unit else "")


def _health(session: Session, principal: Principal, pack: Pack, account: Account) -> None:
    quarter = pack.quarter
    panel = health_panel(session, principal, account.id, pack.as_of)
    window_start = quarter.previous.start
    scored = session.execute(
        select(HealthScore.as_of, HealthScore.score)
        .where(
            HealthScore.account_id == account.id,
            HealthScore.as_of >= window_start,
            HealthScore.as_of <= quarter.end,
            HealthScore.score.is_not(None),
        )
        .order_by(HealthScore.as_of)
    ).all()
    pack.health_points = [(day, float(score)) for day, score in scored if score is not None]
    in_quarter = [h for h in panel.health.history if h.as_of <= quarter.end]
    if in_quarter:
        latest = in_quarter[0]  # newest first
        pack.health_now = (latest.score, latest.band)
        pack.health_explanation = _sentence(latest.explanation)
        pack.health_change = _sentence(latest.change) if latest.change else None
        pack.health_components = [
            (measure_label(c.measure), display_value(c.measure, c.value), c.points)
            for c in latest.components
        ]
        pack.cite(
            "health",
            f"health score of {latest.as_of:%d %b %Y} (scorecard #{latest.scorecard_id})",
        )
    weeks = session.execute(
        select(AccountUsageWeek.week, AccountUsageWeek.active_users)
        .where(
            AccountUsageWeek.account_id == account.id,
            AccountUsageWeek.week >= window_start,
            AccountUsageWeek.week <= quarter.end,
        )
        .order_by(AccountUsageWeek.week)
    ).all()
    pack.usage_weeks = [(w, int(n)) for w, n in weeks]
    if weeks:
        pack.cite(
            "usage",
            f"weekly active users, {weeks[0][0]:%d %b %Y} to {weeks[-1][0]:%d %b %Y}",
        )
    utilisation = [
        (point["as_of"], point["value"])
        for point in panel.chart_data["utilisation"]
        if point["value"] is not None and point["as_of"] <= quarter.end.isoformat()
    ]
    if utilisation:
        pack.utilisation = float(utilisation[-1][1])
        pack.cite("usage", f"licence utilisation of {utilisation[-1][0]} (health score usage)")


def _escalations(session: Session, pack: Pack, account: Account) -> None:
    quarter = pack.quarter
    start, end = _instant(quarter.start), _instant(quarter.next.start)
    rows = session.scalars(
        select(Escalation)
        .where(
            Escalation.account_id == account.id,
            Escalation.archived_at.is_(None),
            Escalation.opened_at < end,
            (Escalation.resolved_at.is_(None)) | (Escalation.resolved_at >= start),
        )
        .order_by(Escalation.opened_at)
    )
    for e in rows:
        resolved = e.resolved_at.date() if e.resolved_at else None
        pack.escalations.append(
            EscalationLine(
                title=e.title,
                severity=e.severity.upper(),
                opened=e.opened_at.date(),
                resolved=resolved,
                days_to_resolve=(e.resolved_at - e.opened_at).days if e.resolved_at else None,
                resolution=e.resolution,
                source=f"escalation #{e.id}",
            )
        )
        pack.cite("escalations", f"escalation #{e.id}")


def _surveys(session: Session, pack: Pack, account: Account) -> None:
    quarter = pack.quarter
    start, end = _instant(quarter.start), _instant(quarter.next.start)
    rows = list(
        session.scalars(
            select(SurveyResponse)
            .where(
                SurveyResponse.account_id == account.id,
                SurveyResponse.responded_at >= start,
                SurveyResponse.responded_at < end,
            )
            .order_by(SurveyResponse.responded_at)
        )
    )
    nps = [r.score for r in rows if r.kind == SurveyKind.NPS]
    csat = [r.score for r in rows if r.kind == SurveyKind.CSAT]
    pack.nps = score_row(SurveyKind.NPS, "", "", nps).nps
    pack.nps_responses = len(nps)
    pack.csat = score_row(SurveyKind.CSAT, "", "", csat).csat
    pack.csat_responses = len(csat)
    pack.comments = [r.comment for r in rows if r.comment][:3]
    for r in rows:
        pack.cite("surveys", f"survey response #{r.id}")


def _renewal(session: Session, pack: Pack, account: Account, as_of: date) -> None:
    contracts = [
        contract_service.to_out(session, c, as_of)
        for c in session.scalars(
            select(Contract)
            .where(
                Contract.account_id == account.id,
                Contract.archived_at.is_(None),
                Contract.end_date > as_of,
                Contract.start_date <= as_of,
            )
            .order_by(Contract.end_date)
        )
    ]
    if not contracts:
        return
    first = contracts[0]
    arr = sum((c.arr for c in contracts), Decimal(0))
    home = settings_of(session).currency
    days = (first.end_date - date.today()).days
    pack.renewal = {
        "Next renewal": f"{first.end_date:%d %b %Y} (in {days} days)"
        if days >= 0
        else f"{first.end_date:%d %b %Y}",
        "Contract": first.name,
        "Renews automatically": "yes" if first.auto_renew else "no",
        "ARR under contract": f"{_money(arr)} {home}"
        if all(c.currency == home for c in contracts)
        else " + ".join(f"{_money(c.arr)} {c.currency}" for c in contracts),
        "Term": f"{first.start_date:%d %b %Y} to {first.end_date:%d %b %Y}",
    }
    for c in contracts:
        pack.cite("renewal", f"contract #{c.id} ({c.name}), ARR on {as_of:%d %b %Y}")


def _whitespace(
    session: Session, principal: Principal, pack: Pack, account: Account, today: date
) -> None:
    products = whitespace(session, principal, account.id, today)[:WHITESPACE_SHOWN]
    pack.whitespace = [(p.name, _money(p.annual_list_price)) for p in products]
    for p in products:
        pack.cite("whitespace", f"product #{p.product_id} ({p.sku}), list price")
    if products:
        pack.next_period.append(f"Explore {products[0].name} (not yet in use)")
    if pack.renewal is not None:
        ends = pack.renewal["Term"].split(" to ")[-1]
        pack.next_period.append(f"Agree the renewal due {ends}")


def plural(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _sentence(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:] if text else text


def _narrative(pack: Pack) -> None:
    """The story in Steward's own sentences: the health explanation and its change, then what
    the quarter's records say."""
    if pack.health_explanation:
        pack.narrative.append(pack.health_explanation)
    if pack.health_change:
        pack.narrative.append(pack.health_change)
    done, counted = pack.progress
    if counted:
        completed = len(pack.milestones_done)
        pack.narrative.append(
            (
                f"{plural(completed, 'milestone')} completed this quarter"
                if completed
                else "No milestone was completed this quarter"
            )
            + f"; {done} of {counted} are done overall."
        )
    resolved = [e for e in pack.escalations if e.resolved]
    if pack.escalations:
        pack.narrative.append(
            f"{plural(len(pack.escalations), 'escalation')} open during the quarter; "
            f"{len(resolved)} resolved."
        )
    if pack.nps is not None:
        pack.narrative.append(f"NPS {pack.nps:+.0f} from {plural(pack.nps_responses, 'answer')}.")
    for outcome in pack.outcomes:
        if outcome.status in ("at risk", "open"):
            pack.next_period.insert(0, f"Move “{outcome.description}” forward ({outcome.status})")
