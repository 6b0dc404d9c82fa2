"""Load and soak (issue 7 §10): a mixed workload against a real `steward serve` on loopback.

    pip install -e '.[load]'                      # Locust
    steward demo --no-serve --accounts 100000 --data-dir /tmp/load-demo
    python -m benchmarks.load --data-dir /tmp/load-demo --users 50 --minutes 10

Each simulated user is one of the demo's people, with a browser session and an API token of
their own, and loops over: the My Book page, an Account 360 page, the accounts API, logging an
activity (a write), and a batch of 20 product events through the tracking API (the demo's
write key). The script starts the server itself (`--workers` processes, loopback only), stops
after `--minutes`, and prints per endpoint: requests, errors, p50/p95/p99 in ms; the overall
error rate; and the server's memory (RSS of all its processes) at the start, the peak and the
end. `--json FILE` keeps the figures.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import gevent
import psutil
from locust import HttpUser, between, task
from locust.env import Environment

PEOPLE = ["am@example.com", "csm@example.com", "lead@example.com", "sam@example.com"]
PASSWORD = "steward-demo"
WRITE_KEY = "demo-write-key"
BASELINE = "GET /healthz (baseline)"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _rss_mib(pid: int) -> float:
    process = psutil.Process(pid)
    total = process.memory_info().rss
    for child in process.children(recursive=True):
        with contextlib.suppress(psutil.NoSuchProcess):
            total += child.memory_info().rss
    return total / 2**20


def _stop(server: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL for whatever is left after 30 s (a background job in the
    embedded worker does not stop halfway)."""
    family: list[Any] = [server]
    with contextlib.suppress(psutil.NoSuchProcess):
        family += psutil.Process(server.pid).children(recursive=True)
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        for process in family:
            with contextlib.suppress(psutil.NoSuchProcess, ProcessLookupError):
                process.kill()
        server.wait(timeout=30)


def user_class(host: str) -> type:
    class BookUser(HttpUser):
        """One person at work: reads their book and accounts, logs touches, and their
        product's SDK sends events."""

        wait_time = between(0.5, 2.0)

        def on_start(self) -> None:
            self.email = random.choice(PEOPLE)
            self.client.post(
                "/login",
                data={"email": self.email, "password": PASSWORD},
                name="POST /login",
            )
            # Steward's session cookie is Secure (browsers treat loopback as secure over
            # http); Python's cookie jar would not send it back over http, so it is told to.
            for cookie in self.client.cookies:
                cookie.secure = False
            issued = self.client.post(
                "/api/v1/auth/token",
                json={"email": self.email, "password": PASSWORD},
                name="POST /api/v1/auth/token",
            ).json()
            self.api = {"Authorization": f"Bearer {issued['access_token']}"}
            self.accounts = [1]
            with self.client.get(
                "/api/v1/accounts?scope=mine&limit=200",
                headers=self.api,
                name="GET /api/v1/accounts",
                catch_response=True,
            ) as answer:
                if answer.status_code == 200:
                    self.accounts = [a["id"] for a in answer.json()["items"]] or [1]
                else:
                    answer.failure(f"{answer.status_code}: {answer.text[:200]}")

        @task(1)
        def baseline(self) -> None:
            # The trivial request, under the same load: each endpoint's figures are also
            # given as a ratio to it (these machines are noisy).
            self.client.get("/healthz", name=BASELINE)

        def page(self, path: str, name: str) -> None:
            with self.client.get(path, name=name, catch_response=True) as answer:
                if answer.status_code == 200 and "/login" in answer.url:
                    answer.failure("the session was not kept: the page sent us to log in")

        @task(5)
        def my_book(self) -> None:
            self.page("/book", "GET /book")

        @task(5)
        def account_360(self) -> None:
            self.page(f"/accounts/{random.choice(self.accounts)}", "GET /accounts/{id}")

        @task(3)
        def accounts_api(self) -> None:
            self.client.get(
                f"/api/v1/accounts?limit=50&offset={random.randrange(0, 200)}",
                headers=self.api,
                name="GET /api/v1/accounts",
            )

        @task(2)
        def log_activity(self) -> None:
            self.client.post(
                "/api/v1/activities",
                json={
                    "account_id": random.choice(self.accounts),
                    "type": "call",
                    "subject": "Load test check-in",
                    "occurred_at": datetime.now(UTC).isoformat(),
                },
                headers=self.api,
                name="POST /api/v1/activities",
            )

        @task(3)
        def event_batch(self) -> None:
            now = datetime.now(UTC).isoformat()
            batch = [
                {
                    "type": "track",
                    "event": random.choice(["Report Exported", "Dashboard Shared", "Login"]),
                    "userId": f"load-{random.randrange(10_000)}",
                    "messageId": f"load-{time.time_ns()}-{i}",
                    "timestamp": now,
                }
                for i in range(20)
            ]
            self.client.post(
                "/v1/batch", json={"batch": batch}, auth=(WRITE_KEY, ""), name="POST /v1/batch"
            )

    BookUser.host = host
    return BookUser


