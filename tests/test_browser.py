"""What a student sees in a real browser: JupyterLab from `course lab`, driven by headless Chromium through Playwright.

1. A lecture notebook runs from the Run menu, its EMA explorer appears without a widget error, and moving the β
   slider (a mouse drag, then an arrow key) changes the picture on the explorer's canvas and the explorer's status line.
2. nbgrader's Validate button on an untouched released assignment opens the validation dialog, which lists the
   failing cells (the stubs raise NotImplementedError).
3. Every explorer of `course_lib.widgets`, made under ``%matplotlib inline`` (they make their own live canvas),
   fits a 1280x800 window with JupyterLab's file browser open: nothing sticks out of the notebook's output area or
   scrolls sideways, no two pieces of control text overlap, the picture overlaps no control, and it is drawn.

The server serves a scratch copy of the notebooks: JupyterLab saves notebooks (autosave, and Validate saves before
it validates), and the committed notebooks must stay without outputs.

Needs Debian's Chromium at /usr/bin/chromium (`apt-get install chromium`; `.ci/run` installs it) and the `playwright`
Python package (in the `test` extra). Playwright's own browser download (`playwright install`) is never used.
Screenshots land in the test's tmp_path, for a look when something fails.
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.request

import nbformat
import pytest

from conftest import BIN, ROOT

from course_lib.widgets.ema import QUESTION as EMA_QUESTION

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM = "/usr/bin/chromium"
# Headless, and nothing that reaches for the network: this machine refuses every connection but loopback.
# --no-sandbox because CI runs as root, where Chromium's sandbox cannot start.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
LECTURE = "notebooks/04_moving_averages_and_momentum.ipynb"
EXPLORERS = "explorers_at_1280.ipynb"  # written by _scratch_course: every explorer with its defaults
EXPLORER_NAMES = ("graph_viewer", "activation_explorer", "step_size_explorer", "ema_explorer", "optimizer_race",
                  "schedule_explorer", "init_explorer", "batchnorm_explorer", "dropout_explorer",
                  "training_playground")
ASSIGNMENT = "assignments/01_computation_graphs/01_computation_graphs.ipynb"

SERVER_START_SECONDS = 180   # JupyterLab imports nbgrader's extensions: 10-20 s on a busy two-core machine
RUN_ALL_SECONDS = 300        # the lecture notebook takes ~15 s in a warm kernel; Numba compiles on a cold cache
KERNEL_START_SECONDS = 180   # a kernel starts in a few seconds, much longer while the whole suite runs
UI_SECONDS = 60              # anything the page should do in about a second


def _browser_or_skip():
    """Playwright's sync API; skips (with the reason) only where no browser can be had."""
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="the playwright package is not installed (pip install -e '.[test]')")
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"no Chromium at {CHROMIUM}: install Debian's package (apt-get install chromium; .ci/run "
                    "does this as root)")
    return sync_api


# --- the server ------------------------------------------------------------------------------------------------


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _scratch_course(folder):
    """Copy what the tests open (and nbgrader's config) into `folder`, the root the server serves."""
    for relative in (LECTURE, ASSIGNMENT, "nbgrader_config.py"):
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / relative, target)
    cells = [nbformat.v4.new_code_cell("%matplotlib inline\nfrom course_lib import widgets")]
    cells += [nbformat.v4.new_code_cell(f"widgets.{name}()") for name in EXPLORER_NAMES]
    metadata = nbformat.read(ROOT / LECTURE, as_version=4).metadata  # its kernelspec: no kernel-choice dialog
    nbformat.write(nbformat.v4.new_notebook(cells=cells, metadata=metadata), folder / EXPLORERS)


