"""`course release`: regenerate the student notebooks in assignments/ from the instructor's sources in solutions/.

nbgrader's generate_assignment does the conversion: solution regions become ``# YOUR CODE HERE`` stubs, hidden tests
are removed, cells are locked and their checksums recorded. It runs in a temporary course folder, so the repository
never gets a gradebook.db or nbgrader's working folders. Around it this module makes the release

- clean: no outputs, execution counts, widget state (notebook metadata ``widgets``) or JupyterLab timing metadata,
  even when a source notebook was committed with outputs (the report says so: sources should be clean too);
- checked: no ``BEGIN/END SOLUTION``, ``BEGIN/END HIDDEN TESTS`` or ``BEGIN/END MARK SCHEME`` marker, in any
  capitalisation, and no line of a solution or hidden test may survive into it (a misspelt marker would otherwise
  hand the answer to the students);
- reproducible: the same source gives the same bytes, so an unchanged assignment is left alone and ``--check``
  can compare a fresh generation with what is committed;
- safe: everything is generated and checked before anything in assignments/ is touched; each assignment folder is
  then replaced by renaming a complete new copy into place, so a failure leaves the committed release as it was;
- free of answer keys: a source notebook with EXPECTED blocks (`instructor.expected`) is run, solutions in place,
  and each block is replaced by the literal values it computed (the reference and mistake code stays behind);
  while it runs, the first calls of every solution function are recorded, and the released notebook is then run
  too: every function or callable a released cell defines is tried on those inputs, and one that reproduces a
  solution function's outputs, whatever its name, makes the release fail (`--check` lists it under "answers").

`generate` (the temporary course with its release) is shared with `course verify`.
"""
import ast
import copy
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell
from nbformat.v4.rwbase import rejoin_lines, strip_transient

from course_lib.instructor import expected

SOURCE_DIR = "solutions"
RELEASE_DIR = "assignments"
COURSE_CONFIG = "course_nbgrader_config.py"  # the course's nbgrader_config.py, as copied into a temporary course
MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "BEGIN MARK SCHEME",
           "END MARK SCHEME", "BEGIN EXPECTED", "END EXPECTED")
_MARKER = re.compile("|".join(MARKERS), re.IGNORECASE)
_BEGIN = re.compile(r"BEGIN (SOLUTION|HIDDEN TESTS|MARK SCHEME|EXPECTED)", re.IGNORECASE)
_END = re.compile(r"END (SOLUTION|HIDDEN TESTS|MARK SCHEME|EXPECTED)", re.IGNORECASE)
# Lines that nbgrader itself writes into the release in place of a solution.
_STUB_LINES = {"# YOUR CODE HERE", "raise NotImplementedError()", "YOUR ANSWER HERE"}
# Files that are never part of an assignment: editor and OS droppings, caches, checkpoints.
_IGNORED = shutil.ignore_patterns(".*", "__pycache__", "*.pyc", ".ipynb_checkpoints")
# Cell metadata that records a run or a view, not content.
_RUN_METADATA = ("collapsed", "scrolled", "execution")


class ReleaseError(Exception):
    """The release could not be made (the message says why); nothing in assignments/ was changed."""


