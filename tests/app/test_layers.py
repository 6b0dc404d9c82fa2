"""scripts/layers.py counts the imports that break the layers (the closing notes quote it): it
finds none in this tree, and finds one that is put in."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _count(source: Path) -> dict[str, int]:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "layers.py"), "--source", str(source)],
        capture_output=True,
        text=True,
        check=True,
    )
    return {
        name: int(number)
        for name, number in re.findall(r"^(upward imports|file-level import cycles)\D*(\d+)",
                                       result.stdout, re.M)
    }  # fmt: skip


def test_the_layer_count_sees_an_upward_import_and_a_cycle(tmp_path: Path) -> None:
    assert _count(ROOT / "src") == {"upward imports": 0, "file-level import cycles": 0}
    shutil.copytree(ROOT / "src" / "steward", tmp_path / "steward")
    crud = tmp_path / "steward" / "core" / "crud.py"
    # The kit reaching up to a domain, which itself imports the kit: one upward import, and
    # a cycle through the domain's service.
    crud.write_text(crud.read_text() + "\nfrom steward.accounts import service  # noqa\n")
    counted = _count(tmp_path)
    assert counted["upward imports"] == 1
    assert counted["file-level import cycles"] >= 1
