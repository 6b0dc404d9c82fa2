"""Benchmark: how soon a `steward serve` killed with SIGKILL answers `/healthz` again, beside a
bare uvicorn app (one route) started the same way, in the same run.

    steward demo --no-serve --accounts 400 --data-dir /tmp/pages-400
    python benchmarks/restart.py --data-dir /tmp/pages-400 [--runs 3] [--workers 2]

Each run starts `steward serve` as an operator would (its embedded job worker on), waits for
`/healthz`, kills the whole process group with SIGKILL (no clean shutdown: a crash or the OOM
killer), starts it again and times the seconds from the start to the first 200. Target:
within 5 s; the job worker catches up in the background, after the server answers.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

BARE_APP = """
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _until_healthy(port: int, started: float, limit: float = 120) -> float:
    while time.monotonic() - started < limit:
        with contextlib.suppress(httpx.HTTPError):
            answer = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1, trust_env=False)
            if answer.status_code == 200:
                return time.monotonic() - started
        time.sleep(0.02)
    raise SystemExit(f"no answer on port {port} within {limit} s")


def _start(
    command: list[str], env: dict[str, str], cwd: Path | None = None
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        command,
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: killed whole, as a crash would
    )


def _kill(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    env = {**os.environ, "STEWARD_INBOUND_SMTP_PORT": "0"}
    port = _free_port()
    steward = [
        sys.executable,
        "-m",
        "steward",
        "serve",
        "--data-dir",
        str(args.data_dir),
        "--port",
        str(port),
        "--workers",
        str(args.workers),
    ]
    bare_dir = Path(tempfile.mkdtemp(prefix="steward-bare-"))
    (bare_dir / "bare_app.py").write_text(BARE_APP)
    bare = [
        sys.executable,
        "-m",
        "uvicorn",
        "bare_app:app",
        "--port",
        str(port),
        "--workers",
        str(args.workers),
        "--log-level",
        "warning",
    ]
    steward_times, bare_times = [], []
    for run in range(1, args.runs + 1):
        started = time.monotonic()
        process = _start(bare, env, cwd=bare_dir)
        bare_times.append(_until_healthy(port, started))
        _kill(process)
        process = _start(steward, env)
        _until_healthy(port, time.monotonic())
        time.sleep(3)  # the job worker is busy by now, as in a running workspace
        _kill(process)
        started = time.monotonic()
        process = _start(steward, env)
        steward_times.append(_until_healthy(port, started))
        _kill(process)
        print(
            f"run {run}: steward after kill -9 {steward_times[-1]:.2f} s, "
            f"bare uvicorn {bare_times[-1]:.2f} s, ratio {steward_times[-1] / bare_times[-1]:.1f}"
        )
    for label, times in (
        ("steward serve after kill -9", steward_times),
        ("bare uvicorn", bare_times),
    ):
        print(
            f"{label:<30} min {min(times):.2f} s, median {statistics.median(times):.2f} s, "
            f"max {max(times):.2f} s"
        )
    median = statistics.median(steward_times)
    print(f"target /healthz within 5 s (median): {'meets' if median <= 5 else 'MISSES'}")


if __name__ == "__main__":
    main()
