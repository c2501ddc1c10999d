"""`course verify`: prove that every assignment grades the way it should, before students see it.

In a temporary course folder each assignment is released and then autograded by nbgrader as two submissions:

- ``solution``: the source notebook itself, which must score full marks on every autograded test cell;
- ``blank``: the untouched release, which must score 0 on every autograded test cell (a test that passes without
  the student's work gives free points).

It also fails when a test cell of either graded notebook writes to stderr (nbgrader scores such a cell 0, whatever
it asserted) and when a test cell cannot fail (checked on its source with `ast`):

- it ends in a bare expression that is not a call (``x == 1`` shows a value instead of checking it; nbgrader
  even reads a number shown there as partial credit);
- it computes a truth value and throws it away (``np.allclose(a, b)`` on a line of its own);
- it never asserts: no ``assert``, no ``raise`` and no call of a ``check_*`` or ``assert_*`` function.

A cell "test cell" here is what nbgrader autogrades: a code cell with ``grade: true`` and ``solution: false``.
Manually graded answers are listed with their points but not scored.

`grade_notebook` autogrades any submission for an assignment the same way and returns its per-cell scores, so a
test can check that a partly completed notebook gets exactly the points of the parts it completed.

Both run nbgrader in the sandbox `course grade` puts each student's kernel in (`instructor.grade.sandbox`, see
`Sandbox`): the code is the instructor's, but a cell that writes outside its folder, reads the course's
solutions or reaches the network by mistake should fail here as it would when grading, not change the course.
Where the machine offers no sandbox, nbgrader runs as before and the report says once, as a note, what is off.
"""
import ast
import os
import re
import shutil
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from course_lib.instructor.grade import kernel_cache, sandbox
from course_lib.instructor.release import (RELEASE_DIR, SOURCE_DIR, ReleaseError, generate, nbgrader_errors,
                                           read_notebook, run_nbgrader, select, write_notebook)

CELL_TIMEOUT = 120  # seconds per cell: students' code may compile Numba kernels on first use
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# Calls whose value is a truth value: on a line of their own they check nothing.
_PREDICATES = {"allclose", "isclose", "array_equal", "array_equiv", "all", "any", "isfinite", "equal", "isinstance"}


@dataclass
class CellResult:
    """One graded cell: its nbgrader id, points, the two scores (None for a manually graded cell) and problems."""

    cell_id: str
    points: float
    autograded: bool
    solution_score: float = None
    blank_score: float = None
    problems: list = field(default_factory=list)


@dataclass
class AssignmentReport:
    assignment: str
    cells: list = field(default_factory=list)
    problems: list = field(default_factory=list)  # problems that belong to no single cell (nbgrader errors)

    @property
    def ok(self):
        return not self.problems and not any(cell.problems for cell in self.cells)

    def table(self):
        """The assignment's table: cell id, points, solution score, blank score, problems."""
        auto = [c for c in self.cells if c.autograded]
        total = sum(c.points for c in auto)
        status = "OK" if self.ok else "FAILED"
        lines = [f"{self.assignment}: {status} ({len(auto)} autograded test cell(s), {total:g} point(s))"]
        width = max([len("cell")] + [len(c.cell_id) for c in self.cells])
        lines.append(f"  {'cell':{width}}  {'points':>6}  {'solution':>8}  {'blank':>5}  problems")
        for cell in self.cells:
            solution = _score(cell.solution_score) if cell.autograded else "manual"
            blank = _score(cell.blank_score) if cell.autograded else "-"
            first, *rest = cell.problems or [""]
            lines.append(f"  {cell.cell_id:{width}}  {cell.points:>6g}  {solution:>8}  {blank:>5}  {first}".rstrip())
            pad = " " * (width + 29)
            lines += [f"  {pad}{problem}" for problem in rest]
        lines += [f"  problem: {problem}" for problem in self.problems]
        return "\n".join(lines)


