"""Rule evaluation: trigger events → conditions → (hold-out draw) → one firing per event.

Evaluation only reads, so a dry-run is the same code without the firing. Firing happens in a
short write transaction per rule, one savepoint per firing; the (rule, event) unique key makes
a second worker's attempt at the same event a no-op, so a rule never fires twice for an event.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import orjson
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from steward.accounts.models import CUSTOMER_STAGES, Account
from steward.config import Settings
from steward.core.errors import InvalidField
from steward.core.money import format_money, to_minor
from steward.core.principal import SYSTEM
from steward.db.base import utcnow
from steward.db.engine import Database
from steward.delivery.models import WebhookEndpoint
from steward.fields import query as field_query
from steward.fields.models import Entity
from steward.fields.query import CustomFilter
from steward.playbooks.actions import AccountFacts, FiringContext, perform
from steward.playbooks.models import Playbook, Rule, RuleRun
from steward.playbooks.schemas import ActionType, Conditions, RuleSpec
from steward.playbooks.triggers import Event, chunks, find_events
from steward.segments import service as segments
from steward.segments.models import SavedSegment
from steward.users.models import User

log = logging.getLogger("steward.rules")


@dataclass(frozen=True)
class Candidate:
    event: Event
    account: AccountFacts
    matched: dict[str, str]
    playbook_id: int | None
    held_out: bool


@dataclass
class Evaluation:
    events: int
    candidates: list[Candidate]


@dataclass
class RuleOutcome:
    rule_key: str
    events: int = 0
    fired: int = 0
    held_out: int = 0
    already_fired: int = 0


@dataclass
class RulesRun:
    as_of: date
    rules: list[RuleOutcome] = field(default_factory=list)

    @property
    def fired(self) -> int:
        return sum(r.fired for r in self.rules)


def spec_of(rule: Rule) -> RuleSpec:
    return RuleSpec.model_validate(
        {
            "key": rule.key,
            "name": rule.name,
            "description": rule.description,
            "enabled": rule.enabled,
            "trigger": orjson.loads(rule.trigger),
            "conditions": orjson.loads(rule.conditions),
            "actions": orjson.loads(rule.actions),
            "cooldown_days": rule.cooldown_days,
        }
    )


def account_facts(session: Session, account_ids: Collection[int]) -> dict[int, AccountFacts]:
    columns = [getattr(Account, name) for name in AccountFacts.__dataclass_fields__]
    out: dict[int, AccountFacts] = {}
    for chunk in chunks(account_ids):
        for row in session.execute(
            select(*columns).where(Account.id.in_(chunk), Account.archived_at.is_(None))
        ):
            out[int(row[0])] = AccountFacts(*row)
    return out


def match(conditions: Conditions, account: AccountFacts) -> dict[str, str] | None:
    """Each condition with the account's value when all hold, else None: the run log keeps it,
    so "why did this fire?" has its answer."""
    matched: dict[str, str] = {}
    checks: list[tuple[str, bool, str]] = []
    stages = [str(s) for s in conditions.lifecycle_stages] or list(CUSTOMER_STAGES)
    checks.append(
        (
            "lifecycle_stage",
            account.lifecycle_stage in stages,
            f"{account.lifecycle_stage} (one of {', '.join(stages)})",
        )
    )
    if conditions.segments:
        allowed = [str(s) for s in conditions.segments]
        checks.append(
            (
                "segment",
                account.segment in allowed,
                f"{account.segment} (one of {', '.join(allowed)})",
            )
        )
    if conditions.tiers:
        allowed = [str(t) for t in conditions.tiers]
        checks.append(
            ("tier", account.tier in allowed, f"{account.tier} (one of {', '.join(allowed)})")
        )
    arr = format_money(account.arr_minor)
    if conditions.min_arr is not None:
        floor = to_minor(Decimal(conditions.min_arr))
        checks.append(("min_arr", account.arr_minor >= floor, f"ARR {arr} ≥ {format_money(floor)}"))
    if conditions.max_arr is not None:
        ceiling = to_minor(Decimal(conditions.max_arr))
        checks.append(
            ("max_arr", account.arr_minor <= ceiling, f"ARR {arr} ≤ {format_money(ceiling)}")
        )
    if conditions.owner_ids:
        checks.append(
            ("owner", account.owner_am_id in conditions.owner_ids, f"owner {account.owner_am_id}")
        )
    for name, holds, text in checks:
        if not holds:
            return None
        matched[name] = text
    return matched


def custom_conditions(session: Session, conditions: Conditions) -> tuple[CustomFilter, ...]:
    """The rule's custom-field conditions, parsed as the accounts list parses its `cf.`
    filters (one definition); InvalidField naming `conditions.custom_fields.<name>`."""
    if not conditions.custom_fields:
        return ()
    try:
        return field_query.parse(
            session,
            Entity.ACCOUNT,
            {
                f"{field_query.PREFIX}{name}": value
                for name, value in conditions.custom_fields.items()
            },
        )
    except InvalidField as error:
        name = (error.field or "").removeprefix(field_query.PREFIX)
        raise InvalidField(
            f"conditions.custom_fields.{name}", error.detail.split(": ", 1)[-1]
        ) from None


def segment_condition(session: Session, conditions: Conditions) -> SavedSegment | None:
    """The saved segment a rule is limited to; InvalidField naming `conditions.segment_id`
    when it does not exist or was archived."""
    if conditions.segment_id is None:
        return None
    segment = session.get(SavedSegment, conditions.segment_id)
    if segment is None or segment.archived_at is not None:
        raise InvalidField(
            "conditions.segment_id", f"no saved segment with id {conditions.segment_id}"
        )
    return segment


def _in_segment(
    session: Session, segment: SavedSegment, facts: Mapping[int, AccountFacts], today: date
) -> set[int]:
    """The accounts among `facts` the segment holds today (rules see every book)."""
    ids = segments.account_ids(session, SYSTEM, segment, today)
    found: set[int] = set()
    for chunk in chunks(list(facts)):
        found.update(session.scalars(ids.where(Account.id.in_(chunk))))
    return found


def _passing_custom(
    session: Session, custom: tuple[CustomFilter, ...], facts: Mapping[int, AccountFacts]
) -> set[int]:
    """The accounts among `facts` whose custom fields meet every condition."""
    passing: set[int] = set()
    for chunk in chunks(list(facts)):
        passing.update(
            session.scalars(
                select(Account.id).where(
                    Account.id.in_(chunk), *field_query.clauses(Account.id, custom)
                )
            )
        )
    return passing


def holdout_draw(playbook: Playbook, account_id: int, event_key: str) -> bool:
    """A reproducible random draw (SHA-256 of playbook, account and event): the same event
    always lands in the same arm, whichever worker or dry-run asks."""
    if playbook.holdout_percent <= 0:
        return False
    digest = hashlib.sha256(f"{playbook.key}|{account_id}|{event_key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 10_000 < playbook.holdout_percent * 100


def playbooks_by_key(session: Session) -> dict[str, Playbook]:
    return {
        p.key: p for p in session.scalars(select(Playbook).where(Playbook.archived_at.is_(None)))
    }


def _rule_playbook(spec: RuleSpec, playbooks: Mapping[str, Playbook]) -> Playbook | None:
    for action in spec.actions:
        if action.type == ActionType.CREATE_TASKS and action.playbook is not None:
            return playbooks.get(action.playbook)
    return None


def evaluate(
    session: Session,
    spec: RuleSpec,
    today: date,
    now: datetime,
    account_ids: Collection[int] | None = None,
    playbooks: Mapping[str, Playbook] | None = None,
) -> Evaluation:
    """What the rule would fire on today (reads only)."""
    playbooks = playbooks if playbooks is not None else playbooks_by_key(session)
    playbook = _rule_playbook(spec, playbooks)
    events = find_events(session, spec.trigger, today, now, account_ids)
    facts = account_facts(session, {e.account_id for e in events})
    custom = custom_conditions(session, spec.conditions)
    passing = _passing_custom(session, custom, facts) if custom else None
    segment = segment_condition(session, spec.conditions)
    in_segment = _in_segment(session, segment, facts, today) if segment is not None else None
    candidates = []
    for event in events:
        account = facts.get(event.account_id)
        if account is None:
            continue
        matched = match(spec.conditions, account)
        if matched is None:
            continue
        if in_segment is not None:
            if account.id not in in_segment:
                continue
            assert segment is not None
            matched["segment"] = f"in segment {segment.name!r}"
        if passing is not None:
            if account.id not in passing:
                continue
            matched["custom_fields"] = ", ".join(
                f"{key} {value}" for key, value in sorted(spec.conditions.custom_fields.items())
            )
        candidates.append(
            Candidate(
                event,
                account,
                matched,
                playbook.id if playbook else None,
                playbook is not None and holdout_draw(playbook, account.id, event.key),
            )
        )
    return Evaluation(len(events), candidates)


def fired_before(session: Session, rule_id: int, keys: Collection[str]) -> set[str]:
    found: set[str] = set()
    for chunk in chunks(keys):
        found.update(
            session.scalars(
                select(RuleRun.event_key).where(
                    RuleRun.rule_id == rule_id, RuleRun.event_key.in_(chunk)
                )
            )
        )
    return found


def cooling_down(session: Session, rule_id: int, days: int, now: datetime) -> set[int]:
    if days <= 0:
        return set()
    return set(
        session.scalars(
            select(RuleRun.account_id)
            .where(RuleRun.rule_id == rule_id, RuleRun.fired_at > now - timedelta(days=days))
            .group_by(RuleRun.account_id)
        )
    )


def _fire(
    session: Session,
    rule: Rule,
    spec: RuleSpec,
    candidate: Candidate,
    today: date,
    settings: Settings,
    playbooks: Mapping[str, Playbook],
    endpoints: Mapping[str, WebhookEndpoint],
    users: dict[int, User | None],
) -> bool:
    """One firing in a savepoint: False when another worker fired this event first.
    `users`: the users this rule's firings looked up so far (kept for the next ones)."""
    try:
        with session.begin_nested():
            run = RuleRun(
                rule_id=rule.id,
                account_id=candidate.account.id,
                event_key=candidate.event.key,
                status="held_out" if candidate.held_out else "fired",
                playbook_id=candidate.playbook_id,
                reason=candidate.event.reason[:1000],
                matched=orjson.dumps(candidate.matched).decode(),
                facts=orjson.dumps(
                    {
                        **candidate.event.facts,
                        "health_band": candidate.account.health_band,
                        "health_score": candidate.account.health_score,
                        "arr_minor": candidate.account.arr_minor,
                    }
                ).decode(),
                results="[]",
            )
            session.add(run)
            session.flush()
            results = (
                ["held out: no actions (the playbook's control group)"]
                if candidate.held_out
                else perform(
                    FiringContext(
                        session,
                        spec,
                        run.id,
                        candidate.account,
                        candidate.event,
                        today,
                        settings.public_url,
                        playbooks,
                        endpoints,
                        users,
                    )
                )
            )
            run.results = orjson.dumps(results).decode()
    except IntegrityError:
        return False
    return True


