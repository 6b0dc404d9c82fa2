from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from steward.cli.main import app

runner = CliRunner()


def test_demo_builds_a_deterministic_workspace_and_reuses_it(tmp_path: Path) -> None:
    first = runner.invoke(
        app,
        [
            "demo",
            "--data-dir",
            str(tmp_path / "a"),
            "--no-serve",
            "--accounts",
            "60",
            "--seed",
            "3",
        ],
    )
    assert first.exit_code == 0, first.output
    assert "am@example.com" in first.output and "accounts" in first.output
    # Each build step says when it is done and how long it took.
    steps = [line.split()[-2] for line in first.output.splitlines() if line.endswith(" s")]
    assert len(steps) == 10 and all(float(t) >= 0 for t in steps)  # 9 steps and the total
    assert "Twelve weeks of health scores" in first.output and "Built in" in first.output
    second = runner.invoke(
        app,
        [
            "demo",
            "--data-dir",
            str(tmp_path / "b"),
            "--no-serve",
            "--accounts",
            "60",
            "--seed",
            "3",
        ],
    )
    summary = [line for line in first.output.splitlines() if "contracts" in line]
    assert summary == [line for line in second.output.splitlines() if "contracts" in line]
    again = runner.invoke(app, ["demo", "--data-dir", str(tmp_path / "a"), "--no-serve"])
    assert again.exit_code == 0 and "Reusing" in again.output


def test_user_create_reports_bad_input_with_a_sentence(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    data = str(tmp_path)
    assert runner.invoke(app, ["migrate", "--data-dir", data]).exit_code == 0
    monkeypatch.setenv("STEWARD_PASSWORD", "short")
    weak = runner.invoke(
        app,
        [
            "user",
            "create",
            "--email",
            "a@b.example",
            "--name",
            "A",
            "--role",
            "am",
            "--data-dir",
            data,
        ],
    )
    assert weak.exit_code != 0 and "at least 12 characters" in weak.output
    monkeypatch.setenv("STEWARD_PASSWORD", "a long enough passphrase")
    bad_role = runner.invoke(
        app,
        [
            "user",
            "create",
            "--email",
            "a@b.example",
            "--name",
            "A",
            "--role",
            "king",
            "--data-dir",
            data,
        ],
    )
    assert bad_role.exit_code != 0 and "role" in bad_role.output
    ok = runner.invoke(
        app,
        [
            "user",
            "create",
            "--email",
            "a@b.example",
            "--name",
            "A",
            "--role",
            "am",
            "--data-dir",
            data,
        ],
    )
    assert ok.exit_code == 0, ok.output
    token = runner.invoke(app, ["token", "create", "--email", "a@b.example", "--data-dir", data])
    assert token.exit_code == 0 and token.output.startswith("stw_")
    missing = runner.invoke(
        app, ["token", "create", "--email", "nobody@b.example", "--data-dir", data]
    )
    assert missing.exit_code != 0 and "no user" in missing.output


def test_a_bad_setting_is_named_in_a_sentence(monkeypatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from steward.config import get_settings

    monkeypatch.setenv("STEWARD_REQUEST_THREADS", "0")
    get_settings.cache_clear()
    try:
        result = runner.invoke(app, ["migrate", "--data-dir", str(tmp_path)])
    finally:
        monkeypatch.delenv("STEWARD_REQUEST_THREADS")
        get_settings.cache_clear()
    assert result.exit_code == 1
    assert "STEWARD_REQUEST_THREADS" in result.output
    assert "greater than or equal to 1" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_demo_links_point_at_the_port_it_serves_on(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Survey invitations and digests link to --port (they kept linking to :8000)."""
    from sqlalchemy import create_engine, text

    from steward.config import get_settings

    # Not configured; the command sets it, and monkeypatch takes it away afterwards.
    monkeypatch.setenv("STEWARD_PUBLIC_URL", "")
    monkeypatch.delenv("STEWARD_PUBLIC_URL")
    get_settings.cache_clear()
    data = tmp_path / "ported"
    built = runner.invoke(
        app,
        ["demo", "--data-dir", str(data), "--no-serve", "--accounts", "60", "--port", "8123"],
    )
    get_settings.cache_clear()
    assert built.exit_code == 0, built.output
    engine = create_engine(f"sqlite:///{data / 'steward.db'}")
    with engine.connect() as connection:
        bodies = connection.execute(
            text("SELECT body FROM outbound_messages WHERE channel = 'email'")
        ).scalars()
        links = [line for body in bodies for line in body.split() if line.startswith("http")]
    assert links, "the demo queued no e-mail with a link"
    assert all(link.startswith("http://127.0.0.1:8123/") for link in links), links[:3]


def test_mail_listener_without_a_port_or_on_a_taken_port_says_why(
    tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    import socket

    monkeypatch.delenv("STEWARD_INBOUND_SMTP_PORT", raising=False)
    data = str(tmp_path / "w")
    assert runner.invoke(app, ["migrate", "--data-dir", data]).exit_code == 0
    none = runner.invoke(app, ["mail-listener", "--data-dir", data])
    assert none.exit_code != 0
    assert "no port: pass --port or set STEWARD_INBOUND_SMTP_PORT" in none.output
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        busy = runner.invoke(app, ["mail-listener", "--data-dir", data, "--port", str(port)])
    assert busy.exit_code != 0
    assert f"could not listen on 127.0.0.1:{port}" in busy.output
