"""The sandbox layers one by one, below the scorer: ``Pool`` / ``Worker.spawn`` / ``Child``.

Each probe runs in a real confined child and reports what happened by the type name of an
exception (the only thing the judge takes from a failing load): ``Denied_<ERRNO>`` or
``ALLOWED``. The table covers every syscall the seccomp filter must refuse, the Landlock
filesystem boundary and signals; positive controls show the probes can tell "allowed".

The last tests document holes found while building the corpus; each is
``xfail(strict=True)`` with the reason and turns into a failure once the hole is closed.
"""

from __future__ import annotations

import contextlib
import errno
import os
import platform
import shutil
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import corpus
import pytest

from codejury.errors import SandboxError
from codejury.sandbox import jail
from codejury.sandbox.jail import (
    Child,
    Isolation,
    Outcome,
    Pool,
    SandboxConfig,
    Worker,
    run_payload,
)
from codejury.sandbox.limits import Limits

pytestmark = pytest.mark.timeout(180)

# Our own uid range (see test_adversarial_corpus.py), apart from the corpus run's.
UID_LO = jail.UID_BASE + 48
LIMITS = Limits(min_time_limit=0.5, load_time_limit=5.0, memory_bytes=256 << 20)
X86_64 = platform.machine() == "x86_64"


def _start_pool(config: SandboxConfig, uid_base: int) -> Pool:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(jail, "UID_BASE", uid_base)
        try:
            return Pool(1, config, LIMITS)
        except SandboxError as exc:  # no seccomp: the sandbox refuses to run, as designed
            pytest.skip(f"sandbox unavailable here: {exc}")


@pytest.fixture(scope="module")
def pool() -> Iterator[Pool]:
    p = _start_pool(SandboxConfig(), UID_LO)
    yield p
    p.close()


@pytest.fixture
def worker(pool: Pool) -> Iterator[Worker]:
    w = pool.acquire()
    yield w
    pool.release(w)


@pytest.fixture
def isolation(pool: Pool) -> Isolation:
    assert pool.isolation is not None
    return pool.isolation


def load_once(worker: Worker, code: str, limit: float = 5.0) -> Outcome:
    """Load ``code`` in a fresh child, then end the child; the load's outcome."""
    child = worker.spawn(cpu_seconds=30)
    try:
        return child.load(code, limit)
    finally:
        child.close()


def _skip_without(isolation: Isolation, *layers: str) -> None:
    if not any(corpus.LAYERS[layer](isolation) for layer in layers):
        pytest.skip(f"responsible layer(s) {layers} missing: {isolation.describe()}")


# ---------------------------------------------------------------------------------------------
# One probe per refused operation

PRELUDE = """
import ctypes, errno, os, socket
_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long

def _name(err):
    return "Denied_" + errno.errorcode.get(err, str(err))

def _sys(nr, *args, forklike=False):
    ret = _libc.syscall(nr, *args)
    if forklike and ret == 0:
        os._exit(0)  # we are a child the filter failed to stop: vanish at once
    raise type("ALLOWED" if ret >= 0 else _name(ctypes.get_errno()), (Exception,), {})()

def _try(fn):
    try:
        fn()
    except OSError as exc:
        raise type(_name(exc.errno), (Exception,), {})()
    raise type("ALLOWED", (Exception,), {})()
"""
SIGCHLD = int(signal.SIGCHLD)
CLONE_NEWUSER = 0x10000000


@dataclass(frozen=True)
class Probe:
    """Code run at load time in a child; it raises ``expect`` as its report."""

    code: str
    expect: str
    layers: tuple[str, ...]  # any of these refuses it (the test skips when none is up)
    raw: bool  # uses raw x86_64 syscall numbers


def _seccomp(code: str, expect: str = "Denied_EPERM") -> Probe:
    return Probe(code, expect, ("seccomp",), raw=code.startswith("_sys("))


def _landlock(code: str) -> Probe:
    return Probe(code, "Denied_EACCES", ("landlock",), raw=False)


def _allowed(code: str) -> Probe:
    return Probe(code, "ALLOWED", (), raw=code.startswith("_sys("))


