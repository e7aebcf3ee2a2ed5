"""Which cells autograding leaves out: a lesson's illustrations that no graded result depends on.

Figures, widgets and printed examples are most of what a lesson's kernel does: drawing Lesson 1's
figures costs several times what its tests cost. They change no score, so a lesson marks such a
cell with the tag ``illustration`` and the autograder skips it when both hold:

* its source is exactly that of a tagged cell of the lesson's ``source/`` notebook (a submission's
  own tags are not trusted, and a cell the student changed always runs), and
* no cell that runs reads a name the skipped cell binds (assigns, imports, defines, deletes, or
  changes in place through ``name[...] = ...`` or ``name.attr = ...``), checked again for every
  illustration that does run because of that. Changing a name (``w += 1``, ``X[0] = 1``,
  ``del X``) reads it, and a name bound only inside a loop, ``with``, ``try`` or one branch of an
  ``if`` still counts as read from outside afterwards: when unsure, the cell runs.

Reads are found in the code, with Python's own parser and symbol tables: a name that the top
level of a cell (a class body or list comprehension included) reads before the cell itself binds
it, and every global that a function, lambda or generator of the cell refers to, whenever it
runs. A cell that cannot be read that way (IPython magics, a syntax error, ``eval``, ``exec``,
``globals()``, a function that assigns a ``global``) counts as reading every name, so then
nothing is skipped. Illustrations are the lesson author's code, and
``tests/test_illustrations.py`` checks that none changes an object it did not create (no method
call, item or attribute assignment on a name it does not bind, no global random state), so
skipping one never changes what a running cell sees. What stays unseen is state kept *inside*
a student's function: one that remembers its earlier calls sees fewer of them. The lessons'
functions are specified as pure, so a correct implementation never does.
"""

from __future__ import annotations

import ast
import functools
import symtable
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import nbformat

TAG = "illustration"

# Names through which code reaches variables without naming them: a cell using one reads anything.
DYNAMIC_NAMES = frozenset(
    {"eval", "exec", "globals", "locals", "vars", "get_ipython", "__import__", "__main__"}
)

EVERYTHING = None  # what `reads` returns for a cell it cannot analyse

_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


@dataclass(frozen=True)
class CellCode:
    """What one cell binds at the top level and which names it reads from outside itself."""

    binds: frozenset[str] | None  # None: cannot tell (``from x import *``)
    reads: frozenset[str] | None  # None: may read anything


@functools.lru_cache(maxsize=1024)  # a lesson's own cells come back in every submission
def analyse(source: str) -> CellCode:
    """What a cell's code binds and reads; reads ``EVERYTHING`` when it cannot be analysed."""
    try:
        tree = ast.parse(source)
        scan = _Scan(list(_nested_scopes(symtable.symtable(source, "<cell>", "exec"))))
        scan.block(tree.body)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return CellCode(binds=None, reads=EVERYTHING)
    binds = None if scan.unknown_binds else frozenset(scan.bound)
    if scan.declares_global or scan.reads & DYNAMIC_NAMES:
        return CellCode(binds=binds, reads=EVERYTHING)
    return CellCode(binds=binds, reads=frozenset(scan.reads))


