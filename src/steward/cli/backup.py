"""`steward backup` and `steward restore`."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from steward.cli.common import DataDir, _database, _settings, fail


def backup(
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="The archive to write (default: in the data dir)."),
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Back up the database, the analytics store and the schema revision, with checksums."""
    from steward.backup.service import BackupError, create_backup

    settings = _settings(data_dir)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = output or settings.data_dir / "backups" / f"steward-{stamp}.tar.gz"
    db = _database(settings)
    try:
        manifest = create_backup(settings, db, target)
    except BackupError as error:
        fail(error.detail)
    finally:
        db.dispose()
    rows = sum(t["rows"] for t in manifest.tables.values())
    typer.echo(
        f"backed up {len(manifest.tables)} tables ({rows} rows) at schema "
        f"{manifest.revision} to {target}"
    )


def restore(
    archive: Annotated[Path, typer.Argument(help="A file made by `steward backup`.")],
    data_dir: DataDir = None,
) -> None:
    """Restore a backup into an empty database (checked against its checksums)."""
    from steward.backup.service import BackupError, restore_backup

    if not archive.is_file():
        fail(f"{archive} does not exist")
    settings = _settings(data_dir)
    db = _database(settings)
    try:
        manifest = restore_backup(settings, db, archive)
    except BackupError as error:
        fail(error.detail)
    finally:
        db.dispose()
    rows = sum(t["rows"] for t in manifest.tables.values())
    typer.echo(
        f"restored {len(manifest.tables)} tables ({rows} rows, every checksum equal) from "
        f"schema {manifest.revision}; the database is up to date"
    )
