"""The book policy: every ORM query of an account-owned model is filtered for the session's
reader, without the query asking (steward.accounts.policy)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, func, select
from sqlalchemy.orm import aliased

from steward.accounts import policy, team_scope
from steward.accounts.models import Account, AccountAncestor
from steward.core.principal import ACROSS_BOOKS, FEW, NOBODY, SYSTEM, Principal, read_as
from steward.db.base import Base
from steward.tasks.models import Task
from steward.users.models import Team, User
from tests.factories import Factory
from tests.support.book import ALL, EXPECTED, build_world

# Tables that name an account but are not the account's records: a user's own notifications
# and outbound mail stay theirs when the account leaves their book (and may name no account).
NOT_BOOK_RECORDS = {"notifications", "outbound_messages"}


def test_every_table_naming_an_account_is_in_the_policy_or_says_why_not() -> None:
    declared = {model.__table__.name for model in policy.book_models()}  # type: ignore[attr-defined]
    naming_an_account = {
        table.name
        for table in Base.metadata.tables.values()
        if "account_id" in table.c
        and any(fk.column.table.name == "accounts" for fk in table.c.account_id.foreign_keys)
    }
    assert naming_an_account - declared == NOT_BOOK_RECORDS
    assert "accounts" in declared


def _principal(session: Any, user: Any) -> Principal:
    return Principal.of(session.get_one(User, user.id))


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_each_reader_reads_exactly_their_book_of_every_record_kind(
    factory: Factory, role: str
) -> None:
    world = build_world(factory)
    book = {world.accounts[key].id for key in EXPECTED[role]}
    with factory.db.session() as session:
        principal = _principal(session, world.users[role])
        everything = {
            model: _rows(session, _keyed(model, column))
            for model, column in policy.book_models().items()
        }
        assert sum(len(rows) for rows in everything.values()) > 3 * len(ALL)
        read_as(session, principal)
        for model, column in policy.book_models().items():
            rows = everything[model]
            seen = _rows(session, _keyed(model, column))
            assert seen == {row for row in rows if row[-1] in book}, model.__name__
            # The same statement across books: everything.
            across = _keyed(model, column).execution_options(**ACROSS_BOOKS)
            assert _rows(session, across) == rows, model.__name__


def _rows(session: Any, statement: Any) -> set[tuple[Any, ...]]:
    return {tuple(row) for row in session.execute(statement)}


def _keyed(model: Any, column: str) -> Any:
    """Each row's primary key, then its account."""
    return select(*model.__mapper__.primary_key, getattr(model, column))


def test_joins_aliases_subqueries_and_counts_are_filtered(factory: Factory) -> None:
    world = build_world(factory)
    mine = {world.accounts[key].id for key in EXPECTED["am_a"]}
    with factory.db.session() as session:
        all_tasks = dict(session.execute(select(Task.id, Task.account_id)).all())
        read_as(session, _principal(session, world.users["am_a"]))
        expected = {t for t, a in all_tasks.items() if a in mine}
        joined = select(Task.id).join(Account, Account.id == Task.account_id)
        assert set(session.scalars(joined)) == expected
        other = aliased(Account)
        assert set(session.scalars(select(other.id))) == mine
        counted = select(func.count()).select_from(select(Task.id).subquery())
        assert session.scalar(counted) == len(expected)
        inside = select(Account.id).where(Account.id.in_(select(Task.account_id)))
        assert set(session.scalars(inside)) <= mine
        few = select(Task.id).execution_options(**FEW)
        assert set(session.scalars(few)) == expected
        # A block read as FEW (a page about one account): the same rows, the same SQL as the
        # option gives one statement, and the list shape again after the block.
        plain_sql, few_sql = _sql_of(session, select(Task.id)), _sql_of(session, few)
        assert plain_sql != few_sql
        with policy.reading_few(session):
            assert set(session.scalars(select(Task.id))) == expected
            assert _sql_of(session, select(Task.id)) == few_sql
        assert _sql_of(session, select(Task.id)) == plain_sql


