"""The gradebook as a CSV a learning-management system imports: one row per student, one column per assignment.

The scores are nbgrader's own totals (`SubmittedAssignment.score`): for each graded cell the manual score where
an instructor gave one in formgrader, else the autograded score, plus extra credit. So written answers graded by
hand are included, and a test-cell score an instructor corrected counts as corrected.

The layout is Canvas's gradebook export (and import): columns ``Student, ID, SIS User ID, SIS Login ID, Section``,
then one column per assignment named ``<assignment> (<points>)``, and a ``Points Possible`` row first. nbgrader's
student id goes into ``SIS Login ID`` (what Canvas matches on when ``ID`` is empty); ``Student`` is
``Last, First`` when the gradebook knows the names. A student without a submission gets an empty cell (Canvas
leaves the grade as it was), never a 0 that was not earned. Scores that still wait for manual grading are listed
by `export_canvas` so that nobody uploads half-graded totals without knowing.
"""
import csv
import io
from dataclasses import dataclass, field

from course_lib.instructor.grade.gradebook import open_gradebook, with_driver

FIXED = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]


@dataclass
class Export:
    text: str
    students: int
    assignments: list
    pending: list = field(default_factory=list)  # "assignment/student" still needing manual grading


def _points(value):
    return f"{value:g}" if value is not None else ""


class ExportError(Exception):
    """The gradebook cannot be exported; the message says why."""


def _course_id(url):
    """The course the gradebook belongs to, read without writing anything (nbgrader adds a course it is told of)."""
    from sqlalchemy import create_engine, inspect, text

    engine = create_engine(with_driver(url))
    try:
        if "course" not in inspect(engine).get_table_names():
            raise ExportError(f"{url} is not an nbgrader gradebook (no course table): run course grade first")
        with engine.connect() as connection:
            ids = [row[0] for row in connection.execute(text("SELECT id FROM course"))]
    finally:
        engine.dispose()
    return ids[0] if len(ids) == 1 else "default_course" if not ids else sorted(ids)[0]


def export_canvas(url):
    """An `Export` of the gradebook at `url` (an SQLAlchemy URL) in Canvas's gradebook CSV layout."""
    import warnings

    with open_gradebook(url, _course_id(url)) as gb, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assignments = sorted(gb.assignments, key=lambda a: (a.duedate is None, a.duedate, a.name))
        names = [a.name for a in assignments]
        maxima = {a.name: float(a.max_score) for a in assignments}
        students = sorted(gb.students, key=lambda s: ((s.last_name or "").lower(), (s.first_name or "").lower(),
                                                      s.id))
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(FIXED + [f"{name} ({_points(maxima[name])})" for name in names])
        writer.writerow(["Points Possible", "", "", "", ""] + [_points(maxima[name]) for name in names])
        pending = []
        for student in students:
            shown = f"{student.last_name}, {student.first_name}" if student.last_name and student.first_name \
                else (student.last_name or student.first_name or student.id)
            row = [shown, "", "", student.id, ""]
            for name in names:
                try:
                    submission = gb.find_submission(name, student.id)
                except Exception:  # MissingEntry: not handed in
                    row.append("")
                    continue
                row.append(_points(float(submission.score)))
                if submission.needs_manual_grade:
                    pending.append(f"{name}/{student.id}")
            writer.writerow(row)
    return Export(out.getvalue(), len(students), names, pending)
