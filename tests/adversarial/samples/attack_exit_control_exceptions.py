"""KeyboardInterrupt / unittest.SkipTest / GeneratorExit from the function.

Attack: raise the exceptions test runners treat specially (SkipTest skips, KeyboardInterrupt
aborts "cleanly", GeneratorExit is swallowed by some loops), one per input.
Must hold: each is just the sample's exception by type name -> error.

task: HumanEval/53
expect: error
layers: judge
"""
import unittest

_calls = [0]


def add(x: int, y: int):
    _calls[0] += 1
    kind = _calls[0] % 3
    if kind == 1:
        raise KeyboardInterrupt
    if kind == 2:
        raise unittest.SkipTest("skip me")
    raise GeneratorExit
