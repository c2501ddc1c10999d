"""The kernel that grades one submission: an ordinary IPython kernel that dies together with its worker.

jupyter_client starts every kernel in a session of its own, so killing the worker's process group (the wall-clock
limit) would leave the kernel running; a kernel stuck in compiled Numba code ignores SIGINT, and even its own
"parent died" watcher thread, which needs the GIL. On Linux the kernel therefore asks the operating system to send
it SIGKILL when its parent exits (``prctl(PR_SET_PDEATHSIG)``); elsewhere the worker's SIGTERM handler kills it.

`write_kernelspec(folder, prefix)` writes the kernel spec that starts this module (behind `prefix`, the sandbox's
command, `course_lib.instructor.grade.sandbox`); the worker points JUPYTER_PATH at it. Before IPython starts, the kernel
applies the grading limits it was given (`sandbox.apply`): no cell runs without them.
"""
import json
import os
import signal
import sys
from pathlib import Path

NAME = "course-grade"
_PR_SET_PDEATHSIG = 1


def write_kernelspec(folder, prefix=()):
    """Write `folder`/kernels/course-grade/kernel.json for this Python; return the folder to put on JUPYTER_PATH."""
    spec = Path(folder) / "kernels" / NAME
    spec.mkdir(parents=True, exist_ok=True)
    argv = list(prefix) + [sys.executable, "-m", "course_lib.instructor.grade.kernel", "-f", "{connection_file}"]
    # in a sandbox the kernel is in a session of its own, out of reach of the grader's signals: an interrupt is
    # a message it turns into SIGINT itself
    (spec / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": "Python 3 (grading)",
                                                  "language": "python",
                                                  "interrupt_mode": "message" if prefix else "signal"}))
    return str(folder)


def _die_with_parent():
    parent = os.getppid()
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return  # not Linux: the worker kills its kernel itself
    if os.getppid() != parent:  # the worker died before prctl took effect
        os._exit(1)


if __name__ == "__main__":
    _die_with_parent()
    from course_lib.instructor.grade import sandbox

    limits = sandbox.Limits.from_env()
    if limits:
        sandbox.apply(limits)
    from ipykernel.kernelapp import launch_new_instance

    launch_new_instance()
