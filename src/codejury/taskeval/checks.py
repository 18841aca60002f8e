"""The checks that need no sandbox and no judge: text, label and JSON Schema (pure functions).

Text checks read the answer as the model gave it, minus any ``<think>`` block, so a reasoning
model's draft cannot satisfy (or fail) a check by itself. Unit tests live in
:mod:`codejury.taskeval.codetests` (they run in the sandbox) and the LLM judge in
:mod:`codejury.taskeval.judge`.
"""

from __future__ import annotations

import functools
import json
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import jsonschema  # type: ignore[import-untyped]
from jsonschema.exceptions import best_match  # type: ignore[import-untyped]

from codejury.taskeval.checkspec import (
    Check,
    ContainsCheck,
    ExactCheck,
    JsonSchemaCheck,
    LabelCheck,
    RegexCheck,
)

CHECK_STATUSES = ("pass", "fail", "error", "timeout", "memory", "crash", "no_code", "unscored")
"""What a check can end as. ``unscored``: the judge gave no usable score (not the model's
fault), so the sample is left out of accuracy figures and counted separately."""

LOCAL_KINDS = ("exact", "contains", "regex", "label", "json_schema")
"""Kinds :func:`evaluate` decides on its own."""

NO_LABEL = "(none)"
"""The predicted label of an answer that names none of the labels, or several."""

