"""Settings resolution: defaults < codejury.toml < CODEJURY_* < flags, file choice, paths."""

from __future__ import annotations

import dataclasses
import json
import re
import textwrap
from pathlib import Path

import pytest

import codejury.config
from codejury.config import Settings, load_settings
from codejury.cost import Price
from codejury.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_no_file_and_no_environment_gives_the_built_in_defaults(tmp_path: Path) -> None:
    settings = load_settings(env={}, cwd=tmp_path)
    assert settings == Settings()
    assert settings.source is None
    assert settings.model is None and settings.benchmark == "humaneval+"
    assert (settings.n, settings.temperature, settings.max_tokens) == (1, 0.0, 1024)
    assert (settings.timeout_s, settings.workers) == (120.0, 0)
    assert settings.data_dir is None and settings.db is None
    assert set(settings.origins.values()) == {"default"}
    assert settings.where("defaults", "n") == "(no config file)"


def test_an_empty_file_is_all_defaults_but_is_recorded_as_the_source(tmp_path: Path) -> None:
    path = write(tmp_path / "codejury.toml", "")
    settings = load_settings(env={}, cwd=tmp_path)
    assert settings.source == path
    assert dataclasses.replace(settings, source=None) == Settings()


# (name, TOML value, environment text, flag value, expected from each of the three)
LEVELS = [
    ("model", '"openai/a"', "openai/b", "openai/c", ("openai/a", "openai/b", "openai/c")),
    (
        "benchmark",
        '"mbpp+"',
        "humaneval",
        "humaneval+-mini",
        ("mbpp+", "humaneval", "humaneval+-mini"),
    ),
    ("n", "3", "5", 7, (3, 5, 7)),
    ("temperature", "0.2", "0.8", 1.5, (0.2, 0.8, 1.5)),
    ("max_tokens", "256", "512", 2048, (256, 512, 2048)),
    ("timeout_s", "30", "45.5", 90, (30.0, 45.5, 90.0)),
    ("workers", "2", "3", 4, (2, 3, 4)),
]


@pytest.mark.parametrize(("name", "toml", "env_text", "flag", "expected"), LEVELS)
def test_each_level_overrides_the_one_before(
    tmp_path: Path, name: str, toml: str, env_text: str, flag: object, expected: tuple[object, ...]
) -> None:
    write(tmp_path / "codejury.toml", f"# settings\n[defaults]\n{name} = {toml}\n")
    from_file = load_settings(env={}, cwd=tmp_path)
    assert getattr(from_file, name) == expected[0]
    assert from_file.origins[name] == "codejury.toml:3"

    var = f"CODEJURY_{name.upper()}"
    from_env = load_settings(env={var: env_text}, cwd=tmp_path)
    assert getattr(from_env, name) == expected[1]
    assert from_env.origins[name] == f"${var}"

    from_flag = from_env.with_flags(**{name: flag})
    assert getattr(from_flag, name) == expected[2]
    assert from_flag.origins[name] == "--" + name.replace("_", "-")
    assert type(getattr(from_flag, name)) is type(expected[2])


def test_a_flag_of_none_means_not_given(tmp_path: Path) -> None:
    write(tmp_path / "codejury.toml", "[defaults]\nn = 3\nmodel = 'openai/x'\n")
    settings = load_settings(env={"CODEJURY_N": "4"}, cwd=tmp_path)
    flagged = settings.with_flags(n=None, model=None, workers=6)
    assert (flagged.n, flagged.model, flagged.workers) == (4, "openai/x", 6)
    assert flagged.origins["n"] == "$CODEJURY_N"
    assert flagged.origins["model"] == "codejury.toml:3"


def test_an_empty_environment_variable_counts_as_unset(tmp_path: Path) -> None:
    write(tmp_path / "codejury.toml", "[defaults]\nn = 3\n")
    assert load_settings(env={"CODEJURY_N": "  "}, cwd=tmp_path).n == 3


def test_unrelated_settings_keep_their_lower_level_values(tmp_path: Path) -> None:
    write(tmp_path / "codejury.toml", "[defaults]\nn = 3\ntemperature = 0.5\n")
    settings = load_settings(env={"CODEJURY_TEMPERATURE": "0.7"}, cwd=tmp_path)
    assert (settings.n, settings.temperature, settings.max_tokens) == (3, 0.7, 1024)


def test_file_choice_explicit_path_then_variable_then_working_directory(tmp_path: Path) -> None:
    write(tmp_path / "codejury.toml", "[defaults]\nn = 1\n")
    write(tmp_path / "from_env.toml", "[defaults]\nn = 2\n")
    write(tmp_path / "sub" / "explicit.toml", "[defaults]\nn = 3\n")
    env = {"CODEJURY_CONFIG": "from_env.toml"}
    assert load_settings(env={}, cwd=tmp_path).n == 1
    assert load_settings(env=env, cwd=tmp_path).n == 2
    explicit = load_settings(Path("sub/explicit.toml"), env=env, cwd=tmp_path)
    assert explicit.n == 3
    assert explicit.source == tmp_path / "sub" / "explicit.toml"
    assert explicit.origins["n"] == "sub/explicit.toml:2"


def test_the_default_file_is_only_the_one_in_the_working_directory(tmp_path: Path) -> None:
    write(tmp_path / "codejury.toml", "[defaults]\nn = 9\n")
    (tmp_path / "elsewhere").mkdir()
    assert load_settings(env={}, cwd=tmp_path / "elsewhere").n == 1


