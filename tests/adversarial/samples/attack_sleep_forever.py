"""Sleep forever in the function (no CPU used, so CPU limits never fire).

Attack: time.sleep(10**6) on the first call.
Must hold: the judge measures elapsed time (minus time waiting for a CPU), not CPU -> timeout.

task: HumanEval/53
expect: timeout
layers: limits
"""
import time


def add(x: int, y: int):
    time.sleep(10**6)
