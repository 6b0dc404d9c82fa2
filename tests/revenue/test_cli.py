"""`steward metrics revenue` on the hand-computed workspace."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from steward.cli.main import app

runner = CliRunner()


def test_metrics_revenue_json_and_table(workspace, cli_env) -> None:
    result = runner.invoke(
        app, ["metrics", "revenue", "--from", "2024-01", "--to", "2024-12", "--json"]
    )
    assert result.exit_code == 0, result.output
    [total] = json.loads(result.output)["groups"]
    assert total["waterfall"]["end_arr"] == "38100.00"

    mine = runner.invoke(
        app,
        [
            "metrics",
            "revenue",
            "--from",
            "2024-01",
            "--to",
            "2024-12",
            "--json",
            "--user",
            workspace["am_user"].email,
        ],
    )
    assert json.loads(mine.output)["groups"][0]["waterfall"]["end_arr"] == "18000.00"

    table = runner.invoke(app, ["metrics", "revenue", "--from", "2024-01", "--to", "2024-12"])
    assert table.exit_code == 0
    assert "period" in table.output and "38.10k" in table.output
    assert "renewals: 1/3" in table.output


def test_metrics_revenue_refuses_bad_input_with_a_sentence(workspace, cli_env) -> None:
    bad_month = runner.invoke(app, ["metrics", "revenue", "--from", "2024-13"])
    assert bad_month.exit_code == 1
    assert "'2024-13' is not a month" in bad_month.output
    nobody = runner.invoke(app, ["metrics", "revenue", "--user", "nobody@example.com"])
    assert nobody.exit_code == 1 and "no user with e-mail" in nobody.output
