"""The attack corpus, scored for real: samples that try to fake a pass or do harm.

All samples (``samples/*.py``, described in ``corpus.py``) go through ONE scoring run of the
real path — ``Scorer`` on HumanEval+ with a pool of sandbox workers — together with correct
solutions of the same tasks. The run is shared by every test below (module scope) because
starting workers and computing expected outputs dominates the cost.

What must hold (shared/SANDBOX.md §4.6):

* no attack is scored ``pass`` on either test set, and each ends as its docstring expects;
* the run finishes in bounded time;
* nothing outside the sandbox changed: canary files, the decoy repository, loopback and unix
  listeners, the canary process, no process left with a sandbox uid, no file left behind,
  no ``.pth`` added, the environment secret never reported;
* the correct solutions scored in the same run still pass;
* the isolation level is the one this machine can give (``L4-full`` as root here).

An assertion is skipped only when the probe says the layer responsible is missing, and the
skip says which; known holes are ``xfail(strict=True)`` with the reason.
"""

from __future__ import annotations

import contextlib
import os
import site
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import corpus
import pytest
from canary import Canaries, files_left_behind, processes_with_uids, pth_files, zygotes_of

from codejury.datasets import load_benchmark
from codejury.errors import SandboxError
from codejury.sandbox import jail
from codejury.sandbox.jail import Pool, SandboxConfig
from codejury.sandbox.limits import Limits
from codejury.scoring.evaluate import SampleVerdict, ScoreOptions, Scorer, ScoreResult
from codejury.scoring.samples import Sample, SampleSet

pytestmark = pytest.mark.timeout(300)

ENTRIES = corpus.load()
REPO = Path(__file__).resolve().parents[2]
WORKERS = 2
# A uid range of our own (inside the sandbox's 61000-61063): "no process with one of this
# run's uids is left" then cannot be confused by a concurrent codejury run on the machine,
# which uses the default range from 61000.
UID_LO = jail.UID_BASE + 40
UID_HI = UID_LO + WORKERS
# Small limits keep timeouts and bombs cheap; the mechanisms are the same at any size.
LIMITS = Limits(
    min_time_limit=0.5,
    load_time_limit=2.0,
    part_time_limit=5.0,
    encode_allowance=2.0,
    memory_bytes=1 << 30,
    file_bytes=4 << 20,
    tmp_bytes=64 << 20,
)
RUN_BUDGET_S = 120.0
# The sandbox interpreter's and the judge's site-packages: no attack may add a .pth there.
SITE_DIRS = [
    *site.getsitepackages(),
    site.getusersitepackages(),
    "/usr/lib/python3/dist-packages",
    "/usr/local/lib/python3.11/dist-packages",
    "/usr/lib/python3.11/dist-packages",
]


@dataclass
class CorpusRun:
    """The one scoring run every test here inspects."""

    result: ScoreResult
    by_name: dict[str, SampleVerdict]
    wall_seconds: float
    canaries: Canaries
    pth_before: set[str]
    processes_before: dict[int, str]


def _placeholders(c: Canaries, data_dir: Path) -> dict[str, object]:
    return {
        "TCP_PORT": c.listeners.tcp_port,
        "UDP_PORT": c.listeners.udp_port,
        "ABSTRACT_NAME": c.listeners.abstract_name,
        "UNIX_PATH": c.listeners.unix_path,
        "CANARY_FILE": c.file,
        "CANARY_DIR": c.var_dir,
        "DECOY_REPO": c.decoy_repo,
        "TMP_CANARY_FILE": c.tmp_file,
        "TMP_CANARY_DIR": c.tmp_dir,
        "CANARY_PIDS": [c.process.pid],
        "JUDGE_PID": os.getpid(),
        "JUDGE_CWD": os.getcwd(),
        "JUDGE_SITE": ":".join(SITE_DIRS),
        "REPO": REPO,
        "CACHE_DIR": c.cache_dir,
        "DATA_DIR": data_dir,
        "SECRET_NAME": c.secret_name,
        "UID_LO": UID_LO,
        "UID_HI": UID_HI,
    }


def _sandbox_or_skip() -> None:
    # A machine without seccomp gets no sandbox at all (the pool refuses, as designed): skip
    # the module there, saying so. Any SandboxError during the run itself is a failure.
    try:
        Pool(1, SandboxConfig(), LIMITS).close()
    except SandboxError as exc:
        pytest.skip(f"sandbox unavailable on this machine: {exc}")


def _remove_markers(roots: list[str]) -> None:
    # Only in a failing (degraded) run can an attack leave marker files; never leave them.
    for root in roots:
        for path in Path(root).glob(f"{corpus.PWNED_PREFIX}*"):
            with contextlib.suppress(OSError):
                path.unlink()


