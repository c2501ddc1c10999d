"""`course grade`: autograde a whole class with nbgrader's scoring, hardened against broken and adversarial
submissions. One module per job:

- `collect`: find the submissions (nbgrader's ``<student>/<assignment>/`` layout or flat folders of notebooks);
- `repair`: rebuild each notebook around the instructor's test and read-only cells (deleted, edited, split or
  duplicated cells);
- `scan`: the pre-grading integrity scan of the student's cells (tampering with the grader, the library's own
  answer);
- `worker`: grade one student in a process of its own, cell by cell, surviving endless loops and dead kernels;
  `kernel` and `guard` are the kernel it starts and the code it runs inside it;
- `kernel_cache`: start each student's private Numba cache with course_lib's compiled kernels;
- `gradebook`: record scores in nbgrader's gradebook (SQLite or PostgreSQL);
- `report`: feedback pages, grades.csv and the summary table;
- `run`: all of it for a class, in parallel, regrading only what changed.

``from course_lib.instructor.grade import grade`` is the entry point; `course grade --help` describes the command.
"""


def grade(*args, **kwargs):
    """See `instructor.grade.run.grade` (imported on first use: `import course_lib.instructor.grade` stays light)."""
    from course_lib.instructor.grade.run import grade as run

    return run(*args, **kwargs)
