"""Verdict records and how one sandboxed exchange becomes a verdict."""

from __future__ import annotations

import signal
from dataclasses import asdict, dataclass
from typing import Any

from codejury.sandbox.jail import ExitInfo, Outcome

STATUSES = ("pass", "fail", "error", "timeout", "memory", "crash", "no_code")


@dataclass
class PartVerdict:
    """The verdict of one sample on one test set (``base``, ``plus`` or ``check``).

    Attributes:
        status: One of :data:`STATUSES`.
        reason: Why, in a few words: the exception type, ``wrong output``, ``SIGSEGV``...
            Exception messages never cross the sandbox (they could carry exfiltrated data).
        failed_index: Index of the first input that did not pass, when there is one.
        n_inputs: Inputs in the test set.
        cpu: CPU seconds the child used (kernel accounting).
        retried: Whether a timeout was re-run alone and this is the second verdict.
        failures: With ``--test-details``: every input that did not pass, in order.
        busy: For a timeout, the share of the timed-out input's run spent waiting for a CPU;
            a timeout on a busy machine is re-run alone before it counts.
    """

    status: str
    reason: str = ""
    failed_index: int | None = None
    n_inputs: int = 0
    cpu: float = 0.0
    retried: bool = False
    failures: list[int] | None = None
    busy: float = 0.0

    @property
    def passed(self) -> bool:
        """True for ``pass``."""
        return self.status == "pass"

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PartVerdict:
        """Inverse of :meth:`as_dict`."""
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


def evalplus_status(status: str) -> str:
    """EvalPlus's three-valued status for our seven."""
    return status if status in ("pass", "timeout") else "fail"


_CRASH_SIGNALS = {signal.SIGSEGV, signal.SIGBUS, signal.SIGABRT, signal.SIGILL, signal.SIGFPE}


def from_exit(info: ExitInfo, failed_index: int | None, n: int) -> PartVerdict:
    """Classify a child that died or closed its channel on its own."""
    if info.killed_by_judge:
        return PartVerdict("crash", "closed its channel", failed_index, n, info.cpu)
    if info.signal == signal.SIGXCPU:
        return PartVerdict("timeout", "CPU limit", failed_index, n, info.cpu)
    if info.signal is not None:
        try:
            name = signal.Signals(info.signal).name
        except ValueError:
            name = f"signal {info.signal}"
        return PartVerdict("crash", name, failed_index, n, info.cpu)
    return PartVerdict("crash", f"exited with code {info.exit}", failed_index, n, info.cpu)


def from_exception(name: str, index: int | None, n: int) -> PartVerdict:
    """A verdict for a sample that raised ``name`` (a type name only)."""
    if name == "MemoryError":
        return PartVerdict("memory", name, index, n)
    return PartVerdict("error", name, index, n)


def from_outcome(outcome: Outcome, index: int | None, n: int) -> PartVerdict | None:
    """Verdicts that follow from the outcome alone (None when the caller must decide)."""
    if outcome.kind == "timeout":
        verdict = PartVerdict("timeout", "time limit", outcome.index if index is None else index, n)
        verdict.busy = round(outcome.busy, 3)
        return verdict
    if outcome.kind == "protocol":
        return PartVerdict("fail", "protocol violation", index, n)
    if outcome.kind == "noentry":
        return PartVerdict("error", "entry point not defined", None, n)
    if outcome.kind == "exc":
        return from_exception(outcome.name, None, n)
    return None
