"""The selection file: constraints, weights and workload in TOML, errors with file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from codejury.cost import Workload
from codejury.errors import ConfigError
from codejury.report.selection import DEFAULT_WEIGHTS
from codejury.report.selectionfile import DEFAULT_WORKLOAD, load_selection


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "selection.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_full_file(tmp_path: Path) -> None:
    selection = load_selection(
        write(
            tmp_path,
            """
[constraints]
min_pass_at_1 = 60
max_monthly_cost = 1000
require_open_weights = true
strict = true

[weights]
quality = 0.6
cost = 0.4

[workload]
requests_per_day = 2000
input_tokens = 800
""",
        )
    )
    c = selection.constraints
    assert (c.min_pass_at_1, c.max_monthly_cost, c.require_open_weights, c.strict) == (
        60.0,
        1000.0,
        True,
        True,
    )
    assert c.max_p95_latency_s is None
    assert dict(selection.matrix.weights) == {"quality": 0.6, "cost": 0.4}
    assert selection.workload == Workload(2000, 800, DEFAULT_WORKLOAD.output_tokens)


def test_empty_file_gives_the_defaults(tmp_path: Path) -> None:
    selection = load_selection(write(tmp_path, "# nothing\n"))
    assert dict(selection.matrix.weights) == dict(DEFAULT_WEIGHTS)
    assert selection.workload == DEFAULT_WORKLOAD
    assert selection.with_constraints(min_pass_at_1=50).constraints.min_pass_at_1 == 50


@pytest.mark.parametrize(
    ("text", "where", "words"),
    [
        ("[constraints]\nmin_pass_at_one = 60\n", ":2", "did you mean 'min_pass_at_1'"),
        ("[constraints]\n\nmin_pass_at_1 = 160\n", ":", "percentage"),
        ("[constraints]\nrequire_open_weights = 1\n", ":2", "true or false"),
        ("[weights]\nqualty = 0.5\n", ":1", "did you mean 'quality'"),
        ("[workload]\nrequests_per_day = -5\n", ":2", "non-negative"),
        ("[budget]\nx = 1\n", ":1", "unknown table [budget]"),
        ("[weights]\nquality = 1\n\n[thresholds]\nmin_pass_at_1 = 50\n", ":4", "codejury select"),
        ("[constraints\n", ":1:", "invalid TOML"),
    ],
)
def test_errors_name_file_and_line(tmp_path: Path, text: str, where: str, words: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_selection(path)
    message = f"{info.value.message} {info.value.hint or ''}"
    assert message.startswith(f"{path}{where}"), message
    assert words in message
