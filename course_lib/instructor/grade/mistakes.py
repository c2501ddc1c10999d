"""What the class got wrong: for each graded part, how many students made each known mistake, how many wrong
answers matched none (with the most common message as an example), and the distribution of scores.

It reads what `course grade` wrote into its output folder, the same verdicts grades.csv comes from, flagged or not:

- the state files ``OUT/.course-grade/<assignment>/<student>.json``: each test cell's score and points;
- the autograded notebooks ``OUT/autograded/<student>/<assignment>/*.ipynb``: a failing test cell's whole error
  message. `course_lib.grading` ends the message of a wrong answer that equals a known wrong answer with the
  sentence ``This matches a known mistake: <explanation>.``; that sentence is what is counted here.

A wrong part falls in exactly one bucket: a known mistake (by name), *not attempted* (the stub's
``NotImplementedError`` is still there), or *no known mistake*. Written answers (graded by hand) are left out.

`write_report(out, ids)` writes ``OUT/mistakes.csv`` and ``OUT/mistakes.html`` (bar charts as inline SVG, no
scripts) and returns the short table for the terminal.
"""
import csv
import html
import io
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

KNOWN = re.compile(r"This matches a known mistake: (.+?)\.?\s*$", re.MULTILINE)
STATE = ".course-grade"
RIGHT, NOT_ATTEMPTED, UNKNOWN = "right", "not attempted", "no known mistake"
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


@dataclass
class Part:
    """One graded test cell of an assignment, summed over the class."""

    name: str
    points: float
    right: int = 0
    not_attempted: int = 0
    known: Counter = field(default_factory=Counter)  # explanation -> students
    unknown: Counter = field(default_factory=Counter)  # first line of the message -> students

    @property
    def students(self):
        return self.right + self.not_attempted + sum(self.known.values()) + sum(self.unknown.values())

    def outcomes(self):
        """[(outcome, students, example)] in the order the report shows them."""
        rows = [(RIGHT, self.right, "")]
        rows += [(f"known mistake: {name}", n, "") for name, n in self.known.most_common()]
        example = self.unknown.most_common(1)[0][0] if self.unknown else ""
        rows.append((UNKNOWN, sum(self.unknown.values()), example))
        rows.append((NOT_ATTEMPTED, self.not_attempted, ""))
        return rows


@dataclass
class Assignment:
    name: str
    parts: dict = field(default_factory=dict)  # name -> Part, in notebook order
    scores: list = field(default_factory=list)  # (student, score)
    max_score: float = 0.0
    flagged: int = 0

    def distribution(self):
        """[(label, students)]: one bar per score when scores are whole points out of at most 20, else ten
        equal bins (the last one includes full marks)."""
        top = self.max_score
        if top <= 0:
            return []
        if top <= 20 and float(top).is_integer() and all(float(s).is_integer() for _, s in self.scores):
            return [(f"{k}", sum(1 for _, s in self.scores if s == k)) for k in range(int(top) + 1)]
        bins = []
        for i in range(10):
            low, high = top * i / 10, top * (i + 1) / 10
            n = sum(1 for _, s in self.scores if low <= s < high or (i == 9 and s >= high))
            bins.append((f"{low:g}-{high:g}", n))
        return bins


def _first_line(text):
    lines = [line.strip() for line in _ANSI.sub("", text).splitlines() if line.strip()]
    return lines[0][:200] if lines else ""


def _errors(notebook_path):
    """{grade_id: full error text} for the failing cells of an autograded notebook (empty if unreadable)."""
    try:
        nb = json.loads(Path(notebook_path).read_text())
    except (OSError, ValueError):
        return {}
    found = {}
    for cell in nb.get("cells", []):
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        for output in cell.get("outputs", []):
            if grade_id and output.get("output_type") == "error":
                found[grade_id] = f"{output.get('ename', '')}: {output.get('evalue', '')}"
                break
    return found


def classify(message):
    """(bucket, detail) of a wrong part's message: ("known", explanation), (NOT_ATTEMPTED, "") or (UNKNOWN, the
    message's first line)."""
    match = KNOWN.search(message)
    if match:
        return "known", match.group(1).strip()
    if message.startswith("NotImplementedError"):
        return NOT_ATTEMPTED, ""
    return UNKNOWN, _first_line(message) or "(no message)"


def analyse(out, assignment):
    """The `Assignment` summary for `assignment` from what `course grade` wrote into `out`."""
    out = Path(out)
    summary = Assignment(assignment)
    states = sorted((out / STATE / assignment).glob("*.json"))
    for path in states:
        try:
            result = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        student = result.get("student", path.stem)
        tests = [r for r in result.get("cells", []) if r.get("kind") == "test"]
        notebooks = {r["notebook"] for r in tests}
        errors = {}
        for notebook in notebooks:
            errors[notebook] = _errors(out / "autograded" / student / assignment / f"{notebook}.ipynb")
        summary.scores.append((student, float(result.get("score") or 0.0)))
        summary.max_score = max(summary.max_score, float(result.get("max_score") or 0.0))
        summary.flagged += bool(result.get("flags"))
        for row in tests:
            name = row["cell"] if len(notebooks) == 1 else f"{row['notebook']}:{row['cell']}"
            part = summary.parts.setdefault(name, Part(name, float(row["max_score"])))
            if row["score"] is not None and row["score"] >= row["max_score"]:
                part.right += 1
                continue
            message = errors[row["notebook"]].get(row["cell"]) or row.get("message") or ""
            bucket, detail = classify(message)
            if bucket == "known":
                part.known[detail] += 1
            elif bucket == NOT_ATTEMPTED:
                part.not_attempted += 1
            else:
                part.unknown[detail] += 1
    return summary


