"""A fresh, empty database (no schema at all), on SQLite and PostgreSQL, for tests of
migrations, backups and restores."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from steward.db import Database
from tests.conftest import PG_URL, missing_service

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
