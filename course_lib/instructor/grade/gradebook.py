"""Record grades in nbgrader's gradebook, so that formgrader (manual grading of the written answers, feedback,
exports) works on the same data.

The gradebook is any SQLAlchemy URL nbgrader accepts: by default ``sqlite:///OUT/gradebook.db``; with
``--db postgresql://user@host/db`` a PostgreSQL server that several instructors can grade into at once (it needs
a driver: ``pip install psycopg2-binary``; psycopg 3 works too). Only the parent process writes to it, one
submission at a time, as each result comes in.

- `copy_assignment` puts an assignment's structure (notebooks, graded cells, source cells with their checksums)
  into the gradebook, taken from the gradebook of the temporary course that nbgrader's generate_assignment filled;
- `record` writes one result: the student, the submission (with the time it was handed in), each test cell's auto
  score and, for a flagged submission, nbgrader's own "flagged" mark on its notebooks. A score an instructor gave
  by hand in formgrader is never touched, and a cell already graded by hand stays graded when the same submission
  is graded again (`course grade --force`); only a new hand-in (a later timestamp) asks for a review, as nbgrader's
  autograde does;
- `nbgrader_layout` (called by `record` when given the output folder and the submission) leaves the folders as
  nbgrader's autograde would: ``submitted/<student>/<assignment>/`` with the notebooks, the other files and
  ``timestamp.txt``, and ``timestamp.txt``/``submission_secret.txt`` beside the autograded notebooks. Formgrader
  then counts the submissions and its Generate/Release Feedback buttons work.

nbgrader's own outputs have names of their own (see nbgrader_config.py): `nbgrader export` writes
``nbgrader_grades.csv`` and `nbgrader generate_feedback` writes ``nbgrader_feedback/``, so neither replaces
course grade's grades.csv and feedback/ pages, nor the other way round.
"""
import importlib.util
import os
import shutil
import sys
import warnings
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy.engine import make_url


def with_driver(url):
    """`url` with a PostgreSQL driver that is installed: a plain ``postgresql://`` URL means psycopg (3) to
    SQLAlchemy 2.1 but psycopg2 to older versions; whichever of the two can be imported is named explicitly."""
    if not url.startswith("postgresql://"):
        return url
    for module, dialect in (("psycopg2", "postgresql+psycopg2"), ("psycopg", "postgresql+psycopg")):
        if importlib.util.find_spec(module) is not None:
            return dialect + url[len("postgresql"):]
    return url


