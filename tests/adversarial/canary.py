"""Canaries for the attack corpus: things outside the sandbox that must not change.

Every canary is placed where file permissions would NOT protect it, so that a hit means a
sandbox layer failed, not that a sample was merely unlucky:

* a world-writable file in a world-writable directory under /var/tmp (not hidden by the
  sandbox's private /tmp), a world-writable decoy "repository" beside it, and the
  expected-output cache in a world-readable directory there, as in a 0755 home;
* a world-writable file in pytest's tmp dir (under /tmp);
* TCP and UDP listeners on 127.0.0.1, an abstract unix socket and a pathname unix socket,
  all recording anything they receive;
* a canary process (root's, in its own session) that must stay alive;
* a secret in the codejury process's environment.
"""

from __future__ import annotations

import os
import secrets
import select
import socket
import stat
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path


class Listeners:
    """Loopback TCP/UDP and unix-socket listeners that record every byte they receive."""

    def __init__(self, unix_path: Path) -> None:
        self.tcp = socket.create_server(("127.0.0.1", 0))
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", 0))
        self.abstract_name = f"cj_adv_canary_{secrets.token_hex(6)}"
        self.abstract = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.abstract.bind("\0" + self.abstract_name)
        self.abstract.listen()
        self.unix_path = unix_path
        self.unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.unix.bind(str(unix_path))
        self.unix.listen()
        self.events: list[tuple[str, bytes]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="cj-adv-canary", daemon=True)
        self._thread.start()

    @property
    def tcp_port(self) -> int:
        return int(self.tcp.getsockname()[1])

    @property
    def udp_port(self) -> int:
        return int(self.udp.getsockname()[1])

    def _serve(self) -> None:
        streams = {self.tcp: "tcp", self.abstract: "abstract", self.unix: "unix"}
        while not self._stop.is_set():
            ready, _, _ = select.select([*streams, self.udp], [], [], 0.05)
            for sock in ready:
                if sock is self.udp:
                    data, _addr = sock.recvfrom(4096)
                    self.events.append(("udp", data))
                    continue
                conn, _addr = sock.accept()
                with conn:
                    conn.settimeout(1)
                    try:
                        data = conn.recv(4096)
                    except OSError:
                        data = b""
                self.events.append((streams[sock], data))

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        for sock in (self.tcp, self.udp, self.abstract, self.unix):
            sock.close()


@dataclass
class Canaries:
    """Everything the corpus run must leave as it found it."""

    var_dir: Path
    tmp_dir: Path
    listeners: Listeners
    process: subprocess.Popen[bytes]
    secret_name: str = "CODEJURY_TEST_SECRET"
    secret_value: str = field(default_factory=lambda: "cjsecret" + secrets.token_hex(12))
    files: dict[Path, bytes] = field(default_factory=dict)

    @property
    def file(self) -> Path:
        return self.var_dir / "canary.txt"

    @property
    def tmp_file(self) -> Path:
        return self.tmp_dir / "canary.txt"

    @property
    def decoy_repo(self) -> Path:
        return self.var_dir / "decoy-repo"

    @property
    def cache_dir(self) -> Path:
        return self.var_dir / "cache"

    def changed_files(self) -> list[str]:
        """Canary files that are gone, rewritten or re-permissioned."""
        problems = []
        for path, content in self.files.items():
            try:
                st = path.lstat()
                now = path.read_bytes()
            except OSError as exc:
                problems.append(f"{path}: {exc.strerror}")
                continue
            if now != content:
                problems.append(f"{path}: content changed")
            if stat.S_IMODE(st.st_mode) != 0o666 or not stat.S_ISREG(st.st_mode):
                problems.append(f"{path}: mode {oct(st.st_mode)}")
        return problems


def world_writable_file(path: Path, content: bytes, files: dict[Path, bytes]) -> None:
    path.write_bytes(content)
    path.chmod(0o666)
    files[path] = content


def processes_with_uids(lo: int, hi: int) -> dict[int, str]:
    """Live (non-zombie) processes whose real uid is in [lo, hi): pid -> command line."""
    out = subprocess.run(
        ["ps", "-eo", "uid=,pid=,stat=,args="], capture_output=True, text=True, check=True
    ).stdout
    found = {}
    for line in out.splitlines():
        uid, pid, state, *args = line.split(None, 3)
        if lo <= int(uid) < hi and not state.startswith("Z"):
            found[int(pid)] = args[0] if args else ""
    return found


def zygotes_of(pid: int) -> set[int]:
    """Live sandbox zygotes whose parent is ``pid``."""
    out = subprocess.run(
        ["ps", "-eo", "pid=,ppid=,stat=,args="], capture_output=True, text=True, check=True
    ).stdout
    found = set()
    for line in out.splitlines():
        child, parent, state, *args = line.split(None, 3)
        if (
            int(parent) == pid
            and not state.startswith("Z")
            and "sandbox/worker.py" in "".join(args)
        ):
            found.add(int(child))
    return found


def files_left_behind(roots: list[str], uid_lo: int, uid_hi: int, prefix: str) -> list[str]:
    """Paths under ``roots`` named ``prefix*`` or owned by a uid in [uid_lo, uid_hi)."""
    existing = [r for r in roots if os.path.exists(r)]
    if not existing:
        return []
    # `find` walks /tmp's tens of thousands of entries in well under a second.
    cmd = ["find", *existing, "-xdev", "(", "-name", f"{prefix}*"]
    cmd += ["-o", "(", "-uid", f"+{uid_lo - 1}", "-uid", f"-{uid_hi}", ")", ")", "-print"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False).stdout
    return sorted(out.split())


def pth_files(directories: list[str]) -> set[str]:
    """Every .pth file in ``directories`` (site-packages of either interpreter)."""
    found = set()
    for d in directories:
        try:
            found |= {os.path.join(d, n) for n in os.listdir(d) if n.endswith(".pth")}
        except OSError:
            continue
    return found
