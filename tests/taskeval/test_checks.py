"""The local checks (exact, contains, regex, label, JSON Schema), pass and fail."""

from __future__ import annotations

import pytest

from codejury.taskeval.checks import evaluate, extract_json, predict_label, visible_text
from codejury.taskeval.checkspec import (
    ContainsCheck,
    ExactCheck,
    JsonSchemaCheck,
    LabelCheck,
    RegexCheck,
    UnitTestsCheck,
)

LABELS = ("positive", "negative", "very positive", "neutral")


def test_exact() -> None:
    check = ExactCheck("e", 1, ("Paris", "paris, France"))
    assert evaluate(check, "  Paris\n").status == "pass"
    assert evaluate(check, "paris, France").passed
    fail = evaluate(check, "PARIS")
    assert fail.status == "fail" and "'Paris' / 'paris, France'" in fail.reason
    assert evaluate(ExactCheck("e", 1, ("Paris",), ignore_case=True), "PARIS").passed
    negated = ExactCheck("e", 1, ("I don't know",), negate=True)
    assert evaluate(negated, "Paris").passed
    assert not evaluate(negated, "I don't know").passed


def test_contains_needs_every_string() -> None:
    check = ContainsCheck("c", 1, ("Paris", "France"))
    assert evaluate(check, "Paris is in France.").passed
    fail = evaluate(check, "Paris is nice.")
    assert fail.status == "fail" and fail.detail["missing"] == ["France"]
    assert evaluate(ContainsCheck("c", 1, ("paris",), ignore_case=True), "PARIS!").passed
    assert not evaluate(ContainsCheck("c", 1, ("paris",)), "PARIS!").passed
    never = ContainsCheck("c", 1, ("As an AI", "I cannot"), negate=True)
    assert evaluate(never, "Sure: 42").passed
    assert "I cannot" in evaluate(never, "I cannot do that").reason


def test_regex_search_full_flags_and_negate() -> None:
    assert evaluate(RegexCheck("r", 1, r"\b\d{3}-\d{4}\b"), "call 555-1234 now").passed
    assert not evaluate(RegexCheck("r", 1, r"\b\d{3}-\d{4}\b"), "call 5551234").passed
    full = RegexCheck("r", 1, r"\d+", full=True)
    assert evaluate(full, " 42\n").passed
    fail = evaluate(full, "42 apples")
    assert fail.status == "fail" and "as a whole" in fail.reason
    assert evaluate(RegexCheck("r", 1, "^yes$", flags="im"), "Well\nYES\n").passed
    assert not evaluate(RegexCheck("r", 1, "^yes$"), "Well\nYES\n").passed
    assert evaluate(RegexCheck("r", 1, "TODO", negate=True), "done").passed
    assert not evaluate(RegexCheck("r", 1, "TODO", negate=True), "# TODO").passed


def test_think_blocks_are_not_the_answer() -> None:
    answer = "<think>maybe Lyon? no: Paris</think>\nLyon"
    assert visible_text(answer).strip() == "Lyon"
    assert not evaluate(ContainsCheck("c", 1, ("Paris",)), answer).passed
    # An opening tag in the chat template leaves only the closing one.
    assert visible_text("Paris, surely...</think> Lyon").strip() == "Lyon"


@pytest.mark.parametrize(
    ("answer", "label"),
    [
        ("positive", "positive"),
        ("**Negative.**", "negative"),
        ('"Very positive"', "very positive"),
        ("Neutral\nBecause the text states facts only.", "neutral"),
        ("The sentiment here is clearly negative, given the complaint.", "negative"),
        ("I'd say very positive overall.", "very positive"),  # not also "positive"
        ("Both positive and negative aspects.", None),
        ("It is hard to tell.", None),
        ("", None),
        ("positively", None),  # whole words only
    ],
)
def test_predict_label(answer: str, label: str | None) -> None:
    assert predict_label(answer, LABELS) == label


def test_label_check_records_expected_and_predicted() -> None:
    check = LabelCheck("sentiment", 1, "negative", ("positive", "negative"))
    hit = evaluate(check, "Negative")
    assert hit.passed and hit.detail == {"expected": "negative", "predicted": "negative"}
    miss = evaluate(check, "positive")
    assert miss.status == "fail" and miss.detail["predicted"] == "positive"
    none = evaluate(check, "no idea")
    assert none.detail["predicted"] == "(none)" and "none of the labels" in none.reason
    # Without its own labels, the file's label set is used.
    bare = LabelCheck("sentiment", 1, "negative")
    assert evaluate(bare, "neutral", ("negative", "neutral")).detail["predicted"] == "neutral"


SCHEMA = {
    "type": "object",
    "required": ["name", "age"],
    "properties": {"name": {"type": "string"}, "age": {"type": "integer", "minimum": 0}},
    "additionalProperties": False,
}


@pytest.mark.parametrize(
    ("answer", "where"),
    [
        ('{"name": "Ada", "age": 36}', "whole"),
        ('Here:\n```json\n{"name": "Ada", "age": 36}\n```\nDone.', "fence"),
        ('Sure! {"name": "Ada", "age": 36} is the record.', "inline"),
    ],
)
def test_json_schema_pass(answer: str, where: str) -> None:
    result = evaluate(JsonSchemaCheck("j", 1, SCHEMA), answer)
    assert result.passed and result.detail["found"] == where


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        ("no json here", "no JSON found"),
        ('{"name": "Ada"}', "'age' is a required property"),
        ('{"name": "Ada", "age": -1}', "at age"),
        ('{"name": "Ada", "age": 3, "x": 1}', "Additional properties"),
        ('["Ada", 36]', "is not of type 'object'"),
    ],
)
def test_json_schema_fail(answer: str, words: str) -> None:
    result = evaluate(JsonSchemaCheck("j", 1, SCHEMA), answer)
    assert result.status == "fail" and words in result.reason


def test_extract_json_skips_broken_candidates() -> None:
    text = 'first {not json} then {"ok": [1, 2]} end'
    assert extract_json(text) == ({"ok": [1, 2]}, "inline")
    assert extract_json("```json\n{broken\n```\n```\n[1]\n```") == ([1], "fence")


def test_unit_tests_are_not_local() -> None:
    with pytest.raises(ValueError, match="not decided locally"):
        evaluate(UnitTestsCheck("u", 1, "x", "x", ("test_x",)), "x")
