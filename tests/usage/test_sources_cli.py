"""`steward source create`, and the demo's public write key."""

from __future__ import annotations

import base64
from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from steward.app import create_app
from steward.cli.main import app
from steward.config import Settings
from steward.db import Database

runner = CliRunner()


def _post(data_dir: Path, key: str) -> int:
    settings = Settings(data_dir=data_dir, secret_key="test")
    db = Database(settings.effective_database_url)
    headers = {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}
    event = {"type": "track", "event": "Login", "userId": "u1", "messageId": "x1"}
    with TestClient(create_app(settings, db)) as client:
        status = client.post("/v1/batch", json={"batch": [event]}, headers=headers).status_code
    db.dispose()
    return status


def test_sources_from_the_cli_and_the_demo_key(tmp_path: Path) -> None:
    demo = runner.invoke(
        app, ["demo", "--data-dir", str(tmp_path), "--no-serve", "--accounts", "20"]
    )
    assert demo.exit_code == 0, demo.output
    assert "demo-write-key" in demo.output
    assert _post(tmp_path, "demo-write-key") == 200

    created = runner.invoke(app, ["source", "create", "Backend", "--data-dir", str(tmp_path)])
    assert created.exit_code == 0, created.output
    key = created.output.strip()
    assert key.startswith("swk_") and _post(tmp_path, key) == 200
    again = runner.invoke(app, ["source", "create", "Backend", "--data-dir", str(tmp_path)])
    assert again.exit_code == 1 and "exists already" in again.output
    assert _post(tmp_path, "not-a-key") == 401
