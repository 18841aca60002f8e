"""Raise its own resource limits; change other processes' limits with prlimit.

Attack: lift the hard CPU/AS/NOFILE/NPROC limits to infinity, then prlimit the judge
(__JUDGE_PID__), pid 1 and the parent down to zero open files (which would break them).
Lowering its own limits is allowed and harmless.
Must hold: raising hard limits is refused (no CAP_SYS_RESOURCE), other processes are out of
reach (uid, pid namespace) -> wrong output, and the judge keeps working.

task: HumanEval/53
expect: fail
layers: setuid, pidns
"""
import os
import resource


def add(x: int, y: int):
    hits = []
    for name in ("RLIMIT_CPU", "RLIMIT_AS", "RLIMIT_NOFILE", "RLIMIT_NPROC", "RLIMIT_FSIZE"):
        res = getattr(resource, name)
        try:
            resource.setrlimit(res, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
            hits.append(name)
        except (ValueError, OSError):
            pass
    targets = [__JUDGE_PID__, 1] + ([os.getppid()] if os.getppid() > 0 else [])
    for pid in targets:
        try:
            resource.prlimit(pid, resource.RLIMIT_NOFILE, (0, 0))
            hits.append("prlimit_%d" % pid)
        except (ValueError, OSError):
            pass
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if hits:
        raise type("ESCAPED_" + "_".join(hits)[:80], (Exception,), {})()
    return x + y + 1
