"""`steward backup` and `steward restore`.

The archive (tar.gz) holds `manifest.json` (Steward's version, the schema revision, the
database kind, each table's row count and SHA-256, each file's SHA-256), one JSON-lines file
per table under `database/`, and the analytics store under `files/`. Restoring checks every
checksum first, refuses a backup made by a newer Steward, and loads into an empty database
in one transaction at the backup's schema revision, then upgrades to this version's."""

from __future__ import annotations

import functools
import hashlib
import json
import shutil
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import inspect

from steward import __version__
from steward.backup import rows
from steward.config import Settings
from steward.core.errors import StewardError
from steward.db.engine import Database
from steward.db.migrate import alembic_config, current_revision, head_revision, upgrade_within

FORMAT = 1
# Files of the data directory a backup keeps. Uploads are not among them: imports are read
# in memory and never stored as files. The job queue (jobs.db) holds only work the worker
# schedules again by itself.
KEPT_FILES = ("analytics.duckdb", "analytics.duckdb.wal")


class BackupError(StewardError):
    title = "Backup refused"


@dataclass(frozen=True)
class Manifest:
    data: dict[str, Any]

    @property
    def revision(self) -> str:
        return str(self.data["schema_revision"])

    @property
    def tables(self) -> dict[str, dict[str, Any]]:
        return dict(self.data["tables"])


def table_checksums(db: Database) -> dict[str, dict[str, Any]]:
    """Each table's row count and SHA-256 of its rows in key order."""
    with db.engine.connect() as connection:
        metadata = rows.reflect(connection)
        sums = {}
        for table in rows.backed_up_tables(metadata):
            count, digest = rows.checksum(connection, table)
            sums[table.name] = {"rows": count, "sha256": digest}
        return sums


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def create_backup(settings: Settings, db: Database, output: Path) -> Manifest:
    revision = current_revision(db)
    if revision is None:
        raise BackupError("the database has no schema yet: nothing to back up")
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        (root / "database").mkdir()
        tables: dict[str, dict[str, Any]] = {}
        files: dict[str, str] = {}
        # One read transaction: every table as of the same moment (PostgreSQL: repeatable
        # read; SQLite: a read transaction sees one snapshot of the WAL).
        with db.engine.connect() as connection:
            if not db.is_sqlite:
                connection = connection.execution_options(isolation_level="REPEATABLE READ")
            with connection.begin():
                metadata = rows.reflect(connection)
                for table in rows.backed_up_tables(metadata):
                    digest = hashlib.sha256()
                    count = 0
                    path = root / "database" / f"{table.name}.jsonl"
                    with path.open("wb") as out:
                        for line in rows.read_rows(connection, table):
                            out.write(line)
                            digest.update(line)
                            count += 1
                    tables[table.name] = {
                        "rows": count,
                        "sha256": digest.hexdigest(),
                        "columns": [c.name for c in table.columns],
                    }
                    files[f"database/{table.name}.jsonl"] = _sha256(path)
        (root / "files").mkdir()
        for name in KEPT_FILES:
            source = settings.data_dir / name
            if source.exists():
                shutil.copy2(source, root / "files" / name)
                files[f"files/{name}"] = _sha256(root / "files" / name)
        manifest = {
            "format": FORMAT,
            "steward_version": __version__,
            "schema_revision": revision,
            "database": db.engine.dialect.name,
            "created_at": datetime.now(UTC).isoformat(),
            "tables": tables,
            "files": files,
        }
        (root / "manifest.json").write_text(json.dumps(manifest, indent=2))
        output.parent.mkdir(parents=True, exist_ok=True)
        partial = output.with_name(output.name + ".partial")
        with tarfile.open(partial, "w:gz") as archive:
            archive.add(root / "manifest.json", arcname="manifest.json")
            for name in files:
                archive.add(root / name, arcname=name)
        partial.replace(output)  # a backup file is whole or absent
    return Manifest(manifest)


def _member(archive: tarfile.TarFile, name: str) -> IO[bytes]:
    try:
        handle = archive.extractfile(name)
    except KeyError:
        handle = None
    if handle is None:
        raise BackupError(f"the backup is incomplete: {name} is missing")
    return handle