@dataclass
class ReleaseResult:
    """What `release` did (or, with ``check=True``, found). Paths are relative to the course root."""

    ids: list
    check: bool = False
    updated: list = field(default_factory=list)  # assignments whose folder in assignments/ was replaced
    unchanged: list = field(default_factory=list)  # assignments whose release already had exactly these bytes
    stale: list = field(default_factory=list)  # committed release files that differ from a fresh generation
    missing: list = field(default_factory=list)  # files a fresh generation has and the committed release lacks
    extra: list = field(default_factory=list)  # committed release files or folders with no source
    sources_with_outputs: list = field(default_factory=list)  # "path: what was found"
    answers: list = field(default_factory=list)  # released callables that reproduce a solution function

    @property
    def ok(self):
        """A release succeeded (else ReleaseError was raised); a check passes only if everything matches."""
        if not self.check:
            return True
        return not (self.stale or self.missing or self.extra or self.sources_with_outputs or self.answers)

    @property
    def exit_code(self):
        return 0 if self.ok else 1

    def report(self):
        """The text `course release` prints."""
        lines = []
        if not self.ids:
            lines.append(f"no assignments in {SOURCE_DIR}/")
        elif self.check:
            if self.ok:
                lines.append(f"{RELEASE_DIR}/ matches {SOURCE_DIR}/ ({len(self.ids)} assignment(s) checked)")
            else:
                if self.stale or self.missing or self.extra:
                    lines.append(f"{RELEASE_DIR}/ is out of date with {SOURCE_DIR}/:")
                for label, paths in (("stale", self.stale), ("missing", self.missing), ("extra", self.extra)):
                    lines += [f"  {label + ':':8} {p}" for p in paths]
        else:
            for aid in self.updated:
                lines.append(f"released {aid} -> {RELEASE_DIR}/{aid}/")
            for aid in self.unchanged:
                lines.append(f"{aid}: unchanged")
        for entry in self.answers:
            lines.append(f"answer in the release: {entry}")
        for entry in self.sources_with_outputs:
            lines.append(f"source not clean: {entry} (cleared in the release; clear the source too: "
                         "Edit > Clear Outputs of All Cells, then save)")
        if self.check and (self.stale or self.missing or self.extra):
            lines.append("Run `course release` and commit assignments/.")
        return "\n".join(lines)


# ----------------------------------------------------------------------------------------------------------------
# Reading and cleaning notebooks


def known_ids(root):
    """The assignment ids: the folders in solutions/ (hidden folders and caches aside), sorted."""
    source = Path(root) / SOURCE_DIR
    if not source.is_dir():
        return []
    return sorted(p.name for p in source.iterdir() if p.is_dir() and not p.name.startswith((".", "__")))


def select(root, ids=None):
    """Check requested ids against solutions/; no ids means all of them."""
    known = known_ids(root)
    if not ids:
        return known
    unknown = [aid for aid in ids if aid not in known]
    if unknown:
        listed = ", ".join(known) if known else f"none: {Path(root) / SOURCE_DIR} has no assignment folders"
        raise ReleaseError(f"unknown assignment {', '.join(unknown)}; known assignments: {listed}")
    return list(dict.fromkeys(ids))


