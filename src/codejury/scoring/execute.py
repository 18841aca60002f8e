"""Running one solution against one test set in a sandbox child (io and check modes)."""

from __future__ import annotations

import builtins
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from codejury.datasets.models import Problem
from codejury.errors import SandboxError
from codejury.sandbox import wire
from codejury.sandbox.jail import Outcome, Worker, run_payload
from codejury.sandbox.limits import Limits
from codejury.scoring.compare import Comparator
from codejury.scoring.testset import ABSENT, DIGEST_MIN_BYTES, TestSet
from codejury.scoring.verdicts import PartVerdict, from_exception, from_exit, from_outcome


def run_io(
    worker: Worker,
    solution: str,
    problem: Problem,
    family: str,
    tests: TestSet,
    limits: Limits,
    *,
    test_details: bool = False,
) -> PartVerdict:
    """Differential testing: every input's output compared with the expected one.

    Stops at the first failing input (EvalPlus's default ``fast_check``) unless
    ``test_details`` is set, in which case wrong outputs and exceptions do not stop the run.
    Large outputs come back as digests; if one does not prove equality, the whole test set
    is run again with full copies (the outputs may still be equal, e.g. a set built in
    another order), so the verdict never rests on a digest mismatch.
    """
    n = len(tests.inputs)
    if not solution.strip():
        return PartVerdict("no_code", "empty solution", None, n)
    verdict, undecided = _run_io_once(
        worker, solution, problem, family, tests, limits, test_details, tests.digests_allowed
    )
    if undecided:
        verdict, _ = _run_io_once(
            worker, solution, problem, family, tests, limits, test_details, False
        )
    return verdict


def _run_io_once(
    worker: Worker,
    solution: str,
    problem: Problem,
    family: str,
    tests: TestSet,
    limits: Limits,
    test_details: bool,
    digests: bool,
) -> tuple[PartVerdict, bool]:
    n = len(tests.inputs)
    input_limits = [limits.input_limit(t) for t in tests.reference_cpu]
    comparator = Comparator(family, problem.entry_point, problem.atol)
    first: list[PartVerdict] = []
    failures: list[int] = []
    undecided: list[int] = []

    def on_item(i: int, tag: str, value: Any, _cpu: float) -> bool:
        if tag == "h":
            equal, floats = tests.digest_matches(i, value)
            if equal:
                comparator.note_exact(floats)
                return True
            undecided.append(i)
            return False
        if tag == "r" and comparator.matches(tests.inputs[i], value, tests.value(i)):
            return True
        failures.append(i)
        if not first:
            first.append(
                PartVerdict("fail", "wrong output", i, n)
                if tag != "e"
                else from_exception(value, i, n)
            )
        return test_details

    child = worker.spawn(cpu_seconds=limits.load_time_limit + limits.part_limit(input_limits) + 1)
    try:
        loaded = child.load(solution, limits.load_time_limit)
        if loaded.kind == "ok":
            outcome = child.run(
                tests.payload(digests),
                n,
                input_limits,
                on_item,
                total=limits.part_limit(input_limits),
            )
        else:
            outcome = loaded
    finally:
        info = child.close()
    if undecided and not first:
        return PartVerdict("fail", "undecided"), True
    verdict = _finish(outcome, first, n, info)
    verdict.cpu = info.cpu
    if test_details:
        if outcome.kind == "timeout" and outcome.index not in failures:
            failures.append(outcome.index)
        verdict.failures = failures
    return verdict, False


def _finish(outcome: Outcome, first: list[PartVerdict], n: int, info: Any) -> PartVerdict:
    if first:  # the first failure decides, whatever happened after it
        return first[0]
    if outcome.kind in ("ok", "stopped"):
        return PartVerdict("pass", "", None, n)
    decided = from_outcome(outcome, None, n)
    if decided is not None:
        return decided
    return from_exit(info, outcome.received if outcome.received < n else None, n)


@dataclass
class Reference:
    """The reference solution's results on one test set.

    Attributes:
        values: Outputs; a very large one is :data:`ABSENT` (kept as its digest only).
        big: For each large output: [digest as the child computed it, is_floats, has_nan].
        cpu: CPU seconds per input.
    """

    values: list[Any]
    big: dict[int, list[Any]]
    cpu: list[float]


