"""The daily digest: each person's renewals this month, red accounts, overdue tasks and breached
escalations, e-mailed once a day through the outbox (deduplicated per person and day)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from steward.accounts import policy
from steward.config import Settings
from steward.core.dates import quarter_of
from steward.core.money import format_money, to_minor
from steward.core.principal import Principal
from steward.delivery.models import OutboundMessage
from steward.delivery.service import queue_chat, queue_email
from steward.myday.schemas import MyDay
from steward.myday.service import my_day
from steward.team.schemas import TeamPerformance
from steward.team.service import team_performance
from steward.users.models import Role, User

# The people with a book of their own; managers read reports instead.
DIGEST_ROLES = (Role.AE, Role.AM, Role.STRATEGIC_AM, Role.STRATEGIST, Role.CSM, Role.TEAM_LEAD)


def dedupe_key(user_id: int, day: date) -> str:
    return f"digest:{user_id}:{day.isoformat()}"


@dataclass(frozen=True)
class Digest:
    subject: str
    body: str


def compose(day: MyDay, name: str, public_url: str) -> Digest | None:
    """None when there is nothing to say (no e-mail beats an empty one)."""
    overdue = [t for t in day.tasks if t.overdue]
    breached = [e for e in day.escalations if e.sla_breached]
    counts = day.counts
    if not (
        counts.renewals
        or counts.red_accounts
        or overdue
        or counts.breached_escalations
        or counts.qbrs
    ):
        return None
    base = public_url.rstrip("/")
    lines = [f"Good morning {name.split()[0]},", "", f"Your day: {base}/today", ""]

    def section(title: str, total: int, rows: list[str]) -> None:
        if not total:
            return
        lines.append(f"{title} ({total})")
        lines.extend(f"  - {row}" for row in rows[:10])
        if total > min(len(rows), 10):
            lines.append(f"  … and {total - min(len(rows), 10)} more")
        lines.append("")

    section(
        "Renewals this month",
        counts.renewals,
        [
            f"{r.account_name}: {format_money(to_minor(r.arr), r.currency)} ARR, "
            f"ends {r.end_date.isoformat()}{' (auto-renews)' if r.auto_renew else ''}"
            for r in day.renewals
        ],
    )
    section(
        "Red accounts",
        counts.red_accounts,
        [
            f"{a.account_name}: health {a.health_score:.0f}"
            + (f", red since {a.red_since.isoformat()}" if a.red_since else "")
            if a.health_score is not None
            else a.account_name
            for a in day.red_accounts
        ],
    )
    section(
        "Overdue tasks",
        len(overdue),
        [f"{t.title} ({t.account_name}, due {t.due_date})" for t in overdue],
    )
    section(
        "Escalations past their SLA",
        counts.breached_escalations,
        [f"{e.severity.upper()} {e.title} ({e.account_name})" for e in breached],
    )
    section(
        "QBRs due",
        counts.qbrs,
        [
            f"{q.account_name}: {q.days_overdue} days past the {q.cadence_days}-day cadence"
            + (f", last QBR {q.last_qbr_at.date().isoformat()}" if q.last_qbr_at else ", none yet")
            for q in day.qbrs
        ],
    )
    summary = ", ".join(
        f"{n} {word if n == 1 else plural}"
        for n, word, plural in (
            (counts.renewals, "renewal", "renewals"),
            (counts.red_accounts, "red account", "red accounts"),
            (len(overdue), "overdue task", "overdue tasks"),
            (counts.breached_escalations, "SLA breach", "SLA breaches"),
            (counts.qbrs, "QBR due", "QBRs due"),
        )
        if n
    )
    return Digest(
        subject=f"Your Steward digest for {day.day:%a %d %b}: {summary}", body="\n".join(lines)
    )


def _queue_each(
    session: Session,
    roles: tuple[Role, ...],
    key_of: Callable[[int], str],
    taken_like: str,
    build: Callable[[Principal, User], Digest | None],
) -> int:
    """Queues one digest per active user of these roles who has not had this one (its dedupe
    key, `key_of(user id)`; `taken_like` finds those already queued); `build` reads as the
    user. Runs in the caller's transaction: committed together, so a crash sends none or all."""
    already = set(
        session.scalars(
            select(OutboundMessage.dedupe_key).where(OutboundMessage.dedupe_key.like(taken_like))
        )
    )
    users = session.scalars(
        select(User).where(User.is_active, User.role.in_(roles)).order_by(User.id)
    )
    queued = 0
    for user in list(users):
        key = key_of(user.id)
        if key in already or not user.email:
            continue
        principal = Principal.of(user)
        with policy.reading_as(session, principal):
            digest = build(principal, user)
        if digest is None:
            continue
        queue_email(
            session, to=user.email, subject=digest.subject, body=digest.body, dedupe_key=key
        )
        # The same digest in the user's Slack or Teams, if they connected one.
        queue_chat(
            session,
            user.id,
            {"title": digest.subject, "text": digest.body, "link": "/today"},
            dedupe_key=key,
        )
        queued += 1
    return queued


