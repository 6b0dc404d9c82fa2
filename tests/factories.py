"""Factories: each test creates exactly the rows it needs."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from steward.accounts.models import Account, AccountAncestor
from steward.activities.models import Activity
from steward.activities.service import refresh_activity_rollups
from steward.auth.service import create_token
from steward.contacts.models import Contact
from steward.contracts.models import Contract, LineItem
from steward.contracts.terms import refresh_account_revenue
from steward.core.principal import Principal, read_as
from steward.db import Database
from steward.escalations.models import Escalation
from steward.onboarding.models import OnboardingProject
from steward.opportunities.models import Opportunity
from steward.plans.models import SuccessPlan
from steward.products.models import Product
from steward.tasks.models import Task
from steward.users.models import Team, User
from steward.users.passwords import hash_password

PASSWORD = "correct horse battery staple"
_HASH = hash_password(PASSWORD)  # hashing is slow on purpose; do it once
_seq = itertools.count(1)


class Factory:
    def __init__(self, db: Database) -> None:
        self.db = db

    @contextmanager
    def reading_as(self, principal: Principal) -> Iterator[Session]:
        """A unit of work that reads the principal's book, as their requests do."""
        with self.db.session() as session:
            read_as(session, principal)
            yield session

    def _save(self, obj: Any) -> Any:
        with self.db.session() as session:
            session.add(obj)
            session.flush()
            if isinstance(obj, Account):
                session.add(AccountAncestor(account_id=obj.id, ancestor_id=obj.id, depth=0))
                if obj.parent_id:
                    session.add(
                        AccountAncestor(account_id=obj.id, ancestor_id=obj.parent_id, depth=1)
                    )
        return obj

    def team(self, name: str | None = None, lead: User | None = None) -> Team:
        return self._save(
            Team(name=name or f"Team {next(_seq)}", lead_id=lead.id if lead else None)
        )

    def set_lead(self, team: Team, lead: User) -> None:
        with self.db.session() as session:
            session.get(Team, team.id).lead_id = lead.id  # type: ignore[union-attr]

    def user(self, role: str = "am", team: Team | None = None, email: str | None = None) -> User:
        n = next(_seq)
        return self._save(
            User(
                email=email or f"{role}{n}@test.example",
                full_name=f"{role.upper()} User {n}",
                role=role,
                team_id=team.id if team else None,
                password_hash=_HASH,
            )
        )

    def token(self, user: User) -> str:
        with self.db.session() as session:
            _, secret = create_token(session, user, "test", actor_id=None, expires_at=None)
        return secret

    def headers(self, user: User) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(user)}"}

    def account(self, **values: Any) -> Account:
        n = next(_seq)
        defaults: dict[str, Any] = {
            "name": f"Account {n}",
            "segment": "mid_market",
            "tier": "standard",
            "lifecycle_stage": "adopting",
        }
        return self._save(Account(**(defaults | values)))

    def contact(self, account: Account, **values: Any) -> Contact:
        n = next(_seq)
        defaults = {"first_name": "Pat", "last_name": f"Contact{n}", "email": f"pat{n}@x.example"}
        return self._save(Contact(account_id=account.id, **(defaults | values)))

    def product(self, **values: Any) -> Product:
        n = next(_seq)
        defaults = {
            "sku": f"SKU-{n}",
            "name": f"Product {n}",
            "list_price_minor": 60_000,
            "billing_period": "annual",
        }
        return self._save(Product(**(defaults | values)))

    def contract(
        self,
        account: Account,
        *,
        start: date | None = None,
        months: int = 12,
        end: date | None = None,
        items: list[dict[str, Any]] | None = None,
        **values: Any,
    ) -> Contract:
        start = start or date.today() - timedelta(days=30)
        end = end or start + timedelta(days=round(months * 30.5))
        contract = self._save(
            Contract(
                account_id=account.id,
                name=f"Contract {next(_seq)}",
                start_date=start,
                end_date=end,
                **values,
            )
        )
        product = None
        for item in items if items is not None else [{}]:
            if "product_id" not in item and product is None:
                product = self.product()
            row = {
                "contract_id": contract.id,
                "product_id": product.id if product else None,
                "quantity": 10,
                "unit_price_minor": 60_000,
                "billing_period": "annual",
                "discount_pct": Decimal(0),
                "start_date": start,
                "end_date": end,
            } | item
            self._save(LineItem(**row))
        with self.db.session() as session:
            refresh_account_revenue(session, [account.id], date.today())
        return contract

    def line_item(self, contract: Contract, **values: Any) -> LineItem:
        """An item (e.g. an amendment with supersedes_id) on an existing contract."""
        row = {
            "contract_id": contract.id,
            "product_id": values.pop("product_id", None) or self.product().id,
            "quantity": 1,
            "unit_price_minor": 60_000,
            "billing_period": "annual",
            "discount_pct": Decimal(0),
            "start_date": contract.start_date,
            "end_date": contract.end_date,
        } | values
        item = self._save(LineItem(**row))
        with self.db.session() as session:
            refresh_account_revenue(session, [contract.account_id], date.today())
        return item

    def opportunity(self, account: Account, **values: Any) -> Opportunity:
        defaults = {
            "name": f"Deal {next(_seq)}",
            "type": "upsell",
            "stage": "proposal",
            "probability": 60,
            "amount_minor": 1_000_000,
            "close_date": date.today() + timedelta(days=30),
        }
        return self._save(Opportunity(account_id=account.id, **(defaults | values)))

    def activity(self, account: Account, **values: Any) -> Activity:
        defaults = {"type": "call", "subject": "Check-in", "occurred_at": datetime.now(UTC)}
        activity = self._save(Activity(account_id=account.id, **(defaults | values)))
        with self.db.session() as session:  # as every write path keeps them
            refresh_activity_rollups(session, account.id)
        return activity

    def escalation(self, account: Account, **values: Any) -> Escalation:
        opened = values.pop("opened_at", datetime.now(UTC))
        defaults = {
            "title": f"Escalation {next(_seq)}",
            "severity": "p2",
            "team": "support",
            "status": "open",
            "opened_at": opened,
            "sla_due_at": opened + timedelta(hours=48),
        }
        return self._save(Escalation(account_id=account.id, **(defaults | values)))

    def success_plan(self, account: Account, **values: Any) -> SuccessPlan:
        defaults = {"title": f"Plan {next(_seq)}", "status": "active"}
        return self._save(SuccessPlan(account_id=account.id, **(defaults | values)))

    def onboarding_project(self, contract: Contract, **values: Any) -> OnboardingProject:
        defaults = {
            "name": f"Onboarding {next(_seq)}",
            "status": "active",
            "started_on": contract.start_date,
        }
        return self._save(
            OnboardingProject(
                account_id=contract.account_id, contract_id=contract.id, **(defaults | values)
            )
        )

    def task(self, account: Account, **values: Any) -> Task:
        defaults = {"title": f"Task {next(_seq)}", "due_date": date.today()}
        return self._save(Task(account_id=account.id, **(defaults | values)))
