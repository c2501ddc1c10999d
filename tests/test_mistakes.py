"""What the class got wrong (`course mistakes`): known mistakes counted per part from the graded notebooks' own
messages, the wrong answers that match none grouped with an example, the untouched parts, and the scores; flagged
students counted like everyone else. And nbgrader's own tools on what `course grade` leaves: formgrader counts the
submissions as autograded, hand-given grades survive a regrade, nbgrader's export and feedback do not overwrite
course grade's files. A small class of the tiny fixture assignment is graded for real once, for both."""
import csv
import io
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from fixtures.grade import tiny
from fixtures.nbgrader_course import ASSIGNMENT

from course_lib import cli
from course_lib.grade import gradebook, mistakes
from course_lib.grade.collect import collect
from course_lib.grade.run import grade
from course_lib.release import write_notebook

pytestmark = pytest.mark.slow

STUB = "# YOUR CODE HERE\n    raise NotImplementedError()"
UNSHIFTED = "e = np.exp(z)\n    return e / e.sum(axis=1, keepdims=True)"
UNBIASED = "return float(((x - x.mean()) ** 2).sum() / (len(x) - 1))"
IDENTITY = "return x"
CLASS = {  # student: {part: body} (parts not named are solved honestly; None leaves the stub)
    "ada": {},
    "ben": {"softmax": UNSHIFTED},
    "cy": {"softmax": UNSHIFTED, "variance": UNBIASED},
    "dee": {"relu": IDENTITY, "variance": UNBIASED},
    "eve": {"relu": IDENTITY},
    "fay": {"relu": None, "softmax": None, "variance": None},
    "gus": {"variance": UNBIASED, "tamper": True},  # flagged: it rebinds np.isclose
}


def _student(course, changes):
    nb = tiny.student_notebook(course, ("relu", "softmax", "variance"))
    for cell in nb.cells:
        part = cell.metadata.get("nbgrader", {}).get("grade_id")
        if part in changes:
            body = changes[part]
            cell.source = cell.source.replace(tiny._ANSWERS[part], STUB if body is None else body)
        if part == "relu" and changes.get("tamper"):
            cell.source += "\nnp.isclose = lambda *a, **k: True"
    return nb


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("mistakes")
    course = tiny.make_course_folder(base / "course")
    (base / "submissions" / ASSIGNMENT).mkdir(parents=True)
    for student, changes in CLASS.items():
        write_notebook(_student(course, changes), base / "submissions" / ASSIGNMENT / f"{student}.ipynb")
    run = grade([ASSIGNMENT], base / "submissions", root=course, jobs=2, cell_timeout=60, progress=False)
    assert run.exit_code == 0, run.summary()
    return course, run


def _rows(out):
    return list(csv.DictReader(io.StringIO((out / "mistakes.csv").read_text())))


def test_each_known_mistake_is_counted_per_part_flagged_students_included(graded):
    out, run = graded
    assert [r["student"] for r in run.results if r["flags"]] == ["gus"]
    summaries, text = mistakes.write_report(out, [ASSIGNMENT])
    rows = {(r["part"], r["outcome"]): r for r in _rows(out)}
    assert rows[("test_variance", "known mistake: biased vs unbiased variance")]["students"] == "3"  # cy dee gus
    assert rows[("test_variance", "right")]["students"] == "3"  # ada, ben, eve
    assert rows[("test_variance", "no known mistake")]["students"] == "0"
    assert {r["of"] for r in _rows(out) if r["part"] != "(score)"} == {str(len(CLASS))}
    assert "biased vs unbiased variance (3)" in text and "1 flagged" in text


def test_wrong_answers_matching_no_known_mistake_are_grouped_with_an_example(graded):
    out, _ = graded
    mistakes.write_report(out, [ASSIGNMENT])
    rows = {(r["part"], r["outcome"]): r for r in _rows(out)}
    unknown = rows[("test_relu", "no known mistake")]
    assert unknown["students"] == "2" and unknown["example"].startswith("AssertionError: relu")
    assert rows[("test_relu", "not attempted")]["students"] == "1"  # fay left the stub
    # the visible test passes an unshifted softmax; the hidden one (large logits) fails it with NaN
    unshifted = rows[("test_softmax", "no known mistake")]
    assert unshifted["students"] == "2" and "NaN" in unshifted["example"]


def test_the_score_distribution_counts_every_student_once(graded):
    out, run = graded
    mistakes.write_report(out, [ASSIGNMENT])
    dist = {r["outcome"]: int(r["students"]) for r in _rows(out) if r["part"] == "(score)"}
    expected = {}
    for r in run.results:
        expected[f"{r['score']:g}"] = expected.get(f"{r['score']:g}", 0) + 1
    assert sum(dist.values()) == len(CLASS)
    assert {k: v for k, v in dist.items() if v} == expected


def test_the_html_page_has_a_bar_chart_per_part_and_for_the_scores(graded):
    out, _ = graded
    mistakes.write_report(out, [ASSIGNMENT])
    page = (out / "mistakes.html").read_text()
    assert page.count("<svg") == 4 and "<script" not in page
    assert "biased vs unbiased variance" in page and "AssertionError: relu" in page