def _lab_environment(home):
    """The server's environment: fresh JupyterLab settings and workspaces, and no news or update checks (they
    would pop up a notification over the notebook and try to reach the internet)."""
    settings = home / "lab-settings"
    (settings / "@jupyterlab" / "apputils-extension").mkdir(parents=True)
    (settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    env = dict(os.environ)
    env.pop("MPLBACKEND", None)  # conftest sets Agg for the other tests; the notebooks choose their own backend
    env.update(JUPYTERLAB_SETTINGS_DIR=str(settings), JUPYTERLAB_WORKSPACES_DIR=str(home / "lab-workspaces"),
               JUPYTER_CONFIG_DIR=str(home / "jupyter-config"), JUPYTER_RUNTIME_DIR=str(home / "jupyter-runtime"),
               IPYTHONDIR=str(home / "ipython"))
    return env


def _stop(proc):
    """Stop the server and everything it started in its process group; kernels (own sessions) are shut down by
    the server on SIGTERM and exit by themselves when their parent dies."""
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """`course lab --no-browser --port P` on a scratch copy of the course; yields (base_url, token)."""
    _browser_or_skip()  # no server for a test that cannot run
    home = tmp_path_factory.mktemp("lab")
    root = home / "course"
    _scratch_course(root)
    log_path = home / "server.log"
    port = _free_port()
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [str(BIN / "course"), "lab", "--root", str(root), "--no-browser", "--port", str(port)],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=_lab_environment(home),
            start_new_session=True,  # its own process group, so that killpg reaches JupyterLab too
        )
    try:
        token = _wait_until_serving(proc, port, log_path)
        yield f"http://127.0.0.1:{port}", token
    finally:
        _stop(proc)


def _wait_until_serving(proc, port, log_path):
    """The token from the printed `Open:` URL, once /api/status answers 200."""
    deadline = time.monotonic() + SERVER_START_SECONDS
    token = None
    while time.monotonic() < deadline and proc.poll() is None:
        if token is None:
            match = re.search(rf"Open: http://127\.0\.0\.1:{port}/lab\?token=(\w+)", log_path.read_text())
            token = match and match.group(1)
        if token is not None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token={token}", timeout=5) as r:
                    if r.status == 200:
                        return token
            except OSError:
                pass
        time.sleep(0.25)
    state = "exited" if proc.poll() is not None else f"did not answer within {SERVER_START_SECONDS} s"
    pytest.fail(f"course lab {state}; its output:\n{log_path.read_text()[-4000:]}")


# --- the browser -----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """Headless Chromium (Debian's) with a fresh profile."""
    sync_api = _browser_or_skip()
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True,
            viewport={"width": 1400, "height": 1000})
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def page(browser):
    page = browser.new_page()
    page.set_default_timeout(UI_SECONDS * 1000)
    try:
        yield page
    finally:
        page.close()


@pytest.fixture
def page_errors(page):
    """The uncaught JavaScript exceptions of `page` (JupyterLab's or a widget's), as they happen."""
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


def _open(page, lab, path, workspace):
    """Open a notebook in its own JupyterLab workspace (so no tab of another test is restored beside it) and wait
    until its kernel has started and is idle."""
    base, token = lab
    page.goto(f"{base}/lab/workspaces/{workspace}/tree/{path}?token={token}")
    page.locator(".jp-NotebookPanel .jp-Cell").first.wait_for()
    _wait_for_idle_kernel(page)


def _wait_for_idle_kernel(page, timeout=KERNEL_START_SECONDS):
    # The status bar reads "Python 3 (ipykernel) | Idle" once the kernel is connected and has nothing to do.
    page.locator(".jp-StatusBar-TextItem", has_text=re.compile(r"Python 3.*\| Idle")).wait_for(
        timeout=timeout * 1000)


def _screenshot(locator, path):
    locator.screenshot(path=str(path))
    return path


# --- the lecture notebook's explorer ---------------------------------------------------------------------------

# Every code cell in the notebook shows "[n]:" once its execution has finished (and "[*]:" while it waits or runs).
_ALL_CELLS_RAN = """n => {
    const prompts = [...document.querySelectorAll('.jp-NotebookPanel .jp-CodeCell .jp-InputPrompt')];
    return prompts.length === n && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
}"""

# The explorer's picture: the browser-side canvas (course_lib/widgets/_canvas.js), or ipympl's where anywidget is
# missing (or COURSE_EXPLORER_CANVAS=ipympl).
PICTURE_CANVAS = ".course-live-canvas canvas, .jupyter-matplotlib-canvas-div canvas"

# The picture's canvas holds a drawn figure once it has pixels that are not all the same colour.
_CANVAS_DRAWN = """canvas => {
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    for (let i = 4; i < data.length; i += 4)
        if (data[i] !== data[0] || data[i + 1] !== data[1] || data[i + 2] !== data[2]) return true;
    return false;
}"""


def _run_all_cells(page, n_code_cells):
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name=re.compile(r"^Run All Cells")).click()
    page.wait_for_function(_ALL_CELLS_RAN, arg=n_code_cells, timeout=RUN_ALL_SECONDS * 1000)
    _wait_for_idle_kernel(page)


