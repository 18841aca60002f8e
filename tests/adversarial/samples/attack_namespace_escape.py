"""Escape through namespaces, mounts and credentials.

Attack: unshare a user namespace (to be "root" in it), setns into pid 1's namespaces, mount a
tmpfs, chroot, setuid(0)/setgid(0), setgroups([0]), and raise capabilities with capset.
Must hold: every call is refused (seccomp denies unshare/setns/mount/chroot; the uid has
no capabilities) -> wrong output.

task: HumanEval/53
expect: fail
layers: seccomp, setuid
"""
import ctypes
import os

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long
CLONE_NEWUSER, CLONE_NEWNS = 0x10000000, 0x00020000


def add(x: int, y: int):
    hits = []
    if _libc.unshare(CLONE_NEWUSER) == 0:
        hits.append("unshare_user")
    if _libc.unshare(CLONE_NEWNS) == 0:
        hits.append("unshare_mnt")
    for ns in ("net", "pid", "mnt", "user"):
        try:
            fd = os.open("/proc/1/ns/" + ns, os.O_RDONLY)
        except OSError:
            continue
        if _libc.setns(fd, 0) == 0:
            hits.append("setns_" + ns)
    if _libc.mount(b"none", b"/usr", b"tmpfs", 0, None) == 0:
        hits.append("mount")
    if _libc.chroot(b"/usr") == 0:
        hits.append("chroot")
    for name, call in (("setuid", lambda: os.setuid(0)), ("setgid", lambda: os.setgid(0)),
                       ("setgroups", lambda: os.setgroups([0]))):
        try:
            call()
            hits.append(name)
        except OSError:
            pass
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, self
    data = (ctypes.c_uint32 * 6)(0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF)
    if _libc.syscall(126, header, data) == 0:  # capset
        hits.append("capset")
    if hits:
        raise type("ESCAPED_" + "_".join(hits)[:80], (Exception,), {})()
    return x + y + 1
