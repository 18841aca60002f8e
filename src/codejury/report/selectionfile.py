"""The selection file: a team's hard constraints, decision weights and workload, in TOML.

::

    # selection.toml
    [constraints]
    min_pass_at_1 = 60          # percent
    max_monthly_cost = 1000     # USD
    max_p95_latency_s = 2.0
    require_open_weights = false
    min_context_window = 32000  # tokens
    strict = false              # true: a missing figure eliminates instead of passing unchecked

    [weights]                   # any of codejury.report.CRITERIA; they need not sum to 1
    quality = 0.35
    cost = 0.25
    latency = 0.15

    [workload]                  # for monthly costs
    requests_per_day = 10000
    input_tokens = 500
    output_tokens = 200

Every table is optional; ``codejury report`` flags override the file. Errors name the file and
line.
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from codejury.cost import Workload
from codejury.errors import ConfigError
from codejury.report.selection import DEFAULT_WEIGHTS, Constraints, DecisionMatrix
from codejury.tomllines import key_lines, line_of, syntax_error_at

DEFAULT_WORKLOAD = Workload(10_000, 500, 200)
"""Seed 003's example load: 10,000 requests a day of 500 input and 200 output tokens."""
_TABLES = ("constraints", "weights", "workload")
_SELECT_TABLES = (
    "selection",
    "candidates",
    "benchmarks",
    "thresholds",
    "tasks",
    "latency",
    "human",
)
_WORKLOAD_KEYS = ("requests_per_day", "input_tokens", "output_tokens", "days_per_month")


@dataclass(frozen=True)
class Selection:
    """Constraints, weights and workload for one decision.

    Attributes:
        constraints: Hard limits.
        matrix: Decision weights.
        workload: The load monthly costs are projected for.
    """

    constraints: Constraints = field(default_factory=Constraints)
    matrix: DecisionMatrix = field(default_factory=DecisionMatrix)
    workload: Workload = DEFAULT_WORKLOAD

    def with_constraints(self, **changes: Any) -> Selection:
        """This selection with the given constraint fields replaced (None values ignored)."""
        given = {k: v for k, v in changes.items() if v is not None}
        return replace(self, constraints=replace(self.constraints, **given)) if given else self


def load_selection(path: Path) -> Selection:
    """Read a selection file.

    Raises:
        ConfigError: If it cannot be read, is not TOML, or a key or value is wrong; the
            message gives the file and line.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            f"{path}: cannot read the selection file: {exc.strerror or exc}"
        ) from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text", hint="save it as UTF-8") from None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(syntax_error_at(str(path), text, exc)) from None
    return parse_selection(doc, str(path), key_lines(text))


def parse_selection(
    doc: Mapping[str, Any], label: str, lines: Mapping[tuple[str, ...], int] | None = None
) -> Selection:
    """Build a :class:`Selection` from a parsed document.

    Args:
        doc: The TOML document.
        label: The file name, for messages.
        lines: Key paths to line numbers (:func:`codejury.tomllines.key_lines`).

    Raises:
        ConfigError: An unknown table or key, or a wrong value.
    """
    lines = lines or {}

    def where(*path: str) -> str:
        line = line_of(lines, path) if lines else 0
        return f"{label}:{line}" if line else label

    for name in doc:
        if name in _SELECT_TABLES:
            # A `codejury select` config: its own constraints are [thresholds], and the report
            # already shows the latest select run's funnel.
            raise ConfigError(
                f"{where(name)}: [{name}] belongs to a `codejury select` config, not to the "
                "report's constraints file",
                hint="run `codejury select --config FILE` (the report then shows its funnel), "
                "or give the report a file with [constraints], [weights] and [workload]",
            )
        if name not in _TABLES:
            raise ConfigError(f"{where(name)}: unknown table [{name}]", hint=_close(name, _TABLES))
    for name in _TABLES:
        if name in doc and not isinstance(doc[name], dict):
            raise ConfigError(f"{where(name)}: {name} must be a table, e.g. [{name}]")
    constraints = _constraints(doc.get("constraints", {}), where)
    weights = doc.get("weights")
    try:
        matrix = DecisionMatrix(dict(weights)) if weights else DecisionMatrix(dict(DEFAULT_WEIGHTS))
    except ConfigError as exc:
        raise ConfigError(f"{where('weights')}: {exc.message}", hint=exc.hint) from None
    return Selection(constraints, matrix, _workload(doc.get("workload", {}), where))


def _constraints(table: Mapping[str, Any], where: Any) -> Constraints:
    known = {f.name: f for f in fields(Constraints)}
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in known:
            raise ConfigError(
                f"{where('constraints', key)}: unknown constraint {key!r}",
                hint=_close(key, tuple(known)),
            )
        is_flag = key in ("require_open_weights", "strict")
        if is_flag and not isinstance(value, bool):
            raise ConfigError(f"{where('constraints', key)}: {key} must be true or false")
        if not is_flag and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise ConfigError(f"{where('constraints', key)}: {key} must be a number")
        values[key] = value if is_flag else float(value)
    try:
        return Constraints(**values)
    except ConfigError as exc:
        raise ConfigError(f"{where('constraints')}: {exc.message}", hint=exc.hint) from None


def _workload(table: Mapping[str, Any], where: Any) -> Workload:
    values = {k: getattr(DEFAULT_WORKLOAD, k) for k in _WORKLOAD_KEYS}
    for key, value in table.items():
        if key not in values:
            raise ConfigError(
                f"{where('workload', key)}: unknown workload key {key!r}",
                hint=_close(key, _WORKLOAD_KEYS),
            )
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise ConfigError(f"{where('workload', key)}: {key} must be a non-negative number")
        values[key] = float(value)
    if values["days_per_month"] <= 0:
        raise ConfigError(f"{where('workload', 'days_per_month')}: days_per_month must be > 0")
    return Workload(**values)


def _close(word: str, known: tuple[str, ...]) -> str:
    match = difflib.get_close_matches(word, known, n=1)
    return (f"did you mean {match[0]!r}? " if match else "") + "known: " + ", ".join(known)
