"""Sleep forever while the module loads.

Attack: block in the module body so "loaded" never comes.
Must hold: the load time limit applies -> timeout.

task: HumanEval/53
expect: timeout
layers: limits
"""
import time

time.sleep(10**6)


def add(x: int, y: int):
    return x + y