def test_course_mistakes_prints_the_table_and_writes_both_files(graded, capsys, tmp_path):
    out, _ = graded
    (out / "mistakes.csv").unlink(missing_ok=True)
    assert cli.main(["mistakes", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert ASSIGNMENT in printed and "test_softmax" in printed and (out / "mistakes.csv").exists()
    assert cli.main(["mistakes", "--out", str(tmp_path)]) == 1  # nothing graded there
    assert "no graded submissions" in capsys.readouterr().err


def test_course_grade_ends_with_the_mistakes_table(graded, capsys):
    out, run = graded
    (out / "mistakes.html").unlink(missing_ok=True)
    cli._mistakes_after_grading(run)
    assert "What the class got wrong" in capsys.readouterr().out and (out / "mistakes.html").exists()


# ----------------------------------------------------------------------------------------------------------------
# nbgrader's own tools on what course grade leaves


def _lay_out(course, run):
    """What course grade's run does for each result once the lead wires it (record with out= and sub=)."""
    subs = {s.student: s for s in collect(Path(course).parent / "submissions", [ASSIGNMENT],
                                          {ASSIGNMENT: [f"{ASSIGNMENT}.ipynb"]})}
    with gradebook.open_gradebook(f"sqlite:///{course / 'gradebook.db'}", "nn-training") as gb:
        for result in run.results:
            gradebook.record(gb, result, out=course, sub=subs[result["student"]])
    return subs


def _nbgrader(course, *args):
    env = dict(os.environ, PATH="/usr/bin:/bin")  # nothing activated: nbgrader_config.py finds alembic itself
    return subprocess.run([str(Path(sys.executable).parent / "nbgrader"), *args], cwd=course, env=env,
                          capture_output=True, text=True, timeout=300)


def test_formgrader_counts_course_grades_submissions_as_autograded(graded):
    from nbgrader.apps.api import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config

    course, run = graded
    _lay_out(course, run)
    assert sorted(p.name for p in (course / "submitted").iterdir()) == sorted(CLASS)
    assert (course / "submitted" / "ada" / ASSIGNMENT / "timestamp.txt").is_file()
    config = Config()
    config.CourseDirectory.root = str(course)
    config.CourseDirectory.course_id = "nn-training"
    config.CourseDirectory.source_directory = "solutions"
    config.CourseDirectory.release_directory = "assignments"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        api = NbGraderAPI(CourseDirectory(config=config), config=config)
        assert api.get_assignment(ASSIGNMENT)["num_submissions"] == len(CLASS)
        assert api.get_autograded_students(ASSIGNMENT) == set(CLASS)


def test_a_regrade_keeps_hand_given_grades_and_their_state_until_the_student_hands_in_again(graded):
    import copy

    course, run = graded
    subs = _lay_out(course, run)
    url = f"sqlite:///{course / 'gradebook.db'}"
    ada = copy.deepcopy(next(r for r in run.results if r["student"] == "ada"))
    for row in ada["cells"]:
        if row["cell"] == "answer_shift":
            row["score"] = None  # ada wrote an answer: it waits for a human
    eve = next(r for r in run.results if r["student"] == "eve")
    with gradebook.open_gradebook(url, "nn-training") as gb:
        gradebook.record(gb, ada, out=course, sub=subs["ada"])
        answer = gb.find_grade("answer_shift", ASSIGNMENT, ASSIGNMENT, "ada")
        test = gb.find_grade("test_relu", ASSIGNMENT, ASSIGNMENT, "eve")
        assert answer.needs_manual_grade and test.auto_score == 0.0
        answer.manual_score, answer.needs_manual_grade = 1.0, False  # graded in formgrader
        test.manual_score = 0.5  # a grader's partial credit on a failed test
        gb.db.commit()
    with gradebook.open_gradebook(url, "nn-training") as gb:  # course grade --force: the same hand-ins again
        gradebook.record(gb, ada, out=course, sub=subs["ada"])
        gradebook.record(gb, eve, out=course, sub=subs["eve"])
        answer = gb.find_grade("answer_shift", ASSIGNMENT, ASSIGNMENT, "ada")
        test = gb.find_grade("test_relu", ASSIGNMENT, ASSIGNMENT, "eve")
        assert (answer.manual_score, answer.needs_manual_grade) == (1.0, False)
        assert (test.auto_score, test.manual_score, test.needs_manual_grade) == (0.0, 0.5, False)
    notebook = subs["ada"].notebooks[f"{ASSIGNMENT}.ipynb"]
    later = notebook.stat().st_mtime + 60
    os.utime(notebook, (later, later))  # ada hands in again
    with gradebook.open_gradebook(url, "nn-training") as gb:
        gradebook.record(gb, ada, out=course, sub=subs["ada"])
        answer = gb.find_grade("answer_shift", ASSIGNMENT, ASSIGNMENT, "ada")
        assert (answer.manual_score, answer.needs_manual_grade) == (1.0, True)


def test_nbgraders_export_and_feedback_leave_course_grades_files_alone(graded):
    course, run = graded
    _lay_out(course, run)
    grades = (course / "grades.csv").read_bytes()
    page = course / "feedback" / "ada" / ASSIGNMENT / f"{ASSIGNMENT}.html"
    ours = page.read_bytes()
    done = _nbgrader(course, "export")
    assert done.returncode == 0, done.stderr
    done = _nbgrader(course, "generate_feedback", ASSIGNMENT, "--force")
    assert done.returncode == 0, done.stderr
    assert (course / "grades.csv").read_bytes() == grades and page.read_bytes() == ours
    exported = list(csv.DictReader((course / "nbgrader_grades.csv").open()))
    assert sorted(r["student_id"] for r in exported) == sorted(CLASS)
    theirs = course / "nbgrader_feedback" / "ada" / ASSIGNMENT
    assert (theirs / f"{ASSIGNMENT}.html").is_file() and (theirs / "timestamp.txt").is_file()
