"""Opportunities from CSV rows (Steward, Salesforce or HubSpot columns), and back.

Open deals go through the same service as the API. A deal that arrives already closed is
history: it is recorded closed (closed_at = its close date) without a hand-off. A deal that was
open in Steward and arrives closed is closed through the service, hand-off included, as if
closed on the page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, time
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from steward.accounts.models import Account
from steward.core.errors import InvalidField, StewardError
from steward.core.money import from_minor, to_minor
from steward.core.principal import Principal
from steward.fields.models import Entity
from steward.imports import custom
from steward.imports.accounts import AccountByExternalId, UserLookup
from steward.imports.base import (
    Outcome,
    RowProblem,
    find_by_key,
    parse_amount,
    parse_date,
    problem_from,
    record_key,
)
from steward.imports.columns import OPPORTUNITY_COLUMNS, Column
from steward.opportunities.models import (
    CLOSED_STAGES,
    ForecastCategory,
    Opportunity,
    Stage,
)
from steward.opportunities.schemas import OpportunityClose, OpportunityCreate, OpportunityUpdate
from steward.opportunities.service import opportunity_service
from steward.pipeline.service import close_deal

FIELD_COLUMN = {"account_id": "account_external_id", "owner_id": "owner", "reason": "close_reason"}
# Stage names of Salesforce's default sales process and HubSpot's default pipeline.
_STAGES = {
    "needs_analysis": "discovery",
    "value_proposition": "discovery",
    "id_decision_makers": "discovery",
    "perception_analysis": "proposal",
    "proposal_price_quote": "proposal",
    "negotiation_review": "negotiation",
    "appointmentscheduled": "qualification",
    "appointment_scheduled": "qualification",
    "qualifiedtobuy": "qualification",
    "qualified_to_buy": "qualification",
    "presentationscheduled": "discovery",
    "presentation_scheduled": "discovery",
    "decisionmakerboughtin": "proposal",
    "decision_maker_bought_in": "proposal",
    "contractsent": "negotiation",
    "contract_sent": "negotiation",
    "closedwon": "closed_won",
    "closedlost": "closed_lost",
}
_TYPES = {
    "new_business": "new_business",
    "newbusiness": "new_business",
    "new": "new_business",
    "existing_business": "upsell",
    "existingbusiness": "upsell",
    "upsell": "upsell",
    "up_sell": "upsell",
    "cross_sell": "cross_sell",
    "crosssell": "cross_sell",
    "renewal": "renewal",
}


def _token(value: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", value.strip().lower()).strip("_")


class OpportunityImport:
    columns: tuple[Column, ...] = OPPORTUNITY_COLUMNS
    custom_entity = Entity.OPPORTUNITY
    required: tuple[str, ...] = ("external_id",)
    key_field = "external_id"  # one row per record in a file

    def __init__(self) -> None:
        self._users: UserLookup | None = None
        self._accounts = AccountByExternalId()

    def start_batch(self, session: Session, principal: Principal) -> None:
        self._users = UserLookup(session)
        self._accounts = AccountByExternalId()

    def _values(
        self, session: Session, principal: Principal, cells: dict[str, str]
    ) -> dict[str, Any]:
        assert self._users is not None
        values: dict[str, Any] = {}
        if cells.get("account_external_id", "").strip():
            values["account_id"] = self._accounts.find(
                session, principal, cells["account_external_id"].strip()
            )
        if cells.get("name", "").strip():
            values["name"] = cells["name"].strip()
        if cells.get("type", "").strip():
            token = _token(cells["type"])
            values["type"] = _TYPES.get(token, token)
        if cells.get("stage", "").strip():
            token = _token(cells["stage"])
            values["stage"] = _STAGES.get(token, token)
        if cells.get("amount", "").strip():
            values["amount"] = parse_amount("amount", cells["amount"])
        if cells.get("close_date", "").strip():
            values["close_date"] = parse_date("close_date", cells["close_date"])
        if cells.get("probability", "").strip():
            try:
                values["probability"] = round(float(cells["probability"].strip().rstrip("%")))
            except ValueError:
                raise RowProblem("probability", "must be a percentage") from None
        if cells.get("forecast_category", "").strip():
            values["forecast_category"] = _token(cells["forecast_category"])
        if cells.get("owner", "").strip():
            values["owner_id"] = self._users.find("owner", cells["owner"])
        if cells.get("close_reason", "").strip():
            values["close_reason"] = cells["close_reason"].strip()
        return values

    def import_row(
        self, session: Session, principal: Principal, cells: dict[str, str]
    ) -> tuple[Outcome, Any]:
        external_id = cells.get("external_id", "").strip()
        if not external_id:
            raise RowProblem("external_id", "is required, so that importing again updates the row")
        values = self._values(session, principal, cells)
        found = custom.from_cells(session, Entity.OPPORTUNITY, cells)
        if found:
            values["custom_fields"] = found
        existing = find_by_key(session, Opportunity, "opportunity", external_id)
        try:
            if existing is None:
                self._create(session, principal, external_id, values)
                return "created", None
            return self._update(session, principal, existing, values), None
        except InvalidField as error:
            if custom.names_custom_field(error):
                raise custom.row_problem(error) from None
            raise problem_from(error, FIELD_COLUMN) from None
        except StewardError as error:
            if error.status == 404:
                raise RowProblem(
                    "external_id", "belongs to an opportunity outside your book"
                ) from None
            raise problem_from(error, FIELD_COLUMN) from None
        except ValidationError as error:
            raise problem_from(error, FIELD_COLUMN) from None

    def _create(
        self, session: Session, principal: Principal, external_id: str, values: dict[str, Any]
    ) -> None:
        if "account_id" not in values:
            raise RowProblem("account_external_id", "is required for a new opportunity")
        stage = values.get("stage", Stage.PROSPECTING)
        reason = values.pop("close_reason", None)
        if stage not in CLOSED_STAGES:
            opportunity_service.create(
                session, principal, OpportunityCreate(external_id=external_id, **values)
            )
            return
        # History: validate as an open deal, then record it closed, as it already was.
        won = stage == Stage.CLOSED_WON
        data = OpportunityCreate(external_id=external_id, **(values | {"stage": "negotiation"}))
        record = data.model_dump(exclude={"line_items"})  # a CSV row names no line items
        record["amount_minor"] = to_minor(record.pop("amount"))
        record.update(
            stage=stage,
            probability=100 if won else 0,
            forecast_category=ForecastCategory.CLOSED if won else ForecastCategory.OMITTED,
            owner_id=record["owner_id"] or principal.user_id,
            close_reason=reason,
            closed_at=datetime.combine(record["close_date"], time(12), UTC),
        )
        opportunity_service.insert(session, principal, record)

    def _update(
        self, session: Session, principal: Principal, existing: Opportunity, values: dict[str, Any]
    ) -> Outcome:
        opportunity_service.get(session, principal, existing.id)  # 404 outside the book
        current = {
            "account_id": existing.account_id,
            "name": existing.name,
            "type": existing.type,
            "stage": existing.stage,
            "amount": from_minor(existing.amount_minor),
            "close_date": existing.close_date,
            "probability": existing.probability,
            "forecast_category": existing.forecast_category,
            "owner_id": existing.owner_id,
            "close_reason": existing.close_reason,
        }
        found = values.pop("custom_fields", None) or {}
        custom_changes = custom.changes(session, Entity.OPPORTUNITY, existing.id, found)
        changes = {k: v for k, v in values.items() if current.get(k) != v}
        if custom_changes:  # a closed deal refuses these as the API does
            changes["custom_fields"] = custom_changes
        if existing.stage in CLOSED_STAGES:
            # Closed deals are history; a re-import of the same export changes nothing.
            relevant = set(changes) - {"probability", "forecast_category", "close_date"}
            if not relevant:
                return "unchanged"
            raise RowProblem("stage", "this opportunity is closed in Steward; it cannot change")
        if not changes:
            return "unchanged"
        stage = changes.pop("stage", None)
        reason = changes.pop("close_reason", None)
        for field in ("account_id", "type"):
            if field in changes:
                raise RowProblem(
                    field if field == "type" else "account_external_id",
                    "cannot change on an existing opportunity",
                )
        if stage is not None and stage not in CLOSED_STAGES:
            changes["stage"] = stage
        if changes:
            opportunity_service.update(
                session, principal, existing.id, OpportunityUpdate(**changes)
            )
        if stage in CLOSED_STAGES:
            outcome = "won" if stage == Stage.CLOSED_WON else "lost"
            close_deal(
                session, principal, existing.id, OpportunityClose(outcome=outcome, reason=reason)
            )
        return "updated"

    def second_pass(self, session: Session, principal: Principal, item: Any) -> bool:
        return False

    def export_rows(self, session: Session, principal: Principal) -> Iterator[dict[str, Any]]:
        from steward.users.models import User

        statement = (
            opportunity_service.get_readable_statement()
            .add_columns(Account.external_id, User.email, Account.id)
            .join(Account, Account.id == Opportunity.account_id)
            .outerjoin(User, User.id == Opportunity.owner_id)
            .where(Opportunity.archived_at.is_(None), Account.archived_at.is_(None))
            .order_by(Opportunity.id)
        )
        for opp, account_external_id, owner_email, account_id in session.execute(statement):
            yield {
                "id": opp.id,  # custom-field cells are read by it
                "external_id": record_key("opportunity", opp.external_id, opp.id),
                "account_external_id": record_key("account", account_external_id, account_id),
                "name": opp.name,
                "type": opp.type,
                "stage": opp.stage,
                "amount": from_minor(opp.amount_minor),
                "close_date": opp.close_date.isoformat(),
                "probability": opp.probability,
                "forecast_category": opp.forecast_category,
                "owner": owner_email,
                "close_reason": opp.close_reason,
            }
