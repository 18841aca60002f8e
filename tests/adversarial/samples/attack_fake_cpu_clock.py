"""Make the child's own clocks lie, then be slow.

Attack: replace time.process_time/monotonic/perf_counter in the child (the runner reports
per-input CPU from them), then sleep 3 s and return the right answer, so the child reports
"0 s" for a 3 s input.
Must hold: time limits come from the kernel's accounting seen by the judge, never from the
child's report -> timeout.

task: HumanEval/53
expect: timeout
layers: limits
"""
import time

_real_sleep = time.sleep
time.process_time = lambda: 0.0
time.monotonic = lambda: 0.0
time.perf_counter = lambda: 0.0
time.time = lambda: 0.0


def add(x: int, y: int):
    _real_sleep(3)
    return x + y
