"""The plain-data wire format shared by the judge (parent) and the sandboxed child.

This module is stdlib-only on purpose: the sandbox child imports it from its own
interpreter (``python3 -I -S``), which sees none of codejury's dependencies.

Only plain data crosses: None, bool, int, float, complex, str, bytes, bytearray, list,
tuple, dict, set and frozenset. Exact types are checked with ``type(v) is T``; instances of
subclasses of those builtins travel as the builtin value (read through the builtin's own
slot, so an overridden ``__eq__``/``__int__`` never matters). Anything else travels as an
:class:`Opaque` marker that is equal to nothing — a sample cannot smuggle an object whose
``__eq__`` always answers True to the judge, because no object of the sample's is ever
rebuilt on the judge's side.

The encoding is JSON with single-key tag objects for what JSON cannot say, e.g.
``{"t": [...]}`` for a tuple. Big ints travel as hex because decimal conversion is
quadratic in CPython (a sample could stall the judge with a million-digit int).
"""

from __future__ import annotations

import base64
import hashlib
import json
import marshal
import math
import struct
from typing import Any

MAX_FRAME_BYTES = 1 << 30  # one message; larger frames are a protocol violation
MAX_DEPTH = 200  # nesting depth of one value
_JSON_INT_LIMIT = 1 << 53  # ints beyond this travel as hex, not decimal
_HEADER = struct.Struct(">I")
_SPECIAL_FLOATS = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


class Opaque:
    """Stand-in for a value that was not plain data; it is equal to nothing, itself included."""

    __slots__ = ("type_name",)

    def __init__(self, type_name: str) -> None:
        self.type_name = type_name

    def __eq__(self, other: object) -> bool:
        return False

    def __ne__(self, other: object) -> bool:
        return True

    def __hash__(self) -> int:
        return id(self)

    def __repr__(self) -> str:
        return f"<opaque {self.type_name}>"


class WireError(ValueError):
    """A frame or value that does not follow the protocol."""


def to_plain(value: Any, depth: int = 0) -> Any:
    """Turn ``value`` into a JSON-ready structure using the tag scheme.

    Args:
        value: Any Python object.
        depth: Current nesting depth (callers leave the default).

    Returns:
        A structure of JSON-native values and single-key tag dicts.
    """
    t = type(value)
    if value is None or t is str or t is bool:
        return value
    if t is int:
        return value if -_JSON_INT_LIMIT < value < _JSON_INT_LIMIT else {"i": hex(value)}
    if t is float:
        return value if math.isfinite(value) else {"f": repr(value)}
    if depth >= MAX_DEPTH:
        return {"o": "too-deep"}
    d = depth + 1
    if t is list:
        if _native_list(value):
            return value  # already JSON-exact: skip the per-element copy (big outputs)
        return [to_plain(x, d) for x in value]
    if t is tuple:
        return {"t": [to_plain(x, d) for x in value]}
    if t is dict:
        return {"d": [[to_plain(k, d), to_plain(v, d)] for k, v in value.items()]}
    if t is set:
        return {"s": [to_plain(x, d) for x in value]}
    if t is frozenset:
        return {"z": [to_plain(x, d) for x in value]}
    if t is complex:
        return {"c": [to_plain(value.real, d), to_plain(value.imag, d)]}
    if t is bytes:
        return {"b": base64.b64encode(value).decode("ascii")}
    if t is bytearray:
        return {"y": base64.b64encode(bytes(value)).decode("ascii")}
    return _subclass_to_plain(value, depth)


_NATIVE_SCALARS = frozenset({str, bool, type(None)})
_NUMBERS = frozenset({int, float})


def _native_list(value: list[Any]) -> bool:
    # Decided at C speed (map/set/min/max), not element by element in Python: a list of
    # strings, bools, small ints or finite floats is its own JSON encoding.
    types = set(map(type, value))
    if types <= _NATIVE_SCALARS:
        return True
    if types <= _NUMBERS:
        try:
            finite = all(map(math.isfinite, value))  # OverflowError for a huge int
        except OverflowError:
            return False
        return finite and min(value) > -_JSON_INT_LIMIT and max(value) < _JSON_INT_LIMIT
    if types == {list}:
        return all(map(_native_list, value))
    return False


