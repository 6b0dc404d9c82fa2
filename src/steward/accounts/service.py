"""Account business rules: who may assign whom, the hierarchy, archiving."""

from __future__ import annotations

from collections import defaultdict
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from steward.accounts import repository
from steward.accounts.models import Account, AccountAncestor, LifecycleStage
from steward.accounts.schemas import AccountCreate, AccountUpdate
from steward.core import audit, crud
from steward.core.audit import AuditEvent
from steward.core.errors import InvalidField, NotFound
from steward.core.principal import ACROSS_BOOKS, Principal
from steward.db.base import utcnow
from steward.fields import service as fields
from steward.fields.models import Entity
from steward.users.models import Role, User

ASSIGNMENT_FIELDS: dict[str, frozenset[Role]] = {
    "owner_am_id": frozenset({Role.AM, Role.STRATEGIC_AM, Role.TEAM_LEAD}),
    "csm_id": frozenset({Role.CSM, Role.TEAM_LEAD}),
    "ae_id": frozenset({Role.AE, Role.TEAM_LEAD}),
    "strategist_id": frozenset({Role.STRATEGIST, Role.STRATEGIC_AM}),
}
# The slot a non-manager fills on an account they create.
OWN_SLOT: dict[Role, str] = {
    Role.AM: "owner_am_id",
    Role.STRATEGIC_AM: "owner_am_id",
    Role.CSM: "csm_id",
    Role.AE: "ae_id",
    Role.STRATEGIST: "strategist_id",
}


def _check_assignees(session: Session, principal: Principal, values: dict[str, Any]) -> None:
    for field, roles in ASSIGNMENT_FIELDS.items():
        if field not in values:
            continue
        user_id = values[field]
        if user_id is None:
            # Unassigning is reassigning: an AM who could clear the owner would orphan the
            # account (out of every book but the managers').
            if not principal.is_manager:
                raise InvalidField(
                    field, "only a team lead, director, VP or admin can unassign an account"
                )
            continue
        if not principal.is_manager and user_id != principal.user_id:
            raise InvalidField(
                field, "only a team lead, director, VP or admin can assign an account to others"
            )
        user = session.get(User, user_id)
        if user is None or not user.is_active:
            raise InvalidField(field, f"no active user with id {user_id}")
        if Role(user.role) not in roles:
            allowed = ", ".join(sorted(r.value for r in roles))
            raise InvalidField(field, f"user {user_id} is a {user.role}; expected one of {allowed}")


def _check_parent(session: Session, principal: Principal, parent_id: int) -> None:
    try:
        repository.ensure_readable(session, principal, parent_id)
    except Exception as exc:  # NotFound: say which field points nowhere
        raise InvalidField("parent_id", f"no account with id {parent_id}") from exc


def _link_to_parent(
    session: Session, account_id: int, parent_id: int | None, *, is_new: bool = False
) -> None:
    """Rebuild the closure rows of account_id's subtree under its (new) parent."""
    if is_new:  # no subtree, no old links: just itself (and its parent's chain below)
        subtree = [(account_id, 0)]
        session.execute(
            insert(AccountAncestor).values(account_id=account_id, ancestor_id=account_id, depth=0)
        )
        _attach(session, subtree, parent_id)
        return
    subtree = [
        (row.account_id, row.depth)
        for row in session.execute(
            select(AccountAncestor.account_id, AccountAncestor.depth).where(
                AccountAncestor.ancestor_id == account_id
            )
        )
    ]
    subtree_ids = [node for node, _ in subtree] or [account_id]
    session.execute(
        delete(AccountAncestor).where(
            AccountAncestor.account_id.in_(subtree_ids),
            AccountAncestor.ancestor_id.not_in(subtree_ids),
        )
    )
    if not subtree:
        session.execute(
            insert(AccountAncestor).values(account_id=account_id, ancestor_id=account_id, depth=0)
        )
        subtree = [(account_id, 0)]
    _attach(session, subtree, parent_id)


