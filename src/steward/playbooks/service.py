"""Admin-managed playbooks and rules: saving (with every reference checked), the run log,
dry-runs, and the YAML bundle kept under version control."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

import orjson
import yaml
from pydantic import ValidationError
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from steward.accounts.models import Account
from steward.core import crud
from steward.core.errors import Conflict, InvalidField, NotFound, first_problem
from steward.core.principal import Principal, require_admin
from steward.db.base import utcnow
from steward.delivery.models import WebhookEndpoint
from steward.playbooks import engine
from steward.playbooks.actions import check_template
from steward.playbooks.models import Playbook, Rule, RuleRun
from steward.playbooks.schemas import (
    ActionType,
    BundleImport,
    BundleItemResult,
    DryRun,
    PlaybookOut,
    PlaybookSpec,
    RuleOut,
    RuleRunOut,
    RuleSpec,
    WouldFire,
)

# --- playbooks ------------------------------------------------------------------------


def playbook_out(playbook: Playbook) -> PlaybookOut:
    return PlaybookOut.model_validate(
        {
            **_columns(playbook, ("id", "key", "name", "description", "holdout_percent")),
            **_columns(playbook, ("created_at", "updated_at", "archived_at")),
            "steps": orjson.loads(playbook.steps),
        }
    )


def _columns(obj: object, names: Sequence[str]) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in names}


def _playbook_values(spec: PlaybookSpec) -> dict[str, Any]:
    return {
        "key": spec.key,
        "name": spec.name,
        "description": spec.description,
        "holdout_percent": spec.holdout_percent,
        "steps": orjson.dumps([s.model_dump(mode="json") for s in spec.steps]).decode(),
    }


def list_playbooks(session: Session) -> list[Playbook]:
    return list(
        session.scalars(
            select(Playbook).where(Playbook.archived_at.is_(None)).order_by(Playbook.name)
        )
    )


def get_playbook(session: Session, playbook_id: int) -> Playbook:
    playbook = session.get(Playbook, playbook_id)
    if playbook is None:
        raise NotFound("playbook", playbook_id)
    return playbook


def save_playbook(
    session: Session, principal: Principal, spec: PlaybookSpec, playbook_id: int | None = None
) -> Playbook:
    """Creates (no id) or replaces a playbook; keys are unique."""
    require_admin(principal, "change playbooks and rules")
    existing = session.scalar(select(Playbook).where(Playbook.key == spec.key))
    if existing is not None and existing.id != playbook_id:
        raise InvalidField("key", f"another playbook has the key '{spec.key}'")
    values = _playbook_values(spec)
    if playbook_id is None:
        playbook = Playbook(**values)
        crud.create(session, principal.user_id, playbook)
        return playbook
    playbook = get_playbook(session, playbook_id)
    crud.update(session, principal.user_id, playbook, values)
    return playbook


def archive_playbook(session: Session, principal: Principal, playbook_id: int) -> Playbook:
    require_admin(principal, "change playbooks and rules")
    playbook = get_playbook(session, playbook_id)
    users = [
        rule.key
        for rule in list_rules(session)
        if any(a.playbook == playbook.key for a in engine.spec_of(rule).actions)
    ]
    if users:
        raise Conflict(f"rules {', '.join(users)} create tasks from this playbook")
    crud.archive(session, principal.user_id, playbook)
    return playbook


# --- rules ----------------------------------------------------------------------------


def rule_out(rule: Rule) -> RuleOut:
    return RuleOut.model_validate(
        {
            **engine.spec_of(rule).model_dump(),
            **_columns(rule, ("id", "created_at", "updated_at", "archived_at")),
            "last_evaluated_at": rule.last_evaluated_at,
        }
    )


def list_rules(session: Session) -> list[Rule]:
    return list(session.scalars(select(Rule).where(Rule.archived_at.is_(None)).order_by(Rule.name)))


def get_rule(session: Session, rule_id: int) -> Rule:
    rule = session.get(Rule, rule_id)
    if rule is None:
        raise NotFound("rule", rule_id)
    return rule


def check_references(session: Session, spec: RuleSpec, extra_playbooks: Sequence[str] = ()) -> None:
    """Every playbook, endpoint and template the rule names must exist and parse (422 naming
    the action), so a rule cannot be saved that would fail when it fires."""
    engine.custom_conditions(session, spec.conditions)
    engine.segment_condition(session, spec.conditions)
    playbooks = set(engine.playbooks_by_key(session)) | set(extra_playbooks)
    endpoints = set(
        session.scalars(select(WebhookEndpoint.name).where(WebhookEndpoint.archived_at.is_(None)))
    )
    for i, action in enumerate(spec.actions):
        where = f"actions[{i}]"
        if action.type == ActionType.CREATE_TASKS and action.playbook not in playbooks:
            raise InvalidField(f"{where}.playbook", f"no playbook with key '{action.playbook}'")
        if action.type == ActionType.WEBHOOK and action.endpoint not in endpoints:
            raise InvalidField(
                f"{where}.endpoint", f"no webhook endpoint named '{action.endpoint}'"
            )
        for name in ("subject", "message"):
            text = getattr(action, name)
            problem = None if text is None else check_template(text)
            if problem is not None:
                raise InvalidField(f"{where}.{name}", f"template error: {problem}")


def _rule_values(spec: RuleSpec) -> dict[str, Any]:
    return {
        "key": spec.key,
        "name": spec.name,
        "description": spec.description,
        "enabled": spec.enabled,
        "trigger": orjson.dumps(spec.trigger.model_dump(mode="json", exclude_none=True)).decode(),
        "conditions": orjson.dumps(
            spec.conditions.model_dump(mode="json", exclude_defaults=True)
        ).decode(),
        "actions": orjson.dumps(
            [a.model_dump(mode="json", exclude_none=True) for a in spec.actions]
        ).decode(),
        "cooldown_days": spec.cooldown_days,
    }


def replace_playbook(
    session: Session, principal: Principal, playbook_id: int, spec: PlaybookSpec
) -> Playbook:
    """PUT: the whole definition of an existing playbook (the configuration routes' order)."""
    return save_playbook(session, principal, spec, playbook_id)


def save_rule(
    session: Session, principal: Principal, spec: RuleSpec, rule_id: int | None = None
) -> Rule:
    require_admin(principal, "change playbooks and rules")
    existing = session.scalar(select(Rule).where(Rule.key == spec.key))
    if existing is not None and existing.id != rule_id:
        raise InvalidField("key", f"another rule has the key '{spec.key}'")
    check_references(session, spec)
    values = _rule_values(spec)
    if rule_id is None:
        rule = Rule(**values, created_by_id=principal.user_id)
        crud.create(session, principal.user_id, rule)
        return rule
    rule = get_rule(session, rule_id)
    crud.update(session, principal.user_id, rule, values)
    return rule


def set_enabled(session: Session, principal: Principal, rule_id: int, enabled: bool) -> Rule:
    require_admin(principal, "change playbooks and rules")
    rule = get_rule(session, rule_id)
    crud.update(session, principal.user_id, rule, {"enabled": enabled})
    return rule


def replace_rule(session: Session, principal: Principal, rule_id: int, spec: RuleSpec) -> Rule:
    """PUT: the whole definition of an existing rule (the configuration routes' order)."""
    return save_rule(session, principal, spec, rule_id)


def archive_rule(session: Session, principal: Principal, rule_id: int) -> Rule:
    require_admin(principal, "change playbooks and rules")
    rule = get_rule(session, rule_id)
    crud.update(session, principal.user_id, rule, {"enabled": False})
    crud.archive(session, principal.user_id, rule)
    return rule


def dry_run(session: Session, spec: RuleSpec, today: date | None = None) -> DryRun:
    """What the rule would do today, enabled or not, saved or not: nothing is written."""
    check_references(session, spec)
    now = utcnow()
    today = today or now.astimezone(UTC).date()
    evaluation = engine.evaluate(session, spec, today, now)
    rule_id = session.scalar(select(Rule.id).where(Rule.key == spec.key))
    done = (
        engine.fired_before(session, rule_id, {c.event.key for c in evaluation.candidates})
        if rule_id is not None
        else set()
    )
    return DryRun(
        rule_key=spec.key,
        as_of=today,
        events=evaluation.events,
        would_fire=[
            WouldFire(
                account_id=c.account.id,
                account_name=c.account.name,
                event_key=c.event.key,
                reason=c.event.reason,
                matched=c.matched,
                held_out=c.held_out,
                already_fired=c.event.key in done,
            )
            for c in sorted(evaluation.candidates, key=lambda c: (c.account.name, c.event.key))
        ],
    )


# --- the run log (within the book) ----------------------------------------------------


def run_out(run: RuleRun, rule_key: str, account_name: str) -> RuleRunOut:
    return RuleRunOut.model_validate(
        {
            **_columns(run, ("id", "rule_id", "account_id", "event_key", "fired_at", "status")),
            "reason": run.reason,
            "rule_key": rule_key,
            "account_name": account_name,
            "matched": orjson.loads(run.matched),
            "facts": orjson.loads(run.facts),
            "results": orjson.loads(run.results),
        }
    )


def run_stats(session: Session) -> dict[int, tuple[int, datetime | None]]:
    """Per rule: how many times it fired, and when last."""
    rows = session.execute(
        select(RuleRun.rule_id, func.count(), func.max(RuleRun.fired_at)).group_by(RuleRun.rule_id)
    )
    return {int(rule_id): (int(count), last) for rule_id, count, last in rows}


def list_runs(
    session: Session,
    principal: Principal,
    *,
    rule_id: int | None,
    account_id: int | None,
    limit: int,
    offset: int,
) -> tuple[list[RuleRunOut], int]:
    clauses: list[ColumnElement[bool]] = []
    if rule_id is not None:
        clauses.append(RuleRun.rule_id == rule_id)
    if account_id is not None:
        clauses.append(RuleRun.account_id == account_id)
    statement: Any = (
        select(RuleRun, Rule.key, Account.name)
        .join(Rule, Rule.id == RuleRun.rule_id)
        .join(Account, Account.id == RuleRun.account_id)
        .where(*clauses)
    )
    rows, total = crud.page(
        session, statement, [RuleRun.fired_at.desc()], RuleRun.id, limit, offset
    )
    return [run_out(run, key, name) for run, key, name in rows], total


# --- YAML bundle ----------------------------------------------------------------------


def export_bundle(session: Session) -> str:
    bundle = {
        "playbooks": [
            playbook_out(p).model_dump(
                mode="json", include=set(PlaybookSpec.model_fields), exclude_none=True
            )
            for p in list_playbooks(session)
        ],
        "rules": [readable_rule(engine.spec_of(rule)) for rule in list_rules(session)],
    }
    header = "# Steward playbooks and rules. Import with: steward rules import FILE\n"
    return header + yaml.safe_dump(bundle, sort_keys=False, allow_unicode=True)


def readable_rule(spec: RuleSpec) -> dict[str, Any]:
    data = spec.model_dump(mode="json", exclude_none=True)
    data["conditions"] = spec.conditions.model_dump(mode="json", exclude_defaults=True)
    if not data["conditions"]:
        del data["conditions"]
    data["trigger"] = spec.trigger.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
    data["trigger"]["type"] = spec.trigger.type.value
    return data


def import_bundle(
    session: Session, principal: Principal, text: str, *, dry_run: bool
) -> BundleImport:
    """All or nothing: each item is checked and reported (created, updated, unchanged, or
    why not); anything wrong and nothing is written (a half-imported rule set is worse than
    none)."""
    require_admin(principal, "change playbooks and rules")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidField("file", f"not valid YAML: {exc}") from exc
    if not isinstance(data, dict) or not set(data) <= {"playbooks", "rules"}:
        raise InvalidField("file", "expected a mapping with 'playbooks' and/or 'rules' lists")
    items: list[BundleItemResult] = []
    playbooks: list[PlaybookSpec] = []
    rules: list[RuleSpec] = []
    for kind, model, out in (("playbook", PlaybookSpec, playbooks), ("rule", RuleSpec, rules)):
        raw_items = data.get(f"{kind}s") or []
        if not isinstance(raw_items, list):
            raise InvalidField("file", f"'{kind}s' must be a list")
        for index, raw in enumerate(raw_items):
            key = str(raw.get("key", f"#{index + 1}")) if isinstance(raw, dict) else f"#{index + 1}"
            try:
                out.append(model.model_validate(raw))  # type: ignore[arg-type]
            except ValidationError as exc:
                items.append(
                    BundleItemResult(kind=kind, key=key, outcome=f"error: {first_problem(exc)}")
                )
    for group, kind in ((playbooks, "playbook"), (rules, "rule")):
        keys = [spec.key for spec in group]
        for key in {k for k in keys if keys.count(k) > 1}:
            items.append(BundleItemResult(kind=kind, key=key, outcome="error: key listed twice"))
    new_playbooks = [p.key for p in playbooks]
    for spec in rules:
        try:
            check_references(session, spec, extra_playbooks=new_playbooks)
        except InvalidField as exc:
            items.append(
                BundleItemResult(kind="rule", key=spec.key, outcome=f"error: {exc.detail}")
            )
    if any(item.outcome.startswith("error") for item in items):
        return BundleImport(dry_run=dry_run, items=items)

    for playbook_spec in playbooks:
        found = session.scalar(select(Playbook).where(Playbook.key == playbook_spec.key))
        outcome = _outcome(found, _playbook_values(playbook_spec))
        if not dry_run and outcome != "unchanged":
            save_playbook(session, principal, playbook_spec, found.id if found else None)
            if found is not None and found.archived_at is not None:
                crud.restore(session, principal.user_id, found)
        items.append(BundleItemResult(kind="playbook", key=playbook_spec.key, outcome=outcome))
    session.flush()
    for rule_spec in rules:
        found_rule = session.scalar(select(Rule).where(Rule.key == rule_spec.key))
        outcome = _outcome(found_rule, _rule_values(rule_spec))
        if not dry_run and outcome != "unchanged":
            save_rule(session, principal, rule_spec, found_rule.id if found_rule else None)
            if found_rule is not None and found_rule.archived_at is not None:
                crud.restore(session, principal.user_id, found_rule)
        items.append(BundleItemResult(kind="rule", key=rule_spec.key, outcome=outcome))
    return BundleImport(dry_run=dry_run, items=items)


def _outcome(found: Any, values: dict[str, Any]) -> str:
    if found is None:
        return "created"
    same = all(getattr(found, k) == v for k, v in values.items()) and found.archived_at is None
    return "unchanged" if same else "updated"
