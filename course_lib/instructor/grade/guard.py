"""The grader's guard, run INSIDE the kernel that executes a submission: it puts back what student code changed.

nbgrader runs the test cells in the same Python process as the student's code, so a solution cell can change what
the tests see: rebind ``np.isclose``, replace ``check_close`` in the notebook's namespace, or register an IPython
input transformer that blanks every later cell (an empty test cell raises nothing and earns full marks). The worker
(`instructor.grade.worker`) calls this module through IPython's ``user_expressions``, which are evaluated without
passing through the input transformers:

- `install()` once, before any cell runs: finds the IPython shell;
- `snapshot()` just before the first cell the student controls: remembers the attributes of NumPy, math,
  builtins, warnings and course_lib (every loaded submodule), IPython's transformer lists, event callbacks and
  methods, and sys's streams and hooks;
- `protect(names)` after each read-only cell: remembers the values it bound (``check_close``, ``np``, helpers) and,
  with `readonly_start()` before it, what it added to IPython's lists;
- `before_test()` before each test cell: puts all of that back and returns what it had to restore, so the worker can
  flag the submission ("numpy.isclose was replaced").

This is defence in depth, not a sandbox: code that runs in the kernel can always reach this module too. The static
scan (`course_lib.instructor.grade.scan`) flags the usual ways of trying, and a flag sends the submission to a human.
"""
import sys

_WATCHED_ROOTS = ("numpy", "math", "builtins", "warnings", "course_lib")
_SYS_ATTRS = ("stdout", "stderr", "displayhook", "excepthook")
_BUILTIN_RESULTS = {"_", "__", "___"}  # IPython's last results: they change on every cell
_state = {"modules": {}, "names": {}, "ip": None}


def _shell():
    """The running IPython shell, or None. (`get_ipython` is a builtin only while a cell runs; the guard runs
    between cells, through user_expressions.)"""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def _lists(ip):
    """The IPython lists through which code can change how a cell runs: name -> the live list."""
    manager = ip.input_transformer_manager
    lists = {
        "input transformers (cleanup)": manager.cleanup_transforms,
        "input transformers (line)": manager.line_transforms,
        "input transformers (token)": manager.token_transformers,
        "input transformers (post)": ip.input_transformers_post,
        "AST transformers": ip.ast_transformers,
    }
    for event, callbacks in ip.events.callbacks.items():
        lists[f"IPython '{event}' callbacks"] = callbacks
    return lists


def install():
    """Find the IPython shell. Called once, before any notebook cell runs. Returns True."""
    _state["ip"] = _shell()
    return True


def snapshot():
    """Remember the watched modules, IPython's transformer lists, event callbacks and methods, and sys's streams
    as they are now: just before the first cell the student controls. Returns how many modules are watched."""
    _state["modules"] = {name: (module, dict(vars(module))) for name, module in list(sys.modules.items())
                         if module is not None and name.split(".")[0] in _WATCHED_ROOTS}
    ip = _state["ip"]
    if ip is not None:
        _state["manager"] = ip.input_transformer_manager
        _state["events"] = ip.events
        _state["lists"] = {name: (live, list(live)) for name, live in _lists(ip).items()}
        _state["instance"] = set(vars(ip))
    _state["sys"] = {name: getattr(sys, name, None) for name in _SYS_ATTRS}
    return len(_state["modules"])


def readonly_start():
    """Before a read-only cell that runs after student code: note IPython's lists, so that what the instructor's
    cell adds to them (``%matplotlib`` registers callbacks) can be kept."""
    _state["pending"] = {name: list(live) for name, (live, _) in _state.get("lists", {}).items()}
    return True


def protect(names):
    """After a read-only cell: remember the values of `names` in the notebook's namespace (those it bound), and
    keep whatever it added to IPython's lists since `readonly_start`."""
    ip = _state["ip"]
    namespace = ip.user_ns if ip is not None else {}
    for name in names:
        if name in namespace:
            _state["names"][name] = namespace[name]
    for name, before in _state.pop("pending", {}).items():
        live, saved = _state["lists"][name]
        saved += [item for item in live if not any(item is old for old in before)]
    return len(_state["names"])


def before_test():
    """Put back everything remembered; return a sorted list of what had been changed (empty when nothing)."""
    if "sys" not in _state:  # no snapshot yet: no student code has run in this kernel
        return []
    changed = set()
    for name, (module, saved) in _state["modules"].items():
        if sys.modules.get(name) is not module:
            sys.modules[name] = module
            changed.add(f"sys.modules[{name!r}]")
        current = vars(module)
        for key, value in saved.items():
            if name == "builtins" and key in _BUILTIN_RESULTS:
                continue
            if current.get(key, _MISSING) is not value:
                current[key] = value
                changed.add(f"{name}.{key}")
    for key, value in _state["sys"].items():
        if getattr(sys, key, None) is not value:
            setattr(sys, key, value)
            changed.add(f"sys.{key}")
    if sys.gettrace() is not None or sys.getprofile() is not None:
        sys.settrace(None)
        sys.setprofile(None)
        changed.add("a trace or profile function (sys.settrace)")
    ip = _state["ip"]
    if ip is not None:
        for key in set(vars(ip)) - _state["instance"]:
            if callable(getattr(type(ip), key, None)):  # an instance attribute hiding a method of the shell
                delattr(ip, key)
                changed.add(f"IPython shell method {key}")
        if ip.input_transformer_manager is not _state["manager"]:
            ip.input_transformer_manager = _state["manager"]
            changed.add("IPython input transformer manager")
        if ip.events is not _state["events"]:
            ip.events = _state["events"]
            changed.add("IPython event manager")
        for label, (live, saved) in _state["lists"].items():
            if len(live) != len(saved) or any(a is not b for a, b in zip(live, saved)):
                live[:] = saved
                changed.add(label)
        namespace = ip.user_ns
        for name, value in _state["names"].items():
            if namespace.get(name, _MISSING) is not value:
                namespace[name] = value
                changed.add(f"the notebook's {name}")
    return sorted(changed)


_MISSING = object()
