"""The sanitizer on the regression corpus, plus properties that hold for any text.

Linear time is not asserted with a clock (too noisy on a shared machine): the tests count the
``ast.parse`` calls and the characters they are given, which must stay bounded by the number
of fences plus a constant, and by a small multiple of the output length, as outputs grow.
"""

from __future__ import annotations

import ast
import importlib.util
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codejury.sanitize import Sanitized, sanitize


def _load_corpus() -> ModuleType:
    # By path and under its own name: tests/adversarial already owns the module name "corpus".
    path = Path(__file__).with_name("corpus.py")
    spec = importlib.util.spec_from_file_location("sanitize_corpus", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["sanitize_corpus"] = module
    spec.loader.exec_module(module)
    return module


corpus = _load_corpus()
CASES = corpus.CASES
OK_CASES = [c for c in CASES if c.status == "ok"]


def _run(case: Any) -> Sanitized:
    return sanitize(case.text, case.entry_point, reasoning=case.reasoning)


@pytest.fixture(scope="module")
def check_errors() -> dict[str, str | None]:
    """Every case's ``check`` run against codejury's code, in one child process."""
    todo = [(c.name, _run(c).code, c.check) for c in CASES if c.check and c.status == "ok"]
    errors = corpus.run_checks([(code, check) for _, code, check in todo])
    return {name: err for (name, _, _), err in zip(todo, errors, strict=True)}


def test_corpus_is_large_and_names_are_unique() -> None:
    assert len(CASES) >= 40
    assert len({c.name for c in CASES}) == len(CASES)
    long_case = next(c for c in CASES if c.name.startswith("long_"))
    assert long_case.text.count("\n") >= 800


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_corpus_case(case: Any, check_errors: dict[str, str | None]) -> None:
    result = _run(case)
    assert corpus.judge(case, result.code, result.status) == [], result
    assert result.rule.startswith(case.rule), result.rule
    if result.status == "no_code":
        assert result.code == "" and result.rule == "no_code"
    if case.check and case.status == "ok":
        assert check_errors[case.name] is None, f"{check_errors[case.name]}\n{result.code}"


@pytest.mark.parametrize("case", OK_CASES, ids=lambda c: c.name)
def test_idempotent_on_corpus(case: Any) -> None:
    once = _run(case)
    twice = sanitize(once.code, case.entry_point)
    assert twice.status == "ok"
    assert twice.code == once.code


def test_reasoning_is_never_preferred_over_an_answer_with_code() -> None:
    answer = "```python\ndef f():\n    return 1\n```"
    thought = "```python\ndef f():\n    return 2\n\ndef g():\n    return 3\n```"
    for result in (
        sanitize(answer, "f", reasoning=thought),
        sanitize(f"<think>\n{thought}\n</think>\n{answer}", "f"),
    ):
        assert "return 1" in result.code and "return 2" not in result.code
        assert not result.rule.startswith("reasoning+")


def test_no_text_is_no_code() -> None:
    for text in ("", "   \n\n", "<think>\n</think>\n", "```python\n```"):
        result = sanitize(text, "f")
        assert (result.code, result.rule, result.status) == ("", "no_code", "no_code")


def test_statements_sharing_a_line_are_split() -> None:
    result = sanitize("import os; print(os.sep)\ndef f(): return os.sep\n", "f")
    assert result.code == "import os\n\ndef f(): return os.sep\n"


# ---------------------------------------------------------------------------------------------
# properties

_SNIPPETS = [
    "```python",
    "```",
    "~~~py",
    "~~~",
    "<think>",
    "</think>",
    "Here is the code:",
    "Explanation: we loop once.",
    "def f(x):",
    "    return x + 1",
    "def helper(xs):",
    "    xs.append(1)",
    "@functools.cache",
    "import functools",
    "class C:",
    "    pass",
    "if __name__ == '__main__':",
    "    print(f(1))",
    "print(f(2))",
    "assert f(1) == 2",
    "X = [1, 2,",
    "]",
    '"""',
    "    yield x",
    "for i in range(3): X.append(i)",
    "\t\treturn (",
    "",
]


@st.composite
def model_outputs(draw: Callable[..., Any]) -> str:
    """Text built from the pieces model outputs are made of, in random order."""
    lines = draw(st.lists(st.sampled_from(_SNIPPETS) | st.text(max_size=30), max_size=40))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    return str(newline.join(lines))


_ENTRIES = st.sampled_from([None, "f", "helper", "C", "missing"])


@settings(max_examples=300, deadline=None)
@given(st.text(), _ENTRIES)
def test_never_raises_on_any_text(text: str, entry: str | None) -> None:
    result = sanitize(text, entry, reasoning=text[::-1])
    assert result.status in ("ok", "no_code")
    if result.status == "ok":
        ast.parse(result.code)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(model_outputs(), _ENTRIES)
def test_ok_code_parses_and_sanitizing_again_changes_nothing(text: str, entry: str | None) -> None:
    once = sanitize(text, entry)
    assert once.status in ("ok", "no_code")
    if once.status == "ok":
        ast.parse(once.code)
        twice = sanitize(once.code, entry)
        assert (twice.status, twice.code) == ("ok", once.code)
    else:
        assert once.code == ""


# ---------------------------------------------------------------------------------------------
# linear work: count what is handed to ast.parse


@pytest.fixture
def parse_log(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Length of the source of every ``ast.parse`` call made while the test runs."""
    log: list[int] = []
    real = ast.parse

    def counting(source: Any, *args: Any, **kwargs: Any) -> Any:
        log.append(len(source))
        return real(source, *args, **kwargs)

    monkeypatch.setattr(ast, "parse", counting)
    yield log


def _chat_output(helpers: int) -> str:
    """A draft fence, a growing final fence, a usage fence, and prose that grows too."""
    final = "\n\n".join(f"def h{i}(x):\n    return x + {i}" for i in range(helpers))
    calls = " + ".join(f"h{i}(x)" for i in range(helpers))
    prose = "\n".join(f"Step {i}: we add {i} to the input." for i in range(helpers))
    return (
        f"Draft:\n```python\ndef f(x):\n    return 0\n```\n{prose}\n"
        f"Final:\n```python\n{final}\n\ndef f(x):\n    return {calls}\n```\n"
        "Usage:\n```python\nprint(f(1))\n```\n"
    )


def test_parse_calls_bounded_by_fences_as_output_grows(parse_log: list[int]) -> None:
    fences = 3
    for helpers in (1, 10, 100, 1000):
        parse_log.clear()
        text = _chat_output(helpers)
        result = sanitize(text, "f")
        assert result.status == "ok" and f"h{helpers - 1}" in result.code
        assert len(parse_log) <= fences + 1  # one per block, one check of the result
        assert sum(parse_log) <= 2 * len(text)


def test_parse_work_linear_for_prose_mixed_raw_output(parse_log: list[int]) -> None:
    # No fence: prose between the definitions forces the segment-by-segment path.
    for size in (10, 100, 1000):
        parse_log.clear()
        parts = [f"Now helper {i}:\ndef h{i}(x):\n    return x * {i}\n" for i in range(size)]
        text = "Here's my answer.\n" + "".join(parts) + "def f(x):\n    return h1(x)\n"
        result = sanitize(text, "f")
        assert result.rule == "raw:trimmed" and "def h1" in result.code
        assert sum(parse_log) <= 4 * len(text)  # each character parsed a bounded number of times


def test_parse_work_linear_for_long_reasoning_output(parse_log: list[int]) -> None:
    for lines in (100, 400, 1600):
        parse_log.clear()
        text = corpus.long_reasoning_output(lines)
        assert sanitize(text, "second_largest").status == "ok"
        assert len(parse_log) <= 2  # the answer's one fence, then the result
