"""Kernel confinement layers for the sandbox child: namespaces, Landlock, seccomp.

Stdlib-only (ctypes): this runs inside the sandbox interpreter (``python3 -I -S``), which has
none of codejury's dependencies. The facts behind each choice are in ``shared/SANDBOX.md``:
self-confinement (seccomp + Landlock + a per-slot uid + rlimits) holds in containers where
namespaces are unavailable; namespaces are an extra layer where we are root.
"""

from __future__ import annotations

import ctypes
import os
import platform
import struct
from typing import Any

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long
_libc.prctl.argtypes = [
    ctypes.c_int,
    ctypes.c_ulong,
    ctypes.c_ulong,
    ctypes.c_ulong,
    ctypes.c_ulong,
]

PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_SET_SECCOMP = 22
PR_SET_NO_NEW_PRIVS = 38
SECCOMP_MODE_FILTER = 2

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
CLONE_THREAD = 0x00010000
MS_NOSUID = 2
MS_NODEV = 4
MS_REC = 16384
MS_PRIVATE = 1 << 18

_ERRNO_EPERM = 1
_ERRNO_ENOSYS = 38


def _check(ret: int, what: str) -> int:
    if ret < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")
    return ret


def prctl(option: int, arg2: int = 0) -> None:
    """Call prctl(2) with one argument; raise OSError on failure."""
    _check(_libc.prctl(option, arg2, 0, 0, 0), f"prctl({option})")


# --------------------------------------------------------------------------------------------
# Namespaces (zygote, once)


def enter_namespaces(tmp_size_bytes: int) -> list[str]:
    """Unshare net/ipc/uts/mount/pid and mount a private, size-capped tmpfs on /tmp.

    Must be called by root in a single-threaded process before it forks its children.

    Returns:
        The namespaces obtained (empty when unshare is refused, e.g. in a Docker container).
    """
    flags = CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWPID
    if _libc.unshare(flags) != 0:
        return []
    got = ["mount", "net", "ipc", "uts", "pid"]
    # Keep our mounts to ourselves, then hide the host's /tmp behind a tmpfs whose size is the
    # disk quota of every sample this zygote runs (RLIMIT_FSIZE alone is only per file).
    _libc.mount.argtypes = [ctypes.c_char_p] * 3 + [ctypes.c_ulong, ctypes.c_char_p]
    if _libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None) == 0:
        opts = f"size={tmp_size_bytes},mode=1777".encode()
        if _libc.mount(b"tmpfs", b"/tmp", b"tmpfs", MS_NOSUID | MS_NODEV, opts) == 0:
            got.append("tmpfs")
    return got


# --------------------------------------------------------------------------------------------
# Landlock (ABI-dependent, best effort, recorded)

_LL_CREATE, _LL_ADD_RULE, _LL_RESTRICT = 444, 445, 446  # same numbers on x86_64 and aarch64
_LL_VERSION = 1
_LL_RULE_PATH_BENEATH = 1
_FS_EXECUTE, _FS_WRITE_FILE, _FS_READ_FILE, _FS_READ_DIR = 1, 2, 4, 8
_FS_REMOVE_DIR, _FS_REMOVE_FILE, _FS_MAKE_CHAR, _FS_MAKE_DIR = 16, 32, 64, 128
_FS_MAKE_REG, _FS_MAKE_SOCK, _FS_MAKE_FIFO, _FS_MAKE_BLOCK, _FS_MAKE_SYM = (
    256,
    512,
    1024,
    2048,
    4096,
)
_FS_REFER, _FS_TRUNCATE = 8192, 16384
_NET_BIND_TCP, _NET_CONNECT_TCP = 1, 2
_SCOPE_ABSTRACT_UNIX, _SCOPE_SIGNAL = 1, 2


def landlock_abi() -> int:
    """The kernel's Landlock ABI version (0 when Landlock is unavailable)."""
    ret = _libc.syscall(_LL_CREATE, None, 0, _LL_VERSION)
    return int(ret) if ret > 0 else 0