def run_reference(worker: Worker, problem: Problem, inputs: Sequence[Sequence[Any]]) -> Reference:
    """Run the canonical solution on ``inputs`` in the sandbox; its outputs are the oracle.

    Raises:
        SandboxError: The reference did not complete — a broken sandbox or dataset, which no
            verdict may silently absorb.
    """
    n = len(inputs)
    ref = Reference([None] * n, {}, [0.0] * n)
    failure: list[str] = []

    def on_item(i: int, tag: str, value: Any, cpu: float) -> bool:
        if tag == "e":
            failure.append(f"input {i} raised {value}")
            return False
        if tag == "hv":
            digest, value, floats, nan = value
            ref.big[i] = [digest, bool(floats), bool(nan)]
            if value is None:
                value = ABSENT
        elif tag != "r":
            failure.append(f"input {i}: unexpected {tag}")
            return False
        ref.values[i], ref.cpu[i] = value, cpu
        return True

    child = worker.spawn(cpu_seconds=60.0 * max(n, 1))
    try:
        loaded = child.load(problem.reference_program, 60.0)
        payload = run_payload(problem.entry_point, inputs, digest_min=DIGEST_MIN_BYTES, both=True)
        outcome = (
            child.run(payload, n, [60.0] * n, on_item, max_frame=wire.MAX_FRAME_BYTES)
            if loaded.kind == "ok"
            else loaded
        )
    finally:
        child.close()
    if failure or outcome.kind != "ok":
        why = failure[0] if failure else f"{outcome.kind} {outcome.name}".strip()
        raise SandboxError(
            f"the reference solution of {problem.task_id} failed in the sandbox: {why}",
            hint="this is a sandbox or dataset problem, not the sample's; please report it",
        )
    return ref


# --------------------------------------------------------------------------------------------
# check mode: the published check(candidate) runs in the judge, the candidate in the child

_RERAISABLE = {
    name: obj
    for name, obj in vars(builtins).items()
    if isinstance(obj, type)
    and issubclass(obj, Exception)
    and not issubclass(obj, (SystemExit, KeyboardInterrupt, GeneratorExit))
}


class SampleRaised(Exception):
    """The candidate raised an exception the judge does not re-create by type."""


class _Abort(BaseException):
    """The child timed out, died or broke the protocol during a call; check() must stop."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__(outcome.kind)
        self.outcome = outcome


def run_check(
    worker: Worker, solution: str, problem: Problem, budget: float, limits: Limits
) -> tuple[PartVerdict, float]:
    """Run the published ``check(candidate)`` with ``candidate`` proxied into the child.

    The test code is the dataset's (trusted) and runs here, in a private namespace that also
    holds the prompt's helpers (e.g. ``poly`` for HumanEval/32). Each call crosses the
    channel as plain data; the child never sees the test or its expected values.

    Returns:
        The verdict and the candidate's total CPU seconds (the reference's is the budget base).
    """
    if not solution.strip():
        return PartVerdict("no_code", "empty solution", None, 0), 0.0
    if not problem.test:
        raise SandboxError(f"{problem.task_id} has no check function")
    used = [0.0]
    calls = [0]
    child = worker.spawn(cpu_seconds=limits.load_time_limit + budget + 1)

    def candidate(*args: Any) -> Any:
        index = calls[0]
        calls[0] += 1
        try:
            payload = run_payload(problem.entry_point, [args])
        except Exception as exc:  # the test passed something that is not plain data
            raise SampleRaised("unproxyable argument") from exc
        got: list[tuple[bool, Any]] = []

        def on_item(_i: int, tag: str, value: Any, cpu: float) -> bool:
            used[0] += cpu
            got.append((tag == "r", value))
            return True

        remaining = max(budget - used[0], 0.05)
        outcome = child.run(payload, 1, [remaining], on_item, max_frame=64 << 20)
        if outcome.kind != "ok" or not got:
            outcome.index = index
            raise _Abort(outcome)
        ok, value = got[0]
        if ok:
            return value
        exc_type: Callable[..., BaseException] = _RERAISABLE.get(value, SampleRaised)
        err = exc_type(value)
        # Marks the exception as the sample's, so the judge can tell it from the test's own.
        err.codejury_sample_exception = value  # type: ignore[attr-defined]
        raise err

    verdict: PartVerdict
    try:
        loaded = child.load(solution, limits.load_time_limit)
        if loaded.kind != "ok":
            verdict = from_outcome(loaded, None, 0) or PartVerdict("crash", loaded.kind)
        else:
            namespace: dict[str, Any] = {"__name__": "__check__"}
            exec(problem.prompt, namespace)
            exec(problem.test, namespace)
            # Some checks call the function by its own name (HumanEval/33); in the original
            # harness that name is the sample's function, i.e. the candidate.
            namespace[problem.entry_point] = candidate
            try:
                namespace["check"](candidate)
                verdict = PartVerdict("pass", "", None, calls[0])
            except _Abort as abort:
                verdict = from_outcome(abort.outcome, abort.outcome.index, calls[0]) or (
                    PartVerdict("crash", abort.outcome.kind, abort.outcome.index, calls[0])
                )
            except AssertionError:
                verdict = PartVerdict("fail", "assertion failed", calls[0] - 1, calls[0])
            except Exception as exc:
                name = getattr(exc, "codejury_sample_exception", None)
                if isinstance(name, str):
                    verdict = from_exception(name, calls[0] - 1, calls[0])
                else:  # the test choked on what the candidate returned (e.g. a str for a float)
                    verdict = PartVerdict(
                        "fail", f"test raised {type(exc).__name__}", calls[0] - 1, calls[0]
                    )
    finally:
        info = child.close()
    if verdict.status == "crash" and verdict.reason in ("eof", ""):
        verdict = from_exit(info, verdict.failed_index, verdict.n_inputs)
    verdict.cpu = info.cpu
    return verdict, used[0]