def _assert_no_widget_or_stderr_errors(page, page_errors):
    assert page.get_by_text("Error displaying widget").count() == 0
    stderr = page.locator('.jp-NotebookPanel .jp-RenderedText[data-mime-type="application/vnd.jupyter.stderr"]')
    assert stderr.count() == 0, "a cell wrote to stderr or raised:\n" + "\n---\n".join(stderr.all_inner_texts())
    assert page_errors == []


def _status_text(explorer):
    # The explorer is a VBox: question, (controls | figure), status line. The status is its last HTML widget.
    return explorer.locator(":scope > .widget-html .widget-html-content").last.inner_text()


def _window_text(beta):
    """The status line's words for the averaging window 1 / (1 - beta) of the lecture."""
    return f"window 1/(1−β) = {1 / (1 - beta):g} steps"


def test_dragging_the_ema_explorers_beta_slider_redraws_the_plot_in_jupyterlab(lab, page, page_errors, tmp_path):
    n_code_cells = sum(cell.cell_type == "code" for cell in nbformat.read(ROOT / LECTURE, as_version=4).cells)
    _open(page, lab, LECTURE, "explorer")
    _run_all_cells(page, n_code_cells)
    _assert_no_widget_or_stderr_errors(page, page_errors)

    output = page.locator(".jp-OutputArea-output", has_text=EMA_QUESTION)
    explorer = output.locator(".widget-vbox", has_text=EMA_QUESTION).first
    explorer.scroll_into_view_if_needed()
    slider = explorer.locator(".widget-slider")
    handle = slider.locator(".noUi-handle")
    readout = slider.locator(".widget-readout")
    canvas = explorer.locator(PICTURE_CANVAS).first
    canvas.wait_for()
    page.wait_for_function(_CANVAS_DRAWN, arg=canvas.element_handle())

    # The notebook starts the explorer at beta = .98: a 50-step window.
    assert readout.inner_text() == "0.98"
    assert _window_text(0.98) in _status_text(explorer)
    before = canvas.evaluate("c => c.toDataURL()")
    _screenshot(explorer, tmp_path / "ema_explorer_beta_0.98.png")

    # Drag the handle with the mouse past the left end of the track: the slider stops at its smallest beta, .5.
    box, track = handle.bounding_box(), slider.locator(".noUi-base").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(track["x"] - 30, y, steps=12)
    page.mouse.up()
    readout.filter(has_text=re.compile(r"^0\.5$")).wait_for()
    explorer.locator(".widget-html-content", has_text=_window_text(0.5)).wait_for()
    page.wait_for_function("([c, old]) => c.toDataURL() !== old", arg=[canvas.element_handle(), before])
    after_drag = canvas.evaluate("c => c.toDataURL()")
    _screenshot(explorer, tmp_path / "ema_explorer_beta_0.5.png")

    # One arrow key on the focused handle moves to the next stop, .6 (window 2.5), and redraws again.
    handle.focus()
    page.keyboard.press("ArrowRight")
    readout.filter(has_text=re.compile(r"^0\.6$")).wait_for()
    explorer.locator(".widget-html-content", has_text=_window_text(0.6)).wait_for()
    page.wait_for_function("([c, old]) => c.toDataURL() !== old", arg=[canvas.element_handle(), after_drag])
    _screenshot(explorer, tmp_path / "ema_explorer_beta_0.6.png")

    assert "Error" not in _status_text(explorer)
    _assert_no_widget_or_stderr_errors(page, page_errors)


# --- nbgrader's Validate button --------------------------------------------------------------------------------


def test_validate_button_reports_the_failing_cells_of_an_untouched_release(lab, page, page_errors, tmp_path):
    _open(page, lab, ASSIGNMENT, "validate")
    page.locator(".jp-NotebookPanel-toolbar .validate-button:visible").click()
    dialog = page.locator(".jp-Dialog", has_text="Validation Results")
    # nbgrader runs the whole notebook on the server before it answers: ~10 s, more on a busy machine.
    dialog.wait_for(timeout=RUN_ALL_SECONDS * 1000)
    _screenshot(dialog.locator(".jp-Dialog-content"), tmp_path / "validation_dialog.png")

    body = dialog.locator(".validation-failed")
    assert body.count() == 1, "the dialog does not report failing cells:\n" + dialog.inner_text()
    text = body.inner_text()
    assert "The following cell failed:" in text
    assert "NotImplementedError" in text
    assert "Success!" not in text

    dialog.get_by_role("button", name=re.compile("^ok$", re.IGNORECASE)).click()
    dialog.wait_for(state="detached")
    assert page_errors == []