def landlock_restrict(abi: int, read_paths: list[str], write_paths: list[str]) -> None:
    """Restrict this process to reading ``read_paths`` and writing ``write_paths``.

    Also denies TCP bind/connect (ABI >= 4) and scopes abstract unix sockets and signals to
    the domain (ABI >= 6): the child can neither reach nor signal the judge.
    """
    fs_all = (1 << 13) - 1  # EXECUTE .. MAKE_SYM
    if abi >= 2:
        fs_all |= _FS_REFER
    if abi >= 3:
        fs_all |= _FS_TRUNCATE
    net = (_NET_BIND_TCP | _NET_CONNECT_TCP) if abi >= 4 else 0
    scoped = (_SCOPE_ABSTRACT_UNIX | _SCOPE_SIGNAL) if abi >= 6 else 0
    attr = struct.pack("<QQQ", fs_all, net, scoped)
    size = 24 if abi >= 6 else 16 if abi >= 4 else 8
    ruleset = _check(_libc.syscall(_LL_CREATE, attr, size, 0), "landlock_create_ruleset")
    ro_dir = _FS_EXECUTE | _FS_READ_FILE | _FS_READ_DIR
    ro_file = _FS_EXECUTE | _FS_READ_FILE
    rw_extra = (
        _FS_WRITE_FILE
        | _FS_REMOVE_DIR
        | _FS_REMOVE_FILE
        | _FS_MAKE_DIR
        | _FS_MAKE_REG
        | _FS_MAKE_SYM
    )
    rw_extra |= fs_all & (_FS_REFER | _FS_TRUNCATE)
    file_rw = _FS_READ_FILE | _FS_WRITE_FILE | (fs_all & _FS_TRUNCATE)
    try:
        rules = [(p, False) for p in read_paths] + [(p, True) for p in write_paths]
        for path, writable in rules:
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except OSError:
                continue  # an absent optional path (e.g. /lib64) is simply not granted
            try:
                is_dir = os.path.isdir(path)
                if path == "/dev/null":
                    access = file_rw
                elif is_dir:
                    access = ro_dir | (rw_extra if writable else 0)
                else:
                    access = ro_file
                rule = struct.pack("<Qi", access, fd)  # landlock_path_beneath_attr is packed
                _check(
                    _libc.syscall(_LL_ADD_RULE, ruleset, _LL_RULE_PATH_BENEATH, rule, 0),
                    f"landlock_add_rule({path})",
                )
            finally:
                os.close(fd)
        _check(_libc.syscall(_LL_RESTRICT, ruleset, 0), "landlock_restrict_self")
    finally:
        os.close(ruleset)


# --------------------------------------------------------------------------------------------
# seccomp-BPF, assembled by hand (libseccomp is not importable from the sandbox interpreter)

_AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
# Denied outright (EPERM): new sockets, processes and programs; tracing other processes;
# mounts and namespaces; kernel keyrings, BPF, perf, io_uring, userfaultfd; modules, reboot;
# SysV shared memory, semaphores, message queues and POSIX mqueues (they outlive the process
# and would hold memory outside its limits, or carry data to the next sample).
# Each line: name, x86_64 number, aarch64 number (None: no such call on that architecture).
# fmt: off
_DENIED: tuple[tuple[str, int | None, int | None], ...] = (
    ("socket", 41, 198), ("fork", 57, None), ("vfork", 58, None),
    ("execve", 59, 221), ("execveat", 322, 281), ("ptrace", 101, 117),
    ("process_vm_readv", 310, 270), ("process_vm_writev", 311, 271),
    ("mount", 165, 40), ("umount2", 166, 39), ("pivot_root", 155, 41), ("chroot", 161, 51),
    ("open_tree", 428, 428), ("move_mount", 429, 429), ("fsopen", 430, 430),
    ("fsconfig", 431, 431), ("fsmount", 432, 432), ("fspick", 433, 433),
    ("mount_setattr", 442, 442), ("unshare", 272, 97), ("setns", 308, 268),
    ("keyctl", 250, 219), ("add_key", 248, 217), ("request_key", 249, 218),
    ("bpf", 321, 280), ("perf_event_open", 298, 241),
    ("io_uring_setup", 425, 425), ("io_uring_enter", 426, 426), ("io_uring_register", 427, 427),
    ("userfaultfd", 323, 282), ("init_module", 175, 105), ("finit_module", 313, 273),
    ("delete_module", 176, 106), ("kexec_load", 246, 104), ("kexec_file_load", 320, 294),
    ("reboot", 169, 142), ("swapon", 167, 224), ("swapoff", 168, 225), ("acct", 163, 89),
    ("pidfd_open", 434, 434), ("pidfd_send_signal", 424, 424), ("pidfd_getfd", 438, 438),
    ("name_to_handle_at", 303, 264), ("open_by_handle_at", 304, 265),
    ("landlock_create_ruleset", 444, 444), ("landlock_add_rule", 445, 445),
    ("landlock_restrict_self", 446, 446),
    ("shmget", 29, 194), ("shmat", 30, 196), ("shmctl", 31, 195), ("shmdt", 67, 197),
    ("semget", 64, 190), ("semop", 65, 193), ("semctl", 66, 191), ("semtimedop", 220, 192),
    ("msgget", 68, 186), ("msgsnd", 69, 189), ("msgrcv", 70, 188), ("msgctl", 71, 187),
    ("mq_open", 240, 180), ("mq_unlink", 241, 181), ("mq_timedsend", 242, 182),
    ("mq_timedreceive", 243, 183), ("mq_notify", 244, 184), ("mq_getsetattr", 245, 185),
)
# fmt: on
_DENY = {
    "x86_64": [x86 for _name, x86, _arm in _DENIED if x86 is not None],
    "aarch64": [arm for _name, _x86, arm in _DENIED if arm is not None],
}
_CLONE = {"x86_64": 56, "aarch64": 220}
_CLONE3 = 435
_X32_BIT = 0x40000000