def queue_digests(session: Session, settings: Settings, now: datetime) -> int:
    """Queues today's digest for everyone who has not had one; returns how many were queued."""
    today = now.date()

    def build(principal: Principal, user: User) -> Digest | None:
        day = my_day(session, principal, settings, today, now)
        return compose(day, user.full_name, settings.public_url)

    return _queue_each(
        session,
        DIGEST_ROLES,
        lambda user_id: dedupe_key(user_id, today),
        f"digest:%:{today.isoformat()}",
        build,
    )


# Leaders get a weekly digest of their team (Monday, after the digest hour).
LEADER_ROLES = (Role.TEAM_LEAD, Role.DIRECTOR, Role.VP)
LEADER_DIGEST_WEEKDAY = 0  # Monday


def leader_dedupe_key(user_id: int, day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"leader-digest:{user_id}:{year}-W{week:02d}"


def compose_leader(
    day: MyDay, performance: TeamPerformance, name: str, public_url: str
) -> Digest | None:
    """The week's team figures: the same signals and rows as My Day and the Team page."""
    team = day.team
    if team is None:
        return None
    base = public_url.rstrip("/")
    lines = [
        f"Good morning {name.split()[0]},",
        "",
        f"{team.label.capitalize()} this week ({performance.period}):",
        f"  - {team.red_accounts} red accounts, {format_money(to_minor(team.red_arr))} ARR: "
        f"{base}{team.red_link}",
        f"  - {team.renewals_at_risk} red accounts renewing within 90 days, "
        f"{format_money(to_minor(team.renewals_at_risk_arr))} ARR: "
        f"{base}{team.renewals_at_risk_link}",
        f"  - {team.breached_escalations} escalations past their SLA: {base}{team.breached_link}",
        "",
    ]
    for row in performance.teams:
        nrr = "—" if row.nrr is None else f"{row.nrr:.1%}"
        lines.append(
            f"{row.name}: {row.accounts} accounts, {format_money(to_minor(row.arr))} ARR, "
            f"NRR {nrr} ({performance.window})"
        )
    needs_help = sorted(
        (r for r in performance.rows if r.checkin_compliance is not None),
        key=lambda r: (r.checkin_compliance or 0, r.name),
    )[:5]
    if needs_help:
        lines += ["", "Check-ins on time, lowest first:"]
        lines += [
            f"  - {r.name}: {r.checkin_compliance:.0%} ({r.checkins_due} due)" for r in needs_help
        ]
    qbrs_late = sorted(
        (r for r in performance.rows if r.qbr_compliance is not None and r.qbrs_due),
        key=lambda r: (r.qbr_compliance or 0, r.name),
    )[:5]
    if qbrs_late:
        lines += ["", "QBRs on time, lowest first:"]
        lines += [f"  - {r.name}: {r.qbr_compliance:.0%} ({r.qbrs_due} due)" for r in qbrs_late]
    behind = [r for r in performance.rows if r.attainment is not None]
    if behind:
        lines += ["", f"Quota attainment, {performance.period}:"]
        lines += [
            f"  - {r.name}: {r.attainment:.0%}"
            for r in sorted(behind, key=lambda r: r.attainment or 0)
        ][:10]
    lines += ["", f"The Team page: {base}/team"]
    return Digest(
        subject=f"Your team this week: {team.red_accounts} red, "
        f"{team.breached_escalations} past SLA, {team.renewals_at_risk} renewals at risk",
        body="\n".join(lines),
    )


def queue_leader_digests(session: Session, settings: Settings, now: datetime) -> int:
    """On the digest weekday, queues each leader's weekly digest once (deduplicated per
    leader and ISO week); returns how many were queued."""
    today = now.date()
    if today.weekday() != LEADER_DIGEST_WEEKDAY:
        return 0
    year, week, _ = today.isocalendar()

    def build(principal: Principal, user: User) -> Digest | None:
        day = my_day(session, principal, settings, today, now)
        performance = team_performance(
            session,
            principal,
            currency=settings.currency,
            cadence=settings.checkin_cadence_days,
            qbr_cadence=settings.qbr_cadence_days,
            period=quarter_of(today),
            today=today,
        )
        return compose_leader(day, performance, user.full_name, settings.public_url)

    return _queue_each(
        session,
        LEADER_ROLES,
        lambda user_id: leader_dedupe_key(user_id, today),
        f"leader-digest:%:{year}-W{week:02d}",
        build,
    )
