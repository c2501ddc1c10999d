"""Row 5: what a student feels — slider input to new pixels, in JupyterLab in headless Chromium.

`course lab` serves a scratch folder with one notebook per lecture notebook that has explorers: the lecture's first
code cell (its imports and setup, unchanged) followed by its explorer cells, unchanged. Chromium (Debian's,
driven by Playwright; never Playwright's own download) opens each one in a 1280x800 window with the file browser
open, runs it, and for every explorer and every enabled slider makes `moves` keyboard moves (arrow key on the
focused handle, alternately right and left) and `moves` mouse moves (a click on the slider's track, alternately at
30% and 70%). A move is timed in the page itself: from the input event's timestamp (`event.timeStamp` of the
keydown or pointerdown, captured on the document) to the first animation frame at which the explorer's picture
differs from before the move (every pixel of every canvas compared, or a new, decoded image). Then one drag of the
handle over 20 mouse steps: `drag_settle` is the time from releasing the button to the last change of the picture
(stable for a second), which shows whether updates queue behind the hand.

Reported per explorer: median and p95 of keyboard, mouse and both together, the number of moves without a change
within `MOVE_TIMEOUT_S` (counted, and left out of the percentiles: they are reported, not hidden), and whether the
explorer fits: its width against the notebook's, and any text overlap is the job of tests/test_browser.py.

    python -m benchmarks --only browser     # (make bench runs it with the other rows)
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "available", "lab_server", "chromium", "run", "EXPLORER_CALLS"]

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 800}
EXPLORER_CALLS = ("graph_viewer(", "activation_explorer(", "step_size_explorer(", "ema_explorer(",
                  "optimizer_race(", "schedule_explorer(", "init_explorer(", "batchnorm_explorer(",
                  "dropout_explorer(", "training_playground(")
GOAL_P95_S = 0.100
MOVE_TIMEOUT_S = 5.0
SERVER_START_S = 180
RUN_S = 600


def available():
    """None if the row can run, else why not."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[test]')"
    if not os.access(CHROMIUM, os.X_OK):
        return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    return None


# --- the server -------------------------------------------------------------------------------------------------


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def lab_environment(home, canvas=None):
    """Fresh JupyterLab settings and workspaces, no news or update checks (they pop up over the notebook).
    `canvas` ("browser" or "ipympl") sets COURSE_EXPLORER_CANVAS for the kernels (see course_lib.widgets)."""
    home = Path(home)
    settings = home / "lab-settings"
    (settings / "@jupyterlab" / "apputils-extension").mkdir(parents=True, exist_ok=True)
    (settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    env = dict(os.environ)
    env.pop("MPLBACKEND", None)  # the notebooks choose their own backend
    if canvas:
        env["COURSE_EXPLORER_CANVAS"] = canvas
    env.update(JUPYTERLAB_SETTINGS_DIR=str(settings), JUPYTERLAB_WORKSPACES_DIR=str(home / "lab-workspaces"),
               JUPYTER_CONFIG_DIR=str(home / "jupyter-config"), JUPYTER_RUNTIME_DIR=str(home / "jupyter-runtime"),
               IPYTHONDIR=str(home / "ipython"))
    return env


class lab_server:
    """`course lab --no-browser` on `root` as a context manager; `.url` and `.token` while it runs."""

    def __init__(self, root, home, canvas=None):
        self.root, self.home, self.canvas = Path(root), Path(home), canvas

    def __enter__(self):
        port = _free_port()
        self.log_path = self.home / "server.log"
        course = Path(sys.executable).with_name("course")
        command = [str(course)] if course.exists() else [sys.executable, "-m", "course_lib.cli"]
        with open(self.log_path, "w") as log:
            self.proc = subprocess.Popen(
                command + ["lab", "--root", str(self.root), "--no-browser", "--port", str(port)],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env=lab_environment(self.home, self.canvas),
                start_new_session=True)
        self.url = f"http://127.0.0.1:{port}"
        deadline, self.token = time.monotonic() + SERVER_START_S, None
        while time.monotonic() < deadline and self.proc.poll() is None:
            if self.token is None:
                m = re.search(rf"Open: http://127\.0\.0\.1:{port}/lab\?token=(\w+)", self.log_path.read_text())
                self.token = m and m.group(1)
            if self.token:
                try:
                    with urllib.request.urlopen(f"{self.url}/api/status?token={self.token}", timeout=5) as r:
                        if r.status == 200:
                            return self
                except OSError:
                    pass
            time.sleep(0.25)
        self.__exit__(None, None, None)
        raise RuntimeError(f"course lab did not start; its output:\n{self.log_path.read_text()[-3000:]}")

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=30)