@pytest.fixture(scope="module")
def corpus_run(shared_data_dir: Path, canaries: Canaries) -> Iterator[CorpusRun]:
    values = _placeholders(canaries, shared_data_dir)
    counts: dict[str, int] = {}
    samples, names = [], {}
    for line, entry in enumerate(ENTRIES, start=1):
        index = counts.get(entry.task_id, 0)
        counts[entry.task_id] = index + 1
        samples.append(Sample(entry.task_id, index, entry.render(values), line))
        names[(entry.task_id, index)] = entry.name
    sample_set = SampleSet(corpus.SAMPLES_DIR, samples, [], [])
    pth_before = pth_files(SITE_DIRS)
    processes_before = processes_with_uids(UID_LO, UID_HI)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(jail, "UID_BASE", UID_LO)
        _sandbox_or_skip()
        # Expected outputs are cached in a world-readable directory (like a 0755 home), so
        # that the sandbox, not the location, is what keeps samples from reading them.
        mp.setenv("CODEJURY_CACHE_DIR", str(canaries.cache_dir))
        mp.setenv(canaries.secret_name, canaries.secret_value)
        benchmark = load_benchmark("humaneval+", shared_data_dir)
        options = ScoreOptions(workers=WORKERS, use_cache=False, limits=LIMITS)
        started = time.monotonic()
        result = Scorer(benchmark, options).score(sample_set)
        wall = time.monotonic() - started
    by_name = {names[(v.sample.task_id, v.sample.index)]: v for v in result.verdicts}
    yield CorpusRun(result, by_name, wall, canaries, pth_before, processes_before)
    _remove_markers([str(REPO), os.getcwd(), str(Path.home()), *SITE_DIRS])


def _wait_until(predicate: Callable[[], object], timeout: float = 5.0) -> bool:
    # Processes of a closed pool die asynchronously (the pid namespace is torn down by the
    # kernel once its init is gone), so give them a moment before calling anything a leak.
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return bool(predicate())


class ScoredPass(AssertionError):
    """An attack was scored ``pass``: the one failure a known hole (``xfail:``) may cause."""


def _params() -> list[object]:
    params = []
    for e in ENTRIES:
        # raises=ScoredPass: the xfail holds only while the hole is exactly what is
        # documented; any other failure of the same sample still fails the suite.
        marks = (
            [pytest.mark.xfail(strict=True, reason=e.xfail, raises=ScoredPass)] if e.xfail else []
        )
        params.append(pytest.param(e, id=e.name, marks=marks))
    return params


# ---------------------------------------------------------------------------------------------
# Per sample: the verdict


@pytest.mark.parametrize("entry", _params())
def test_sample_verdict(entry: corpus.Entry, corpus_run: CorpusRun) -> None:
    verdict = corpus_run.by_name.get(entry.name)
    assert verdict is not None, f"{entry.name} was not scored"
    iso = corpus_run.result.isolation
    if entry.is_attack and (why := entry.missing_layers(iso)):
        pytest.skip(f"{entry.name}: {why}")
    parts = verdict.parts
    assert set(parts) == {"base", "plus"}, parts
    summary = {p: (v.status, v.reason) for p, v in parts.items()}
    if entry.is_attack and any(v.status == "pass" for v in parts.values()):
        raise ScoredPass(f"{entry.title}: scored PASS {summary}")
    assert all(v.status in entry.expect for v in parts.values()), (
        f"{entry.title}: expected {sorted(entry.expect)}, got {summary}"
    )
    if entry.reason is not None:
        assert all(v.reason == entry.reason for v in parts.values()), summary
    else:
        escaped = [v.reason for v in parts.values() if corpus.ESCAPE_MARK in v.reason]
        assert not escaped, f"{entry.title}: the sample reports an escape: {escaped}"


# ---------------------------------------------------------------------------------------------
# The run as a whole


def test_isolation_is_the_strongest_this_machine_offers(corpus_run: CorpusRun) -> None:
    iso = corpus_run.result.isolation
    # Root on this kernel (Landlock ABI >= 6, seccomp, unshare allowed) gets every layer. Where
    # the probe says a layer cannot exist, say which instead of asserting a level.
    if os.geteuid() != 0:
        pytest.skip(f"not root, so no per-slot uid or namespaces: probe says {iso.describe()}")
    if not iso.namespaces:
        pytest.skip(f"unshare refused (a container?): probe says {iso.describe()}")
    if iso.landlock_abi < 6:
        pytest.skip(f"Landlock ABI < 6 (no signal/socket scoping): probe says {iso.describe()}")
    assert iso.level == "L4-full", iso.describe()
    assert iso.seccomp and iso.setuid and iso.landlock_abi >= 6, iso.as_dict()
    assert {"pid", "net", "mount", "ipc"} <= set(iso.namespaces), iso.as_dict()


