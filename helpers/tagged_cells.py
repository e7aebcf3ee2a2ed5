"""Run a notebook's code cells that carry a tag, outside Jupyter.

notebooks/fast_numpy.ipynb tags the cells that define its fast network ``fast-network``: the
benchmark (benchmarks/mnist_training.py) times them and tests/test_fast_numpy.py checks them, both
from the notebook itself, so neither keeps a copy of its code.
"""

from __future__ import annotations

import json
from pathlib import Path


def tagged_code(notebook: Path, tag: str) -> str:
    """The source of ``notebook``'s code cells tagged ``tag``, in order, one after another."""
    cells = json.loads(Path(notebook).read_text())["cells"]
    return "\n\n".join(
        "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        for cell in cells
        if cell["cell_type"] == "code" and tag in cell.get("metadata", {}).get("tags", [])
    )


def run_tagged(notebook: Path, tag: str, namespace: dict) -> dict:
    """Run the cells tagged ``tag`` in ``namespace`` (which holds what they expect imported);
    return it, with what they defined."""
    exec(compile(tagged_code(notebook, tag), str(notebook), "exec"), namespace)
    return namespace
