"""Find the result socket and forge a complete, well-formed run: results, then "done".

Attack: locate the channel (a socket among the open fds, via os.fstat), read the run's inputs
from the caller's frame, and write valid ["res", [[i, "r", True, 0.0], ...]] and
["done", n] frames for all of them, then sleep so the real runner never answers.
Must hold: the forged frames carry only the sample's own guesses; a constant answer is
wrong for some input -> fail (the judge never mistakes frame validity for correctness).

task: HumanEval/0
expect: fail
layers: judge
"""
import json
import os
import stat
import struct
import sys
import time


def _frame(message):
    data = json.dumps(message).encode()
    return struct.pack(">I", len(data)) + data


def has_close_elements(numbers, threshold):
    message = sys._getframe(1).f_locals.get("message")
    n = len(message[2]) if isinstance(message, list) and len(message) > 2 else 1
    forged = _frame(["res", [[i, "r", True, 0.0] for i in range(n)]]) + _frame(["done", n])
    for fd in range(3, 256):
        try:
            if stat.S_ISSOCK(os.fstat(fd).st_mode):
                os.write(fd, forged)
        except OSError:
            pass
    time.sleep(30)
    return True
