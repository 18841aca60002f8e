"""kill(-1, SIGKILL): every process the caller may signal.

Attack: os.kill(-1, SIGKILL) (as root in an unconfined harness this kills the machine's
processes), then SIGTERM/SIGSTOP to every pid 2..4096 one by one.
Must hold: nothing outside the child can be signalled; kill(-1) never hits the caller itself,
so the call returns -> wrong output; the canaries and the judge are alive.

task: HumanEval/53
expect: fail
layers: pidns, landlock-scope, setuid
"""
import os
import signal


def add(x: int, y: int):
    try:
        os.kill(-1, signal.SIGKILL)
    except OSError:
        pass
    me = os.getpid()
    hit = 0
    for pid in range(2, 4097):
        if pid == me:
            continue
        for sig in (signal.SIGTERM, signal.SIGSTOP):
            try:
                os.kill(pid, sig)
                hit += 1
            except OSError:
                pass
    if hit:
        raise type("ESCAPED_signalled_%d" % hit, (Exception,), {})()
    return x + y + 1
