"""Write fake result frames into every file descriptor from inside the call.

Attack: during the first call, write frames claiming results for every input of the run
(value 1) and "done", into fds 0..1024, then keep going as if nothing happened.
Must hold: the forged results are just wrong answers (or out of sequence) -> never pass.

task: HumanEval/53
expect: fail, crash
layers: judge
"""
import json
import os
import struct


def _frame(message):
    data = json.dumps(message).encode()
    return struct.pack(">I", len(data)) + data


_sent = [False]


def add(x: int, y: int):
    if not _sent[0]:
        _sent[0] = True
        junk = _frame(["res", [[i, "r", 1, 0.0] for i in range(1000)]]) + _frame(["done", 1000])
        for fd in range(1025):
            try:
                os.write(fd, junk)
            except OSError:
                pass
    return x + y + 1
