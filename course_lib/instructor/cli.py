"""The `course` command: `course lab` for everyone; `course release`, `course verify` and `course grade` for
instructors.

Each subcommand is a small function `_cmd_NAME(args) -> exit code` registered in `build_parser`.
"""
import argparse
import os
import secrets
import socket
import sys
from pathlib import Path


def _free_port(host="127.0.0.1"):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def environment_bin_first(environ=None):
    """Put the folder of this Python's programs (`.venv/bin`) first on PATH in `environ` (default: os.environ), so
    that everything started from here (JupyterLab, its kernels and terminals, nbgrader, which runs `alembic` when it
    creates a gradebook) finds the environment's programs without the environment being activated."""
    environ = os.environ if environ is None else environ
    scripts = os.path.dirname(sys.executable)
    rest = [p for p in environ.get("PATH", "").split(os.pathsep) if p and p != scripts]
    environ["PATH"] = os.pathsep.join([scripts, *rest])
    return environ


def _cmd_lab(args):
    """Start JupyterLab on the course folder and print the URL to open (with its token)."""
    root = os.path.abspath(args.root)
    if not os.path.isdir(root):
        print(f"course lab: no such folder: {root}", file=sys.stderr)
        return 2
    return start_lab(root, args.ip, args.port, args.no_browser)


def start_lab(root, ip="127.0.0.1", port=0, no_browser=False, open_path=None):
    """Replace this process by JupyterLab serving `root` (never returns); `open_path` (relative to `root`) is the
    file the printed URL opens."""
    from urllib.parse import quote

    port = port or _free_port(ip)
    token = secrets.token_hex(24)
    page = "lab" if open_path is None else "lab/tree/" + quote(Path(open_path).as_posix())
    url = f"http://{ip}:{port}/{page}?token={token}"
    print(f"JupyterLab for the course is starting in {root}\nOpen: {url}\nStop it with Ctrl-C.", flush=True)
    command = [
        sys.executable, "-m", "jupyterlab",
        f"--ServerApp.root_dir={root}",
        f"--ServerApp.ip={ip}",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
    ]
    if open_path is not None:
        command.append(f"--LabApp.default_url=/{page}")
    if no_browser:
        command.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # containers and CI machines often run as root
    # The course's matrices are small: threaded BLAS adds overhead, and on a busy machine spin-waiting threads make
    # a training step many times slower. Kernels started by this server inherit one BLAS thread unless you say otherwise.
    for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(variable, "1")
    environment_bin_first()
    os.chdir(root)  # nbgrader reads nbgrader_config.py from the folder the server starts in
    os.execv(sys.executable, command)


def _cmd_start(args):
    """Copy an assignment's release into the git-ignored work/ID/ (keeping what is there) and open it in the lab."""
    from course_lib.instructor.classroom.start import StartError, start

    root = os.path.abspath(args.root)
    try:
        started = start(args.id, root=root, work=args.work)
    except StartError as exc:
        print(f"course start: {exc}", file=sys.stderr)
        return 2
    print(started.report(root), flush=True)
    if args.no_lab:
        return 0
    inside = os.path.relpath(started.notebook, root)
    if inside.startswith(".."):  # --work outside the course folder: serve that folder instead
        root, inside = str(started.folder), started.notebook.name
    return start_lab(root, args.ip, args.port, args.no_browser, open_path=inside)


def _cmd_release(args):
    """Regenerate assignments/ from solutions/ (or, with --check, report what is out of date)."""
    from course_lib.instructor.release import ReleaseError, release

    try:
        result = release(args.ids or None, root=args.root, check=args.check)
    except ReleaseError as exc:
        print(f"course release: {exc}", file=sys.stderr)
        return 1
    print(result.report())
    return result.exit_code


def _cmd_warmup(args):
    """Call every public kernel once so Numba compiles (or loads) it now; print what it took."""
    from course_lib import warmup

    parts = None if args.only is None else [p.strip() for p in args.only.split(",") if p.strip()]
    try:
        seconds, failed = warmup.run(parts, progress=not args.quiet)
    except ValueError as exc:
        print(f"course warmup: {exc}", file=sys.stderr)
        return 2
    for problem in failed:
        print(f"course warmup: {problem}", file=sys.stderr)
    if not args.quiet:
        print(f"course_lib's kernels are compiled and cached ({sum(seconds.values()):.1f} s)")
    return 1 if failed else 0


def _cmd_verify(args):
    """Release and autograde every assignment as its solution and as the blank release; print one table each."""
    from course_lib.instructor.release import ReleaseError
    from course_lib.instructor.verify import verify

    try:
        report = verify(args.ids or None, root=args.root)
    except ReleaseError as exc:
        print(f"course verify: {exc}", file=sys.stderr)
        return 1
    print(report.format())
    return report.exit_code


