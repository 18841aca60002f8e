"""Unbounded recursion with the recursion limit lifted, in Python and through C.

Attack: sys.setrecursionlimit(10**8), then recurse through a C-level call (repr of a
self-referential object) until the C stack overflows, on alternate inputs in pure Python.
Must hold: it ends as a crash (stack overflow), a RecursionError/MemoryError, or a timeout;
never pass.

task: HumanEval/53
expect: crash, error, memory, timeout
layers: limits
"""
import sys

sys.setrecursionlimit(10**8)


class Node:
    def __repr__(self):
        return repr(Node())


def _down(n):
    return _down(n + 1) + 1


def add(x: int, y: int):
    if (x + y) % 2:
        return _down(0)
    return repr(Node())
