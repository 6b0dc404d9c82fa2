"""Benchmark: one AM's 1,000-account book page (with ARR and next renewal) through the API.

With a 100,000-account workspace in the database, 32 concurrent clients (wrk) request
`GET /api/v1/accounts?scope=mine&limit=1000` and, in the same run against the same server,
the trivial `GET /healthz` as the baseline. Prints p50, p99 and requests/s of both, and the
ratios. Target: p99 of the book page under 100 ms.

    python benchmarks/book_listing.py [--data-dir DIR] [--accounts 100000] [--duration 20]

Needs `wrk` (Debian: apt-get install wrk). The workspace is built once and reused.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def to_ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", value).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(url: str, token: str, connections: int, duration: int) -> dict[str, float]:
    out = subprocess.run(
        [
            "wrk",
            f"-c{connections}",
            "-t2",
            f"-d{duration}s",
            "--latency",
            "--timeout",
            "10s",
            "-H",
            f"Authorization: Bearer {token}",
            url,
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    latency = dict(re.findall(r"^\s+(50|99)(?:\.0+)?%\s+([\d.]+(?:us|ms|s))\s*$", out, re.M))
    if set(latency) != {"50", "99"}:
        raise SystemExit(f"could not read wrk's latency distribution:\n{out}")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non_2xx:
        raise SystemExit(f"{url}: {non_2xx.group(1)} failed responses\n{out}")
    return {"p50": to_ms(latency["50"]), "p99": to_ms(latency["99"]), "rps": rate}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--data-dir", default=str(ROOT / "benchmarks" / "results" / "data-100k"))
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")
    steward = [sys.executable, "-m", "steward.cli.main"]
    # Capacity, not policy: the per-token rate limit (1,200/minute by default) would answer
    # most of wrk's requests with 429.
    env = os.environ | {
        "STEWARD_DATA_DIR": args.data_dir,
        "STEWARD_API_RATE_LIMIT": "1000000/second",
    }
    started = time.perf_counter()
    subprocess.run(
        [*steward, "demo", "--no-serve", "--accounts", str(args.accounts)],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    print(f"workspace ready in {time.perf_counter() - started:.1f} s ({args.data_dir})")
    port = free_port()
    server = subprocess.Popen(
        [*steward, "serve", "--port", str(port), "--workers", str(args.workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        token = httpx.post(
            f"{base}/api/v1/auth/token",
            json={"email": "am@example.com", "password": "steward-demo"},
        ).json()["access_token"]
        book_url = f"{base}/api/v1/accounts?scope=mine&limit=1000&sort=next_renewal_date"
        first = httpx.get(book_url, headers={"Authorization": f"Bearer {token}"}, timeout=30).json()
        total_accounts = httpx.get(
            f"{base}/api/v1/accounts?limit=1", headers={"Authorization": f"Bearer {token}"}
        ).json()["total"]
        print(
            f"am@example.com's book: {first['total']} accounts; page size {len(first['items'])}; "
            f"workspace: {args.accounts} generated accounts ({total_accounts} readable by the AM)"
        )
        subprocess.run(
            ["wrk", "-c4", "-t1", "-d3s", "-H", f"Authorization: Bearer {token}", book_url],
            check=True,
            capture_output=True,
        )  # warm-up
        baseline = wrk(f"{base}/healthz", token, args.connections, args.duration)
        book = wrk(book_url, token, args.connections, args.duration)
    finally:
        server.terminate()
        server.wait(timeout=20)
    print(
        f"\n{args.connections} concurrent clients, {args.duration} s each, "
        f"{args.workers} server workers"
    )
    print(f"{'endpoint':<34}{'p50 ms':>10}{'p99 ms':>10}{'req/s':>10}")
    for label, figures in (
        ("GET /healthz (baseline)", baseline),
        ("GET /api/v1/accounts (1000 rows)", book),
    ):
        print(f"{label:<34}{figures['p50']:>10.2f}{figures['p99']:>10.2f}{figures['rps']:>10.0f}")
    print(
        f"{'ratio book / baseline':<34}{book['p50'] / baseline['p50']:>10.1f}"
        f"{book['p99'] / baseline['p99']:>10.1f}{book['rps'] / baseline['rps']:>10.3f}"
    )
    verdict = "meets" if book["p99"] < 100 else "MISSES"
    print(f"\np99 of the book page: {book['p99']:.1f} ms — {verdict} the 100 ms target")


if __name__ == "__main__":
    main()
