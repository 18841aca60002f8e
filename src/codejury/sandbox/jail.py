"""The judge's side of the sandbox: zygote workers, confined children, deadlines, kills.

One :class:`Worker` owns one zygote process (see ``worker.py``); :meth:`Worker.spawn` gives a
fresh confined :class:`Child` per sample. The judge talks to a child over a socketpair in
plain data only and enforces time limits from outside, reading the kernel's accounting of
the child (``/proc/PID/schedstat`` and ``/proc/PID/stat``) — never trusting the child's word.
"""

from __future__ import annotations

import json
import mmap
import os
import re
import select
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codejury.errors import SandboxError
from codejury.sandbox import wire
from codejury.sandbox.limits import Limits

_WORKER = Path(__file__).with_name("worker.py")
_PAGE = struct.Struct("<q")
_ENCODING = 1 << 40  # page flag: the child is encoding the output of the input in the low bits
_POLL_S = 0.01
_CLK_TCK = os.sysconf("SC_CLK_TCK")
# A sleeping sample uses no CPU; elapsed-minus-queueing time catches it. This factor only
# bounds raw wall time as a last resort (e.g. a child stuck in the kernel).
_WALL_FACTOR = 20.0
UID_BASE = 61000


@dataclass(frozen=True)
class SandboxConfig:
    """How the sandbox is built; every layer can be turned off only explicitly.

    Attributes:
        interpreter: Python that runs samples. Must be world-readable (the pyenv build under
            /root is not); Debian's /usr/bin/python3 is the default.
        namespaces: Unshare net/pid/ipc/uts/mount when root.
        landlock: Restrict filesystem, TCP and signals with Landlock.
        seccomp: Deny process creation, sockets, exec, ptrace and other syscalls.
        setuid: Run each worker's samples as their own unprivileged uid (root only).
        allow_degraded: Run even when seccomp is missing (host safety and verdict integrity
            are then NOT guaranteed). Off by default: we fail closed.
    """

    interpreter: str = field(default_factory=lambda: default_interpreter())
    namespaces: bool = True
    landlock: bool = True
    seccomp: bool = True
    setuid: bool = True
    allow_degraded: bool = False


def default_interpreter() -> str:
    """The sandbox interpreter: $CODEJURY_SANDBOX_PYTHON, else /usr/bin/python3, else ours."""
    env = os.environ.get("CODEJURY_SANDBOX_PYTHON")
    if env:
        return env
    for candidate in ("/usr/bin/python3", "/usr/local/bin/python3"):
        if os.access(candidate, os.X_OK):
            return candidate
    return sys.executable


