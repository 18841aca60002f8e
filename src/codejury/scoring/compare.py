"""Output comparison equal to EvalPlus 0.3.1's (``evalplus/eval/__init__.py: unsafe_execute``).

The judge compares here, outside the sandbox, on plain values decoded from the child — so
the comparison semantics are Python's own ``==`` on builtin types, exactly what EvalPlus
gets for plain outputs. What differs on purpose (documented in docs/scoring.md):

* An output that is not plain data (a user class, a generator, an object whose ``__eq__`` is
  always true) never matches. EvalPlus calls the sample's ``__eq__`` and can be fooled.
* Subclasses of builtins (namedtuple, OrderedDict, IntEnum...) are compared as their base
  value. EvalPlus compares the object itself; the result is the same unless the subclass
  overrides ``__eq__``.

Faithfully kept quirks: per-task special oracles; ``atol`` defaults to 1e-6 once an expected
output is a float (or list/tuple of floats), and, as in EvalPlus, that default then stays in
force for the remaining inputs of the same run; the tolerance branch requires equal types
and lengths and uses ``numpy.allclose(rtol=1e-7)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

# MBPP+ tasks whose reference output is not comparable, so only "not None" is checked.
MBPP_OUTPUT_NOT_NONE = frozenset({"check_str", "text_match_three", "text_starta_endb"})
# MBPP+ tasks whose output order does not matter: compared as sets.
MBPP_OUTPUT_SET_EQ = frozenset(
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


_MBPP_SPECIAL = frozenset({"are_equivalent", "sum_div", "surface_Area", "digit_distance_nums"})


def has_special_oracle(family: str, entry_point: str) -> bool:
    """Whether a task is judged by something other than plain equality (plus tolerance)."""
    if family == "humaneval":
        return entry_point == "find_zero"
    return entry_point in _MBPP_SPECIAL | MBPP_OUTPUT_SET_EQ | MBPP_OUTPUT_NOT_NONE


def _pyramid_surface(base_edge: float, height: float) -> int:
    # Mbpp/581 accepts the reading where "height" is the pyramid's perpendicular height.
    slant = math.sqrt((base_edge / 2) ** 2 + height**2)
    return round(base_edge**2 + 2 * base_edge * slant)


def _digit_distance(a: int, b: int) -> int:
    # Mbpp/558 accepts padding the shorter number with leading zeros.
    sa, sb = str(a), str(b)
    width = max(len(sa), len(sb))
    return sum(abs(int(x) - int(y)) for x, y in zip(sa.zfill(width), sb.zfill(width), strict=True))


def _poly(coefficients: Sequence[float], x: float) -> float:
    # HumanEval/32 (find_zero) is checked by evaluating the polynomial at the answer.
    return sum(c * math.pow(x, i) for i, c in enumerate(coefficients))


def is_floats(value: Any) -> bool:
    """True for a float, or a non-empty list/tuple of floats (EvalPlus's test)."""
    if isinstance(value, float):
        return True
    if isinstance(value, list | tuple) and value:
        return all(isinstance(v, float) for v in value)
    return False


@dataclass
class Comparator:
    """Compares one run's outputs in order; holds EvalPlus's running ``atol`` state.

    Args:
        family: ``humaneval`` or ``mbpp`` (selects the special oracles).
        entry_point: The function under test.
        atol: The task's absolute tolerance.
    """

    family: str
    entry_point: str
    atol: float

    def note_exact(self, expected_is_floats: bool) -> None:
        """Record an exact match decided elsewhere (by digest): only the atol state moves."""
        if self.atol == 0 and expected_is_floats:
            self.atol = 1e-6

    def matches(self, inp: Sequence[Any], out: Any, exp: Any) -> bool:
        """Whether ``out`` is accepted for input ``inp`` whose expected output is ``exp``."""
        try:
            return self._matches(inp, out, exp)
        except Exception:  # any error while comparing is a mismatch, as in EvalPlus
            return False

    def _matches(self, inp: Sequence[Any], out: Any, exp: Any) -> bool:
        exact = bool(out == exp)
        ep = self.entry_point
        if self.family == "mbpp":
            if ep == "are_equivalent":  # Mbpp/164: the reference is ambiguous; any answer
                exact = True
            elif ep == "sum_div":  # Mbpp/295
                exact = exact or bool(out == 0)
            elif ep == "surface_Area":  # Mbpp/581
                exact = exact or abs(out - _pyramid_surface(*inp)) <= self.atol
            elif ep == "digit_distance_nums":  # Mbpp/558
                exact = exact or bool(out == _digit_distance(*inp))
            elif ep in MBPP_OUTPUT_SET_EQ:
                exact = set(out) == set(exp)
            elif ep in MBPP_OUTPUT_NOT_NONE:
                exact = bool(out == exp) if isinstance(out, bool) else exp == (out is not None)
        if self.family == "humaneval" and ep == "find_zero":
            return bool(abs(_poly(inp[0], out)) <= self.atol)
        if self.atol == 0 and is_floats(exp):
            self.atol = 1e-6  # EvalPlus keeps this for the rest of the run; so do we
        if not exact and self.atol != 0:
            if type(out) is not type(exp):
                return False
            if isinstance(exp, list | tuple) and len(out) != len(exp):
                return False
            import numpy as np  # only tolerance comparisons need it; ~0.1 s to import

            return bool(np.allclose(out, exp, rtol=1e-07, atol=self.atol))
        return exact
