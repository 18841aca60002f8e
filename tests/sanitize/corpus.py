"""Regression corpus for the sanitizer: raw model outputs and what must come out of them.

Written by hand in the shapes chat and reasoning models produce (GPT-4o, Claude, Qwen2.5-Coder,
DeepSeek-R1 / QwQ with ``<think>``), one hard case each. Every case says what a correct
sanitizer returns, independently of which sanitizer it is, so ``benchmarks/
sanitize_vs_evalplus.py`` scores EvalPlus on the same table:

* ``status``: ``ok`` or ``no_code`` (for a sanitizer without statuses: empty code = ``no_code``);
* ``must_contain`` / ``must_not_contain``: substrings of the code;
* ``check``: Python run after the code in a fresh namespace (in a child process); it must not
  raise, which proves that the helpers the entry point needs were kept;
* ``rule``: the prefix of codejury's rule (not used to score other sanitizers).

This file is loaded by path (``tests/adversarial`` owns the module name ``corpus``).
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from dataclasses import dataclass
from textwrap import dedent

__all__ = ["CASES", "Case", "judge", "long_reasoning_output", "run_checks"]


@dataclass(frozen=True)
class Case:
    """One raw model output and the expectations on its sanitized code."""

    name: str
    text: str
    entry_point: str | None
    status: str = "ok"
    rule: str = ""
    must_contain: tuple[str, ...] = ()
    must_not_contain: tuple[str, ...] = ()
    check: str = ""
    reasoning: str | None = None


def _t(s: str) -> str:
    return dedent(s).lstrip("\n")


def long_reasoning_output(lines: int) -> str:
    """A DeepSeek-R1-style output of about ``lines`` lines.

    A long ``<think>`` with wrong drafts (each longer than the final answer), then a short
    final answer whose fence holds the right code. Used by the corpus and for timing.
    """
    draft = _t("""
        ```python
        def second_largest(nums):
            # draft: sort and take the second element
            ordered = sorted(nums)
            if len(ordered) < 2:
                return None
            first = ordered[-1]
            second = ordered[-2]
            # hmm, duplicates are not handled here
            for value in ordered:
                if value > second:
                    pass
            return second
        ```
        """)
    prose = _t("""
        Wait, let me check this against the example [5, 5, 4]. The largest is 5 and the
        second largest distinct value should be 4, but sorting gives 5 twice, so the draft
        returns 5. That's wrong. Let me reconsider the duplicates case again.
        """)
    final = _t("""
        </think>

        The second largest **distinct** value:

        ```python
        def second_largest(nums):
            distinct = sorted(set(nums))
            return distinct[-2] if len(distinct) >= 2 else None
        ```
        """)
    body = ["<think>", "Okay, so I need to find the second largest distinct number.", ""]
    budget = max(lines - final.count("\n") - 1, 0)
    while len(body) < budget:
        body.extend((draft + "\n" + prose).split("\n"))
    return "\n".join(body[:budget]) + "\n" + final


SECOND = "assert second_largest([5, 5, 4]) == 4 and second_largest([1]) is None"

CASES: tuple[Case, ...] = (
    Case(
        "gpt4o_prose_one_fence",
        _t('''
            To solve this, we compare every pair of numbers and check whether their distance
            is below the threshold.

            ```python
            from typing import List


            def has_close_elements(numbers: List[float], threshold: float) -> bool:
                """Check if any two numbers are closer than threshold."""
                for i, a in enumerate(numbers):
                    for b in numbers[i + 1:]:
                        if abs(a - b) < threshold:
                            return True
                return False
            ```

            ### Explanation
            1. We iterate over each pair once.
            2. If any distance is smaller than `threshold`, we return `True`.

            The time complexity is O(n²).
            '''),
        "has_close_elements",
        rule="fence:last-defining-entry",
        must_contain=("from typing import List", '"""Check if any two'),
        check="assert has_close_elements([1.0, 2.8, 3.0], 0.3)\n"
        "assert not has_close_elements([1.0, 2.0], 0.5)",
    ),
    Case(
        "claude_solution_then_usage_fence",
        _t("""
            I'll implement this by counting the vowels, treating 'y' as a vowel only at the end.

            ```python
            def vowels_count(s):
                vowels = set("aeiouAEIOU")
                count = sum(1 for ch in s if ch in vowels)
                if s and s[-1] in "yY":
                    count += 1
                return count
            ```

            Here's how you can use it:

            ```python
            print(vowels_count("abcde"))  # 2
            print(vowels_count("ACEDY"))  # 3
            ```

            The function runs in linear time.
            """),
        "vowels_count",
        rule="fence:last-defining-entry",
        must_not_contain=("print(",),
        check='assert vowels_count("ACEDY") == 3',
    ),
    Case(
        "draft_fence_then_corrected_fence",
        _t("""
            Here's a first attempt:

            ```python
            def sum_squares(lst):
                return sum(x * x for x in lst)
            ```

            Wait, the task says to round each element up to the ceiling first. That fails for
            `[1.4, 4.2, 0]`. Corrected version:

            ```python
            import math


            def sum_squares(lst):
                return sum(math.ceil(x) ** 2 for x in lst)
            ```
            """),
        "sum_squares",
        rule="fence:last-defining-entry",
        must_contain=("math.ceil",),
        check="assert sum_squares([1.4, 4.2, 0]) == 29",
    ),
    Case(
        "helper_in_first_fence_entry_in_second",
        _t("""
            First, a helper that checks primality:

            ```python
            def is_prime(n):
                if n < 2:
                    return False
                i = 2
                while i * i <= n:
                    if n % i == 0:
                        return False
                    i += 1
                return True
            ```

            Now the main function uses it:

            ```python
            def prime_length(string):
                return is_prime(len(string))
            ```
            """),
        "prime_length",
        rule="fence:last-defining-entry+merged",
        must_contain=("def is_prime",),
        check="assert prime_length('Hello') and not prime_length('orange')",
    ),
    Case(
        "entry_first_helper_in_later_fence",
        _t("""
            ```python
            def encode_shift(s: str) -> str:
                return "".join(_rot(ch, 5) for ch in s)
            ```

            It relies on this small helper:

            ```python
            def _rot(ch: str, k: int) -> str:
                return chr((ord(ch) - ord("a") + k) % 26 + ord("a"))
            ```
            """),
        "encode_shift",
        rule="fence:last-defining-entry+merged",
        must_contain=("def _rot",),
        check="assert encode_shift('abc') == 'fgh'",
    ),
    Case(
        "r1_think_draft_then_final",
        _t("""
            <think>
            Okay, let's see. I need to return the largest divisor of n smaller than n.
            Maybe something like:

            ```python
            def largest_divisor(n: int) -> int:
                for i in range(2, n):
                    if n % i == 0:
                        return i
            ```

            Wait, no, that returns the smallest divisor. I should iterate downwards instead.
            </think>

            ```python
            def largest_divisor(n: int) -> int:
                for i in range(n - 1, 0, -1):
                    if n % i == 0:
                        return i
                return 1
            ```
            """),
        "largest_divisor",
        rule="think-stripped+fence:last-defining-entry",
        must_contain=("range(n - 1, 0, -1)",),
        must_not_contain=("range(2, n)",),
        check="assert largest_divisor(15) == 5",
    ),
    Case(
        "r1_think_draft_longer_than_final",
        _t("""
            <think>
            I'll write a full solution with helpers first to be safe.

            ```python
            def _digits(n):
                out = []
                while n:
                    out.append(n % 10)
                    n //= 10
                return out


            def _is_odd_digit(d):
                return d % 2 == 1


            def _count(values):
                total = 0
                for v in values:
                    digits = _digits(abs(v))
                    if v > 10 and digits and _is_odd_digit(digits[0]):
                        total += 1
                return total


            def special_filter(nums):
                return _count(nums)
            ```

            Hmm, that only checks the last digit. Both the first and the last digit must be odd.
            Let me simplify with strings.
            </think>

            ```python
            def special_filter(nums):
                return sum(1 for n in nums if n > 10 and str(n)[0] in "13579" and str(n)[-1] in "13579")
            ```
            """),
        "special_filter",
        rule="think-stripped+fence:last-defining-entry",
        must_not_contain=("_digits",),
        check="assert special_filter([15, -73, 14, -15]) == 1\n"
        "assert special_filter([33, -2, -3, 45, 21, 109]) == 2",
    ),
    Case(
        "r1_opening_tag_in_template",
        _t("""
            Okay, the user wants a function that flips the case of each character.
            First idea:
            ```python
            def flip_case(string: str) -> str:
                return string.upper()
            ```
            No, that uppercases everything. Python has str.swapcase.
            </think>

            Use `str.swapcase`:

            ```python
            def flip_case(string: str) -> str:
                return string.swapcase()
            ```
            """),
        "flip_case",
        rule="think-stripped+fence:last-defining-entry",
        must_not_contain=("upper()",),
        check="assert flip_case('Hello') == 'hELLO'",
    ),
    Case(
        "separate_reasoning_channel_has_a_draft",
        _t("""
            ```python
            def strlen(string: str) -> int:
                return len(string)
            ```
            """),
        "strlen",
        reasoning="Draft:\n```python\ndef strlen(string):\n    return 0\n```\nNo, use len.\n",
        rule="fence:last-defining-entry",
        check="assert strlen('abc') == 3",
    ),
    Case(
        "answer_without_code_reasoning_has_it",
        "The function is implemented exactly as derived above: it returns the sum of 1..n.",
        "sum_to_n",
        reasoning=_t("""
            We need sum_to_n(n) = n(n+1)/2.
            ```python
            def sum_to_n(n: int) -> int:
                return n * (n + 1) // 2
            ```
            That matches the examples.
            """),
        rule="reasoning+fence:last-defining-entry",
        check="assert sum_to_n(30) == 465",
    ),
    Case(
        "think_truncated_before_answer",
        _t("""
            <think>
            I need to check that the brackets are balanced.

            ```python
            def correct_bracketing(brackets: str) -> bool:
                depth = 0
                for b in brackets:
                    depth += 1 if b == "<" else -1
                    if depth < 0:
                        return False
                return depth == 0
            ```

            Let me verify with "<<><>>": depth goes 1, 2, 1, 2, 1, 0 so it returns True. And
            """),
        "correct_bracketing",
        rule="reasoning+fence:last-defining-entry",
        check="assert correct_bracketing('<<><>>') and not correct_bracketing('><<>')",
    ),
    Case(
        "qwq_repeats_function_while_verifying",
        _t("""
            Let me write it:

            ```python
            def incr_list(l: list):
                return [x + 1 for x in l]
            ```

            Testing with [1, 2, 3] gives [2, 3, 4]. Correct. Testing the empty list gives [].

            ```python
            print(incr_list([1, 2, 3]))
            ```

            **Final Answer**

            ```python
            def incr_list(l: list):
                return [x + 1 for x in l]
            ```
            """),
        "incr_list",
        rule="fence:last-defining-entry",
        must_not_contain=("print(",),
        check="assert incr_list([1, 2]) == [2, 3]",
    ),
    Case(
        "decorated_helper_functools_lru_cache",
        _t("""
            ```python
            import functools


            @functools.lru_cache(maxsize=None)
            def _fib4(n):
                if n < 4:
                    return (0, 0, 2, 0)[n]
                return _fib4(n - 1) + _fib4(n - 2) + _fib4(n - 3) + _fib4(n - 4)


            def fib4(n: int):
                return _fib4(n)
            ```
            """),
        "fib4",
        rule="fence:last-defining-entry",
        must_contain=("@functools.lru_cache(maxsize=None)",),
        check="assert fib4(7) == 14",
    ),
    Case(
        "decorated_helper_cache",
        _t("""
            We memoize the recursion with `functools.cache`:

            ```python
            from functools import cache


            @cache
            def ways(n):
                if n <= 1:
                    return 1
                return ways(n - 1) + ways(n - 2)


            def count_stairs(n):
                return ways(n)
            ```
            """),
        "count_stairs",
        must_contain=("@cache",),
        check="assert count_stairs(30) == 1346269",
    ),
    Case(
        "decorated_entry_point",
        _t("""
            ```python
            from functools import lru_cache

            @lru_cache(maxsize=None)
            def fibfib(n: int) -> int:
                if n < 3:
                    return 1 if n == 2 else 0
                return fibfib(n - 1) + fibfib(n - 2) + fibfib(n - 3)
            ```
            """),
        "fibfib",
        rule="fence:last-defining-entry",
        must_contain=("@lru_cache",),
        check="assert fibfib(8) == 24",
    ),
    Case(
        "helper_without_return_mutates_list",
        _t("""
            ```python
            def _collect(node, depth, out):
                # fills `out` in place, no return value
                if isinstance(node, list):
                    for child in node:
                        _collect(child, depth + 1, out)
                else:
                    out.append((depth, node))


            def flatten_depths(nested):
                out = []
                _collect(nested, 0, out)
                return [d for d, _ in out]
            ```
            """),
        "flatten_depths",
        must_contain=("def _collect",),
        check="assert flatten_depths([1, [2, [3]]]) == [1, 2, 3]",
    ),
    Case(
        "generator_helper",
        _t("""
            ```python
            def _windows(xs, k):
                for i in range(len(xs) - k + 1):
                    yield xs[i:i + k]


            def max_window_sum(xs, k):
                return max(sum(w) for w in _windows(xs, k))
            ```
            """),
        "max_window_sum",
        must_contain=("yield",),
        check="assert max_window_sum([1, 3, -1, 5], 2) == 4",
    ),
    Case(
        "class_helper_union_find",
        _t("""
            We can use a disjoint-set union:

            ```python
            class DSU:
                def __init__(self, n):
                    self.parent = list(range(n))

                def find(self, x):
                    while self.parent[x] != x:
                        self.parent[x] = self.parent[self.parent[x]]
                        x = self.parent[x]
                    return x

                def union(self, a, b):
                    self.parent[self.find(a)] = self.find(b)


            def count_components(n, edges):
                dsu = DSU(n)
                for a, b in edges:
                    dsu.union(a, b)
                return len({dsu.find(i) for i in range(n)})
            ```
            """),
        "count_components",
        must_contain=("class DSU",),
        check="assert count_components(5, [(0, 1), (1, 2), (3, 4)]) == 2",
    ),
    Case(
        "dataclass_helper",
        _t("""
            ```python
            from dataclasses import dataclass


            @dataclass(frozen=True)
            class Interval:
                start: int
                end: int


            def total_length(pairs):
                spans = [Interval(a, b) for a, b in sorted(pairs)]
                total, cur = 0, None
                for s in spans:
                    if cur is None or s.start > cur.end:
                        if cur:
                            total += cur.end - cur.start
                        cur = s
                    else:
                        cur = Interval(cur.start, max(cur.end, s.end))
                return total + (cur.end - cur.start if cur else 0)
            ```
            """),
        "total_length",
        must_contain=("@dataclass(frozen=True)",),
        check="assert total_length([(1, 3), (2, 5), (7, 8)]) == 5",
    ),
    Case(
        "module_constants",
        _t("""
            ```python
            MOD = 10**9 + 7
            VOWELS = frozenset("aeiou")
            EXAMPLE_INPUT = "hello world"  # only used in the example below


            def vowel_power(s):
                return pow(2, sum(ch in VOWELS for ch in s), MOD)


            print(vowel_power(EXAMPLE_INPUT))
            ```
            """),
        "vowel_power",
        must_contain=("MOD = 10**9 + 7", "VOWELS"),
        must_not_contain=("print(",),
        check="assert vowel_power('aei') == 8",
    ),
    Case(
        "imports_inside_function_and_on_top",
        _t("""
            ```python
            import re


            def words_string(s):
                from itertools import chain
                return list(chain.from_iterable(re.split(r"[,\\s]+", p) for p in [s.strip()] if p))
            ```
            """),
        "words_string",
        must_contain=("import re", "from itertools import chain"),
        check="assert words_string('Hi, my name') == ['Hi', 'my', 'name']",
    ),
    Case(
        "import_inside_try_except",
        _t("""
            ```python
            try:
                from math import comb
            except ImportError:  # Python < 3.8
                from math import factorial

                def comb(n, k):
                    return factorial(n) // (factorial(k) * factorial(n - k))


            def paths(m, n):
                return comb(m + n - 2, m - 1)
            ```
            """),
        "paths",
        must_contain=("from math import comb",),
        check="assert paths(3, 7) == 28",
    ),
    Case(
        "top_level_setrecursionlimit",
        _t("""
            The recursion can go deeper than Python's default limit, so raise it:

            ```python
            import sys

            sys.setrecursionlimit(10000)


            def depth(n):
                return 0 if n == 0 else 1 + depth(n - 1)
            ```
            """),
        "depth",
        must_contain=("sys.setrecursionlimit(10000)",),
        check="assert depth(3000) == 3000",
    ),
    Case(
        "top_level_precomputation_loop",
        _t("""
            ```python
            LIMIT = 1000
            SIEVE = [True] * (LIMIT + 1)
            SIEVE[0] = SIEVE[1] = False
            for i in range(2, int(LIMIT ** 0.5) + 1):
                if SIEVE[i]:
                    for j in range(i * i, LIMIT + 1, i):
                        SIEVE[j] = False


            def count_primes_below(n):
                return sum(SIEVE[:n])
            ```
            """),
        "count_primes_below",
        must_contain=("for j in range",),
        check="assert count_primes_below(100) == 25",
    ),
    Case(
        "helper_call_fills_global_table",
        _t("""
            ```python
            FACT = [1]


            def _extend(limit):
                while len(FACT) <= limit:
                    FACT.append(FACT[-1] * len(FACT))


            _extend(20)


            def special_factorial(n):
                out = 1
                for i in range(1, n + 1):
                    out *= FACT[i]
                return out


            assert special_factorial(4) == 288
            ```
            """),
        "special_factorial",
        must_contain=("_extend(20)",),
        must_not_contain=("assert",),
        check="assert special_factorial(4) == 288",
    ),
    Case(
        "global_counter_helper",
        _t("""
            ```python
            calls = 0


            def _tick():
                global calls
                calls += 1


            def count_calls(xs):
                for _ in xs:
                    _tick()
                return calls
            ```
            """),
        "count_calls",
        must_contain=("calls = 0",),
        check="assert count_calls([1, 2, 3]) == 3",
    ),
    Case(
        "main_block_reads_input",
        _t("""
            ```python
            def below_threshold(l, t):
                return all(x < t for x in l)


            if __name__ == "__main__":
                nums = list(map(int, input().split()))
                t = int(input())
                print(below_threshold(nums, t))
            ```
            """),
        "below_threshold",
        must_not_contain=("__main__", "input("),
        check="assert below_threshold([1, 2], 3) and not below_threshold([1, 20], 5)",
    ),
    Case(
        "competitive_style_stdin_and_main",
        _t("""
            ```python
            import sys


            def max_gap(nums):
                nums = sorted(nums)
                return max((b - a for a, b in zip(nums, nums[1:])), default=0)


            def main():
                data = sys.stdin.read().split()
                print(max_gap(list(map(int, data))))


            main()
            ```
            """),
        "max_gap",
        must_not_contain=("main()", "stdin"),
        check="assert max_gap([1, 10, 3]) == 7",
    ),
    Case(
        "asserts_and_prints_after_function",
        _t("""
            ```python
            def triangle_area(a, h):
                return a * h / 2


            # Test cases
            assert triangle_area(5, 3) == 7.5
            print(triangle_area(5, 3))
            result = triangle_area(2, 2)
            print(f"Area: {result}")
            ```
            """),
        "triangle_area",
        must_not_contain=("assert", "print", "result ="),
        check="assert triangle_area(4, 2) == 4",
    ),
    Case(
        "unittest_block",
        _t("""
            ```python
            import unittest


            def add(x: int, y: int) -> int:
                return x + y


            class TestAdd(unittest.TestCase):
                def test_small(self):
                    self.assertEqual(add(2, 3), 5)


            unittest.main()
            ```
            """),
        "add",
        must_not_contain=("class TestAdd", "unittest.main"),
        check="assert add(2, 3) == 5",
    ),
    Case(
        "unterminated_fence_truncated_output",
        _t("""
            Sure! Here's the implementation:

            ```python
            def common(l1: list, l2: list):
                return sorted(set(l1) & set(l2))


            # Example usage
            print(common([1, 4, 3, 34], [5, 7, 1, 5, 9
            """),
        "common",
        rule="fence:last-defining-entry",
        must_not_contain=("print",),
        check="assert common([1, 4, 3], [3, 1, 9]) == [1, 3]",
    ),
    Case(
        "raw_code_no_fence",
        _t('''
            def monotonic(l: list):
                """Return True if list elements are monotonically increasing or decreasing."""
                return l == sorted(l) or l == sorted(l, reverse=True)
            '''),
        "monotonic",
        rule="raw:whole",
        check="assert monotonic([1, 2, 4, 20]) and not monotonic([1, 20, 4, 10])",
    ),
    Case(
        "raw_code_with_prose_around",
        _t("""
            Sure! Here's the function, with comments,
            def pluck(arr):
                evens = [(v, i) for i, v in enumerate(arr) if v % 2 == 0]
                if not evens:
                    return []
                v, i = min(evens)
                return [v, i]
            This picks the smallest even value and, among ties, the smallest index.
            Output
            """),
        "pluck",
        rule="raw:trimmed",
        must_not_contain=("Sure", "Output"),
        check="assert pluck([4, 2, 3]) == [2, 1] and pluck([]) == []",
    ),
    Case(
        "completion_body_only",
        "    return sorted(set(l))\n",
        "unique",
        status="no_code",
        rule="no_code",
    ),
    Case(
        "completion_with_prompt_prefixed",
        _t('''
            def unique(l: list):
                """Return sorted unique elements in a list"""
                return sorted(set(l))

            def helper_never_used():
                pass
            '''),
        "unique",
        rule="raw:whole",
        must_not_contain=("helper_never_used",),
        check="assert unique([5, 3, 5, 2]) == [2, 3, 5]",
    ),
    Case(
        "apology_no_code",
        "I'm sorry, but I can't help with that request. If you have another question about\n"
        "Python, feel free to ask!\n",
        "anything",
        status="no_code",
        rule="no_code",
    ),
    Case(
        "only_non_python_fences",
        _t("""
            The expected behaviour:

            ```text
            Input: [1, 2, 3]
            Output: 6
            ```

            Run it with:

            ```bash
            python solution.py
            ```
            """),
        "total",
        status="no_code",
        rule="no_code",
    ),
    Case(
        "syntax_error_in_later_improved_block",
        _t("""
            ```python
            def fizz_buzz(n: int):
                return sum(str(i).count("7") for i in range(n) if i % 11 == 0 or i % 13 == 0)
            ```

            An "optimized" version:

            ```python
            def fizz_buzz(n: int):
                return sum(str(i).count("7") for i in range(n) if i % 11 == 0 or i % 13 == 0
            ```
            """),
        "fizz_buzz",
        rule="fence:last-defining-entry",
        check="assert fizz_buzz(79) == 3",
    ),
    Case(
        "syntax_error_block_then_good_block",
        _t("""
            ```python
            def choose_num(x, y):
                print "checking"
                return -1
            ```

            Oops, that is Python 2. Fixed:

            ```python
            def choose_num(x, y):
                if x > y:
                    return -1
                if y % 2 == 0:
                    return y
                return y - 1 if y - 1 >= x else -1
            ```
            """),
        "choose_num",
        check="assert choose_num(12, 15) == 14 and choose_num(13, 12) == -1",
    ),
    Case(
        "crlf_line_endings",
        "Here you go:\r\n\r\n```python\r\ndef is_palindrome(text: str):\r\n"
        "    # compare with the reverse\r\n    return text == text[::-1]\r\n```\r\n",
        "is_palindrome",
        rule="fence:last-defining-entry",
        must_not_contain=("\r",),
        check="assert is_palindrome('aba') and not is_palindrome('ab')",
    ),
    Case(
        "tab_indentation",
        "```python\ndef modp(n: int, p: int):\n\tresult = 1\n\tfor _ in range(n):\n"
        "\t\tresult = (2 * result) % p\n\treturn result\n```\n",
        "modp",
        must_contain=("\tresult = 1",),
        check="assert modp(3, 5) == 3 and modp(0, 101) == 1",
    ),
    Case(
        "non_ascii_prose_and_code",
        _t("""
            这个问题可以用一次遍历解决：统计每个字符出现的次数。

            ```python
            def histogram(test: str) -> dict:
                # Zählt die häufigsten Buchstaben → Wörterbuch
                counts = {}
                for ch in test.split():
                    counts[ch] = counts.get(ch, 0) + 1
                top = max(counts.values(), default=0)
                return {k: v for k, v in counts.items() if v == top}
            ```

            复杂度为 O(n)。
            """),
        "histogram",
        must_contain=("Zählt",),
        check="assert histogram('a b b a') == {'a': 2, 'b': 2}",
    ),
    Case(
        "markdown_indented_code_block",
        "Here is the solution:\n\n    def add_one(x):\n        return x + 1\n\nThat's all.\n",
        "add_one",
        rule="raw:trimmed",
        check="assert add_one(1) == 2",
    ),
    Case(
        "fence_inside_numbered_list",
        _t("""
            1. Define the function:

               ```python
               def double(x):
                   return 2 * x
               ```

            2. Call it with your data.
            """),
        "double",
        check="assert double(4) == 8",
    ),
    Case(
        "tilde_and_language_variants",
        _t("""
            ~~~py
            def cube(x):
                return x ** 3
            ~~~

            or, equivalently:

            ```Python3
            def cube(x):
                return x * x * x
            ```
            """),
        "cube",
        must_contain=("x * x * x",),
        check="assert cube(3) == 27",
    ),
    Case(
        "doctest_block_after_solution",
        _t("""
            ```python
            def car_race_collision(n: int):
                return n * n
            ```

            ```python
            >>> car_race_collision(3)
            9
            ```
            """),
        "car_race_collision",
        rule="fence:last-defining-entry",
        check="assert car_race_collision(4) == 16",
    ),
    Case(
        "entry_redefined_in_same_block",
        _t("""
            ```python
            def fib(n):
                # naive
                return n if n < 2 else fib(n - 1) + fib(n - 2)


            # faster iterative version overrides the naive one
            def fib(n):
                a, b = 0, 1
                for _ in range(n):
                    a, b = b, a + b
                return a
            ```
            """),
        "fib",
        must_contain=("a, b = b, a + b",),
        check="assert fib(80) == 23416728348467685",
    ),
    Case(
        "type_alias_constant_and_helper_after_entry",
        _t("""
            ```python
            Grid = list[list[int]]


            def max_fill(grid: Grid, capacity: int) -> int:
                return sum(_trips(row, capacity) for row in grid)


            def _trips(row: list[int], capacity: int) -> int:
                return -(-sum(row) // capacity)
            ```
            """),
        "max_fill",
        must_contain=("Grid = list[list[int]]", "def _trips"),
        check="assert max_fill([[0, 0, 1, 0], [0, 1, 0, 0], [1, 1, 1, 1]], 1) == 6",
    ),
    Case(
        "constant_in_earlier_block",
        _t("""
            We'll work modulo a large prime:

            ```python
            MOD = 1_000_000_007
            ```

            ```python
            def pow2(n):
                return pow(2, n, MOD)
            ```
            """),
        "pow2",
        rule="fence:last-defining-entry+merged",
        must_contain=("MOD = 1_000_000_007",),
        check="assert pow2(10) == 1024",
    ),
    Case(
        "import_in_earlier_block",
        _t("""
            ```python
            from typing import List
            import heapq
            ```

            ```python
            def k_smallest(nums: List[int], k: int) -> List[int]:
                return heapq.nsmallest(k, nums)
            ```
            """),
        "k_smallest",
        rule="fence:last-defining-entry+merged",
        must_contain=("import heapq", "from typing import List"),
        check="assert k_smallest([5, 1, 4, 2], 2) == [1, 2]",
    ),
    Case(
        "debug_print_inside_function_is_kept",
        _t("""
            ```python
            def noisy_sum(xs):
                total = 0
                for x in xs:
                    print("adding", x)
                    total += x
                return total
            ```
            """),
        "noisy_sum",
        must_contain=('print("adding", x)',),
        check="assert noisy_sum([1, 2]) == 3",
    ),
    Case(
        "reasoning_tag_and_future_import",
        _t('''
            <reasoning>
            Use postponed annotations; draft:
            ```python
            def parse_pairs(s): return []
            ```
            </reasoning>
            ```python
            """Parse "a=1;b=2" into pairs."""
            from __future__ import annotations


            def parse_pairs(s: str) -> list[tuple[str, int]]:
                return [(k, int(v)) for k, v in (p.split("=") for p in s.split(";") if p)]
            ```
            '''),
        "parse_pairs",
        rule="think-stripped+fence:last-defining-entry",
        must_contain=("from __future__ import annotations",),
        check="assert parse_pairs('a=1;b=2') == [('a', 1), ('b', 2)]",
    ),
    Case(
        "bash_fence_then_python",
        _t("""
            Install nothing; just standard library:

            ```bash
            python3 -m pip --version
            ```

            ```python
            from collections import Counter


            def most_common_char(s):
                return Counter(s).most_common(1)[0][0]
            ```
            """),
        "most_common_char",
        check="assert most_common_char('abbc') == 'b'",
    ),
    Case(
        "entry_point_none_keeps_whole_block",
        _t("""
            ```python
            import math

            RADIUS = 2


            def area(r):
                return math.pi * r * r


            print(area(RADIUS))
            ```
            """),
        None,
        rule="fence:last-defining",
        must_contain=("RADIUS = 2", "def area"),
        must_not_contain=("print(",),
        check="assert round(area(RADIUS), 2) == 12.57",
    ),
    Case(
        "model_named_the_function_differently",
        _t("""
            ```python
            def solution(nums):
                return sorted(nums)
            ```
            """),
        "sort_numbers",
        rule="fence:last-defining",
        must_contain=("def solution",),
    ),
    Case(
        "helper_named_like_a_test",
        _t("""
            ```python
            def test_bit(n: int, i: int) -> bool:
                return (n >> i) & 1 == 1


            def popcount(n: int) -> int:
                return sum(test_bit(n, i) for i in range(n.bit_length()))


            def test_popcount():
                assert popcount(7) == 3


            test_popcount()
            ```
            """),
        "popcount",
        must_contain=("def test_bit",),
        must_not_contain=("def test_popcount", "test_popcount()"),
        check="assert popcount(11) == 3",
    ),
    Case(
        "leetcode_class_wrapped_by_entry",
        _t("""
            A hash map gives O(n):

            ```python
            from typing import List


            class Solution:
                def twoSum(self, nums: List[int], target: int) -> List[int]:
                    seen = {}
                    for i, x in enumerate(nums):
                        if target - x in seen:
                            return [seen[target - x], i]
                        seen[x] = i
                    return []


            def two_sum(nums, target):
                return Solution().twoSum(nums, target)


            sol = Solution()
            print(sol.twoSum([2, 7, 11, 15], 9))
            ```
            """),
        "two_sum",
        must_contain=("class Solution",),
        must_not_contain=("print(", "sol = Solution()"),
        check="assert two_sum([3, 2, 4], 6) == [1, 2]",
    ),
    Case(
        "long_r1_output_with_drafts_in_think",
        long_reasoning_output(820),
        "second_largest",
        rule="think-stripped+fence:last-defining-entry",
        must_contain=("set(nums)",),
        must_not_contain=("# draft",),
        check=SECOND,
    ),
)