@dataclass
class VerifyReport:
    assignments: list = field(default_factory=list)
    notes: list = field(default_factory=list)  # worth knowing, not a failure (e.g. no sandbox on this machine)

    @property
    def ok(self):
        return all(a.ok for a in self.assignments)

    @property
    def exit_code(self):
        return 0 if self.ok else 1

    def problems(self):
        """Every problem as (assignment, cell id or None, text)."""
        found = []
        for report in self.assignments:
            found += [(report.assignment, None, p) for p in report.problems]
            found += [(report.assignment, c.cell_id, p) for c in report.cells for p in c.problems]
        return found

    def format(self):
        notes = "".join(f"\nnote: {n}" for n in self.notes)
        if not self.assignments:
            return f"no assignments in {SOURCE_DIR}/" + notes
        text = "\n\n".join(a.table() for a in self.assignments)
        bad = [a.assignment for a in self.assignments if not a.ok]
        summary = f"{len(self.assignments) - len(bad)} of {len(self.assignments)} assignment(s) verified"
        return text + "\n\n" + summary + (f"; failed: {', '.join(bad)}" if bad else "") + notes


@dataclass
class GradeResult:
    """Per-cell scores of one autograded submission (manually graded cells score None)."""

    assignment: str
    notebook: str
    scores: dict  # grade id -> nbgrader's auto score (None: waits for manual grading)
    max_scores: dict  # grade id -> points
    autograded: list  # grade ids of the autograded test cells
    messages: dict  # grade id -> the error or stderr line a failing test cell showed

    @property
    def total(self):
        """Points scored on the autograded test cells."""
        return sum(self.scores[c] or 0.0 for c in self.autograded)

    @property
    def max_total(self):
        """Points available on the autograded test cells."""
        return sum(self.max_scores[c] for c in self.autograded)


def _score(value):
    return "?" if value is None else f"{value:g}"


# ----------------------------------------------------------------------------------------------------------------
# What a test cell's source says


def _strip_magics(source):
    """IPython magics and shell escapes are not Python: replace them by `pass` so the cell parses."""
    return "\n".join(re.sub(r"^(\s*)[%!].*$", r"\1pass", line) for line in source.splitlines())


def _name_of(call):
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


def problems_in_test_cell(source):
    """What makes a test cell unable to fail (see the module docstring); [] for a good one."""
    try:
        tree = ast.parse(_strip_magics(source))
    except SyntaxError as exc:
        return [f"the test cell is not valid Python (line {exc.lineno}: {exc.msg})"]
    problems = []
    last = tree.body[-1] if tree.body else None
    if isinstance(last, ast.Expr) and not isinstance(last.value, ast.Call):
        problems.append(f"the test cell ends in a bare expression `{ast.unparse(last.value)[:60]}`: its value is "
                        "shown, not checked (a number there even counts as partial credit); write `assert ...`")
    for node in ast.walk(tree):
        if not isinstance(node, ast.Expr) or node is last and not isinstance(node.value, ast.Call):
            continue
        value = node.value
        if isinstance(value, (ast.Compare, ast.BoolOp)) or (
                isinstance(value, ast.Call) and _name_of(value) in _PREDICATES):
            problems.append(f"line {node.lineno} computes `{ast.unparse(value)[:60]}` and throws it away: "
                            "write `assert ...`")
    checks = any(isinstance(node, (ast.Assert, ast.Raise)) or (
        isinstance(node, ast.Call) and _name_of(node).lower().startswith(("check", "assert")))
        for node in ast.walk(tree))
    if not checks:
        problems.append("the test cell never asserts (no `assert`, `raise` or check_*/assert_* call), "
                        "so it gives full marks to any answer")
    return problems


def _is_test_cell(cell):
    meta = cell.metadata.get("nbgrader", {})
    return cell.cell_type == "code" and meta.get("grade") and not meta.get("solution")


# ----------------------------------------------------------------------------------------------------------------
# The sandbox nbgrader runs in

