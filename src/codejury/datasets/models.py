"""The dataset model every other part reads: a benchmark is a frozen set of problems."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

# Which oracle family a benchmark belongs to. EvalPlus passes this string ("humaneval" or
# "mbpp") to its comparison code to switch on per-task special oracles; we keep the same name.
OracleFamily = Literal["humaneval", "mbpp"]
# "io": differential testing on inputs against expected outputs (EvalPlus).
# "check": the published `check(candidate)` test function (original HumanEval).
TestMode = Literal["io", "check"]


@dataclass(frozen=True)
class Problem:
    """One task of a benchmark.

    Attributes:
        task_id: The id as published, e.g. ``HumanEval/0`` or ``Mbpp/2``.
        prompt: The text a model is given (function signature and docstring).
        entry_point: Name of the function under test.
        canonical_solution: Reference body/code; ``prompt + canonical_solution`` is the
            reference program, exactly as EvalPlus builds it.
        base_inputs: Argument lists of the original tests (types restored, e.g. MBPP+ tuples).
        plus_inputs: Argument lists of the extra EvalPlus tests (empty for plain HumanEval).
        atol: Absolute tolerance for float comparison (0 = exact, EvalPlus semantics).
        test: Source of the published ``check(candidate)`` function (``check`` mode only).
    """

    task_id: str
    prompt: str
    entry_point: str
    canonical_solution: str
    base_inputs: list[list[Any]] = field(default_factory=list)
    plus_inputs: list[list[Any]] = field(default_factory=list)
    atol: float = 0.0
    test: str | None = None

    @property
    def reference_program(self) -> str:
        """The full reference program (prompt + canonical solution), as EvalPlus runs it."""
        return self.prompt + self.canonical_solution


@dataclass(frozen=True)
class Benchmark:
    """A loaded, verified benchmark.

    Attributes:
        id: codejury's benchmark id: ``humaneval``, ``humaneval+``, ``humaneval+-mini``, ``mbpp+``.
        version: Upstream release version (e.g. ``v0.1.10``).
        family: Oracle family (``humaneval`` or ``mbpp``), EvalPlus's ``dataset`` argument.
        mode: ``io`` (inputs/expected outputs) or ``check`` (published check function).
        has_plus: Whether the problems carry plus inputs.
        content_hash: md5 of the decompressed file — the value EvalPlus writes as ``"hash"``.
        source: Path of the file it was read from.
        problems: Problems by task id, in published order.
    """

    id: str
    version: str
    family: OracleFamily
    mode: TestMode
    has_plus: bool
    content_hash: str
    source: str
    problems: dict[str, Problem]
