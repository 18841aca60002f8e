"""Kill the parent, the judge, the namespace's init and the canary process.

Attack: SIGKILL os.getppid() (when it is visible), the judge's pid (__JUDGE_PID__), pid 1,
and the test's canary processes (__CANARY_PIDS__); then os.killpg on the judge's and the
canary's process groups.
Must hold: every signal is refused or cannot reach (pid namespace, Landlock signal scope,
uid) -> the judge, zygote and canaries live; wrong output.

task: HumanEval/53
expect: fail
layers: pidns, landlock-scope, setuid
"""
import os
import signal


def add(x: int, y: int):
    hit = []
    targets = [__JUDGE_PID__, 1] + list(__CANARY_PIDS__)
    if os.getppid() > 0:  # 0 inside a pid namespace: kill(0) would only hit our own group
        targets.insert(0, os.getppid())
    for pid in targets:
        if pid == os.getpid():
            continue
        try:
            os.kill(pid, signal.SIGKILL)
            hit.append(str(pid))
        except OSError:
            pass
        if pid == 1:
            continue  # killpg(1) is kill(-1), which "succeeds" even when every target refused
        try:
            os.killpg(pid, signal.SIGKILL)
            hit.append("pg" + str(pid))
        except OSError:
            pass
    if hit:
        raise type("ESCAPED_killed_" + "_".join(hit)[:60], (Exception,), {})()
    return x + y + 1
