"""Running a piece of Steward in a child process that dies at its Nth write, as a process
killed by the OOM killer or a power cut would: no rollback, no cleanup, no exit handlers."""

from __future__ import annotations

import subprocess
import sys

_PRELUDE = """
import os, sys
from sqlalchemy import event
from sqlalchemy.engine import Engine

_writes = 0
_kill_at = int(sys.argv[1])

@event.listens_for(Engine, "before_cursor_execute")
def _die(conn, cursor, statement, *args):
    global _writes
    if statement.lstrip().upper().startswith(
        ("CREATE", "ALTER", "DROP", "INSERT", "UPDATE", "DELETE")
    ):
        _writes += 1
        if _writes == _kill_at:
            os._exit(9)
"""
# What the script may print at its end: how many writes it made.
WRITES = "print('writes', _writes)"


def run_killed_at(kill_at: int, script: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Runs `script` (its arguments are sys.argv[2:]); exit code 9 means it was killed."""
    return subprocess.run(
        [sys.executable, "-c", _PRELUDE + script, str(kill_at), *args],
        capture_output=True,
        text=True,
        timeout=300,
    )
