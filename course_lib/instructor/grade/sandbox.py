"""The sandbox each student's grading kernel runs in, and the limits it runs under.

On Linux as root with bubblewrap (Debian's ``bubblewrap``, the ``bwrap`` that Flatpak uses; maintained, small, no
daemon) every kernel `course grade` starts is::

    bwrap --unshare-pid --unshare-net --unshare-ipc --unshare-uts --die-with-parent --new-session
          --ro-bind <system, Python and course_lib only> --bind <the student's box> --proc /proc --dev /dev ...
          setpriv --reuid=U --regid=U --clear-groups --no-new-privs --bounding-set=-all --inh-caps=-all
          python -m course_lib.instructor.grade.kernel -f <connection file>

- its own user: a numeric uid of its own for each submission (no account needed), no groups, no capabilities;
- its own mount view: read-only /usr, /etc, the Python installation, the virtual environment's site-packages and
  the course_lib package folder ALONE (not the course folder around it); writable only the student's box (its
  working folder with the student's other files, its private HOME, caches and the kernel's sockets). Nothing else
  exists in it: no solutions/, template cache, job.json, other submissions, --out, gradebook or course folder;
- no network (its own network namespace; the kernel talks to the grader over Unix sockets in the box, which is why
  the worker uses jupyter_client's ``ipc`` transport);
- its own PID namespace: when the kernel is shut down or restarted, or the grader dies (``--die-with-parent``),
  every process it started goes with it, ``setsid`` and double forks included;
- limits (`Limits`, applied by `instructor.grade.kernel` before any cell runs, as hard rlimits): address space
  (memory, default 4 GiB), processes and threads of its uid (64), size of a file written (1 GiB), CPU seconds.

Where that is not possible (not Linux, not root, no bwrap, namespaces refused) the kernel runs as before, in a
session of its own under the grader's user, with the memory, file-size and CPU limits only; `probe()` says which
protections are off, and `course grade` prints it once.
"""
import functools
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

GIB = 1024 ** 3
MIB = 1024 ** 2
# An address-space rlimit counts what a kernel reserves, not only what it uses: ipykernel's threads, Numba's and
# OpenBLAS's pools reserve hundreds of MiB they never touch, so an honest kernel under an rlimit of 1 GiB dies. Where
# the memory limit has to be an rlimit it is the limit plus this much (and glibc keeps 2 malloc arenas, not 8/core).
RESERVED = 1 * GIB
UID_BASE = 2_000_000  # sandbox uids: above every account a distribution creates, never in /etc/passwd
ENV = "COURSE_GRADE_LIMITS"
_SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt")


def size_text(nbytes):
    """'4 GiB', '512 MiB': how a limit is written in reasons and notes."""
    for unit, size in (("GiB", GIB), ("MiB", MIB)):
        if nbytes >= size and nbytes % size == 0 or unit == "MiB":
            return f"{nbytes / size:g} {unit}"


@dataclass(frozen=True)
class Limits:
    """What one student's kernel may use. `processes` counts processes and threads of the sandbox's own uid
    (a kernel uses about ten threads), so it is only applied when the sandbox gives the kernel a uid of its own."""

    memory: int = 4 * GIB  # bytes of address space per process
    processes: int = 64
    file_size: int = 1 * GIB  # bytes per file written
    cpu_seconds: int = 3600  # per kernel process

    def to_env(self, own_uid, cgroup=False):
        """The limits the kernel sets on itself: the process limit only with a uid of its own, the memory limit
        as an rlimit only where no control group enforces it."""
        memory = 0 if cgroup else self.memory + RESERVED
        return f"{memory},{self.processes if own_uid else 0},{self.file_size},{self.cpu_seconds}"

    @staticmethod
    def from_env(environ=os.environ):
        """(memory, processes, file_size, cpu) from the kernel's environment, or None when grading set none."""
        text = environ.get(ENV)
        return tuple(int(v) for v in text.split(",")) if text else None

    def reason(self, ename, evalue):
        """The limit an error in a cell's output points to, in words ('memory limit of 4 GiB exceeded'), or None."""
        text = f"{ename}: {evalue}"
        if ename == "MemoryError" or "Cannot allocate memory" in text or "std::bad_alloc" in text:
            return f"memory limit of {size_text(self.memory)} exceeded"
        if ("Resource temporarily unavailable" in text and ename in ("BlockingIOError", "OSError")) \
                or "can't start new thread" in text:
            return f"more than {self.processes} processes (and threads) started"
        if "File too large" in text:
            return f"file size limit of {size_text(self.file_size)} exceeded"
        return None


def apply(limits_tuple):
    """Set the limits as hard rlimits on this process (the kernel, before any cell runs). 0 means none."""
    import resource

    memory, processes, file_size, cpu = limits_tuple
    for which, value in ((resource.RLIMIT_AS, memory), (getattr(resource, "RLIMIT_NPROC", None), processes),
                         (resource.RLIMIT_FSIZE, file_size), (resource.RLIMIT_CPU, cpu)):
        if which is None or not value:
            continue
        try:
            resource.setrlimit(which, (value, value))
        except (ValueError, OSError):  # e.g. macOS refuses RLIMIT_AS: that limit is off there
            pass