class chromium:
    """Headless Debian Chromium through Playwright, a fresh profile; `.context` while it runs."""

    def __init__(self, profile, viewport=VIEWPORT):
        self.profile, self.viewport = str(profile), viewport

    def __enter__(self):
        from playwright.sync_api import sync_playwright

        self._pw = sync_playwright().start()
        self.context = self._pw.chromium.launch_persistent_context(
            self.profile, executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True, viewport=self.viewport)
        return self

    def __exit__(self, *exc):
        self.context.close()
        self._pw.stop()


# --- notebooks --------------------------------------------------------------------------------------------------


def explorer_notebooks(folder, notebooks=None):
    """Write, into `folder`, per lecture notebook with explorers: its first code cell and its explorer cells.
    [(relative path, number of code cells)]."""
    import nbformat

    out = []
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        if notebooks and not any(n in path.name for n in notebooks):
            continue
        nb = nbformat.read(path, as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        calls = [c for c in code[1:] if any(call in c.source for call in EXPLORER_CALLS)]
        if not calls:
            continue
        cells = [nbformat.v4.new_code_cell(c.source) for c in [code[0]] + calls]
        target = Path(folder) / path.name
        nbformat.write(nbformat.v4.new_notebook(cells=cells, metadata=nb.metadata), target)
        out.append((path.name, len(cells)))
    return out


def open_notebook(page, server, path, workspace):
    page.goto(f"{server.url}/lab/workspaces/{workspace}/tree/{path}?token={server.token}")
    page.locator(".jp-NotebookPanel .jp-Cell").first.wait_for()
    wait_for_idle_kernel(page)


def wait_for_idle_kernel(page, timeout_s=SERVER_START_S):
    page.locator(".jp-StatusBar-TextItem", has_text=re.compile(r"Python 3.*\| Idle")).wait_for(
        timeout=timeout_s * 1000)


_ALL_CELLS_RAN = """n => {
    const prompts = [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt')];
    return prompts.length === n && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
}"""


def run_all(page, n_code_cells):
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name=re.compile(r"^Run All Cells")).click()
    page.wait_for_function(_ALL_CELLS_RAN, arg=n_code_cells, timeout=RUN_S * 1000)
    wait_for_idle_kernel(page)


def explorers(page):
    """Locators of the explorers on the page: the outermost VBox of an output whose first child is the question."""
    return page.locator(".jp-OutputArea-output > .widget-vbox.course-explorer, "
                        ".jp-OutputArea-output > .widget-vbox:has(> .widget-html b)")


# --- timing in the page -----------------------------------------------------------------------------------------

# `__probe.arm(root)` remembers what the explorer shows and the next input event's time; `__probe.result` becomes
# {input, changed} (performance.now() milliseconds) at the first animation frame that shows something else.
PROBE_JS = r"""() => {
  if (window.__probe) return;
  const picture = root => {
    const parts = [];
    for (const c of root.querySelectorAll('canvas')) {
      if (!c.width || !c.height) continue;
      let d;
      try { d = new Uint32Array(c.getContext('2d').getImageData(0, 0, c.width, c.height).data.buffer); }
      catch (e) { continue; }
      let h = 2166136261 >>> 0;
      for (let i = 0; i < d.length; i += 1) h = Math.imul(h ^ d[i], 16777619) >>> 0;
      parts.push(c.width + 'x' + c.height + ':' + h);
    }
    for (const im of root.querySelectorAll('img')) parts.push(im.complete ? im.src : 'loading');
    return parts.join('|');
  };
  const probe = window.__probe = {picture, input: null, result: null, frames: 0};
  const onInput = e => { if (probe.armed && probe.input === null) probe.input = e.timeStamp; };
  document.addEventListener('keydown', onInput, true);
  document.addEventListener('pointerdown', onInput, true);
  probe.arm = root => {
    probe.root = root; probe.before = picture(root); probe.input = null; probe.result = null; probe.armed = true;
    const tick = () => {
      if (!probe.armed) return;
      if (probe.input !== null && picture(root) !== probe.before) {
        probe.result = {input: probe.input, changed: performance.now()};
        probe.armed = false;
        return;
      }
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  };
  probe.disarm = () => { probe.armed = false; };
  // The time of the last change of the picture (for a drag's settling), sampled every frame for `ms`.
  probe.watch = (root, ms) => new Promise(resolve => {
    let last = picture(root), lastChange = performance.now();
    const start = performance.now();
    const tick = () => {
      const now = performance.now(), p = picture(root);
      if (p !== last) { last = p; lastChange = now; }
      if (now - lastChange > ms || now - start > 20000) resolve(lastChange); else requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
}"""


