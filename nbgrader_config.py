"""nbgrader configuration for this course.

The repository root is the course directory: instructors edit `solutions/<id>/<id>.ipynb`, and `course release`
(which runs nbgrader's generate_assignment) writes the student versions to `assignments/<id>/`.
Submissions, autograded copies, feedback and the gradebook stay out of git (see .gitignore).
"""
import os

c = get_config()  # noqa: F821  (provided by traitlets when nbgrader loads this file)

c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.course_id = "nn-training"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "assignments"
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"

# Students' code may compile Numba kernels on first use; give a cell time for that.
c.ExecutePreprocessor.timeout = 120