def shown(url):
    """The URL without its password, for messages and the state files."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url


@contextmanager
def open_gradebook(url, course_id="default_course"):
    """nbgrader's Gradebook at `url`, closed afterwards; SQLAlchemy's warnings about its sessions stay quiet."""
    from nbgrader.api import Gradebook

    scripts = os.path.dirname(sys.executable)  # a new gradebook asks the `alembic` program for its version
    if scripts not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = scripts + os.pathsep + os.environ.get("PATH", "")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gb = Gradebook(with_driver(url), course_id=course_id)
        try:
            yield gb
        finally:
            gb.close()


def course_id_of(template_url, assignment):
    with open_gradebook(template_url) as gb:
        return gb.find_assignment(assignment).course_id


def copy_assignment(template_url, url, assignment):
    """Create or update `assignment` in the gradebook at `url` from the one at `template_url`."""
    with open_gradebook(template_url) as source:
        found = source.find_assignment(assignment)
        course = found.course_id
        notebooks = []
        for nb in found.notebooks:
            notebooks.append({
                "name": nb.name,
                "grade": [(c.name, c.max_score, c.cell_type) for c in nb.grade_cells],
                "solution": [c.name for c in nb.solution_cells],
                "task": [(c.name, c.max_score, c.cell_type) for c in nb.task_cells],
                "source": [(c.name, c.cell_type, c.locked, c.source, c.checksum) for c in nb.source_cells],
            })
    with open_gradebook(url, course) as gb:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gb.update_or_create_assignment(assignment)
            for nb in notebooks:
                gb.update_or_create_notebook(nb["name"], assignment)
                for name, points, cell_type in nb["grade"]:
                    gb.update_or_create_grade_cell(name, nb["name"], assignment, max_score=points, cell_type=cell_type)
                for name in nb["solution"]:
                    gb.update_or_create_solution_cell(name, nb["name"], assignment)
                for name, points, cell_type in nb["task"]:
                    gb.update_or_create_task_cell(name, nb["name"], assignment, max_score=points, cell_type=cell_type)
                for name, cell_type, locked, text, checksum in nb["source"]:
                    gb.update_or_create_source_cell(name, nb["name"], assignment, cell_type=cell_type, locked=locked,
                                                    source=text, checksum=checksum)
    return course


_HANDED_IN = ("timestamp.txt", "submission_secret.txt")  # what nbgrader's collect leaves beside the notebooks


def submission_timestamp(sub):
    """When `sub` was handed in, as nbgrader writes it ("2026-12-06 03:20:00.123456 UTC"): its timestamp.txt in
    nbgrader's layout, else the time its newest notebook was written; None without either."""
    if sub.folder is not None and (Path(sub.folder) / "timestamp.txt").is_file():
        return (Path(sub.folder) / "timestamp.txt").read_text().strip() or None
    times = [Path(p).stat().st_mtime for p in sub.notebooks.values() if p is not None and Path(p).exists()]
    if not times:
        return None
    return datetime.fromtimestamp(max(times), timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f %Z")


def nbgrader_layout(out, sub):
    """Copy `sub` into ``out/submitted/<student>/<assignment>/`` (unless it is already there) with a timestamp.txt,
    and put timestamp.txt and submission_secret.txt beside its autograded notebooks; return the timestamp.

    The submissions folder is only read. A previous copy is replaced only once the new one is complete."""
    out = Path(out)
    target = out / "submitted" / sub.student / sub.assignment
    timestamp = submission_timestamp(sub)
    if sub.folder is None or Path(sub.folder).resolve() != target.resolve():
        fresh = target.with_name(f".{target.name}.course-grade-new")
        shutil.rmtree(fresh, ignore_errors=True)
        if sub.folder is not None:
            shutil.copytree(sub.folder, fresh, ignore=shutil.ignore_patterns(".*"))
        else:
            fresh.mkdir(parents=True)
            for name, path in sub.notebooks.items():
                if path is not None:
                    shutil.copyfile(path, fresh / name)
        if timestamp and not (fresh / "timestamp.txt").exists():
            (fresh / "timestamp.txt").write_text(timestamp + "\n")
        old = target.with_name(f".{target.name}.course-grade-old")
        shutil.rmtree(old, ignore_errors=True)
        if target.exists():
            target.rename(old)
        fresh.rename(target)
        shutil.rmtree(old, ignore_errors=True)
    autograded = out / "autograded" / sub.student / sub.assignment
    autograded.mkdir(parents=True, exist_ok=True)
    for name in _HANDED_IN:
        if (target / name).is_file():
            shutil.copyfile(target / name, autograded / name)
    return timestamp


def _same_time(a, b):
    strip = (lambda t: None if t is None else t.astimezone(timezone.utc).replace(tzinfo=None) if t.tzinfo else t)
    return strip(a) == strip(b)


def record(gb, result, out=None, sub=None):
    """Write one result (a dict from the worker) into the open gradebook `gb`. Given the output folder `out` and
    the `sub`mission, first lay the folders out as nbgrader's autograde does (`nbgrader_layout`)."""
    from nbgrader.api import MissingEntry
    from nbgrader.utils import parse_utc

    timestamp = nbgrader_layout(out, sub) if out is not None and sub is not None else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        student, assignment = result["student"], result["assignment"]
        gb.update_or_create_student(student)
        try:
            before = gb.find_submission(assignment, student).timestamp
        except MissingEntry:
            before = None
        # without the hand-in's own time, keep the one recorded before (a regrade is not a new hand-in)
        handed_in = parse_utc(timestamp) if timestamp else before or datetime.now(timezone.utc)
        resubmitted = before is None or not _same_time(before, handed_in)
        gb.update_or_create_submission(assignment, student, timestamp=handed_in)
        for row in result["cells"]:
            try:
                grade = gb.find_grade(row["cell"], row["notebook"], assignment, student)
            except MissingEntry:
                continue
            grade.auto_score = row["score"]
            if grade.manual_score is None:
                grade.needs_manual_grade = row["score"] is None
            elif resubmitted:  # graded by hand, then handed in again: the grader should look again (as nbgrader)
                grade.needs_manual_grade = True
            # else: the same hand-in graded again; the grader's score and its state stand
        for notebook in {row["notebook"] for row in result["cells"]}:
            try:
                gb.find_submission_notebook(notebook, assignment, student).flagged = bool(result["flags"])
            except MissingEntry:
                pass
        gb.db.commit()
