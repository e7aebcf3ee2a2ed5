"""The datasets the course uses: tiny logic-gate tables and MNIST (shipped in ``data/``)."""

from __future__ import annotations

import numpy as np

_GATE_OUTPUTS = {
    "AND": [0, 0, 0, 1],
    "OR": [0, 1, 1, 1],
    "NAND": [1, 1, 1, 0],
    "NOR": [1, 0, 0, 0],
    "XOR": [0, 1, 1, 0],
}


def logic_gate(name: str) -> tuple[np.ndarray, np.ndarray]:
    """The truth table of a two-input logic gate.

    Returns X: (4, 2) float array of inputs (0/1) and y: (4,) int array of outputs.
    """
    key = str(name).upper()
    if key not in _GATE_OUTPUTS:
        known = ", ".join(_GATE_OUTPUTS)
        raise ValueError(f"Unknown logic gate {name!r}: choose one of {known}.")
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    y = np.array(_GATE_OUTPUTS[key], dtype=int)
    return X, y
