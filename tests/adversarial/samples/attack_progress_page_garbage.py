"""Write garbage into the shared progress page, then spin forever.

Attack: put a value the judge does not expect into the page (huge, high bits set) once, then
loop, hoping the judge crashes on the index or loses track of the running input.
Must hold: the judge survives and the loop is still a timeout.

task: HumanEval/53
expect: timeout
layers: judge
"""
import mmap
import os
import stat
import struct


def add(x: int, y: int):
    inodes = {}  # one fd per inode: each mmap dups its fd (see page_time_bypass)
    for fd in range(3, 256):
        try:
            st = os.fstat(fd)
        except OSError:
            continue
        if stat.S_ISREG(st.st_mode) and st.st_size == mmap.PAGESIZE:
            inodes.setdefault((st.st_dev, st.st_ino), fd)
    for fd in inodes.values():
        page = mmap.mmap(fd, mmap.PAGESIZE)
        struct.pack_into("<q", page, 0, (1 << 62) | 7)  # no "encoding" flag set
    while True:
        pass
