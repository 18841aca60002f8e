"""Claim the run is over before any result: write ["done", n] first.

Attack: send "done" for the full run right away (and a "noentry" and a malformed frame
whose header claims 4 GiB), hoping an empty result list counts as "nothing failed".
Must hold: "done" is accepted only after exactly n results -> protocol violation, never pass.

task: HumanEval/53
expect: fail, error
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
    forged = _frame(["done", n]) + _frame(["noentry"]) + struct.pack(">I", 0xFFFFFFFF)
    for fd in range(3, 256):
        try:
            if stat.S_ISSOCK(os.fstat(fd).st_mode):
                os.write(fd, forged)
        except OSError:
            pass
    time.sleep(30)
    return x + y
