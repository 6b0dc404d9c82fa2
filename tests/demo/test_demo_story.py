"""The demo tells a story a CSM would recognise: churn follows from what could be seen a
quarter before. The default scorecard's own dry-run, on the default 400-account demo, shows
most churners red 90 days before they left and few of the accounts that stayed (issue 23).
Before the demo's signs were moved earlier it showed 2 of 39 churners red (and 19 of 317 that
stayed): worse than chance."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from steward.cli.common import _database, _settings
from steward.cli.main import app
from steward.health.dry_run import dry_run
from steward.health.models import HealthScorecard


def test_the_default_scorecard_catches_the_demos_churners_a_quarter_ahead(
    tmp_path: Path,
) -> None:
    built = CliRunner().invoke(app, ["demo", "--data-dir", str(tmp_path), "--no-serve"])
    assert built.exit_code == 0, built.output
    settings = _settings(tmp_path)
    db = _database(settings)
    try:
        with db.session() as session:
            card = session.scalars(
                select(HealthScorecard).where(HealthScorecard.status == "published")
            ).one()
        result = dry_run(
            db,
            settings.analytics_path,
            card,
            date.today(),
            horizon_days=90,
            churned_within_days=365,
            key_events=tuple(settings.key_features),
        )
    finally:
        db.dispose()
    churned, retained = result.churned, result.retained
    assert churned.accounts >= 20 and retained.accounts >= 250, (churned, retained)
    assert churned.red >= 0.6 * churned.accounts, churned  # most churners red a quarter before
    assert retained.red <= 0.1 * retained.accounts, retained  # few of those who stayed
    # Not by chance: some churners leave by surprise, green or yellow to the end.
    assert churned.red < churned.accounts
