"""The demo's leadership dashboard: four saved reports the VP opens on day one, built with
the report builder's own service (so they are checked as any user's are)."""

from __future__ import annotations

from sqlalchemy import select

from steward.core.principal import Principal
from steward.db.engine import Database
from steward.reports import service
from steward.reports.schemas import DashboardIn, SavedReportIn
from steward.users.models import User

LEADERSHIP_REPORTS = [
    {
        "name": "ARR by quarter and segment",
        "measure": "arr",
        "group_by": ["quarter", "segment"],
        "chart": "line",
    },
    {"name": "NRR by segment", "measure": "nrr", "group_by": ["segment"], "chart": "bar"},
    {
        "name": "Accounts by health band and tier",
        "measure": "accounts",
        "group_by": ["health_band", "tier"],
        "chart": "bar",
    },
    {"name": "NPS by quarter", "measure": "nps", "group_by": ["quarter"], "chart": "line"},
]


def generate_dashboards(db: Database, owner_email: str = "vp@example.com") -> int:
    """The leadership dashboard of the demo's VP; the number of its tiles."""
    with db.session() as session:
        user = session.scalar(select(User).where(User.email == owner_email))
        if user is None:
            return 0
        principal = Principal.of(user)
        board = service.create_dashboard(session, principal, DashboardIn(name="Leadership"))
        session.flush()
        for spec in LEADERSHIP_REPORTS:
            report = service.save_report(session, principal, SavedReportIn.model_validate(spec))
            session.flush()
            service.add_tile(session, principal, board.id, report.id)
    return len(LEADERSHIP_REPORTS)