def _sql_of(session: Any, statement: Any) -> str:
    """The SQL the session sends for `statement` (after the book policy has added its rule)."""
    sent: list[str] = []

    def keep(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        sent.append(sql)

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", keep)
    try:
        session.execute(statement).all()
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    return sent[-1]


def test_nobody_reads_no_record_and_the_system_reads_all(factory: Factory) -> None:
    world = build_world(factory)
    with factory.db.session() as session:
        read_as(session, NOBODY)
        assert session.scalars(select(Account.id)).all() == []
        assert session.scalar(select(func.count()).select_from(Task)) == 0
        # Users and teams are no account's records.
        assert session.scalar(select(func.count()).select_from(User)) == len(world.users)
        read_as(session, SYSTEM)
        assert len(session.scalars(select(Account.id)).all()) == len(ALL)


def test_a_service_asked_for_one_reader_on_a_session_of_another_refuses(
    factory: Factory,
) -> None:
    """A job building one user's digest on a system session would otherwise show them every
    book: the shared entry points check the session reads for whom they were asked."""
    world = build_world(factory)
    with factory.db.session() as session:
        am = _principal(session, world.users["am_a"])
        with pytest.raises(RuntimeError, match="reads for"):
            policy.check_reader(session, am)
        with policy.reading_as(session, am):
            policy.check_reader(session, am)
        policy.check_reader(session, _principal(session, world.users["vp"]))


# --- the rule on workspaces nobody wrote: random hierarchies and seats ------------------


@st.composite
def workspaces(draw: Any) -> tuple[list[int | None], list[tuple[int | None, ...]], int]:
    """Parents (each account's parent is an earlier one, or none) and four seats per account,
    held by one of four users or nobody; and which user is a team lead (of users 2 and 3)."""
    n = draw(st.integers(1, 9))
    parents = [draw(st.one_of(st.none(), st.integers(0, i - 1))) if i else None for i in range(n)]
    seat = st.one_of(st.none(), st.integers(0, 3))
    seats = [tuple(draw(seat) for _ in range(4)) for _ in range(n)]
    return parents, seats, draw(st.integers(0, 3))


def _book_by_definition(
    parents: list[int | None], seats: list[tuple[int | None, ...]], holders: set[int]
) -> set[int]:
    """SPEC §1 read literally: an account whose seat, or an ancestor's, a holder has."""

    def line(i: int) -> list[int]:
        chain = [i]
        while (parent := parents[chain[-1]]) is not None:
            chain.append(parent)
        return chain

    return {i for i in range(len(parents)) if any(set(seats[a]) & holders for a in line(i))}


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(workspaces())
def test_both_shapes_of_the_rule_name_the_book_of_the_definition(
    factory: Factory, workspace: tuple[list[int | None], list[tuple[int | None, ...]], int]
) -> None:
    parents, seats, lead = workspace
    with factory.db.session_factory() as session:
        team = Team(name="T")
        session.add(team)
        session.flush()
        users = [
            User(
                email=f"u{i}-{id(workspace)}@example.com",
                full_name=f"U{i}",
                role="team_lead" if i == lead else "am",
                team_id=team.id if i in (2, 3) else None,
                password_hash="x",
            )
            for i in range(4)
        ]
        session.add_all(users)
        session.flush()
        team.lead_id = users[lead].id
        accounts: list[Account] = []
        for i, parent in enumerate(parents):
            owner, csm, ae, strategist = (None if s is None else users[s].id for s in seats[i])
            account = Account(
                name=f"A{i}",
                segment="smb",
                tier="standard",
                lifecycle_stage="adopting",
                parent_id=None if parent is None else accounts[parent].id,
                owner_am_id=owner,
                csm_id=csm,
                ae_id=ae,
                strategist_id=strategist,
            )
            session.add(account)
            session.flush()
            accounts.append(account)
            line = [i]
            while (p := parents[line[-1]]) is not None:
                line.append(p)
            session.add_all(
                AccountAncestor(account_id=account.id, ancestor_id=accounts[a].id, depth=d)
                for d, a in enumerate(line)
            )
        session.flush()
        for u, user in enumerate(users):
            holders = {u} | ({2, 3} if u == lead else set())
            expected = {accounts[i].id for i in _book_by_definition(parents, seats, holders)}
            read_as(session, Principal.of(user))
            if policy.led_teams_in_book(Principal.of(user)):
                # What the book statement of the "team" scope relies on to skip the rule.
                led = team_scope.led_team_ids(Principal.of(user))
                assert set(session.scalars(team_scope.team_account_ids(led))) <= expected, u
            for options in ({}, FEW):
                statement = select(Account.id).execution_options(**options)
                assert set(session.scalars(statement)) == expected, (u, options)
            for account in accounts:
                one = select(Account.id).where(Account.id == account.id)
                assert (session.scalar(one.execution_options(**FEW)) is not None) == (
                    account.id in expected
                )
        session.rollback()


def test_a_lead_reads_the_stored_forecasts_of_the_team_they_lead_not_the_one_they_sit_in(
    factory: Factory,
) -> None:
    """Stored forecasts had a second rule, by the lead's own team: a lead sitting in one team
    and leading another read the other team's forecasts (accounts outside their book) and
    not their own team's. Now the book rule's holders decide."""
    from steward.forecasts.service import readable_scopes

    sits_in, leads = factory.team("Sits in"), factory.team("Leads")
    lead = factory.user("team_lead", sits_in)
    factory.set_lead(leads, lead)
    member = factory.user("am", leads)
    with factory.db.session() as session:
        principal = _principal(session, lead)
        allowed = readable_scopes(session, principal)
    assert allowed is not None
    assert f"team:{leads.id}" in allowed
    assert f"owner:{member.id}" in allowed
    assert f"team:{sits_in.id}" not in allowed