def judge(case: Case, code: str, status: str) -> list[str]:
    """What is wrong with one sanitizer's answer for ``case`` (``[]`` when right).

    The ``check`` is not run here (see ``run_checks``); neither is ``rule``.
    """
    problems = [] if status == case.status else [f"status {status!r}, expected {case.status!r}"]
    if status != "ok":
        return problems
    try:
        ast.parse(code)
    except SyntaxError as exc:
        problems.append(f"code does not parse: {exc.msg}")
    problems += [f"missing {s!r}" for s in case.must_contain if s not in code]
    problems += [f"has {s!r}" for s in case.must_not_contain if s in code]
    return problems


_DRIVER = r"""
import io, json, os, signal, sys
items = json.loads(sys.stdin.read())
out = os.fdopen(os.dup(1), "w")
sys.stdout = io.StringIO()
def alarm(*_):
    raise TimeoutError("check took more than 5 s")
signal.signal(signal.SIGALRM, alarm)
results = []
for code, check in items:
    sys.setrecursionlimit(1000)  # what one sample does must not help the next
    signal.alarm(5)
    try:
        ns = {"__name__": "sample"}
        exec(compile(code, "<code>", "exec"), ns)
        exec(compile(check, "<check>", "exec"), ns)
        results.append(None)
    except BaseException as exc:
        results.append(f"{type(exc).__name__}: {exc}"[:200])
    finally:
        signal.alarm(0)
    sys.stdout = io.StringIO()
out.write(json.dumps(results))
"""


def run_checks(items: list[tuple[str, str]]) -> list[str | None]:
    """Run each (code, check) pair in one child process; ``None`` = passed, else the error.

    The corpus is trusted code, but the sanitizers' outputs are run apart from the caller
    anyway: they change interpreter state (recursion limit) and print.
    """
    done = subprocess.run(
        [sys.executable, "-I", "-c", _DRIVER],
        input=json.dumps(items),
        capture_output=True,
        text=True,
        timeout=60 + 10 * len(items),
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"check driver failed: {done.stderr[-2000:]}")
    results: list[str | None] = json.loads(done.stdout)
    return results