def read_manifest(path: Path) -> Manifest:
    try:
        with tarfile.open(path, "r:gz") as archive:
            data = json.load(_member(archive, "manifest.json"))
    except (tarfile.TarError, OSError, json.JSONDecodeError) as error:
        raise BackupError(f"{path} is not a Steward backup ({error})") from None
    if data.get("format") != FORMAT:
        raise BackupError(f"{path} has backup format {data.get('format')}; this Steward reads 1")
    return Manifest(data)


def _verify(archive: tarfile.TarFile, manifest: Manifest) -> None:
    for name, expected in manifest.data["files"].items():
        digest = hashlib.sha256()
        read = functools.partial(_member(archive, name).read, 1 << 20)
        for block in iter(read, b""):
            digest.update(block)
        if digest.hexdigest() != expected:
            raise BackupError(f"the backup is damaged: {name} does not match its checksum")


def _check_compatible(db: Database, manifest: Manifest) -> None:
    scripts = ScriptDirectory.from_config(alembic_config(db))
    try:
        known = scripts.get_revision(manifest.revision)
    except CommandError:
        known = None
    if known is None:
        raise BackupError(
            f"this backup was made by a newer Steward ({manifest.data['steward_version']}, "
            f"schema {manifest.revision}); this is Steward {__version__} with schema "
            f"{head_revision(db)}. Upgrade Steward, then restore."
        )
    if manifest.data["database"] != db.engine.dialect.name:
        raise BackupError(
            f"this backup is of a {manifest.data['database']} database; restore it into "
            f"{manifest.data['database']} (this one is {db.engine.dialect.name})"
        )
    existing = inspect(db.engine).get_table_names()
    if existing:
        raise BackupError(
            f"restore needs an empty database; this one already has {len(existing)} tables. "
            "Point STEWARD_DATABASE_URL (or --data-dir) at a new one."
        )


def _lines(handle: IO[bytes]) -> Iterator[bytes]:
    yield from handle  # a tar member reads line by line, without loading the table whole


def restore_backup(settings: Settings, db: Database, path: Path) -> Manifest:
    manifest = read_manifest(path)
    _check_compatible(db, manifest)
    with tarfile.open(path, "r:gz") as archive:
        _verify(archive, manifest)
        json_adapter = None
        if not db.is_sqlite:
            from psycopg.types.json import Json

            json_adapter = Json
        # One transaction: the schema at the backup's revision, its rows, the checks and the
        # upgrade to this version commit together, or the database stays empty.
        with db.transactional_engine.begin() as connection:
            upgrade_within(db, connection, manifest.revision)
            metadata = rows.reflect(connection)
            deferred = rows.deferred_columns(metadata)
            tables = rows.backed_up_tables(metadata)
            pending = []
            for table in tables:
                expected = manifest.tables.get(table.name)
                if expected is None:
                    continue
                if expected["columns"] != [c.name for c in table.columns]:
                    raise BackupError(f"table {table.name} does not match the backup's schema")
                # Rows the migrations seeded (the workspace revision) give way to the backup's.
                connection.execute(table.delete())
                handle = _member(archive, f"database/{table.name}.jsonl")
                held = deferred.get(table.name, [])
                later = rows.insert_rows(connection, table, _lines(handle), held, json_adapter)
                pending.append((table, held, later))
            for table, held, later in pending:
                rows.fill_deferred(connection, table, held, later)
            for table in tables:
                count, digest = rows.checksum(connection, table)
                expected = manifest.tables.get(table.name, {"rows": 0})
                if count != expected["rows"] or digest != expected.get("sha256", digest):
                    raise BackupError(f"table {table.name} did not restore to its checksum")
            rows.reset_sequences(connection, tables)
            upgrade_within(db, connection)
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        for name in KEPT_FILES:
            target = settings.data_dir / name
            if f"files/{name}" in manifest.data["files"]:
                with target.open("wb") as out:
                    shutil.copyfileobj(_member(archive, f"files/{name}"), out)
            elif target.exists():
                target.unlink()  # a store left from another workspace would be stale
    return manifest
