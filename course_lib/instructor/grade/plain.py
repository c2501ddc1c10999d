"""Plain data to bytes and back, without pickle: how test inputs and results cross between the grader and a kernel.

The outside judgement (`course_lib.instructor.grade.judge`) sends recorded inputs into a student's kernel and reads the
student's results back. Whatever comes back is untrusted, so it is never unpickled: a value is written as a ZIP
archive (stored, not compressed) holding ``tree.json``, the structure, and one ``.npy`` file per NumPy array,
read back with ``allow_pickle=False`` and caps on the sizes. Plain data is:

- ``None``, ``bool``, ``int``, ``float`` (NaN and inf included), ``str``;
- NumPy arrays (``np.ndarray`` itself) and scalars of booleans, integers, floats or complex numbers;
- tuples and lists of plain data, and dicts with ``str`` keys whose values are plain data.

In ``tree.json`` a JSON object is always a tag: ``{"tuple": [...]}``, ``{"dict": {...}}``, ``{"array": "a3"}`` (a
``.npy`` member) or ``{"scalar": "a4"}`` (a NumPy scalar, kept as a 0-d array). Anything else is an error.

`dumps(value)` raises `NotPlain` for anything that is not plain data; `loads(data)` raises `PlainError`, with a
sentence naming the problem, for anything it cannot read: never another exception, whatever the bytes are.
"""
import io
import json
import zipfile

import numpy as np

__all__ = ["NotPlain", "PlainError", "dumps", "loads", "is_plain", "nbytes"]

MAX_BYTES = 64 * 2 ** 20  # largest archive `loads` reads, and largest total of its arrays
MAX_NODES = 100_000  # values in one tree
MAX_DEPTH = 32  # nesting of tuples, lists and dicts
_KINDS = "biufc"  # NumPy dtype kinds that are plain: bool, int, uint, float, complex
_TREE = "tree.json"


class NotPlain(TypeError):
    """`dumps` was given something that is not plain data (the message names its type and where it is)."""


class PlainError(ValueError):
    """`loads` was given bytes that are not a plain-data archive within the limits (the message says why)."""


def _plain_array(value):
    return value.dtype.kind in _KINDS and value.dtype.names is None and not value.dtype.hasobject


def is_plain(value, depth=0):
    """True if `value` is plain data (see the module doc) nested at most MAX_DEPTH deep."""
    if depth > MAX_DEPTH:
        return False
    if value is None or type(value) in (bool, int, float, str):
        return True
    if type(value) is np.ndarray or isinstance(value, np.generic):
        return _plain_array(np.asarray(value))
    if type(value) in (tuple, list):
        return all(is_plain(v, depth + 1) for v in value)
    if type(value) is dict:
        return all(type(k) is str and is_plain(v, depth + 1) for k, v in value.items())
    return False


def nbytes(value):
    """Roughly how many bytes `value` (plain data) takes once written: arrays by their size, the rest a little."""
    if type(value) is np.ndarray or isinstance(value, np.generic):
        return int(np.asarray(value).nbytes) + 128
    if type(value) in (tuple, list):
        return 8 + sum(nbytes(v) for v in value)
    if type(value) is dict:
        return 8 + sum(len(k) + nbytes(v) for k, v in value.items())
    return len(value) + 8 if type(value) is str else 16


