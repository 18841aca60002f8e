"""Every configuration mistake is reported with its file and line (or variable, or flag) and a hint."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from codejury.config import Settings, load_settings
from codejury.errors import ConfigError


def load_error(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> ConfigError:
    (tmp_path / "codejury.toml").write_text(textwrap.dedent(text), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_settings(env=env or {}, cwd=tmp_path)
    assert info.value.hint, "every configuration error carries a hint"
    return info.value


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("[defaults]\nmodel = local/smollm2\n", "codejury.toml:2:9:"),
        ("[defaults]\nn = 1\nn = 2\n", "codejury.toml:3:"),
        ('[models.a]\nprovider = "openai"\n[models.a]\n', "codejury.toml:3:"),
        ('[defaults]\nmodel = "unterminated\n', "codejury.toml:2:"),
    ],
)
def test_syntax_errors_name_file_line_and_column(tmp_path: Path, text: str, place: str) -> None:
    error = load_error(tmp_path, text)
    assert error.message.startswith(place)
    assert "invalid TOML" in error.message
    assert "(at line" not in error.message  # the position moved to the front
    assert "quotes" in (error.hint or "")


def test_a_syntax_error_at_the_end_points_at_the_last_line(tmp_path: Path) -> None:
    error = load_error(tmp_path, "[defaults]\nn = 1\nmodel =")
    assert error.message.startswith("codejury.toml:3")


def test_an_unknown_section_suggests_the_closest(tmp_path: Path) -> None:
    error = load_error(tmp_path, '[defaults]\nn = 1\n\n[model.x]\nprovider = "openai"\n')
    assert error.message == "codejury.toml:4: unknown section [model]"
    assert "did you mean 'models'?" in (error.hint or "")


def test_an_unknown_top_level_key_is_an_unknown_section(tmp_path: Path) -> None:
    error = load_error(tmp_path, "# top\nworkers = 3\n")
    assert error.message == "codejury.toml:2: unknown section [workers]"


@pytest.mark.parametrize(
    ("key", "suggestion"),
    [("max_token", "max_tokens"), ("worker", "workers"), ("temprature", "temperature")],
)
def test_an_unknown_defaults_key_suggests_the_closest(
    tmp_path: Path, key: str, suggestion: str
) -> None:
    error = load_error(tmp_path, f"[defaults]\nn = 2\n\n{key} = 1\n")
    assert error.message == f"codejury.toml:4: unknown key {key!r} in [defaults]"
    assert f"did you mean {suggestion!r}?" in (error.hint or "")


@pytest.mark.parametrize(
    ("line", "wanted"),
    [
        ('n = "3"', "n must be an integer >= 1, got '3'"),
        ("n = 0", "n must be an integer >= 1, got 0"),
        ("n = true", "n must be an integer >= 1, got True"),
        ("max_tokens = 1.5", "max_tokens must be an integer >= 1"),
        ("temperature = -0.1", "temperature must be a number >= 0"),
        ("temperature = nan", "temperature must be a number >= 0"),
        ("timeout_s = 0", "timeout_s must be a number > 0"),
        ("workers = -1", "workers must be an integer >= 0"),
        ("model = 3", "model must be a non-empty string"),
        ('benchmark = ""', "benchmark must be a non-empty string"),
        ("data_dir = 3", "data_dir must be a path"),
        ("db = [1]", "db must be a non-empty string"),
    ],
)
def test_wrong_values_in_defaults_name_the_line_and_show_an_example(
    tmp_path: Path, line: str, wanted: str
) -> None:
    error = load_error(tmp_path, f"[defaults]  # eval defaults\n# {line}\n{line}\n")
    assert error.message.startswith(f"codejury.toml:3: [defaults] {wanted}")
    key = line.split(" ")[0]
    assert (error.hint or "").startswith(f"e.g. {key} = ")


def test_a_section_that_is_not_a_table(tmp_path: Path) -> None:
    error = load_error(tmp_path, "# x\ndefaults = 3\n")
    assert error.message.startswith("codejury.toml:2: defaults must be a table")


@pytest.mark.parametrize(
    ("text", "place", "fragment"),
    [
        # the line of the offending key
        (
            '[models.a]\nprovider = "openai"\nconcurrency = 0\n',
            3,
            "concurrency must be a positive integer",
        ),
        (
            '[models.a]\nprovider = "openai"\nrpm = -5\nconcurrency = 2\n',
            3,
            "rpm must be a positive number",
        ),
        ('[models.a]\nprovider = "openai"\nmodel = ""\n', 3, "model must be a non-empty string"),
        (
            '[models.a]\nprovider = "x"\n\nprices = { input = "cheap" }\n',
            4,
            "prices must be a table of numbers",
        ),
        ('[models.a]\nprovider = "x"\nmetadata = 3\n', 3, "metadata must be a table"),
        # dotted keys
        ('models.a.provider = "openai"\nmodels.a.rpm = 0\n', 2, "rpm must be a positive number"),
        # a missing key: the table header
        ('# m\n\n[models.a]\nmodel = "x"\n', 3, "needs provider"),
        (
            '[models."openai/gpt-4o-mini"]\nconcurrency = 2\n[models.b]\nconcurrency = 2\n',
            3,
            "needs provider",
        ),
    ],
)
def test_model_table_errors_come_from_the_registry_with_a_line(
    tmp_path: Path, text: str, place: int, fragment: str
) -> None:
    error = load_error(tmp_path, text)
    assert error.message.startswith(f"codejury.toml:{place}: model ")
    assert fragment in error.message
    assert "in codejury.toml" not in error.message  # the prefix names the file already


def test_a_model_that_is_not_a_table(tmp_path: Path) -> None:
    error = load_error(tmp_path, "[models]\nfast = 'openai/gpt-4o-mini'\n")
    assert error.message.startswith("codejury.toml:2: models.fast must be a table")
    assert "[models.fast]" in (error.hint or "")


@pytest.mark.parametrize(
    ("prices", "fragment"),
    [
        ("{ input = 1, outptu = 2 }", "unknown price key 'outptu'"),
        ("{ input = 1 }", "needs output"),
        ("{ input = 1, output = -2 }", "price output must be >= 0"),
    ],
)
def test_model_prices_are_checked_at_load(tmp_path: Path, prices: str, fragment: str) -> None:
    error = load_error(tmp_path, f'[models.a]\nprovider = "mock"\nmodel = "m"\nprices = {prices}\n')
    assert error.message.startswith("codejury.toml:4: ")
    assert fragment in error.message


@pytest.mark.parametrize(
    ("body", "place", "fragment"),
    [
        ("input = 1\noutput = 2\ncached = 0.1\n", 5, "unknown key 'cached' in [prices.\"x/y\"]"),
        ("input = 1\n", 2, '[prices."x/y"] needs output'),
        ("input = 1\noutput = 'two'\n", 4, "output must be a non-negative number"),
        ("input = 1\noutput = 2\nas_of = 'soon'\n", 5, "as_of must be a date, got 'soon'"),
        ("input = 1\noutput = 2\nsource = ''\n", 5, "source must be a non-empty string"),
    ],
)
def test_price_override_errors(tmp_path: Path, body: str, place: int, fragment: str) -> None:
    error = load_error(tmp_path, f'# prices\n[prices."x/y"]\n{body}')
    assert error.message.startswith(f"codejury.toml:{place}: ")
    assert fragment in error.message


def test_a_price_override_suggests_the_key_it_resembles(tmp_path: Path) -> None:
    error = load_error(tmp_path, '[prices."x/y"]\ninput = 1\noutput = 2\ncached_inptu = 1\n')
    assert "did you mean 'cached_input'?" in (error.hint or "")


def test_a_model_may_not_be_priced_twice(tmp_path: Path) -> None:
    error = load_error(
        tmp_path,
        '[models.a]\nprovider = "mock"\nprices = { input = 1, output = 1 }\n'
        "[prices.a]\ninput = 2\noutput = 2\n",
    )
    assert error.message.startswith("codejury.toml:4: 'a' is priced twice")


@pytest.mark.parametrize(
    ("var", "value", "fragment"),
    [
        ("CODEJURY_N", "three", "must be an integer >= 1, got 'three'"),
        ("CODEJURY_N", "0", "must be an integer >= 1, got 0"),
        ("CODEJURY_MAX_TOKENS", "1.5", "must be an integer >= 1"),
        ("CODEJURY_TEMPERATURE", "hot", "must be a number >= 0"),
        ("CODEJURY_TIMEOUT_S", "0", "must be a number > 0"),
        ("CODEJURY_WORKERS", "-2", "must be an integer >= 0"),
    ],
)
def test_bad_environment_values_name_the_variable(
    tmp_path: Path, var: str, value: str, fragment: str
) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(env={var: value}, cwd=tmp_path)
    assert info.value.message.startswith(f"${var}: {fragment}")
    assert var in (info.value.hint or "")


@pytest.mark.parametrize(
    ("flags", "named"),
    [
        ({"max_tokens": 0}, "--max-tokens"),
        ({"n": "2"}, "--n"),
        ({"timeout_s": -1.0}, "--timeout-s"),
    ],
)
def test_bad_flag_values_name_the_flag(flags: dict[str, object], named: str) -> None:
    with pytest.raises(ConfigError) as info:
        Settings().with_flags(**flags)
    assert info.value.message.startswith(f"{named}: must be ")
    assert (info.value.hint or "").startswith(f"e.g. {named} ")


def test_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    (tmp_path / "codejury.toml").write_bytes(b"[defaults]\nmodel = '\xff'\n")
    with pytest.raises(ConfigError) as info:
        load_settings(env={}, cwd=tmp_path)
    assert info.value.message.startswith("codejury.toml: cannot read")


def test_errors_name_the_file_actually_read(tmp_path: Path) -> None:
    (tmp_path / "team.toml").write_text("[defaults]\nn = 0\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path / "team.toml", env={}, cwd=tmp_path / "..")
    assert info.value.message.startswith(f"{tmp_path.name}/team.toml:2: ")