def link_leaves(session: Session, actor_id: int | None, links: list[tuple[int, int]]) -> None:
    """Puts accounts without children under parents at once (imports): `links` are (account,
    parent) pairs, each account childless when its turn comes, a parent linked in the same
    call before its children. The same rows, versions and audit events as update_account of
    parent_id one at a time, in a few statements."""
    if not links:
        return
    session.flush()
    children = [child for child, _ in links]
    before = {
        row.id: row
        for row in session.execute(
            select(Account.id, Account.parent_id, Account.version, Account.updated_at).where(
                Account.id.in_(children)
            )
        )
    }
    parents = {parent for _, parent in links} - set(children)
    chains: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for row in session.execute(
        select(
            AccountAncestor.account_id, AccountAncestor.ancestor_id, AccountAncestor.depth
        ).where(AccountAncestor.account_id.in_(parents))
    ):
        chains[row.account_id].append((row.ancestor_id, row.depth))
    closure: list[dict[str, int]] = []
    for child, parent in links:
        chains[child] = [(child, 0)] + [(up, depth + 1) for up, depth in chains[parent]]
        closure += [
            {"account_id": child, "ancestor_id": up, "depth": depth}
            for up, depth in chains[child]
            if depth > 0
        ]
    session.execute(
        delete(AccountAncestor).where(
            AccountAncestor.account_id.in_(children), AccountAncestor.depth > 0
        )
    )
    session.execute(insert(AccountAncestor), closure)
    now = utcnow()
    table = cast(Table, Account.__table__)
    session.execute(
        update(table)
        .where(table.c.id == bindparam("child"))
        .values(parent_id=bindparam("parent"), version=bindparam("next"), updated_at=now),
        [
            {"child": child, "parent": parent, "next": before[child].version + 1}
            for child, parent in links
        ],
    )
    session.execute(
        insert(AuditEvent),
        [
            {
                "at": now,
                "actor_id": actor_id,
                "action": "update",
                "entity_type": "accounts",
                "entity_id": child,
                "before": {
                    "id": child,
                    "parent_id": before[child].parent_id,
                    "version": before[child].version,
                    "updated_at": before[child].updated_at.isoformat(),
                },
                "after": {
                    "id": child,
                    "parent_id": parent,
                    "version": before[child].version + 1,
                    "updated_at": now.isoformat(),
                },
            }
            for child, parent in links
        ],
    )
    session.expire_all()


def _attach(session: Session, subtree: list[tuple[int, int]], parent_id: int | None) -> None:
    if parent_id is None:
        return
    parent_chain = list(
        session.execute(
            select(AccountAncestor.ancestor_id, AccountAncestor.depth).where(
                AccountAncestor.account_id == parent_id
            )
        )
    )
    rows = [
        {"account_id": node, "ancestor_id": up.ancestor_id, "depth": depth + up.depth + 1}
        for node, depth in subtree
        for up in parent_chain
    ]
    if rows:
        session.execute(insert(AccountAncestor), rows)


def new_account_values(
    session: Session, principal: Principal, data: AccountCreate, *, known_unique: bool = False
) -> dict[str, Any]:
    """The column values of a new account, after every rule a create checks (assignees, the
    creator's own slot, the parent, a unique external id; `known_unique` when the caller
    looked the external ids up already)."""
    values = data.model_dump(exclude={"custom_fields"})
    slot = OWN_SLOT.get(principal.role)
    if slot and values.get(slot) is None:
        values[slot] = principal.user_id
    _check_assignees(session, principal, {k: v for k, v in values.items() if v is not None})
    if data.parent_id is not None:
        _check_parent(session, principal, data.parent_id)
    if not known_unique:
        _check_unique_external_id(session, data.external_id, None)
    return values


def create_account(session: Session, principal: Principal, data: AccountCreate) -> Account:
    values = new_account_values(session, principal, data)
    custom = fields.clean_values(session, Entity.ACCOUNT, data.custom_fields, creating=True)
    account = Account(**values)
    crud.create(session, principal.user_id, account)
    _link_to_parent(session, account.id, account.parent_id, is_new=True)
    fields.write_values(session, principal.user_id, Entity.ACCOUNT, account, custom)
    return account


