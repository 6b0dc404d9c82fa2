"""Cells that a spreadsheet would run as formulas (OWASP "CSV injection"), neutralised on the
way out and read back unchanged on the way in.

A cell starting with =, +, -, @, tab or carriage return is written with a leading apostrophe,
which spreadsheets show as text. Cells that already start with apostrophes before such a
character get one more, so that reading strips exactly one and every value survives a round
trip: "=1+2" → "'=1+2" → "=1+2", and "'=x" → "''=x" → "'=x"."""

from __future__ import annotations

import re
from typing import Any

_FORMULA = re.compile(r"'*[=+\-@\t\r]")


def safe_cell(value: Any) -> str:
    """A value as a CSV cell no spreadsheet evaluates (None is an empty cell)."""
    text = "" if value is None else str(value)
    return "'" + text if _FORMULA.match(text) else text


def read_cell(text: str) -> str:
    """What safe_cell was given (cells written by anyone else are read as they are, except a
    leading apostrophe before a formula character, which only such a writer adds)."""
    return text[1:] if text.startswith("'") and _FORMULA.match(text, 1) else text
