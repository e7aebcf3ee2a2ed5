"""The kernel that runs student code at grading time: IPython, put back in order before every cell.

A submission can try to hide failing tests from inside the kernel: an input or AST transformer
that rewrites the test cells, a custom exception handler or a patched ``showtraceback`` that
swallows the failure, a trace function, or a patched ``np.allclose``, builtin or check function.
Before every cell this kernel restores what it saw at start-up, before any student code ran:
IPython's hooks, the ``builtins`` module, every module of ``numpy``, ``helpers.checks`` and
``helpers.quiz`` (their attributes, and the code, defaults and class attributes of their Python
functions and classes, so that replacing ``check_equal.__code__`` or ``np.allclose.__code__`` is
undone too), and the notebook names bound to them (``np``, ``check_equal``, ...). Course notebooks never change these
on purpose, so honest work runs exactly as in a plain kernel. Student code that tries anyway is
also named by the grader for manual review (``helpers.grading.tampering``).

Start it as ``python -m helpers.grading.guarded_kernel -f CONNECTION_FILE``.
"""

from __future__ import annotations

import builtins
import sys
import threading
import types

import numpy
from ipykernel.ipkernel import IPythonKernel
from ipykernel.kernelapp import IPKernelApp

import helpers.checks
import helpers.quiz

# The course's checks, whose functions and notebook names are restored like NumPy's.
CHECK_MODULES = (helpers.checks, helpers.quiz)

# What a Python function can have replaced in place, without rebinding its name.
FUNCTION_PARTS = ("__code__", "__defaults__", "__kwdefaults__")


def guarded_modules() -> list[types.ModuleType]:
    numpy_modules = [
        module
        for name, module in sorted(sys.modules.items())
        if isinstance(module, types.ModuleType) and (name == "numpy" or name.startswith("numpy."))
    ]
    return [builtins, *CHECK_MODULES, *numpy_modules]


def functions_and_classes(modules) -> tuple[list, list]:
    """The Python functions and classes defined in ``modules``, methods of the classes included."""
    functions, classes, seen = [], [], set()
    for module in modules:
        for value in list(vars(module).values()):
            if id(value) in seen:
                continue
            seen.add(id(value))
            if isinstance(value, types.FunctionType):
                functions.append(value)
            elif isinstance(value, type) and getattr(value, "__module__", "") == module.__name__:
                classes.append(value)
                functions += [v for v in vars(value).values() if isinstance(v, types.FunctionType)]
    return functions, classes


# Shell methods a submission could shadow on the shell instance to hide a failure.
SHELL_METHODS = (
    "showtraceback", "_showtraceback", "showsyntaxerror", "get_exception_only", "run_cell",
    "run_cell_async", "run_ast_nodes", "run_code", "transform_cell", "transform_ast", "ev", "ex",
    "should_run_async", "set_custom_exc",
)  # fmt: skip


class GuardedKernel(IPythonKernel):
    implementation = "nnfs-guarded-ipython"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        shell = self.shell
        self._modules = [(module, dict(vars(module))) for module in guarded_modules()]
        functions, classes = functions_and_classes(m for m, _ in self._modules)
        self._functions = [(f, [getattr(f, part) for part in FUNCTION_PARTS]) for f in functions]
        self._classes = [(c, dict(vars(c))) for c in classes]
        self._names = {
            name: getattr(module, name) for module in CHECK_MODULES for name in module.__all__
        } | {"np": numpy, "numpy": numpy}
        self._transformers_post = list(shell.input_transformers_post)
        self._ast_transformers = list(shell.ast_transformers)
        self._custom_exceptions = shell.custom_exceptions
        self._custom_tb = getattr(shell, "CustomTB", None)
        self._transformer_manager = type(shell.input_transformer_manager)
        self._shell_attributes = {
            k: shell.__dict__[k] for k in SHELL_METHODS if k in shell.__dict__
        }

    def restore(self) -> None:
        """Undo what student code may have done to the kernel since start-up."""
        sys.settrace(None)
        sys.setprofile(None)
        threading.settrace(None)
        threading.setprofile(None)
        for module, contents in self._modules:
            # Put back every original attribute. Names added since start-up stay: NumPy adds its
            # lazily imported submodules there, and a new name cannot replace a check.
            vars(module).update(contents)
            sys.modules[module.__name__] = module
        for function, parts in self._functions:
            for part, value in zip(FUNCTION_PARTS, parts, strict=True):
                if getattr(function, part) is not value:
                    setattr(function, part, value)
        for cls, contents in self._classes:
            for name, value in contents.items():
                if vars(cls).get(name) is not value:
                    try:
                        setattr(cls, name, value)
                    except (AttributeError, TypeError):
                        pass  # read-only slots of built-in types
        shell = self.shell
        user_namespace = shell.user_ns
        for name, value in self._names.items():
            if name in user_namespace:
                user_namespace[name] = value
        for name in SHELL_METHODS:
            if name in self._shell_attributes:
                shell.__dict__[name] = self._shell_attributes[name]
            else:
                shell.__dict__.pop(name, None)
        shell.input_transformers_post[:] = self._transformers_post
        shell.ast_transformers[:] = self._ast_transformers
        shell.input_transformer_manager = self._transformer_manager()
        shell.custom_exceptions = self._custom_exceptions
        shell.CustomTB = self._custom_tb

    async def do_execute(self, code, silent, *args, **kwargs):
        self.restore()
        return await super().do_execute(code, silent, *args, **kwargs)


if __name__ == "__main__":
    IPKernelApp.launch_instance(kernel_class=GuardedKernel)
