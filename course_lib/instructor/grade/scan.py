"""The pre-grading integrity scan: read every cell the student controls with `ast` and flag what tampers with the
grader or hands in the library's answer.

A flag does not change the score; it puts the submission on the list for a human to look at ("the flag is the
instructor's call"). Each flag names the cell, the line and what was found, e.g.
``tamper: cell gates_solution, line 3: changes numpy.isclose``.

**Tampering** (``tamper:``), anywhere in a solution cell or a cell the student added:

- changing an attribute of NumPy, math, builtins, sys, warnings, IPython or course_lib, or of a name the read-only
  cells imported (``np.isclose = ...``, ``check_close.__code__ = ...``, ``setattr(np, ...)``, ``vars(np)[...]``);
- rebinding a name the read-only cells imported or defined, which the tests call (``def check_close(*a): ...``);
- the IPython shell: ``get_ipython()``, input or AST transformers, ``showtraceback``, ``run_cell``, event callbacks,
  magics other than harmless ones (``%time``, ``%timeit``, ``%matplotlib``), shell escapes (``!cmd``);
- ``sys.modules``, ``sys.settrace``/``setprofile``/``_getframe``, ``__builtins__``, ``__import__``, importing
  ``builtins``, ``importlib``, ``ctypes``, ``gc`` or ``IPython``; ``exec``/``eval``/``compile`` of strings;
  ``globals()``.

**The reference implementation** (``reference:``): a solution cell that defines ``def sigmoid`` must not use
``course_lib.activations.sigmoid``; in general, no ``course_lib.<...>.<name>`` for a ``<name>`` the cell defines,
however it was imported (``from course_lib import activations``, ``import course_lib.activations as A``,
``getattr(activations, "sigmoid")``). A source notebook can add more in its metadata::

    "metadata": {"course_grade": {"forbidden": {"sigmoid_solution": ["course_lib.activations", "scipy.special"]}}}

forbids every use of those modules (or names) in that solution cell.

**Leaning on the notebook** (``borrowed:``): a student cell that reads a name which only a test cell binds (a
reference, a mistake variant, an expected value; visible, hidden or EXPECTED part of the instructor's cell) and
that no student cell binds itself; and the ways of reaching such names, or the library, by a computed name:
``vars()``, ``locals()``, ``getattr(obj, <not a literal string>)``, ``__dict__``, ``__globals__``, frame
attributes (``f_globals``, ``f_back``, ...), ``import inspect`` (``globals()`` and ``sys.modules`` are tampering).
"""
import builtins
import ast
import warnings

from course_lib.instructor.grade.repair import grade_id, role

PROTECTED_MODULES = {"numpy", "math", "builtins", "sys", "warnings", "IPython", "course_lib"}
SAFE_MAGICS = {"time", "timeit", "matplotlib", "prun", "who", "whos", "pinfo", "pinfo2", "capture"}
SHELL_ATTRS = {"input_transformers_cleanup", "input_transformers_post", "input_transformer_manager",
               "ast_transformers", "showtraceback", "_showtraceback", "showsyntaxerror", "set_custom_exc",
               "CustomTB", "run_cell", "run_cell_async", "transform_cell", "user_ns", "user_global_ns",
               "register_magic_function", "register_magics"}
SYS_ATTRS = {"modules", "settrace", "setprofile", "_getframe", "meta_path", "path_hooks", "excepthook",
             "displayhook"}
RISKY_IMPORTS = {"builtins", "importlib", "ctypes", "gc", "IPython", "ipykernel"}
RISKY_CALLS = {"exec": "calls exec()", "eval": "calls eval()", "compile": "calls compile()",
               "globals": "uses globals()", "__import__": "calls __import__()"}
# Ways to reach a name without writing it (flagged as `borrowed:`).
LOOKUP_CALLS = {"vars": "uses vars(), a name lookup by string", "locals": "uses locals(), a name lookup by string"}
LOOKUP_ATTRS = {"__dict__", "__globals__", "f_globals", "f_locals", "f_back", "f_builtins", "gi_frame",
                "tb_frame", "__getattribute__", "__closure__"}