def _positive(text):
    """argparse type: a number above zero (a memory limit of 0 GiB would stop every kernel at once)."""
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be above 0, got {text}")
    return value


def _cmd_grade(args):
    """Autograde every submission found in --submissions; print a progress bar, then the summary table."""
    from course_lib.instructor.grade.run import GradeError, grade

    try:
        run = grade(args.ids, args.submissions, root=args.root, out=args.out, jobs=args.jobs, db=args.db,
                    cell_timeout=args.timeout, time_limit=args.limit, force=args.force,
                    memory=int(args.memory * 2**30), processes=args.processes)
    except GradeError as exc:
        print(f"course grade: {exc}", file=sys.stderr)
        return 1
    _as_nbgrader_leaves_it(run, args)
    print(run.summary())
    _mistakes_after_grading(run)
    return run.exit_code


def _as_nbgrader_leaves_it(run, args):
    """submitted/ with timestamp.txt and the hand-in times in the gradebook, as nbgrader's autograde leaves them
    (`gradebook.record` with the submission): formgrader then counts the submissions, late ones are late, and
    Generate/Release Feedback work. (To move into grade.run's `keep`, where each result is recorded.)"""
    from course_lib.instructor.classroom.export import _course_id
    from course_lib.instructor.grade import gradebook
    from course_lib.instructor.grade.collect import collect
    from course_lib.instructor.release import SOURCE_DIR, known_ids

    if not run.results:
        return
    try:
        root = Path(args.root).resolve()
        names = {aid: sorted(p.name for p in (root / SOURCE_DIR / aid).glob("*.ipynb")) for aid in known_ids(root)}
        subs = {(s.assignment, s.student): s for s in collect(args.submissions, args.ids, names)}
        url = args.db or f"sqlite:///{run.out / 'gradebook.db'}"
        with gradebook.open_gradebook(url, _course_id(url)) as gb:
            for result in run.results:
                sub = subs.get((result["assignment"], result["student"]))
                if sub is not None:
                    gradebook.record(gb, result, out=run.out, sub=sub)
    except Exception as exc:  # noqa: BLE001  (the grades are written already)
        run.notes.append(f"submitted/ and the hand-in times were not laid out for formgrader: "
                         f"{type(exc).__name__}: {exc}")


def _mistakes_after_grading(run):
    """The class's mistakes report next to grades.csv (`course mistakes`), and its short table; a failure here
    is only a note: the grades are written already."""
    from course_lib.instructor.grade.mistakes import write_report

    assignments = sorted({r["assignment"] for r in run.results})
    if not assignments:
        return
    try:
        summaries, table = write_report(run.out, assignments)
    except Exception as exc:  # noqa: BLE001  (never lose a grading run over its summary)
        print(f"note: the mistakes report could not be written: {type(exc).__name__}: {exc}", file=sys.stderr)
        return
    if summaries:
        print("\nWhat the class got wrong (mistakes.csv, mistakes.html):\n" + table)


def _cmd_mistakes(args):
    """Sum what `course grade` recorded into mistakes.csv and mistakes.html; print the short table."""
    from course_lib.instructor.grade.mistakes import write_report

    out = os.path.abspath(args.out or args.root)
    summaries, table = write_report(out, args.ids or None)
    if not summaries:
        print(f"course mistakes: no graded submissions in {out} (run course grade first, with the same --out)",
              file=sys.stderr)
        return 1
    print(table)
    print(f"mistakes: {os.path.join(out, 'mistakes.csv')}, {os.path.join(out, 'mistakes.html')}")
    return 0


def _cmd_export(args):
    """Write the gradebook as a Canvas-style CSV (student rows, assignment columns, manual grades included)."""
    from course_lib.instructor.classroom.export import ExportError, export_canvas

    out = os.path.abspath(args.out or args.root)
    url = args.db or f"sqlite:///{os.path.join(out, 'gradebook.db')}"
    if not args.db and not os.path.exists(os.path.join(out, "gradebook.db")):
        print(f"course export: no gradebook.db in {out} (run course grade first, or give --db URL)", file=sys.stderr)
        return 1
    try:
        export = export_canvas(url)
    except ExportError as exc:
        print(f"course export: {exc}", file=sys.stderr)
        return 1
    if args.canvas == "-":
        sys.stdout.write(export.text)
    else:
        with open(args.canvas, "w", newline="") as f:
            f.write(export.text)
        print(f"{args.canvas}: {export.students} student(s) x {len(export.assignments)} assignment(s) "
              f"({', '.join(export.assignments)})")
    if export.pending:
        print(f"course export: {len(export.pending)} submission(s) still have answers to grade by hand in formgrader "
              f"(their totals count those answers as 0): {', '.join(export.pending)}", file=sys.stderr)
    return 0


