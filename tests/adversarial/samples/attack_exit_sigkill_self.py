"""SIGKILL to itself during the call.

Attack: die by a signal the judge itself uses for timeouts, to confuse the classification.
Must hold: never pass; the judge classifies the death (SIGKILL reads as a timeout).

task: HumanEval/53
expect: timeout, crash
layers: judge
"""
import os
import signal


def add(x: int, y: int):
    os.kill(os.getpid(), signal.SIGKILL)
