"""How playbooks react to the domains below them."""

from __future__ import annotations

from steward.core.events import handles
from steward.playbooks.engine import run_rules
from steward.surveys.events import SurveyAnswered


@handles(SurveyAnswered)
def rules_after_an_answer(event: SurveyAnswered) -> None:
    """The rules for the answering account at once, so a detractor's follow-up exists before
    they close the page (the periodic rules run catches it should this fail)."""
    run_rules(event.db, event.settings, account_ids=[event.account_id])
