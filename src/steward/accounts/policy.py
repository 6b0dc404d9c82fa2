"""The one access policy: a record of an account is readable exactly when its account is.

Every ORM query of an account-owned model gets the book filter from here, automatically: a
`do_orm_execute` listener adds `with_loader_criteria` for each model that declares its account
column (`__book__ = "account_id"`; the account itself declares `"id"`), so no query, join,
subquery or relationship load can forget it. Whom a session reads for is in `session.info`
(`steward.core.principal.read_as`): a request's session reads for the signed-in principal,
sessions opened by code (jobs, the CLI) read for the system, which sees every book.

Two execution options change it for one statement, each visible where it is used:
- `ACROSS_BOOKS`: the statement reads every book, for checks a request must make over the
  whole workspace (an external id is unique across books; a merge moves every reference);
- `FEW`: the statement reads one record or a handful, so each row checks its own account's
  line of ancestors (a correlated EXISTS of a few index look-ups) instead of reading the ids
  of a book that may hold tens of thousands (IN, right for lists); `reading_few` applies it
  to every statement of a block (a page about one account).

Core statements over `Table` objects are not ORM queries and are not filtered: they are the
explicit way to read below the policy (the book rule's own subqueries are written so).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    ScalarSelect,
    Select,
    bindparam,
    event,
    false,
    literal,
    or_,
    select,
    union,
)
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria
from sqlalchemy.orm.util import LoaderCriteriaOption

from steward.accounts.models import Account, AccountAncestor
from steward.core.principal import (
    ACROSS_BOOKS,
    FEW,
    NOBODY,
    READER,
    SYSTEM,
    Principal,
    Role,
    reader_of,
)
from steward.db.base import Base
from steward.users.models import Team, User

_accounts = Account.__table__
_ancestors = AccountAncestor.__table__
_users = User.__table__
_teams = Team.__table__


(_ACROSS_BOOKS,) = ACROSS_BOOKS
(_FEW,) = FEW

# The reader's user id, supplied as a parameter when the statement runs: the book rule's SQL is
# built once per shape and its compiled form cached, whoever reads.
READER_ID = "steward_book_reader"


def _holders(role: Role, reader_id: Any) -> Any:
    """The users whose seats put an account (and its descendants) in the reader's book: the
    reader, and for a team lead the members of the teams they lead."""
    if role == Role.TEAM_LEAD:
        led = select(_teams.c.id).where(_teams.c.lead_id == reader_id)
        members = select(_users.c.id).where(_users.c.team_id.in_(led))
        return union(select(reader_id), members)
    return select(reader_id).scalar_subquery()


def _seated(seat: Any, holders: Any) -> Any:
    if isinstance(holders, ScalarSelect):
        return [
            seat.c.owner_am_id == holders,
            seat.c.csm_id == holders,
            seat.c.ae_id == holders,
            seat.c.strategist_id == holders,
        ]
    return [
        seat.c.owner_am_id.in_(holders),
        seat.c.csm_id.in_(holders),
        seat.c.ae_id.in_(holders),
        seat.c.strategist_id.in_(holders),
    ]


def seated_account_ids(user_ids: Any) -> Select[Any]:
    """Ids of the accounts on which any of these users holds a seat, and their descendants
    (over table aliases, so the policy does not filter it)."""
    seat = _accounts.alias("seat")
    line = _ancestors.alias("line")
    seated = union(
        select(seat.c.id).where(seat.c.owner_am_id.in_(user_ids)),
        select(seat.c.id).where(seat.c.csm_id.in_(user_ids)),
        select(seat.c.id).where(seat.c.ae_id.in_(user_ids)),
        select(seat.c.id).where(seat.c.strategist_id.in_(user_ids)),
    )
    return select(line.c.account_id).where(line.c.ancestor_id.in_(seated))


def _book_ids(role: Role, reader_id: Any) -> Select[Any]:
    """Ids of the accounts in the book of a reader of this role (READER_ID: the reader).

    AM, CSM, AE, strategist: accounts they hold a seat on, and those accounts' children.
    Team lead: that, plus the accounts of the teams they lead. Director, VP, admin: all.
    A UNION of four index look-ups (the planners use each seat's index, where an OR of four
    IN-lists scans). Written over table aliases, so the policy never filters its own rule.
    """
    seat = _accounts.alias("book_seat")
    line = _ancestors.alias("book_line")
    holders = _holders(role, reader_id)
    seated = union(*(select(seat.c.id).where(seat_is) for seat_is in _seated(seat, holders)))
    return select(line.c.account_id).where(line.c.ancestor_id.in_(seated))


@cache
def _cached_rule(role: Role, few: bool) -> Callable[[ColumnElement[Any]], ColumnElement[bool]]:
    """The rule the policy adds: built once per shape, the reader given when it runs."""
    return _rule(role, few, bindparam(READER_ID, type_=Integer))


def _rule(
    role: Role, few: bool, reader_id: Any
) -> Callable[[ColumnElement[Any]], ColumnElement[bool]]:
    """The book rule for one account column, in one of its two shapes (see FEW above)."""
    if not few:
        ids = _book_ids(role, reader_id)
        return lambda account_id: account_id.in_(ids)
    line = _ancestors.alias("readable_line")
    seat = _accounts.alias("seat_holder")
    seat_in_book = or_(*_seated(seat, _holders(role, reader_id)))

    def exists_in_book(account_id: ColumnElement[Any]) -> ColumnElement[bool]:
        return (
            select(literal(1))
            .select_from(line.join(seat, seat.c.id == line.c.ancestor_id))
            .where(line.c.account_id == account_id, seat_in_book)
            .correlate_except(line, seat)
            .exists()
        )

    return exists_in_book


def _shape(reader: Principal) -> Role:
    return Role.TEAM_LEAD if reader.role == Role.TEAM_LEAD else Role.AM


def book_clause(
    reader: Principal, account_id: Any, *, few: bool = False
) -> ColumnElement[bool] | None:
    """WHERE clause keeping rows whose account (`account_id`) is in the reader's book; None
    when the reader sees every book. For Core statements the policy does not reach."""
    if reader is NOBODY:
        return false()
    if reader.sees_all:
        return None
    return _rule(_shape(reader), few, literal(reader.user_id))(account_id)


def led_teams_in_book(reader: Principal) -> bool:
    """Whether every account that counts for the teams the reader leads
    (`team_scope.team_account_ids(team_scope.led_team_ids(reader))`) is in their book, so a
    statement reading only those needs no book rule (for a lead it would read 54,000 ids
    twice more). A lead's book holds every seat of the members of the teams they lead
    (`_holders`), and an account counts for a team by its AM's or its CSM's membership;
    whoever sees every book, trivially. Anyone else's "team" is their own team, which is
    not their book. Held by tests/accounts/test_policy.py."""
    return reader.sees_all or reader.role == Role.TEAM_LEAD


def book_models() -> dict[type[Any], str]:
    """Every mapped class that declares its account column (`__book__`)."""
    return {
        mapper.class_: mapper.class_.__dict__["__book__"]
        for mapper in Base.registry.mappers
        if "__book__" in mapper.class_.__dict__
    }


@cache
def _criteria(shape: Role | None, few: bool) -> tuple[LoaderCriteriaOption, ...]:
    """The loader criteria of every book model for readers of a shape (None: nobody)."""
    options = []
    for model, column in book_models().items():
        clause = false() if shape is None else _cached_rule(shape, few)(getattr(model, column))
        options.append(with_loader_criteria(model, clause, include_aliases=True))
    return tuple(options)


def _add_book_filter(state: ORMExecuteState) -> None:
    if not state.is_select or state.is_column_load or state.is_relationship_load:
        # Column and relationship loads inherit the criteria of the query that loaded the
        # objects (propagate_to_loaders).
        return
    options = state.execution_options
    if options.get(_ACROSS_BOOKS):
        return
    reader = reader_of(state.session)
    if reader is NOBODY:
        state.statement = state.statement.options(*_criteria(None, False))
        return
    if reader.sees_all:
        return
    few = bool(options.get(_FEW) or state.session.info.get(_FEW))
    state.statement = state.statement.options(*_criteria(_shape(reader), few))
    parameters = state.parameters
    if parameters is None:
        state.parameters = {READER_ID: reader.user_id}
    elif isinstance(parameters, dict):
        state.parameters = {**parameters, READER_ID: reader.user_id}
    else:  # executemany of a SELECT: not something Steward does
        raise TypeError("the book policy cannot filter an executemany SELECT")


def install() -> None:
    """Attaches the policy to every session (idempotent; the composition root calls it)."""
    if not event.contains(Session, "do_orm_execute", _add_book_filter):
        event.listen(Session, "do_orm_execute", _add_book_filter)


def check_reader(session: Session, principal: Principal) -> None:
    """A service asked for a principal's view must be reading with a session of that principal
    (or of the system, when the principal sees every book anyway): otherwise the book policy
    would filter for someone else, and a job building one user's digest on a system session
    would show them every book. Loud, never silent."""
    reader = reader_of(session)
    if reader == principal or (reader is SYSTEM and principal.sees_all):
        return
    raise RuntimeError(
        f"this session reads for {reader.email or reader.full_name!r}, but the service was asked "
        f"for {principal.email!r}: open it with read_as/reading_as(session, principal)"
    )


@contextmanager
def reading_as(session: Session, principal: Principal) -> Iterator[Session]:
    """The session reads the principal's book inside the block (a job that builds one user's
    digest), then for whom it read before."""
    before = session.info.get(READER, SYSTEM)
    session.info[READER] = principal
    try:
        yield session
    finally:
        session.info[READER] = before


@contextmanager
def reading_few(session: Session) -> Iterator[Session]:
    """Inside the block every statement of the session is read as `FEW`: a page about one
    account (its 360 view: some twenty statements of that account's records), where each
    statement would otherwise read the ids of the reader's whole book (54,000 for a team
    lead at 100,000 accounts: 1.3 s a page). The rule is the same; only its shape changes."""
    before = session.info.get(_FEW)
    session.info[_FEW] = True
    try:
        yield session
    finally:
        if before is None:
            session.info.pop(_FEW, None)
        else:
            session.info[_FEW] = before


def book_holders(session: Session, reader: Principal) -> tuple[set[int], set[int]] | None:
    """Whose seats make the reader's book, and the teams wholly inside it: (user ids, team ids);
    None when the reader sees every book. For records that belong to people rather than to
    accounts (a stored forecast of one owner's or one team's accounts): readable when their
    people are all holders, the same rule as the accounts' (a second rule would drift)."""
    if reader.sees_all:
        return None
    if reader is NOBODY:
        return set(), set()
    holders = _holders(_shape(reader), literal(reader.user_id))
    if isinstance(holders, ScalarSelect):
        users = {reader.user_id}
    else:
        users = set(session.scalars(select(holders.subquery().c[0])))
    teams = set(session.scalars(select(_teams.c.id).where(_teams.c.lead_id == reader.user_id)))
    return users, (teams if reader.role == Role.TEAM_LEAD else set())
