"""A test set ready to run: encoded inputs, expected outputs, their digests and timings.

Large expected outputs (HumanEval/15 and /130 return ~260 MB per pass) are not shipped back
and forth: the child sends a digest of each large output and the judge compares it with the
reference's digest. The large reference values themselves stay on disk and are loaded only
when a digest does not match and the judge must compare real values.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from codejury.sandbox import wire
from codejury.sandbox.jail import encode_inputs, run_payload
from codejury.scoring.compare import is_floats

# Outputs whose exact encoding reaches this size travel as a digest.
DIGEST_MIN_BYTES = 32 << 10


class _Absent:
    """Placeholder for a large expected value that is on disk (or not kept); equal to nothing."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return False

    def __ne__(self, other: object) -> bool:
        return True

    def __hash__(self) -> int:
        return 0

    def __repr__(self) -> str:
        return "<large value on disk>"


ABSENT: Any = _Absent()


def contains_nan(value: Any) -> bool:
    """Whether a plain value holds a NaN anywhere (NaN != NaN, so digests cannot decide)."""
    if type(value) is float:
        return math.isnan(value)
    if type(value) is complex:
        return math.isnan(value.real) or math.isnan(value.imag)
    if type(value) in (list, tuple, set, frozenset):
        return any(map(contains_nan, value))
    if type(value) is dict:
        return any(map(contains_nan, value.keys())) or any(map(contains_nan, value.values()))
    return False


@dataclass
class BigValue:
    """What the judge keeps in memory about one large expected output."""

    digest: str
    floats: bool  # is_floats(value): drives EvalPlus's running atol default
    nan: bool  # digest equality is not equality when the value holds a NaN


@dataclass
class TestSet:
    """One test set (base or plus) of one task.

    Attributes:
        entry_point: Function under test.
        inputs: Argument lists.
        expected: Expected outputs; large ones are :data:`ABSENT` until loaded.
        big: Digest facts of the large expected outputs, by input index.
        reference_cpu: The reference solution's CPU seconds per input.
        digests_allowed: False for tasks judged by a special oracle (not by equality).
        load_big: Returns the large expected values by index (read from the cache file).
        load_inputs: Returns the inputs in wire form (:func:`encode_inputs`' bytes, e.g. from
            a cache file); called once, when a job first needs them. By default the inputs
            are encoded here.
    """

    entry_point: str
    inputs: Sequence[Sequence[Any]]
    expected: list[Any]
    big: dict[int, BigValue]
    reference_cpu: Sequence[float]
    digests_allowed: bool = True
    load_big: Callable[[], dict[int, Any]] | None = None
    load_inputs: Callable[[], bytes] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _inputs_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _encoded: bytes | None = field(default=None, repr=False)
    _payloads: dict[bool, bytes] = field(default_factory=dict, repr=False)

    @property
    def encoded_inputs(self) -> bytes:
        """The inputs in wire form, built (or read) once for every sample of the task."""
        with self._inputs_lock:
            if self._encoded is None:
                load = self.load_inputs
                self._encoded = load() if load is not None else encode_inputs(self.inputs)
            return self._encoded

    def payload(self, digests: bool) -> bytes:
        """The run message, with large outputs returned as digests or as copies."""
        payload = self._payloads.get(digests)
        if payload is None:
            encoded = self.encoded_inputs
            with self._inputs_lock:
                payload = self._payloads.get(digests)
                if payload is None:
                    payload = self._payloads[digests] = run_payload(
                        self.entry_point,
                        encoded,
                        digest_min=DIGEST_MIN_BYTES if digests else 0,
                    )
        return payload

    def value(self, i: int) -> Any:
        """Expected output ``i``, reading large values from disk on first need.

        A reference output too large to keep (over 64 MiB encoded) stays :data:`ABSENT`,
        which equals nothing: such an output is accepted only through its digest.
        """
        v = self.expected[i]
        if v is ABSENT and self.load_big is not None:
            with self._lock:
                if self.load_big is not None:
                    for j, big in self.load_big().items():
                        self.expected[j] = big
                    self.load_big = None
            v = self.expected[i]
        return v

    def digest_matches(self, i: int, digest: str) -> tuple[bool, bool]:
        """(equal, floats) for a sample's digest of output ``i``.

        ``equal`` is True only when the digest proves equality; False means "compare the real
        values". ``floats`` is whether the expected value is floats (for the atol state).
        """
        big = self.big.get(i)
        if big is not None:
            return digest == big.digest and not big.nan, big.floats
        exp = self.value(i)
        got = wire.digest(exp)
        return (got is not None and got[0] == digest and not contains_nan(exp)), is_floats(exp)
