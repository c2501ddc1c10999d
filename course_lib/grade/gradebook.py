"""Record grades in nbgrader's gradebook, so that formgrader (manual grading of the written answers, feedback,
exports) works on the same data.

The gradebook is any SQLAlchemy URL nbgrader accepts: by default ``sqlite:///OUT/gradebook.db``; with
``--db postgresql://user@host/db`` a PostgreSQL server that several instructors can grade into at once (it needs
a driver: ``pip install psycopg2-binary``; psycopg 3 works too). Only the parent process writes to it, one
submission at a time, as each result comes in.

- `copy_assignment` puts an assignment's structure (notebooks, graded cells, source cells with their checksums)
  into the gradebook, taken from the gradebook of the temporary course that nbgrader's generate_assignment filled;
- `record` writes one result: the student, the submission, each test cell's auto score (``needs_manual_grade``
  only for written answers) and, for a flagged submission, nbgrader's own "flagged" mark on its notebooks.
"""
import importlib.util
import os
import sys
import warnings
from contextlib import contextmanager
from datetime import datetime, timezone

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


def record(gb, result):
    """Write one result (a dict from the worker) into the open gradebook `gb`."""
    from nbgrader.api import MissingEntry

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        student, assignment = result["student"], result["assignment"]
        gb.update_or_create_student(student)
        gb.update_or_create_submission(assignment, student, timestamp=datetime.now(timezone.utc).isoformat())
        for row in result["cells"]:
            try:
                grade = gb.find_grade(row["cell"], row["notebook"], assignment, student)
            except MissingEntry:
                continue
            grade.auto_score = row["score"]
            grade.needs_manual_grade = row["score"] is None
        for notebook in {row["notebook"] for row in result["cells"]}:
            try:
                gb.find_submission_notebook(notebook, assignment, student).flagged = bool(result["flags"])
            except MissingEntry:
                pass
        gb.db.commit()
