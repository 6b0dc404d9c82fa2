"""How onboarding reacts to the domains below it."""

from __future__ import annotations

from steward.contracts.events import ContractCreated
from steward.core.events import handles
from steward.onboarding.service import refresh_progress, start_for_new_contract
from steward.plans.events import MilestoneWritten


@handles(ContractCreated)
def start_onboarding(event: ContractCreated) -> None:
    """A contract that starts a relationship gets its onboarding project at once."""
    start_for_new_contract(event.session, event.actor_id, event.contract)


@handles(MilestoneWritten)
def keep_progress(event: MilestoneWritten) -> None:
    if event.milestone.onboarding_project_id is not None:
        refresh_progress(event.session, event.milestone.onboarding_project_id)