def create_accounts(
    session: Session, actor_id: int | None, rows: list[dict[str, Any]]
) -> list[int]:
    """Many new accounts without parents at once (imports), values from new_account_values:
    one INSERT for the accounts, one for their audit events (the same snapshots as one at a
    time) and one for their closure rows. Returns their ids in the order of `rows`."""
    if not rows:
        return []
    if any(row.get("parent_id") is not None for row in rows):
        raise ValueError("create_accounts takes accounts without a parent")
    now = utcnow()
    stamped = [{"created_at": now, "updated_at": now, "version": 1, **row} for row in rows]
    ids = list(
        session.scalars(
            insert(Account).returning(Account.id, sort_by_parameter_order=True), stamped
        )
    )
    created = session.scalars(select(Account).where(Account.id.in_(ids))).all()
    audit.record_many(session, actor_id=actor_id, action="create", entities=created)
    session.execute(
        insert(AccountAncestor), [{"account_id": i, "ancestor_id": i, "depth": 0} for i in ids]
    )
    return ids


def _check_unique_external_id(
    session: Session, external_id: str | None, own_id: int | None
) -> None:
    if external_id is None:
        return
    existing = session.scalar(  # unique across books: the workspace's key
        select(Account.id)
        .where(Account.external_id == external_id)
        .execution_options(**ACROSS_BOOKS)
    )
    if existing is not None and existing != own_id:
        raise InvalidField(
            "external_id", f"another account already has external id {external_id!r}"
        )


def update_account(
    session: Session, principal: Principal, account_id: int, data: AccountUpdate
) -> Account:
    account = repository.get_account(session, principal, account_id)
    crud.check_not_merged(account)
    if account.archived_at is not None:
        raise NotFound("account", account_id)
    changes = data.model_dump(exclude_unset=True)
    custom = fields.clean_values(
        session, Entity.ACCOUNT, changes.pop("custom_fields", None), creating=False
    )
    for required in ("name", "segment", "tier", "lifecycle_stage"):
        if required in changes and changes[required] is None:
            raise InvalidField(required, "may not be null")
    _check_assignees(
        session,
        principal,
        {
            k: v
            for k, v in changes.items()
            if v is not None or getattr(account, k, None) is not None
        },
    )
    if "external_id" in changes:
        _check_unique_external_id(session, changes["external_id"], account.id)
    new_parent = changes.get("parent_id", account.parent_id)
    parent_changed = "parent_id" in changes and new_parent != account.parent_id
    if parent_changed and new_parent is not None:
        _check_parent(session, principal, new_parent)
        in_subtree = session.scalar(
            select(AccountAncestor.account_id).where(
                AccountAncestor.account_id == new_parent,
                AccountAncestor.ancestor_id == account.id,
            )
        )
        if in_subtree is not None:
            raise InvalidField("parent_id", "an account cannot be its own ancestor")
    if changes:  # a change of custom fields alone is audited by write_values
        crud.update(session, principal.user_id, account, changes)
    if parent_changed:
        _link_to_parent(session, account.id, new_parent)
    fields.write_values(session, principal.user_id, Entity.ACCOUNT, account, custom)
    return account


def archive_account(session: Session, principal: Principal, account_id: int) -> Account:
    account = repository.get_account(session, principal, account_id)
    crud.archive(session, principal.user_id, account)
    return account


def restore_account(session: Session, principal: Principal, account_id: int) -> Account:
    account = repository.get_account(session, principal, account_id)
    crud.restore(session, principal.user_id, account)
    return account


def hand_off(
    session: Session,
    principal: Principal,
    account: Account,
    *,
    owner_am_id: int,
    csm_id: int | None,
) -> None:
    """A won new-business deal: the AE hands the account to an AM (and CSM) for onboarding.

    Any caller who can close the deal may name the receivers; the roles are still checked.
    """
    values = {"owner_am_id": owner_am_id, "csm_id": csm_id}
    manager_view = Principal(principal.user_id, Role.ADMIN, None, "", "")
    _check_assignees(session, manager_view, values)
    changes: dict[str, Any] = {k: v for k, v in values.items() if v is not None}
    if account.lifecycle_stage == LifecycleStage.PROSPECT:
        changes["lifecycle_stage"] = LifecycleStage.ONBOARDING
    crud.update(session, principal.user_id, account, changes)
