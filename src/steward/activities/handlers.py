"""How activities react to the domains below them."""

from __future__ import annotations

from steward.activities.service import refresh_activity_rollups
from steward.contacts.events import ContactsMerged
from steward.core.events import handles


@handles(ContactsMerged)
def last_touch_after_a_merge(event: ContactsMerged) -> None:
    refresh_activity_rollups(event.session, event.account_id)
