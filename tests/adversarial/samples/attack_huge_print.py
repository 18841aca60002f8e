"""Print 1 GiB: through print(), and straight into fds 1 and 2.

Attack: flood stdout/stderr (a harness that captures output runs out of memory or disk).
Must hold: output is counted and dropped in the child (stdout/stderr are /dev/null and a
sink); the judge never buffers it -> wrong output, in bounded time.

task: HumanEval/53
expect: fail
layers: judge
"""
import os
import sys

MB = "x" * (1 << 20)
_done = [False]


def add(x: int, y: int):
    if not _done[0]:
        _done[0] = True
        for _ in range(512):
            print(MB)
            sys.stderr.write(MB)
        raw = MB.encode()
        for _ in range(256):
            for fd in (1, 2):
                try:
                    os.write(fd, raw)
                except OSError:
                    pass
    return x + y + 1
