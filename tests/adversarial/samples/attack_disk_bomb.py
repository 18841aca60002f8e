"""Disk bomb: fill every writable place.

Attack: write 4 MiB chunks into as many files as possible in the private work dir, and try
/tmp, /var/tmp and /dev/shm directly (bounded at 512 MiB in all).
Must hold: RLIMIT_FSIZE caps each file, the private tmpfs caps the total, Landlock refuses
every other place; nothing appears on the host's /tmp or /var/tmp -> wrong output.

task: HumanEval/53
expect: fail
layers: landlock, mountns
"""
import os
import tempfile

CHUNK = b"\0" * (1 << 20)


def _fill(directory, limit=512):
    written = 0
    for n in range(limit):
        try:
            with open(os.path.join(directory, "cj_adv_pwned_disk_%d" % n), "wb") as f:
                for _ in range(8):
                    f.write(CHUNK)
                    written += 1
                    if written >= limit:
                        return written
        except OSError:
            break
    return written


_done = [False]


def add(x: int, y: int):
    if not _done[0]:
        _done[0] = True
        _fill(tempfile.gettempdir())
        for place in ("/tmp", "/var/tmp", "/dev/shm", "__CANARY_DIR__"):
            if _fill(place, 1):
                raise type("ESCAPED_disk_" + place.strip("/").replace("/", "_"), (Exception,), {})()
    return x + y + 1