def _wait_result(page, timeout_s=MOVE_TIMEOUT_S):
    try:
        page.wait_for_function("() => window.__probe.result !== null", timeout=timeout_s * 1000, polling=50)
    except Exception:
        page.evaluate("() => window.__probe.disarm()")
        return None
    r = page.evaluate("() => window.__probe.result")
    return (r["changed"] - r["input"]) / 1e3


def _settle(page, seconds=0.4):
    time.sleep(seconds)


def _slider_state(handle):
    return handle.evaluate("h => [+h.getAttribute('aria-valuenow'), +h.getAttribute('aria-valuemin'), "
                           "+h.getAttribute('aria-valuemax')]")


def measure_slider(page, explorer, slider, moves):
    """(keyboard seconds, mouse seconds, misses, drag settle seconds) for one slider."""
    handle, track = slider.locator(".noUi-handle").first, slider.locator(".noUi-base").first
    root = explorer.element_handle()
    keyboard, mouse, misses = [], [], 0
    slider.scroll_into_view_if_needed()
    now, low, high = _slider_state(handle)
    direction = "ArrowLeft" if now >= high else "ArrowRight"
    handle.focus()
    for k in range(moves):
        page.evaluate("r => window.__probe.arm(r)", root)
        page.keyboard.press(direction)
        s = _wait_result(page)
        keyboard.append(s) if s is not None else None
        misses += s is None
        direction = "ArrowLeft" if direction == "ArrowRight" else "ArrowRight"
        _settle(page)
    for k in range(moves):
        box = track.bounding_box()
        x = box["x"] + box["width"] * (0.3 if k % 2 == 0 else 0.7)
        y = box["y"] + box["height"] / 2
        page.evaluate("r => window.__probe.arm(r)", root)
        page.mouse.click(x, y)
        s = _wait_result(page)
        mouse.append(s) if s is not None else None
        misses += s is None
        _settle(page)
    # One drag across the track: does the picture settle soon after the hand stops?
    box, hb = track.bounding_box(), handle.bounding_box()
    y = hb["y"] + hb["height"] / 2
    page.mouse.move(hb["x"] + hb["width"] / 2, y)
    page.mouse.down()
    target = box["x"] + box["width"] * (0.9 if hb["x"] < box["x"] + box["width"] / 2 else 0.1)
    page.mouse.move(target, y, steps=20)
    released = page.evaluate("() => performance.now()")
    page.mouse.up()
    last = page.evaluate("r => window.__probe.watch(r, 1000)", root)
    return keyboard, mouse, misses, max(0.0, (last - released) / 1e3)


def _stats(samples):
    if not samples:
        return None
    a = np.asarray(samples)
    return {"n": int(a.size), "median_s": float(np.median(a)), "p95_s": float(np.percentile(a, 95)),
            "max_s": float(a.max())}


def measure_explorer(page, explorer, moves):
    sliders = explorer.locator(".widget-slider:not(.mod-disabled)")
    per_slider, keyboard, mouse, misses, settles = {}, [], [], 0, []
    for i in range(sliders.count()):
        slider = sliders.nth(i)
        if not slider.is_visible() or slider.locator(".noUi-target[disabled]").count():
            continue  # hidden or disabled for the explorer's current setting
        label = slider.locator(".widget-label").first.inner_text().strip() or f"slider {i}"
        k, m, miss, settle = measure_slider(page, explorer, slider, moves)
        per_slider[label] = {"keyboard": _stats(k), "mouse": _stats(m), "misses": miss, "drag_settle_s": settle}
        keyboard += k
        mouse += m
        misses += miss
        settles.append(settle)
    width = explorer.evaluate("e => [e.getBoundingClientRect().width, e.scrollWidth, "
                              "e.closest('.jp-OutputArea-output').getBoundingClientRect().width]")
    return {"keyboard": _stats(keyboard), "mouse": _stats(mouse), "all": _stats(keyboard + mouse),
            "misses": misses, "drag_settle_max_s": max(settles) if settles else None, "sliders": per_slider,
            "width_px": width[0], "scroll_width_px": width[1], "output_width_px": width[2]}


def _name_of(cell_source):
    for call in EXPLORER_CALLS:
        if call in cell_source:
            return call[:-1]
    return None