_BPF_LD_W_ABS = 0x20
_BPF_JEQ_K = 0x15
_BPF_JGE_K = 0x35
_BPF_JSET_K = 0x45
_BPF_RET_K = 0x06
_RET_KILL_PROCESS = 0x80000000
_RET_ERRNO = 0x00050000
_RET_ALLOW = 0x7FFF0000


def seccomp_program() -> bytes | None:
    """Build the filter for this machine's architecture, or None when it is unsupported."""
    arch = platform.machine()
    if arch not in _AUDIT_ARCH:
        return None
    deny = _DENY[arch]
    # Layout: [arch check][nr load][x32 guard][deny list][clone][clone3] then the shared tail
    # [allow][eperm][enosys][clone flags check]. Jumps are relative and at most 255 forward.
    n_head = 4 + (1 if arch == "x86_64" else 0) + len(deny) + 2
    allow, eperm, enosys, clone_chk = n_head, n_head + 1, n_head + 2, n_head + 3
    ins: list[tuple[int, int, int, int]] = []

    def jump_to(target: int) -> int:
        off = target - (len(ins) + 1)
        if not 0 <= off < 256:
            raise ValueError("seccomp program too long for 8-bit jumps")
        return off

    ins.append((_BPF_LD_W_ABS, 0, 0, 4))  # seccomp_data.arch
    ins.append((_BPF_JEQ_K, 1, 0, _AUDIT_ARCH[arch]))
    ins.append((_BPF_RET_K, 0, 0, _RET_KILL_PROCESS))  # a foreign ABI is never legitimate
    ins.append((_BPF_LD_W_ABS, 0, 0, 0))  # seccomp_data.nr
    if arch == "x86_64":
        ins.append((_BPF_JGE_K, jump_to(eperm), 0, _X32_BIT))
    for nr in deny:
        ins.append((_BPF_JEQ_K, jump_to(eperm), 0, nr))
    ins.append((_BPF_JEQ_K, jump_to(clone_chk), 0, _CLONE[arch]))
    ins.append((_BPF_JEQ_K, jump_to(enosys), 0, _CLONE3))  # glibc then falls back to clone
    if len(ins) != allow:
        raise AssertionError("seccomp layout miscounted")
    ins.append((_BPF_RET_K, 0, 0, _RET_ALLOW))
    ins.append((_BPF_RET_K, 0, 0, _RET_ERRNO | _ERRNO_EPERM))
    ins.append((_BPF_RET_K, 0, 0, _RET_ERRNO | _ERRNO_ENOSYS))
    ins.append((_BPF_LD_W_ABS, 0, 0, 16))  # low 32 bits of args[0] (little-endian) = flags
    ins.append((_BPF_JSET_K, 0, 1, CLONE_THREAD))  # a thread: allowed; a process: EPERM
    ins.append((_BPF_RET_K, 0, 0, _RET_ALLOW))
    ins.append((_BPF_RET_K, 0, 0, _RET_ERRNO | _ERRNO_EPERM))
    return b"".join(struct.pack("<HBBI", code, jt, jf, k) for code, jt, jf, k in ins)


def seccomp_install(program: bytes) -> None:
    """Install ``program`` as this thread's seccomp filter (no_new_privs first)."""
    prctl(PR_SET_NO_NEW_PRIVS, 1)
    buf = ctypes.create_string_buffer(program, len(program))
    fprog = struct.pack("HxxxxxxQ", len(program) // 8, ctypes.addressof(buf))
    fbuf = ctypes.create_string_buffer(fprog, len(fprog))
    _check(
        _libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.addressof(fbuf), 0, 0),
        "seccomp",
    )


def probe_layers(program: bytes | None, abi: int, read_paths: list[str]) -> dict[str, Any]:
    """Prove the layers work by applying them in a throwaway child and trying what they block."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the forked child
        code = 0
        try:
            if abi:
                landlock_restrict(abi, read_paths, [])
                try:
                    os.open("/etc/hostname", os.O_RDONLY)
                    code |= 1
                except OSError:
                    pass
            if program is not None:
                seccomp_install(program)
                import socket

                try:
                    socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                    code |= 2
                except OSError:
                    pass
        except BaseException:
            code |= 4
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    return {
        "landlock_ok": bool(abi) and code >= 0 and not code & 5,
        "seccomp_ok": program is not None and code >= 0 and not code & 6,
    }
