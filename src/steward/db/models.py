"""Imports every domain's tables so the metadata (and Alembic) knows them all."""

from steward.accounts.models import Account, AccountAncestor
from steward.activities.models import Activity
from steward.audit.models import AuditEvent
from steward.auth.models import ApiToken, LoginAttempt, WebSession
from steward.contacts.models import Contact
from steward.contracts.models import Contract, LineItem
from steward.db.base import Base
from steward.db.revision import workspace_state
from steward.health.models import (
    AccountMeasure,
    AccountUsageWeek,
    HealthOverride,
    HealthScore,
    HealthScorecard,
)
from steward.opportunities.models import Opportunity
from steward.products.models import Product
from steward.revenue.models import ExchangeRate
from steward.tasks.models import Task
from steward.usage.models import UsageEvent, UsageSource
from steward.users.models import Team, User

__all__ = [
    "Account",
    "AccountAncestor",
    "AccountMeasure",
    "AccountUsageWeek",
    "Activity",
    "ApiToken",
    "AuditEvent",
    "Base",
    "Contact",
    "Contract",
    "ExchangeRate",
    "HealthOverride",
    "HealthScore",
    "HealthScorecard",
    "LineItem",
    "LoginAttempt",
    "Opportunity",
    "Product",
    "Task",
    "Team",
    "UsageEvent",
    "UsageSource",
    "User",
    "WebSession",
    "workspace_state",
]
