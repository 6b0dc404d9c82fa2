#!/usr/bin/env python3
"""Counts the imports that break Steward's layers, in the working tree or in any revision.

The layers are read from the `layers` contract in pyproject.toml (import-linter), so the count
and CI judge by the same definition. An import breaks the layers when a module imports a module
of a higher layer ("upward"), or of an independent package of its own layer ("sideways").
Each (importer, imported) module pair counts once, wherever in the file the import is.
Also prints the file-level import cycles (strongly connected groups of modules).

    .venv/bin/python scripts/layers.py            # the working tree
    .venv/bin/python scripts/layers.py 27e0eef    # a revision (its layers: today's contract)
    .venv/bin/python scripts/layers.py --list     # and every offending import
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tarfile
import tempfile
import tomllib
from io import BytesIO
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]


def layer_table() -> tuple[dict[str, int], dict[str, bool]]:
    """Package → layer index (0 = top) and whether that layer's packages are independent."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    [contract] = [c for c in config["contracts"] if c["id"] == "layers"]
    index: dict[str, int] = {}
    independent: dict[str, bool] = {}
    for position, layer in enumerate(contract["layers"]):
        separator = "|" if "|" in layer else ":"
        for package in layer.split(separator):
            index[package.strip()] = position
            independent[package.strip()] = separator == "|"
    return index, independent


def package_of(module: str, index: dict[str, int]) -> str | None:
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in index:
            return candidate
    return None


def cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan, iterative)."""
    modules = sorted(graph.modules)
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for start in modules:
        if start in order:
            continue
        work = [(start, iter(sorted(graph.find_modules_directly_imported_by(start))))]
        order[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in order:
                    order[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append(
                        (child, iter(sorted(graph.find_modules_directly_imported_by(child))))
                    )
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], order[child])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == order[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    found.append(sorted(group))
    return found


def analyse(source: Path, show: bool) -> int:
    sys.path.insert(0, str(source))
    for name in [m for m in sys.modules if m == "steward" or m.startswith("steward.")]:
        del sys.modules[name]
    graph = grimp.build_graph("steward", cache_dir=None)
    index, independent = layer_table()
    upward: list[tuple[str, str]] = []
    sideways: list[tuple[str, str]] = []
    for importer in sorted(graph.modules):
        source_package = package_of(importer, index)
        if source_package is None:
            continue
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            target_package = package_of(imported, index)
            if target_package is None or target_package == source_package:
                continue
            if index[target_package] < index[source_package]:
                upward.append((importer, imported))
            elif index[target_package] == index[source_package] and independent[source_package]:
                sideways.append((importer, imported))
    found_cycles = cycles(graph)
    print(f"modules: {len(graph.modules)}")
    print(f"upward imports: {len(upward)}")
    print(f"sideways imports (between independent packages of one layer): {len(sideways)}")
    print(f"file-level import cycles: {len(found_cycles)}")
    for group in found_cycles:
        print(f"  cycle of {len(group)}: {', '.join(group[:6])}{' …' if len(group) > 6 else ''}")
    if show:
        for kind, pairs in (("upward", upward), ("sideways", sideways)):
            for importer, imported in pairs:
                print(f"  {kind}: {importer} -> {imported}")
    return len(upward)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("revision", nargs="?", help="a git revision (default: the working tree)")
    parser.add_argument("--list", action="store_true", help="print every offending import")
    parser.add_argument("--source", type=Path, help="a folder holding steward/ (default: src)")
    args = parser.parse_args()
    if args.revision is None:
        analyse(args.source or ROOT / "src", args.list)
        return
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", args.revision, "src/steward"],
        check=True,
        capture_output=True,
    ).stdout
    with tempfile.TemporaryDirectory() as folder:
        with tarfile.open(fileobj=BytesIO(archive)) as tar:
            tar.extractall(folder, filter="data")
        print(f"revision {args.revision}:")
        analyse(Path(folder) / "src", args.list)


if __name__ == "__main__":
    main()