@dataclass(frozen=True)
class Support:
    """What this machine offers: `sandbox` True when bubblewrap works; `off` the protections that are not there."""

    sandbox: bool
    off: tuple = ()
    why: str = ""

    def note(self, limits):
        if self.sandbox:
            return None
        return (f"student code is NOT sandboxed on this machine ({self.why}): it runs under your user and can read "
                f"and write what you can (the course folder with solutions/, --out, the gradebook, other "
                f"submissions) and use the network; off: {', '.join(self.off)}. Still on: a kernel and process "
                f"group per student, memory limit {size_text(limits.memory)} (of address space, plus "
                f"{size_text(RESERVED)} for what a kernel only reserves), file size "
                f"{size_text(limits.file_size)}, CPU {limits.cpu_seconds} s per kernel. Grade untrusted work "
                "as root on Linux with bubblewrap installed (apt-get install bubblewrap)")


OFF = ("own user", "own mount view (solutions/, --out and other submissions readable)", "no network",
        "own PID namespace (processes started with setsid can outlive grading)", "process limit")


@functools.lru_cache(maxsize=None)
def probe():
    """Support on this machine, found by trying: bwrap must start a process as a uid of its own, without network."""
    if not sys.platform.startswith("linux"):
        return Support(False, OFF, f"{sys.platform} has no Linux namespaces")
    if os.geteuid() != 0:
        return Support(False, OFF, "not running as root, which starting each kernel as a user of its own needs")
    bwrap, setpriv = shutil.which("bwrap"), shutil.which("setpriv")
    if not bwrap or not setpriv:
        return Support(False, OFF, f"{'bwrap (Debian package bubblewrap)' if not bwrap else 'setpriv'} not found")
    argv = command(Path("/"), [shutil.which("true") or "/bin/true"], UID_BASE, readonly=(), box_bind=False)
    try:
        done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Support(False, OFF, f"bwrap could not run: {exc}")
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
        return Support(False, OFF, f"bwrap failed here (namespaces not allowed?): {last}")
    return Support(True)


def uid_for(number):
    """A uid of its own for job `number` of this grader (distinct across concurrent graders on one machine)."""
    return UID_BASE + (os.getpid() % 100_000) * 10_000 + number % 10_000


def _is_ancestor(path, other):
    path, other = Path(path), Path(other)
    return path == other or path in other.parents


def readonly_paths(secrets, package_dir):
    """The folders a kernel needs to read: Python's installation and site-packages (sys.path), course_lib's
    package folder alone; never a folder that is, or holds, one of `secrets` (course folder, --out, submissions,
    template cache, the grader's temporary folder)."""
    secrets = [Path(s).resolve() for s in secrets]
    package_dir = Path(package_dir).resolve()
    found = []
    candidates = [sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(os.path.realpath(sys.executable))]
    candidates += [p for p in sys.path if p]
    candidates += [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    for entry in candidates:
        path = Path(entry).resolve()
        if not path.is_dir() or any(_is_ancestor(path, s) for s in secrets) or _is_ancestor(path, package_dir):
            continue
        if any(str(path).startswith(s) for s in _SYSTEM):
            continue
        found.append(path)
    found.append(package_dir)
    kept = []
    for path in sorted(set(found), key=lambda p: len(p.parts)):  # a folder inside a kept one is already there
        if not any(_is_ancestor(k, path) for k in kept):
            kept.append(path)
    return kept


def prefix(spec):
    """The sandbox command to put before the kernel's argv, for a job's ``sandbox`` entry (see `run`)."""
    return join(spec.get("cgroups")) + command(spec["box"], [], spec["uid"], spec["readonly"], hidden=spec["hidden"])


def command(box, argv, uid, readonly, box_bind=True, hidden=()):
    """The command that runs `argv` in the sandbox: `box` bound writable (at its own path), `readonly` read-only,
    `hidden` (secret folders that happen to lie inside a system folder) covered by an empty one."""
    bwrap = ["bwrap", "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
             "--hostname", "grading", "--die-with-parent", "--new-session"]
    bwrap += ["--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--tmpfs", "/dev/shm", "--perms", "1777", "--tmpfs", "/tmp"]
    for path in _SYSTEM:
        bwrap += ["--ro-bind-try", path, path]
    made = set()
    for path in list(readonly) + ([box] if box_bind else []):
        for parent in reversed(Path(path).parents):  # folders bwrap makes on the way: readable and searchable
            if str(parent) != "/" and parent not in made and not any(str(parent).startswith(s) for s in _SYSTEM):
                bwrap += ["--perms", "0755", "--dir", str(parent)]
                made.add(parent)
    for path in readonly:
        bwrap += ["--ro-bind", str(path), str(path)]
    for path in hidden:
        if any(_is_ancestor(system, path) for system in _SYSTEM):
            bwrap += ["--tmpfs", str(path)]
    if box_bind:
        bwrap += ["--bind", str(box), str(box), "--chdir", str(box)]
    # ipykernel watches JPY_PARENT_PID and exits when its parent is not that pid (in the sandbox it never is);
    # --die-with-parent and the kernel's own parent-death signal do that job here
    bwrap += ["--unsetenv", "JPY_PARENT_PID"]
    bwrap += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--"]
    drop = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--no-new-privs",
            "--bounding-set=-all", "--inh-caps=-all"]
    return bwrap + drop + list(argv)