LOOKUP_IMPORTS = {"inspect"}
_BUILTIN_NAMES = set(dir(builtins))


def _python(source):
    """The cell as plain Python (IPython turns magics into get_ipython() calls), or None if it does not parse."""
    try:
        return ast.parse(source)  # most cells are plain Python: no need to load IPython
    except (SyntaxError, ValueError):
        pass
    from IPython.core.inputtransformer2 import TransformerManager

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # IPython warns about odd line endings in broken cells
            return ast.parse(TransformerManager().transform_cell(source))
    except (SyntaxError, ValueError):
        return None


def _dotted(node, aliases):
    """'numpy.linalg.norm' for `np.linalg.norm` when `np` is an alias of numpy; None for anything else."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name) and node.id in aliases:
        return ".".join([aliases[node.id], *reversed(parts)])
    return None


def _imports(tree, aliases):
    """Add the names bound by the imports of `tree` (top level and nested) to `aliases`: local name -> dotted."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    aliases[alias.asname] = alias.name
                else:
                    root = alias.name.split(".")[0]
                    aliases[root] = root
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                if alias.name != "*":
                    aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"


def _top_level_names(tree):
    """Names a cell binds at its top level with def/class/import (what later cells may rely on)."""
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names if a.name != "*")
    return names


def protected_names(cell_source):
    """The names a read-only cell binds with def/class/import: the worker's guard restores them before tests."""
    tree = _python(cell_source)
    return sorted(_top_level_names(tree)) if tree else []


