"""Whose mail is it: a participant's address → contact → account; else the address's domain
(or a parent domain: eu.acme.com is acme.com's) → the account holding it; mail among our own
domains only is internal. What nothing claims waits in the review queue."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from steward.accounts.models import Account, AccountDomain
from steward.capture.models import ReviewItem, ReviewStatus
from steward.capture.parsing import domain_of
from steward.config import Settings
from steward.contacts.models import Contact
from steward.users.models import User


@dataclass(frozen=True)
class Match:
    # Exactly one of: account_id (matched), pending_domain (review), or neither (skip:
    # internal-only, or every outside domain ignored).
    account_id: int | None
    contact_ids: dict[str, int]  # customer address -> contact id (any account)
    external: list[str]
    pending_domain: str | None = None
    reason: str = ""


def parent_domains(domain: str) -> list[str]:
    """eu.sales.acme.com → [eu.sales.acme.com, sales.acme.com, acme.com] (no bare TLD)."""
    labels = domain.lower().strip(".").split(".")
    return [".".join(labels[i:]) for i in range(len(labels) - 1)]


class Matcher:
    """Matches the messages of one batch; remembers what it looked up for the batch."""

    def __init__(self, session: Session, settings: Settings) -> None:
        self.session = session
        self.settings = settings
        self._contacts: dict[str, tuple[int, int] | None] = {}
        self._domains: dict[str, tuple[int | None, bool]] = {}

    @cached_property
    def internal_domains(self) -> frozenset[str]:
        configured = {d.strip().lower() for d in self.settings.internal_domains.split(",")}
        users = self.session.scalars(select(User.email).where(User.is_active.is_(True)))
        return frozenset({d for d in configured if d} | {domain_of(e) for e in users})

    @cached_property
    def ignored_domains(self) -> frozenset[str]:
        return frozenset(
            self.session.scalars(
                select(ReviewItem.domain).where(ReviewItem.status == ReviewStatus.IGNORED)
            )
        )

    @cached_property
    def user_ids(self) -> dict[str, int]:
        rows = self.session.execute(select(User.email, User.id).where(User.is_active.is_(True)))
        return {email.lower(): user_id for email, user_id in rows}

    def is_internal(self, address: str) -> bool:
        return any(d in self.internal_domains for d in parent_domains(domain_of(address)))

    def contacts(self, addresses: list[str]) -> dict[str, tuple[int, int]]:
        """address -> (contact id, account id) of the live contacts with these addresses."""
        wanted = [a for a in addresses if a not in self._contacts]
        if wanted:
            for a in wanted:
                self._contacts[a] = None
            rows = self.session.execute(
                select(func.lower(Contact.email), Contact.id, Contact.account_id)
                .join(Account, Account.id == Contact.account_id)
                .where(
                    func.lower(Contact.email).in_(wanted),
                    Contact.archived_at.is_(None),
                    Account.archived_at.is_(None),
                )
                .order_by(Contact.id)
            )
            for address, contact_id, account_id in rows:
                if self._contacts.get(address) is None:
                    self._contacts[address] = (contact_id, account_id)
        return {a: found for a in addresses if (found := self._contacts.get(a)) is not None}

    def domain_account(self, domain: str) -> tuple[int | None, bool]:
        """(the account holding the domain or its nearest parent, or None; whether several
        hold it, so that a person decides)."""
        if domain in self._domains:
            return self._domains[domain]
        candidates = parent_domains(domain)
        holders: dict[str, set[int]] = {}
        own = select(func.lower(Account.domain), Account.id).where(
            func.lower(Account.domain).in_(candidates),
            Account.archived_at.is_(None),
            Account.merged_into_id.is_(None),
        )
        extra = (
            select(AccountDomain.domain, AccountDomain.account_id)
            .join(Account, Account.id == AccountDomain.account_id)
            .where(AccountDomain.domain.in_(candidates), Account.archived_at.is_(None))
        )
        for name, account_id in [*self.session.execute(own), *self.session.execute(extra)]:
            holders.setdefault(name, set()).add(account_id)
        found: tuple[int | None, bool] = (None, False)
        for candidate in candidates:  # nearest first
            if candidate in holders:
                ids = holders[candidate]
                found = (next(iter(ids)), False) if len(ids) == 1 else (None, True)
                break
        self._domains[domain] = found
        return found

    def match(self, participants: list[str]) -> Match:
        external = [a for a in participants if not self.is_internal(a)]
        if not external:
            return Match(None, {}, [], reason="internal")
        known = self.contacts(external)
        contact_ids = {a: c for a, (c, _) in known.items()}
        for address in external:  # the sender first, then the recipients
            if address in known:
                return Match(known[address][1], contact_ids, external)
        pending = None
        ambiguous = False
        for address in external:
            domain = domain_of(address)
            account, several = self.domain_account(domain)
            if account is not None:
                return Match(account, contact_ids, external)
            ambiguous = ambiguous or several
            if pending is None and not any(
                d in self.ignored_domains for d in parent_domains(domain)
            ):
                pending = domain
        if pending is None:
            return Match(None, contact_ids, external, reason="ignored")
        return Match(None, contact_ids, external, pending, "ambiguous" if ambiguous else "unknown")