# A private HOME and caches inside the temporary course: the only folder the sandbox may write.
_PRIVATE = {"HOME": ".home", "IPYTHONDIR": ".ipython", "NUMBA_CACHE_DIR": ".numba", "MPLCONFIGDIR": ".matplotlib",
            "XDG_CACHE_HOME": ".cache", "XDG_CONFIG_HOME": ".config", "JUPYTER_DATA_DIR": ".jupyter-data",
            "JUPYTER_RUNTIME_DIR": ".jupyter-runtime"}


class Sandbox:
    """How `course verify` runs nbgrader: in `course grade`'s sandbox (`course_lib.instructor.grade.sandbox`) where the
    machine has one. nbgrader and the kernels it starts run as a uid of their own, without network, in their own
    PID namespace, under the grading limits (a cgroup or rlimits, through ``prlimit``), in a mount view where only
    the temporary course folder (given to that uid, with HOME, Jupyter's runtime folder and a Numba cache seeded
    with course_lib's compiled kernels inside it) is writable, and system folders, Python and course_lib's package
    folder are read-only; the course folder being verified (`secrets`: its solutions/) does not exist in it.

    Elsewhere `prefix` and `env` are empty (nbgrader runs with your rights, as before) and `note` says so."""

    def __init__(self, course, secrets, limits=None, enabled=True):
        self.course = Path(course)
        self.limits = limits or sandbox.Limits()
        self.support = sandbox.probe() if enabled else sandbox.Support(False, sandbox.OFF, "turned off")
        if not shutil.which("prlimit"):
            self.support = sandbox.Support(False, sandbox.OFF, "prlimit (util-linux) not found")
        self.uid, self.prefix, self.env, self.cgroups = None, [], {}, None
        if not self.support.sandbox:
            return
        self.uid = sandbox.uid_for(9_999)  # not a number `course grade` gives a student in this process
        for variable, folder in _PRIVATE.items():
            (self.course / folder).mkdir(exist_ok=True)
            self.env[variable] = str(self.course / folder)
        self.env["PYTHONNOUSERSITE"] = "1"
        # TMPDIR of the grader's environment does not exist in the sandbox (its /tmp is a tmpfs of its own)
        self.env["TMPDIR"] = "/tmp"
        kernel_cache.seed(self.course / _PRIVATE["NUMBA_CACHE_DIR"], kernel_cache.compiled_kernels())
        self.cgroups = sandbox.Cgroups.create("course-verify")
        procs = self.cgroups.job(0, self.limits) if self.cgroups else []
        memory, processes, file_size, cpu = self.limits.to_env(own_uid=True, cgroup=bool(procs)).split(",")
        limit = ["prlimit", f"--nproc={processes}", f"--fsize={file_size}", f"--cpu={cpu}"]
        limit += [f"--as={memory}"] if int(memory) else []
        package_dir = Path(__file__).resolve().parents[1]  # course_lib/
        readonly = sandbox.readonly_paths(secrets, package_dir)
        self.prefix = (sandbox.join(procs) + limit + ["--"]
                       + sandbox.command(self.course, [], self.uid, readonly, hidden=[str(Path(p).resolve())
                                                                                       for p in secrets]))

    @property
    def note(self):
        if self.support.sandbox:
            return None
        return (f"the notebooks' code is NOT sandboxed during verify on this machine ({self.support.why}): "
                "nbgrader and its kernels run under your user and can read and write what you can and use the "
                "network. Run verify as root on Linux with bubblewrap installed to isolate it as `course grade` "
                "isolates students")

    def give(self):
        """Hand the course folder (with what was just copied into it) to the sandbox's uid; return the
        environment nbgrader needs in the sandbox."""
        if self.uid is not None:
            sandbox.give(self.course, self.uid)
        return self.env

    def close(self):
        if self.cgroups:
            self.cgroups.remove()


# ----------------------------------------------------------------------------------------------------------------
# Autograding in the temporary course


