"""Reach kernel attack surfaces: bpf, perf, io_uring, userfaultfd, keys, modules, pidfd.

Attack: call each of these syscalls with harmless arguments through ctypes; any that is
not refused widens the kernel surface a sample can probe for bugs.
Must hold: seccomp refuses all of them -> wrong output.

task: HumanEval/53
expect: fail
layers: seccomp
"""
import ctypes

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long

# x86_64 numbers; on another architecture the calls fail anyway (the test notes the arch).
CALLS = {
    "bpf": (321, 0, 0, 0),                      # BPF_MAP_CREATE with no attr
    "perf_event_open": (298, 0, 0, -1, -1, 0),
    "io_uring_setup": (425, 1, 0),
    "userfaultfd": (323, 0),
    "keyctl": (250, 0, -3, 0),                   # KEYCTL_GET_KEYRING_ID of the session keyring
    "add_key": (248, b"user", b"cj_adv", b"x", 1, -2),
    "init_module": (175, 0, 0, b""),
    "kexec_load": (246, 0, 0, 0, 0),
    "reboot": (169, 0, 0, 0, 0),                 # bad magic: refused even for root
    "acct": (163, 0),
    "pidfd_open": (434, 1, 0),
    "open_by_handle_at": (304, -100, 0, 0),
    "swapoff": (168, b"/nonexistent"),
}


def add(x: int, y: int):
    hits = [name for name, (nr, *args) in CALLS.items() if _libc.syscall(nr, *args) >= 0]
    if hits:
        raise type("ESCAPED_" + "_".join(hits)[:80], (Exception,), {})()
    return x + y + 1
