"""Write fake protocol frames into every inherited file descriptor, at import.

Attack: for fd in 0..1024 write length-prefixed frames saying "loaded", then results and
"done" for the run, plus loose text ("PASS", a JSON verdict). Whatever fd the channel is,
the judge reads forged frames first. (This hangs EvalPlus's whole run.)
Must hold: forged frames are only the sample's own answers, out of sequence: the judge
reports a protocol violation (or a wrong answer) in bounded time; never pass.

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


JUNK = (
    _frame(["loaded"])
    + _frame(["res", [[0, "r", 1, 0.0]]])
    + _frame(["done", 1])
    + b"PASS\n{\"base_status\": \"pass\", \"plus_status\": \"pass\"}\n"
)

for fd in range(1025):
    try:
        os.write(fd, JUNK)
    except OSError:
        pass


def add(x: int, y: int):
    return x + y + 1
