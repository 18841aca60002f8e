"""selection.toml: every mistake names the file and line; the documented example loads."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from codejury.config import load_settings
from codejury.errors import ConfigError
from codejury.select.choice import decision_weights
from codejury.select.config import load_selection
from codejury.select.pipeline import selection_key

DOCS = Path(__file__).resolve().parents[2] / "docs" / "select.md"
MODELS = """
[models.alpha-coder]
provider = "mock"
model = "alpha"

[models.beta-coder]
provider = "mock"
model = "beta"
"""
BASE = """[candidates]
models = ["alpha-coder", "beta-coder"]

[benchmarks]
ids = ["humaneval+"]
limit = 5

[thresholds]
min_pass_at_1 = 50
"""


def _write(where: Path, text: str) -> Path:
    (where / "codejury.toml").write_text(MODELS, encoding="utf-8")
    path = where / "selection.toml"
    path.write_text('[selection]\ncodejury_config = "codejury.toml"\n\n' + text, encoding="utf-8")
    return path


def _line(path: Path, fragment: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, start=1) if fragment in line)


BAD: list[tuple[str, str, str, str]] = [
    # (name, text to add or replace, the line it is on, what the message says)
    ("unknown section", BASE + "\n[thresholdz]\nx = 1\n", "[thresholdz]", "unknown section 'thresholdz'"),
    ("misspelt key", BASE.replace("limit = 5", "limt = 5"), "limt", "unknown key benchmarks.limt"),
    ("wrong type", BASE + 'max_monthly_cost = "cheap"\n', "max_monthly_cost",
     "thresholds.max_monthly_cost must be a number >= 0, got 'cheap'"),
    ("percent range", BASE.replace("min_pass_at_1 = 50", "min_pass_at_1 = 150"), "min_pass_at_1",
     "must be a number >= 0 and <= 100, got 150"),
    ("unrun benchmark", BASE.replace("min_pass_at_1 = 50", 'min_pass_at_1 = { "mbpp+" = 50 }'),
     "min_pass_at_1", "names 'mbpp+', which benchmarks.ids does not list"),
    ("unknown benchmark", BASE.replace('["humaneval+"]', '["humaneval++"]'), "ids =",
     "unknown benchmark 'humaneval++'"),
    ("import without file", BASE + '\n[human]\nmode = "import"\n', 'mode = "import"',
     'is "import" but no votes_file is given'),
    ("wait without benchmarks", '[candidates]\nmodels = ["alpha-coder"]\n\n[human]\nmode = "wait"\n',
     'mode = "wait"', "needs the benchmarks section"),
    ("missing task file", BASE + '\n[tasks]\nfile = "nope.jsonl"\n', "nope.jsonl",
     "names 'nope.jsonl', which is not a file"),
    ("unknown criterion", BASE + "\n[weights]\nspeed = 1\n", "speed", "unknown key weights.speed"),
    ("bad levels", BASE + "\n[latency]\nconcurrency = [4, 2]\n", "concurrency",
     "must be a list of strictly increasing positive integers"),
    ("level not run", BASE + "\n[latency]\nconcurrency = [1, 2]\nat_concurrency = 8\n",
     "at_concurrency", "must be one of the levels [1, 2]"),
    ("repeated model", BASE.replace('"beta-coder"]', '"alpha-coder"]'), "models =",
     "lists alpha-coder more than once"),
    ("stray candidate", BASE + '\n[self_hosted]\ngpu_hourly_usd = 1\nmodels = ["gamma"]\n',
     'models = ["gamma"]', "names 'gamma', which is not a candidate"),
    ("unknown catalog key", BASE.replace("[benchmarks]", 'catalog = { alpha-coder = "no-such" }\n\n[benchmarks]'),
     "catalog", "names 'no-such', which the catalog does not have"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "fragment", "says"), [b[1:] for b in BAD], ids=[b[0] for b in BAD]
)
def test_mistakes_name_the_file_and_line(
    tmp_path: Path, text: str, fragment: str, says: str
) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_selection(path, cwd=tmp_path)
    message = caught.value.message
    assert message.startswith(f"selection.toml:{_line(path, fragment)}: "), message
    assert says in message


def test_syntax_errors_and_missing_sections(tmp_path: Path) -> None:
    path = _write(tmp_path, '[candidates]\nmodels = ["a" "b"]\n')
    with pytest.raises(ConfigError, match=r"^selection\.toml:5:\d+: invalid TOML"):
        load_selection(path, cwd=tmp_path)
    path = _write(tmp_path, "[benchmarks]\nids = []\n")
    with pytest.raises(ConfigError, match="no candidates section"):
        load_selection(path, cwd=tmp_path)
    with pytest.raises(ConfigError, match=r"selection file nowhere\.toml not found"):
        load_selection(Path("nowhere.toml"), cwd=tmp_path)


def test_an_unknown_model_is_reported_at_its_line_by_the_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Any
) -> None:
    monkeypatch.setenv("CODEJURY_DB", str(tmp_path / "runs.db"))
    monkeypatch.setenv("COLUMNS", "1000")
    monkeypatch.chdir(tmp_path)
    path = _write(tmp_path, BASE.replace('"beta-coder"]', '"gamma"]'))
    ran = cli("select", "--config", "selection.toml")
    assert ran.code == ConfigError.exit_code
    line = _line(path, "models =")
    assert re.search(rf"error: selection\.toml:{line}: unknown model 'gamma'", ran.err), ran.err
    assert "hint:" in ran.err


def test_the_documented_example_loads_and_its_key_tracks_inputs(tmp_path: Path) -> None:
    text = DOCS.read_text(encoding="utf-8")
    example = re.search(r"## A full example\s+```toml\n(.*?)```", text, re.S)
    assert example is not None
    (tmp_path / "selection.toml").write_text(example.group(1), encoding="utf-8")
    (tmp_path / "tasks.jsonl").write_text(
        '{"prompt": "2+2?", "checks": [{"kind": "contains", "expected": "4"}]}\n', "utf-8"
    )
    (tmp_path / "codejury.toml").write_text(
        '[models.qwen-coder-32b]\nprovider = "vllm"\nmodel = "Qwen/Qwen2.5-Coder-32B-Instruct"\n'
        '[models.deepseek-chat]\nprovider = "deepseek"\nmodel = "deepseek-chat"\n',
        "utf-8",
    )
    config = load_selection(Path("selection.toml"), cwd=tmp_path)
    assert config.models == ("qwen-coder-32b", "deepseek-chat", "openai/gpt-4o-mini")
    assert config.thresholds.min_pass_at_1 == {"humaneval+": 60.0}
    assert config.benchmarks is not None and config.benchmarks.limit == 40
    assert config.latency is not None and config.latency.at_concurrency == 4
    assert config.human is not None and (config.human.mode, config.human.finalists) == ("wait", 2)
    assert config.self_hosted is not None and config.self_hosted.models == ("qwen-coder-32b",)
    assert config.data_dir == tmp_path / "data" and config.db == str(tmp_path / "runs.db")
    assert sum(config.weights.values()) == pytest.approx(1.0)
    settings = load_settings(config.codejury_config, env={}, cwd=tmp_path)
    config.check_models(settings)
    key = selection_key(config, settings)
    assert selection_key(config, settings) == key
    # The task file is part of what is being decided: editing it is a new selection.
    (tmp_path / "tasks.jsonl").write_text(
        '{"prompt": "3+3?", "checks": [{"kind": "contains", "expected": "6"}]}\n', "utf-8"
    )
    assert selection_key(config, settings) != key


def test_default_weights_add_the_human_rating_only_when_there_is_one(tmp_path: Path) -> None:
    config = load_selection(_write(tmp_path, BASE), cwd=tmp_path)
    plain = decision_weights(config, human=False)
    assert "human" not in plain and plain["quality"] == 0.35
    assert decision_weights(config, human=True)["human"] == 0.35
    weighted = load_selection(
        _write(tmp_path, BASE + "\n[weights]\nquality = 1\nhuman = 2\n"), cwd=tmp_path
    )
    assert decision_weights(weighted, human=True) == {"quality": 1.0, "human": 2.0}
    assert decision_weights(weighted, human=False) == {"quality": 1.0}