def _cell_outputs(path):
    """{grade id: (error text, stderr text)} for the graded cells of an autograded notebook."""
    found = {}
    if not path.is_file():
        return found
    nb = read_notebook(path)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if not grade_id or cell.cell_type != "code":
            continue
        errors, stderr = [], []
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                errors.append(_ANSI.sub("", f"{out.ename}: {out.evalue}" if out.evalue else out.ename))
            elif out.output_type == "stream" and out.name == "stderr":
                stderr.append(_ANSI.sub("", out.text))
        found[grade_id] = (" ".join(errors), "".join(stderr))
    return found


def _recorded_grades(course, assignment, notebook, student):
    """{grade id: (auto score, max score, cell type)} that nbgrader recorded for one submitted notebook."""
    from nbgrader.api import Gradebook, MissingEntry  # imported here: `import course_lib.instructor.verify` stays light

    grades = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SQLAlchemy's warnings about nbgrader's sessions are not ours to show
        with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
            try:
                submitted = gb.find_submission_notebook(notebook, assignment, student)
            except MissingEntry:
                return grades
            for grade in submitted.grades:
                grades[grade.name] = (grade.auto_score, float(grade.max_score), grade.cell_type)
    return grades


def _autograde(course, assignment, submissions, box):
    """Autograde `submissions` ({student: folder with the assignment's notebooks}) with one nbgrader call, in the
    sandbox `box` (a `Sandbox`). Returns a list of nbgrader's error messages ([] when it succeeded).
    """
    for student, folder in submissions.items():
        shutil.copytree(folder, course / "submitted" / student / assignment)
    proc = run_nbgrader(course, "autograde", assignment, f"--ExecutePreprocessor.timeout={CELL_TIMEOUT}",
                        prefix=box.prefix, env=box.give())
    errors = nbgrader_errors(proc.stderr)
    if proc.returncode != 0 and not errors:
        errors = [line for line in proc.stderr.splitlines() if line.strip()][-5:] or ["nbgrader autograde failed"]
    return errors


def _verify_one(course, assignment, box):
    report = AssignmentReport(assignment)
    source_dir = course / SOURCE_DIR / assignment
    notebooks = sorted(p.name for p in source_dir.glob("*.ipynb"))
    errors = _autograde(course, assignment, {"solution": source_dir, "blank": course / RELEASE_DIR / assignment},
                        box)
    report.problems += [f"nbgrader: {e}" for e in errors]
    for name in notebooks:
        source = read_notebook(source_dir / name)
        test_sources = {c.metadata.nbgrader.grade_id: c.source for c in source.cells if _is_test_cell(c)}
        grades = {s: _recorded_grades(course, assignment, name[:-6], s) for s in ("solution", "blank")}
        outputs = {s: _cell_outputs(course / "autograded" / s / assignment / name) for s in ("solution", "blank")}
        graded = [c for c in source.cells if c.metadata.get("nbgrader", {}).get("grade")]
        for cell in graded:
            meta = cell.metadata.nbgrader
            cell_id = meta.grade_id
            auto = _is_test_cell(cell)
            result = CellResult(cell_id=cell_id if len(notebooks) == 1 else f"{name[:-6]}/{cell_id}",
                                points=float(meta.get("points", 0)), autograded=auto)
            result.solution_score = grades["solution"].get(cell_id, (None,))[0]
            result.blank_score = grades["blank"].get(cell_id, (None,))[0]
            if auto:
                result.problems += _score_problems(result, outputs)
                result.problems += problems_in_test_cell(test_sources[cell_id])
            report.cells.append(result)
    return report


