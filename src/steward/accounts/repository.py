"""Account queries, each starting from what the principal may read (book of business)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    Update,
    and_,
    bindparam,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session, aliased

from steward.accounts import policy, team_scope
from steward.accounts.cadence import CheckinDue
from steward.accounts.models import Account, AccountAncestor
from steward.accounts.schemas import USAGE_FILTERS, AccountQuery
from steward.core import crud, merging
from steward.core.money import to_minor
from steward.core.principal import Principal
from steward.fields import query as field_query
from steward.fields.models import Entity
from steward.fields.query import CustomFilter
from steward.users.models import Team, User


def _assigned_to(user_ids: Any) -> ColumnElement[bool]:
    return or_(
        Account.owner_am_id.in_(user_ids),
        Account.csm_id.in_(user_ids),
        Account.ae_id.in_(user_ids),
        Account.strategist_id.in_(user_ids),
    )


def team_member_ids(principal: Principal) -> Select[int]:
    """Members of the teams the principal leads."""
    led = select(Team.id).where(Team.lead_id == principal.user_id)
    return select(User.id).where(User.team_id.in_(led))


def get_readable_statement(*, few: bool = False) -> Select[Account]:
    """Accounts of the session reader's book (the book policy filters every query of them);
    `few=True` when the query reads one or a few (steward.accounts.policy.FEW)."""
    statement = select(Account)
    return statement.execution_options(**policy.FEW) if few else statement


def get_account(
    session: Session, principal: Principal, account_id: int, *, include_archived: bool = True
) -> Account:
    policy.check_reader(session, principal)
    statement = get_readable_statement(few=True).where(Account.id == account_id)
    if not include_archived:
        statement = statement.where(Account.archived_at.is_(None))
    return crud.one_or_404(session, statement, "account", account_id)


def ensure_readable(session: Session, principal: Principal, account_id: int) -> Account:
    """The account an account-owned write points at, or 404 if it is outside the book."""
    return get_account(session, principal, account_id, include_archived=False)


OwnerAM = aliased(User, name="owner_am")

SORTABLE: dict[str, Any] = {
    "name": Account.name,
    "arr": Account.arr_minor,
    "next_renewal_date": Account.next_renewal_date,
    "last_touch_at": Account.last_touch_at,
    "segment": Account.segment,
    "tier": Account.tier,
    "lifecycle_stage": Account.lifecycle_stage,
    "industry": Account.industry,
    "created_at": Account.created_at,
    "owner": OwnerAM.full_name,
    "health": Account.health_score,
    "churn_risk": Account.churn_probability,
}


@dataclass(frozen=True)
class BookFilters:
    scope: str = "all"
    owner_id: int | None = None
    team_id: int | None = None
    segment: str | None = None
    tier: str | None = None
    lifecycle_stage: str | None = None
    industry: str | None = None
    parent_id: int | None = None
    renewal_from: date | None = None
    renewal_to: date | None = None
    q: str | None = None
    include_archived: bool = False
    health_band: str | None = None
    arr_min_minor: int | None = None
    arr_max_minor: int | None = None
    health_min: float | None = None
    health_max: float | None = None
    # (seat, user id): accounts where that user holds that seat (steward.accounts.team_scope)
    seats: tuple[tuple[str, int], ...] = ()
    checkin_due: CheckinDue | None = None
    # Filters on custom fields (`cf.<key>…`, parsed by steward.fields.query).
    custom: tuple[CustomFilter, ...] = ()
    # (usage column of Account, at least, at most), in the column's own unit.
    usage: tuple[tuple[str, float | None, float | None], ...] = ()

    @classmethod
    def of(
        cls,
        scope: str,
        query: AccountQuery,
        today: date,
        cadence: dict[str, int] | None = None,
        *,
        custom: tuple[CustomFilter, ...] = (),
    ) -> BookFilters:
        """The filters a request asked for (a renewal window in days counts from `today`;
        check-ins are due by `cadence`, the workspace's, at the start of `today`)."""
        renewal_from, renewal_to = query.renewal_from, query.renewal_to
        if query.renewal_within_days is not None:
            renewal_from = max(renewal_from or today, today)
            window_end = today + timedelta(days=query.renewal_within_days)
            renewal_to = min(renewal_to or window_end, window_end)
        return cls(
            scope=scope,
            owner_id=query.owner_id,
            team_id=query.team_id,
            segment=query.segment,
            tier=query.tier,
            lifecycle_stage=query.lifecycle_stage,
            industry=query.industry,
            parent_id=query.parent_id,
            renewal_from=renewal_from,
            renewal_to=renewal_to,
            q=query.q,
            include_archived=query.include_archived,
            health_band=query.health_band,
            arr_min_minor=None if query.arr_min is None else to_minor(query.arr_min),
            arr_max_minor=None if query.arr_max is None else to_minor(query.arr_max),
            health_min=query.health_min,
            health_max=query.health_max,
            seats=tuple(
                (seat, user_id)
                for seat in team_scope.SEATS
                if (user_id := getattr(query, seat)) is not None
            ),
            checkin_due=CheckinDue.of(cadence or {}, start_of_day(today))
            if query.checkin_due
            else None,
            custom=custom,
            usage=_usage_ranges(query),
        )


def _usage_ranges(query: AccountQuery) -> tuple[tuple[str, float | None, float | None], ...]:
    """The usage filters asked, in the account columns' units (percent → fraction)."""
    ranges = []
    for usage in USAGE_FILTERS:
        scale = 100 if usage.percent else 1
        low, high = getattr(query, f"{usage.name}_min"), getattr(query, f"{usage.name}_max")
        if low is not None or high is not None:
            ranges.append(
                (
                    usage.column,
                    None if low is None else low / scale,
                    None if high is None else high / scale,
                )
            )
    return tuple(ranges)


def start_of_day(day: date) -> datetime:
    """The instant a day's check-in due list is taken at (so every count of it agrees)."""
    return datetime.combine(day, time.min, tzinfo=UTC)


def book_statement(principal: Principal, filters: BookFilters) -> Select[Account]:
    """The principal's accounts narrowed by the book filters (scope, owner, segment…)."""
    if filters.scope == "mine":
        # Everyone's own accounts are in their book: the book filter would only repeat it.
        statement = select(Account).where(
            Account.id.in_(policy.seated_account_ids([principal.user_id]))
        )
        statement = statement.execution_options(**policy.ACROSS_BOOKS)
    elif filters.scope == "team" and policy.led_teams_in_book(principal):
        # The team's accounts (narrowed below) all lie in the lead's book.
        statement = select(Account).execution_options(**policy.ACROSS_BOOKS)
    else:
        statement = get_readable_statement()
    if filters.scope == "team":
        # The accounts that count for the reader's team(s) (steward.accounts.team_scope): a
        # lead's teams, anyone else's own team; never another team's AM's accounts that one
        # of the team's CSMs happens to cover.
        statement = statement.where(
            Account.id.in_(team_scope.team_account_ids(team_scope.led_team_ids(principal)))
        )
    if not filters.include_archived:
        statement = statement.where(Account.archived_at.is_(None))
    if filters.owner_id is not None:
        statement = statement.where(_assigned_to([filters.owner_id]))
    if filters.team_id is not None:
        statement = statement.where(Account.id.in_(team_scope.team_account_ids([filters.team_id])))
    for seat, user_id in filters.seats:
        statement = statement.where(team_scope.seat_column(seat) == user_id)
    if filters.checkin_due is not None:
        statement = statement.where(filters.checkin_due.clause())
    for clause in field_query.clauses(Account.id, filters.custom):
        statement = statement.where(clause)
    for column, value in (
        (Account.segment, filters.segment),
        (Account.tier, filters.tier),
        (Account.lifecycle_stage, filters.lifecycle_stage),
        (Account.industry, filters.industry),
        (Account.parent_id, filters.parent_id),
        (Account.health_band, filters.health_band),
    ):
        if value is not None:
            statement = statement.where(column == value)
    ranges: tuple[tuple[Any, float | None, float | None], ...] = (
        (Account.arr_minor, filters.arr_min_minor, filters.arr_max_minor),
        (Account.health_score, filters.health_min, filters.health_max),
    )
    ranges += tuple((getattr(Account, column), low, high) for column, low, high in filters.usage)
    for range_column, low, high in ranges:
        if low is not None:
            statement = statement.where(range_column >= low)
        if high is not None:
            statement = statement.where(range_column <= high)
    if filters.renewal_from is not None:
        statement = statement.where(Account.next_renewal_date >= filters.renewal_from)
    if filters.renewal_to is not None:
        statement = statement.where(Account.next_renewal_date <= filters.renewal_to)
    if filters.q:
        statement = statement.where(
            or_(
                Account.name.icontains(filters.q, autoescape=True),
                Account.domain.icontains(filters.q, autoescape=True),
            )
        )
    return statement


# The columns of a list row (AccountOut's fields), read without building ORM objects.
LIST_COLUMNS = (
    Account.id,
    Account.external_id,
    Account.name,
    Account.domain,
    Account.industry,
    Account.segment,
    Account.tier,
    Account.lifecycle_stage,
    Account.parent_id,
    Account.owner_am_id,
    Account.csm_id,
    Account.ae_id,
    Account.strategist_id,
    OwnerAM.full_name.label("owner_name"),
    Account.arr_minor,
    Account.next_renewal_date,
    Account.last_touch_at,
    Account.health_score,
    Account.health_band,
    Account.health_change,
    Account.churn_probability,
    Account.created_at,
    Account.updated_at,
    Account.archived_at,
)


def list_account_rows(
    session: Session,
    principal: Principal,
    filters: BookFilters,
    *,
    sort: str | None = None,
    limit: int = 50,
    offset: int = 0,
    count: bool = True,
) -> tuple[list[Any], int | None]:
    """A page of the principal's filtered, sorted book as plain row mappings (no ORM objects),
    and how many rows the book has (None with `count=False`, for a caller that counts them
    with other figures, as the book summary does)."""
    ids = book_statement(principal, filters).with_only_columns(Account.id)
    statement = (
        select(*LIST_COLUMNS)
        .outerjoin(OwnerAM, OwnerAM.id == Account.owner_am_id)
        .where(Account.id.in_(ids))
        # Read as the book statement is: the rows are its ids, already within the book (a
        # second book rule on the outer query read the ids of the book once more).
        .execution_options(**ids.get_execution_options())
    )
    statement, sortable = field_query.sorted_by(
        session, Entity.ACCOUNT, statement, Account.id, SORTABLE, sort
    )
    order = crud.order_by_clause(sort, sortable, "name")
    counted = select(func.count()).select_from(ids.subquery())
    counted = counted.execution_options(**ids.get_execution_options())
    total = session.scalar(counted) if count else None
    rows = session.execute(statement.order_by(*order, Account.id).limit(limit).offset(offset))
    return [row._mapping for row in rows], None if total is None else int(total)


@dataclass(frozen=True)
class BookSummary:
    accounts: int
    arr_minor: int  # Σ the accounts' ARR today, in the workspace currency
    paying: int  # accounts with ARR today (a subsidiary that pays counts apart from its parent)
    renewals_90d: int
    renewals_90d_arr_minor: int
    untouched_30d: int


def book_summary(
    session: Session, principal: Principal, filters: BookFilters, today: date
) -> BookSummary:
    """Headline figures of the filtered book (one aggregate query)."""
    book = book_statement(principal, filters)
    books = book.subquery()
    soon = and_(
        books.c.next_renewal_date >= today, books.c.next_renewal_date <= today + timedelta(days=90)
    )
    stale = datetime.combine(today - timedelta(days=30), time(), UTC)
    row = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(books.c.arr_minor), 0),
            func.count().filter(soon),
            func.coalesce(func.sum(books.c.arr_minor).filter(soon), 0),
            func.count().filter(
                books.c.arr_minor > 0,
                or_(books.c.last_touch_at.is_(None), books.c.last_touch_at < stale),
            ),
            func.count().filter(books.c.arr_minor > 0),
        ).execution_options(**book.get_execution_options())
    ).one()
    return BookSummary(int(row[0]), int(row[1]), int(row[5]), int(row[2]), int(row[3]), int(row[4]))


