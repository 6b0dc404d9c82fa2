"""The book-of-business rule has two shapes (ids read once for lists, a per-row check for
single records); both must name exactly the same accounts for every role."""

from __future__ import annotations

import pytest

from steward.accounts.models import Account
from steward.accounts.repository import ancestors, get_readable_statement
from steward.core.principal import Principal, read_as
from tests.factories import Factory
from tests.support.book import EXPECTED, build_world


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_the_list_and_the_single_record_shapes_of_the_rule_agree(
    factory: Factory, role: str
) -> None:
    world = build_world(factory)
    expected = {world.accounts[key].id for key in EXPECTED[role]}
    with factory.db.session() as session:
        principal = Principal.of(session.get_one(type(world.users[role]), world.users[role].id))
        read_as(session, principal)
        for few in (False, True):
            statement = get_readable_statement(few=few).with_only_columns(Account.id)
            assert set(session.scalars(statement)) == expected, f"few={few}"
        # One account at a time, as a record page asks.
        for account in world.accounts.values():
            one = session.scalar(
                get_readable_statement(few=True)
                .with_only_columns(Account.id)
                .where(Account.id == account.id)
            )
            assert (one is not None) == (account.id in expected), account.name
        # Parents are read joined to the hierarchy table the check also reads: the check
        # must stay about each parent, not correlate with that join.
        parents = ancestors(session, principal, world.accounts["child_a"].id)
        assert [p.id for p in parents] == (
            [world.accounts["a"].id] if "a" in EXPECTED[role] else []
        )
