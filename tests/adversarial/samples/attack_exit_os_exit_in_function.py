"""os._exit(0) inside the function under test.

Attack: exit with status 0 on the first call, before any result is sent.
Must hold: no result, no pass: the channel ends early -> crash.

task: HumanEval/53
expect: crash
layers: judge
"""
import os


def add(x: int, y: int):
    os._exit(0)
