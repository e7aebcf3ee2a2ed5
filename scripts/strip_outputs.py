"""Remove outputs and execution counts from notebooks, so source notebooks diff cleanly.

Usage: python scripts/strip_outputs.py [--check] PATH...   (folders are searched for *.ipynb)
With --check nothing is written; the exit code is 1 when a notebook has outputs.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat


def notebooks_under(paths: list[str]) -> list[Path]:
    found: list[Path] = []
    for name in paths:
        path = Path(name)
        candidates = sorted(path.rglob("*.ipynb")) if path.is_dir() else [path]
        found += [p for p in candidates if ".ipynb_checkpoints" not in p.parts]
    return found


def strip(notebook: nbformat.NotebookNode) -> bool:
    """Strip in place; return True when something changed."""
    changed = False
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        if cell.outputs or cell.execution_count is not None:
            cell.outputs, cell.execution_count = [], None
            changed = True
        for key in ("execution", "collapsed", "scrolled"):
            if key in cell.metadata:
                del cell.metadata[key]
                changed = True
    return changed


def main(argv: list[str]) -> int:
    check = "--check" in argv
    dirty = []
    for path in notebooks_under([a for a in argv if a != "--check"]):
        notebook = nbformat.read(path, as_version=4)
        if strip(notebook):
            dirty.append(path)
            if not check:
                nbformat.write(notebook, path)
    for path in dirty:
        print(f"{'has outputs' if check else 'stripped'}: {path}")
    return 1 if (check and dirty) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
