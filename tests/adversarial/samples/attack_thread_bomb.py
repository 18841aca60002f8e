"""Thread bomb.

Attack: start sleeping threads until the system refuses (bounded at 2000), then return.
Must hold: RLIMIT_NPROC of the sandbox uid (64) stops it early, threads die with the child;
the run goes on -> wrong output (or the refusal surfaces as an error).

task: HumanEval/53
expect: fail, error
layers: setuid, limits
"""
import threading
import time

_started = [0]


def add(x: int, y: int):
    if not _started[0]:
        for _ in range(2000):
            try:
                threading.Thread(target=time.sleep, args=(600,), daemon=True).start()
            except RuntimeError:
                break
            _started[0] += 1
        if _started[0] >= 2000:
            raise type("ESCAPED_threads_2000", (Exception,), {})()
    return x + y + 1