def run_rules(
    db: Database,
    settings: Settings,
    *,
    today: date | None = None,
    now: datetime | None = None,
    account_ids: Collection[int] | None = None,
    rule_ids: Collection[int] | None = None,
) -> RulesRun:
    """Evaluates every enabled rule (or the given ones) and fires on new events."""
    now = now or utcnow()
    today = today or now.astimezone(UTC).date()
    report = RulesRun(as_of=today)
    with db.session_factory(info={"settings": settings}) as reader:
        query = select(Rule).where(Rule.enabled.is_(True), Rule.archived_at.is_(None))
        if rule_ids is not None:
            query = query.where(Rule.id.in_(list(rule_ids)))
        rules = list(reader.scalars(query.order_by(Rule.id)))
        playbooks = playbooks_by_key(reader)
        evaluations = {
            rule.id: (
                spec := spec_of(rule),
                evaluate(reader, spec, today, now, account_ids, playbooks),
            )
            for rule in rules
        }
    for rule in rules:
        spec, evaluation = evaluations[rule.id]
        outcome = RuleOutcome(rule.key, events=evaluation.events)
        with db.strict_session_factory(info={"settings": settings}) as session:
            endpoints = {
                e.name: e
                for e in session.scalars(
                    select(WebhookEndpoint).where(WebhookEndpoint.archived_at.is_(None))
                )
            }
            done = fired_before(session, rule.id, {c.event.key for c in evaluation.candidates})
            resting = cooling_down(session, rule.id, spec.cooldown_days, now)
            users: dict[int, User | None] = {}
            for candidate in evaluation.candidates:
                if candidate.event.key in done or candidate.account.id in resting:
                    outcome.already_fired += 1
                    continue
                if _fire(
                    session, rule, spec, candidate, today, settings, playbooks, endpoints, users
                ):
                    if spec.cooldown_days:
                        resting.add(candidate.account.id)
                    outcome.held_out += candidate.held_out
                    outcome.fired += not candidate.held_out
                else:
                    outcome.already_fired += 1
            stamp = session.get(Rule, rule.id)
            if stamp is not None:
                stamp.last_evaluated_at = now
            session.commit()
        report.rules.append(outcome)
        if outcome.fired or outcome.held_out:
            log.info("rule %s: %d fired, %d held out", rule.key, outcome.fired, outcome.held_out)
    return report
