"""Unit-test checks: the team's Python tests run in the sandbox against the answer's code.

Never in the codejury process: one confined sandbox child per (answer, check) loads the
answer's code first, then receives the tests and runs them one per input, reporting each as
plain data (see :mod:`codejury.taskeval.harness` for what the child does and which tricks it
defeats). The verdict is decided here: ``pass`` needs every test to report a pass.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codejury.sandbox.jail import ExitInfo, Isolation, Outcome, Pool, SandboxConfig, Worker
from codejury.sandbox.jail import run_payload as _payload
from codejury.sandbox.limits import Limits
from codejury.scoring.evaluate import RETRY_BUSY_SHARE
from codejury.scoring.samples import MAX_SOLUTION_BYTES
from codejury.scoring.verdicts import from_exception, from_exit, from_outcome
from codejury.taskeval.checks import CheckResult
from codejury.taskeval.checkspec import UnitTestsCheck

HARNESS = Path(__file__).with_name("harness.py").read_text(encoding="utf-8")
ENTRY = "_cj_test"
_TEST_STATUSES = ("pass", "fail", "error")
_MAX_MESSAGE = 300


@dataclass(frozen=True)
class CodeJob:
    """One unit-test check to run: its key (the caller's), the answer's code and the check."""

    key: Hashable
    code: str
    check: UnitTestsCheck


def program(code: str, check: UnitTestsCheck) -> str:
    """The module body a sandbox child loads: the harness, then the answer's code run in it."""
    imports = test_imports(check.tests)
    return f"{HARNESS}\n_cj_prepare({code!r}, {check.plain_results!r}, {imports!r})\n"


@functools.lru_cache(maxsize=64)
def test_imports(tests: str) -> list[str]:
    """The modules a test module imports (top-level names, ``solution`` aside), in order."""
    names: list[str] = []
    for node in ast.walk(ast.parse(tests)):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.append(node.module)
    return [n for n in dict.fromkeys(names) if n.split(".")[0] != "solution"]


def run_unit_tests(worker: Worker, code: str, check: UnitTestsCheck, limits: Limits) -> CheckResult:
    """Run one unit-test check in a fresh sandbox child of ``worker``.

    Args:
        worker: A started sandbox worker (one user at a time).
        code: The code extracted from the answer.
        check: The tests.
        limits: Memory, load-time and other limits of the child.

    Returns:
        ``pass`` when every test passed; otherwise the first failing test's status (``fail``,
        ``error``, ``timeout``, ``memory``, ``crash``), or ``no_code``. The detail lists each
        test's status and the first failure's message and test line.
    """
    if not code.strip():
        return CheckResult("no_code", "no code in the answer")
    if len(code.encode("utf-8")) > MAX_SOLUTION_BYTES:
        return CheckResult("error", "code larger than 1 MiB")
    names = check.test_names
    per_test = [check.timeout_s] * len(names)
    reports: list[list[Any]] = []

    def on_item(_i: int, tag: str, value: Any, _cpu: float) -> bool:
        reports.append(_report(tag, value))
        return True

    child = worker.spawn(cpu_seconds=limits.load_time_limit + sum(per_test) + 1)
    try:
        outcome = child.load(program(code, check), limits.load_time_limit)
        loaded = outcome.kind == "ok"
        if loaded:
            inputs = [[check.tests if i == 0 else None, name] for i, name in enumerate(names)]
            payload = _payload(ENTRY, inputs)
            outcome = child.run(payload, len(names), per_test, on_item, total=sum(per_test) + 5)
    finally:
        info = child.close()
    return _verdict(check, loaded, outcome, reports, info)


def _report(tag: str, value: Any) -> list[Any]:
    # Whatever arrives is checked: only these shapes count, anything else is a failure.
    if tag == "e":  # the harness itself raised (the answer broke it)
        return ["error", f"test runner raised {value}", 0]
    if (
        type(value) in (list, tuple)
        and len(value) == 3
        and value[0] in _TEST_STATUSES
        and type(value[1]) is str
        and type(value[2]) is int
    ):
        return [value[0], value[1][:_MAX_MESSAGE], value[2]]
    return ["fail", "malformed test report", 0]


def _verdict(
    check: UnitTestsCheck, loaded: bool, outcome: Outcome, reports: list[list[Any]], info: ExitInfo
) -> CheckResult:
    names = check.test_names
    statuses = {name: str(r[0]) for name, r in zip(names, reports, strict=False)}
    detail: dict[str, Any] = {"tests": statuses, "cpu": round(info.cpu, 3)}
    if not loaded:
        detail["tests"] = dict.fromkeys(names, "not run")
        if outcome.kind == "exc":
            part = from_exception(outcome.name, None, len(names))
            return CheckResult(part.status, f"the code raised {outcome.name} when loaded", detail)
        part = from_outcome(outcome, None, len(names)) or from_exit(info, None, len(names))
        return CheckResult(part.status, f"the code did not load: {part.reason}", detail)
    for name, report in zip(names, reports, strict=False):
        if report[0] != "pass":
            _failure(detail, check, name, report)
            status = "memory" if report[1].startswith("MemoryError") else report[0]
            where = f" (line {detail['line']}: {detail['source_line']})" if "line" in detail else ""
            return CheckResult(status, f"{name}: {report[1] or 'assertion failed'}{where}", detail)
    if outcome.kind == "ok" and len(reports) == len(names):
        return CheckResult("pass", detail=detail)
    # The child stopped answering before every test reported: it exited, crashed, ran out of
    # time or broke the protocol. The test it was on takes the blame; the rest did not run.
    stuck = len(reports)
    part = from_outcome(outcome, stuck, len(names)) or from_exit(info, stuck, len(names))
    if stuck < len(names):
        statuses[names[stuck]] = part.status
        for name in names[stuck + 1 :]:
            statuses[name] = "not run"
    if outcome.kind == "timeout":
        detail["busy"] = round(outcome.busy, 3)
    where = names[stuck] if stuck < len(names) else "after the last test"
    return CheckResult(part.status, f"{where}: {part.reason}", detail)


def _failure(detail: dict[str, Any], check: UnitTestsCheck, name: str, report: list[Any]) -> None:
    line = int(report[2])
    lines = check.tests.splitlines()
    detail["failed_test"] = name
    detail["message"] = report[1]
    if 0 < line <= len(lines):
        detail["line"] = line
        detail["source_line"] = lines[line - 1].strip()[:_MAX_MESSAGE]


class CodeTester:
    """Runs unit-test checks on a pool of sandbox workers, several at a time.

    Args:
        workers: Sandbox workers (one zygote each), about one per core.
        sandbox: How the sandbox is built.
        limits: Resource limits of each child.
    """

    def __init__(self, workers: int, sandbox: SandboxConfig, limits: Limits) -> None:
        self.workers = max(1, workers)
        self.sandbox = sandbox
        self.limits = limits
        self.isolation: Isolation | None = None

    def _one(self, pool: Pool, job: CodeJob) -> CheckResult:
        worker = pool.acquire()
        try:
            result = run_unit_tests(worker, job.code, job.check, self.limits)
            # A timeout while the machine was busy may be the machine's doing: once more.
            if result.status == "timeout" and result.detail.get("busy", 0) >= RETRY_BUSY_SHARE:
                result = run_unit_tests(worker, job.code, job.check, self.limits)
                result.detail["retried"] = True
            return result
        finally:
            pool.release(worker)

    def run(
        self, jobs: Sequence[CodeJob], on_result: Callable[[CodeJob, CheckResult], None]
    ) -> None:
        """Run every job; ``on_result`` is called (in this thread) as each one finishes.

        Raises:
            SandboxError: The sandbox cannot start or fails (never an answer's fault).
        """
        if not jobs:
            return
        size = min(self.workers, len(jobs))
        executor = ThreadPoolExecutor(max_workers=size)
        try:
            with Pool(size, self.sandbox, self.limits) as pool:
                self.isolation = pool.isolation
                futures: dict[Future[CheckResult], CodeJob] = {
                    executor.submit(self._one, pool, job): job for job in jobs
                }
                pending = set(futures)
                while pending:
                    done, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
                    for future in done:
                        on_result(futures[future], future.result())
        finally:
            # On Ctrl-C: drop the queued jobs; the running ones end as the pool's children
            # died with it just above.
            executor.shutdown(wait=True, cancel_futures=True)