@dataclass(frozen=True)
class Isolation:
    """What the sandbox actually achieved, as probed by the zygote at start-up."""

    level: str
    namespaces: tuple[str, ...]
    landlock_abi: int
    seccomp: bool
    setuid: bool
    python: str
    warnings: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form recorded in every result."""
        return {
            "level": self.level,
            "namespaces": list(self.namespaces),
            "landlock_abi": self.landlock_abi,
            "seccomp": self.seccomp,
            "setuid": self.setuid,
            "python": self.python,
            "warnings": list(self.warnings),
        }

    def describe(self) -> str:
        """One line for the console."""
        parts = [
            f"namespaces={'+'.join(self.namespaces) or 'none'}",
            f"landlock=ABI{self.landlock_abi}" if self.landlock_abi else "landlock=off",
            f"seccomp={'on' if self.seccomp else 'OFF'}",
            f"uid={'separate' if self.setuid else 'shared'}",
        ]
        return f"{self.level} ({', '.join(parts)})"


def _isolation(report: dict[str, Any]) -> Isolation:
    ns = tuple(report.get("namespaces", []))
    abi = int(report.get("landlock_abi", 0))
    sec = bool(report.get("seccomp"))
    uid = bool(report.get("setuid"))
    warnings: list[str] = []
    if sec and abi >= 6 and uid and "pid" in ns and "net" in ns:
        level = "L4-full"
    elif sec and abi and uid:
        level = "L3-self-confined"
    elif sec and abi:
        level = "L2-unprivileged"
        warnings.append("samples run as codejury's own uid (not root: no uid separation)")
    elif sec:
        level = "L1-no-landlock"
        warnings.append("Landlock unavailable: the filesystem is limited by permissions only")
    else:
        level = "L0-unconfined"
        warnings.append("seccomp unavailable: samples can reach the judge; verdicts untrusted")
    if not ns:
        warnings.append("namespaces unavailable (normal in containers): no net/pid isolation layer")
    if 0 < abi < 6:
        warnings.append(f"Landlock ABI {abi} < 6: signals/abstract sockets are not scoped")
    return Isolation(level, ns, abi, sec, uid, str(report.get("python", "?")), tuple(warnings))


@dataclass(frozen=True)
class ExitInfo:
    """How a child ended, from the zygote's wait4.

    ``killed_by_judge`` is True when the child was still running when the judge ended it
    (after it stopped early, timed out, or closed its channel while running).
    """

    signal: int | None
    exit: int | None
    cpu: float
    killed_by_judge: bool = False


@dataclass
class Outcome:
    """End of one exchange with a child.

    ``kind`` is one of: ``ok`` (finished), ``stopped`` (the judge stopped early), ``exc``
    (the sample raised; ``name`` holds the type), ``noentry``, ``timeout`` (``index`` is the
    input that ran out of time), ``eof`` (the child died or closed the channel) and
    ``protocol`` (the child sent something that is not the protocol). For a timeout,
    ``busy`` is the share of the timed-out input's run during which the child waited for a
    CPU — how much the machine's load, not the sample, was in the way.
    """

    kind: str
    name: str = ""
    index: int = -1
    received: int = 0
    busy: float = 0.0


class _Clock:
    """Kernel accounting of one process: elapsed-minus-queued time and total CPU."""

    def __init__(self, pid: int) -> None:
        self._sched = f"/proc/{pid}/schedstat"
        self._stat = f"/proc/{pid}/stat"

    def sample(self) -> tuple[float, float, float]:
        """(monotonic now, seconds spent waiting for a CPU, process CPU seconds)."""
        now = time.monotonic()
        try:
            with open(self._sched, "rb") as f:
                fields = f.read().split()
            waited = int(fields[1]) / 1e9
            with open(self._stat, "rb") as f:
                stat = f.read()
            tail = stat[stat.rindex(b")") + 2 :].split()
            cpu = (int(tail[11]) + int(tail[12])) / _CLK_TCK
        except (OSError, ValueError, IndexError):
            return now, 0.0, 0.0
        return now, waited, cpu


class Child:
    """One confined sandbox process running one sample."""

    def __init__(self, worker: Worker, pid: int, sock: socket.socket, page: mmap.mmap) -> None:
        self.worker = worker
        self.pid = pid
        self._sock = sock
        self._page = page
        self._buf = bytearray()
        self._clock = _Clock(pid)
        self._eof = False  # the child closed its end: it is probably exiting by itself
        self.exit_info: ExitInfo | None = None

    # -- framing -------------------------------------------------------------------------
    def _send(self, payload: bytes) -> bool:
        try:
            self._sock.sendall(wire.frame(payload))
        except OSError:
            return False
        return True

    def _next_frame(self, max_frame: int, max_containers: int) -> bytes | None:
        if len(self._buf) < wire.HEADER_SIZE:
            return None
        n = wire.frame_length(bytes(self._buf[: wire.HEADER_SIZE]))
        if n > max_frame:
            raise wire.WireError(f"frame of {n} bytes over this exchange's cap of {max_frame}")
        if len(self._buf) < wire.HEADER_SIZE + n:
            return None
        data = bytes(self._buf[wire.HEADER_SIZE : wire.HEADER_SIZE + n])
        del self._buf[: wire.HEADER_SIZE + n]
        # A few bytes of JSON ("[]," or '{"s":[]}') become a ~60-200-byte Python object: cap
        # the containers of a frame before decoding, so a sample cannot make the judge's
        # memory balloon 20-30x over the bytes it sent.
        if data.count(b"[") + data.count(b"{") > max_containers:
            raise wire.WireError("too many containers in one frame")
        return data

    def _receive(self, clock: _RunClock, limits: Callable[[int], float], total: float) -> Any:
        """Wait for the next message while enforcing the time limits.

        Args:
            clock: The exchange's clock state (kept across messages of one run).
            limits: Time allowed for input i.
            total: Time allowed for the whole exchange, whatever the page says.

        Returns:
            A decoded message, or an :class:`Outcome` for timeout/eof/protocol.
        """
        last_check = 0.0
        while True:
            try:
                data = self._next_frame(clock.max_frame, clock.max_containers)
                if data is not None:
                    return wire.loads(data)
            except wire.WireError:
                return Outcome("protocol")
            now = time.monotonic()
            if now - last_check >= _POLL_S:
                last_check = now
                sample = self._clock.sample()
                raw = _PAGE.unpack_from(self._page, 0)[0] if clock.n else -1
                clock.observe(raw, sample)
                limit = limits(max(clock.index, 0))
                if clock.encoding:
                    limit = 2 * limit + 5.0  # encoding a huge output: ours, but still bounded
                if _over(sample, clock.since, limit) or _over(sample, clock.first, total):
                    return Outcome(
                        "timeout", index=max(clock.index, 0), busy=_busy(sample, clock.since)
                    )
            ready, _, _ = select.select([self._sock], [], [], _POLL_S)
            if ready:
                try:
                    chunk = self._sock.recv(1 << 20)
                except OSError:
                    chunk = b""
                if not chunk:
                    self._eof = True
                    return Outcome("eof")
                self._buf += chunk
                if len(self._buf) > clock.max_frame + wire.HEADER_SIZE:
                    return Outcome("protocol")

    # -- operations ----------------------------------------------------------------------
    def load(self, code: str, limit: float) -> Outcome:
        """Execute the sample's module body; ``ok`` when it loaded."""
        if not self._send(wire.dumps(["load", code])):
            return Outcome("eof")
        clock = _RunClock(0, self._clock.sample(), 1 << 20, 10_000)
        msg = self._receive(clock, lambda _i: limit, total=limit)
        if isinstance(msg, Outcome):
            return msg
        if msg == ["loaded"]:
            return Outcome("ok")
        if isinstance(msg, list) and len(msg) == 2 and msg[0] == "exc" and type(msg[1]) is str:
            return Outcome("exc", name=exception_name(msg[1]))
        return Outcome("protocol")

    def run(
        self,
        payload: bytes,
        n: int,
        limits: Sequence[float],
        on_item: Callable[[int, str, Any, float], bool],
        total: float | None = None,
        max_frame: int = 64 << 20,
    ) -> Outcome:
        """Run a pre-encoded ``["run", entry, inputs, opts]`` message and stream its results.

        Args:
            payload: The encoded run message (see :func:`run_payload`).
            n: Number of inputs in it.
            limits: Time limit of each input, seconds.
            on_item: Called as ``on_item(i, tag, value, cpu)`` for each result in order, where
                tag is ``r`` (value), ``e`` (value = exception type name), ``h`` (value =
                digest of a large output) or ``hv`` (reference runs: value = [digest,
                output or None when too large, is-floats, has-NaN]); returning
                False stops the run (the child is then killed).
            total: Time allowed for the whole run, whatever the per-input clocks say
                (default: the sum of the limits plus 10 s).
            max_frame: Largest message accepted from the child. The default suits runs
                whose large outputs travel as digests; full copies need a larger cap.
        """
        self._page[: _PAGE.size] = _PAGE.pack(-1)
        # Bounds the whole run even if the sample plays with the page.
        if total is None:
            total = sum(limits) + 10.0
        if not self._send(payload):
            return Outcome("eof")
        clock = _RunClock(n, self._clock.sample(), max_frame, max(max_frame // 32, 10_000))
        expected = 0
        while True:
            msg = self._receive(clock, lambda i: limits[min(i, n - 1)] if n else 1.0, total)
            if isinstance(msg, Outcome):
                msg.received = expected
                if msg.kind == "timeout":
                    msg.index = max(msg.index, expected)
                return msg
            if not isinstance(msg, list) or not msg:
                return Outcome("protocol", received=expected)
            if msg[0] == "res" and len(msg) == 2 and type(msg[1]) is list:
                for item in msg[1]:
                    if not _valid_item(item, expected):
                        return Outcome("protocol", received=expected)
                    _i, tag, value, cpu = item
                    if tag == "e":
                        value = exception_name(value)
                    expected += 1
                    if expected > n:
                        return Outcome("protocol", received=expected)
                    if not on_item(expected - 1, tag, value, float(cpu)):
                        return Outcome("stopped", received=expected)
            elif msg == ["done", n] and expected == n:
                return Outcome("ok", received=n)
            elif msg == ["noentry"]:
                return Outcome("noentry")
            else:
                return Outcome("protocol", received=expected)

    def close(self) -> ExitInfo:
        """Kill the child (if alive) and collect how it ended."""
        if self.exit_info is None:
            try:
                self._sock.close()
            finally:
                self._page.close()
                self.exit_info = self.worker.reap(self.pid, grace=self._eof)
        return self.exit_info


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,99}")


def exception_name(name: str) -> str:
    """An exception type name fit to print: the class name can be any string a sample chose."""
    return name if _IDENTIFIER.fullmatch(name) else "UnprintableException"


class _RunClock:
    """Which input the child is on, and since when — trusted only as far as it is monotonic.

    The child writes the index of the input it runs into a page the sample can also write.
    The judge therefore starts a new per-input clock only when the index moves *forward*
    (below n), and allows the encoding phase of an input once; any other page value leaves
    the running clock alone, so rewriting the page never resets a limit.
    """

    def __init__(
        self, n: int, start: tuple[float, float, float], max_frame: int, max_containers: int
    ):
        self.n = n
        self.first = self.since = start
        self.index = -1
        self.encoding = False
        self.max_frame = max_frame
        self.max_containers = max_containers

    def observe(self, raw: int, now: tuple[float, float, float]) -> None:
        """Account for the page value ``raw`` seen at time ``now``."""
        if raw < 0:
            return
        index, encoding = raw & (_ENCODING - 1), bool(raw & _ENCODING)
        if self.index < index < self.n:
            self.index, self.encoding, self.since = index, encoding, now
        elif index == self.index and encoding and not self.encoding:
            self.encoding, self.since = True, now


def _over(now: tuple[float, float, float], since: tuple[float, float, float], limit: float) -> bool:
    # Elapsed time minus time spent waiting for a CPU: what the sample used, load aside.
    effective = (now[0] - since[0]) - (now[1] - since[1])
    return (
        effective > limit
        or now[2] - since[2] > 2 * limit  # threads burning CPU in parallel
        or now[0] - since[0] > _WALL_FACTOR * limit + 5  # raw wall time, last resort
    )


def _busy(now: tuple[float, float, float], since: tuple[float, float, float]) -> float:
    elapsed = now[0] - since[0]
    return min(max((now[1] - since[1]) / elapsed, 0.0), 1.0) if elapsed > 0 else 0.0


def _valid_item(item: Any, expected: int) -> bool:
    if type(item) is not list or len(item) != 4 or item[0] != expected:
        return False
    tag, value, cpu = item[1], item[2], item[3]
    if type(cpu) not in (int, float):
        return False
    if tag == "r":
        return True
    if tag in ("e", "h"):
        return type(value) is str and len(value) <= 200
    return tag == "hv" and type(value) is list and len(value) == 4 and type(value[0]) is str


def encode_inputs(inputs: Sequence[Sequence[Any]]) -> bytes:
    """Encode argument lists once; every sample of a task reuses the bytes."""
    return wire.dumps([wire.to_plain(list(args)) for args in inputs])


def run_payload(
    entry_point: str,
    inputs: Sequence[Sequence[Any]] | bytes,
    *,
    digest_min: int = 0,
    both: bool = False,
) -> bytes:
    """The run message for ``inputs`` (argument lists, or bytes from :func:`encode_inputs`).

    Args:
        entry_point: Function to call.
        inputs: The inputs.
        digest_min: Outputs whose exact encoding is at least this many bytes come back as a
            digest instead of a copy (0: always a copy).
        both: Send large outputs as digest and copy (for reference runs).
    """
    encoded = inputs if isinstance(inputs, bytes) else encode_inputs(inputs)
    head = wire.dumps(["run", entry_point])[:-1]
    opts = wire.dumps(wire.to_plain({"digest_min": digest_min, "both": both}))
    return head + b"," + encoded + b"," + opts + b"]"


class Worker:
    """One zygote process and the control channel to it. Not thread-safe: one user at a time."""

    def __init__(self, slot: int, config: SandboxConfig, limits: Limits) -> None:
        self.slot = slot
        self.config = config
        self.limits = limits
        self._proc: subprocess.Popen[bytes] | None = None
        self._ctrl: socket.socket | None = None
        self.isolation: Isolation | None = None

    def start(self) -> Isolation:
        """Start the zygote and read its probe of the isolation layers."""
        self.launch()
        return self.wait_ready()

    def launch(self) -> None:
        """Start the zygote process without waiting for it (see :meth:`wait_ready`)."""
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        policy = {
            "parent_pid": os.getpid(),
            "uid": UID_BASE + self.slot,
            "namespaces": self.config.namespaces,
            "landlock": self.config.landlock,
            "seccomp": self.config.seccomp,
            "setuid": self.config.setuid,
            "tmp_bytes": self.limits.tmp_bytes,
            "read_paths": _read_paths(self.config.interpreter),
        }
        try:
            self._proc = subprocess.Popen(
                [
                    self.config.interpreter,
                    "-I",
                    "-S",
                    str(_WORKER),
                    str(child.fileno()),
                    json.dumps(policy),
                ],
                pass_fds=[child.fileno()],
                env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
                cwd="/",
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
        except OSError as exc:
            raise SandboxError(
                f"cannot start the sandbox interpreter {self.config.interpreter}: {exc}",
                hint="set CODEJURY_SANDBOX_PYTHON to a world-readable python3 (e.g. /usr/bin/python3)",
            ) from exc
        finally:
            child.close()
        self._ctrl = parent

    def wait_ready(self) -> Isolation:
        """Read the launched zygote's probe of the isolation layers; refuse a degraded one."""
        ready = self._request(None, timeout=30)
        if not ready or ready[0] != "ready":
            raise SandboxError(f"sandbox worker failed to start: {self._stderr()}")
        self.isolation = _isolation(ready[1])
        if not self.isolation.seccomp and not self.config.allow_degraded:
            self.close()
            raise SandboxError(
                "refusing to run untrusted code: seccomp is unavailable, so a sample could "
                "reach and forge the judge",
                hint="run on Linux x86_64/aarch64 with seccomp, or pass --unsafe-sandbox to accept the risk",
            )
        return self.isolation

    def _stderr(self) -> str:
        if self._proc is None or self._proc.stderr is None:
            return "no output"
        if self._proc.poll() is None:
            self._proc.kill()
        return self._proc.stderr.read().decode(errors="replace")[-2000:] or "no output"

    def _request(
        self, message: list[Any] | None, fds: Sequence[int] = (), timeout: float = 60
    ) -> Any:
        assert self._ctrl is not None
        if message is not None:
            data = json.dumps(message).encode()
            if fds:
                socket.send_fds(self._ctrl, [data], list(fds))
            else:
                self._ctrl.send(data)
        ready, _, _ = select.select([self._ctrl], [], [], timeout)
        if not ready:
            raise SandboxError("sandbox worker stopped answering")
        data = self._ctrl.recv(1 << 16)
        if not data:
            raise SandboxError(f"sandbox worker died: {self._stderr()}")
        return json.loads(data)

    def spawn(self, *, writable: bool = True, cpu_seconds: float = 600) -> Child:
        """Fork a fresh confined child for one sample."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        page_fd = os.memfd_create("codejury-progress", os.MFD_CLOEXEC)
        try:
            os.ftruncate(page_fd, mmap.PAGESIZE)
            page = mmap.mmap(page_fd, mmap.PAGESIZE)
            lim = self.limits
            job = {
                "writable": writable,
                "limits": {
                    "memory_bytes": lim.memory_bytes,
                    "cpu_seconds": max(1, int(cpu_seconds) + 1),
                    "file_bytes": lim.file_bytes,
                    "open_files": lim.open_files,
                    "processes": lim.processes,
                },
            }
            reply = self._request(["spawn", job], fds=[theirs.fileno(), page_fd])
        finally:
            theirs.close()
            os.close(page_fd)
        if not reply or reply[0] != "spawned":
            ours.close()
            raise SandboxError(f"sandbox worker could not spawn a child: {reply!r}")
        return Child(self, int(reply[1]), ours, page)

    def reap(self, pid: int, *, grace: bool = False) -> ExitInfo:
        """Kill child ``pid`` and wait for it (the zygote is its parent).

        With ``grace`` (its channel closed: it is probably dying by itself, e.g. of a
        segfault), the zygote first gives it a moment to exit, so its own cause of death is
        what gets recorded.
        """
        reply = self._request(["reap", pid, grace])
        info = reply[2] if reply and reply[0] == "reaped" else {}
        return ExitInfo(
            info.get("signal"),
            info.get("exit"),
            float(info.get("cpu", 0.0)),
            bool(info.get("killed_by_judge", False)),
        )

    def close(self) -> None:
        """Stop the zygote; its pid namespace and every process in it die with it."""
        if self._ctrl is not None:
            try:
                self._ctrl.send(json.dumps(["exit"]).encode())
            except OSError:
                pass
            self._ctrl.close()
            self._ctrl = None
        if self._proc is not None:
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            if self._proc.stderr is not None:
                self._proc.stderr.close()
            self._proc = None


def _read_paths(interpreter: str) -> list[str]:
    # What a sample may read: the interpreter's installation and shared libraries, nothing
    # else — not /proc (the judge's environ), /root, /home, /tmp or the benchmark files.
    paths = ["/usr", "/lib", "/lib64", "/etc/localtime", "/dev/null", "/dev/urandom"]
    real = os.path.realpath(interpreter)
    prefix = str(Path(real).parent.parent)
    if prefix not in ("/", "/usr") and not prefix.startswith("/usr/"):
        paths.append(prefix)
    return paths


class Pool:
    """A fixed set of workers handed out one per thread."""

    def __init__(
        self, size: int, config: SandboxConfig | None = None, limits: Limits | None = None
    ):
        self.config = config or SandboxConfig()
        self.limits = limits or Limits()
        self._free: list[Worker] = []
        self._all: list[Worker] = []
        self.size = size
        self._lock = threading.Condition()
        self.isolation: Isolation | None = None
        # Each zygote takes ~0.1 s to start and probe its layers, in its own process: launch
        # them all, then read their probes, rather than one after another. (Launched from
        # this thread: a zygote's parent-death signal follows the thread that started it.)
        try:
            for slot in range(size):
                worker = Worker(slot, self.config, self.limits)
                self._all.append(worker)
                worker.launch()
            for worker in self._all:
                self.isolation = worker.wait_ready()
        except BaseException:
            self.close()
            raise
        self._free = list(self._all)

    def acquire(self) -> Worker:
        """Take a free worker, waiting for one."""
        with self._lock:
            while not self._free:
                self._lock.wait()
            return self._free.pop()

    def release(self, worker: Worker) -> None:
        """Give a worker back."""
        with self._lock:
            self._free.append(worker)
            self._lock.notify()

    def close(self) -> None:
        """Stop every worker."""
        for worker in self._all:
            worker.close()
        self._all.clear()
        self._free.clear()

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
