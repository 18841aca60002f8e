"""ptrace and process_vm_readv (via ctypes) on the judge, the zygote and pid 1.

Attack: PTRACE_ATTACH / PTRACE_SEIZE the judge (__JUDGE_PID__), the parent and pid 1; read
their memory with process_vm_readv and through /proc/<pid>/mem; PTRACE_TRACEME.
Must hold: all refused (seccomp denies ptrace and process_vm_*, Landlock hides /proc, the pid
namespace hides the judge, the uid differs) -> wrong output.

task: HumanEval/53
expect: fail
layers: seccomp, landlock, pidns, setuid
"""
import ctypes
import os

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long
PTRACE_TRACEME, PTRACE_ATTACH, PTRACE_SEIZE = 0, 16, 0x4206
NR_PTRACE, NR_PROCESS_VM_READV = 101, 310


class IOVec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]


def add(x: int, y: int):
    hits = []
    targets = [__JUDGE_PID__, 1]
    if os.getppid() > 0:
        targets.append(os.getppid())
    for pid in targets:
        for req in (PTRACE_ATTACH, PTRACE_SEIZE):
            if _libc.syscall(NR_PTRACE, req, pid, 0, 0) == 0:
                hits.append("ptrace%d_%d" % (req, pid))
        buf = ctypes.create_string_buffer(64)
        local = IOVec(ctypes.addressof(buf), 64)
        remote = IOVec(0x400000, 64)
        if _libc.syscall(NR_PROCESS_VM_READV, pid, ctypes.byref(local), 1, ctypes.byref(remote), 1, 0) > 0:
            hits.append("vmread_%d" % pid)
        try:
            with open("/proc/%d/mem" % pid, "rb") as f:
                f.seek(0x400000)
                f.read(16)
            hits.append("procmem_%d" % pid)
        except (OSError, ValueError):
            pass
    if _libc.syscall(NR_PTRACE, PTRACE_TRACEME, 0, 0, 0) == 0:
        hits.append("traceme")
    if hits:
        raise type("ESCAPED_" + "_".join(hits)[:80], (Exception,), {})()
    return x + y + 1