class _CellScan(ast.NodeVisitor):
    def __init__(self, label, aliases, protected, forbidden, defined, borrowable=frozenset()):
        self.label, self.aliases, self.protected = label, aliases, protected
        self.forbidden, self.defined = forbidden, defined
        self.borrowable = borrowable  # names only a test cell binds
        self.module_names = set()  # names this cell binds to a module alias (m = losses)
        self.top = set()
        self.flags, self.found = [], set()

    def flag(self, kind, node, text):
        if (kind, text) not in self.found:  # each finding once per cell, at its first line
            self.found.add((kind, text))
            self.flags.append(f"{kind}: cell {self.label}, line {getattr(node, 'lineno', '?')}: {text}")

    def _protected_target(self, node):
        """The dotted name of a module or protected object whose attribute/item `node` changes, or None."""
        base = node.value if isinstance(node, (ast.Attribute, ast.Subscript)) else None
        while isinstance(base, (ast.Attribute, ast.Subscript, ast.Call)):
            if isinstance(base, ast.Call) and isinstance(base.func, ast.Name) and base.func.id == "vars" \
                    and base.args:
                base = base.args[0]
                continue
            base = base.value if not isinstance(base, ast.Call) else base.func
        dotted = _dotted(node.value, self.aliases) if isinstance(node, ast.Attribute) else None
        root = _dotted(base, self.aliases) if base is not None else None
        if root and root.split(".")[0] in PROTECTED_MODULES:
            return dotted or root
        if isinstance(base, ast.Name) and base.id in self.protected:
            return dotted or base.id
        return None

    def _check_target(self, target, node):
        if isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self._check_target(element, node)
        elif isinstance(target, ast.Starred):
            self._check_target(target.value, node)
        elif isinstance(target, (ast.Attribute, ast.Subscript)):
            what = self._protected_target(target)
            if what:
                shown = f"{what}.{target.attr}" if isinstance(target, ast.Attribute) else f"an item of {what}"
                if isinstance(target, ast.Attribute) and what.endswith("." + target.attr):
                    shown = what
                self.flag("tamper", node, f"changes {shown}")
        elif isinstance(target, ast.Name) and target.id in self.protected:
            self.flag("tamper", node, f"rebinds {target.id}, which the read-only cells set up for the tests")

    def visit_Assign(self, node):
        if _dotted(node.value, self.aliases) is not None:
            self.module_names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        for target in node.targets:
            self._check_target(target, node)
        self.generic_visit(node)

    def visit_AugAssign(self, node):
        self._check_target(node.target, node)
        self.generic_visit(node)

    visit_AnnAssign = visit_AugAssign

    def visit_Delete(self, node):
        for target in node.targets:
            self._check_target(target, node)
        self.generic_visit(node)

    def visit_For(self, node):
        self._check_target(node.target, node)
        self.generic_visit(node)

    def _definition(self, node):
        if node.name in self.protected and node in self.top:
            self.flag("tamper", node, f"redefines {node.name}, which the read-only cells set up for the tests")
        self.generic_visit(node)

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _definition

    def visit_Import(self, node):
        for alias in node.names:
            root = alias.name.split(".")[0]
            if root in RISKY_IMPORTS:
                self.flag("tamper", node, f"imports {alias.name}")
            if root in LOOKUP_IMPORTS:
                self.flag("borrowed", node, f"imports {alias.name} (frames and globals by name)")
            bound = alias.asname or root
            if bound in self.protected and self.protected[bound] != (alias.name if alias.asname else root):
                self.flag("tamper", node, f"rebinds {bound}, which the read-only cells set up for the tests")
        self.generic_visit(node)

    def visit_ImportFrom(self, node):
        module = node.module or ""
        if module.split(".")[0] in RISKY_IMPORTS:
            self.flag("tamper", node, f"imports from {module}")
        if module.split(".")[0] in LOOKUP_IMPORTS:
            self.flag("borrowed", node, f"imports from {module} (frames and globals by name)")
        for alias in node.names:
            bound = alias.asname or alias.name
            if bound in self.protected and self.protected[bound] != f"{module}.{alias.name}":
                self.flag("tamper", node, f"rebinds {bound}, which the read-only cells set up for the tests")
            self._reference(f"{module}.{alias.name}", node)
        self.generic_visit(node)

    def visit_Call(self, node):
        func = node.func
        magic = self._magic(node)
        if magic is not None:
            if magic:
                self.flag("tamper", node, magic)
            for arg in node.args[1:]:
                self.visit(arg)
            return
        if isinstance(func, ast.Name):
            if func.id in RISKY_CALLS:
                self.flag("tamper", node, RISKY_CALLS[func.id])
            if func.id in LOOKUP_CALLS:
                self.flag("borrowed", node, LOOKUP_CALLS[func.id])
            if func.id in ("getattr", "hasattr") and len(node.args) >= 2 and not (
                    isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str)):
                built = any(isinstance(n, (ast.BinOp, ast.JoinedStr, ast.Call)) for n in ast.walk(node.args[1]))
                target = node.args[0]
                on_module = _dotted(target, self.aliases) is not None or (
                    isinstance(target, ast.Name) and target.id in self.module_names)
                if built or on_module:
                    self.flag("borrowed", node, f"uses {func.id}() with a computed name")
            if func.id in ("setattr", "delattr") and node.args:
                what = self._protected_target(ast.Attribute(value=node.args[0], attr="?", ctx=ast.Store()))
                if what:
                    self.flag("tamper", node, f"changes an attribute of {what} with {func.id}()")
            if func.id == "getattr" and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant):
                base = _dotted(node.args[0], self.aliases)
                if base and isinstance(node.args[1].value, str):
                    self._reference(f"{base}.{node.args[1].value}", node)
        self.generic_visit(node)

    def _magic(self, node):
        """For IPython's generated `get_ipython().run_line_magic('name', ...)`: '' for a harmless magic, the
        flag text for another one; None when `node` is not such a call."""
        func = node.func
        if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call)
                and isinstance(func.value.func, ast.Name) and func.value.func.id == "get_ipython"):
            return None
        if func.attr in ("run_line_magic", "run_cell_magic") and node.args \
                and isinstance(node.args[0], ast.Constant):
            name = node.args[0].value
            return "" if name in SAFE_MAGICS else f"uses the %{name} magic"
        if func.attr in ("system", "getoutput"):
            return "runs a shell command (!...)"
        return None

    def visit_Name(self, node):
        if isinstance(node.ctx, ast.Load) and node.id in self.borrowable:
            self.flag("borrowed", node, f"uses {node.id}, which a test cell defines, not your code")
        if node.id == "get_ipython":
            self.flag("tamper", node, "uses get_ipython(), the IPython shell that runs the tests")
        elif node.id in ("__builtins__", "__import__"):
            self.flag("tamper", node, f"uses {node.id}")
        if isinstance(node.ctx, ast.Load) and node.id in self.aliases:
            self._reference(self.aliases[node.id], node)

    def visit_Attribute(self, node):
        if node.attr in SHELL_ATTRS:
            self.flag("tamper", node, f"touches the IPython shell's {node.attr}")
        if node.attr in LOOKUP_ATTRS:
            self.flag("borrowed", node, f"uses .{node.attr}, a name lookup by string")
        dotted = _dotted(node, self.aliases)
        if dotted:
            if dotted.split(".")[0] == "sys" and dotted.count(".") == 1 and node.attr in SYS_ATTRS:
                self.flag("tamper", node, f"uses {dotted}")
            self._reference(dotted, node)
            return  # the chain below is part of this name
        self.generic_visit(node)

    def _reference(self, dotted, node):
        parts = dotted.split(".")
        if parts[0] == "course_lib" and len(parts) > 1 and parts[-1] in self.defined \
                and parts[-1] not in self.protected:  # redefining a test helper is flagged as tampering
            self.flag("reference", node, f"uses {dotted}, the library's own {parts[-1]}, in the answer that "
                      f"defines {parts[-1]}")
        for banned in self.forbidden:
            if dotted == banned or dotted.startswith(banned + "."):
                self.flag("reference", node, f"uses {dotted}, which this assignment forbids in this cell")


