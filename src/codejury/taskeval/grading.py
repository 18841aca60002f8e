"""Answers × checks → verdicts in the store, resumable: each verdict is committed as it lands.

Every check of every answer becomes one verdict (part ``check:<name>``), and when all of an
answer's checks are decided, one more (part ``task``) says whether the answer passed them all.
Each verdict carries the hash of the answer it judged, so a resumed run reuses exactly the
verdicts whose answers did not change (an answer re-requested after a failure is checked
again) and never runs a unit test or asks the judge twice for the same answer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field

from codejury.errors import ConfigError
from codejury.runner import GenerationOutcome
from codejury.store.db import Store
from codejury.store.records import GenerationRecord, VerdictRecord
from codejury.taskeval.checks import LOCAL_KINDS, CheckResult, evaluate
from codejury.taskeval.checkspec import Check, JudgeCheck, LabelCheck, UnitTestsCheck
from codejury.taskeval.codetests import CodeJob, CodeTester
from codejury.taskeval.judge import JudgeJob, judge_job_id, judge_result
from codejury.taskeval.models import TaskFile
from codejury.taskeval.planning import answer_sha

TASK_PART = "task"
VERDICT_META = ("kind", "reason", "answer_sha")
"""Keys every check verdict's detail has besides the check's own facts."""
CHECK_PART = "check:"
Key = tuple[str, int, str]
"""(task id, answer index, check name)."""
JudgeRunner = Callable[[Mapping[str, JudgeJob]], Awaitable[GenerationOutcome]]
"""Runs the judge's generation loop on jobs (by job id) and returns what it produced."""


def check_part(check: Check) -> str:
    """The verdict part that holds a check's outcome."""
    return CHECK_PART + check.name


def label_sets(tasks: TaskFile) -> dict[str, tuple[str, ...]]:
    """Each label check name's label set: as the file lists it, else every expected label."""
    sets: dict[str, list[str]] = {}
    given: dict[str, tuple[str, ...]] = {}
    for task in tasks.tasks.values():
        for check in task.checks:
            if isinstance(check, LabelCheck):
                seen = sets.setdefault(check.name, [])
                if check.expected not in seen:
                    seen.append(check.expected)
                if check.labels:
                    given[check.name] = check.labels
    return {name: given.get(name, tuple(labels)) for name, labels in sets.items()}


@dataclass
class SampleResult:
    """One answer's outcome: passed every check, failed one, or could not be scored.

    Attributes:
        task_id: The task.
        index: The answer's index within the task.
        status: ``pass``, ``fail`` or ``unscored`` (no check failed, but the judge gave no
            usable score).
        checks: Each check's outcome, by check name.
        kinds: Each check's kind, by check name.
    """

    task_id: str
    index: int
    status: str
    checks: dict[str, CheckResult] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)


def sample_status(results: Sequence[CheckResult]) -> str:
    """A sample passes when every check passed; any other status but ``unscored`` fails it."""
    if all(r.passed for r in results):
        return "pass"
    if all(r.status in ("pass", "unscored") for r in results):
        return "unscored"
    return "fail"