class _Scan:
    """Walks a cell's top level in the order it runs, noting reads that come before a binding.

    A name counts as bound, for the reads after it, only where the binding surely ran: not after
    a loop, a ``with`` or a ``try`` whose body bound it, nor after an ``if`` unless both branches
    bound it. Changing a name (``w += 1``, ``X[0] = 1``, ``X.a = 1``, ``del X``) reads it first.
    """

    def __init__(self, scopes: list[tuple[symtable.SymbolTable, bool]]):
        self.scopes = scopes
        self.bound: set[str] = set()  # bound somewhere in the cell
        self.definite: set[str] = set()  # surely bound at this point of the cell
        self.reads: set[str] = set()
        self.unknown_binds = False
        self.declares_global = any(
            symbol.is_declared_global() for scope, _ in scopes for symbol in scope.get_symbols()
        )

    def block(self, statements: list[ast.stmt]) -> None:
        for statement in statements:
            self.statement(statement)

    def statement(self, node: ast.stmt) -> None:
        before = set(self.definite)
        if isinstance(node, ast.If):
            self.part(node.test)
            self.block(node.body)
            after_body, self.definite = self.definite, set(before)
            self.block(node.orelse)
            self.definite = before | (after_body & self.definite)
            return
        if isinstance(node, (ast.For, ast.AsyncFor)):
            self.part(node.iter)
            self.part(node.target)
            self.block(node.body)
            self.block(node.orelse)
        elif isinstance(node, ast.While):
            self.part(node.test)
            self.block(node.body)
            self.block(node.orelse)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                self.part(item.context_expr)
                if item.optional_vars is not None:
                    self.part(item.optional_vars)
            self.block(node.body)
        elif isinstance(node, ast.Match):
            self.part(node.subject)
            for case in node.cases:
                self.part(case.pattern)
                if case.guard is not None:
                    self.part(case.guard)
                self.block(case.body)
        elif isinstance(node, (ast.Try, ast.TryStar)):
            self.block(node.body)
            for handler in node.handlers:
                self.definite = set(before)
                if handler.type is not None:
                    self.part(handler.type)
                if handler.name:
                    self.bound.add(handler.name)
                self.block(handler.body)
            self.definite = set(before)
            self.block(node.orelse)
            self.block(node.finalbody)
        else:
            self.part(node)
            return
        self.definite = before  # what a compound statement binds may not have run

    def part(self, node: ast.AST) -> None:
        """One simple statement, or one expression or target of a compound statement."""
        loads, stores, star = _top_level_names(node)
        first, last = _lines(node)
        deferred: set[str] = set()  # read whenever a function runs: maybe after a rebinding
        for scope, later in self.scopes:
            if first <= scope.get_lineno() <= last:
                globals_read = {
                    symbol.get_name()
                    for symbol in scope.get_symbols()
                    if symbol.is_referenced() and symbol.is_global()
                }
                (deferred if later else loads).update(globals_read)
        self.reads |= (loads - self.definite) | deferred
        self.bound |= stores
        self.definite |= stores
        self.unknown_binds |= star


def cells_to_skip(cells: list, reference_cells: list) -> set[int]:
    """Indexes of ``cells`` (a submission's) that grading may skip; see the module's docstring.

    ``reference_cells`` are the cells of the lesson's source notebook: their tags say which
    sources are illustrations.
    """
    illustrations = {
        cell.source
        for cell in reference_cells
        if cell.cell_type == "code"
        and TAG in cell.get("metadata", {}).get("tags", [])
        and not _is_graded(cell)
    }
    candidates: dict[int, CellCode] = {}
    needed: set[str] | None = set()
    for index, cell in enumerate(cells):
        if cell.cell_type != "code":
            continue
        code = analyse(cell.source)
        if cell.source in illustrations and code.binds is not None:
            candidates[index] = code
        else:
            needed = _union(needed, code.reads)
    skipped = set(candidates)
    changed = True
    while changed:  # an illustration that must run may in turn need earlier ones
        changed = False
        for index in sorted(skipped):
            if needed is EVERYTHING or candidates[index].binds & needed:
                skipped.discard(index)
                needed = _union(needed, candidates[index].reads)
                changed = True
    return skipped


def reference_notebook(config, resources: dict):
    """The lesson's source notebook for the notebook being graded, or None when there is none.

    Read only: it is shared by every submission of the lesson.
    """
    from nbgrader.coursedir import CourseDirectory

    info = resources.get("nbgrader", {})
    if not info.get("assignment") or not info.get("notebook"):
        return None
    coursedir = CourseDirectory(config=config)
    folder = coursedir.format_path(coursedir.source_directory, ".", info["assignment"])
    path = Path(folder) / f"{info['notebook']}.ipynb"
    if not path.is_file():
        return None
    return _read_once(str(path), path.stat().st_mtime_ns)


@functools.lru_cache(maxsize=32)  # a worker grades the same lesson for a whole class
def _read_once(path: str, mtime_ns: int):
    return nbformat.read(path, as_version=4)