def read_notebook(path, shown=None):
    """Read a notebook without nbformat inventing anything: a cell without an id (nbformat 4.5+) gets `cell-<n>`,
    not a random one, so the release is the same every time. Raises ReleaseError for invalid JSON or structure."""
    shown = shown or str(path)
    text = Path(path).read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReleaseError(f"{shown} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
                           "was it saved in the middle of a merge conflict or edited by hand?") from None
    if not isinstance(data, dict) or data.get("nbformat") != 4 or not isinstance(data.get("cells"), list):
        raise ReleaseError(f"{shown} is not a version 4 Jupyter notebook")
    if data.get("nbformat_minor", 0) >= 5:
        taken = {c.get("id") for c in data["cells"] if isinstance(c, dict)}
        for index, cell in enumerate(data["cells"]):
            if isinstance(cell, dict) and not cell.get("id"):
                new = f"cell-{index}"
                while new in taken:
                    new += "x"
                cell["id"] = new
                taken.add(new)
    nb = strip_transient(rejoin_lines(nbformat.from_dict(data)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            nbformat.validate(nb)
        except nbformat.ValidationError as exc:
            raise ReleaseError(f"{shown} is not a valid notebook: {str(exc.message)[:300]}") from None
    return nb


def write_notebook(nb, path):
    """Write `nb` as nbformat does (sorted keys, one-space indent, UTF-8) with a final newline."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        text = nbformat.writes(nb)
    Path(path).write_bytes((text if text.endswith("\n") else text + "\n").encode("utf-8"))


def leftovers(nb):
    """What a run left in `nb`: a list like ['outputs in 3 cell(s)', 'execution counts', 'widget state']."""
    code = [c for c in nb.cells if c.cell_type == "code"]
    found = []
    with_outputs = sum(1 for c in code if c.get("outputs"))
    if with_outputs:
        found.append(f"outputs in {with_outputs} cell(s)")
    if any(c.get("execution_count") is not None for c in code):
        found.append("execution counts")
    if "widgets" in nb.metadata:
        found.append("widget state")
    return found


def clean_notebook(nb):
    """Remove outputs, execution counts, widget state and run/view metadata from `nb` in place."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        for key in _RUN_METADATA:
            cell.metadata.pop(key, None)
    nb.metadata.pop("widgets", None)
    return nb


def secret_lines(nb):
    """The lines of `nb` that must not reach students: inside solution, hidden-test and mark-scheme regions (any
    capitalisation of the markers), and whole solution cells without markers (nbgrader replaces those entirely).
    Lines that also occur outside such regions, nbgrader's own stubs and very short lines are left out."""
    secret, public = set(), set()
    for cell in nb.cells:
        lines = cell.source.splitlines()
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution") and not any(_BEGIN.search(line) for line in lines):
            secret.update(line.strip() for line in lines)
            continue
        inside = False
        for line in lines:
            if _BEGIN.search(line):
                inside = True
            elif _END.search(line):
                inside = False
            else:
                (secret if inside else public).add(line.strip())
    return {line for line in secret - public if len(line) >= 8 and line not in _STUB_LINES}


def find_leak(released, secrets):
    """The first marker or secret line in a released notebook, as 'cell <id>: <line>', or None."""
    for index, cell in enumerate(released.cells):
        label = cell.metadata.get("nbgrader", {}).get("grade_id") or cell.get("id") or f"#{index + 1}"
        for line in cell.source.splitlines():
            if _MARKER.search(line) or line.strip() in secrets:
                return f"cell {label}: {line.strip()[:100]}"
    return None


# ----------------------------------------------------------------------------------------------------------------
# EXPECTED blocks: running the source notebook, writing its numbers into the release, trying the release's callables

_EXPECTED = "__import__('course_lib.instructor.expected').instructor.expected"


def _label(cell, index):
    return cell.metadata.get("nbgrader", {}).get("grade_id") or cell.get("id") or f"#{index + 1}"


def has_expected(nb):
    return any(c.cell_type == "code" and expected.BEGIN in c.source for c in nb.cells)


def _top_level_defs(source):
    from course_lib.instructor.grade.scan import _python

    tree = _python(source)
    if tree is None:
        return []
    return [n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]


def _bound_names(source):
    """Names a released cell binds at its top level other than by import (def, class, assignment, for, with)."""
    from course_lib.instructor.grade.scan import _python

    tree = _python(source)
    names = []
    if tree is None:
        return names
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        for sub in ast.walk(node) if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) \
                else [node]:
            if isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.append(sub.name)
            elif isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
                names.append(sub.id)
    return list(dict.fromkeys(names))


def _execute(nb, folder, shown, allow_errors=False):
    """Run `nb` in a fresh kernel with `folder` as working directory; ReleaseError names a failing cell."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    client = NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=allow_errors,
                            resources={"metadata": {"path": str(folder)}})
    try:
        client.execute(stderr=subprocess.DEVNULL)
    except CellExecutionError as exc:
        failed = next((c for c in nb.cells if c.cell_type == "code"
                       and any(o.get("output_type") == "error" for o in c.get("outputs", []))), None)
        where = failed.metadata.get("course_release_cell", "?") if failed is not None else "?"
        error = next((o for o in failed.outputs if o.get("output_type") == "error"), {}) if failed else {}
        raise ReleaseError(f"{shown}: cell {where} failed when the source notebook was run for the release: "
                           f"{error.get('ename', type(exc).__name__)}: {str(error.get('evalue', exc))[:300]}") \
            from None
    except Exception as exc:  # the kernel died or did not start
        raise ReleaseError(f"{shown}: could not run the notebook for the release: {type(exc).__name__}: "
                           f"{str(exc)[:300]}") from None


def fill_expected(nb, folder, shown, workdir):
    """Run the source notebook `nb` (solutions in place) and replace each EXPECTED block by its values, in place.

    Returns the path of the recorded solution-function calls (a pickle) for `released_answers`.
    """
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    values, calls = workdir / "values.json", workdir / "calls.pickle"
    run = copy.deepcopy(nb)
    run.cells = []
    try:
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                run.cells.append(copy.deepcopy(cell))
                continue
            label = _label(cell, index)
            copied = copy.deepcopy(cell)
            copied.metadata["course_release_cell"] = label
            copied.source = expected.instrument(cell.source, str(index), label)
            run.cells.append(copied)
            if cell.metadata.get("nbgrader", {}).get("solution"):
                names = _top_level_defs(cell.source)
                if names:
                    extra = new_code_cell(f"{_EXPECTED}._record(globals(), {names!r})")
                    extra.metadata["course_release_cell"] = f"{label} (recording its calls)"
                    run.cells.append(extra)
    except expected.ExpectedError as exc:
        raise ReleaseError(f"{shown}: {exc}") from None
    run.cells.append(new_code_cell(f"{_EXPECTED}._dump({str(values)!r}, {str(calls)!r})"))
    _execute(run, folder, shown)
    captured = json.loads(values.read_text(encoding="utf-8"))
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or expected.BEGIN not in cell.source:
            continue
        label = _label(cell, index)
        literals = []
        for k, _ in enumerate(expected.blocks(cell.source, label)):
            found = captured.get(f"{index}/{k}")
            if found is None:
                raise ReleaseError(f"{shown}: cell {label}: EXPECTED block {k + 1} did not run")
            if found["problems"]:
                raise ReleaseError(f"{shown}: cell {label}: EXPECTED block {k + 1}: " + "; ".join(found["problems"]))
            literals.append(found["lines"])
        cell.source = expected.replace_blocks(cell.source, literals, label)
    return calls


def released_answers(nb, folder, shown, calls, workdir):
    """Run the released notebook `nb` and try every callable its non-solution cells define on the recorded
    inputs of the solution functions; the list of those that reproduce one (see `expected._leaks`)."""
    out = Path(workdir) / "answers.json"
    run = copy.deepcopy(nb)
    run.cells = []
    for index, cell in enumerate(nb.cells):
        run.cells.append(copy.deepcopy(cell))
        if cell.cell_type != "code" or cell.metadata.get("nbgrader", {}).get("solution"):
            continue
        names = _bound_names(cell.source)
        if names:
            run.cells.append(new_code_cell(f"{_EXPECTED}._candidates(globals(), {_label(cell, index)!r}, {names!r})"))
    run.cells.append(new_code_cell(f"{_EXPECTED}._leaks({str(calls)!r}, {str(out)!r})"))
    _execute(run, folder, shown, allow_errors=True)
    if not out.is_file():
        error = next((f"{o.get('ename')}: {o.get('evalue')}" for o in run.cells[-1].get("outputs", [])
                      if o.get("output_type") == "error"), "its run stopped")
        raise ReleaseError(f"{shown}: the released notebook could not be checked for answers ({error[:300]})")
    return [f"{shown}: {entry}" for entry in json.loads(out.read_text(encoding="utf-8"))]


# ----------------------------------------------------------------------------------------------------------------
# Running nbgrader in a temporary course folder

_CONFIG = """\
# Written by course_lib.instructor.release for a temporary course folder; the course's own settings come first.
c = get_config()  # noqa: F821
{load}
c.CourseDirectory.root = {root!r}
"""


def run_nbgrader(course, *args, timeout=None, prefix=(), env=None):
    """Run `python -m nbgrader ARGS` in the temporary course folder `course`; return the CompletedProcess.

    The course layout and database are given on the command line, which overrides any config file. nbgrader calls
    the `alembic` program, so the folder of this Python's scripts goes first on PATH; JUPYTER_CONFIG_DIR points at
    an empty folder so that a personal ~/.jupyter/nbgrader_config.py cannot change what is generated.
    `prefix` is put before the command (the sandbox `course verify` runs nbgrader in, `instructor.grade.sandbox`)
    and `env` added to its environment (that sandbox's private HOME and caches inside `course`).
    """
    course = Path(course)
    environ = dict(os.environ)
    environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + environ.get("PATH", "")
    environ["JUPYTER_CONFIG_DIR"] = str(course / ".jupyter")
    environ.update(env or {})
    (course / ".jupyter").mkdir(exist_ok=True)
    command = [*prefix,
        sys.executable, "-m", "nbgrader", *args,
        f"--CourseDirectory.root={course}",
        f"--CourseDirectory.source_directory={SOURCE_DIR}",
        f"--CourseDirectory.release_directory={RELEASE_DIR}",
        "--CourseDirectory.submitted_directory=submitted",
        "--CourseDirectory.autograded_directory=autograded",
        f"--CourseDirectory.db_url=sqlite:///{course / 'gradebook.db'}",
    ]
    try:
        return subprocess.run(command, cwd=course, env=environ, capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise ReleaseError(f"nbgrader {args[0]} did not finish within {timeout} s") from None


def nbgrader_errors(stderr):
    """nbgrader's own error messages from its log, without Python tracebacks (only their final line)."""
    messages, in_traceback, last = [], False, None
    for line in stderr.splitlines():
        if line.startswith("["):
            if in_traceback and last:
                messages.append(last)
            in_traceback, last = False, None
            match = re.match(r"\[\w+ \| (ERROR|CRITICAL)\] (.*)", line)
            if match:
                text = match.group(2).strip()
                if text.startswith("Traceback"):
                    in_traceback = True
                elif not text.startswith("Please see the"):
                    messages.append(text)
        elif in_traceback and line.strip():
            last = line.strip()
    if in_traceback and last:
        messages.append(last)
    return messages


def _failure(what, proc):
    errors = nbgrader_errors(proc.stderr)
    if not errors:
        errors = [line for line in proc.stderr.splitlines() if line.strip()][-10:] or ["(no message)"]
    return f"nbgrader could not {what}:\n" + "\n".join("  " + e for e in errors)


def generate(root, ids, workdir, database=False, answers=None):
    """Build a temporary course in `workdir` with the sources of `ids` and their release; return its folder.

    Source notebooks are read (clear errors for broken ones), cleaned and written into the course, nbgrader's
    generate_assignment runs once for all of them, and every released notebook is cleaned again and checked for
    leaked solution or hidden-test text. `database=True` also records the assignments in the course's
    gradebook.db, which autograding needs. A source notebook with EXPECTED blocks is run first and its blocks
    replaced by their values (`fill_expected`); with a list `answers`, its release is then run too and every
    released callable that reproduces a solution function is appended to it (`released_answers`).
    Raises ReleaseError on any failure.
    """
    root = Path(root).resolve()
    course = Path(workdir) / "course"
    (course / SOURCE_DIR).mkdir(parents=True)
    secrets, recorded = {}, {}
    for aid in ids:
        target = course / SOURCE_DIR / aid
        shutil.copytree(root / SOURCE_DIR / aid, target, ignore=_IGNORED)
        notebooks = sorted(target.glob("*.ipynb"))
        if not notebooks:
            raise ReleaseError(f"{SOURCE_DIR}/{aid} has no notebook (.ipynb) in it")
        for path in notebooks:
            nb = read_notebook(path, f"{SOURCE_DIR}/{aid}/{path.name}")
            secrets[(aid, path.name)] = secret_lines(nb)
            clean_notebook(nb)
            if has_expected(nb):
                scratch = Path(workdir) / "runs" / aid / path.stem
                recorded[(aid, path.name)] = fill_expected(nb, target, f"{SOURCE_DIR}/{aid}/{path.name}", scratch)
                # the generated values are public: a line such as `mistakes = {` may also open an EXPECTED block
                secrets[(aid, path.name)] -= {line.strip() for c in nb.cells for line in c.source.splitlines()}
            write_notebook(nb, path)
    # the course's own settings, copied in: the course folder is out of sight where `course verify` runs nbgrader
    config = root / "nbgrader_config.py"
    load = ""
    if config.is_file():
        shutil.copy(config, course / COURSE_CONFIG)
        load = f"load_subconfig({str(course / COURSE_CONFIG)!r})"
    (course / "nbgrader_config.py").write_text(_CONFIG.format(load=load, root=str(course)))

    if ids:
        flags = [] if database else ["--no-db"]
        proc = run_nbgrader(course, "generate_assignment", "*", *flags, timeout=600)
        if proc.returncode != 0 or nbgrader_errors(proc.stderr):
            raise ReleaseError(_failure(f"generate the release of {', '.join(ids)}", proc))
    for (aid, name), lines in secrets.items():
        path = course / RELEASE_DIR / aid / name
        if not path.is_file():
            raise ReleaseError(f"nbgrader wrote no {RELEASE_DIR}/{aid}/{name}")
        released = read_notebook(path)
        leak = find_leak(released, lines)
        if leak:
            raise ReleaseError(f"the release of {SOURCE_DIR}/{aid}/{name} would show students solution or hidden-test "
                               f"text ({leak}). Check its markers: nbgrader only recognises ### BEGIN SOLUTION, "
                               "### END SOLUTION, ### BEGIN HIDDEN TESTS and ### END HIDDEN TESTS, in capitals.")
        write_notebook(clean_notebook(released), path)
        if answers is not None and (aid, name) in recorded:
            answers += released_answers(released, path.parent, f"{RELEASE_DIR}/{aid}/{name}",
                                        recorded[(aid, name)], Path(workdir) / "runs" / aid / Path(name).stem)
    return course


# ----------------------------------------------------------------------------------------------------------------
# Comparing and installing


def _files(folder):
    """{relative posix path: bytes} for every file under `folder` (nothing if it does not exist)."""
    folder = Path(folder)
    if not folder.is_dir():
        return {}
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and ".ipynb_checkpoints" not in p.parts}


def _install(new, target):
    """Replace the folder `target` by a copy of `new`: copy beside it, then two renames (restored on failure)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    incoming = target.parent / f".{target.name}.incoming"
    previous = target.parent / f".{target.name}.previous"
    for leftover in (incoming, previous):
        if leftover.exists():
            shutil.rmtree(leftover)
    shutil.copytree(new, incoming)
    if target.exists():
        os.replace(target, previous)
    try:
        os.replace(incoming, target)
    except OSError:
        if previous.exists():
            os.replace(previous, target)
        raise
    if previous.exists():
        shutil.rmtree(previous)


def release(ids=None, root=".", check=False):
    """Regenerate assignments/<id>/ from solutions/<id>/ for `ids` (all when None); return a ReleaseResult.

    With ``check=True`` nothing is written: the fresh generation is compared with what is in assignments/, and the
    result lists stale, missing and extra files (and extra assignment folders when checking everything).
    Raises ReleaseError (unknown id, broken notebook, nbgrader error, leaked solution text): then assignments/ is
    exactly as it was.
    """
    root = Path(root).resolve()
    chosen = select(root, ids)
    result = ReleaseResult(ids=chosen, check=check)
    with tempfile.TemporaryDirectory(prefix="course-release-") as tmp:
        for aid in chosen:
            for path in sorted((root / SOURCE_DIR / aid).glob("*.ipynb")):
                found = leftovers(read_notebook(path, f"{SOURCE_DIR}/{aid}/{path.name}"))
                if found:
                    result.sources_with_outputs.append(f"{SOURCE_DIR}/{aid}/{path.name} has {', '.join(found)}")
        course = generate(root, chosen, tmp, answers=result.answers)
        if result.answers and not check:
            raise ReleaseError("a released notebook defines something that computes an answer (nothing in "
                               f"{RELEASE_DIR}/ was changed):\n" + "\n".join("  " + a for a in result.answers))
        for aid in chosen:
            fresh = course / RELEASE_DIR / aid
            committed = root / RELEASE_DIR / aid
            new, old = _files(fresh), _files(committed)
            if check:
                shown = f"{RELEASE_DIR}/{aid}/"
                result.missing += [shown + name for name in sorted(set(new) - set(old))]
                result.extra += [shown + name for name in sorted(set(old) - set(new))]
                result.stale += [shown + name for name in sorted(set(new) & set(old)) if new[name] != old[name]]
            elif new == old:
                result.unchanged.append(aid)
            else:
                result.updated.append(aid)
        if check and not ids:
            released = root / RELEASE_DIR
            if released.is_dir():
                orphans = [p.name for p in sorted(released.iterdir())
                           if p.is_dir() and not p.name.startswith(".") and p.name not in chosen]
                result.extra += [f"{RELEASE_DIR}/{name}/ (no {SOURCE_DIR}/{name})" for name in orphans]
        for aid in result.updated:
            _install(course / RELEASE_DIR / aid, root / RELEASE_DIR / aid)
    return result
