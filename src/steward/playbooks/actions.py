"""What a firing rule does: tasks from a playbook's steps, notifications, e-mails, webhooks, a
stage change. Each returns a sentence for the run log; none commits (the firing does)."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import orjson
from jinja2 import Template, TemplateError
from jinja2.sandbox import SandboxedEnvironment
from sqlalchemy.orm import Session

from steward.accounts.models import Account
from steward.core import crud
from steward.core.money import format_money
from steward.delivery import service as delivery
from steward.delivery.models import WebhookEndpoint
from steward.playbooks.models import Playbook
from steward.playbooks.schemas import Action, ActionType, AssignRole, PlaybookStep, RuleSpec
from steward.playbooks.triggers import Event
from steward.tasks.models import Task, TaskSource
from steward.users.models import User

# Rule texts are written by admins but rendered with account data: sandboxed, no file access.
_templates = SandboxedEnvironment(autoescape=False)


@functools.lru_cache(maxsize=256)
def _compiled(text: str) -> Template:
    """A rule's text compiled once per process, not once per firing (the texts are few)."""
    return _templates.from_string(text)


def check_template(text: str) -> str | None:
    try:
        _templates.parse(text)
    except TemplateError as exc:
        return str(exc)
    return None


@dataclass(frozen=True)
class AccountFacts:
    id: int
    name: str
    segment: str
    tier: str
    lifecycle_stage: str
    arr_minor: int
    owner_am_id: int | None
    csm_id: int | None
    ae_id: int | None
    strategist_id: int | None
    health_band: str | None
    health_score: float | None

    def person(self, role: AssignRole) -> int | None:
        return role.pick(self)


@dataclass
class FiringContext:
    session: Session
    rule: RuleSpec
    rule_run_id: int
    account: AccountFacts
    event: Event
    today: date
    public_url: str
    playbooks: Mapping[str, Playbook]
    endpoints: Mapping[str, WebhookEndpoint]
    # Users looked up by the firings of one rule run: the session keeps unreferenced rows only
    # weakly, so without this each firing fetched the same few people again.
    users: dict[int, User | None] = field(default_factory=dict)

    @property
    def link(self) -> str:
        return f"{self.public_url.rstrip('/')}/accounts/{self.account.id}"

    def render(self, text: str) -> str:
        variables = {
            "account": {
                "id": self.account.id,
                "name": self.account.name,
                "segment": self.account.segment,
                "tier": self.account.tier,
                "arr": format_money(self.account.arr_minor),
                "health_band": self.account.health_band,
            },
            "reason": self.event.reason,
            "rule": {"key": self.rule.key, "name": self.rule.name},
            "link": self.link,
        }
        return _compiled(text).render(variables)

    def user(self, user_id: int | None) -> User | None:
        if user_id is None:
            return None
        if user_id not in self.users:
            self.users[user_id] = self.session.get(User, user_id)
        return self.users[user_id]


def _create_tasks(context: FiringContext, action: Action) -> list[str]:
    playbook = context.playbooks.get(str(action.playbook))
    if playbook is None:
        return [f"skipped: playbook '{action.playbook}' no longer exists"]
    results = []
    for raw in orjson.loads(playbook.steps):
        step = PlaybookStep.model_validate(raw)
        assignee = context.user(context.account.person(step.assign_to))
        task = Task(
            account_id=context.account.id,
            title=step.title,
            description="\n\n".join(
                part for part in (step.description, f"Why: {context.event.reason}") if part
            ),
            assignee_id=assignee.id if assignee else None,
            due_date=context.today + timedelta(days=step.due_in_days),
            priority=step.priority,
            source=TaskSource.PLAYBOOK,
            rule_run_id=context.rule_run_id,
        )
        context.session.add(task)
        context.session.flush()
        who = assignee.full_name if assignee else "nobody (no one in that role)"
        results.append(f"task {task.id} '{step.title}' for {who}, due {task.due_date}")
    return results


def _notify(context: FiringContext, action: Action) -> list[str]:
    user = context.user(context.account.person(action.role or AssignRole.OWNER_AM))
    if user is None:
        return ["skipped notification: nobody in that role"]
    delivery.notify(
        context.session,
        user.id,
        context.render(action.subject or "{{ rule.name }}: {{ account.name }}"),
        body=context.render(action.message or "{{ reason }}"),
        link=f"/accounts/{context.account.id}",
        account_id=context.account.id,
        account_name=context.account.name,
        refs={"rule_run_id": context.rule_run_id},
    )
    return [f"notified {user.full_name}"]


def _email(context: FiringContext, action: Action) -> list[str]:
    if action.to:
        to = str(action.to)
    else:
        user = context.user(context.account.person(action.role or AssignRole.OWNER_AM))
        if user is None:
            return ["skipped e-mail: nobody in that role"]
        to = user.email
    message = delivery.queue_email(
        context.session,
        to=to,
        subject=context.render(action.subject or "[Steward] {{ rule.name }}: {{ account.name }}"),
        body=context.render(
            action.message
            or "{{ reason }}\n\nOpen the account: {{ link }}\n\nSent by the rule '{{ rule.name }}'."
        ),
        account_id=context.account.id,
    )
    context.session.flush()
    return [f"e-mail {message.id} queued to {to}"]


def _webhook(context: FiringContext, action: Action) -> list[str]:
    endpoint = context.endpoints.get(str(action.endpoint))
    if endpoint is None:
        return [f"skipped: webhook endpoint '{action.endpoint}' no longer exists"]
    data: dict[str, Any] = {
        "rule": {"key": context.rule.key, "name": context.rule.name},
        "rule_run_id": context.rule_run_id,
        "account": {"id": context.account.id, "name": context.account.name},
        "event": {"key": context.event.key, "reason": context.event.reason, **context.event.facts},
    }
    message = delivery.queue_webhook(
        context.session, endpoint, "rule.fired", data, account_id=context.account.id
    )
    return [f"webhook {message.id} queued to '{endpoint.name}'"]


def _set_stage(context: FiringContext, action: Action) -> list[str]:
    stage = str(action.stage)
    if context.account.lifecycle_stage == stage:
        return [f"stage already {stage}"]
    account = context.session.get(Account, context.account.id)
    assert account is not None
    crud.update(context.session, None, account, {"lifecycle_stage": stage})
    return [f"stage {context.account.lifecycle_stage} → {stage}"]


HANDLERS = {
    ActionType.CREATE_TASKS: _create_tasks,
    ActionType.NOTIFY: _notify,
    ActionType.EMAIL: _email,
    ActionType.WEBHOOK: _webhook,
    ActionType.SET_STAGE: _set_stage,
}


def perform(context: FiringContext) -> list[str]:
    results: list[str] = []
    for action in context.rule.actions:
        results.extend(HANDLERS[action.type](context, action))
    return results
