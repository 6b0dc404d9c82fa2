"""Slack button presses and note fields on Steward's messages, acted on as the Steward user whose
Slack member ID pressed them, through the same services (and the same book rule) as the API.

- claim: a rule firing's open tasks are assigned to the presser; an escalation's owner becomes
  the presser;
- snooze: a rule firing's open tasks are due a day later;
- log_note: the text becomes a note on the account's timeline.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from steward.accounts import policy
from steward.activities.models import ActivityType
from steward.activities.schemas import ActivityCreate
from steward.activities.service import activity_service
from steward.core.errors import InvalidField, NotFound, PermissionDenied
from steward.core.principal import Principal
from steward.db.base import utcnow
from steward.delivery.models import ChatDestination
from steward.escalations.schemas import EscalationUpdate
from steward.escalations.service import escalation_service
from steward.tasks.models import Task, TaskStatus
from steward.tasks.schemas import TaskUpdate
from steward.tasks.service import task_service
from steward.users.models import User


@dataclass(frozen=True)
class Outcome:
    ok: bool
    text: str  # what the presser is told (an ephemeral reply in Slack)


def _refs(raw: str) -> dict[str, int]:
    try:
        found = json.loads(raw)
    except ValueError:
        return {}
    if not isinstance(found, dict):
        return {}
    return {k: v for k, v in found.items() if isinstance(v, int) and v > 0}


def presser(session: Session, slack_user_id: str) -> User | None:
    """The active Steward user who gave this Slack member ID with a chat destination."""
    return session.scalar(
        select(User)
        .join(ChatDestination, ChatDestination.user_id == User.id)
        .where(ChatDestination.slack_user_id == slack_user_id, User.is_active.is_(True))
        .limit(1)
    )


def _open_tasks(session: Session, run_id: int) -> list[Task]:
    return list(
        session.scalars(
            select(Task)
            .where(Task.rule_run_id == run_id, Task.status == TaskStatus.OPEN)
            .order_by(Task.id)
        )
    )


def act(session: Session, payload: dict[str, Any]) -> Outcome:
    """One `block_actions` payload from Slack; changes are left for the caller to commit."""
    if payload.get("type") != "block_actions" or not payload.get("actions"):
        return Outcome(False, "Steward does not know this kind of Slack request.")
    slack_user = str((payload.get("user") or {}).get("id") or "")
    user = presser(session, slack_user)
    if user is None:
        return Outcome(
            False,
            "Your Slack account is not linked to a Steward user: add your Slack member ID"
            " to your chat destination in Steward.",
        )
    principal = Principal.of(user)
    action = payload["actions"][0]
    action_id = str(action.get("action_id") or "")
    if action_id == "log_note":
        block = str(action.get("block_id") or "")
        refs = _refs(block.split(":", 1)[1]) if block.startswith("note:") else {}
    else:
        refs = _refs(str(action.get("value") or ""))
    try:
        with policy.reading_as(session, principal):
            return _act(session, principal, action_id, refs, action)
    except (NotFound, PermissionDenied):
        return Outcome(False, "That is not in your book in Steward; nothing was changed.")
    except InvalidField as exc:  # an account outside the book is "no account with id …"
        return Outcome(False, f"Steward could not take that ({exc}); nothing was changed.")
    except ValidationError as exc:
        return Outcome(False, f"Steward could not take that: {exc.errors()[0]['msg']}.")


def _act(
    session: Session,
    principal: Principal,
    action_id: str,
    refs: dict[str, int],
    action: dict[str, Any],
) -> Outcome:
    if action_id == "claim" and "escalation_id" in refs:
        escalation = escalation_service.update(
            session,
            principal,
            refs["escalation_id"],
            EscalationUpdate(owner_id=principal.user_id, note="Claimed in Slack"),
        )
        return Outcome(True, f"You own the escalation “{escalation.title}” now.")
    if action_id in ("claim", "snooze") and "rule_run_id" in refs:
        tasks = _open_tasks(session, refs["rule_run_id"])
        if not tasks:
            return Outcome(False, "This firing has no open tasks left.")
        for task in tasks:
            task_service.get(session, principal, task.id)  # the book rule, per task
            change = (
                TaskUpdate(assignee_id=principal.user_id)
                if action_id == "claim"
                else TaskUpdate(due_date=(task.due_date or utcnow().date()) + timedelta(days=1))
            )
            task_service.update(session, principal, task.id, change)
        count = f"{len(tasks)} task is" if len(tasks) == 1 else f"{len(tasks)} tasks are"
        done = "yours now" if action_id == "claim" else "due a day later"
        return Outcome(True, f"{count} {done}.")
    if action_id == "log_note" and "account_id" in refs:
        text = str(action.get("value") or "").strip()
        if not text:
            return Outcome(False, "The note was empty; nothing was logged.")
        activity_service.create(
            session,
            principal,
            ActivityCreate(
                account_id=refs["account_id"],
                type=ActivityType.NOTE,
                subject=(text.splitlines()[0][:80] or "Note"),
                body=f"{text}\n\n(Logged from Slack.)",
                occurred_at=utcnow(),
            ),
        )
        return Outcome(True, "Note logged on the account.")
    return Outcome(False, "Steward does not know this button.")
