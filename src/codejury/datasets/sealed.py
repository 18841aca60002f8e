"""Checksummed cache files: plain data in ``marshal`` form, trusted only when their seal holds.

Parsing JSON is the slowest part of starting a scoring run (the HumanEval+ dataset, the
expected-output index, the encoded inputs), so codejury keeps such data a second time in
``marshal`` form, which loads several times faster. A sealed file is::

    MAGIC (8 bytes) | blake2b(key + payload) (32 bytes) | payload

The key names what the file must hold (its kind, format version, dataset hash, task...), so
a damaged, truncated, half-written or misplaced file fails its seal; callers then recompute
the value and never trust the file. The seal guards against accidents, not against someone
who may write the user's cache (they could equally rewrite the dataset copy).

``marshal`` keeps the exact builtin types, identity sharing included, but turns a
``bytearray`` into ``bytes`` and refuses other objects: :func:`dump_plain` therefore only
writes values made of the types it round-trips exactly, and says so when it cannot.
"""

from __future__ import annotations

import gc
import hashlib
import marshal
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

MAGIC = b"CJSEAL1\n"
_DIGEST_BYTES = 32
_HEAD = len(MAGIC) + _DIGEST_BYTES
_SCALARS = frozenset({type(None), bool, int, float, complex, str, bytes})
_SEQUENCES = frozenset({list, tuple, set, frozenset})


def _seal(key: bytes, payload: bytes) -> bytes:
    h = hashlib.blake2b(digest_size=_DIGEST_BYTES)
    h.update(len(key).to_bytes(4, "big"))
    h.update(key)
    h.update(payload)
    return h.digest()


def write_sealed(path: Path, payload: bytes, key: bytes) -> None:
    """Write ``payload`` under ``key``'s seal, atomically (a crash never leaves half a file).

    The file is private to the user (``mkstemp`` creates it 0600).

    Raises:
        OSError: The directory or file cannot be written.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(MAGIC)
            f.write(_seal(key, payload))
            f.write(payload)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_sealed(path: Path, key: bytes) -> bytes | None:
    """The payload of a sealed file, or None when it is missing, unreadable or damaged."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if len(data) < _HEAD or not data.startswith(MAGIC):
        return None
    payload = data[_HEAD:]
    if data[len(MAGIC) : _HEAD] != _seal(key, payload):
        return None
    return payload


def marshal_exact(value: Any, depth: int = 0) -> bool:
    """Whether ``marshal`` gives ``value`` back with exactly the same types and contents."""
    t = type(value)
    if t in _SCALARS:
        return True
    if depth > 150:  # deeper than the wire allows anyway: keep the slow, exact path
        return False
    if t in _SEQUENCES:
        return all(marshal_exact(v, depth + 1) for v in value)
    if t is dict:
        return all(
            marshal_exact(k, depth + 1) and marshal_exact(v, depth + 1) for k, v in value.items()
        )
    return False  # bytearray (comes back as bytes), Opaque markers, anything else


def dump_plain(value: Any) -> bytes | None:
    """``marshal`` bytes of ``value``, or None when marshal would not give it back exactly."""
    if not marshal_exact(value):
        return None
    try:
        return marshal.dumps(value, 4)
    except (ValueError, RecursionError, MemoryError):
        return None


def load_plain(payload: bytes) -> Any:
    """Values from :func:`dump_plain` bytes (of a sealed file).

    Raises:
        ValueError: The bytes are not marshal data (only possible for a forged seal).
    """
    with bulk_objects():
        try:
            return marshal.loads(payload)
        except (EOFError, TypeError) as exc:
            raise ValueError(f"not marshal data: {exc}") from None


@contextmanager
def bulk_objects() -> Iterator[None]:
    """Build a large, long-lived, acyclic structure without the cyclic GC walking it.

    Building millions of containers (a parsed dataset, an index of expected outputs) makes
    the collector walk the growing heap again and again, which costs several times the
    parse itself; and every later collection would walk it again. So the collector is paused
    while it is built, and what exists afterwards is moved to the permanent generation
    (``gc.freeze``), which collections skip. Reference counting still frees those objects
    as usual; only a reference cycle that is already garbage at that moment stays in memory.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.freeze()
            gc.enable()
