"""nbgrader configuration for this course.

The repository root is the course directory: instructors edit `solutions/<id>/<id>.ipynb`, and `course release`
(which runs nbgrader's generate_assignment) writes the student versions to `assignments/<id>/`.
Submissions, autograded copies, feedback and the gradebook stay out of git (see .gitignore).
"""
import os
import sys

c = get_config()  # noqa: F821  (provided by traitlets when nbgrader loads this file)

c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.course_id = "nn-training"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "assignments"
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
# course grade writes grades.csv and feedback/; nbgrader's own tools get names of their own, so that neither
# replaces the other's files: `nbgrader export` (formgrader's export too) writes nbgrader_grades.csv, and
# `nbgrader generate_feedback` (formgrader's Generate Feedback, which adds the hand-graded answers and comments)
# writes nbgrader_feedback/, from which Release Feedback hands the pages to the students.
c.CourseDirectory.feedback_directory = "nbgrader_feedback"
c.CsvExportPlugin.to = "nbgrader_grades.csv"

# nbgrader runs the `alembic` program when it creates gradebook.db: found only if the environment's bin folder is on
# PATH. Put it there for every nbgrader command and for formgrader, whether or not the environment is activated
# (`.venv/bin/nbgrader ...` on a fresh clone would otherwise fail and leave a gradebook without its alembic_version).
_bin = os.path.dirname(sys.executable)
if os.path.exists(os.path.join(_bin, "alembic")) and _bin not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = _bin + os.pathsep + os.environ.get("PATH", "")

# Students' code may compile Numba kernels on first use; give a cell time for that.
c.ExecutePreprocessor.timeout = 120
