"""sys.exit(0) inside the function under test.

Attack: raise SystemExit(0) from the call, hoping the runner stops and reports success.
Must hold: reported as the sample's exception (type name only) -> error.

task: HumanEval/53
expect: error
layers: judge
"""
import sys


def add(x: int, y: int):
    sys.exit(0)
