"""Segfault: dereference a bad pointer through ctypes.

Attack: crash the interpreter mid-call (a harness that reads "no failure report" as success).
Must hold: the child dies by SIGSEGV -> crash.

task: HumanEval/53
expect: crash
layers: judge
"""
import ctypes


def add(x: int, y: int):
    # Not string_at(0, n): a NULL address makes ctypes allocate n fresh bytes instead.
    return ctypes.string_at(1)
