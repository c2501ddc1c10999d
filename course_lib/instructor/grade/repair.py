"""Rebuild a submitted notebook around the instructor's cells before it is run: what nbgrader's `OverwriteCells`
(with ``add_missing_cells``) and `DeduplicateIds` do, with the holes they leave closed.

Every cell that carries an nbgrader ``grade_id`` known to the source notebook is matched with it:

- test cells and read-only cells get the SOURCE version back (with the hidden tests), whatever the student did to
  them; an edited one is noted;
- solution cells keep the student's text, with the cell type and nbgrader metadata (points, checksum) of the
  release, so an untouched answer is recognised as unanswered;
- a cell that appears twice (Jupyter's *Split Cell* copies the metadata into both halves; copy-paste duplicates
  it): the FIRST keeps the id. An extra test or read-only cell is dropped (it comes back whole from the source); an
  extra half of a solution cell stays as an ordinary cell, so none of the student's code is lost. nbgrader keeps
  the last copy instead, and one duplicated grade cell aborts its whole batch;
- a deleted test or read-only cell is put back from the source after the cell that precedes it there; a deleted
  solution cell comes back as the release's stub (nbgrader's add_missing_cells re-adds only grade cells, so a
  deleted read-only cell stays deleted there and a deleted test waits for manual grading with 0 points);
- a cell with an nbgrader id the source does not know loses its nbgrader metadata (it is the student's own cell).

Cells without nbgrader metadata (the student's own, or the source's free exploration cells) are kept as they are.
Every cell gets a fresh id (``cell-<n>``), so duplicates cannot make the notebook invalid.
"""
import copy
import json

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_raw_cell


class SubmissionError(Exception):
    """The file is not a notebook at all (the message says why)."""


def _meta(cell):
    meta = cell.get("metadata", {}).get("nbgrader")
    return meta if isinstance(meta, dict) else {}


def kind(cell):
    """What nbgrader makes of a cell: 'test', 'answer' (manually graded solution), 'solution', 'readonly', 'task'
    or None (no nbgrader role)."""
    meta = _meta(cell)
    if meta.get("task"):
        return "task"
    if meta.get("grade") and meta.get("solution"):
        return "answer"
    if meta.get("solution"):
        return "solution"
    if meta.get("grade"):
        return "test" if cell.get("cell_type") == "code" else "readonly"
    if meta.get("locked"):
        return "readonly"
    return None


def role(cell):
    """How the grader treats a code cell: 'test' (scored), 'readonly' (instructor's code) or 'student'."""
    found = kind(cell)
    if found == "test":
        return "test"
    if found in ("readonly", "task"):
        return "readonly"
    return "student"


def grade_id(cell):
    return _meta(cell).get("grade_id")


def load_submission(text):
    """Parse a submitted notebook leniently: any JSON object with a list of cells will do. Each cell keeps its
    type (code, markdown or raw), source and nbgrader metadata; outputs and other metadata are dropped.
    Raises SubmissionError otherwise."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SubmissionError(f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise SubmissionError("not a Jupyter notebook (no list of cells)")
    cells = []
    for raw in data["cells"]:
        if not isinstance(raw, dict):
            continue
        source = raw.get("source", "")
        if isinstance(source, list):
            source = "".join(str(part) for part in source)
        metadata = raw.get("metadata") if isinstance(raw.get("metadata"), dict) else {}
        metadata = {key: metadata[key] for key in ("nbgrader",) if isinstance(metadata.get(key), dict)}
        make = {"code": new_code_cell, "markdown": new_markdown_cell}.get(raw.get("cell_type"), new_raw_cell)
        cells.append(make(str(source), metadata=copy.deepcopy(metadata)))
    return new_notebook(cells=cells)


def _plain(cell):
    cell = copy.deepcopy(cell)
    cell.metadata.pop("nbgrader", None)
    return cell


def _with_type(cell, cell_type):
    if cell.cell_type == cell_type:
        return cell
    make = {"code": new_code_cell, "markdown": new_markdown_cell}.get(cell_type, new_raw_cell)
    return make(cell.source, metadata=cell.metadata)


def restore(submitted, source, release):
    """Return ``(notebook, notes)``: `submitted` rebuilt around the cells of `source` (the instructor's notebook,
    with hidden tests) and `release` (what students got), and a list of what had to be repaired."""
    source_cells = [c for c in source.cells if grade_id(c)]
    by_id = {grade_id(c): c for c in source_cells}
    released = {grade_id(c): c for c in release.cells if grade_id(c)}
    order = [grade_id(c) for c in source_cells]
    notes, cells, seen = [], [], set()
    for cell in submitted.cells:
        gid = grade_id(cell)
        if gid is None:
            cells.append(_plain(cell) if "nbgrader" in cell.metadata else copy.deepcopy(cell))
            continue
        if gid not in by_id:
            cells.append(_plain(cell))
            continue
        what = kind(by_id[gid])
        if gid in seen:
            if what in ("solution", "answer"):
                cells.append(_plain(cell))
                notes.append(f"cell {gid} appears more than once (split or copied): the first copy is graded, "
                             "the others are kept as ordinary cells")
            else:
                notes.append(f"cell {gid} appears more than once (split or copied): the extra copy was removed "
                             "and the cell restored from the source")
            continue
        seen.add(gid)
        if what in ("solution", "answer"):
            fixed = _with_type(copy.deepcopy(cell), by_id[gid].cell_type)
            fixed.metadata["nbgrader"] = copy.deepcopy(released.get(gid, by_id[gid]).metadata["nbgrader"])
            if fixed.cell_type == "code":
                fixed.outputs, fixed.execution_count = [], None
        else:
            fixed = copy.deepcopy(by_id[gid])
            handed_out = released.get(gid, fixed)
            if cell.source != handed_out.source or cell.cell_type != handed_out.cell_type:
                label = "test" if what == "test" else "read-only"
                notes.append(f"{label} cell {gid} had been changed: restored from the source")
        cells.append(fixed)
    for position, gid in enumerate(order):
        if gid in seen:
            continue
        what = kind(by_id[gid])
        missing = copy.deepcopy(released[gid] if what in ("solution", "answer") and gid in released else by_id[gid])
        before = [g for g in order[:position] if g in seen]
        at = 0
        if before:
            at = next(i for i, c in enumerate(cells) if grade_id(c) == before[-1]) + 1
        cells.insert(at, missing)
        seen.add(gid)
        label = {"test": "test", "solution": "solution", "answer": "answer"}.get(what, "read-only")
        notes.append(f"{label} cell {gid} was missing: put back from the "
                     f"{'release' if what in ('solution', 'answer') else 'source'}")
    for index, cell in enumerate(cells):
        cell["id"] = f"cell-{index}"
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nb = new_notebook(cells=cells, metadata=copy.deepcopy(release.metadata))
    nbformat.validate(nb)
    return nb, notes
