"""Submissions that reach into the grading machinery, named for manual review (score kept).

Code running inside the kernel can never be fully trusted: the guarded kernel undoes what it can
before every cell (``guarded_kernel``), and this module reads what the student wrote, so that an
instructor looks at a submission that tried. It flags, in every code cell the student wrote or
changed (not the locked cells of the release):

- introspection of code objects, frames and interpreter internals (``__code__``, ``__globals__``,
  ``sys._getframe``, ``gc``, ``ctypes``, ``inspect``, ``sys.settrace`` ...);
- the grading machinery itself: IPython's shell and input history (``get_ipython``, ``In``),
  ``helpers.checks``, ``helpers.quiz``, ``helpers.grading``, ``builtins``, ``sys.modules``;
- dynamic code (``exec``, ``eval``, ``compile``, ``__import__``, ``setattr``);
- names the test cells use, rebound: a builtin (``len = ...``), a check (``check_equal = ...``) or
  a name the release's locked cells import from a check module (the quiz's ``right``, in the
  quiz only).

A flag does not change the score: the grade command reports the student as needing attention,
with the reasons, and keeps them in the student's log. Honest lesson code needs none of this.
"""

from __future__ import annotations

import ast
import builtins
import json
from pathlib import Path

import helpers.checks

INTERNALS = frozenset(
    {"__code__", "__globals__", "__closure__", "__defaults__", "__kwdefaults__", "__builtins__",
     "__subclasses__", "__mro__", "__bases__", "__class__", "__dict__", "f_back", "f_globals",
     "f_locals", "f_code", "f_builtins", "tb_frame", "gi_frame", "cr_frame", "ag_frame",
     "_getframe", "settrace", "setprofile", "addaudithook", "modules"}
)  # fmt: skip
MODULES = frozenset({"gc", "ctypes", "inspect", "builtins", "IPython", "linecache", "ipykernel"})
SHELL_NAMES = frozenset({"get_ipython", "In", "Out", "_ih", "_oh", "_i", "_ii", "_iii", "exit"})
DYNAMIC = frozenset({"exec", "eval", "compile", "__import__", "setattr", "delattr", "globals"})
# The modules whose functions the test cells call.
CHECK_MODULES = ("helpers.checks", "helpers.quiz")
# Names every notebook's test cells may use; a release adds what its locked cells import from
# CHECK_MODULES.
PROTECTED = frozenset(dir(builtins)) | frozenset(helpers.checks.__all__) | {"np", "numpy"}


def reasons_in_code(source: str, protected: frozenset[str] = PROTECTED) -> list[str]:
    """Why this code reaches into the grading machinery (empty when it does not).

    ``protected``: the names the test cells use (rebinding one is flagged).
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []  # it fails as it is; nothing runs
    found = []
    for node in ast.walk(tree):
        where = f"line {getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Attribute) and node.attr in INTERNALS:
            found.append(f"{where}: uses .{node.attr} (interpreter internals)")
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            if node.id in SHELL_NAMES:
                found.append(f"{where}: uses {node.id} (the notebook's shell or input history)")
            elif node.id in DYNAMIC:
                found.append(f"{where}: uses {node.id}() (dynamic code)")
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            module = getattr(node, "module", None) or ""
            names = [module] if module else [a.name for a in node.names]
            for name in names:
                top = name.split(".")[0]
                if top in MODULES or name.startswith((*CHECK_MODULES, "helpers.grading")):
                    found.append(f"{where}: imports {name} (the grading machinery)")
            for alias in node.names:
                bound = alias.asname or alias.name.split(".")[0]
                if bound in protected and bound not in ("np", "numpy"):
                    found.append(f"{where}: rebinds {bound}, which the test cells use")
                if module == "helpers" and alias.name in ("checks", "quiz", "grading"):
                    found.append(f"{where}: imports helpers.{alias.name} (the grading machinery)")
    modules = {"np", "numpy"} | {
        alias.asname or alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in node.names
    }
    for node in ast.walk(tree):
        where = f"line {getattr(node, 'lineno', '?')}"
        if isinstance(node, (ast.Attribute, ast.Subscript)) and not isinstance(node.ctx, ast.Load):
            root = node.value
            while isinstance(root, (ast.Attribute, ast.Subscript)):
                root = root.value
            if isinstance(root, ast.Name) and root.id in modules:
                found.append(f"{where}: changes the module {root.id} (what the checks use)")
        elif isinstance(node, ast.ClassDef) and any(
            "ndarray" in ast.unparse(base) for base in node.bases
        ):
            found.append(f"{where}: subclasses a NumPy array (its comparisons could lie)")
    for node in _top_level(tree):
        where = f"line {getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            if node.id in protected:
                found.append(f"{where}: rebinds {node.id}, which the test cells use")
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name in protected:
            found.append(f"{where}: defines {node.name}, which the test cells use")
    return sorted(set(found), key=found.index)


def _top_level(tree: ast.AST):
    """The nodes of a cell's own scope: a function's local `sum = 0` rebinds nothing global."""
    pending = list(ast.iter_child_nodes(tree))
    while pending:
        node = pending.pop()
        yield node
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            pending.extend(ast.iter_child_nodes(node))


def checks_imported(source: str) -> set[str]:
    """The names a cell imports from CHECK_MODULES (``from helpers.quiz import right``)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    return {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module in CHECK_MODULES
        for alias in node.names
    }


def reasons_in_submission(submitted: Path, released: Path) -> list[str]:
    """The reasons of every cell the student wrote or changed, named by its exercise or place."""
    found = []
    for notebook in sorted(submitted.glob("*.ipynb")):
        try:
            cells = json.loads(notebook.read_text())["cells"]
            locked = {
                "".join(c["source"])
                for c in json.loads((released / notebook.name).read_text())["cells"]
                if c.get("cell_type") == "code"
                and not c.get("metadata", {}).get("nbgrader", {}).get("solution")
            }
        except (OSError, ValueError, KeyError, TypeError):
            continue  # a broken file is reported as such elsewhere
        protected = PROTECTED | frozenset().union(*map(checks_imported, locked))
        for number, cell in enumerate(cells, start=1):
            source = "".join(cell.get("source", []))
            if cell.get("cell_type") != "code" or source in locked:
                continue
            name = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") or f"cell {number}"
            found += [f"{name}, {reason}" for reason in reasons_in_code(source, protected)]
    return found