@pytest.mark.parametrize(
    ("explicit", "env", "named"),
    [
        (Path("missing.toml"), {}, "--config"),
        (None, {"CODEJURY_CONFIG": "gone.toml"}, "$CODEJURY_CONFIG"),
    ],
)
def test_a_named_file_that_does_not_exist_is_an_error(
    tmp_path: Path, explicit: Path | None, env: dict[str, str], named: str
) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(explicit, env=env, cwd=tmp_path)
    assert info.value.message.startswith(f"{named}: config file ")
    assert "not found" in info.value.message
    assert info.value.hint


def test_relative_paths_in_the_file_are_relative_to_the_file(tmp_path: Path) -> None:
    write(
        tmp_path / "project" / "conf" / "codejury.toml",
        '[defaults]\ndata_dir = "data"\ndb = "../runs.db"\n',
    )
    settings = load_settings(Path("project/conf/codejury.toml"), env={}, cwd=tmp_path)
    assert settings.data_dir == tmp_path / "project" / "conf" / "data"
    assert settings.db == str(tmp_path / "project" / "conf" / ".." / "runs.db")


def test_urls_and_absolute_paths_are_kept_as_written(tmp_path: Path) -> None:
    write(
        tmp_path / "codejury.toml",
        '[defaults]\ndata_dir = "/srv/data"\ndb = "postgresql://u@db.example/cj"\n',
    )
    settings = load_settings(env={}, cwd=tmp_path)
    assert settings.data_dir == Path("/srv/data")
    assert settings.db == "postgresql://u@db.example/cj"


def test_relative_paths_in_variables_are_relative_to_the_working_directory(tmp_path: Path) -> None:
    write(tmp_path / "conf" / "codejury.toml", '[defaults]\ndata_dir = "from-file"\n')
    env = {"CODEJURY_CONFIG": "conf/codejury.toml", "CODEJURY_DATA_DIR": "d", "CODEJURY_DB": "x.db"}
    settings = load_settings(env=env, cwd=tmp_path)
    assert settings.data_dir == tmp_path / "d"
    assert settings.db == str(tmp_path / "x.db")


def test_flag_paths_stay_as_given(tmp_path: Path) -> None:
    settings = load_settings(env={}, cwd=tmp_path).with_flags(data_dir="rel/data", db="sqlite://")
    assert settings.data_dir == Path("rel/data")
    assert settings.db == "sqlite://"


def test_settings_and_their_model_tables_are_read_only(tmp_path: Path) -> None:
    write(
        tmp_path / "codejury.toml",
        '[models.m]\nprovider = "mock"\nprices = { input = 1, output = 2 }\n',
    )
    settings = load_settings(env={}, cwd=tmp_path)
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.n = 3  # type: ignore[misc]
    with pytest.raises(TypeError):
        settings.models["m"]["provider"] = "openai"  # type: ignore[index]
    with pytest.raises(TypeError):
        settings.models["x"] = {}  # type: ignore[index]
    # nested values stay plain data: providers send some of them as JSON
    assert json.loads(json.dumps(dict(settings.models["m"])))["prices"] == {"input": 1, "output": 2}
    with pytest.raises(TypeError):
        settings.prices["x"] = Price(1.0, 1.0)  # type: ignore[index]


def test_with_flags_rejects_names_that_are_not_settings() -> None:
    with pytest.raises(TypeError, match="unknown setting 'modle'"):
        Settings().with_flags(modle="x")


def test_model_tables_and_price_overrides_are_exposed_for_resolution(tmp_path: Path) -> None:
    write(
        tmp_path / "codejury.toml",
        """\
        [defaults]
        model = "fast"

        [models.fast]
        provider = "openai"
        model = "gpt-4o-mini"
        concurrency = 3

        [prices."openai/o3"]
        input = 1
        output = 4
        as_of = 2026-01-02
        """,
    )
    settings = load_settings(env={}, cwd=tmp_path)
    config = settings.resolve_model()
    assert (config.name, config.provider, config.model, config.concurrency) == (
        "fast",
        "openai",
        "gpt-4o-mini",
        3,
    )
    assert settings.resolve_model("anthropic/claude-x").provider == "anthropic"
    assert settings.prices["openai/o3"] == Price(
        1.0, 4.0, as_of="2026-01-02", source="codejury.toml: prices.openai/o3"
    )


def test_resolve_model_without_any_model_says_how_to_give_one() -> None:
    with pytest.raises(ConfigError) as info:
        Settings().resolve_model()
    assert "--model" in (info.value.hint or "")


def _toml_blocks(text: str) -> list[str]:
    return re.findall(r"```toml\n(.*?)```", text, flags=re.S)


def test_the_documented_example_loads(tmp_path: Path) -> None:
    example = _toml_blocks((REPO / "docs" / "config.md").read_text(encoding="utf-8"))[0]
    write(tmp_path / "codejury.toml", example)
    settings = load_settings(env={}, cwd=tmp_path)
    assert settings.model == "local/smollm2" and settings.workers == 2
    assert settings.data_dir == tmp_path / "data"
    assert settings.resolve_model("my-vllm").rpm == 600
    assert settings.resolve_model("openai/gpt-4o-mini").concurrency == 4
    assert settings.prices["anthropic/claude-3-5-haiku-latest"].cached_input_per_m == 0.08


def test_the_schema_in_the_module_docstring_loads(tmp_path: Path) -> None:
    doc = codejury.config.__doc__ or ""
    block = doc.split("Schema", 1)[1].split("::\n", 1)[1]
    lines = []
    for line in block.splitlines()[1:]:
        if line and not line.startswith("    "):
            break
        lines.append(line[4:])
    write(tmp_path / "codejury.toml", "\n".join(lines))
    settings = load_settings(env={}, cwd=tmp_path)
    assert settings.db == str(tmp_path / "runs.db")
    assert set(settings.models) == {"my-vllm"}
    assert set(settings.prices) == {"openai/gpt-4o-mini"}
