"""What `course grade` hands out: each student's feedback page, the class's grades.csv and the summary table.

grades.csv has one row per (student, assignment):

- ``score`` / ``max_score``: points of the autograded test cells (manually graded answers are not included: grade
  them in nbgrader's formgrader, which reads the same gradebook);
- ``parts``: each test cell as ``grade_id=score/points``, in notebook order (``notebook:grade_id`` when an assignment
  has several notebooks);
- ``status``: ``graded``; ``partial`` (some cells timed out or killed the kernel: graded as far as possible);
  ``invalid`` (not a notebook); ``missing`` (a notebook of the assignment was not handed in); ``timeout`` (the whole
  submission hit its wall-clock limit: the parts graded before are kept); ``error`` (the grader itself failed);
- ``flags``: what the integrity scan, the guard and the repairs found, joined by `` | `` (empty: nothing);
  a flagged submission is scored all the same and listed for manual review;
- ``reason``: why the status is not ``graded``.
"""
import csv
import html
import io
import re

COLUMNS = ["student", "assignment", "score", "max_score", "parts", "status", "flags", "reason"]


def _points(value):
    return "-" if value is None else f"{value:g}"


def parts(result):
    """'cell=score/points; ...' for the test cells of one result."""
    notebooks = {row["notebook"] for row in result["cells"]}
    shown = []
    for row in result["cells"]:
        if row["kind"] != "test":
            continue
        name = row["cell"] if len(notebooks) == 1 else f"{row['notebook']}:{row['cell']}"
        shown.append(f"{name}={_points(row['score'])}/{_points(row['max_score'])}")
    return "; ".join(shown)


def csv_text(results):
    """grades.csv for `results` (sorted by assignment, then student)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, COLUMNS, lineterminator="\n")
    writer.writeheader()
    for result in sorted(results, key=lambda r: (r["assignment"], r["student"])):
        writer.writerow({"student": result["student"], "assignment": result["assignment"],
                         "score": _points(result["score"]), "max_score": _points(result["max_score"]),
                         "parts": parts(result), "status": result["status"],
                         "flags": " | ".join(result["flags"]), "reason": "; ".join(result["reasons"])})
    return out.getvalue()


def summary(results, regraded, unchanged):
    """The table `course grade` prints, then the submissions to review by hand."""
    rows = sorted(results, key=lambda r: (r["assignment"], r["student"]))
    if not rows:
        return "no submissions found"
    width_a = max(len("assignment"), *(len(r["assignment"]) for r in rows))
    width_s = max(len("student"), *(len(r["student"]) for r in rows))
    lines = [f"{'assignment':{width_a}}  {'student':{width_s}}  {'score':>11}  {'status':8}  flags"]
    for r in rows:
        score = f"{_points(r['score'])} / {_points(r['max_score'])}"
        lines.append(f"{r['assignment']:{width_a}}  {r['student']:{width_s}}  {score:>11}  {r['status']:8}  "
                     f"{len(r['flags']) or ''}".rstrip())
    flagged = [r for r in rows if r["flags"]]
    trouble = [r for r in rows if r["status"] != "graded"]
    lines.append("")
    lines.append(f"{len(rows)} submission(s): {regraded} graded now, {unchanged} unchanged since the last run; "
                 f"{len(flagged)} flagged for review, {len(trouble)} not fully graded")
    for r in trouble:
        lines.append(f"  {r['status']}: {r['assignment']}/{r['student']}: {'; '.join(r['reasons'])}")
    if flagged:
        lines.append("Review by hand (scores stand until you change them):")
        for r in flagged:
            lines.append(f"  {r['assignment']}/{r['student']}:")
            lines += [f"    {flag}" for flag in r["flags"]]
    return "\n".join(lines)


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_STYLE = """body{font-family:sans-serif;max-width:60em;margin:2em auto;line-height:1.45}
table{border-collapse:collapse}td,th{border:1px solid #bbb;padding:.2em .6em;text-align:left}
pre{background:#f6f6f6;padding:.6em;overflow-x:auto;white-space:pre-wrap}
pre.out{background:#fff;border-left:3px solid #ccc}pre.err{background:#fff0f0;border-left:3px solid #c00}
.cell{margin:1.2em 0}.id{color:#777;font-size:small}"""


def _output_html(output):
    kind = output.get("output_type")
    if kind == "stream":
        return f'<pre class="out">{html.escape(output.get("text", ""))}</pre>'
    if kind == "error":
        trace = _ANSI.sub("", "\n".join(output.get("traceback", [])) or f"{output.get('ename')}: "
                                                                        f"{output.get('evalue')}")
        return f'<pre class="err">{html.escape(trace)}</pre>'
    data = output.get("data", {})
    for mime in ("image/png", "image/jpeg"):
        if mime in data:
            return f'<img src="data:{mime};base64,{str(data[mime]).strip()}" alt="figure">'
    if "text/plain" in data:
        return f'<pre class="out">{html.escape(str(data["text/plain"]))}</pre>'
    return ""


def feedback_html(nb, job, rows):
    """The student's feedback page: a score table, then the graded notebook with its outputs and hidden tests.

    A plain page made here (markdown through mistune, code and outputs as preformatted text, figures inline)
    rather than with nbconvert's exporter, which costs seconds per student."""
    import mistune

    tests = [r for r in rows if r["kind"] == "test"]
    total = sum(r["score"] or 0.0 for r in tests)
    points = sum(r["max_score"] for r in tests)
    title = f"Feedback: {html.escape(job['assignment'])}, {html.escape(job['student'])}"
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title><style>{_STYLE}</style>"
             f"</head><body><h1>{title}</h1>",
             f"<p><strong>Autograded score: {total:g} / {points:g}</strong> (written answers are graded by hand)."
             "</p><table><tr><th>part</th><th>score</th><th>message</th></tr>"]
    for r in rows:
        score = "graded by hand" if r["score"] is None else f"{_points(r['score'])} / {_points(r['max_score'])}"
        parts.append(f"<tr><td>{html.escape(r['cell'])}</td><td>{score}</td>"
                     f"<td>{html.escape(r['message'])}</td></tr>")
    parts.append("</table>")
    for cell in nb.cells:
        label = cell.metadata.get("nbgrader", {}).get("grade_id")
        parts.append('<div class="cell">' + (f'<div class="id">{html.escape(label)}</div>' if label else ""))
        if cell.cell_type == "markdown":
            parts.append(mistune.html(cell.source))
        else:
            parts.append(f"<pre>{html.escape(cell.source)}</pre>")
            parts += [_output_html(o) for o in cell.get("outputs", [])]
        parts.append("</div>")
    parts.append("</body></html>\n")
    return "\n".join(parts)
