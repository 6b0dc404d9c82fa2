"""Records that belong to an account (contacts, contracts, opportunities, activities, tasks).

They are readable exactly when their account is: one rule, built on the account book.
Each domain's service subclasses `AccountOwnedService` and adds its own filters and rules.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel
from sqlalchemy import ColumnElement, Select, Table, column, select, table
from sqlalchemy.orm import Session

from steward.accounts import policy, team_scope
from steward.accounts import repository as accounts
from steward.accounts.models import Account
from steward.core import crud
from steward.core.crud import PageParams
from steward.core.errors import Conflict, InvalidField, NotFound
from steward.core.principal import ACROSS_BOOKS, Principal
from steward.fields import query as field_query
from steward.fields import service as fields
from steward.fields.models import Entity
from steward.users.models import User

M = TypeVar("M")


def _entity(table_name: str) -> str:
    """contracts → contract, opportunities → opportunity, plan_outcomes → plan outcome."""
    name = table_name.replace("_", " ")
    return name[:-3] + "y" if name.endswith("ies") else name.removesuffix("s")


# The contacts table as far as this check reads it (contacts are a domain above accounts).
CONTACTS = table("contacts", column("id"), column("account_id"))


class AccountOwnedService(Generic[M]):
    model: type[M]
    entity: str
    sortable: ClassVar[Mapping[str, Any]]
    default_sort: ClassVar[str]
    # Fields a PATCH may omit but not set to null.
    required_fields: ClassVar[Sequence[str]] = ("account_id",)
    # Fields that must name an active user.
    user_fields: ClassVar[Sequence[str]] = ()
    # Records without archived_at (milestones go with their plan or project).
    archivable: ClassVar[bool] = True
    # The kind of record custom fields are declared on for this service (None: none).
    custom_entity: ClassVar[Entity | None] = None

    @property
    def _columns(self) -> Any:
        return self.model

    # --- queries -----------------------------------------------------------------------

    def get_readable_statement(self, *, few: bool = False) -> Select[M]:
        """Records of the session reader's book (the book policy filters every query of an
        account-owned model); `few=True` when the query reads one or a few."""
        statement = select(self.model)
        return statement.execution_options(**policy.FEW) if few else statement

    def get(self, session: Session, principal: Principal, record_id: int) -> M:
        policy.check_reader(session, principal)
        statement = self.get_readable_statement(few=True).where(self._columns.id == record_id)
        return crud.one_or_404(session, statement, self.entity, record_id)

    def where_clauses(self, filters: Any) -> list[ColumnElement[bool]]:
        """The domain's list filters; account_id is common to all."""
        clauses: list[ColumnElement[bool]] = []
        if getattr(filters, "account_id", None) is not None:
            clauses.append(self._columns.account_id == filters.account_id)
        team_ids = getattr(filters, "account_team_ids", None)
        if team_ids is not None:
            clauses.append(self._columns.account_id.in_(team_scope.team_account_ids(team_ids)))
        return clauses

    def list(
        self,
        session: Session,
        principal: Principal,
        filters: Any,
        paging: PageParams,
        custom: Mapping[str, str] | None = None,
    ) -> tuple[list[M], int]:
        """A page of the book's records; `custom` holds `cf.<key>…` filters."""
        policy.check_reader(session, principal)
        statement = self.get_readable_statement().where(*self.where_clauses(filters))
        sortable = self.sortable
        if self.custom_entity is not None:
            parsed = field_query.parse(session, self.custom_entity, custom or {})
            statement = statement.where(*field_query.clauses(self._columns.id, parsed))
            statement, sortable = field_query.sorted_by(
                session, self.custom_entity, statement, self._columns.id, sortable, paging.sort
            )
        if self.archivable and not getattr(filters, "include_archived", False):
            # Archived with their account too: an archived account's records leave lists
            # with it and come back when it is restored.
            statement = statement.where(
                self._columns.archived_at.is_(None),
                self._columns.account_id.in_(
                    select(Account.id).where(Account.archived_at.is_(None))
                ),
            )
        order = crud.order_by_clause(paging.sort, sortable, self.default_sort)
        rows, total = crud.page(
            session, statement, order, self._columns.id, paging.limit, paging.offset
        )
        return [row[0] for row in rows], total

    # --- writes ------------------------------------------------------------------------

    def check_account(self, session: Session, principal: Principal, account_id: int) -> None:
        try:
            accounts.ensure_readable(session, principal, account_id)
        except NotFound as exc:
            raise InvalidField("account_id", f"no account with id {account_id}") from exc

    def check_reference(
        self,
        session: Session,
        principal: Principal,
        field: str,
        table: Table,
        record_id: int,
        account_id: int | None = None,
    ) -> None:
        """A body field naming another record: it must exist and, when the record belongs to
        an account, be in the principal's book (a hidden record reads exactly like a missing
        one) and, given `account_id`, belong to that account. The one check every reference
        of every request body goes through (issue 19: a decoy renewal opportunity pointed at
        another book's contract)."""
        entity = _entity(table.name)
        if "account_id" in table.c:
            owner = session.scalar(select(table.c.account_id).where(table.c.id == record_id))
            try:
                if owner is None:
                    raise NotFound(entity, record_id)
                accounts.ensure_readable(session, principal, owner)
            except NotFound:
                raise InvalidField(field, f"no {entity} with id {record_id}") from None
            if account_id is not None and owner != account_id:
                raise InvalidField(
                    field, f"{entity} {record_id} belongs to another account than {account_id}"
                )
        elif session.scalar(select(table.c.id).where(table.c.id == record_id)) is None:
            raise InvalidField(field, f"no {entity} with id {record_id}")

    def check_record_references(
        self, session: Session, principal: Principal, values: Mapping[str, Any], account_id: int
    ) -> None:
        """Every foreign key to an account-owned record that a write sets, through
        check_reference (the account itself goes through check_account)."""
        for foreign_key in self.model.__table__.foreign_keys:  # type: ignore[attr-defined]
            field = foreign_key.parent.name
            if field == "account_id" or field in self.user_fields:
                continue
            value = values.get(field)
            # Records without an account of their own (a plan's outcomes, products) are
            # checked by their domain, which knows what they must belong to.
            if value is None or "account_id" not in foreign_key.column.table.c:
                continue
            self.check_reference(
                session, principal, field, foreign_key.column.table, value, account_id
            )

    def check_contact(self, session: Session, contact_id: int | None, account_id: int) -> None:
        """A contact named on a record must belong to the record's account."""
        if contact_id is None:
            return
        contact_account = session.scalar(
            select(CONTACTS.c.account_id).where(CONTACTS.c.id == contact_id)
        )
        if contact_account != account_id:
            raise InvalidField("contact_id", f"no contact {contact_id} on account {account_id}")

    def check_references(
        self, session: Session, values: Mapping[str, Any], own_id: int | None
    ) -> None:
        for field in self.user_fields:
            user_id = values.get(field)
            if user_id is not None:
                user = session.get(User, user_id)
                if user is None or not user.is_active:
                    raise InvalidField(field, f"no active user with id {user_id}")
        external_id = values.get("external_id")
        if external_id is not None:
            found = session.scalar(  # unique across books: the workspace's key
                select(self._columns.id)
                .where(self._columns.external_id == external_id)
                .execution_options(**ACROSS_BOOKS)
            )
            if found is not None and found != own_id:
                raise InvalidField(
                    "external_id", f"another {self.entity} already has external id {external_id!r}"
                )

    def create(self, session: Session, principal: Principal, data: BaseModel) -> M:
        return self.insert(session, principal, data.model_dump())

    def insert(self, session: Session, principal: Principal, values: dict[str, Any]) -> M:
        self.check_account(session, principal, values["account_id"])
        self.check_references(session, values, None)
        self.check_record_references(session, principal, values, values["account_id"])
        custom = self._clean_custom(session, values, creating=True)
        record = self.model(**values)
        crud.create(session, principal.user_id, record)
        self._write_custom(session, principal, record, custom)
        self.after_write(session, record)
        return record

    def _clean_custom(
        self, session: Session, values: dict[str, Any], *, creating: bool
    ) -> dict[str, Any]:
        """Takes `custom_fields` out of a write's values, cleaned (steward.fields)."""
        raw = values.pop("custom_fields", None)
        if self.custom_entity is None:
            return {}
        return fields.clean_values(session, self.custom_entity, raw, creating=creating)

    def _write_custom(
        self, session: Session, principal: Principal, record: M, custom: dict[str, Any]
    ) -> None:
        if self.custom_entity is not None:
            fields.write_values(session, principal.user_id, self.custom_entity, record, custom)

    def custom_values(
        self, session: Session, record_ids: Sequence[int]
    ) -> dict[int, dict[str, Any]]:
        """The records' custom fields by id (empty dicts where none are declared)."""
        if self.custom_entity is None:
            return {record_id: {} for record_id in record_ids}
        return fields.values_of(session, self.custom_entity, record_ids)

    def update(self, session: Session, principal: Principal, record_id: int, data: BaseModel) -> M:
        record = self.get(session, principal, record_id)
        return self.apply_update(session, principal, record, data.model_dump(exclude_unset=True))

    def apply_update(
        self, session: Session, principal: Principal, record: M, changes: dict[str, Any]
    ) -> M:
        record_id: int = record.id  # type: ignore[attr-defined]
        crud.check_not_merged(record)
        custom = self._clean_custom(session, changes, creating=False)
        for field in self.required_fields:
            if field in changes and changes[field] is None:
                raise InvalidField(field, "may not be null")
        if "account_id" in changes:
            self.check_account(session, principal, changes["account_id"])
        self.check_references(session, changes, record_id)
        self.check_record_references(
            session,
            principal,
            changes,
            changes.get("account_id") or record.account_id,  # type: ignore[attr-defined]
        )
        self.validate_update(session, principal, record, changes)
        old_account_id = self._account_of(record)
        if changes or not custom:  # custom fields alone are audited by write_values
            crud.update(session, principal.user_id, record, changes)
        self._write_custom(session, principal, record, custom)
        self.after_write(session, record, previous_account_id=old_account_id)
        return record

    def validate_update(
        self, session: Session, principal: Principal, record: M, changes: dict[str, Any]
    ) -> None:
        """Domain rules on a PATCH; may adjust `changes` (e.g. derived fields)."""

    def after_write(
        self, session: Session, record: M, previous_account_id: int | None = None
    ) -> None:
        """Keeps account roll-ups current after a write (overridden where one applies)."""

    def _account_of(self, record: M) -> int:
        account_id: int = record.account_id  # type: ignore[attr-defined]
        return account_id

    def archive(self, session: Session, principal: Principal, record_id: int) -> M:
        record = self.get(session, principal, record_id)
        crud.archive(session, principal.user_id, record)
        self.after_write(session, record)
        return record

    def restore(self, session: Session, principal: Principal, record_id: int) -> M:
        record = self.get(session, principal, record_id)
        account = session.get(Account, self._account_of(record))
        if account is not None and account.archived_at is not None:
            raise Conflict(
                f"{self.entity} {record_id} belongs to account {account.id}, which is archived; "
                "restore the account first"
            )
        crud.restore(session, principal.user_id, record)
        self.after_write(session, record)
        return record
