"""Comparator semantics, table-driven against EvalPlus 0.3.1's ``unsafe_execute``.

Every expected value below was worked out by hand from EvalPlus v0.3.1
(``evalplus/eval/__init__.py: unsafe_execute`` and ``evalplus/eval/_special_oracle.py``):

    exact = out == exp
    mbpp special oracles (are_equivalent, sum_div, surface_Area, digit_distance_nums,
        set-equality tasks, not-None tasks) may replace or widen ``exact``
    humaneval find_zero: pass iff abs(poly(xs, out)) <= atol   (and nothing else runs)
    if atol == 0 and is_floats(exp): atol = 1e-6          # sticks for the rest of the run
    if not exact and atol != 0:
        type(out) == type(exp); len equal for list/tuple; np.allclose(out, exp, rtol=1e-7, atol)
    else: exact
    any exception while comparing = fail

One deliberate difference: in v0.3.1 the find_zero branch ``continue``s before it records
the input as passed, so EvalPlus 0.3.1 fails *every* HumanEval/32 sample (fixed upstream in
evalplus#241, after the release). codejury applies the polynomial oracle as intended.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pytest

from codejury.sandbox import wire
from codejury.scoring.compare import MBPP_OUTPUT_NOT_NONE, MBPP_OUTPUT_SET_EQ, Comparator, is_floats


def check(family: str, entry: str, atol: float, inp: Sequence[Any], out: Any, exp: Any) -> bool:
    return Comparator(family, entry, atol).matches(inp, out, exp)


# (id, family, entry point, task atol, input, output, expected output, EvalPlus verdict)
CASES: list[tuple[str, str, str, float, list[Any], Any, Any, bool]] = [
    # --- plain equality ------------------------------------------------------------------
    ("int-equal", "humaneval", "f", 0, [], 3, 3, True),
    ("int-differs", "humaneval", "f", 0, [], 3, 4, False),
    ("str-equal", "humaneval", "f", 0, [], "ab", "ab", True),
    ("str-differs", "humaneval", "f", 0, [], "ab", "ba", False),
    ("list-equal", "humaneval", "f", 0, [], [1, [2]], [1, [2]], True),
    ("list-vs-tuple", "humaneval", "f", 0, [], [1, 2], (1, 2), False),
    ("dict-order-irrelevant", "humaneval", "f", 0, [], {"a": 1, "b": 2}, {"b": 2, "a": 1}, True),
    ("none-equal", "humaneval", "f", 0, [], None, None, True),
    ("none-vs-false", "humaneval", "f", 0, [], None, False, False),
    # Python's == across numeric types: EvalPlus takes the exact branch and passes these.
    ("int-for-float", "humaneval", "f", 0, [], 2, 2.0, True),
    ("bool-for-int", "humaneval", "f", 0, [], True, 1, True),
    ("int-for-bool", "humaneval", "f", 0, [], 0, False, True),
    ("list-int-for-list-float", "humaneval", "f", 0, [], [1, 2], [1.0, 2.0], True),
    ("big-int", "humaneval", "f", 0, [], 10**30 + 1, 10**30 + 1, True),
    ("complex", "humaneval", "f", 0, [], 1 + 2j, 1 + 2j, True),
    ("set-equal", "humaneval", "f", 0, [], {1, 2}, {2, 1}, True),
    ("inf-equal", "humaneval", "f", 0, [], math.inf, math.inf, True),
    # --- floats: the implicit atol=1e-6 ------------------------------------------------------
    ("float-within-1e-6", "humaneval", "f", 0, [], 0.1 + 5e-7, 0.1, True),
    ("float-beyond-1e-6", "humaneval", "f", 0, [], 0.1 + 5e-6, 0.1, False),
    ("float-list-close", "humaneval", "f", 0, [], [1.0, 2.0000001], [1.0, 2.0], True),
    ("float-tuple-close", "humaneval", "f", 0, [], (1.0, 2.0000001), (1.0, 2.0), True),
    ("float-list-far", "humaneval", "f", 0, [], [1.0, 2.1], [1.0, 2.0], False),
    # rtol=1e-7 on top of atol: 1e8 + 5 is within 1e-6 + 1e-7 * 1e8 = 10.
    ("float-large-relative", "humaneval", "f", 0, [], 1e8 + 5, 1e8, True),
    ("float-large-beyond-relative", "humaneval", "f", 0, [], 1e8 + 50, 1e8, False),
    # NaN never equals NaN, and np.allclose does not treat NaNs as equal either.
    ("nan-vs-nan", "humaneval", "f", 0, [], math.nan, math.nan, False),
    # --- the tolerance branch requires equal types and lengths -------------------------------
    ("close-int-for-float", "humaneval", "f", 0, [], 2, 2.0000001, False),
    ("close-float-for-int-with-atol", "humaneval", "f", 1e-4, [], 2.00001, 2, False),
    ("str-for-float", "humaneval", "f", 0, [], "0.5", 0.5, False),
    ("bool-for-float", "humaneval", "f", 0, [], True, 1.0000001, False),
    ("tuple-for-float-list", "humaneval", "f", 0, [], (1.0, 2.0000001), [1.0, 2.0], False),
    ("shorter-float-list", "humaneval", "f", 0, [], [1.0], [1.0, 2.0], False),
    ("none-for-float", "humaneval", "f", 0, [], None, 1.0, False),
    # --- what is_floats does not cover stays exact (atol remains 0) ---------------------------
    ("nested-float-lists-exact-only", "humaneval", "f", 0, [], [[1.0000001]], [[1.0]], False),
    ("mixed-int-float-list", "humaneval", "f", 0, [], [1, 2.0000001], [1, 2.0], False),
    ("empty-list-is-not-floats", "humaneval", "f", 0, [], [], [], True),
    ("dict-of-floats-exact-only", "humaneval", "f", 0, [], {"a": 1.0000001}, {"a": 1.0}, False),
    # --- with a task atol the tolerance branch applies to any value ---------------------------
    ("task-atol-nested-floats", "humaneval", "f", 1e-4, [], [[1.00001]], [[1.0]], True),
    ("task-atol-float", "humaneval", "truncate_number", 1e-6, [], 0.5000004, 0.5, True),
    ("task-atol-beyond", "humaneval", "truncate_number", 1e-6, [], 0.50001, 0.5, False),
    # ints of the same type go through np.allclose too once atol != 0
    ("task-atol-close-ints", "humaneval", "f", 1e-4, [], 10**8 + 1, 10**8, True),
    # strings reach np.allclose, which raises: a mismatch, never an error of the judge
    ("task-atol-strings", "humaneval", "f", 1e-4, [], "abd", "abc", False),
    # --- HumanEval/32 find_zero: any root is accepted ---------------------------------------
    ("find-zero-root", "humaneval", "find_zero", 1e-4, [[1, 2]], -0.5, -0.5, True),
    ("find-zero-other-root", "humaneval", "find_zero", 1e-4, [[-6, 11, -6, 1]], 3.0, 1.0, True),
    ("find-zero-near-root", "humaneval", "find_zero", 1e-4, [[1, 2]], -0.50004, -0.5, True),
    ("find-zero-not-a-root", "humaneval", "find_zero", 1e-4, [[1, 2]], 0.0, -0.5, False),
    ("find-zero-equal-but-wrong", "humaneval", "find_zero", 1e-4, [[1, 2]], 7.0, 7.0, False),
    ("find-zero-non-number", "humaneval", "find_zero", 1e-4, [[1, 2]], "x", -0.5, False),
    ("find-zero-none", "humaneval", "find_zero", 1e-4, [[1, 2]], None, -0.5, False),
    # the find_zero oracle is a HumanEval one; an MBPP function of that name is compared
    ("find-zero-name-in-mbpp", "mbpp", "find_zero", 0, [[1, 2]], 3.0, -0.5, False),
    # --- Mbpp/295 sum_div: the expected value, or 0 -----------------------------------------
    ("sum-div-equal", "mbpp", "sum_div", 0, [8], 7, 7, True),
    ("sum-div-zero", "mbpp", "sum_div", 0, [8], 0, 7, True),
    ("sum-div-false-is-zero", "mbpp", "sum_div", 0, [8], False, 7, True),
    ("sum-div-wrong", "mbpp", "sum_div", 0, [8], 6, 7, False),
    ("sum-div-in-humaneval", "humaneval", "sum_div", 0, [8], 0, 7, False),
    # --- Mbpp/164 are_equivalent: every answer passes ---------------------------------------
    ("are-equivalent-anything", "mbpp", "are_equivalent", 0, [36, 57], "garbage", False, True),
    (
        "are-equivalent-in-humaneval",
        "humaneval",
        "are_equivalent",
        0,
        [36, 57],
        "garbage",
        False,
        False,
    ),
    # --- Mbpp/581 surface_Area: the perpendicular-height reading ----------------------------
    # round(3**2 + 2 * 3 * sqrt(1.5**2 + 4**2)) = round(34.63...) = 35
    ("surface-area-reference", "mbpp", "surface_Area", 0, [3, 4], 33, 33, True),
    ("surface-area-other-reading", "mbpp", "surface_Area", 0, [3, 4], 35, 33, True),
    ("surface-area-other-reading-float", "mbpp", "surface_Area", 0, [3, 4], 35.0, 33, True),
    ("surface-area-wrong", "mbpp", "surface_Area", 0, [3, 4], 34, 33, False),
    ("surface-area-wrong-type", "mbpp", "surface_Area", 0, [3, 4], "35", 33, False),
    # --- Mbpp/558 digit_distance_nums: zero-padding reading ----------------------------------
    # "023" vs "256": 2 + 3 + 3 = 8
    ("digit-distance-padded", "mbpp", "digit_distance_nums", 0, [23, 256], 8, 1, True),
    ("digit-distance-reference", "mbpp", "digit_distance_nums", 0, [23, 256], 1, 1, True),
    ("digit-distance-wrong", "mbpp", "digit_distance_nums", 0, [23, 256], 4, 1, False),
    # --- set-equality tasks: order and multiplicity do not matter ----------------------------
    ("set-eq-reordered", "mbpp", "similar_elements", 0, [], [4, 3], (3, 4), True),
    ("set-eq-duplicates", "mbpp", "find_char_long", 0, [], ["a", "a", "b"], ["b", "a"], True),
    ("set-eq-missing", "mbpp", "Diff", 0, [], [3], [3, 4], False),
    ("set-eq-non-iterable", "mbpp", "larg_nnum", 0, [], 5, [5], False),
    # set() of unhashable members raises: a fail even when out == exp exactly
    ("set-eq-unhashable", "mbpp", "common_in_nested_lists", 0, [], [[1]], [[1]], False),
    # not-equal as sets, but floats in the same order are close: the atol branch still runs
    (
        "set-eq-floats-close",
        "mbpp",
        "intersection_array",
        0,
        [],
        [1.0000001, 2.0],
        [1.0, 2.0],
        True,
    ),
    ("set-eq-is-mbpp-only", "humaneval", "similar_elements", 0, [], [4, 3], [3, 4], False),
    # --- not-None tasks: the reference kept only whether it returned something --------------
    ("not-none-some-value", "mbpp", "check_str", 0, ["a"], "match", True, True),
    ("not-none-zero-is-something", "mbpp", "text_match_three", 0, ["a"], 0, True, True),
    ("not-none-none-expected-something", "mbpp", "check_str", 0, ["a"], None, True, False),
    ("not-none-none-expected-none", "mbpp", "text_starta_endb", 0, ["a"], None, False, True),
    ("not-none-value-expected-none", "mbpp", "text_starta_endb", 0, ["a"], "x", False, False),
    # a bool output is compared as a bool, not as "something"
    ("not-none-true", "mbpp", "check_str", 0, ["a"], True, True, True),
    ("not-none-false", "mbpp", "check_str", 0, ["a"], False, True, False),
    ("not-none-false-expected-none", "mbpp", "check_str", 0, ["a"], False, False, True),
    # --- outputs that were not plain data ----------------------------------------------------
    ("opaque-never-equal", "humaneval", "f", 0, [], wire.Opaque("T"), 3, False),
    ("opaque-for-float", "humaneval", "f", 0, [], wire.Opaque("T"), 1.0, False),
    ("opaque-in-set-task", "mbpp", "similar_elements", 0, [], wire.Opaque("T"), [1], False),
    # EvalPlus accepts any non-None object for these tasks; so do we, Opaque included.
    ("opaque-is-not-none", "mbpp", "check_str", 0, ["a"], wire.Opaque("re.Match"), True, True),
]


@pytest.mark.parametrize(
    ("family", "entry", "atol", "inp", "out", "exp", "verdict"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_single_comparison(
    family: str, entry: str, atol: float, inp: list[Any], out: Any, exp: Any, verdict: bool
) -> None:
    assert check(family, entry, atol, inp, out, exp) is verdict


# Sequences compared by ONE comparator, as one test set of one sample is. EvalPlus turns
# atol on at the first float expected output and leaves it on for the following inputs.
SEQUENCES: list[tuple[str, float, list[tuple[Any, Any, bool]]]] = [
    (
        "atol-sticks-after-a-float",
        0,
        [
            (1.5, 1.5, True),  # exp is a float: atol becomes 1e-6
            ([1, 2.0000001], [1, 2], True),  # would fail alone (see the next sequence)
        ],
    ),
    (
        "no-float-yet-exact-only",
        0,
        [
            ([1, 2], [1, 2], True),
            ([1, 2.0000001], [1, 2], False),
        ],
    ),
    (
        "atol-sticks-for-ints",
        0,
        [
            (0.25, 0.25, True),
            (10**8 + 1, 10**8, True),  # rtol 1e-7 of 1e8 is 10
        ],
    ),
    (
        "atol-sticks-even-after-a-failed-input",
        0,
        [
            ("x", 0.5, False),  # the failing input still switched atol on
            ([1, 2.0000001], [1, 2], True),
        ],
    ),
    (
        "empty-float-list-does-not-switch-atol-on",
        0,
        [
            ([], [], True),
            ([1, 2.0000001], [1, 2], False),
        ],
    ),
]


@pytest.mark.parametrize(
    ("atol", "steps"), [pytest.param(a, s, id=name) for name, a, s in SEQUENCES]
)
def test_atol_state_carries_over_within_one_run(
    atol: float, steps: list[tuple[Any, Any, bool]]
) -> None:
    comparator = Comparator("humaneval", "f", atol)
    got = [comparator.matches([], out, exp) for out, exp, _ in steps]
    assert got == [want for _, _, want in steps]


def test_find_zero_does_not_switch_atol_on() -> None:
    # EvalPlus ``continue``s in the find_zero branch before the atol update; nothing of the
    # implicit 1e-6 applies afterwards. (Observable only through the comparator's state.)
    comparator = Comparator("humaneval", "find_zero", 0)
    assert comparator.matches([[1, 2]], -0.5, -0.5) is True  # |1 + 2 * -0.5| = 0 <= 0
    assert comparator.atol == 0


def test_a_fresh_comparator_per_run_resets_the_state() -> None:
    first = Comparator("humaneval", "f", 0)
    assert first.matches([], 1.5, 1.5)
    assert first.atol == 1e-6
    assert Comparator("humaneval", "f", 0).matches([], [1, 2.0000001], [1, 2]) is False


@pytest.mark.parametrize(
    ("value", "floats"),
    [
        (1.0, True),
        ([1.0, 2.0], True),
        ((1.0,), True),
        ([], False),
        ((), False),
        ([1.0, 2], False),
        ([[1.0]], False),
        (1, False),
        (True, False),
        ("1.0", False),
        ({1.0}, False),
        (1j, False),
    ],
)
def test_is_floats_matches_evalplus(value: Any, floats: bool) -> None:
    assert is_floats(value) is floats


def test_special_task_lists_are_evalplus_031s() -> None:
    # Copied from evalplus/eval/_special_oracle.py at v0.3.1.
    assert frozenset({"check_str", "text_match_three", "text_starta_endb"}) == MBPP_OUTPUT_NOT_NONE
    assert (
        frozenset(
            {
                "similar_elements",
                "find_char_long",
                "common_in_nested_lists",
                "extract_singly",
                "larg_nnum",
                "intersection_array",
                "find_dissimilar",
                "Diff",
            }
        )
        == MBPP_OUTPUT_SET_EQ
    )


class _Boom:
    def __eq__(self, other: object) -> bool:
        raise RuntimeError("comparison blew up")

    __hash__ = object.__hash__


def test_an_exception_while_comparing_is_a_mismatch() -> None:
    # Only plain data reaches the comparator in practice; this guards the contract that a
    # comparison error is a failed input, never an exception escaping into the scorer.
    assert check("humaneval", "f", 0, [], _Boom(), 1) is False
