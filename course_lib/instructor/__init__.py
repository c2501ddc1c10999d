"""The instructor's side of the course: the tools behind the `course` command. One module or package per job:

- `release`: regenerate the student notebooks in assignments/ from solutions/ (nbgrader's generate_assignment),
  with `expected` filling the EXPECTED blocks with literal values at release time;
- `verify`: autograde every solution (full marks) and blank release (zero) before students see them;
- `grade/`: grade a class, each student in a sandbox, judged outside the student's kernel;
- `classroom/`: a student's own copy (`course start`), the gradebook for an LMS (`export`), a JupyterHub (`hub`);
- `warmup`: compile course_lib's kernels once (`course warmup`);
- `cli`: the `course` command itself.

Nothing outside this package imports it: kernels, models and presentation (widgets, plots) stand on their own, and
the notebooks' tests use `course_lib.grading`. The old paths (``course_lib.release``, ``course_lib.grade.run``,
``python -m course_lib.cli``, ...) still work and give these same modules (`course_lib._aliases`).
"""
