"""Escalation rules: SLA targets by severity, a status history, a resolution to resolve."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from steward.accounts.models import Account
from steward.accounts.owned import AccountOwnedService
from steward.config import settings_of
from steward.core.errors import InvalidField
from steward.core.principal import Principal
from steward.db.base import utcnow
from steward.delivery import service as delivery
from steward.escalations.models import (
    UNRESOLVED,
    Escalation,
    EscalationEvent,
    EscalationStatus,
)
from steward.escalations.schemas import EscalationFilters


def sla_target(session: Session, severity: str) -> timedelta:
    return timedelta(hours=settings_of(session).escalation_sla_hours[severity])


def breached_clause(now: datetime) -> ColumnElement[bool]:
    """Past the SLA target: still unresolved after it, or resolved after it."""
    return or_(
        and_(Escalation.resolved_at.is_(None), Escalation.sla_due_at < now),
        Escalation.resolved_at > Escalation.sla_due_at,
    )


class EscalationService(AccountOwnedService[Escalation]):
    model = Escalation
    entity = "escalation"
    sortable = {
        "opened_at": Escalation.opened_at,
        "sla_due_at": Escalation.sla_due_at,
        "severity": Escalation.severity,
        "status": Escalation.status,
    }
    default_sort = "sla_due_at"
    required_fields = ("title", "severity", "team", "status")
    user_fields = ("owner_id",)

    def where_clauses(self, filters: EscalationFilters) -> list[ColumnElement[bool]]:
        clauses = super().where_clauses(filters)
        for column, value in (
            (Escalation.owner_id, filters.owner_id),
            (Escalation.severity, filters.severity),
            (Escalation.team, filters.team),
            (Escalation.status, filters.status),
        ):
            if value is not None:
                clauses.append(column == value)
        if filters.unresolved_only:
            clauses.append(Escalation.status.in_(UNRESOLVED))
        if filters.breached_only:
            clauses.append(breached_clause(utcnow()))
        return clauses

    def _history(
        self,
        session: Session,
        escalation: Escalation,
        actor_id: int | None,
        from_status: str | None,
        note: str | None,
    ) -> None:
        session.add(
            EscalationEvent(
                escalation_id=escalation.id,
                actor_id=actor_id,
                from_status=from_status,
                to_status=escalation.status,
                note=note,
            )
        )

    def create(self, session: Session, principal: Principal, data: BaseModel) -> Escalation:
        values = data.model_dump()
        self.check_account(session, principal, values["account_id"])
        self.check_contact(session, values.get("contact_id"), values["account_id"])
        if values.get("owner_id") is None:
            owner = session.scalar(
                select(Account.owner_am_id).where(Account.id == values["account_id"])
            )
            values["owner_id"] = owner or principal.user_id
        opened = utcnow()
        values |= {
            "created_by_id": principal.user_id,
            "opened_at": opened,
            "sla_due_at": opened + sla_target(session, values["severity"]),
            "status": EscalationStatus.OPEN,
        }
        escalation = self.insert(session, principal, values)
        self._history(session, escalation, principal.user_id, None, None)
        if escalation.owner_id and escalation.owner_id != principal.user_id:
            self._tell_owner(session, escalation)
        return escalation

    def _tell_owner(self, session: Session, escalation: Escalation) -> None:
        """The owner hears of an escalation someone else opened for them (the bell, and
        their Slack or Teams), with why it matters: its severity and SLA."""
        account = session.scalar(select(Account.name).where(Account.id == escalation.account_id))
        delivery.notify(
            session,
            escalation.owner_id or 0,
            f"{escalation.severity.upper()} escalation on {account}: {escalation.title}",
            body=(
                f"Opened for you: {escalation.severity.upper()}, {escalation.team} team, due"
                f" by {escalation.sla_due_at:%d %b %Y %H:%M} UTC."
                + (f" {escalation.description[:500]}" if escalation.description else "")
            ),
            link=f"/escalations/{escalation.id}",
            account_id=escalation.account_id,
            account_name=account,
            refs={"escalation_id": escalation.id},
        )

    def update(
        self, session: Session, principal: Principal, record_id: int, data: BaseModel
    ) -> Escalation:
        changes: dict[str, Any] = data.model_dump(exclude_unset=True)
        note = changes.pop("note", None)
        record = self.get(session, principal, record_id)
        previous = record.status
        self.apply_update(session, principal, record, changes)
        if record.status != previous or note:
            self._history(session, record, principal.user_id, previous, note)
        return record

    def validate_update(
        self, session: Session, principal: Principal, record: Escalation, changes: dict[str, Any]
    ) -> None:
        self.check_contact(session, changes.get("contact_id"), record.account_id)
        status = changes.get("status", record.status)
        if status == EscalationStatus.RESOLVED:
            if not (changes.get("resolution") or record.resolution):
                raise InvalidField("resolution", "say how it was resolved")
            if record.status != EscalationStatus.RESOLVED:
                changes["resolved_at"] = utcnow()
        elif record.status == EscalationStatus.RESOLVED and "status" in changes:
            changes["resolved_at"] = None  # reopened: the SLA clock shows it late again
        if "severity" in changes and changes["severity"] != record.severity:
            changes["sla_due_at"] = record.opened_at + sla_target(session, changes["severity"])

    def history(
        self, session: Session, principal: Principal, escalation_id: int
    ) -> list[EscalationEvent]:
        self.get(session, principal, escalation_id)
        return list(
            session.scalars(
                select(EscalationEvent)
                .where(EscalationEvent.escalation_id == escalation_id)
                .order_by(EscalationEvent.at, EscalationEvent.id)
            )
        )


escalation_service = EscalationService()
