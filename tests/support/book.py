"""A small workspace for access tests: two teams, a user of every role, and accounts inside
and outside each user's book, each with one record of every account-owned kind."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from steward.auth.models import ApiToken
from steward.db.base import utcnow
from steward.delivery.models import Notification
from steward.plans.models import Milestone, PlanOutcome, PlanShare
from steward.reports.models import Dashboard, DashboardTile, SavedReport
from steward.segments.models import SavedSegment
from tests.factories import Factory

# Account-owned resources with a REST collection at /api/v1/<resource>.
RESOURCES = [
    "accounts",
    "contacts",
    "contracts",
    "opportunities",
    "activities",
    "tasks",
    "escalations",
    "success-plans",
    "onboarding/projects",
]
# Account-owned records reached only through nested routes.
NESTED = ["outcomes", "milestones", "plan-shares"]

ALL = frozenset({"a", "child_a", "b", "e", "s", "none"})
# Which accounts each user's book holds (SPEC §1): owners and assignees see theirs, a team
# lead their team's, director, VP and admin all; a subsidiary is in its parent's book too.
EXPECTED: dict[str, frozenset[str]] = {
    "am_a": frozenset({"a", "child_a"}),
    "csm_c": frozenset({"a", "child_a"}),
    "am_b": frozenset({"child_a", "b"}),
    "lead_north": frozenset({"a", "child_a"}),
    "lead_south": frozenset({"child_a", "b"}),
    "ae": frozenset({"e"}),
    "strategist": frozenset({"s"}),
    "director": ALL,
    "vp": ALL,
    "admin": ALL,
}


@dataclass
class World:
    users: dict[str, Any]
    accounts: dict[str, Any]
    records: dict[str, dict[str, int]]  # resource -> account key -> record id
    notifications: dict[str, int]  # user key -> one notification of theirs
    tokens: dict[str, int]  # user key -> the id of one API token of theirs
    segments: dict[str, int]  # user key -> one private saved segment of theirs
    reports: dict[str, int]  # user key -> one private saved report of theirs
    dashboards: dict[str, int]  # user key -> one private dashboard of theirs (with a tile)

    def hidden_from(self, user: str) -> frozenset[str]:
        return ALL - EXPECTED[user]


def external_id(kind: str, key: str) -> str:
    """What the CRM calls the world's records: `account:a`, `contact:child_a`, …"""
    return f"{kind}:{key}"


def build_world(factory: Factory) -> World:
    north, south = factory.team("North"), factory.team("South")
    u = {
        "lead_north": factory.user("team_lead", north),
        "lead_south": factory.user("team_lead", south),
        "am_a": factory.user("am", north),
        "csm_c": factory.user("csm", north),
        "am_b": factory.user("am", south),
        "ae": factory.user("ae"),
        "strategist": factory.user("strategist"),
        "director": factory.user("director"),
        "vp": factory.user("vp"),
        "admin": factory.user("admin"),
    }
    factory.set_lead(north, u["lead_north"])
    factory.set_lead(south, u["lead_south"])
    acc_a = factory.account(name="Alpha", owner_am_id=u["am_a"].id, csm_id=u["csm_c"].id)
    accounts = {
        "a": acc_a,
        # A subsidiary of A owned by the other team's AM: both books include it.
        "child_a": factory.account(
            name="Alpha Child", parent_id=acc_a.id, owner_am_id=u["am_b"].id
        ),
        "b": factory.account(name="Bravo", owner_am_id=u["am_b"].id),
        "e": factory.account(name="Echo", ae_id=u["ae"].id),
        "s": factory.account(name="Sierra", strategist_id=u["strategist"].id, tier="strategic"),
        "none": factory.account(name="Unassigned Uniform"),
    }
    records: dict[str, dict[str, int]] = {r: {} for r in RESOURCES + NESTED}
    with factory.db.session() as session:
        for key, account in accounts.items():
            account.external_id = external_id("account", key)
            session.merge(account)
    for key, account in accounts.items():
        records["accounts"][key] = account.id
        records["contacts"][key] = factory.contact(
            account, external_id=external_id("contact", key)
        ).id
        contract = factory.contract(account)
        records["contracts"][key] = contract.id
        records["opportunities"][key] = factory.opportunity(account).id
        records["activities"][key] = factory.activity(account).id
        records["tasks"][key] = factory.task(account).id
        records["escalations"][key] = factory.escalation(account).id
        plan = factory.success_plan(account)
        records["success-plans"][key] = plan.id
        records["onboarding/projects"][key] = factory.onboarding_project(contract).id
        with factory.db.session() as session:
            outcome = PlanOutcome(plan_id=plan.id, description="Faster close")
            session.add(outcome)
            session.flush()
            milestone = Milestone(
                account_id=account.id, success_plan_id=plan.id, outcome_id=outcome.id, title="Go"
            )
            session.add(milestone)
            session.flush()
            records["outcomes"][key], records["milestones"][key] = outcome.id, milestone.id
            share = PlanShare(
                plan_id=plan.id,
                account_id=account.id,
                contact_id=records["contacts"][key],
                token_hash=f"{key:0>64}"[-64:],
                expires_at=utcnow() + timedelta(days=30),
            )
            session.add(share)
            session.flush()
            records["plan-shares"][key] = share.id
    notifications: dict[str, int] = {}
    tokens: dict[str, int] = {}
    segments: dict[str, int] = {}
    reports: dict[str, int] = {}
    dashboards: dict[str, int] = {}
    for key, user in u.items():
        factory.token(user)
        with factory.db.session() as session:
            note = Notification(user_id=user.id, title=f"For {key}")
            session.add(note)
            saved = SavedSegment(
                name=f"{key}'s", owner_id=user.id, filters={"segment": "smb"}, custom_fields={}
            )
            session.add(saved)
            report = SavedReport(
                name=f"{key}'s report", owner_id=user.id, definition={"measure": "accounts"}
            )
            board = Dashboard(name=f"{key}'s dashboard", owner_id=user.id)
            session.add_all([report, board])
            session.flush()
            session.add(DashboardTile(dashboard_id=board.id, report_id=report.id, position=1))
            notifications[key] = note.id
            segments[key] = saved.id
            reports[key] = report.id
            dashboards[key] = board.id
            tokens[key] = session.scalars(
                select(ApiToken.id).where(ApiToken.user_id == user.id)
            ).one()
    return World(u, accounts, records, notifications, tokens, segments, reports, dashboards)
