"""The sandbox's untrusted side: a zygote that forks one confined child per sample.

Run as ``/usr/bin/python3 -I -S worker.py CTRL_FD POLICY_JSON`` by :mod:`codejury.sandbox.jail`.
Stdlib-only. The zygote is exec'd fresh (never forked from codejury, so it inherits no heap,
secrets or environment) and never holds sample code, tests or expected outputs: it only forks.

Zygote protocol (SOCK_SEQPACKET, one JSON list per message):
    parent -> ["spawn", {"writable": bool, "limits": {...}}] with fds [sample_socket, page]
    zygote -> ["spawned", pid]
    parent -> ["reap", pid]          (the zygote SIGKILLs the child, then waits for it)
    zygote -> ["reaped", pid, {"signal": n|None, "exit": n|None, "cpu": s, "maxrss_kb": n}]

Child protocol (SOCK_STREAM, length-prefixed frames, values in the wire tag scheme):
    ["load", code]                -> ["loaded"] | ["exc", TypeName]
    ["run", entry, [args, ...], {"digest_min": bytes, "both": bool}]
        -> ["res", [[i, "r", value, cpu] | [i, "e", TypeName, cpu] | [i, "h", digest, cpu]
                    | [i, "hv", [digest, value|None, floats, nan], cpu]]]...
        then ["done", n]   (or ["noentry"])
The child writes the index of the input it is running into a shared page before each call,
so the judge knows which input hung without a message per input.
"""

from __future__ import annotations

import builtins
import io
import json
import mmap
import os
import resource
import shutil
import signal
import socket
import struct
import sys
import tempfile
import time
from typing import Any

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, _HERE)
import confine  # type: ignore[import-not-found]  # noqa: E402
import wire  # type: ignore[import-not-found]  # noqa: E402

sys.path.remove(_HERE)

# Modules solutions commonly use, imported once here so a forked child does not pay for them.
for _name in (
    "math", "re", "collections", "itertools", "functools", "heapq", "bisect", "string",
    "typing", "random", "statistics", "fractions", "decimal", "hashlib", "datetime", "copy",
    "operator", "array", "cmath", "base64", "textwrap", "unicodedata", "numbers", "enum",
    "dataclasses", "tempfile", "queue", "threading", "sys", "os", "time",
):  # fmt: skip
    try:
        __import__(_name)
    except ImportError:  # pragma: no cover - a trimmed stdlib
        pass

_PAGE = struct.Struct("<q")
_ENCODING = 1 << 40  # set in the page index while the child encodes input i's output


class _Sink(io.TextIOBase):
    """Write-only stdout/stderr replacement: counts what a sample prints and keeps none of it."""

    def __init__(self) -> None:
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, s: str) -> int:
        self.size += len(s)
        return len(s)


# --------------------------------------------------------------------------------------------
# Child side


def _send(sock: socket.socket, message: Any) -> None:
    sock.sendall(wire.frame(wire.dumps(message)))


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError
        buf += chunk
    return bytes(buf)


def _recv(sock: socket.socket) -> Any:
    n = wire.frame_length(_recv_exact(sock, wire.HEADER_SIZE))
    return wire.loads(_recv_exact(sock, n))