def _first_line(text):
    """The first non-empty line, without the 'file.py:12: ' prefix that Python puts before a warning."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return ""
    return re.sub(r"^\S+:\d+: (?=\w+: )", "", lines[0].strip())[:200]


def _score_problems(cell, outputs):
    problems = []
    error, _ = outputs["solution"].get(cell.cell_id, ("", ""))
    if cell.solution_score is None or cell.blank_score is None:
        problems.append("nbgrader recorded no score for this cell")
    if cell.solution_score is not None and cell.solution_score != cell.points:
        why = f": {_first_line(error)}" if error else ""
        if not error and outputs["solution"].get(cell.cell_id, ("", ""))[1]:
            why = " (because it wrote to stderr)"
        problems.append(f"the solution scores {cell.solution_score:g} of {cell.points:g}{why}")
    if cell.blank_score:
        problems.append(f"the blank release scores {cell.blank_score:g} of {cell.points:g}: the test passes "
                        "without the student's work")
    for student in ("solution", "blank"):
        _, stderr = outputs[student].get(cell.cell_id, ("", ""))
        if stderr:
            problems.append(f"writes to stderr in the {student} notebook (nbgrader scores that 0): "
                            f"{_first_line(stderr)}")
    return problems


def verify(ids=None, root="."):
    """Release and autograde every assignment in `ids` (all when None) in a temporary course; return a
    VerifyReport (`.ok`, `.format()` for the tables, `.problems()`). The repository is not touched.

    Raises ReleaseError when an assignment cannot even be released (unknown id, broken notebook, nbgrader error).
    """
    root = Path(root).resolve()
    chosen = select(root, ids)
    report = VerifyReport()
    with tempfile.TemporaryDirectory(prefix="course-verify-") as tmp:
        course = generate(root, chosen, tmp, database=True)
        box = Sandbox(course, [root, tmp])
        try:
            report.notes += [box.note] if box.note else []
            for assignment in chosen:
                report.assignments.append(_verify_one(course, assignment, box))
        finally:
            box.close()
    return report


def grade_notebook(submission, assignment, root=".", student="student"):
    """Autograde one submitted notebook for `assignment` as nbgrader would; return a GradeResult.

    `submission` is a path to a notebook (or a notebook object). It is graded as the assignment's notebook of
    the same file name, or as its only notebook. Test cells come from the source, as in real grading, so hidden
    tests count. Raises ReleaseError for an unknown assignment or a broken notebook, and when nbgrader fails.
    """
    root = Path(root).resolve()
    (assignment,) = select(root, [assignment])
    names = sorted(p.name for p in (root / SOURCE_DIR / assignment).glob("*.ipynb"))
    if isinstance(submission, (str, Path)):
        nb = read_notebook(submission)  # a broken submission fails here, before any grading work
        name = Path(submission).name if Path(submission).name in names else None
    else:
        nb, name = nbformat.from_dict(submission), None
    if name is None:
        if len(names) != 1:
            raise ReleaseError(f"{assignment} has notebooks {', '.join(names)}: name the submission after one")
        name = names[0]
    with tempfile.TemporaryDirectory(prefix="course-grade-") as tmp:
        course = generate(root, [assignment], tmp, database=True)
        folder = Path(tmp) / "submission"
        folder.mkdir()
        write_notebook(nb, folder / name)
        handed_in = Path(submission).resolve().parent if isinstance(submission, (str, Path)) else Path(tmp)
        box = Sandbox(course, [root, tmp, handed_in])
        try:
            errors = _autograde(course, assignment, {student: folder}, box)
        finally:
            box.close()
        if errors:
            raise ReleaseError("nbgrader could not grade the submission:\n" + "\n".join("  " + e for e in errors))
        grades = _recorded_grades(course, assignment, name[:-6], student)
        outputs = _cell_outputs(course / "autograded" / student / assignment / name)
        tests = [c.metadata.nbgrader.grade_id for c in read_notebook(course / SOURCE_DIR / assignment / name).cells
                 if _is_test_cell(c)]
    messages = {}
    for cell_id, (error, stderr) in outputs.items():
        if cell_id in grades and (error or stderr):
            messages[cell_id] = _first_line(error) or _first_line(stderr)
    return GradeResult(assignment=assignment, notebook=name,
                       scores={c: g[0] for c, g in grades.items()},
                       max_scores={c: g[1] for c, g in grades.items()},
                       autograded=tests, messages=messages)
