"""Test fixtures: every storage, service and API test runs on SQLite and on PostgreSQL.

PostgreSQL is at STEWARD_TEST_PG (default postgresql+psycopg://postgres@127.0.0.1:5432/test);
the suite makes its own database `steward_test` there. Without PostgreSQL the PostgreSQL runs
are skipped loudly; under CI (CI=true) a missing service fails the run instead.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from steward.app import assemble, create_app
from steward.config import Settings, get_settings
from steward.db import Database
from steward.db.base import Base
from steward.db.migrate import upgrade
from tests.factories import Factory

# Every domain's tables and event handlers, as every entry point has them.
assemble()

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
PG_URL = os.environ.get("STEWARD_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
# One database per xdist worker and process, so parallel workers (and two test runs on one
# machine) never share rows; dropped when the session ends.
PG_TEST_DB = f"steward_test_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{os.getpid()}"
_skipped: list[str] = []


def missing_service(what: str) -> None:
    """Skip loudly on a developer machine; fail under CI."""
    if IN_CI:
        pytest.fail(f"{what} is required under CI but not available", pytrace=False)
    _skipped.append(what)
    pytest.skip(f"SKIPPED: {what} not available")


def _postgres_url() -> str | None:
    url = make_url(PG_URL)
    try:
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {PG_TEST_DB} WITH (FORCE)"))
            conn.execute(text(f"CREATE DATABASE {PG_TEST_DB}"))
        admin.dispose()
    except Exception:
        return None
    return url.set(database=PG_TEST_DB).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def sqlite_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    path = tmp_path_factory.mktemp("db") / "steward.db"
    db = Database(f"sqlite:///{path}")
    upgrade(db)
    yield db
    db.dispose()


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[Database | None]:
    url = _postgres_url()
    if url is None:
        yield None
        return
    db = Database(url)
    upgrade(db)
    yield db
    db.dispose()
    admin = create_engine(make_url(PG_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {PG_TEST_DB} WITH (FORCE)"))
    admin.dispose()


def _wipe(db: Database) -> None:
    # The workspace revision survives: caches are keyed by it, so it must only move forward.
    # Every table changed, so the next revision is every table's ('*').
    tables = [t for t in Base.metadata.sorted_tables if t.name != "workspace_state"]
    with db.engine.begin() as conn:
        if db.is_sqlite:
            conn.execute(text("PRAGMA defer_foreign_keys=ON"))  # teams <-> users cycle
            for table in reversed(tables):
                conn.execute(table.delete())
        else:
            names = ", ".join(t.name for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        conn.execute(text("UPDATE workspace_state SET revision = revision + 1"))
        conn.execute(
            text(
                "INSERT INTO table_revisions (name, revision) "
                "SELECT '*', revision FROM workspace_state"
            )
        )


@pytest.fixture(params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest) -> Iterator[Database]:
    """A migrated, empty database; each test owns its data (wiped afterwards)."""
    if request.param == "sqlite":
        database = request.getfixturevalue("sqlite_database")
    else:
        database = request.getfixturevalue("postgres_database")
        if database is None:
            missing_service(f"PostgreSQL at {PG_URL}")
    yield database
    _wipe(database)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, secret_key="test")


@pytest.fixture
def app(settings: Settings, db: Database):  # type: ignore[no-untyped-def]
    return create_app(settings, db)


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture(autouse=True)
def _environment_restored() -> Iterator[None]:
    """A test that runs a CLI command in this process (`steward demo` names the address links
    point at, STEWARD_PUBLIC_URL) leaves os.environ as it found it: a leaked :8000 once sent
    a browser test's shared-plan link to a port nobody served."""
    saved = dict(os.environ)
    yield
    if os.environ != saved:
        os.environ.clear()
        os.environ.update(saved)
        get_settings.cache_clear()


@pytest.fixture
def factory(db: Database) -> Factory:
    return Factory(db)


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # type: ignore[no-untyped-def]
    skipped = sorted(set(_skipped))
    if skipped:
        terminalreporter.section("SERVICES NOT AVAILABLE — TESTS SKIPPED", sep="!", red=True)
        for what in skipped:
            terminalreporter.write_line(f"  {what}: its tests were skipped", red=True)


@pytest.fixture
def cli_env(db: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The CLI run in-process against the test's database."""
    monkeypatch.setenv("STEWARD_DATABASE_URL", db.url)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


# A fresh, empty database (no schema at all) on SQLite and PostgreSQL, for tests of
# migrations, backups and restores.
_names = itertools.count(1)


@pytest.fixture(params=["sqlite", "postgres"])
def blank_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'blank.db'}"
        return
    name = f"steward_blank_{os.getpid()}_{next(_names)}"
    admin = create_engine(make_url(PG_URL), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {name}"))
    except Exception:
        admin.dispose()
        missing_service(f"PostgreSQL at {PG_URL}")
    yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


@pytest.fixture
def blank_db(blank_url: str) -> Iterator[Database]:
    db = Database(blank_url)
    yield db
    db.dispose()
