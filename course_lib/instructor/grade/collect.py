"""Find the submissions to grade in the folder given as ``--submissions``. Three layouts are understood:

- nbgrader's: ``DIR/<student>/<assignment>/<notebook>.ipynb`` (``DIR`` may also be a course folder that has
  ``submitted/`` in it); any other files in the student's folder go along, as nbgrader does;
- one folder per assignment: ``DIR/<assignment>/<student>.ipynb``;
- one assignment: ``DIR/<student>.ipynb``, with exactly one assignment ID given; or a single notebook file given
  as ``--submissions path/to/alice.ipynb`` (the student is then ``alice``).

The two flat layouts work for assignments with one notebook. Nothing is ever written into the submissions folder.
"""
import re
from dataclasses import dataclass, field
from pathlib import Path

_STUDENT = re.compile(r"^[^./\\][^/\\]*$")  # a usable folder name: no path separators, not hidden


class CollectError(Exception):
    """The submissions folder cannot be read as any layout (the message says why)."""


@dataclass
class Submission:
    """One student's hand-in of one assignment: notebook file name -> submitted file (None: not handed in)."""

    student: str
    assignment: str
    notebooks: dict
    folder: Path = None  # the student's folder in nbgrader's layout (its other files go along)
    skipped: list = field(default_factory=list)  # notebooks handed in that belong to none of the assignment's
    copies: dict = field(default_factory=dict)  # notebook name -> other files that may hold its work (graded too)


def _notebooks(folder):
    return sorted(p for p in folder.glob("*.ipynb") if p.is_file() and not p.name.startswith("."))


def _subfolders(folder):
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith((".", "__")))


def collect(path, ids, assignments):
    """The submissions under `path` for assignment `ids` (all found when empty).

    `assignments` maps each known assignment id to the names of its notebooks. Returns a list of Submission,
    sorted by assignment and student. Raises CollectError when nothing fits.
    """
    path = Path(path).resolve()
    ids = list(ids or [])
    unknown = [a for a in ids if a not in assignments]
    if unknown:
        known = ", ".join(sorted(assignments)) or "none"
        raise CollectError(f"unknown assignment {', '.join(unknown)}; known assignments: {known}")
    if path.is_file():
        if path.suffix != ".ipynb" or len(ids) != 1:
            raise CollectError(f"{path} is a file: give one notebook (.ipynb) and exactly one assignment ID")
        return [_flat(path.stem if path.stem not in assignments else "student", ids[0], path, assignments)]
    if not path.is_dir():
        raise CollectError(f"no such folder: {path}")
    if (path / "submitted").is_dir():
        path = path / "submitted"
    wanted = ids or sorted(assignments)
    found = []
    subfolders = _subfolders(path)
    nbgrader_layout = any((s / a).is_dir() for s in subfolders for a in wanted)
    if nbgrader_layout:
        for student in subfolders:
            for aid in wanted:
                folder = student / aid
                if folder.is_dir():
                    found.append(_nbgrader(student.name, aid, folder, assignments))
    elif any(s.name in wanted for s in subfolders):
        for folder in subfolders:
            if folder.name in wanted:
                found += [_flat(nb.stem, folder.name, nb, assignments) for nb in _notebooks(folder)]
    elif _notebooks(path):
        if len(ids) != 1:
            raise CollectError(f"{path} holds notebooks directly: name exactly one assignment ID for them")
        found = [_flat(nb.stem, ids[0], nb, assignments) for nb in _notebooks(path)]
    if not found:
        raise CollectError(f"no submissions for {', '.join(wanted) or 'any assignment'} in {path} (expected "
                           "<student>/<assignment>/*.ipynb, <assignment>/<student>.ipynb or <student>.ipynb)")
    for sub in found:
        if not _STUDENT.match(sub.student):
            raise CollectError(f"cannot use {sub.student!r} as a student id (in {path})")
    return sorted(found, key=lambda s: (s.assignment, s.student))


def _flat(student, assignment, notebook, assignments):
    names = assignments[assignment]
    if len(names) != 1:
        raise CollectError(f"{assignment} has several notebooks ({', '.join(names)}): use nbgrader's layout "
                           "<student>/<assignment>/<notebook>.ipynb")
    return Submission(student, assignment, {names[0]: notebook})


def _copy_of(name, names, extra):
    """Whether the handed-in file `extra` may hold the work of notebook `name`: a copy Jupyter made
    (``X-Copy1.ipynb``), a renamed ``X (1).ipynb`` / ``X_final.ipynb``; for an assignment of one notebook, any."""
    stem, other = name[:-len(".ipynb")].lower(), extra[:-len(".ipynb")].lower()
    return len(names) == 1 or (other.startswith(stem) and not any(other == n[:-6].lower() for n in names))


def _nbgrader(student, assignment, folder, assignments):
    """One student's folder: each of the assignment's notebooks, and the other notebooks handed in. Copies and
    renamed files are graded too and the best of them kept (`course_lib.instructor.grade.worker`), so work in
    ``X-Copy1.ipynb`` is not lost when ``X.ipynb`` was left untouched."""
    names = assignments[assignment]
    present = {p.name: p for p in _notebooks(folder)}
    notebooks = {name: present.get(name) for name in names}
    copies = {}
    skipped = []
    for extra in sorted(set(present) - set(names)):
        owner = next((n for n in names if _copy_of(n, names, extra)), None)
        if owner is None:
            skipped.append(extra)
        else:
            copies.setdefault(owner, []).append(present[extra])
    for name in names:
        if notebooks[name] is None and copies.get(name):  # only under another name: grade that as the notebook
            notebooks[name] = copies[name].pop(0)
    return Submission(student, assignment, notebooks, folder=folder, skipped=skipped,
                      copies={n: c for n, c in copies.items() if c})