def _subclass_to_plain(value: Any, depth: int) -> Any:
    # Subclasses of builtins (IntEnum, namedtuple, OrderedDict, defaultdict, Counter...) compare
    # equal to their base values in plain Python, so they travel as the base value. The value
    # is read through the builtin's own slot, never through a method the subclass overrides.
    if isinstance(value, bool):
        return bool.__bool__(value)  # pragma: no cover - bool cannot be subclassed
    if isinstance(value, int):
        return to_plain(int.__int__(value), depth)
    if isinstance(value, float):
        return to_plain(float.__float__(value), depth)
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, tuple):
        return to_plain(tuple(tuple.__iter__(value)), depth)
    if isinstance(value, list):
        return to_plain(list(list.__iter__(value)), depth)
    if isinstance(value, dict):
        return to_plain({k: dict.__getitem__(value, k) for k in dict.__iter__(value)}, depth)
    if isinstance(value, frozenset):
        return to_plain(frozenset(frozenset.__iter__(value)), depth)
    if isinstance(value, set):
        return to_plain(set(set.__iter__(value)), depth)
    if isinstance(value, bytes):
        return to_plain(bytes.__bytes__(value), depth)
    name = type(value).__name__
    return {"o": name[:100] if isinstance(name, str) else "?"}


def _pair(v: Any) -> tuple[Any, Any]:
    if type(v) is not list or len(v) != 2:
        raise WireError("dict item is not a pair")
    return v[0], v[1]


def _number(v: Any) -> Any:
    if type(v) not in (int, float):
        raise WireError("complex part is not a number")
    return v


def _tag(obj: dict[str, Any]) -> Any:
    if len(obj) != 1:
        raise WireError("tag object must have exactly one key")
    ((key, v),) = obj.items()
    if key in ("t", "s", "z", "d", "c") and type(v) is not list:
        raise WireError(f"tag {key!r} needs a list")
    if key == "t":
        return tuple(v)
    if key == "s":
        return set(v)
    if key == "z":
        return frozenset(v)
    if key == "d":
        return dict(_pair(item) for item in v)
    if key == "c":
        if len(v) != 2:
            raise WireError("complex needs two parts")
        return complex(_number(v[0]), _number(v[1]))
    if type(v) is not str:
        raise WireError(f"tag {key!r} needs a string")
    if key == "i":
        if len(v) > 4 * MAX_FRAME_BYTES:
            raise WireError("int too large")
        return int(v, 16)
    if key == "f":
        if v not in _SPECIAL_FLOATS:
            raise WireError("bad special float")
        return _SPECIAL_FLOATS[v]
    if key == "b":
        return base64.b64decode(v.encode("ascii"), validate=True)
    if key == "y":
        return bytearray(base64.b64decode(v.encode("ascii"), validate=True))
    if key == "o":
        return Opaque(v[:100])
    raise WireError(f"unknown tag {key!r}")


def digest(value: Any) -> tuple[str, int] | None:
    """Hash of ``value``'s exact encoding, or None when it is not exactly plain data.

    ``marshal`` version 2 writes builtin types only (subclasses are refused), with no
    back-references or interning marks, so equal digests mean the two values have the same
    types and contents — and so compare equal, NaN aside. Large outputs cross the channel as
    this digest instead of a copy; the judge falls back to full values on any mismatch.

    Returns:
        (hex digest, encoded length) or None.
    """
    try:
        data = marshal.dumps(value, 2)
    except (ValueError, RecursionError, MemoryError, OverflowError):
        return None
    return hashlib.blake2b(data, digest_size=16).hexdigest(), len(data)


def _reject_constant(name: str) -> Any:
    raise WireError(f"bare {name} is not allowed; special floats are tagged")


def dumps(message: Any) -> bytes:
    """Serialise a message whose values were already passed through :func:`to_plain`."""
    return json.dumps(message, separators=(",", ":"), allow_nan=False).encode("utf-8")


def loads(data: bytes) -> Any:
    """Parse one frame strictly; any deviation raises :class:`WireError`."""
    try:
        return json.loads(data, object_hook=_tag, parse_constant=_reject_constant)
    except WireError:
        raise
    except (ValueError, TypeError, RecursionError, UnicodeDecodeError, OverflowError) as exc:
        raise WireError(f"undecodable frame: {type(exc).__name__}") from None


def frame(payload: bytes) -> bytes:
    """Prefix ``payload`` with its length."""
    return _HEADER.pack(len(payload)) + payload


def frame_length(header: bytes) -> int:
    """Read a frame header; reject frames over :data:`MAX_FRAME_BYTES`."""
    (n,) = _HEADER.unpack(header)
    if n > MAX_FRAME_BYTES:
        raise WireError(f"frame of {n} bytes exceeds the {MAX_FRAME_BYTES}-byte cap")
    return int(n)


HEADER_SIZE = _HEADER.size