def _cmd_hub(args):
    """Set up the classroom (users, exchange, the instructor's course folder) and run JupyterHub for it."""
    from course_lib.instructor.classroom import hub

    students = [s.strip() for s in args.students.split(",") if s.strip()]
    try:
        if args.create_users:
            reason = hub.can_manage_users()
            if reason:
                raise hub.HubError(f"--create-users: {reason}")
            made = hub.add_users([args.instructor, *students])
            if made:
                print(f"created local users (set their passwords with passwd): {', '.join(made)}")
        hub.install_proxy()
        course = hub.setup_class(args.instructor, students, exchange=args.exchange, source=os.path.abspath(args.root))
    except (hub.HubError, KeyError) as exc:
        print(f"course hub: {exc}" + (" (a user that does not exist: add --create-users)"
                                      if isinstance(exc, KeyError) else ""), file=sys.stderr)
        return 2
    environ = hub.hub_environment(args.instructor, students, port=args.port, ip=args.ip)
    os.environ.update(environ)
    environment_bin_first()
    print(f"JupyterHub for {len(students)} student(s) and {args.instructor} (course folder {course}, exchange "
          f"{args.exchange}) on http://{args.ip}:{args.port}/ ; stop it with Ctrl-C.", flush=True)
    config = hub.ROOT / "jupyterhub_config.py"
    os.execv(sys.executable, [sys.executable, "-m", "jupyterhub", "-f", str(config)])


