"""Resource limits of one sandboxed run, and the time-limit calibration rule."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Limits:
    """Limits applied to every sample.

    Time limits follow EvalPlus: each input may take ``max(min_time_limit,
    time_limit_factor * reference_time)`` where the reference time is the canonical solution's
    CPU time on that input, measured on the same worker. We measure the sample's time as
    elapsed time minus the time it spent waiting for a CPU (from the kernel's schedstat), so
    a busy machine does not turn a pass into a timeout.

    Attributes:
        min_time_limit: Floor of every per-input limit, seconds (EvalPlus default 1.0).
        time_limit_factor: Multiple of the reference time allowed (EvalPlus default 4.0).
        load_time_limit: Time allowed to execute the sample's module body, seconds.
        part_time_limit: Time allowed for one whole test set (EvalPlus caps it at 60 s with
            EVALPLUS_TIMEOUT_PER_TASK); our encoding of huge outputs gets ``encode_allowance``
            on top, since that time is ours, not the sample's.
        memory_bytes: Address-space limit (EvalPlus default 4 GiB).
        file_bytes: Largest file a sample may write.
        tmp_bytes: Size of the private tmpfs all samples of one worker share.
        open_files: File descriptors.
        processes: Threads of the sandbox uid (forking is refused outright).
    """

    min_time_limit: float = 1.0
    time_limit_factor: float = 4.0
    load_time_limit: float = 10.0
    part_time_limit: float = 60.0
    encode_allowance: float = 30.0
    memory_bytes: int = 4 << 30
    file_bytes: int = 16 << 20
    tmp_bytes: int = 256 << 20
    open_files: int = 64
    processes: int = 64

    def input_limit(self, reference_seconds: float) -> float:
        """The time allowed for one input whose reference took ``reference_seconds``."""
        return max(self.min_time_limit, self.time_limit_factor * reference_seconds)

    def part_limit(self, input_limits: list[float]) -> float:
        """Time allowed for a whole test set whose inputs have ``input_limits``."""
        return min(sum(input_limits), self.part_time_limit) + self.encode_allowance

    def key(self) -> str:
        """A short stable hash of every limit; part of each cached verdict's key."""
        blob = json.dumps(asdict(self), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:16]
