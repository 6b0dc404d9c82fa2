"""`steward serve --workers 4` as an operator runs it (issue 19, defects 9 and 18): scheduled
work runs in one job worker beside the server processes, so every contract due gets exactly
one renewal opportunity; X-Forwarded-For is believed only from configured proxies; the job
worker ends with the server, even a killed one."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from steward.auth.models import LoginAttempt
from steward.db import Database
from steward.opportunities.models import Opportunity
from tests.factories import Factory

CONTRACTS_DUE = 17


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(data_dir: Path, url: str, *args: str, **env: str) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "steward.cli.main", "serve", "--port", str(port), *args],
        env=os.environ | {"STEWARD_DATA_DIR": str(data_dir), "STEWARD_DATABASE_URL": url} | env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180  # four processes on two loaded CI cores
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return process, base
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    pytest.fail("steward serve did not start")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


def _workers_of(pid: int) -> list[int]:
    """Job workers started by the server with this process id."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"worker" in cmdline and b"--exit-with" in cmdline and str(pid).encode() in cmdline:
            found.append(int(entry.name))
    return found


def _migrated(blank_url: str, data_dir: Path) -> Database:
    subprocess.run(
        [sys.executable, "-m", "steward.cli.main", "migrate"],
        env=os.environ | {"STEWARD_DATA_DIR": str(data_dir), "STEWARD_DATABASE_URL": blank_url},
        check=True,
        capture_output=True,
    )
    return Database(blank_url)


def test_four_server_processes_open_each_renewal_once(blank_url: str, tmp_path: Path) -> None:
    db = _migrated(blank_url, tmp_path)
    factory = Factory(db)
    am = factory.user("am")
    for n in range(CONTRACTS_DUE):
        account = factory.account(owner_am_id=am.id)
        factory.contract(
            account, start=date.today() - timedelta(days=300), end=date.today() + timedelta(n + 5)
        )
    server, _ = _start(tmp_path, blank_url, "--workers", "4")
    try:
        deadline = time.monotonic() + 90
        counts: list[int] = []
        while time.monotonic() < deadline:
            with db.session() as session:
                counts.append(
                    int(
                        session.scalar(select(func.count()).where(Opportunity.type == "renewal"))
                        or 0
                    )
                )
            if counts[-1] >= CONTRACTS_DUE and counts[-10:].count(counts[-1]) == 10:
                break
            time.sleep(0.5)
        with db.session() as session:
            per_contract = session.execute(
                select(Opportunity.contract_id, func.count())
                .where(Opportunity.type == "renewal")
                .group_by(Opportunity.contract_id)
            ).all()
        assert len(per_contract) == CONTRACTS_DUE, counts[-5:]
        assert {n for _, n in per_contract} == {1}
        assert len(_workers_of(server.pid)) == 1  # one job worker for the four processes
    finally:
        _stop(server)
        db.dispose()
    assert _workers_of(server.pid) == []


def test_forwarded_for_counts_only_from_trusted_proxies(blank_url: str, tmp_path: Path) -> None:
    db = _migrated(blank_url, tmp_path)
    wrong = {"email": "nobody@test.example", "password": "not the password"}
    spoofed = {"X-Forwarded-For": "203.0.113.9"}
    try:
        for trusted, seen in (("", "127.0.0.1"), ("127.0.0.1", "203.0.113.9")):
            server, base = _start(
                tmp_path, blank_url, STEWARD_TRUSTED_PROXIES=trusted, STEWARD_EMBEDDED_WORKER="0"
            )
            try:
                answer = httpx.post(f"{base}/api/v1/auth/token", json=wrong, headers=spoofed)
                assert answer.status_code == 401
            finally:
                _stop(server)
            with db.session() as session:
                last = session.scalar(select(LoginAttempt).order_by(LoginAttempt.id.desc()))
                assert last is not None and last.ip == seen
    finally:
        db.dispose()


def test_a_killed_server_leaves_no_job_worker_behind(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'steward.db'}"
    _migrated(url, tmp_path).dispose()
    server, _ = _start(tmp_path, url)
    deadline = time.monotonic() + 30
    while not _workers_of(server.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    workers = _workers_of(server.pid)
    assert len(workers) == 1
    server.kill()
    server.wait()
    deadline = time.monotonic() + 15
    while Path(f"/proc/{workers[0]}").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    status = Path(f"/proc/{workers[0]}/status")
    assert not status.exists() or "zombie" in status.read_text()


def test_a_second_live_renewal_opportunity_for_a_contract_is_a_conflict(
    client, factory: Factory
) -> None:
    am = factory.user("am")
    account = factory.account(owner_am_id=am.id)
    contract = factory.contract(account)
    body = {
        "account_id": account.id,
        "name": "Renewal",
        "type": "renewal",
        "stage": "qualification",
        "amount": "100.00",
        "close_date": contract.end_date.isoformat(),
        "contract_id": contract.id,
    }
    headers = factory.headers(am)
    assert client.post("/api/v1/opportunities", json=body, headers=headers).status_code == 201
    again = client.post("/api/v1/opportunities", json=body, headers=headers)
    assert again.status_code == 409, again.text
    assert again.headers["content-type"].startswith("application/problem+json")