_SOCKET = "_try(lambda: socket.socket(socket.{}))"
PROBES: dict[str, Probe] = {
    # seccomp: no new sockets (socketpair stays), processes or programs
    "socket_inet": _seccomp(_SOCKET.format("AF_INET")),
    "socket_inet6_udp": _seccomp(_SOCKET.format("AF_INET6, socket.SOCK_DGRAM")),
    "socket_unix": _seccomp(_SOCKET.format("AF_UNIX")),
    "socket_netlink": _seccomp(_SOCKET.format("AF_NETLINK, socket.SOCK_RAW")),
    "socket_packet": _seccomp(_SOCKET.format("AF_PACKET, socket.SOCK_RAW")),
    "fork": _seccomp("_sys(57, forklike=True)"),
    "vfork": _seccomp("_sys(58, forklike=True)"),
    "clone_process": _seccomp(f"_sys(56, {SIGCHLD}, 0, 0, 0, 0, forklike=True)"),
    # clone3 answers ENOSYS so that glibc falls back to clone, where the flags are checked
    "clone3": _seccomp(
        "_sys(435, (ctypes.c_uint64 * 11)(0, 0, 0, 0, 17), 88, forklike=True)", "Denied_ENOSYS"
    ),
    "posix_spawn": _seccomp("_try(lambda: os.posix_spawn('/bin/true', ['true'], {}))"),
    "execve": _seccomp("_try(lambda: os.execv('/bin/true', ['true']))"),
    "execveat": _seccomp("_sys(322, -100, b'/bin/true', None, None, 0)"),
    # seccomp: other processes' memory, namespaces, mounts
    "ptrace_traceme": _seccomp("_sys(101, 0, 0, 0, 0)"),
    "process_vm_readv_self": _seccomp("_sys(310, os.getpid(), None, 0, None, 0, 0)"),
    "process_vm_writev_self": _seccomp("_sys(311, os.getpid(), None, 0, None, 0, 0)"),
    "unshare_user": _seccomp(f"_sys(272, {CLONE_NEWUSER})"),
    "setns": _seccomp("_sys(308, -1, 0)"),
    "mount": _seccomp("_sys(165, b'none', b'/tmp', b'tmpfs', 0, None)"),
    "umount2": _seccomp("_sys(166, b'/tmp', 0)"),
    "pivot_root": _seccomp("_sys(155, b'/', b'/')"),
    "chroot": _seccomp("_sys(161, b'/')"),
    "open_tree": _seccomp("_sys(428, -100, b'/', 0)"),
    "fsopen": _seccomp("_sys(430, b'tmpfs', 0)"),
    "mount_setattr": _seccomp("_sys(442, -1, b'', 0, None, 0)"),
    # seccomp: kernel surfaces
    "keyctl": _seccomp("_sys(250, 0, -3, 0)"),
    "add_key": _seccomp("_sys(248, b'user', b'cj_adv', b'x', 1, -2)"),
    "request_key": _seccomp("_sys(249, b'user', b'cj_adv', None, 0)"),
    "bpf": _seccomp("_sys(321, 0, None, 0)"),
    "perf_event_open": _seccomp("_sys(298, None, 0, -1, -1, 0)"),
    "io_uring_setup": _seccomp("_sys(425, 1, None)"),
    "userfaultfd": _seccomp("_sys(323, 0)"),
    "pidfd_open_self": _seccomp("_sys(434, os.getpid(), 0)"),
    "pidfd_send_signal": _seccomp("_sys(424, -1, 0, None, 0)"),
    "pidfd_getfd": _seccomp("_sys(438, -1, 0, 0)"),
    "init_module": _seccomp("_sys(175, None, 0, b'')"),
    "finit_module": _seccomp("_sys(313, -1, b'', 0)"),
    "kexec_load": _seccomp("_sys(246, 0, 0, None, 0)"),
    "reboot": _seccomp("_sys(169, 0, 0, 0, None)"),
    "swapoff": _seccomp("_sys(168, b'/nonexistent')"),
    "acct": _seccomp("_sys(163, None)"),
    "open_by_handle_at": _seccomp("_sys(304, -100, None, 0)"),
    "landlock_create_ruleset": _seccomp("_sys(444, None, 0, 1)"),
    "x32_abi_getpid": _seccomp("_sys(39 | 0x40000000)"),
    # Landlock: read allowlist, nothing writable but the work dir, no /proc, no devices
    "read_etc_hostname": _landlock("_try(lambda: open('/etc/hostname').read())"),
    "read_proc_self_status": _landlock("_try(lambda: open('/proc/self/status').read())"),
    "list_root_dir": _landlock("_try(lambda: os.listdir('/'))"),
    "create_in_usr": _landlock("_try(lambda: open('/usr/cj_adv_pwned', 'x'))"),
    "open_dev_tty": _landlock("_try(lambda: os.open('/dev/tty', os.O_RDWR | os.O_NOCTTY))"),
    "mkfifo_in_work_dir": _landlock(
        "import tempfile\n_try(lambda: os.mkfifo(tempfile.mkdtemp() + '/f'))"
    ),
    # signals: pid 1 of the namespace is root's and outside the child's Landlock domain
    "signal_pid_1": Probe(
        "_try(lambda: os.kill(1, 0))", "Denied_EPERM", ("landlock-scope", "setuid"), False
    ),
    # positive controls: what solutions need keeps working, and the probes can tell
    "ok_getpid": _allowed("_sys(39)"),
    "ok_socketpair": _allowed("_try(lambda: socket.socketpair())"),
    "ok_thread": _allowed("import threading\n_try(lambda: threading.Thread(target=int).start())"),
    "ok_read_stdlib": _allowed("_try(lambda: open(os.__file__).read())"),
    "ok_write_dev_null": _allowed("_try(lambda: open('/dev/null', 'w').write('x'))"),
    "ok_write_work_dir": _allowed(
        "import tempfile\n_try(lambda: tempfile.TemporaryFile().write(b'x'))"
    ),
}


