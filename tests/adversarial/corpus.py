"""The attack corpus as data: one file per sample in ``samples/``, described by its docstring.

Each sample is a whole HumanEval+ solution (so it goes through the real scoring path). Its
module docstring names the attack and what must hold, then a few ``key: value`` lines:

``task``
    The HumanEval+ task it answers.
``expect``
    The verdict statuses allowed on both test sets (``pass`` only for controls).
``layers``
    The isolation layers that stop it (see :data:`LAYERS`): when the probe reports none of
    them, the test skips and says why instead of pretending it was contained.
``reason``
    The exact verdict reason required (the channel checks only).
``xfail``
    A known hole: the attack is scored ``pass``. Its test is marked ``xfail(strict=True)``
    with this reason, for that failure only.

Samples report an escape by raising an exception whose type name starts with ``ESCAPED_``:
exception type names are the one thing the judge records from inside the sandbox.
Values the test decides at run time (ports, pids, paths) appear as ``__NAME__`` placeholders.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from codejury.sandbox.jail import Isolation

SAMPLES_DIR = Path(__file__).with_name("samples")
ESCAPE_MARK = "ESCAPED"
# Files an attack would leave behind if it got out start with this.
PWNED_PREFIX = "cj_adv_pwned"
STATUSES = frozenset({"pass", "fail", "error", "timeout", "memory", "crash", "no_code"})
_PLACEHOLDER = re.compile(r"__[A-Z][A-Z0-9_]*[A-Z0-9]__")

# What each layer name in a sample's ``layers:`` line means, as a test on the probe.
# "judge" and "limits" are the judge's own design (plain-data codec, verdicts computed
# outside the sandbox, timers and rlimits): present whatever the kernel offers.
LAYERS: dict[str, Callable[[Isolation], bool]] = {
    "judge": lambda iso: True,
    "limits": lambda iso: True,
    "seccomp": lambda iso: iso.seccomp,
    "landlock": lambda iso: iso.landlock_abi > 0,
    "landlock-scope": lambda iso: iso.landlock_abi >= 6,
    "setuid": lambda iso: iso.setuid,
    "netns": lambda iso: "net" in iso.namespaces,
    "pidns": lambda iso: "pid" in iso.namespaces,
    "mountns": lambda iso: "mount" in iso.namespaces,
}


@dataclass(frozen=True)
class Entry:
    """One sample of the corpus."""

    name: str
    title: str
    task_id: str
    expect: frozenset[str]
    layers: tuple[str, ...]
    reason: str | None
    xfail: str | None
    source: str

    @property
    def is_attack(self) -> bool:
        """Attacks must never pass; controls and channel checks have fixed verdicts."""
        return self.name.startswith("attack_")

    def render(self, values: Mapping[str, object]) -> str:
        """The sample's text with every ``__NAME__`` placeholder filled in."""
        text = self.source
        for key, value in values.items():
            text = text.replace(f"__{key}__", str(value))
        left = set(_PLACEHOLDER.findall(text))
        if left:
            raise KeyError(f"{self.name}: no value for placeholders {sorted(left)}")
        return text

    def missing_layers(self, iso: Isolation) -> str | None:
        """Why this sample cannot be contained here, or None when a responsible layer is up."""
        if any(LAYERS[layer](iso) for layer in self.layers):
            return None
        return f"the probe reports none of its layers ({', '.join(self.layers)}): {iso.describe()}"


def _parse(path: Path) -> Entry:
    source = path.read_text(encoding="utf-8")
    doc = ast.get_docstring(ast.parse(source)) or ""
    fields: dict[str, str] = {}
    for line in doc.splitlines():
        key, sep, value = line.partition(":")
        if sep and key in ("task", "expect", "layers", "reason", "xfail"):
            fields[key] = value.strip()
    expect = frozenset(s.strip() for s in fields.get("expect", "").split(",") if s.strip())
    layers = tuple(s.strip() for s in fields.get("layers", "judge").split(",") if s.strip())
    entry = Entry(
        name=path.stem,
        title=doc.splitlines()[0] if doc else path.stem,
        task_id=fields.get("task", ""),
        expect=expect,
        layers=layers,
        reason=fields.get("reason"),
        xfail=fields.get("xfail"),
        source=source,
    )
    # A malformed entry would silently weaken the suite, so refuse it at collection time.
    problems = []
    if not entry.task_id.startswith("HumanEval/"):
        problems.append("no 'task: HumanEval/N' line")
    if not expect or not expect <= STATUSES:
        problems.append(f"bad 'expect' {sorted(expect)}")
    if entry.is_attack and "pass" in expect:
        problems.append("an attack may never expect 'pass'")
    if unknown := set(layers) - set(LAYERS):
        problems.append(f"unknown layers {sorted(unknown)}")
    if problems:
        raise ValueError(f"{path.name}: {'; '.join(problems)}")
    return entry


def load() -> list[Entry]:
    """Every sample of the corpus, in file-name order."""
    return [_parse(p) for p in sorted(SAMPLES_DIR.glob("*.py"))]
