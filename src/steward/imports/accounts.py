"""Accounts from CSV rows (Steward, Salesforce or HubSpot columns), and back."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError
from sqlalchemy import String, cast, func, literal, or_, select, true
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, aliased

from steward.accounts import service as accounts_service
from steward.accounts.models import Account, AccountAncestor, LifecycleStage, Segment
from steward.accounts.repository import ACCOUNTS_TABLE, get_readable_statement
from steward.accounts.schemas import AccountCreate, AccountUpdate
from steward.core.errors import InvalidField, StewardError
from steward.core.principal import ACROSS_BOOKS, Principal
from steward.fields import service as fields
from steward.fields.models import CustomField, Entity
from steward.imports import custom
from steward.imports.base import Outcome, RowProblem, find_by_key, problem_from, record_key
from steward.imports.columns import ACCOUNT_COLUMNS, Column
from steward.users.models import User

# Lifecycle values of CRM exports → Steward's stages, keyed by their letters and digits only:
# HubSpot's lifecycle stages (labels and internal values), Salesforce's standard account Types
# and Steward's own stages. Partners and "Other" are no paying customers: prospects.
_STAGES = {
    "subscriber": "prospect",
    "lead": "prospect",
    "marketingqualifiedlead": "prospect",
    "salesqualifiedlead": "prospect",
    "opportunity": "prospect",
    "other": "prospect",
    "prospect": "prospect",
    "channelpartnerreseller": "prospect",
    "installationpartner": "prospect",
    "technologypartner": "prospect",
    "partner": "prospect",
    "customer": "adopting",
    "customerdirect": "adopting",
    "customerchannel": "adopting",
    "evangelist": "mature",
    **{re.sub(r"[^a-z0-9]", "", stage.value): stage.value for stage in LifecycleStage},
}
# Employee bands when a file has no segment column (a common CRM convention).
_SEGMENT_BY_EMPLOYEES = ((1000, "enterprise"), (100, "mid_market"), (0, "smb"))
# A new account whose row gives neither segment nor size (CRM exports often leave the size
# blank) is created in this segment rather than refused; docs/import-export.md says so.
DEFAULT_SEGMENT = Segment.SMB.value
# More people than any employer has: a typo or an overflow, not a company.
_MAX_EMPLOYEES = 100_000_000
# Which CSV field a validation error of a model field points at.
FIELD_COLUMN = {"owner_am_id": "owner", "csm_id": "csm", "parent_id": "parent_external_id"}
UPDATABLE = ("name", "domain", "industry", "segment", "tier", "lifecycle_stage")


def _token(value: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", value.strip().lower()).strip("_")


def _domain(value: str) -> str:
    host = re.sub(r"^[a-z]+://", "", value.strip().lower()).split("/")[0]
    return host.removeprefix("www.")


class UserLookup:
    """E-mail or full name → active user id, read once per import."""

    def __init__(self, session: Session) -> None:
        self._by_key: dict[str, int | None] = {}
        for user_id, email, name in session.execute(
            select(User.id, User.email, User.full_name).where(User.is_active.is_(True))
        ):
            self._by_key[email.lower()] = user_id
            key = name.strip().lower()
            # Two users with one name: ambiguous, so refuse the name (an e-mail still works).
            self._by_key[key] = None if key in self._by_key else user_id

    def find(self, field: str, value: str) -> int:
        user_id = self._by_key.get(value.strip().lower())
        if user_id is None:
            raise RowProblem(field, f"no single active user with e-mail or name {value!r}")
        return user_id


class AccountByExternalId:
    """The readable, live account an external id names (read once per batch)."""

    def __init__(self) -> None:
        self._ids: dict[str, int] = {}

    def find(self, session: Session, principal: Principal, external_id: str) -> int:
        if external_id not in self._ids:
            # A merged-away account's external id names its survivor (which must be in the
            # book; the merged-away one need not: read below the policy, as a table).
            merged = ACCOUNTS_TABLE
            merged_into = (
                select(merged.c.merged_into_id)
                .where(merged.c.external_id == external_id)
                .scalar_subquery()
            )
            named = find_by_key(session, Account, "account", external_id)
            found = session.scalar(
                get_readable_statement(few=True)
                .with_only_columns(Account.id)
                .where(
                    or_(
                        Account.id == (named.id if named is not None else -1),
                        Account.id == merged_into,
                    ),
                    Account.archived_at.is_(None),
                )
            )
            if found is None:
                raise RowProblem(
                    "account_external_id", f"no account with external id {external_id!r}"
                )
            self._ids[external_id] = found
        return self._ids[external_id]


def row_values(cells: dict[str, str], users: UserLookup) -> dict[str, Any]:
    """Non-empty cells → AccountCreate/Update fields (empty cells mean 'leave as is')."""
    values: dict[str, Any] = {}
    for field in ("external_id", "name", "industry"):
        if cells.get(field):
            values[field] = cells[field].strip()
    if cells.get("domain"):
        values["domain"] = _domain(cells["domain"])
    if cells.get("segment"):
        values["segment"] = _token(cells["segment"])
    elif cells.get("employees", "").strip():
        employees = parse_employees(cells["employees"])
        values["segment"] = next(s for limit, s in _SEGMENT_BY_EMPLOYEES if employees >= limit)
    if cells.get("tier"):
        values["tier"] = _token(cells["tier"])
    if cells.get("lifecycle_stage", "").strip():
        label = cells["lifecycle_stage"]
        stage = _STAGES.get(re.sub(r"[^a-z0-9]", "", label.lower()))
        if stage is None:
            known = ", ".join(LifecycleStage)
            raise RowProblem(
                "lifecycle_stage",
                f"is not a lifecycle stage or CRM type Steward knows ({known}, or HubSpot's "
                "lifecycle stages and Salesforce's account types)",
            )
        values["lifecycle_stage"] = stage
    if cells.get("owner"):
        values["owner_am_id"] = users.find("owner", cells["owner"])
    if cells.get("csm"):
        values["csm_id"] = users.find("csm", cells["csm"])
    return values


def parse_employees(value: str) -> int:
    """A head count as CRMs export it ("1,200", "1200.0"): a whole number from 0 up."""
    try:
        number = Decimal(value.strip().replace(",", ""))
    except InvalidOperation:
        number = Decimal("NaN")
    if (
        not number.is_finite()
        or number < 0
        or number > _MAX_EMPLOYEES
        or number != number.to_integral_value()
    ):
        raise RowProblem(
            "employees", f"must be a whole number of people from 0 to {_MAX_EMPLOYEES:,}"
        )
    return int(number)


def upsert(
    session: Session, principal: Principal, values: dict[str, Any]
) -> tuple[Outcome, Account | None]:
    """Creates or updates one account by external id: ('created'|'updated'|'unchanged', it)."""
    external_id = values.get("external_id")
    if not external_id:
        raise RowProblem("external_id", "is required, so that importing again updates the row")
    existing = find_by_key(session, Account, "account", external_id)
    if (
        existing is not None
        and not principal.sees_all
        and (
            session.scalar(
                get_readable_statement(few=True)
                .with_only_columns(Account.id)
                .where(Account.id == existing.id)
            )
            is None
        )
    ):
        raise RowProblem("external_id", "belongs to an account outside your book")
    try:
        if existing is None:
            return "created", accounts_service.create_account(
                session, principal, AccountCreate(**{"segment": DEFAULT_SEGMENT, **values})
            )
        custom_values = values.pop("custom_fields", None) or {}
        changes = {
            key: value
            for key, value in values.items()
            if key != "external_id" and getattr(existing, key) != value
        }
        custom_changes = custom.changes(session, Entity.ACCOUNT, existing.id, custom_values)
        if custom_changes:
            changes["custom_fields"] = custom_changes
        if not changes:
            return "unchanged", existing
        AccountUpdate(**changes)  # validate before the service (same messages as the API)
        return "updated", accounts_service.update_account(
            session, principal, existing.id, AccountUpdate(**changes)
        )
    except InvalidField as error:
        raise custom.row_problem(error) from None
    except (ValidationError, StewardError) as error:
        raise problem_from(error, FIELD_COLUMN) from None


def set_parent(
    session: Session, principal: Principal, external_id: str, parent_external_id: str
) -> bool:
    """Points an imported account at its parent (by external id); True when it changed."""
    account = find_by_key(session, Account, "account", external_id)
    parent = find_by_key(session, Account, "account", parent_external_id)
    parent_id = session.scalar(
        get_readable_statement(few=True)
        .with_only_columns(Account.id)
        .where(Account.id == (parent.id if parent is not None else -1))
    )
    if parent_id is None:
        raise RowProblem(
            "parent_external_id", f"no account with external id {parent_external_id!r}"
        )
    if account is None or account.parent_id == parent_id:
        return False
    try:
        accounts_service.update_account(
            session, principal, account.id, AccountUpdate(parent_id=parent_id)
        )
    except StewardError as error:
        raise RowProblem("parent_external_id", error.detail) from None
    return True


def export_rows(
    session: Session, principal: Principal, only: Any = None
) -> Iterator[dict[str, Any]]:
    """The principal's accounts as CSV fields (owner and CSM by e-mail, parent by external id);
    `only`: a statement of the account ids to keep (a saved segment's)."""
    owner, csm, parent = aliased(User), aliased(User), aliased(Account)
    statement = (
        get_readable_statement()
        .add_columns(owner.email, csm.email, parent.external_id, parent.id)
        .outerjoin(owner, owner.id == Account.owner_am_id)
        .outerjoin(csm, csm.id == Account.csm_id)
        .outerjoin(parent, parent.id == Account.parent_id)
        .where(Account.archived_at.is_(None), true() if only is None else Account.id.in_(only))
        # By the key the file names each account with, so that a workspace rebuilt from the
        # file exports it in the same order.
        .order_by(
            func.coalesce(
                Account.external_id, literal("steward-account-") + cast(Account.id, String)
            )
        )
    )
    for account, owner_email, csm_email, parent_external_id, parent_id in session.execute(
        statement
    ):
        yield {
            "id": account.id,
            "external_id": record_key("account", account.external_id, account.id),
            "name": account.name,
            "domain": account.domain,
            "industry": account.industry,
            "segment": account.segment,
            "employees": None,
            "tier": account.tier,
            "lifecycle_stage": account.lifecycle_stage,
            "parent_external_id": None
            if parent_id is None
            else record_key("account", parent_external_id, parent_id),
            "owner": owner_email,
            "csm": csm_email,
        }


class AccountImport:
    columns: tuple[Column, ...] = ACCOUNT_COLUMNS
    custom_entity = Entity.ACCOUNT
    required: tuple[str, ...] = ("external_id",)
    key_field = "external_id"  # one row per record in a file
    # New accounts and parent links are written a batch at a time (import_batch, link_batch):
    # 1,000 of them hold SQLite's write lock about 0.1 s, and half as many pauses let other
    # writers in between batches as with 500.
    batch_size = 1000

    def __init__(self) -> None:
        self._users: UserLookup | None = None
        self._declared: list[CustomField] = []

    def start_batch(self, session: Session, principal: Principal) -> None:
        self._users = UserLookup(session)
        # Read once a batch, not twice a row (a third of a 10,000-row import's time).
        self._declared = fields.fields_of(session, Entity.ACCOUNT)

    def import_row(
        self, session: Session, principal: Principal, cells: dict[str, str]
    ) -> tuple[Outcome, Any]:
        assert self._users is not None
        values = row_values(cells, self._users)
        found = custom.from_cells(session, Entity.ACCOUNT, cells, self._declared)
        if found:
            values["custom_fields"] = found
        outcome, _ = upsert(session, principal, values)
        parent = cells.get("parent_external_id", "").strip()
        return outcome, (values["external_id"], parent) if parent else None

    def import_batch(
        self, session: Session, principal: Principal, rows: list[tuple[int, dict[str, str]]]
    ) -> tuple[
        list[tuple[int, dict[str, str], tuple[Outcome, Any]]],
        list[tuple[int, dict[str, str], RowProblem]],
        list[tuple[int, dict[str, str]]],
    ]:
        """New accounts of a batch in one write (accounts_service.create_accounts), after the
        same rules as one at a time; rows naming existing accounts (updates, Steward's own
        references) are left to import_row. An import of 10,000 accounts spent 97 % of its
        time in per-row savepoints, flushes, audit and closure writes."""
        assert self._users is not None
        done: list[tuple[int, dict[str, str], tuple[Outcome, Any]]] = []
        refused: list[tuple[int, dict[str, str], RowProblem]] = []
        rest: list[tuple[int, dict[str, str]]] = []
        parsed: list[tuple[int, dict[str, str], dict[str, Any]]] = []
        for line, cells in rows:
            try:
                values = row_values(cells, self._users)
                values["custom_fields"] = custom.from_cells(
                    session, Entity.ACCOUNT, cells, self._declared
                )
            except RowProblem as error:
                refused.append((line, cells, error))
                continue
            if not values.get("external_id"):
                rest.append((line, cells))  # import_row says what is missing
                continue
            parsed.append((line, cells, values))
        keys = [values["external_id"] for _, _, values in parsed]
        taken = set(  # across books: a key taken outside the book is refused by import_row
            session.scalars(
                select(Account.external_id)
                .where(Account.external_id.in_(keys))
                .execution_options(**ACROSS_BOOKS)
            )
        )
        new: list[tuple[int, dict[str, str], dict[str, Any]]] = []
        new_custom: list[dict[str, Any]] = []
        for line, cells, values in parsed:
            key = values["external_id"]
            if key in taken or key.startswith("steward-account-"):
                rest.append((line, cells))
                continue
            try:
                data = AccountCreate(**{"segment": DEFAULT_SEGMENT, **values})
                checked = accounts_service.new_account_values(
                    session, principal, data, known_unique=True
                )
                cleaned = fields.clean_values(
                    session,
                    Entity.ACCOUNT,
                    data.custom_fields,
                    creating=True,
                    declared=self._declared,
                )
            except InvalidField as error:
                refused.append((line, cells, custom.row_problem(error)))
                continue
            except (ValidationError, StewardError) as error:
                refused.append((line, cells, problem_from(error, FIELD_COLUMN)))
                continue
            new.append((line, cells, checked))
            new_custom.append(cleaned)
        try:
            with session.begin_nested():
                ids = accounts_service.create_accounts(
                    session, principal.user_id, [values for _, _, values in new]
                )
                fields.write_new_values(
                    session, principal.user_id, Entity.ACCOUNT, zip(ids, new_custom, strict=True)
                )
        except SQLAlchemyError:
            # Something the checks did not foresee (a concurrent import of the same ids):
            # each row goes its own way and reports its own error.
            return done, refused, rest + [(line, cells) for line, cells, _ in new]
        for line, cells, values in new:
            parent = cells.get("parent_external_id", "").strip()
            follow_up = (values["external_id"], parent) if parent else None
            done.append((line, cells, ("created", follow_up)))
        return done, refused, rest

    def link_batch(
        self, session: Session, principal: Principal, later: list[tuple[int, dict[str, str], Any]]
    ) -> tuple[int, list[tuple[int, dict[str, str], Any]]]:
        """Parent links of accounts without children at once (accounts_service.link_leaves),
        for a principal who sees every account; returns how many changed and the links left
        to second_pass (references, accounts with children, archived or missing accounts,
        cycles: it reports them one by one)."""
        if not principal.sees_all or not later:
            return 0, later
        keys = {key for _, _, pair in later for key in pair}
        found = {
            row.external_id: row
            for row in session.execute(
                select(
                    Account.id,
                    Account.external_id,
                    Account.parent_id,
                    Account.archived_at,
                    Account.merged_into_id,
                ).where(Account.external_id.in_(keys))
            )
        }
        with_children = set(
            session.scalars(
                select(AccountAncestor.ancestor_id).where(
                    AccountAncestor.ancestor_id.in_([r.id for r in found.values()]),
                    AccountAncestor.depth > 0,
                )
            )
        )
        pending: dict[int, tuple[int, int]] = {}  # child id -> (index in later, parent id)
        rest: list[tuple[int, dict[str, str], Any]] = []
        for index, (line, cells, (child_key, parent_key)) in enumerate(later):
            child, parent = found.get(child_key), found.get(parent_key)
            usable = (
                child is not None
                and parent is not None
                and child.archived_at is None
                and parent.archived_at is None
                and child.merged_into_id is None
                and parent.merged_into_id is None
                and child.id not in with_children
                and child.id != parent.id
            )
            if not usable or child.id in pending:  # type: ignore[union-attr]
                rest.append((line, cells, (child_key, parent_key)))
                continue
            if child.parent_id == parent.id:  # type: ignore[union-attr]
                continue  # unchanged
            pending[child.id] = (index, parent.id)  # type: ignore[union-attr]
        # Parents before their children; what is left in a cycle goes row by row.
        ordered: list[tuple[int, int]] = []
        while pending:
            ready = [c for c, (_, p) in pending.items() if p not in pending]
            if not ready:
                break
            for account_id in sorted(ready, key=lambda c: pending[c][0]):
                ordered.append((account_id, pending.pop(account_id)[1]))
        for index, _ in pending.values():
            rest.append(later[index])
        try:
            with session.begin_nested():
                accounts_service.link_leaves(session, principal.user_id, ordered)
        except SQLAlchemyError:
            return 0, later
        return len(ordered), rest

    def second_pass(self, session: Session, principal: Principal, item: Any) -> bool:
        external_id, parent_external_id = item
        return set_parent(session, principal, external_id, parent_external_id)

    def export_rows(
        self, session: Session, principal: Principal, only: Any = None
    ) -> Iterator[dict[str, Any]]:
        return export_rows(session, principal, only)
