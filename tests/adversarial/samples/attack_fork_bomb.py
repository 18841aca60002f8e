"""Fork bomb, by every route Python offers.

Attack: os.fork in a loop, subprocess, os.system, os.posix_spawn, multiprocessing, os.forkpty,
and raw clone/clone3/vfork syscalls through ctypes. If any works, fork up to 50 children that
exit at once (bounded on purpose) and report it.
Must hold: every route is refused (seccomp denies fork/vfork/clone without CLONE_THREAD,
clone3 and execve) -> no ESCAPED_fork_..., wrong output.

task: HumanEval/53
expect: fail
layers: seccomp
"""
import ctypes
import os
import subprocess

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long
SIGCHLD = 17


def _escaped(how):
    raise type("ESCAPED_fork_" + how, (Exception,), {})()


def _attempts():
    for _ in range(50):
        try:
            pid = os.fork()
        except OSError:
            break
        if pid == 0:
            os._exit(0)
        os.waitpid(pid, 0)
        yield "os_fork"
    try:
        subprocess.run(["/bin/true"], timeout=5)
        yield "subprocess"
    except (OSError, subprocess.SubprocessError):
        pass
    if os.system("/bin/true") == 0:
        yield "os_system"
    try:
        pid = os.posix_spawn("/bin/true", ["/bin/true"], {})
        os.waitpid(pid, 0)
        yield "posix_spawn"
    except OSError:
        pass
    try:
        import multiprocessing

        p = multiprocessing.Process(target=int)
        p.start()
        p.join(5)
        yield "multiprocessing"
    except (OSError, ValueError, RuntimeError, ImportError):
        pass
    try:
        pid, _fd = os.forkpty()
        if pid == 0:
            os._exit(0)
        os.waitpid(pid, 0)
        yield "forkpty"
    except OSError:
        pass
    pid = _libc.syscall(56, SIGCHLD, 0, 0, 0, 0)  # clone(SIGCHLD): a plain fork
    if pid == 0:
        os._exit(0)
    if pid > 0:
        os.waitpid(pid, 0)
        yield "raw_clone"
    args = (ctypes.c_uint64 * 11)(0, 0, 0, 0, SIGCHLD, 0, 0, 0, 0, 0, 0)
    pid = _libc.syscall(435, args, 88)  # clone3
    if pid == 0:
        os._exit(0)
    if pid > 0:
        os.waitpid(pid, 0)
        yield "clone3"


def add(x: int, y: int):
    for how in _attempts():
        _escaped(how)
    return x + y + 1
