"""Imports every domain's tables so the metadata (and Alembic) knows them all."""

from steward.accounts.models import Account, AccountAncestor
from steward.activities.models import Activity
from steward.audit.models import AuditEvent
from steward.auth.models import ApiToken, LoginAttempt, WebSession
from steward.churn.models import ChurnModel, ChurnScore
from steward.contacts.models import Contact
from steward.contracts.models import Contract, LineItem
from steward.db.base import Base
from steward.db.revision import workspace_state
from steward.delivery.models import Notification, OutboundMessage, WebhookEndpoint
from steward.escalations.models import Escalation, EscalationEvent
from steward.forecasts.models import Forecast
from steward.health.models import (
    AccountMeasure,
    AccountUsageWeek,
    HealthOverride,
    HealthScore,
    HealthScorecard,
)
from steward.onboarding.models import OnboardingProject, OnboardingTemplate
from steward.opportunities.models import Opportunity
from steward.plans.models import AccountPlan, AccountPlanGoal, Milestone, PlanOutcome, SuccessPlan
from steward.playbooks.models import Playbook, Rule, RuleRun
from steward.products.models import Product
from steward.revenue.models import ExchangeRate
from steward.surveys.models import Survey, SurveyInvitation, SurveyResponse
from steward.tasks.models import Task
from steward.usage.models import UsageEvent, UsageSource
from steward.users.models import Team, User

__all__ = [
    "Account",
    "AccountAncestor",
    "AccountMeasure",
    "AccountPlan",
    "AccountPlanGoal",
    "AccountUsageWeek",
    "Activity",
    "ApiToken",
    "AuditEvent",
    "Base",
    "ChurnModel",
    "ChurnScore",
    "Contact",
    "Contract",
    "Escalation",
    "EscalationEvent",
    "ExchangeRate",
    "Forecast",
    "HealthOverride",
    "HealthScore",
    "HealthScorecard",
    "LineItem",
    "LoginAttempt",
    "Milestone",
    "Notification",
    "OnboardingProject",
    "OnboardingTemplate",
    "Opportunity",
    "OutboundMessage",
    "PlanOutcome",
    "Playbook",
    "Product",
    "Rule",
    "RuleRun",
    "SuccessPlan",
    "Survey",
    "SurveyInvitation",
    "SurveyResponse",
    "Task",
    "Team",
    "UsageEvent",
    "UsageSource",
    "User",
    "WebSession",
    "WebhookEndpoint",
    "workspace_state",
]
