"""`steward score` on a demo workspace."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from steward.cli.main import app

runner = CliRunner()


def test_score_command(tmp_path: Path) -> None:
    built = runner.invoke(
        app, ["demo", "--data-dir", str(tmp_path), "--no-serve", "--accounts", "20"]
    )
    assert built.exit_code == 0, built.output
    scored = runner.invoke(
        app, ["score", "--data-dir", str(tmp_path), "--json", "--as-of", "2026-11-20"]
    )
    assert scored.exit_code == 0, scored.output
    run = json.loads(scored.output)
    assert run["scored"] > 0 and run["as_of"] == "2026-11-20"
    assert (tmp_path / "analytics.duckdb").exists()
    bad = runner.invoke(app, ["score", "--data-dir", str(tmp_path), "--as-of", "tomorrow"])
    assert bad.exit_code == 1 and "is not a date" in bad.output


def test_demo_usage_declines_before_risk(tmp_path: Path) -> None:
    import sqlite3

    built = runner.invoke(
        app, ["demo", "--data-dir", str(tmp_path), "--no-serve", "--accounts", "150"]
    )
    assert built.exit_code == 0, built.output
    assert "usage events" in built.output and "health scores" in built.output
    db = sqlite3.connect(tmp_path / "steward.db")
    rows = db.execute(
        "SELECT a.lifecycle_stage, h.components FROM health_scores h "
        "JOIN accounts a ON a.id = h.account_id "
        "WHERE h.as_of = (SELECT max(as_of) FROM health_scores)"
    ).fetchall()
    trends: dict[str, list[float]] = {}
    for stage, components in rows:
        for component in json.loads(components):
            if component["measure"] == "usage_trend":
                trends.setdefault(stage, []).append(component["value"])
    mean = {stage: sum(v) / len(v) for stage, v in trends.items()}
    assert mean["at_risk"] < -0.2 < mean["mature"], mean  # at-risk accounts use it less and less
    # The demo scores the twelve weeks before too: a history for trends and changes.
    days = db.execute("SELECT count(DISTINCT as_of) FROM health_scores").fetchone()[0]
    assert days == 13
    bands = dict(db.execute("SELECT band, count(*) FROM health_scores GROUP BY band").fetchall())
    assert set(bands) == {"green", "yellow", "red"}
