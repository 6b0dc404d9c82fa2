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
