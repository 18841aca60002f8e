"""Rewrite the shared progress page to reset the judge's per-input clock.

Attack: the child writes the index of the running input into a page the judge reads to
attribute time; the page is writable by the sample. On its first call the sample sleeps 3 s
(the per-input limit is 0.5 s) while flipping the page between two made-up indices every few
ms, so each poll of the judge sees "a new input" and restarts the clock; then it returns the
right answer.
Must hold: a solution that takes 3 s on one input is a timeout, whatever the page says.

task: HumanEval/53
expect: timeout
layers: judge
"""
import mmap
import os
import stat
import struct
import time

_done = [False]


def _pages():
    # The page is a one-page memfd among the open fds. List the candidates first, one per
    # inode: each mmap dups its fd, which a loop over fds would then find again.
    inodes = {}
    for fd in range(3, 256):
        try:
            st = os.fstat(fd)
        except OSError:
            continue
        if stat.S_ISREG(st.st_mode) and st.st_size == mmap.PAGESIZE:
            inodes.setdefault((st.st_dev, st.st_ino), fd)
    return [mmap.mmap(fd, mmap.PAGESIZE) for fd in inodes.values()]


def add(x: int, y: int):
    if not _done[0]:
        _done[0] = True
        pages = _pages()
        start, k = time.monotonic(), 0
        while time.monotonic() - start < 3.0:
            k += 1
            for page in pages:
                struct.pack_into("<q", page, 0, 100 + k % 2)
            time.sleep(0.002)
    return x + y
