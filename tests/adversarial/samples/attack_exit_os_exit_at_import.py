"""os._exit(0) while the module loads.

Attack: end the process with status 0 before the judge gets "loaded", hoping a clean exit
reads as success (it does in harnesses that look at the exit status).
Must hold: the verdict never comes from an exit status; the channel just ends -> crash.

task: HumanEval/53
expect: crash
layers: judge
"""
import os

os._exit(0)


def add(x: int, y: int):
    return x + y
