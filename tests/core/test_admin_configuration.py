"""Configuration is the admin's, decided in the service that changes it (issue 20): every door
(API, pages, CLI, a future one) gets the same answer. `save_playbook` used to trust its caller."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from steward.config import Settings
from steward.core.audit import AuditEvent
from steward.core.errors import PermissionDenied
from steward.core.principal import Principal
from steward.delivery import service as delivery
from steward.health import scorecards
from steward.onboarding import service as onboarding
from steward.playbooks import service as playbooks
from tests.factories import Factory

SETTINGS = Settings(secret_key="test")

CHANGES: dict[str, Callable[[Any, Principal], object]] = {
    "save_playbook": lambda s, p: playbooks.save_playbook(s, p, None),  # type: ignore[arg-type]
    "archive_playbook": lambda s, p: playbooks.archive_playbook(s, p, 1),
    "save_rule": lambda s, p: playbooks.save_rule(s, p, None),  # type: ignore[arg-type]
    "set_enabled": lambda s, p: playbooks.set_enabled(s, p, 1, False),
    "archive_rule": lambda s, p: playbooks.archive_rule(s, p, 1),
    "import_bundle": lambda s, p: playbooks.import_bundle(s, p, "rules: []", dry_run=False),
    "create_template": lambda s, p: onboarding.create_template(s, p, None),  # type: ignore[arg-type]
    "update_template": lambda s, p: onboarding.update_template(s, p, 1, None),  # type: ignore[arg-type]
    "archive_template": lambda s, p: onboarding.archive_template(s, p, 1),
    "create_endpoint": lambda s, p: delivery.create_endpoint(s, SETTINGS, p, "x", "https://x"),
    "rotate_secret": lambda s, p: delivery.rotate_secret(s, p, 1),
    "archive_endpoint": lambda s, p: delivery.archive_endpoint(s, p, 1),
    "create_scorecard": lambda s, p: scorecards.create_scorecard(s, p, None),  # type: ignore[arg-type]
    "publish_scorecard": lambda s, p: scorecards.publish(s, p, 1),
}


@pytest.mark.parametrize("role", ["am", "vp"])
@pytest.mark.parametrize("change", sorted(CHANGES))
def test_only_an_admin_changes_configuration(factory: Factory, role: str, change: str) -> None:
    user = factory.user(role)
    with factory.db.session() as session:
        with pytest.raises(PermissionDenied, match="only an admin"):
            CHANGES[change](session, Principal.of(user))
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == 0