def dumps(value):
    """`value` (plain data) as bytes: a stored ZIP archive of tree.json and .npy members."""
    arrays = []

    def tree(v, where, depth):
        if depth > MAX_DEPTH:
            raise NotPlain(f"{where} is nested more than {MAX_DEPTH} levels deep")
        if v is None or type(v) in (bool, int, float, str):
            return v
        if type(v) is np.ndarray or isinstance(v, np.generic):
            a = np.asarray(v)
            if not _plain_array(a):
                raise NotPlain(f"{where} is an array of {a.dtype}, not of numbers")
            arrays.append(a)
            return {"scalar" if isinstance(v, np.generic) else "array": f"a{len(arrays) - 1}"}
        if type(v) in (tuple, list):
            items = [tree(x, f"{where}[{i}]", depth + 1) for i, x in enumerate(v)]
            return {"tuple": items} if type(v) is tuple else items
        if type(v) is dict:
            for k in v:
                if type(k) is not str:
                    raise NotPlain(f"{where} is a dict with a key that is not text ({type(k).__name__})")
            return {"dict": {k: tree(x, f"{where}[{k!r}]", depth + 1) for k, x in v.items()}}
        raise NotPlain(f"{where} is a {type(v).__name__}, not plain data (numbers, arrays, text, tuples, lists, "
                       "dicts)")

    structure = tree(value, "the value", 0)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr(_TREE, json.dumps(structure))
        for i, a in enumerate(arrays):
            member = io.BytesIO()
            np.lib.format.write_array(member, a, allow_pickle=False)
            archive.writestr(f"a{i}.npy", member.getvalue())
    return buffer.getvalue()


def loads(data, max_bytes=MAX_BYTES):
    """The value `dumps` wrote into `data`. Raises PlainError (never anything else) for bytes that are not such an
    archive, for pickled or non-numeric arrays, for unknown tags, or when anything exceeds the limits."""
    try:
        return _loads(data, max_bytes)
    except PlainError:
        raise
    except RecursionError:
        raise PlainError("the structure is nested too deeply") from None
    except Exception as exc:  # zipfile, json and numpy raise many kinds; all mean "not readable"
        raise PlainError(f"not a plain-data archive ({type(exc).__name__}: {str(exc)[:200]})") from None


def _loads(data, max_bytes):
    if not isinstance(data, (bytes, bytearray)):
        raise PlainError(f"expected bytes, got {type(data).__name__}")
    if len(data) > max_bytes:
        raise PlainError(f"{len(data)} bytes, more than the limit of {max_bytes}")
    archive = zipfile.ZipFile(io.BytesIO(bytes(data)))
    members = {info.filename: info for info in archive.infolist()}
    if _TREE not in members:
        raise PlainError("the archive has no tree.json")
    if sum(info.file_size for info in members.values()) > max_bytes:  # sizes as declared; reads are capped too
        raise PlainError(f"its members would take more than the limit of {max_bytes} bytes")
    nodes = [0]

    def read(name):
        info = members[name]
        with archive.open(info) as f:
            raw = f.read(info.file_size + 1)
        if len(raw) != info.file_size:
            raise PlainError(f"{name} is not the size it declares")
        return raw

    structure = json.loads(read(_TREE).decode("utf-8"))

    def array(ref, scalar):
        name = f"{ref}.npy" if type(ref) is str else None
        if name is None or name not in members:
            raise PlainError(f"a reference to a missing array ({str(ref)[:40]!r})")
        a = np.lib.format.read_array(io.BytesIO(read(name)), allow_pickle=False)
        if type(a) is not np.ndarray or not _plain_array(a):
            raise PlainError(f"{name} holds {a.dtype} values, not numbers")
        if scalar:
            if a.ndim != 0:
                raise PlainError(f"{name} should hold one number")
            return a[()]
        return np.array(a, copy=True)  # writeable, owning its memory (read_array may give a read-only view)

    def build(node, depth):
        nodes[0] += 1
        if nodes[0] > MAX_NODES:
            raise PlainError(f"more than {MAX_NODES} values")
        if depth > MAX_DEPTH:
            raise PlainError(f"nested more than {MAX_DEPTH} levels deep")
        if node is None or type(node) in (bool, int, float, str):
            return node
        if type(node) is list:
            return [build(x, depth + 1) for x in node]
        if type(node) is dict and len(node) == 1:
            (tag, inner), = node.items()
            if tag == "tuple" and type(inner) is list:
                return tuple(build(x, depth + 1) for x in inner)
            if tag == "dict" and type(inner) is dict:
                return {k: build(x, depth + 1) for k, x in inner.items()}
            if tag in ("array", "scalar"):
                return array(inner, tag == "scalar")
        raise PlainError(f"an unknown entry in tree.json ({json.dumps(node)[:60]})")

    return build(structure, 0)
