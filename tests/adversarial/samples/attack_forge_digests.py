"""Forge digest results ("h" items) and an early "done".

Attack: the judge accepts large outputs as digests of their encoding. Answer every input
with a made-up digest item [i, "h", "00..", 0.0] straight on the channel (for inputs whose
expected output is small the judge never asked for a digest), then "done".
Must hold: a digest proves equality only if it is the expected value's digest, which the
child cannot know -> fail; no PASS from a digest the judge did not compute itself.

task: HumanEval/53
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


def add(x: int, y: int):
    message = sys._getframe(1).f_locals.get("message")
    n = len(message[2]) if isinstance(message, list) and len(message) > 2 else 1
    forged = _frame(["res", [[i, "h", "0" * 32, 0.0] for i in range(n)]]) + _frame(["done", n])
    for fd in range(3, 256):
        try:
            if stat.S_ISSOCK(os.fstat(fd).st_mode):
                os.write(fd, forged)
        except OSError:
            pass
    time.sleep(30)
    return 0