_THINK = re.compile(r"(?is)<(think|thinking|reasoning)>.*?</\1>")
_THINK_END = re.compile(r"(?is)</(?:think|thinking|reasoning)>")
_FENCE = re.compile(r"```[ \t]*(?:json|JSON|jsonc)?[ \t]*\n(.*?)```", re.DOTALL)
_EDGES = " \t\r\n\"'`*_.,:;!?()[]{}<>"
_MAX_JSON_STARTS = 200  # inline JSON: positions tried, so a long answer stays linear-ish
_SHOWN = 200


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check on one answer.

    Attributes:
        status: One of :data:`CHECK_STATUSES`.
        reason: Why, in a few words (empty for a pass).
        detail: Kind-specific facts (the predicted label, the judge's score, each test's
            status...), JSON-ready.
    """

    status: str
    reason: str = ""
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        """True for ``pass``."""
        return self.status == "pass"


def visible_text(answer: str) -> str:
    """The answer without reasoning blocks (``<think>...</think>`` and the like)."""
    text = _THINK.sub("", answer)
    ends = list(_THINK_END.finditer(text))
    # An opening tag in the chat template leaves only the closing one in the answer.
    return text[ends[-1].end() :] if ends else text


def evaluate(check: Check, answer: str, labels: Sequence[str] = ()) -> CheckResult:
    """Decide one local check (see :data:`LOCAL_KINDS`) on an answer.

    Args:
        check: The check.
        answer: The model's answer as received.
        labels: For a label check without its own label set: the file's labels of that name.

    Raises:
        ValueError: ``check`` is not a local kind (a bug in the caller).
    """
    text = visible_text(answer)
    if isinstance(check, ExactCheck):
        return _exact(check, text)
    if isinstance(check, ContainsCheck):
        return _contains(check, text)
    if isinstance(check, RegexCheck):
        return _regex(check, text)
    if isinstance(check, LabelCheck):
        return _label(check, text, check.labels or tuple(labels))
    if isinstance(check, JsonSchemaCheck):
        return _json_schema(check, text)
    raise ValueError(f"{check.kind} checks are not decided locally")


def _fold(text: str, ignore_case: bool) -> str:
    return text.casefold() if ignore_case else text


def _short(text: str) -> str:
    return text if len(text) <= _SHOWN else text[:_SHOWN] + "…"


def _exact(check: ExactCheck, text: str) -> CheckResult:
    got = _fold(text.strip(), check.ignore_case)
    hit = [e for e in check.expected if _fold(e.strip(), check.ignore_case) == got]
    if check.negate:
        return CheckResult("fail", f"answer is {_short(hit[0])!r}") if hit else CheckResult("pass")
    if hit:
        return CheckResult("pass")
    return CheckResult(
        "fail", f"answer is not {' / '.join(repr(_short(e)) for e in check.expected)}"
    )


def _contains(check: ContainsCheck, text: str) -> CheckResult:
    got = _fold(text, check.ignore_case)
    present = [e for e in check.expected if _fold(e, check.ignore_case) in got]
    if check.negate:
        if present:
            return CheckResult("fail", f"answer contains {_short(present[0])!r}")
        return CheckResult("pass")
    missing = [e for e in check.expected if e not in present]
    if missing:
        return CheckResult("fail", f"answer lacks {_short(missing[0])!r}", {"missing": missing})
    return CheckResult("pass")


def _regex(check: RegexCheck, text: str) -> CheckResult:
    pattern = check.compiled()
    matched = pattern.fullmatch(text.strip()) if check.full else pattern.search(text)
    if check.negate:
        if matched:
            return CheckResult("fail", f"answer matches {check.pattern!r}")
        return CheckResult("pass")
    if matched:
        return CheckResult("pass", detail={"match": _short(matched.group(0))})
    how = "as a whole" if check.full else "anywhere"
    return CheckResult("fail", f"answer does not match {check.pattern!r} {how}")


def _label(check: LabelCheck, text: str, labels: Sequence[str]) -> CheckResult:
    predicted = predict_label(text, labels or (check.expected,))
    detail = {"expected": check.expected, "predicted": predicted or NO_LABEL}
    if predicted == check.expected:
        return CheckResult("pass", detail=detail)
    if predicted is None:
        return CheckResult("fail", "answer names none of the labels (or several)", detail)
    return CheckResult("fail", f"predicted {predicted!r}, expected {check.expected!r}", detail)


def _norm(text: str) -> str:
    return " ".join(text.strip(_EDGES).casefold().split())


def predict_label(text: str, labels: Sequence[str]) -> str | None:
    """The label an answer gives: the whole answer, its first line, or the one label it names.

    Matching ignores case, surrounding quotes, markdown emphasis and punctuation. When the
    answer names several labels, one that only occurs inside a longer named label does not
    count (``very positive`` names ``very positive``, not also ``positive``); anything still
    ambiguous gives None.
    """
    by_norm = {_norm(label): label for label in labels}
    stripped = text.strip()
    for candidate in (stripped, stripped.splitlines()[0] if stripped else ""):
        if _norm(candidate) in by_norm:
            return by_norm[_norm(candidate)]
    folded = " ".join(text.casefold().split())
    spans: dict[str, list[tuple[int, int]]] = {}
    for norm, label in by_norm.items():
        found = [m.span() for m in re.finditer(rf"(?<!\w){re.escape(norm)}(?!\w)", folded)]
        if norm and found:
            spans[label] = found
    named = [
        label
        for label, own in spans.items()
        if not all(_inside(span, label, spans) for span in own)
    ]
    return named[0] if len(named) == 1 else None


def _inside(span: tuple[int, int], label: str, spans: dict[str, list[tuple[int, int]]]) -> bool:
    """Whether ``span`` lies within a longer match of another label."""
    start, end = span
    return any(
        a <= start and end <= b and b - a > end - start
        for other, theirs in spans.items()
        if other != label
        for a, b in theirs
    )


def extract_json(text: str) -> tuple[Any, str] | None:
    """The JSON value an answer gives, and where it was: ``whole``, ``fence`` or ``inline``."""
    stripped = text.strip()
    try:
        return json.loads(stripped), "whole"
    except ValueError:
        pass
    for match in _FENCE.finditer(text):
        try:
            return json.loads(match.group(1)), "fence"
        except ValueError:
            continue
    decoder = json.JSONDecoder()
    for tries, match in enumerate(re.finditer(r"[\[{]", text)):
        if tries >= _MAX_JSON_STARTS:
            break
        try:
            value, _end = decoder.raw_decode(text, match.start())
        except ValueError:
            continue
        return value, "inline"
    return None


@functools.lru_cache(maxsize=256)
def _validator(schema_text: str) -> Any:
    schema = json.loads(schema_text)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


def _json_schema(check: JsonSchemaCheck, text: str) -> CheckResult:
    found = extract_json(text)
    if found is None:
        return CheckResult("fail", "no JSON found in the answer")
    value, where = found
    validator = _validator(json.dumps(check.schema, sort_keys=True))
    error = best_match(validator.iter_errors(value))
    if error is None:
        return CheckResult("pass", detail={"found": where})
    path = "/".join(str(p) for p in error.absolute_path) or "(top level)"
    return CheckResult(
        "fail",
        f"JSON does not match the schema at {path}: {_short(error.message)}",
        {"found": where, "path": path},
    )