# --- every explorer fits a laptop ------------------------------------------------------------------------------

# For one explorer (the VBox under an output): what sticks out or scrolls sideways, and which texts overlap.
_FIT_PROBLEMS = """e => {
    const problems = [];
    const area = e.closest('.jp-OutputArea-output').getBoundingClientRect();
    const box = r => ({l: r.left, r: r.right, t: r.top, b: r.bottom, w: r.width, h: r.height});
    const all = [e, ...e.querySelectorAll('*')];
    for (const el of all) {
        const r = el.getBoundingClientRect();
        if (r.width === 0 || r.height === 0 || getComputedStyle(el).visibility === 'hidden') continue;
        if (r.right > area.right + 0.5 || r.left < area.left - 0.5)
            problems.push(`${el.className || el.tagName} spans x ${r.left.toFixed(0)}..${r.right.toFixed(0)}, ` +
                          `the output area ${area.left.toFixed(0)}..${area.right.toFixed(0)}`);
        if (el.scrollWidth > el.clientWidth + 1 && ['auto', 'scroll'].includes(getComputedStyle(el).overflowX))
            problems.push(`${el.className || el.tagName} scrolls sideways (${el.scrollWidth} > ${el.clientWidth})`);
    }
    // Control text: every label, readout, option and button text of a visible control, and the picture.
    const texts = [...e.querySelectorAll('.widget-label, .widget-readout, .widget-dropdown select, ' +
                                         '.widget-toggle-button, .widget-checkbox label, .widget-select select')]
        .filter(el => el.getBoundingClientRect().width > 0 && el.offsetParent !== null);
    const picture = e.querySelector('.course-live-canvas, .jupyter-matplotlib-canvas-div');
    const boxes = texts.map(el => [el.textContent.trim() || el.className, box(el.getBoundingClientRect())]);
    if (picture) boxes.push(['the picture', box(picture.getBoundingClientRect())]);
    const overlap = (a, b) => Math.min(a.r, b.r) - Math.max(a.l, b.l) > 1 && Math.min(a.b, b.b) - Math.max(a.t, b.t) > 1;
    for (let i = 0; i < boxes.length; i++)
        for (let j = i + 1; j < boxes.length; j++) {
            const [a, ra] = boxes[i], [b, rb] = boxes[j];
            const inside = (p, q) => p.l >= q.l && p.r <= q.r && p.t >= q.t && p.b <= q.b;  // nested elements
            if (overlap(ra, rb) && !inside(ra, rb) && !inside(rb, ra)) problems.push(`"${a}" overlaps "${b}"`);
        }
    if (!picture) problems.push('no picture');
    return problems;
}"""


def test_every_explorer_fits_1280x800_with_the_file_browser_open(lab, page, page_errors, tmp_path):
    page.set_viewport_size({"width": 1280, "height": 800})
    _open(page, lab, EXPLORERS, "fit")
    assert page.locator(".jp-FileBrowser").is_visible(), "the file browser should be open beside the notebook"
    _run_all_cells(page, 1 + len(EXPLORER_NAMES))
    _assert_no_widget_or_stderr_errors(page, page_errors)

    explorers = page.locator(".jp-OutputArea-output > .widget-vbox.course-explorer")
    assert explorers.count() == len(EXPLORER_NAMES)
    problems = {}
    for name, k in zip(EXPLORER_NAMES, range(explorers.count())):
        explorer = explorers.nth(k)
        explorer.scroll_into_view_if_needed()
        canvas = explorer.locator(PICTURE_CANVAS).first
        canvas.wait_for()
        page.wait_for_function(_CANVAS_DRAWN, arg=canvas.element_handle())
        _screenshot(explorer, tmp_path / f"{name}.png")
        found = explorer.evaluate(_FIT_PROBLEMS)
        if found:
            problems[name] = found
    assert not problems, "explorers that do not fit 1280x800 (screenshots in " + str(tmp_path) + "):\n" + \
        "\n".join(f"{name}: " + "; ".join(p[:4]) for name, p in problems.items())