def children(session: Session, principal: Principal, account_id: int) -> list[Account]:
    """Live children, through the hierarchy's closure table (depth 1): `parent_id` is NULL on
    almost every account, so SQLite's statistics rate its index no better than a scan, and it
    read all 100,000 accounts in name order (300 ms) to find a parent's few."""
    statement = (
        get_readable_statement(few=True)
        .join(AccountAncestor, AccountAncestor.account_id == Account.id)
        .where(
            AccountAncestor.ancestor_id == account_id,
            AccountAncestor.depth == 1,
            Account.archived_at.is_(None),
        )
    )
    return list(session.scalars(statement.order_by(Account.name)))


def ancestors(session: Session, principal: Principal, account_id: int) -> list[Account]:
    """Parents up to the root (nearest first), limited to what the principal may see."""
    statement = (
        get_readable_statement(few=True)
        .join(AccountAncestor, AccountAncestor.ancestor_id == Account.id)
        .where(AccountAncestor.account_id == account_id, AccountAncestor.depth > 0)
        .order_by(AccountAncestor.depth)
    )
    return list(session.scalars(statement))


ACCOUNTS_TABLE: Table = Account.__table__  # type: ignore[assignment]


def rollup_update(*columns: str) -> Update:
    """An executemany UPDATE of derived account columns (ARR, health…) keyed by `account_id`:
    Core on purpose, so recomputed data does not bump the row version an edit would."""
    return (
        update(ACCOUNTS_TABLE)
        .where(ACCOUNTS_TABLE.c.id == bindparam("account_id"))
        .values({column: bindparam(column) for column in columns})
    )