def run(moves=6, notebooks=None, screenshots=None, log=print, canvas=None):
    """Measure every explorer of the lecture notebooks; {"results": [...], "targets": [...]}.

    `notebooks`: substrings of notebook names to limit the run; `screenshots`: a folder for one PNG per explorer
    (as it looks at 1280x800 with the file browser open); `canvas`: "browser" (the changing artists drawn by the
    browser, the default) or "ipympl" (blitted by Agg into an ipympl canvas, as before), to compare the two."""
    why = available()
    if why:
        return {"skipped": why, "results": [], "targets": []}
    from benchmarks.machine import load_average

    results = []
    with tempfile.TemporaryDirectory(prefix="course-browser-bench-") as tmp:
        tmp = Path(tmp)
        (tmp / "course").mkdir()
        shutil.copy2(ROOT / "nbgrader_config.py", tmp / "course" / "nbgrader_config.py")
        books = explorer_notebooks(tmp / "course", notebooks)
        with lab_server(tmp / "course", tmp, canvas) as server, chromium(tmp / "profile") as browser:
            for path, n_cells in books:
                page = browser.context.new_page()
                page.set_default_timeout(60_000)
                try:
                    open_notebook(page, server, path, re.sub(r"\W", "", path))
                    run_all(page, n_cells)
                    page.evaluate(PROBE_JS)
                    sources = [s for s in _explorer_sources(tmp / "course" / path)]
                    found = explorers(page)
                    for j in range(found.count()):
                        explorer = found.nth(j)
                        name = sources[j] if j < len(sources) else f"{path}#{j}"
                        explorer.scroll_into_view_if_needed()
                        _wait_drawn(page, explorer)
                        if screenshots is not None:
                            Path(screenshots).mkdir(parents=True, exist_ok=True)
                            explorer.screenshot(path=str(Path(screenshots) / f"{name}.png"))
                        load = load_average()
                        r = measure_explorer(page, explorer, moves)
                        r.update(explorer=name, notebook=path, load_average=load, canvas=canvas or "browser")
                        results.append(r)
                        log(_line(r))
                finally:
                    page.close()
                    _shut_down_kernels(server)  # an idle kernel per notebook would stay, a training one would load


    return {"results": results, "targets": targets(results), "moves_per_slider": moves,
            "viewport": VIEWPORT, "canvas": canvas or "browser"}


def _shut_down_kernels(server):
    base = f"{server.url}/api/kernels"
    try:
        with urllib.request.urlopen(f"{base}?token={server.token}", timeout=10) as r:
            kernels = json.load(r)
        for kernel in kernels:
            request = urllib.request.Request(f"{base}/{kernel['id']}?token={server.token}", method="DELETE")
            urllib.request.urlopen(request, timeout=30).close()
    except OSError:
        pass


def _explorer_sources(path):
    import nbformat

    return [_name_of(c.source) for c in nbformat.read(path, as_version=4).cells[1:]
            if c.cell_type == "code" and _name_of(c.source)]


def _wait_drawn(page, explorer, timeout_s=60):
    explorer.evaluate("""(e, ms) => new Promise((resolve, reject) => {
        const start = performance.now();
        const ok = () => [...e.querySelectorAll('canvas')].some(c => c.width > 0) ||
                         [...e.querySelectorAll('img')].some(i => i.complete && i.naturalWidth > 0);
        const tick = () => ok() ? resolve(true) : performance.now() - start > ms ? resolve(false)
                                                                                : requestAnimationFrame(tick);
        tick();
    })""", timeout_s * 1000)
    time.sleep(0.5)


def _ms(stats, key):
    return "—" if not stats else f"{stats[key] * 1e3:.0f}"


def _line(r):
    return (f"{r['explorer']:<22} keyboard {_ms(r['keyboard'], 'median_s')}/{_ms(r['keyboard'], 'p95_s')} ms  "
            f"mouse {_ms(r['mouse'], 'median_s')}/{_ms(r['mouse'], 'p95_s')} ms  misses {r['misses']}  "
            f"drag settles {r['drag_settle_max_s'] and r['drag_settle_max_s'] * 1e3:.0f} ms  "
            f"width {r['scroll_width_px']:.0f}/{r['output_width_px']:.0f} px")


def targets(results):
    from benchmarks.timing import target

    out = []
    for r in results:
        p95 = r["all"] and r["all"]["p95_s"] * 1e3
        out.append(target("browser", r["explorer"], f"p95 <= {GOAL_P95_S * 1e3:.0f} ms", p95,
                          r["all"] and r["all"]["median_s"] * 1e3, GOAL_P95_S * 1e3, higher_is_better=False))
    return out


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=6)
    parser.add_argument("--notebooks", default=None, help="comma-separated substrings of notebook names")
    parser.add_argument("--screenshots", default=None)
    parser.add_argument("--output", default=None)
    parser.add_argument("--canvas", choices=("browser", "ipympl"), default=None,
                        help="how the explorers draw: in the browser (default) or blitted into ipympl (before)")
    a = parser.parse_args()
    out = run(a.moves, a.notebooks and a.notebooks.split(","), a.screenshots, canvas=a.canvas)
    if a.output:
        Path(a.output).write_text(json.dumps(out, indent=1))
