"""The composition root: a new domain is one entry in `steward.app.DOMAINS`. A tiny domain
(tests/app/tiny_domain) gets its table, API route, page, job and event handler without any
kit being edited; the assembled app has no two routes on one method and path."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from steward.app import DOMAINS, assemble, create_app
from steward.config import Settings
from steward.db import Database
from steward.db.base import Base
from steward.db.migrate import upgrade
from steward.worker import Jobs, build_queue, start_embedded
from tests.factories import PASSWORD, Factory

TINY = "tests.app.tiny_domain"


@pytest.fixture
def with_tiny_domain() -> Iterator[tuple[str, ...]]:
    yield (*DOMAINS, TINY)
    # Leave the process as the other tests expect it: no tiny table, the usual handlers.
    table = Base.metadata.tables.get("tiny_notes")
    if table is not None:
        Base.metadata.remove(table)
    for name in [m for m in sys.modules if m.startswith(TINY)]:
        del sys.modules[name]
    assemble()


def test_a_new_domain_is_one_entry_in_the_list(
    with_tiny_domain: tuple[str, ...], tmp_path: Path
) -> None:
    db = Database(f"sqlite:///{tmp_path / 'steward.db'}")
    upgrade(db)
    settings = Settings(data_dir=tmp_path, secret_key="test", database_url=db.url)
    app = create_app(settings, db, with_tiny_domain)

    # Its table: in the metadata, so Alembic's autogenerate proposes exactly it.
    with db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert [(change[0], change[1].name) for change in diff] == [("add_table", "tiny_notes")]
    Base.metadata.tables["tiny_notes"].create(db.engine)

    # Its event handler: a contract written through the contracts service adds a note.
    factory = Factory(db)
    user = factory.user("am")
    account = factory.account(owner_am_id=user.id)
    with TestClient(app) as client:
        headers = factory.headers(user)
        contract = client.post(
            "/api/v1/contracts",
            headers=headers,
            json={
                "account_id": account.id,
                "name": "First year",
                "start_date": "2026-01-01",
                "end_date": "2027-01-01",
            },
        )
        assert contract.status_code == 201, contract.text

        # Its API route, behind the kit's authentication.
        assert client.get("/api/v1/tiny-notes/count").status_code == 401
        assert client.get("/api/v1/tiny-notes/count", headers=headers).json() == {"notes": 1}
        assert "/api/v1/tiny-notes/count" in client.get("/openapi.json").json()["paths"]

        # Its page, behind the kit's login.
        assert "/login" in client.get("/tiny", follow_redirects=False).headers["location"]
        signed_in = client.post(
            "/login", data={"email": user.email, "password": PASSWORD}, follow_redirects=False
        )
        assert signed_in.status_code == 303
        page = client.get("/tiny")
        assert page.status_code == 200 and "1 tiny notes for" in page.text

    # Its job: on the worker's schedule, and run by the worker on demand.
    assembly = assemble(with_tiny_domain)
    [declared] = [j for j in assembly.jobs if j.name == "count_tiny_notes"]
    assert declared.cron == "0 * * * *"
    queue = build_queue(settings, name=f"steward-test-{uuid.uuid4().hex[:8]}")
    jobs = Jobs(queue, settings, db, assembly.jobs)
    consumer = start_embedded(jobs)
    try:
        assert jobs.enqueue("count_tiny_notes")(blocking=True, timeout=60) == 1
    finally:
        consumer.stop(graceful=True)
    db.dispose()


def test_no_two_routes_answer_the_same_method_and_path() -> None:
    """Routers from different domains could shadow each other's routes (the earlier wins):
    every method and path is answered by one route only."""
    assembly = assemble()
    mounted = [("/api/v1", router) for router in assembly.api_routers]
    mounted += [("", router) for router in (*assembly.root_routers, *assembly.page_routers)]
    seen: dict[tuple[str, str], str] = {}
    for prefix, router in mounted:
        for route in router.routes:
            assert isinstance(route, APIRoute)
            for method in route.methods:
                key = (method, prefix + route.path)
                assert key not in seen, f"{method} {key[1]}: {seen[key]} and {route.name}"
                seen[key] = route.name
    assert len(seen) > 240  # every router was walked (250 routes on 2026-12-03)


def test_every_registered_domain_is_a_package_with_a_docstring() -> None:
    import importlib

    for name in DOMAINS:
        module = importlib.import_module(name)
        assert module.__doc__ and len(module.__doc__.strip()) > 20, f"{name} says what it owns"


def test_the_worker_schedule_holds_every_domains_jobs(tmp_path: Path) -> None:
    """The jobs the domains declare, on the schedules the worker had before they moved into
    their domains (the forecasts now tick on their own, after the churn job's ticks)."""
    assembly = assemble()
    declared = {job.name: (job.cron, job.at_start) for job in assembly.jobs}
    assert declared == {
        "deliver": ("* * * * *", False),
        "keep_rollups_current": ("3 * * * *", True),
        "keep_scores_current": ("*/15 * * * *", False),
        "score_now": (None, False),
        "start_missing_onboarding": ("*/15 * * * *", False),
        "evaluate_rules": ("*/15 * * * *", False),
        "keep_churn_current": ("7,37 * * * *", False),
        "keep_forecasts_current": ("22,52 * * * *", False),
        "daily_work": ("*/15 * * * *", False),
        # Mail capture: each tick syncs the mailboxes whose interval has passed.
        "sync_mailboxes": ("* * * * *", True),
        "sync_calendars": ("* * * * *", True),
        # The planner's statistics: nightly, and when a worker starts on a database with none.
        "refresh_planner_statistics": ("41 3 * * *", False),
        "gather_missing_planner_statistics": (None, True),
    }
    settings = Settings(data_dir=tmp_path, secret_key="test")
    queue = build_queue(settings, name=f"steward-test-{uuid.uuid4().hex[:8]}")
    Jobs(queue, settings, Database("sqlite://"), assembly.jobs)

    def due(hour: int, minute: int) -> set[str]:
        at = datetime(2026, 12, 3, hour, minute)
        return {task.name.rsplit(".", 1)[-1] for task in queue.read_periodic(at)}

    every = {"deliver", "sync_mailboxes", "sync_calendars"}
    quarter = every | {"keep_scores_current", "evaluate_rules", "daily_work"}
    assert due(10, 0) == quarter | {"start_missing_onboarding"}
    assert due(10, 3) == every | {"keep_rollups_current"}
    assert due(10, 7) == every | {"keep_churn_current"}
    assert due(10, 22) == every | {"keep_forecasts_current"}
    assert due(10, 11) == every
    assert due(3, 41) == every | {"refresh_planner_statistics"}