def test_every_sample_is_scored_in_bounded_time(corpus_run: CorpusRun) -> None:
    assert set(corpus_run.by_name) == {e.name for e in ENTRIES}
    assert not corpus_run.result.interrupted
    assert corpus_run.wall_seconds < RUN_BUDGET_S, f"run took {corpus_run.wall_seconds:.1f} s"


def test_corpus_is_big_enough() -> None:
    attacks = [e for e in ENTRIES if e.is_attack]
    assert len(attacks) >= 35
    assert any(e.expect == frozenset({"pass"}) for e in ENTRIES), "no correct-solution control"


def test_secret_is_never_reported(corpus_run: CorpusRun) -> None:
    secret = corpus_run.canaries.secret_value
    reasons = [pv.reason for v in corpus_run.result.verdicts for pv in v.parts.values()]
    assert not [r for r in reasons if secret in r]


def test_reasons_are_printable_text(corpus_run: CorpusRun) -> None:
    # A reason is printed by the CLI and stored in results files; one that carries terminal
    # escapes or newlines can rewrite what a user sees (e.g. a green "PASS") or forge lines.
    bad = {
        name: pv.reason
        for name, v in corpus_run.by_name.items()
        for pv in v.parts.values()
        if not pv.reason.isprintable()
    }
    assert bad == {}


# ---------------------------------------------------------------------------------------------
# Nothing outside the sandbox changed


def _needs(run: CorpusRun, *layers: str) -> None:
    """Skip, saying why, when the probe reports none of the layers that guard this canary."""
    iso = run.result.isolation
    if not any(corpus.LAYERS[layer](iso) for layer in layers):
        pytest.skip(f"none of {layers} is available here: {iso.describe()}")


def test_canary_files_and_decoy_repository_are_intact(corpus_run: CorpusRun) -> None:
    # World-writable on purpose: only Landlock guards them, not file permissions.
    _needs(corpus_run, "landlock")
    assert corpus_run.canaries.changed_files() == []


def test_listeners_heard_nothing(corpus_run: CorpusRun) -> None:
    _needs(corpus_run, "seccomp", "netns")
    listeners = corpus_run.canaries.listeners
    assert listeners.events == [], f"a sample reached a canary listener: {listeners.events}"
    # The listeners work: the same connections from the test process are recorded.
    with socket.create_connection(("127.0.0.1", listeners.tcp_port)) as s:
        s.sendall(b"self-test")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
        u.sendto(b"self-test", ("127.0.0.1", listeners.udp_port))
    for address in ("\0" + listeners.abstract_name, str(listeners.unix_path)):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as a:
            a.connect(address)
            a.sendall(b"self-test")
    kinds = {"tcp", "udp", "abstract", "unix"}
    assert _wait_until(lambda: {k for k, _d in listeners.events} == kinds), listeners.events
    listeners.events.clear()


def test_canary_process_and_judge_are_alive(corpus_run: CorpusRun) -> None:
    _needs(corpus_run, "pidns", "landlock-scope", "setuid")
    assert corpus_run.canaries.process.poll() is None, "the canary process was killed"
    os.kill(os.getpid(), 0)  # and we are still here, so the judge was not killed either


def test_no_process_with_a_sandbox_uid_is_left(corpus_run: CorpusRun) -> None:
    _needs(corpus_run, "setuid")  # without it samples run as our own uid: nothing to look for
    assert corpus_run.processes_before == {}, "processes of this run's uids existed before it"
    assert _wait_until(lambda: not processes_with_uids(UID_LO, UID_HI)), processes_with_uids(
        UID_LO, UID_HI
    )
    # Nor any zygote this process started (they run as root, so the uid check misses them).
    assert _wait_until(lambda: not zygotes_of(os.getpid())), zygotes_of(os.getpid())


def test_no_file_is_left_behind(corpus_run: CorpusRun) -> None:
    _needs(corpus_run, "landlock")
    roots = ["/tmp", "/var/tmp", "/dev/shm", str(REPO), os.getcwd(), *SITE_DIRS]
    left = files_left_behind(roots, UID_LO, UID_HI, corpus.PWNED_PREFIX)
    assert left == []
    home = Path.home()
    assert not [p for p in home.iterdir() if p.name.startswith(corpus.PWNED_PREFIX)]
    # Private work dirs live on the sandbox's own tmpfs; none may surface on the host's /tmp.
    assert not [p for p in Path("/tmp").glob(f"codejury-{UID_LO}-*")]


def test_no_pth_file_is_added(corpus_run: CorpusRun) -> None:
    _needs(corpus_run, "landlock", "setuid")
    assert pth_files(SITE_DIRS) == corpus_run.pth_before