def _bound(tree):
    """Every name `tree` binds anywhere: assignment and loop targets, defs, classes, parameters, imports."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            names.update(node.names)
    return names


def _test_names(nb):
    """Names the test cells of `nb` bind other than by import (all of a cell, hidden and EXPECTED parts too)."""
    names = set()
    for cell in nb.cells:
        if cell.cell_type == "code" and role(cell) == "test":
            tree = _python(cell.source)
            if tree is not None:
                imported = {(a.asname or a.name).split(".")[0] for node in ast.walk(tree)
                            if isinstance(node, (ast.Import, ast.ImportFrom)) for a in node.names}
                names |= _bound(tree) - imported
    return names


def _student_names(nb):
    names = set()
    for cell in nb.cells:
        if cell.cell_type == "code" and role(cell) == "student":
            tree = _python(cell.source)
            if tree is not None:
                names |= _bound(tree)
    return names


def scan(nb, source=None):
    """Flags for notebook `nb` (already restored by `repair.restore`): a list of 'tamper: ...' and
    'reference: ...' strings, in cell order. `source` is the instructor's notebook (for its `forbidden` map)."""
    meta = (source.metadata if source is not None else nb.metadata).get("course_grade", {})
    forbidden_map = meta.get("forbidden", {}) if isinstance(meta, dict) else {}
    aliases, protected, flags = {}, {}, []
    borrowable = _test_names(source if source is not None else nb) - _student_names(nb) - _BUILTIN_NAMES
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        tree = _python(cell.source)
        if tree is None:
            continue
        if role(cell) != "student":
            _imports(tree, aliases)
            if role(cell) == "readonly":
                protected.update({name: aliases.get(name) for name in _top_level_names(tree)})
            continue
        label = grade_id(cell) or f"#{index + 1}"
        defined = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
        local = dict(aliases)
        _imports(tree, local)
        visitor = _CellScan(label, local, protected, forbidden_map.get(grade_id(cell) or "", []), defined,
                            borrowable - set(protected))
        visitor.top = set(tree.body)
        visitor.visit(tree)
        flags += visitor.flags
        aliases = {**aliases, **{k: v for k, v in local.items() if k not in protected}}
    return flags
