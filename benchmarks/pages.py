"""Benchmark: every page of the navigation, warm, beside `/healthz`, for an AM and for the VP.

A real `steward serve` (one process, its embedded job worker off so nothing writes during the
run) on loopback, over a demo workspace built beforehand:

    steward demo --no-serve --accounts 400 --data-dir /tmp/pages-400
    python benchmarks/pages.py --data-dir /tmp/pages-400 [--rounds 15] [--runs 3]

Each person logs in and reads the navigation off their own My Book page (so a page added to
the menu is measured without editing this file), plus their first account's 360 page and,
for the admin, the health scorecard's dry run. Every page is requested once (the first load:
caches empty) and then `--rounds` times; the figure is the median of those, in milliseconds,
and its ratio to `/healthz` requested the same way in the same run. `--runs` repeats the
whole pass (the server restarted each time) and prints each page's min / median / max over
the runs. A page answering anything but 200 stops the benchmark: a fast error is not a page.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

PASSWORD = "steward-demo"
PEOPLE = ("am@example.com", "vp@example.com", "admin@example.com")
NAV = re.compile(r"<nav>(.*?)</nav>", re.S)
HREF = re.compile(r'href="(/[^"]*)"')
# Not pages of Steward's own: the API reference is Swagger UI's.
SKIP = {"/docs"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "STEWARD_EMBEDDED_WORKER": "false",
        "STEWARD_INBOUND_SMTP_PORT": "0",
        "STEWARD_API_RATE_LIMIT": "1000000/minute",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "steward",
            "serve",
            "--data-dir",
            str(data_dir),
            "--port",
            str(port),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if (
                httpx.get(
                    f"http://127.0.0.1:{port}/healthz", timeout=2, trust_env=False
                ).status_code
                == 200
            ):
                return server
        time.sleep(0.1)
    server.kill()
    raise SystemExit("the server did not answer /healthz within 60 s")


def _client(base: str, email: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=120, trust_env=False)
    answer = client.post("/login", data={"email": email, "password": PASSWORD})
    if answer.status_code != 303:
        raise SystemExit(f"{email} could not log in: {answer.status_code}")
    # The session cookie is Secure; loopback over http is secure to a browser, not to httpx.
    for cookie in client.cookies.jar:
        cookie.secure = False
    return client


def _pages(client: httpx.Client, email: str) -> list[str]:
    book = client.get("/book")
    menu = NAV.search(book.text)
    assert menu, "no navigation on /book"
    pages = [p for p in dict.fromkeys(HREF.findall(menu.group(1))) if p not in SKIP]
    first = re.search(r'href="/accounts/(\d+)"', book.text)
    if first:
        pages.append(f"/accounts/{first.group(1)}")
    if email.startswith("admin"):
        listing = client.get("/admin/scorecards").text
        card = re.search(r'href="/admin/scorecards/(\d+)"', listing)
        if card:
            pages.append(f"/admin/scorecards/{card.group(1)}/dry-run")
    return pages


def timed_get(client: httpx.Client, path: str) -> float:
    """One load of `path` in ms; anything but the page itself (200, not the login page)
    stops the benchmark."""
    started = time.perf_counter()
    answer = client.get(path)
    elapsed = (time.perf_counter() - started) * 1000
    if answer.status_code != 200 or "/login" in str(answer.url):
        raise SystemExit(f"{path}: {answer.status_code} {answer.text[:300]}")
    return elapsed


def _time(client: httpx.Client, path: str, rounds: int) -> tuple[float, float]:
    """(first load, median of the next `rounds`) in ms."""
    first = timed_get(client, path)
    return first, statistics.median(timed_get(client, path) for _ in range(rounds))


def one_run(data_dir: Path, rounds: int) -> dict[str, dict[str, tuple[float, float]]]:
    port = _free_port()
    server = _start(data_dir, port)
    base = f"http://127.0.0.1:{port}"
    figures: dict[str, dict[str, tuple[float, float]]] = {}
    try:
        for email in PEOPLE:
            client = _client(base, email)
            try:
                mine: dict[str, tuple[float, float]] = {"/healthz": _time(client, "/healthz", 50)}
                for path in _pages(client, email):
                    mine[path] = _time(client, path, rounds)
                mine["/healthz (after)"] = _time(client, "/healthz", 50)
                figures[email] = mine
            finally:
                client.close()
    finally:
        server.terminate()
        server.wait(timeout=60)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    runs = [one_run(args.data_dir, args.rounds) for _ in range(args.runs)]
    table: dict[str, Any] = {}
    for email in PEOPLE:
        print(f"\n{email}  (ms; warm median per run: min / median / max over {args.runs} runs)")
        print(f"{'page':<44}{'first':>9}{'min':>9}{'median':>9}{'max':>9}{'÷ healthz':>11}")
        baseline = statistics.median(r[email]["/healthz"][1] for r in runs)
        for path in runs[0][email]:
            firsts = [r[email][path][0] for r in runs if path in r[email]]
            warm = sorted(r[email][path][1] for r in runs if path in r[email])
            mid = statistics.median(warm)
            print(
                f"{path:<44}{statistics.median(firsts):>9.1f}{warm[0]:>9.1f}{mid:>9.1f}"
                f"{warm[-1]:>9.1f}{mid / baseline:>10.1f}×"
            )
            table.setdefault(email, {})[path] = {
                "first": statistics.median(firsts),
                "min": warm[0],
                "median": mid,
                "max": warm[-1],
                "ratio": mid / baseline,
            }
    if args.json:
        args.json.write_text(json.dumps(table, indent=2))


if __name__ == "__main__":
    main()