def _confine_child(sock_fd: int, page_fd: int, policy: dict[str, Any], job: dict[str, Any]) -> None:
    limits = job["limits"]
    confine.prctl(confine.PR_SET_PDEATHSIG, signal.SIGKILL)
    # As seen from here (0 inside the sandbox pid namespace, whose parent is outside it).
    parent = os.getppid()
    os.setsid()
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD, signal.SIGALRM):
        signal.signal(sig, signal.SIG_DFL)
    null = os.open("/dev/null", os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    keep = sorted({sock_fd, page_fd})
    os.closerange(3, keep[0])
    if len(keep) == 2:
        os.closerange(keep[0] + 1, keep[1])
    os.closerange(keep[-1] + 1, 1 << 20)
    workdir = job.get("workdir")
    os.chdir(workdir or "/")
    os.environ.clear()
    os.environ.update({"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"})
    if workdir:
        os.environ["TMPDIR"] = workdir
        import tempfile

        tempfile.tempdir = workdir
    as_bytes = int(limits["memory_bytes"])
    for res, value in (
        (resource.RLIMIT_AS, as_bytes),
        (resource.RLIMIT_CPU, int(limits["cpu_seconds"])),
        (resource.RLIMIT_FSIZE, int(limits["file_bytes"])),
        (resource.RLIMIT_NOFILE, int(limits["open_files"])),
        (resource.RLIMIT_CORE, 0),
        (resource.RLIMIT_NPROC, int(limits["processes"])),
        (resource.RLIMIT_STACK, as_bytes // 4),
    ):
        _soft, hard = resource.getrlimit(res)
        capped = value if hard == resource.RLIM_INFINITY else min(value, hard)
        if res == resource.RLIMIT_CPU:
            # SIGXCPU at the soft limit, SIGKILL one second later: a hard backstop only; the
            # judge enforces the per-input limits itself.
            resource.setrlimit(
                res, (capped, capped + 1 if hard == resource.RLIM_INFINITY else hard)
            )
        else:
            resource.setrlimit(res, (capped, capped))
    if policy["landlock_abi"]:
        confine.landlock_restrict(
            policy["landlock_abi"], policy["read_paths"], [workdir] if workdir else []
        )
    if policy["setuid"]:
        uid = int(policy["uid"])
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
        # Changing credentials clears the parent-death signal: set it again, and make sure
        # the zygote did not die in between (we would have missed the signal).
        confine.prctl(confine.PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:
            os._exit(71)
    if _SECCOMP is not None:
        confine.seccomp_install(_SECCOMP)


def _child_main(sock: socket.socket, page: mmap.mmap) -> None:
    sink = _Sink()
    sys.stdout = sys.stderr = sink
    sys.stdin = io.StringIO()
    namespace: dict[str, Any] = {}
    to_plain = wire.to_plain
    process_time = time.process_time
    monotonic = time.monotonic
    pack_into = _PAGE.pack_into
    while True:
        message = _recv(sock)
        op = message[0]
        if op == "load":
            namespace = {"__name__": "__sample__", "__builtins__": builtins}
            try:
                exec(compile(message[1], "<sample>", "exec", dont_inherit=True), namespace)
            except BaseException as exc:  # the sample's own failure, reported by type only
                _send(sock, ["exc", type(exc).__name__])
            else:
                _send(sock, ["loaded"])
        elif op == "run":
            fn = namespace.get(message[1])
            if not callable(fn):
                _send(sock, ["noentry"])
                continue
            opts = message[3] if len(message) > 3 else {}
            digest_min = int(opts.get("digest_min", 0))
            both = bool(opts.get("both"))
            pending: list[Any] = []
            started = monotonic()
            for i, args in enumerate(message[2]):
                pack_into(page, 0, i)
                t0 = process_time()
                try:
                    out = fn(*args)
                except BaseException as exc:
                    item = [i, "e", type(exc).__name__, process_time() - t0]
                else:
                    cpu = process_time() - t0
                    pack_into(page, 0, i | _ENCODING)  # our encoding time is not the sample's
                    try:
                        item = _result_item(i, out, cpu, digest_min, both, to_plain)
                    except BaseException as exc:  # e.g. a RecursionError inside a huge value
                        item = [i, "e", "Unencodable" + type(exc).__name__, cpu]
                pending.append(item)
                # Flush in chunks: one message per input would cost more than most inputs.
                if len(pending) >= 256 or monotonic() - started > 0.005:
                    _send(sock, ["res", pending])
                    pending = []
                    started = monotonic()
            if pending:
                _send(sock, ["res", pending])
            _send(sock, ["done", len(message[2])])
        elif op == "exit":
            os._exit(0)
        else:
            os._exit(3)


_BOTH_MAX = 64 << 20  # reference outputs larger than this are kept as digests only


def _is_floats(v: Any) -> bool:
    if type(v) is float:
        return True
    if type(v) in (list, tuple) and v:
        return all(type(x) is float for x in v)
    return False


def _has_nan(v: Any) -> bool:
    t = type(v)
    if t is float:
        return bool(v != v)
    if t is complex:
        return bool(v.real != v.real or v.imag != v.imag)
    if t in (list, tuple, set, frozenset):
        return any(map(_has_nan, v))
    if t is dict:
        return any(map(_has_nan, v)) or any(map(_has_nan, v.values()))
    return False  # not a container of floats


def _result_item(
    i: int, out: Any, cpu: float, digest_min: int, both: bool, to_plain: Any
) -> list[Any]:
    # Large outputs travel as a digest of their exact encoding ("h"); the judge compares it
    # with the reference's. Reference runs (``both``) also send the value when it is not too
    # large, and the facts the judge needs without it: is it floats, does it hold a NaN.
    if digest_min:
        got = wire.digest(out)
        if got is not None and got[1] >= digest_min:
            if both:
                value = to_plain(out) if got[1] <= _BOTH_MAX else None
                return [i, "hv", [got[0], value, _is_floats(out), _has_nan(out)], cpu]
            return [i, "h", got[0], cpu]
    return [i, "r", to_plain(out), cpu]


def _run_child(sock_fd: int, page_fd: int, policy: dict[str, Any], job: dict[str, Any]) -> None:
    try:
        _confine_child(sock_fd, page_fd, policy, job)
        sock = socket.socket(fileno=sock_fd)
        page = mmap.mmap(page_fd, mmap.PAGESIZE)
    except BaseException:
        os._exit(70)  # confinement failed: never run anything unconfined
    try:
        _child_main(sock, page)
    except BaseException:
        pass
    os._exit(0)


# --------------------------------------------------------------------------------------------
# Zygote side

_SECCOMP: bytes | None = None


def _zygote(ctrl: socket.socket, policy: dict[str, Any]) -> None:
    work_root = tempfile.mkdtemp(prefix=f"codejury-{policy['uid']}-")
    os.chmod(work_root, 0o711)  # the slot uid may enter it, not list it
    try:
        _serve(ctrl, policy, work_root)
    finally:
        shutil.rmtree(work_root, ignore_errors=True)


def _serve(ctrl: socket.socket, policy: dict[str, Any], work_root: str) -> None:
    workdirs: dict[int, str] = {}
    while True:
        try:
            data, fds, _flags, _addr = socket.recv_fds(ctrl, 1 << 16, 4)
        except InterruptedError:
            continue
        if not data:
            return  # the judge went away
        message = json.loads(data)
        op = message[0]
        if op == "spawn":
            job = message[1]
            if len(fds) != 2:
                for fd in fds:
                    os.close(fd)
                ctrl.send(json.dumps(["error", "spawn needs two fds"]).encode())
                continue
            workdir = None
            if job.get("writable"):
                # Unpredictable names under this zygote's own directory: a stale or planted
                # path can neither collide with nor redirect a sample's work dir.
                workdir = tempfile.mkdtemp(prefix="s", dir=work_root)
                if policy["setuid"]:
                    os.chown(workdir, int(policy["uid"]), int(policy["uid"]))
            job["workdir"] = workdir
            pid = os.fork()
            if pid == 0:
                ctrl.close()
                _run_child(fds[0], fds[1], policy, job)
            for fd in fds:
                os.close(fd)
            if workdir:
                workdirs[pid] = workdir
            ctrl.send(json.dumps(["spawned", pid]).encode())
        elif op == "reap":
            pid = int(message[1])
            grace = len(message) > 2 and message[2] is True
            try:
                done, status, usage = os.wait4(pid, os.WNOHANG)
                deadline = time.monotonic() + 0.2
                while grace and done == 0 and time.monotonic() < deadline:
                    time.sleep(0.002)  # a closed channel usually means it is dying already
                    done, status, usage = os.wait4(pid, os.WNOHANG)
                killed = done == 0  # still running: the judge ends it
                if killed:
                    os.kill(pid, signal.SIGKILL)
                    _, status, usage = os.wait4(pid, 0)
            except ChildProcessError:
                ctrl.send(json.dumps(["reaped", pid, {"unknown": True}]).encode())
                continue
            info: dict[str, Any] = {
                "killed_by_judge": killed,
                "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
                "exit": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
                "cpu": usage.ru_utime + usage.ru_stime,
                "maxrss_kb": usage.ru_maxrss,
            }
            wd = workdirs.pop(pid, None)
            if wd:
                shutil.rmtree(wd, ignore_errors=True)  # symlink-safe; never follows links
            ctrl.send(json.dumps(["reaped", pid, info]).encode())
        elif op == "exit":
            return


def _init_loop() -> None:  # pragma: no cover - pid 1 of the sandbox pid namespace
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN)
    while True:
        try:
            os.wait()
        except ChildProcessError:
            time.sleep(3600)
        except InterruptedError:
            pass


def main() -> None:
    """Entry point of the zygote process."""
    global _SECCOMP
    ctrl = socket.socket(fileno=int(sys.argv[1]))
    policy = json.loads(sys.argv[2])
    confine.prctl(confine.PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != policy["parent_pid"]:
        os._exit(1)  # the judge died before we set PDEATHSIG
    namespaces: list[str] = []
    if policy["namespaces"] and os.geteuid() == 0:
        namespaces = confine.enter_namespaces(int(policy["tmp_bytes"]))
        # The first child becomes pid 1 of the new namespace; when the zygote dies it dies
        # too (PDEATHSIG) and the kernel kills every process left in the namespace.
        if "pid" in namespaces and os.fork() == 0:
            confine.prctl(confine.PR_SET_PDEATHSIG, signal.SIGKILL)
            ctrl.close()
            _init_loop()
    abi = confine.landlock_abi() if policy["landlock"] else 0
    program = confine.seccomp_program() if policy["seccomp"] else None
    probe = confine.probe_layers(program, abi, policy["read_paths"])
    if not probe["landlock_ok"]:
        abi = 0
    if probe["seccomp_ok"]:
        _SECCOMP = program
    policy["landlock_abi"] = abi
    policy["setuid"] = bool(policy["setuid"]) and os.geteuid() == 0
    report = {
        "namespaces": namespaces,
        "landlock_abi": abi,
        "seccomp": _SECCOMP is not None,
        "setuid": policy["setuid"],
        "python": sys.version.split()[0],
        "executable": sys.executable,
    }
    ctrl.send(json.dumps(["ready", report]).encode())
    _zygote(ctrl, policy)


if __name__ == "__main__":
    main()
