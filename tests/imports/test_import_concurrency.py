"""Other users keep working while an import runs (issue 19, defect 7): logins and writes
answer, none with 503 "database is locked", because an import writes in short transactions
and lets waiting writers in between them."""

from __future__ import annotations

import csv
import io
import threading
import time
from datetime import datetime

from sqlalchemy import text

from steward.core.principal import Principal
from steward.imports.service import BATCH_SIZE, import_csv
from tests.factories import PASSWORD, Factory


def _accounts(rows: int) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Account ID", "Account Name", "Employees", "Parent Account ID"])
    for n in range(rows):
        parent = f"BIG-{n - 3}" if n % 10 == 9 else ""
        writer.writerow([f"BIG-{n}", f"Big {n}", str(10 + n % 2000), parent])
    return out.getvalue()


def test_logins_and_writes_answer_during_a_large_import(client, factory: Factory) -> None:
    admin = factory.user("admin")
    colleague = factory.user("am")
    headers = factory.headers(colleague)
    # Long enough (about 5 s at 5,000 rows/s) for a few login + write pairs to run inside it,
    # even when a loaded CI machine is slow to start them.
    text = _accounts(24_000)
    reports = []
    importer = threading.Thread(
        target=lambda: reports.append(
            import_csv(factory.db, Principal.of(admin), "accounts", io.StringIO(text))
        )
    )
    importer.start()
    statuses: list[int] = []
    n = 0
    waits: list[float] = []
    while importer.is_alive():
        n += 1
        began = time.perf_counter()
        login = {"email": colleague.email, "password": PASSWORD}
        statuses.append(client.post("/api/v1/auth/token", json=login).status_code)
        body = {"name": f"Made during the import {n}", "segment": "smb"}
        statuses.append(client.post("/api/v1/accounts", json=body, headers=headers).status_code)
        waits.append(time.perf_counter() - began)
    importer.join()
    assert reports and reports[0].created == 24_000 and reports[0].errors == []
    assert len(statuses) >= 4, "the import ended before anyone else tried to write"
    assert set(statuses) <= {200, 201}, statuses
    print(f"{len(statuses)} requests answered during the import, slowest pair {max(waits):.2f} s")


def test_a_writer_that_waits_during_an_import_goes_before_its_next_batch(factory: Factory) -> None:
    """However late a waiting writer's polls come (a loaded machine), the import lets it write
    before it commits another batch: between the moment the writer asks for the lock and the
    moment it has it, at most the batch under way (and one that ended as it asked) commit."""
    admin = factory.user("admin")
    db = factory.db
    text_ = _accounts(20_000)
    importer = threading.Thread(
        target=lambda: import_csv(db, Principal.of(admin), "accounts", io.StringIO(text_))
    )
    count = text("SELECT count(*) FROM accounts WHERE name LIKE 'Big %'")
    importer.start()
    grown: list[int] = []
    n = 0
    while importer.is_alive():
        n += 1
        with db.engine.connect() as reader:
            before = reader.execute(count).scalar_one()
        with db.engine.connect() as writer:
            writer.execute(
                text("INSERT INTO login_counters (key, window_start, failures) VALUES (:k, :t, 0)"),
                {"k": f"waiter-{n}", "t": datetime(2026, 1, 1)},
            )
            # Holding the write lock, this transaction reads what is committed now.
            grown.append(writer.execute(count).scalar_one() - before)
            writer.commit()
        time.sleep(0.05)
    importer.join()
    assert len(grown) >= 4, "the import ended before the writer could try"
    assert max(grown) <= 2 * BATCH_SIZE, grown
