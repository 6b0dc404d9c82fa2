"""Benchmark: durable ingestion through /v1/batch (Segment's API), 500-event batches, beside the
same app answering a no-op route with the same payloads, in one run.

Several wrk client threads (LuaJIT, a separate process) post batches whose messageIds are all
new, so every event is validated and written; the no-op route reads the same bodies and does
nothing. Prints events/s of both and the ratio for each run, then min/median/max over the runs,
and checks the stored count. Target: at least 50,000 events/s durable on this 2-core machine.

    python benchmarks/ingestion.py [--seconds 15] [--runs 3] [--connections 8] [--workers 2]
"""

from __future__ import annotations

import argparse
import base64
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
LUA = r"""
local counter = 0
local thread_id = ""
local header = "%s"
local threads = 0
setup = function(thread) threads = threads + 1; thread:set("id", threads) end
init = function(args) thread_id = args[1] .. "-" .. id end
request = function()
  counter = counter + 1
  local parts = {}
  for i = 1, %d do
    parts[i] = string.format(
      '{"type":"track","event":"Feature Used","userId":"u%%d","context":{"groupId":"ACC-%%06d"},'
      .. '"properties":{"feature":"reports","plan":"pro","n":%%d},'
      .. '"timestamp":"2026-11-20T10:%%02d:00Z","messageId":"%%s-%%d-%%d"}',
      i %% 97, i %% 5000, i, i %% 60, thread_id, counter, i)
  end
  local body = '{"batch":[' .. table.concat(parts, ",") .. ']}'
  local headers = {["Content-Type"]="application/json", ["Authorization"]=header}
  return wrk.format("POST", nil, headers, body)
end
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_wrk(url: str, script: Path, seconds: int, connections: int) -> dict[str, float]:
    run_id = f"r{time.time_ns()}"  # every run's messageIds are new: nothing is deduplicated
    out = subprocess.run(
        [
            "wrk",
            f"-c{connections}",
            "-t2",
            f"-d{seconds}s",
            "--timeout",
            "30s",
            "-s",
            str(script),
            url,
            "--",
            run_id,
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"requests": requests, "rps": rate, "failed": int(bad.group(1)) if bad else 0}


def stored_events(env: dict[str, str]) -> int:
    from sqlalchemy import func, select

    from steward.config import Settings
    from steward.db import Database
    from steward.usage.models import UsageEvent

    settings = Settings(
        data_dir=Path(env["STEWARD_DATA_DIR"]), database_url=env.get("STEWARD_DATABASE_URL", "")
    )
    db = Database(settings.effective_database_url)
    with db.session_factory() as session:
        count = int(session.scalar(select(func.count()).select_from(UsageEvent)) or 0)
    db.dispose()
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database-url", default="", help="default: SQLite in a temp dir")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")
    data_dir = Path(tempfile.mkdtemp(prefix="steward-ingest-"))
    # This checkout's code, whichever one the virtualenv installed (before/after runs).
    env = os.environ | {"STEWARD_DATA_DIR": str(data_dir), "PYTHONPATH": f"{ROOT / 'src'}:{ROOT}"}
    if args.database_url:
        env["STEWARD_DATABASE_URL"] = args.database_url
    steward = [sys.executable, "-m", "steward.cli.main"]
    subprocess.run([*steward, "migrate"], env=env, check=True, capture_output=True)
    key = subprocess.run(
        [*steward, "source", "create", f"bench-{time.time_ns()}"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    auth = "Basic " + base64.b64encode(f"{key}:".encode()).decode()
    script = data_dir / "batch.lua"
    script.write_text(LUA.replace("%s", auth, 1) % args.batch)
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "benchmarks.ingest_app:create_benchmark_app",
            "--port",
            str(port),
            "--workers",
            str(args.workers),
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        warm = run_wrk(f"{base}/v1/batch", script, 2, args.connections)  # stored too
        runs = []
        for _ in range(args.runs):
            noop = run_wrk(f"{base}/bench/noop", script, args.seconds, args.connections)
            ingest = run_wrk(f"{base}/v1/batch", script, args.seconds, args.connections)
            runs.append((noop, ingest))
    finally:
        server.terminate()
        server.wait(timeout=30)
    stored = stored_events(env)
    acknowledged = (warm["requests"] + sum(i["requests"] for _, i in runs)) * args.batch
    print(
        f"\n{args.batch}-event batches, {args.connections} connections, {args.workers} workers, "
        f"{args.seconds} s each, database: {args.database_url or 'SQLite (WAL)'}"
    )
    print(
        f"{'run':<5}{'no-op batches/s':>16}{'batches/s':>11}{'events/s':>12}"
        f"{'ratio':>7}{'failed':>8}"
    )
    for number, (noop, ingest) in enumerate(runs, 1):
        print(
            f"{number:<5}{noop['rps']:>16.1f}{ingest['rps']:>11.1f}"
            f"{ingest['rps'] * args.batch:>12,.0f}{ingest['rps'] / noop['rps']:>7.3f}"
            f"{ingest['failed'] + noop['failed']:>8}"
        )
    if any(i["failed"] or n["failed"] for n, i in runs):
        raise SystemExit("some requests failed; the figures above are not valid")
    print(f"stored events: {stored:,} (acknowledged: {acknowledged:,})")
    if stored < acknowledged:
        raise SystemExit("fewer events stored than acknowledged")
    events = sorted(i["rps"] * args.batch for _, i in runs)
    print(
        f"events/s durable over {len(runs)} runs: min {events[0]:,.0f}, "
        f"median {statistics.median(events):,.0f}, max {events[-1]:,.0f}"
    )
    median = statistics.median(events)
    print(f"target ≥ 50,000 events/s durable (median): {'meets' if median >= 50_000 else 'MISSES'}")
    shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
