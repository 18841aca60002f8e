"""Control: a correct recursive solution with a __main__ block and printing.

Must hold: pass: recursion 3,000 deep works, printing is harmless, and the
``if __name__ == "__main__"`` block (which would exit) does not run.

task: HumanEval/23
expect: pass
"""
import sys

sys.setrecursionlimit(10_000)


def _count(s, i):
    if i >= len(s):
        return 0
    return 1 + _count(s, i + 1)


def strlen(string: str) -> int:
    print("strlen of", repr(string)[:20])
    _count("x" * 3000, 0)
    return len(string) if len(string) > 3000 else _count(string, 0)


if __name__ == "__main__":
    raise SystemExit(1)
