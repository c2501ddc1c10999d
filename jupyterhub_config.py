"""JupyterHub for the course on one machine: local users, nbgrader's exchange, configurable-http-proxy from npm.

`course hub` sets the COURSE_HUB_* variables (instructor, students, port, state folder) and runs
``jupyterhub -f jupyterhub_config.py``; everything is in `course_lib.instructor.classroom.hub` (see its docstring and
docs/classroom.md).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from course_lib.instructor.classroom.hub import configure  # noqa: E402

configure(get_config())  # noqa: F821  (provided by traitlets when JupyterHub loads this file)
