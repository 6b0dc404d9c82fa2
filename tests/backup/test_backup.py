"""Backup and restore (issue 7 §8): a restore on the same version gives every table its
checksum back, with the analytics store; an old backup is upgraded on restore; a backup from
a newer version, a damaged one, or a target with data are refused with a sentence and
leave the target empty. SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
import tarfile
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import inspect, select, text

from steward.accounts.models import Account
from steward.backup.service import BackupError, create_backup, restore_backup, table_checksums
from steward.config import Settings
from steward.db import Database
from steward.db.migrate import current_revision, head_revision, upgrade
from tests.factories import Factory


def _workspace(factory: Factory, settings: Settings) -> None:
    """Rows of every awkward kind: a teams ↔ users cycle, a parent with a larger id than its
    child, money, dates, JSON (audit), non-ASCII text, and an analytics store."""
    team = factory.team("Nörth ☃")
    lead = factory.user("team_lead", team)
    factory.set_lead(team, lead)
    child = factory.account(name="Ünïcode child", owner_am_id=lead.id)
    parent = factory.account(name="Parent", owner_am_id=lead.id)
    with factory.db.session() as session:
        stored = session.get(Account, child.id)
        assert stored is not None
        stored.parent_id = parent.id
    contract = factory.contract(parent, start=date(2025, 1, 1), months=12)
    factory.onboarding_project(contract)
    factory.opportunity(child, amount_minor=123_456)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    (settings.data_dir / "analytics.duckdb").write_bytes(b"DUCK" + bytes(range(256)) * 64)


def _rewrite(archive: Path, change: dict[str, bytes]) -> None:
    """The same archive with some members replaced (a newer manifest, a damaged table)."""
    with tarfile.open(archive, "r:gz") as source:
        members = {m.name: source.extractfile(m).read() for m in source.getmembers()}  # type: ignore[union-attr]
    members |= change
    with tarfile.open(archive, "w:gz") as target:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            target.addfile(info, io.BytesIO(data))


def _assert_empty(url: str) -> None:
    db = Database(url)
    try:
        assert inspect(db.engine).get_table_names() == []
    finally:
        db.dispose()


def test_a_restore_on_the_same_version_gives_every_table_its_checksum(
    db: Database, factory: Factory, blank_url: str, tmp_path: Path
) -> None:
    if db.engine.dialect.name != Database(blank_url).engine.dialect.name:
        return  # one pairing per database kind: sqlite → sqlite, postgresql → postgresql
    source_settings = Settings(data_dir=tmp_path / "source", secret_key="x")
    _workspace(factory, source_settings)
    archive = tmp_path / "backup.tar.gz"
    manifest = create_backup(source_settings, db, archive)
    assert manifest.revision == head_revision(db)
    assert manifest.tables["accounts"]["rows"] == 2

    target_settings = Settings(data_dir=tmp_path / "target", secret_key="x")
    target = Database(blank_url)
    try:
        restore_backup(target_settings, target, archive)
        assert table_checksums(target) == table_checksums(db)
        assert (target_settings.data_dir / "analytics.duckdb").read_bytes() == (
            source_settings.data_dir / "analytics.duckdb"
        ).read_bytes()
        assert current_revision(target) == head_revision(target)
        # New rows continue after the restored ids (PostgreSQL's sequences were moved on).
        restored = Factory(target).account(name="After the restore")
        with target.session() as session:
            ids = session.scalars(select(Account.id).order_by(Account.id)).all()
        assert len(ids) == 3 and ids[-1] == restored.id
    finally:
        target.dispose()


def test_refusals_leave_the_target_untouched(
    db: Database, factory: Factory, blank_url: str, tmp_path: Path
) -> None:
    settings = Settings(data_dir=tmp_path / "source", secret_key="x")
    _workspace(factory, settings)
    archive = tmp_path / "backup.tar.gz"
    manifest = create_backup(settings, db, archive)
    target = Database(blank_url)
    target_settings = Settings(data_dir=tmp_path / "target", secret_key="x")
    try:
        if db.engine.dialect.name != target.engine.dialect.name:
            with pytest.raises(BackupError, match="restore it into"):
                restore_backup(target_settings, target, archive)
            _assert_empty(blank_url)
            return
        # A damaged table file.
        damaged = tmp_path / "damaged.tar.gz"
        damaged.write_bytes(archive.read_bytes())
        _rewrite(damaged, {"database/accounts.jsonl": b'[1, "tampered"]\n'})
        with pytest.raises(BackupError, match="does not match its checksum"):
            restore_backup(target_settings, target, damaged)
        _assert_empty(blank_url)
        # A backup by a newer Steward.
        newer = tmp_path / "newer.tar.gz"
        newer.write_bytes(archive.read_bytes())
        data = manifest.data | {"schema_revision": "0099", "steward_version": "9.0.0"}
        _rewrite(newer, {"manifest.json": json.dumps(data).encode()})
        with pytest.raises(BackupError, match=r"newer Steward .* Upgrade Steward, then restore"):
            restore_backup(target_settings, target, newer)
        _assert_empty(blank_url)
        # A target that already holds a workspace.
        with pytest.raises(BackupError, match="needs an empty database"):
            restore_backup(settings, db, archive)
    finally:
        target.dispose()


def test_a_backup_of_an_older_schema_is_upgraded_on_restore(blank_url: str, tmp_path: Path) -> None:
    source = Database(blank_url)
    upgrade(source, "0001")
    with source.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO accounts (id, name, segment, tier, lifecycle_stage, arr_minor, "
                "version, created_at, updated_at) VALUES (7, 'Old Co', 'smb', 'standard', "
                "'mature', 0, 1, :at, :at)"
            ),
            {"at": "2024-01-02 03:04:05"},
        )
    settings = Settings(data_dir=tmp_path / "d", secret_key="x")
    archive = tmp_path / "old.tar.gz"
    assert create_backup(settings, source, archive).revision == "0001"
    # The old workspace is gone; its backup is restored by this version.
    with source.engine.begin() as conn:
        if source.is_sqlite:
            for table in inspect(conn).get_table_names():
                conn.execute(text(f"DROP TABLE {table}"))
        else:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    source.dispose()
    target = Database(blank_url)
    try:
        restore_backup(settings, target, archive)
        assert current_revision(target) == head_revision(target)
        with target.session() as session:
            assert session.scalar(select(Account.name).where(Account.id == 7)) == "Old Co"
    finally:
        target.dispose()


def test_the_commands_back_up_restore_and_refuse_with_a_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from steward.cli.main import app
    from steward.config import get_settings

    # --data-dir sets STEWARD_DATA_DIR for the process: put it back afterwards.
    monkeypatch.setenv("STEWARD_DATA_DIR", str(tmp_path / "unused"))
    monkeypatch.delenv("STEWARD_DATABASE_URL", raising=False)
    get_settings.cache_clear()

    runner = CliRunner()
    source, target = tmp_path / "source", tmp_path / "target"
    assert runner.invoke(app, ["migrate", "--data-dir", str(source)]).exit_code == 0
    archive = tmp_path / "b.tar.gz"
    made = runner.invoke(app, ["backup", "--data-dir", str(source), "-o", str(archive)])
    assert made.exit_code == 0, made.output
    assert "at schema" in made.output and archive.exists()
    done = runner.invoke(app, ["restore", str(archive), "--data-dir", str(target)])
    assert done.exit_code == 0, done.output
    assert "every checksum equal" in done.output
    again = runner.invoke(app, ["restore", str(archive), "--data-dir", str(target)])
    assert again.exit_code == 1 and "needs an empty database" in again.output
    (tmp_path / "not-a-backup.tar.gz").write_text("hello")
    wrong = runner.invoke(
        app, ["restore", str(tmp_path / "not-a-backup.tar.gz"), "--data-dir", str(tmp_path / "x")]
    )
    assert wrong.exit_code == 1 and "is not a Steward backup" in wrong.output
    missing = runner.invoke(app, ["restore", str(tmp_path / "nope.tar.gz")])
    assert missing.exit_code == 1 and "does not exist" in missing.output
    get_settings.cache_clear()