def skipped_note() -> nbformat.NotebookNode:
    """What a skipped cell shows in the graded notebook and the feedback."""
    text = "(An illustration: not run by the autograder. Its output is in your own notebook.)"
    return nbformat.v4.new_output(
        "display_data", data={"text/plain": text, "text/markdown": f"*{text}*"}
    )


def _union(needed: set[str] | None, reads: frozenset[str] | None) -> set[str] | None:
    if needed is EVERYTHING or reads is EVERYTHING:
        return EVERYTHING
    return needed | reads


def _is_graded(cell) -> bool:
    nbgrader = cell.get("metadata", {}).get("nbgrader", {})
    return bool(nbgrader.get("grade") or nbgrader.get("solution"))


# Nested scopes whose code runs at once, where they are written (Python 3.11 names).
_IMMEDIATE_SCOPES = ("listcomp", "setcomp", "dictcomp")


def _nested_scopes(
    table: symtable.SymbolTable, later: bool = False
) -> Iterator[tuple[symtable.SymbolTable, bool]]:
    """Every nested scope, with whether its code may run later than where it is written."""
    for child in table.get_children():
        runs_later = later or not (
            child.get_type() == "class" or child.get_name() in _IMMEDIATE_SCOPES
        )
        yield child, runs_later
        yield from _nested_scopes(child, runs_later)


def _lines(node: ast.AST) -> tuple[int, int]:
    decorators = getattr(node, "decorator_list", [])
    first = min([node.lineno, *(d.lineno for d in decorators)])
    return first, node.end_lineno or node.lineno


def _top_level_names(part: ast.AST) -> tuple[set[str], set[str], bool]:
    """(names loaded, names bound, binds unknown names) at the top level of a statement or part.

    The bodies of functions, lambdas, classes and comprehensions are left to the symbol table,
    except for what Python evaluates at once: decorators, defaults, bases, a comprehension's
    first iterable, and the targets of ``:=`` (which bind in the enclosing scope).
    """
    loads: set[str] = set()
    stores: set[str] = set()
    star = False
    for node in _outside_nested_bodies(part):
        if isinstance(node, ast.Name):
            (loads if isinstance(node.ctx, ast.Load) else stores).add(node.id)
            if isinstance(node.ctx, ast.Del):
                loads.add(node.id)  # del needs the name to exist
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            loads.add(node.target.id)  # w += 1 reads w first
        elif isinstance(node, (ast.Attribute, ast.Subscript)) and not isinstance(
            node.ctx, ast.Load
        ):
            root = _root_name(node)
            if root:
                loads.add(root)  # changed in place: it must exist first
                stores.add(root)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if alias.name == "*":
                    star = True
                else:
                    stores.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            stores.add(node.name)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            stores.add(node.name)
        elif isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
            stores.add(node.name)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            stores.add(node.rest)
        elif isinstance(node, _COMPREHENSIONS):
            stores |= {
                n.target.id
                for n in ast.walk(node)
                if isinstance(n, ast.NamedExpr) and isinstance(n.target, ast.Name)
            }
    return loads, stores, star


def _outside_nested_bodies(node: ast.AST) -> Iterator[ast.AST]:
    pending = [node]  # a stack, not recursion: `a+a+...+a` nests thousands deep
    while pending:
        node = pending.pop()
        yield node
        pending.extend(_evaluated_at_once(node))


def _evaluated_at_once(node: ast.AST) -> Iterable[ast.AST]:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return [*node.decorator_list, *_argument_parts(node.args), *filter(None, [node.returns])]
    if isinstance(node, ast.Lambda):
        return _argument_parts(node.args)
    if isinstance(node, ast.ClassDef):
        return [*node.decorator_list, *node.bases, *node.keywords]
    if isinstance(node, _COMPREHENSIONS):
        return [node.generators[0].iter]
    return ast.iter_child_nodes(node)


def _argument_parts(args: ast.arguments) -> list[ast.AST]:
    every = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
    annotations = [a.annotation for a in every if a is not None and a.annotation is not None]
    return [*args.defaults, *filter(None, args.kw_defaults), *annotations]


def _root_name(node: ast.AST) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None