def assignments_graded(out):
    folder = Path(out) / STATE
    return sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []


def csv_text(summaries):
    """mistakes.csv: one row per (assignment, part, outcome), then the score distribution (part ``(score)``)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["assignment", "part", "points", "outcome", "students", "of", "example"])
    for a in summaries:
        for part in a.parts.values():
            for outcome, n, example in part.outcomes():
                writer.writerow([a.name, part.name, f"{part.points:g}", outcome, n, part.students, example])
        for label, n in a.distribution():
            writer.writerow([a.name, "(score)", f"{a.max_score:g}", label, n, len(a.scores), ""])
    return buffer.getvalue()


def table(summaries):
    """The short table for the terminal: per part, right answers and the two most common mistakes."""
    lines = []
    for a in summaries:
        lines.append(f"{a.name}: {len(a.scores)} student(s), {a.flagged} flagged (counted all the same)")
        width = max([len("part")] + [len(p) for p in a.parts])
        lines.append(f"  {'part':{width}}  {'right':>7}  most common mistakes")
        for part in a.parts.values():
            wrong = [(o, n) for o, n, _ in part.outcomes()[1:] if n]
            wrong.sort(key=lambda item: -item[1])
            shown = "; ".join(f"{o.replace('known mistake: ', '')} ({n})" for o, n in wrong[:2]) or "-"
            lines.append(f"  {part.name:{width}}  {part.right:>3}/{part.students:<3}  {shown}")
        counts = " ".join(f"{label}:{n}" for label, n in a.distribution())
        lines.append(f"  scores (of {a.max_score:g}): {counts}")
    return "\n".join(lines)


_STYLE = """body{font-family:sans-serif;max-width:62em;margin:2em auto;line-height:1.4}
h2{border-bottom:1px solid #ccc}.part{margin:1.4em 0}.example{color:#555;font-size:small}
svg text{font-family:sans-serif;font-size:12px}"""
_COLOURS = {RIGHT: "#3a7d44", UNKNOWN: "#c0392b", NOT_ATTEMPTED: "#999999"}


def _bars(rows, total):
    """An inline SVG horizontal bar chart of [(label, count, colour)]."""
    label_width, bar_width, height = 300, 360, 20
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{label_width + bar_width + 60}" '
             f'height="{height * len(rows) + 4}" role="img">']
    for i, (label, n, colour) in enumerate(rows):
        y = i * height + 2
        width = 0 if not total else bar_width * n / total
        parts.append(f'<text x="{label_width - 6}" y="{y + 14}" text-anchor="end">{html.escape(label[:48])}</text>'
                     f'<rect x="{label_width}" y="{y + 2}" width="{width:.1f}" height="{height - 5}" '
                     f'fill="{colour}"><title>{html.escape(label)}: {n}</title></rect>'
                     f'<text x="{label_width + width + 4:.1f}" y="{y + 14}">{n}</text>')
    parts.append("</svg>")
    return "".join(parts)


def html_text(summaries):
    """mistakes.html: per assignment, a bar chart per part and one of the scores."""
    page = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>What the class got wrong</title>"
            f"<style>{_STYLE}</style></head><body><h1>What the class got wrong</h1>"]
    for a in summaries:
        page.append(f"<h2>{html.escape(a.name)}</h2><p>{len(a.scores)} student(s), {a.flagged} of them flagged "
                    "for review (their answers are counted all the same).</p>")
        for part in a.parts.values():
            rows = [(o, n, _COLOURS.get(o, "#e67e22")) for o, n, _ in part.outcomes()]
            page.append(f'<div class="part"><h3>{html.escape(part.name)} ({part.points:g} points): '
                        f"{part.right} of {part.students} right</h3>{_bars(rows, part.students)}")
            if part.unknown:
                example, n = part.unknown.most_common(1)[0]
                page.append(f'<p class="example">No known mistake, most common message ({n} of '
                            f"{sum(part.unknown.values())}): <code>{html.escape(example)}</code></p>")
            page.append("</div>")
        dist = a.distribution()
        page.append(f"<h3>Scores (of {a.max_score:g} points)</h3>"
                    + _bars([(label, n, "#2c6fbb") for label, n in dist], len(a.scores)))
    page.append("</body></html>\n")
    return "\n".join(page)


def write_report(out, ids=None):
    """Write OUT/mistakes.csv and OUT/mistakes.html for `ids` (default: every assignment graded into `out`);
    return (summaries, the terminal table)."""
    out = Path(out)
    chosen = list(ids) if ids is not None else assignments_graded(out)
    summaries = [analyse(out, aid) for aid in chosen]
    summaries = [s for s in summaries if s.scores]
    (out / "mistakes.csv").write_text(csv_text(summaries))
    (out / "mistakes.html").write_text(html_text(summaries))
    return summaries, table(summaries)
