"""Benchmark: the computed pages right after someone logs a call, beside `/healthz`.

In a working day people log calls and notes all the time; a page whose figures are kept per
workspace revision recomputes after each of them, so its "warm" figure is what a quiet
workspace sees, not a busy one. This measures the busy one. A real `steward serve` (one
process, its embedded job worker off) over a demo workspace built beforehand:

    steward demo --no-serve --accounts 20000 --data-dir /tmp/d20k
    python benchmarks/after_a_call.py --data-dir /tmp/d20k [--rounds 5]

The AM logs a call on one of their accounts through the API (`POST /api/v1/activities`, as
the load benchmark does), then the VP loads each page once: the figure is the median over
`--rounds` such pairs, in milliseconds, beside the same page's warm median with no write in
between and `/healthz` in the same run. Every answer must be 200 with the page's own figures
(a fast error is not a page).
"""

from __future__ import annotations

import argparse
import json
import statistics
from datetime import UTC, datetime
from pathlib import Path

import httpx

from benchmarks.pages import PASSWORD, _client, _free_port, _start, timed_get

PAGES = ("/forecast", "/renewals", "/risk", "/portfolio", "/revenue", "/retention")
VP, AM = "vp@example.com", "am@example.com"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    port = _free_port()
    server = _start(args.data_dir, port)
    base = f"http://127.0.0.1:{port}"
    try:
        vp = _client(base, VP)
        api = httpx.Client(base_url=base, timeout=120, trust_env=False)
        issued = api.post("/api/v1/auth/token", json={"email": AM, "password": PASSWORD})
        api.headers["Authorization"] = f"Bearer {issued.json()['access_token']}"
        mine = api.get("/api/v1/accounts?scope=mine&limit=1").json()["items"][0]["id"]

        def log_a_call() -> None:
            answer = api.post(
                "/api/v1/activities",
                json={
                    "account_id": mine,
                    "type": "call",
                    "subject": "Benchmark check-in",
                    "occurred_at": datetime.now(UTC).isoformat(),
                },
            )
            if answer.status_code != 201:
                raise SystemExit(f"logging a call: {answer.status_code} {answer.text[:300]}")

        healthz = statistics.median(timed_get(vp, "/healthz") for _ in range(50))
        figures: dict[str, dict[str, float]] = {}
        for path in PAGES:
            first = timed_get(vp, path)
            warm = statistics.median(timed_get(vp, path) for _ in range(args.rounds))
            after: list[float] = []
            for _ in range(args.rounds):
                log_a_call()
                after.append(timed_get(vp, path))
            figures[path] = {
                "first": first,
                "warm": warm,
                "after_a_call": statistics.median(after),
                "after_max": max(after),
            }
    finally:
        server.terminate()
        server.wait(timeout=60)
    print(f"VP's pages (ms), `/healthz` {healthz:.1f} ms; {args.rounds} rounds")
    print(f"{'page':<14}{'first':>10}{'warm':>10}{'after a call':>14}{'max':>10}{'÷ healthz':>11}")
    for path, f in figures.items():
        print(
            f"{path:<14}{f['first']:>10.1f}{f['warm']:>10.1f}{f['after_a_call']:>14.1f}"
            f"{f['after_max']:>10.1f}{f['after_a_call'] / healthz:>10.1f}×"
        )
    if args.json:
        args.json.write_text(json.dumps({"healthz": healthz, "pages": figures}, indent=2))


if __name__ == "__main__":
    main()