def give(box, uid):
    """Hand the box over to the sandbox's uid (its files become the student's; nothing else is)."""
    for folder, dirs, files in os.walk(box):
        for name in [folder] + [os.path.join(folder, n) for n in dirs + files]:
            try:
                os.lchown(name, uid, uid)
            except OSError:
                pass


# ----------------------------------------------------------------------------------------------------------------
# Control groups: the memory limit counts the memory a kernel really uses (an address-space rlimit also counts
# what threads and allocators merely reserve, so a limit tight enough to matter stops honest kernels too).

_CGROUP_ROOT = Path("/sys/fs/cgroup")


def _own_cgroup(controller):
    """This process's folder in the cgroup v1 hierarchy of `controller` ('memory', 'pids'), or None."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controller in controllers.split(","):
            for base in (_CGROUP_ROOT / controller, _CGROUP_ROOT / controllers):
                folder = base / path.lstrip("/")
                if folder.is_dir():
                    return folder
    return None


class Cgroups:
    """A memory and a pids control group (cgroup v1, as Docker-style hosts mount them) for each job of one
    `course grade` run: ``<own cgroup>/course-grade-<pid>/job-<n>``. `create` returns None where the machine does
    not let us make them (cgroup v2 hosts: the limits fall back to rlimits, see `Support.note`)."""

    def __init__(self, memory_parent, pids_parent):
        self.memory_parent, self.pids_parent = memory_parent, pids_parent

    @classmethod
    def create(cls, command="course-grade"):
        """The groups of one run of `command` ('course-grade', 'course-verify') in this process, or None."""
        if not sys.platform.startswith("linux") or os.geteuid() != 0:
            return None
        memory, pids = _own_cgroup("memory"), _own_cgroup("pids")
        if memory is None or not (memory / "memory.limit_in_bytes").exists():
            return None
        name = f"{command}-{os.getpid()}"
        try:
            (memory / name).mkdir(exist_ok=True)
        except OSError:
            return None
        try:
            if pids is not None:
                (pids / name).mkdir(exist_ok=True)
        except OSError:
            pids = None
        return cls(memory / name, pids / name if pids is not None else None)

    def job(self, number, limits):
        """Make job `number`'s groups with `limits`; return the files to write the kernel's pid to."""
        memory = self.memory_parent / f"job-{number}"
        memory.mkdir(exist_ok=True)
        (memory / "memory.limit_in_bytes").write_text(str(limits.memory))
        try:  # memory + swap too, where swap accounting is on: swapping out is not a way around the limit
            (memory / "memory.memsw.limit_in_bytes").write_text(str(limits.memory))
        except OSError:
            pass
        procs = [str(memory / "cgroup.procs")]
        if self.pids_parent is not None:
            pids = self.pids_parent / f"job-{number}"
            try:
                pids.mkdir(exist_ok=True)
                (pids / "pids.max").write_text(str(limits.processes))
                procs.append(str(pids / "cgroup.procs"))
            except OSError:
                pass
        return procs

    def remove(self):
        """Remove the run's groups (their processes are gone: each sandbox's PID namespace died with it)."""
        for parent in (self.memory_parent, self.pids_parent):
            if parent is None:
                continue
            for child in list(parent.glob("job-*")) + [parent]:
                for attempt in range(20):
                    try:
                        child.rmdir()
                        break
                    except FileNotFoundError:
                        break
                    except OSError:  # still has a process that is being killed
                        import time

                        time.sleep(0.05)


def oom_kills(procs):
    """How many times the kernel's memory group killed a process for exceeding its limit (v1 memory.oom_control)."""
    for procs_file in procs or ():
        control = Path(procs_file).parent / "memory.oom_control"
        try:
            for line in control.read_text().splitlines():
                if line.startswith("oom_kill "):
                    return int(line.split()[1])
        except OSError:
            continue
    return 0


_JOIN = 'for f in "$@"; do [ "$f" = -- ] && break; echo $$ > "$f" || exit 125; shift; done; shift; exec "$@"'


def join(procs):
    """The command prefix that moves the kernel's launcher into the groups `procs` before it becomes bwrap."""
    return ["sh", "-c", _JOIN, "sh", *procs, "--"] if procs else []