class Grader:
    """Decides every check of a run's answers and records the verdicts.

    Args:
        tasks: The task file.
        store: The store.
        run_id: The run.
        tester: Runs the unit-test checks in the sandbox.
        judge: Runs the judge's generation loop on some jobs, or None when no model judges.
        judge_name: The judge model's name, for the verdicts.
        progress: Called as ``progress(stage, done, total)``.
    """

    def __init__(
        self,
        tasks: TaskFile,
        store: Store,
        run_id: str,
        tester: CodeTester,
        judge: JudgeRunner | None = None,
        judge_name: str = "",
        progress: Callable[[str, int, int], None] | None = None,
    ) -> None:
        self.tasks = tasks
        self.store = store
        self.run_id = run_id
        self.tester = tester
        self.judge = judge
        self.judge_name = judge_name
        self.progress = progress or (lambda _stage, _done, _total: None)
        self.labels = label_sets(tasks)
        self.results: dict[Key, CheckResult] = {}

    def _record(
        self, answer: GenerationRecord, check: Check, result: CheckResult, *, commit: bool = True
    ) -> VerdictRecord:
        self.results[(answer.task_id, answer.index, check.name)] = result
        detail = {
            "kind": check.kind,
            "reason": result.reason,
            "answer_sha": answer_sha(answer.raw_text),
            **result.detail,
        }
        verdict = VerdictRecord(
            answer.task_id, answer.index, check_part(check), result.status, detail
        )
        if commit:
            self.store.record_verdicts(self.run_id, [verdict])
        return verdict

    def _restore(self, answers: Sequence[GenerationRecord]) -> None:
        stored = {(v.task_id, v.index, v.part): v for v in self.store.run_verdicts(self.run_id)}
        for answer in answers:
            sha = answer_sha(answer.raw_text)
            for check in self.tasks.tasks[answer.task_id].checks:
                v = stored.get((answer.task_id, answer.index, check_part(check)))
                if v is None or v.detail.get("answer_sha") != sha or v.detail.get("retry"):
                    continue
                extra = {k: x for k, x in v.detail.items() if k not in VERDICT_META}
                key = (answer.task_id, answer.index, check.name)
                self.results[key] = CheckResult(v.status, str(v.detail.get("reason", "")), extra)

    def _missing(
        self, answers: Sequence[GenerationRecord], kinds: Sequence[str]
    ) -> list[tuple[GenerationRecord, Check]]:
        return [
            (a, c)
            for a in answers
            for c in self.tasks.tasks[a.task_id].checks
            if c.kind in kinds and (a.task_id, a.index, c.name) not in self.results
        ]

    async def grade(self, answers: Sequence[GenerationRecord]) -> list[SampleResult]:
        """Decide what is not decided yet; returns every answer's outcome."""
        self._restore(answers)
        # Local checks take microseconds each: their verdicts go in one transaction.
        local = [
            self._record(answer, check, self._local(answer, check), commit=False)
            for answer, check in self._missing(answers, LOCAL_KINDS)
        ]
        self.store.record_verdicts(self.run_id, local)
        self._unit_tests(self._missing(answers, ("unit_tests",)))
        pending = self._missing(answers, ("judge",))
        if pending:
            await self._judge(pending)
        samples: list[SampleResult] = []
        finals: list[VerdictRecord] = []
        for answer in answers:
            checks = self.tasks.tasks[answer.task_id].checks
            results = {c.name: self.results[(answer.task_id, answer.index, c.name)] for c in checks}
            status = sample_status(list(results.values()))
            kinds = {c.name: c.kind for c in checks}
            samples.append(SampleResult(answer.task_id, answer.index, status, results, kinds))
            detail = {
                "answer_sha": answer_sha(answer.raw_text),
                "checks": {name: r.status for name, r in results.items()},
            }
            finals.append(VerdictRecord(answer.task_id, answer.index, TASK_PART, status, detail))
        self.store.record_verdicts(self.run_id, finals)
        return samples

    def _local(self, answer: GenerationRecord, check: Check) -> CheckResult:
        if answer.error is not None:
            return _failed_request(answer)
        return evaluate(check, answer.raw_text, self.labels.get(check.name, ()))

    def _unit_tests(self, pending: list[tuple[GenerationRecord, Check]]) -> None:
        jobs: list[CodeJob] = []
        by_key: dict[Key, tuple[GenerationRecord, Check]] = {}
        for answer, check in pending:
            assert isinstance(check, UnitTestsCheck)
            if answer.error is not None:
                self._record(answer, check, _failed_request(answer))
                continue
            key = (answer.task_id, answer.index, check.name)
            by_key[key] = (answer, check)
            jobs.append(CodeJob(key, answer.code, check))
        if not jobs:
            return
        tester = self.tester
        done = [0]

        def landed(job: CodeJob, result: CheckResult) -> None:
            answer, check = by_key[job.key]  # type: ignore[index]
            if tester.isolation is not None:
                result.detail["sandbox"] = tester.isolation.level
            self._record(answer, check, result)
            done[0] += 1
            self.progress("testing", done[0], len(jobs))

        self.progress("testing", 0, len(jobs))
        tester.run(jobs, landed)

    async def _judge(self, pending: list[tuple[GenerationRecord, Check]]) -> None:
        jobs: dict[str, JudgeJob] = {}
        owners: dict[str, tuple[GenerationRecord, JudgeCheck]] = {}
        for answer, check in pending:
            assert isinstance(check, JudgeCheck)
            if answer.error is not None:
                self._record(answer, check, _failed_request(answer))
                continue
            if not answer.raw_text.strip():
                self._record(
                    answer, check, CheckResult("fail", "empty answer (the judge was not asked)")
                )
                continue
            task = self.tasks.tasks[answer.task_id]
            job_id = judge_job_id(task.id, answer.index, check.name, answer_sha(answer.raw_text))
            jobs[job_id] = JudgeJob(task, answer.index, check, answer.raw_text)
            owners[job_id] = (answer, check)
        if not jobs:
            return
        if self.judge is None:
            raise ConfigError(
                "the task file has judge checks but no judge model was given",
                hint="pass --judge MODEL (a model other than the ones compared, ideally)",
            )
        self.progress("judging", 0, len(jobs))
        outcome = await self.judge(jobs)
        by_id = {r.task_id: r for r in outcome.records if r.task_id in jobs}
        for job_id, (answer, check) in owners.items():
            # After a stop, only what the judge answered is final; the rest waits for resume.
            if job_id in by_id or outcome.stopped_by is None:
                result = judge_result(check, by_id.get(job_id), self.judge_name)
                self._record(answer, check, result)
        if outcome.stopped_by is not None:
            raise outcome.stopped_by


def _failed_request(answer: GenerationRecord) -> CheckResult:
    return CheckResult("error", f"no answer: the request failed ({answer.error})")