@pytest.mark.parametrize("name", list(PROBES))
def test_probe(name: str, worker: Worker, isolation: Isolation) -> None:
    probe = PROBES[name]
    if probe.raw and not X86_64:
        pytest.skip(f"raw x86_64 syscall numbers; this is {platform.machine()}")
    if probe.layers:
        _skip_without(isolation, *probe.layers)
    outcome = load_once(worker, PRELUDE + probe.code + "\n")
    assert (outcome.kind, outcome.name) == ("exc", probe.expect)


def test_errno_names_are_what_the_probes_expect() -> None:
    # The expectations above name errno constants; make sure this platform spells them so.
    assert {errno.errorcode[e] for e in (errno.EPERM, errno.EACCES, errno.ENOSYS)} == {
        "EPERM",
        "EACCES",
        "ENOSYS",
    }


# ---------------------------------------------------------------------------------------------
# Signals between two children of the same uid: only Landlock's signal scope stands between


def _ns_pid(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("NSpid:"):
                return int(line.split()[-1])  # the pid as seen inside its own namespace
    return pid


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def _parent(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[1])


def _wait_until(predicate: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return bool(predicate())


def _run_one(child: Child, entry: str, args: list[Any]) -> tuple[Outcome, list[Any]]:
    got: list[Any] = []

    def on_item(_i: int, _tag: Any, value: Any, _cpu: float) -> bool:
        got.append(value)
        return True

    return child.run(run_payload(entry, [args]), 1, [2.0], on_item), got


def test_a_sample_cannot_signal_a_sibling_of_its_own_uid(
    worker: Worker, isolation: Isolation
) -> None:
    # Same uid, same pid namespace: only the per-child Landlock domain (signal scope) keeps
    # one sample from killing another that runs beside it.
    _skip_without(isolation, "landlock-scope")
    victim = worker.spawn(cpu_seconds=30)
    try:
        assert victim.load("def f(a):\n    return a + 1\n", 5).kind == "ok"
        target = _ns_pid(victim.pid)
        attack = f"""
import os, signal
hits = []
for sig in (signal.SIGKILL, signal.SIGSTOP, signal.SIGTERM):
    try:
        os.kill({target}, sig)
        hits.append(sig.name)
    except OSError:
        pass
try:
    os.kill(-1, signal.SIGKILL)  # returns 0 even when all refused: judged by the victim below
except OSError:
    pass
raise type("HITS_" + "_".join(hits), (Exception,), {{}})()
"""
        outcome = load_once(worker, attack)
        assert (outcome.kind, outcome.name) == ("exc", "HITS_")
        assert _alive(victim.pid)
        outcome, got = _run_one(victim, "f", [41])
        assert outcome.kind == "ok" and got == [42]
    finally:
        victim.close()


# ---------------------------------------------------------------------------------------------
# Known holes


SHM = """
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
libc.shmat.restype = ctypes.c_void_p
libc.shmat.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_int]
libc.shmdt.argtypes = [ctypes.c_void_p]
libc.shmctl.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_void_p]
KEYS = [0x63A0 + k for k in range(3)]
SIZE = 128 << 20
IPC_CREAT, IPC_RMID = 0o1000, 0
"""
SHM_CREATE = (
    SHM
    + """
made = 0
for key in KEYS:
    sid = libc.shmget(key, SIZE, IPC_CREAT | 0o600)
    if sid < 0:
        break
    addr = libc.shmat(sid, None, 0)
    if addr is None or addr == ctypes.c_void_p(-1).value:
        break
    ctypes.memset(addr, 1, SIZE)  # real pages, then detach: the segment stays
    libc.shmdt(addr)
    made += 1
raise type("MADE_%d" % made, (Exception,), {})()
"""
)
SHM_FIND = (
    SHM
    + 'raise type("FOUND_%d" % sum(libc.shmget(k, 0, 0) >= 0 for k in KEYS), (Exception,), {})()\n'
)
SHM_REMOVE = SHM + "for k in KEYS:\n    libc.shmctl(libc.shmget(k, 0, 0), IPC_RMID, None)\n"


def test_shared_memory_does_not_outlive_its_sample(worker: Worker) -> None:
    made = load_once(worker, SHM_CREATE)
    try:
        assert made.kind == "exc" and made.name.startswith("MADE_"), made
        n = int(made.name.split("_")[1])
        found = load_once(worker, SHM_FIND)
        assert found.kind == "exc", found
        # 3 x 128 MiB segments, each touched while attached, against a 256 MiB RLIMIT_AS.
        assert found.name == "FOUND_0", (
            f"{n} segment(s) of 128 MiB made by one sample under a "
            f"{LIMITS.memory_bytes >> 20} MiB memory limit are still there for the next "
            f"sample ({found.name})"
        )
    finally:
        load_once(worker, SHM_REMOVE)  # a sandbox uid may remove its own segments


FRAME_MIB = 16
FLOOD = f"""
import os, socket, stat, struct
def f(x):
    fd = next(fd for fd in range(3, 64) if _is_socket(fd))
    s = socket.socket(fileno=os.dup(fd))  # no socket(2) call: wraps the existing channel
    head, unit, tail = b'["res",[[0,"r",[', b'[],', b'0],0.0]]]'
    n = ({FRAME_MIB} << 20) // len(unit)
    s.sendall(struct.pack(">I", len(head) + n * len(unit) + len(tail)) + head)
    chunk = unit * (1 << 16)
    for _ in range(n >> 16):
        s.sendall(chunk)
    s.sendall(unit * (n & 0xFFFF) + tail)
    return 0
def _is_socket(fd):
    try:
        return stat.S_ISSOCK(os.fstat(fd).st_mode)
    except OSError:
        return False
"""


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise LookupError(field)


def test_a_result_frame_costs_the_judge_little_memory(worker: Worker) -> None:
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")  # reset this process's peak RSS (VmHWM) to its current RSS
    except OSError as exc:
        pytest.skip(f"cannot reset the peak RSS of the judge: {exc}")
    before = _status_kib("VmRSS")
    child = worker.spawn(cpu_seconds=30)
    try:
        assert child.load(FLOOD, 5).kind == "ok"
        outcome, _got = _run_one(child, "f", [1])
    finally:
        child.close()
    growth_mib = (_status_kib("VmHWM") - before) / 1024
    # The frame streams from the child in small chunks (it costs the child almost nothing);
    # what the judge may spend on it should be a small multiple of its size.
    assert growth_mib <= 8 * FRAME_MIB, (
        f"a {FRAME_MIB} MiB frame ({outcome.kind}) grew the judge's peak RSS by "
        f"{growth_mib:.0f} MiB; at the 1 GiB frame cap that is ~{growth_mib / FRAME_MIB:.0f} GiB"
    )


@pytest.mark.parametrize(
    "namespaces",
    [
        pytest.param(True, id="with-pid-namespace"),
        pytest.param(
            False,
            id="without-namespaces",
        ),
    ],
)
def test_a_sample_dies_with_its_zygote(namespaces: bool) -> None:
    # If the judge dies (killed, OOM), its zygotes die (PDEATHSIG); their samples must too.
    uid = UID_LO + 2
    p = _start_pool(SandboxConfig(namespaces=namespaces), uid)
    try:
        if not namespaces and p.isolation is not None and p.isolation.namespaces:
            pytest.skip("namespaces were requested off but the probe reports some")
        w = p.acquire()
        child = w.spawn(cpu_seconds=60)
        assert child.load("import time\n", 5).kind == "ok"
        zygote = _parent(child.pid)
        os.kill(zygote, signal.SIGKILL)
        died = _wait_until(lambda: not _alive(child.pid), 3.0)
        if not died:
            os.kill(child.pid, signal.SIGKILL)  # clean up what the sandbox left behind
        with contextlib.suppress(OSError, SandboxError):
            child.close()  # the zygote that would reap it is gone
        assert died, f"sample {child.pid} outlived its zygote {zygote}"
    finally:
        p.close()
        # Without a mount namespace the killed zygote leaves its sample's work dir in the
        # host's /tmp (see the next test); remove it so no later run trips over it.
        _remove_work_dirs(uid)


def _remove_work_dirs(uid: int) -> None:
    for path in Path("/tmp").glob(f"codejury-{uid}-*"):
        shutil.rmtree(path, ignore_errors=True)


def test_a_stale_work_dir_does_not_break_a_worker() -> None:
    uid = UID_LO + 3
    if not os.access("/tmp", os.W_OK):
        pytest.skip("/tmp is not writable here")
    stale = Path(f"/tmp/codejury-{uid}-1")
    stale.mkdir(exist_ok=True)  # what a judge killed mid-sample leaves behind
    try:
        p = _start_pool(SandboxConfig(namespaces=False), uid)
        try:
            if p.isolation is not None and p.isolation.namespaces:
                pytest.skip("namespaces were requested off but the probe reports some")
            w = p.acquire()
            assert load_once(w, "x = 1\n").kind == "ok"
        finally:
            p.close()
    finally:
        _remove_work_dirs(uid)
