"""Global search from the top bar: accounts, contacts and deals whose name (or domain, or
e-mail) contains the words, within the reader's book (the book policy filters each query)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from steward.accounts import policy
from steward.accounts.models import Account
from steward.contacts.models import Contact
from steward.core.principal import Principal
from steward.opportunities.models import Opportunity

LIMIT = 20


@dataclass(frozen=True)
class Hit:
    kind: str  # account, contact, deal
    id: int
    title: str
    detail: str
    link: str


@dataclass(frozen=True)
class Results:
    query: str
    accounts: list[Hit]
    contacts: list[Hit]
    deals: list[Hit]

    @property
    def total(self) -> int:
        return len(self.accounts) + len(self.contacts) + len(self.deals)


def search(session: Session, principal: Principal, query: str) -> Results:
    policy.check_reader(session, principal)
    words = query.split()
    if not words:
        return Results(query, [], [], [])
    live = Account.archived_at.is_(None)

    def each_word(*columns: Any) -> list[ColumnElement[bool]]:
        """Every word in one of the columns (so "ada love" finds Ada Lovelace)."""
        return [or_(*(c.icontains(w, autoescape=True) for c in columns)) for w in words]

    accounts = [
        Hit("account", r.id, r.name, r.domain or r.lifecycle_stage, f"/accounts/{r.id}")
        for r in session.execute(
            select(Account.id, Account.name, Account.domain, Account.lifecycle_stage)
            .where(live, *each_word(Account.name, Account.domain))
            .order_by(func.length(Account.name), Account.name)
            .limit(LIMIT)
        )
    ]
    contacts = [
        Hit(
            "contact",
            r.id,
            f"{r.first_name} {r.last_name}",
            " · ".join(x for x in (r.title, r.email, r.account) if x),
            f"/accounts/{r.account_id}#contact-{r.id}",
        )
        for r in session.execute(
            select(
                Contact.id,
                Contact.first_name,
                Contact.last_name,
                Contact.title,
                Contact.email,
                Contact.account_id,
                Account.name.label("account"),
            )
            .join(Account, Account.id == Contact.account_id)
            .where(
                live,
                Contact.archived_at.is_(None),
                *each_word(Contact.first_name, Contact.last_name, Contact.email),
            )
            .order_by(Contact.last_name, Contact.first_name)
            .limit(LIMIT)
        )
    ]
    deals = [
        Hit("deal", r.id, r.name, f"{r.account} · {r.stage.replace('_', ' ')}", f"/deals/{r.id}")
        for r in session.execute(
            select(
                Opportunity.id, Opportunity.name, Opportunity.stage, Account.name.label("account")
            )
            .join(Account, Account.id == Opportunity.account_id)
            .where(live, Opportunity.archived_at.is_(None), *each_word(Opportunity.name))
            .order_by(Opportunity.close_date.desc())
            .limit(LIMIT)
        )
    ]
    return Results(query, accounts, contacts, deals)