def run(args: argparse.Namespace) -> dict[str, Any]:
    port = _free_port()
    host = f"http://127.0.0.1:{port}"
    env = os.environ | {"STEWARD_DATA_DIR": str(args.data_dir)}
    # The server's own log (its warnings name the cause of any 503) is kept for the reader.
    log = args.server_log.open("wb") if args.server_log else subprocess.DEVNULL
    server = subprocess.Popen(
        [
            sys.executable,
            *("-m", "steward.cli.main", "serve"),
            *("--port", str(port), "--workers", str(args.workers)),
        ],
        env=env,
        stdout=log,
        stderr=log,
    )
    try:
        for _ in range(1200):
            try:
                with urllib.request.urlopen(f"{host}/healthz", timeout=1) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                time.sleep(0.1)
        else:
            raise SystemExit("the server did not start")
        environment = Environment(user_classes=[user_class(host)])
        runner = environment.create_local_runner()
        memory = [_rss_mib(server.pid)]
        runner.start(args.users, spawn_rate=max(1, args.users // 10))
        deadline = time.monotonic() + args.minutes * 60
        while time.monotonic() < deadline:
            gevent.sleep(5)
            memory.append(_rss_mib(server.pid))
        runner.quit()
        memory.append(_rss_mib(server.pid))
    finally:
        _stop(server)
        if not isinstance(log, int):
            log.close()
    endpoints = {}
    for (name, _method), entry in sorted(environment.stats.entries.items()):
        endpoints[name] = {
            "requests": entry.num_requests,
            "errors": entry.num_failures,
            "p50_ms": entry.get_response_time_percentile(0.50),
            "p95_ms": entry.get_response_time_percentile(0.95),
            "p99_ms": entry.get_response_time_percentile(0.99),
            "rps": round(entry.total_rps, 2),
        }
    total = environment.stats.total
    return {
        "users": args.users,
        "minutes": args.minutes,
        "server_workers": args.workers,
        "requests": total.num_requests,
        "error_rate": total.num_failures / max(1, total.num_requests),
        "endpoints": endpoints,
        "memory_mib": {
            "start": memory[0],
            "peak": max(memory),
            "end": memory[-1],
            # One sample a minute (every 12th of the 5-second samples): plateau or climb.
            "by_minute": [round(m) for m in memory[::12]],
        },
        "errors": {
            f"{v.method} {v.name}: {v.error}": v.occurrences
            for v in environment.stats.errors.values()
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True, help="a built demo workspace")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--workers", type=int, default=2, help="server processes")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--server-log", type=Path, help="keep the server's log here")
    args = parser.parse_args()
    result = run(args)
    print(f"{args.users} users for {args.minutes} min, {args.workers} server processes")
    base = result["endpoints"].get(BASELINE, {})
    print(
        f"{'endpoint':<28}{'requests':>9}{'errors':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
        f"{'p50 / baseline':>16}{'p99 / baseline':>16}"
    )
    for name, row in result["endpoints"].items():
        ratios = [
            f"{row[key] / base[key]:>16.1f}" if base.get(key) else f"{'—':>16}"
            for key in ("p50_ms", "p99_ms")
        ]
        print(
            f"{name:<28}{row['requests']:>9}{row['errors']:>8}"
            f"{row['p50_ms']:>9.0f}{row['p95_ms']:>9.0f}{row['p99_ms']:>9.0f}{''.join(ratios)}"
        )
    memory = result["memory_mib"]
    print(f"error rate {result['error_rate']:.4%}")
    print(
        f"server memory: {memory['start']:.0f} MiB at start, {memory['peak']:.0f} peak, "
        f"{memory['end']:.0f} at the end ({memory['end'] - memory['start']:+.0f} MiB)"
    )
    print(f"  by minute: {' '.join(str(m) for m in memory['by_minute'])} MiB")
    for error, count in result["errors"].items():
        print(f"  {count} × {error}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