def names_of(session: Session, principal: Principal, account_ids: Any) -> dict[int, str]:
    """Names of the given accounts the principal may read (for lists of account-owned rows)."""
    ids = set(account_ids)
    if not ids:
        return {}
    statement = (
        get_readable_statement(few=len(ids) <= 100)
        .with_only_columns(Account.id, Account.name)
        .where(Account.id.in_(ids))
    )
    return {int(row[0]): str(row[1]) for row in session.execute(statement)}


def duplicate_candidates(
    session: Session, principal: Principal, account: Account, limit: int = 20
) -> list[Account]:
    """Live accounts of the book that may be duplicates of `account`: the same domain, or a
    name starting with the same word (case aside)."""
    first_word = (account.name.split() or [""])[0].lower()
    looks_alike: list[ColumnElement[bool]] = (
        [func.lower(Account.name).startswith(first_word, autoescape=True)] if first_word else []
    )
    if account.domain:
        looks_alike.append(Account.domain == account.domain)
    if not looks_alike:
        return []
    return list(
        session.scalars(
            get_readable_statement()
            .where(
                Account.id != account.id,
                Account.archived_at.is_(None),
                or_(*looks_alike),
            )
            .order_by(Account.name, Account.id)
            .limit(limit)
        )
    )


def resolve_merged(session: Session, principal: Principal, account_id: int) -> int | None:
    """The survivor a merged-away account (in the caller's book) resolves to, if readable."""
    return merging.survivor_id_of(
        get_account(session, principal, account_id),
        lambda survivor_id: get_account(session, principal, survivor_id),
        "account",
    )