def build_parser():
    parser = argparse.ArgumentParser(
        prog="course",
        description="Tools for the course on training neural networks: start JupyterLab, and (for instructors) "
        "regenerate the student releases, verify and grade them.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    lab = sub.add_parser("lab", help="start JupyterLab on the course folder and print its URL")
    lab.add_argument("--root", default=".", help="folder to serve (default: the current folder)")
    lab.add_argument("--ip", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    lab.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    lab.add_argument("--no-browser", action="store_true", help="do not open a web browser")
    lab.set_defaults(func=_cmd_lab)

    start = sub.add_parser("start", help="copy an assignment into work/ID/ (your own, git-ignored copy) and open it",
                           description="Copy assignments/ID/ into work/ID/ and start JupyterLab on it. Files you "
                           "already have in work/ID/ are never overwritten: run it again to reopen your work. "
                           "assignments/ stays as released, so `git pull` brings new releases without conflicts.")
    start.add_argument("id", metavar="ID", help="assignment id (a folder in assignments/)")
    start.add_argument("--no-lab", action="store_true", help="only copy; do not start JupyterLab")
    start.add_argument("--work", metavar="DIR", help="where your copies go (default: work/ in the course folder)")
    start.add_argument("--root", default=".", help="course folder (default: the current folder)")
    start.add_argument("--ip", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    start.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    start.add_argument("--no-browser", action="store_true", help="do not open a web browser")
    start.set_defaults(func=_cmd_start)

    release = sub.add_parser("release", help="regenerate the student notebooks in assignments/ from solutions/",
                             description="Regenerate assignments/ID/ from solutions/ID/ with nbgrader (all "
                             "assignments when no ID is given). Outputs, solutions and hidden tests are removed; "
                             "an unchanged assignment is left byte for byte as it was.")
    release.add_argument("ids", nargs="*", metavar="ID", help="assignment id (a folder in solutions/)")
    release.add_argument("--check", action="store_true",
                         help="change nothing; exit 1 naming stale, missing or extra files in assignments/")
    release.add_argument("--root", default=".", help="course folder (default: the current folder)")
    release.set_defaults(func=_cmd_release)

    warm = sub.add_parser("warmup", help="compile every course_lib kernel now (about 30 s, once) instead of on "
                          "first use", description="Call each public function that runs a Numba kernel once, on "
                          "tiny inputs, so that its machine code is compiled and cached now and every later "
                          "kernel loads it. `make venv` runs it; `course grade` runs it before grading.")
    warm.add_argument("--only", metavar="PARTS", help="comma-separated parts of the tour (default: all)")
    warm.add_argument("--quiet", action="store_true", help="no progress bar and no summary line")
    warm.set_defaults(func=_cmd_warmup)

    verify = sub.add_parser("verify", help="autograde each assignment's solution (full marks) and blank release "
                            "(zero marks)",
                            description="In a temporary course: release, then autograde the solution (must score "
                            "full marks) and the untouched release (must score 0); also fail on test cells that "
                            "write to stderr or cannot fail. Prints one table per assignment.")
    verify.add_argument("ids", nargs="*", metavar="ID", help="assignment id (a folder in solutions/)")
    verify.add_argument("--root", default=".", help="course folder (default: the current folder)")
    verify.set_defaults(func=_cmd_verify)

    grade = sub.add_parser("grade", help="autograde a class's submissions into grades.csv, feedback and the gradebook",
                           description="Autograde every submission in --submissions (nbgrader's "
                           "<student>/<assignment>/*.ipynb, or <assignment>/<student>.ipynb, or <student>.ipynb "
                           "with one ID, or a single notebook file with one ID), each student in a process of its "
                           "own. Writes grades.csv, feedback/<student>/<assignment>/*.html, autograded/ and the "
                           "gradebook into --out; a re-run grades only submissions that changed. Submissions that "
                           "tamper with the grader or use the library's own answer are flagged for review.")
    grade.add_argument("ids", nargs="*", metavar="ID", help="assignment id (default: every assignment found)")
    grade.add_argument("--submissions", required=True, metavar="DIR", help="folder (or one .ipynb) to grade")
    grade.add_argument("--jobs", type=int, default=0, metavar="N", help="students graded at once (default: one "
                       "per core)")
    grade.add_argument("--db", metavar="URL", help="gradebook database URL, e.g. postgresql://user@host/course "
                       "(default: sqlite in --out/gradebook.db)")
    grade.add_argument("--out", metavar="DIR", help="where results go (default: the course folder)")
    grade.add_argument("--timeout", type=float, default=120.0, metavar="S",
                       help="seconds per cell of student code (default 120)")
    grade.add_argument("--limit", type=float, default=1800.0, metavar="S",
                       help="wall-clock seconds per submission (default 1800)")
    grade.add_argument("--memory", type=_positive, default=4.0, metavar="GIB",
                       help="memory each student's kernel may use, in GiB (default 4)")
    grade.add_argument("--processes", type=int, default=64, metavar="N",
                       help="processes and threads each student's kernel may start (default 64)")
    grade.add_argument("--force", action="store_true", help="regrade submissions that have not changed too")
    grade.add_argument("--root", default=".", help="course folder (default: the current folder)")
    grade.set_defaults(func=_cmd_grade)

    mistakes = sub.add_parser("mistakes", help="what the class got wrong: known mistakes per part, the scores",
                              description="After course grade: for each graded part, how many students made each "
                              "known mistake (the test's 'This matches a known mistake: ...'), how many wrong "
                              "answers matched none (with the most common message), how many left the part "
                              "untouched, and the score distribution. Writes mistakes.csv and mistakes.html (bar "
                              "charts) next to grades.csv and prints a short table. Flagged students count too.")
    mistakes.add_argument("ids", nargs="*", metavar="ID", help="assignment id (default: every one graded)")
    mistakes.add_argument("--out", metavar="DIR", help="the folder course grade wrote to (default: the course "
                          "folder)")
    mistakes.add_argument("--root", default=".", help="course folder (default: the current folder)")
    mistakes.set_defaults(func=_cmd_mistakes)

    export = sub.add_parser("export", help="the gradebook as a CSV an LMS imports (Canvas layout)",
                            description="Write one row per student and one column per assignment (Canvas's "
                            "gradebook layout, with its 'Points Possible' row), from the gradebook course grade and "
                            "formgrader write: manual grades and corrections included. Submissions still waiting "
                            "for manual grading are listed on stderr. A missing submission is an empty cell.")
    export.add_argument("--canvas", required=True, metavar="FILE", help="CSV file to write ('-' for stdout)")
    export.add_argument("--db", metavar="URL", help="gradebook URL (default: sqlite in --out/gradebook.db)")
    export.add_argument("--out", metavar="DIR", help="the folder course grade wrote to (default: the course folder)")
    export.add_argument("--root", default=".", help="course folder (default: the current folder)")
    export.set_defaults(func=_cmd_export)

    hub = sub.add_parser("hub", help="run a JupyterHub classroom on this machine (local users, nbgrader's exchange)",
                         description="As root: make nbgrader's exchange, the instructor's course folder "
                         "(~INSTRUCTOR/course, sources from this course) and each user's nbgrader settings, "
                         "install JupyterHub's proxy with npm into .hub/ (once), and run JupyterHub with "
                         "jupyterhub_config.py: users log in with their system passwords (PAM); the instructor "
                         "gets formgrader, the students the Assignments tab. See docs/classroom.md.")
    hub.add_argument("--instructor", required=True, metavar="USER", help="the instructor's local user name")
    hub.add_argument("--students", required=True, metavar="A,B,...", help="the students' local user names")
    hub.add_argument("--create-users", action="store_true", help="create the users that do not exist yet")
    hub.add_argument("--exchange", default="/srv/nbgrader/exchange", metavar="DIR",
                     help="nbgrader's exchange folder (default /srv/nbgrader/exchange)")
    hub.add_argument("--ip", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    hub.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    hub.add_argument("--root", default=".", help="course folder (default: the current folder)")
    hub.set_defaults(func=_cmd_hub)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
