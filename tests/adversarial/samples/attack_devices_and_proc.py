"""Open devices and /proc files that reach outside the process.

Attack: open /dev/tty, /dev/console, /dev/kmsg, /dev/mem and /dev/shm for writing (nothing
is written), write our own /proc/self/oom_score_adj (harmless value) and read /proc/mounts,
/sys/fs/cgroup and /dev/shm's listing.
Must hold: Landlock allows only /dev/null (rw) and /dev/urandom (ro) -> wrong output.

task: HumanEval/53
expect: fail
layers: landlock
"""
import os


def add(x: int, y: int):
    hits = []
    for path in ("/dev/tty", "/dev/console", "/dev/kmsg", "/dev/mem", "/proc/self/oom_score_adj"):
        try:
            fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK | os.O_NOCTTY)
        except OSError:
            continue
        os.close(fd)
        hits.append(path.replace("/", "_"))
    for path in ("/proc/mounts", "/sys/fs/cgroup", "/dev/shm"):
        try:
            os.listdir(path) if not path.endswith("mounts") else open(path).close()
            hits.append(path.replace("/", "_"))
        except OSError:
            pass
    if hits:
        raise type("ESCAPED" + "".join(hits)[:80], (Exception,), {})()
    return x + y + 1
