"""`codejury catalog import | show` end to end, and the report using the imported facts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from codejury.cli import main

NEW_NAME = "gemma-2-9b-it-SPPO"
LEADERBOARD = {
    "GPT 4o (Aug 2024)": {
        "link": "https://example.org/gpt-4o",
        "open-data": "NONE",
        "pass@1": {"humaneval": 93.0, "humaneval+": 90.0, "mbpp": None, "mbpp+": None},
        "prompted": True,
        "size": None,
    },
    NEW_NAME: {
        "link": "https://example.org/sppo",
        "open-data": "NONE",
        "pass@1": {"humaneval": 70.0, "humaneval+": 64.0, "mbpp": None, "mbpp+": None},
        "prompted": True,
        "size": 9.0,
    },
}


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CODEJURY_DB", str(tmp_path / "runs.db"))
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("CODEJURY_CONFIG", raising=False)
    (tmp_path / "results.json").write_text(json.dumps(LEADERBOARD), encoding="utf-8")
    return tmp_path


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    assert main([*args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_import_reports_unmatched_names_with_mapping_lines(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["catalog", "import", str(env / "results.json"), "--as-of", "2025-06-01"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "(evalplus): 2 records" in out
    assert "1 by mapping" in out and "1 unmatched" in out
    assert f"'{NEW_NAME}': maybe gemma-2-9b-it-simpo" in out
    assert f'[evalplus] "{NEW_NAME}" = "gemma-2-9b-it-simpo"' in out
    shown = run_json(capsys, "catalog", "show")
    assert [i["kind"] for i in shown["imports"]] == ["evalplus"]
    assert shown["imports"][0]["unmatched"] == [NEW_NAME]


def test_imported_facts_reach_the_report_and_show(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["catalog", "import", str(env / "results.json"), "--as-of", "2025-06-01"]) == 0
    capsys.readouterr()
    facts = run_json(capsys, "catalog", "show", "gpt-4o-2024-08-06")["facts"]
    plus = [f for f in facts if f["field"] == "humaneval+.pass@1"]
    # Both facts are kept, the newer (the import) first; nothing is averaged.
    assert [f["value"] for f in plus] == [90.0, 87.2]
    assert plus[0]["source"].startswith("results.json (sha256:")
    assert main(["report", "-f", "json", "--draws", "500", "--models", "gpt-4o-2024-08-06"]) == 0
    doc = json.loads(capsys.readouterr().out)
    (candidate,) = doc["candidates"]
    assert candidate["quality"]["value"] == 90.0
    assert candidate["quality"]["mark"] | {"note": None} == {
        "origin": "public",
        "source": plus[0]["source"],
        "as_of": "2025-06-01",
        "note": None,
    }
    assert any(s.get("part") == "import" for s in doc["meta"]["catalog_sources"])


def test_reimport_with_a_mapping_replaces_the_earlier_import(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = str(env / "results.json")
    first = run_json(capsys, "catalog", "import", path, "--as-of", "2025-06-01")
    assert first["unmatched"] == [NEW_NAME]
    assert first["mapping_lines"][NEW_NAME][0].startswith("[evalplus]\n")
    mapping = env / "my-mapping.toml"
    mapping.write_text(f'[evalplus]\n"{NEW_NAME}" = "gemma-2-9b-it"\n', encoding="utf-8")
    second = run_json(
        capsys, "catalog", "import", path, "--as-of", "2025-06-01", "--mapping", str(mapping)
    )
    assert second["unmatched"] == []
    assert second["replaces"] == [first["run_id"]]
    shown = run_json(capsys, "catalog", "show")
    assert [i["run_id"] for i in shown["imports"]] == [second["run_id"]]
    gemma = run_json(capsys, "catalog", "show", "gemma-2-9b-it")["facts"]
    assert any(f["field"] == "humaneval+.pass@1" and f["value"] == 64.0 for f in gemma)
    # The orphan key of the first import is gone with it.
    assert main(["catalog", "show", f"evalplus:{NEW_NAME}"]) == 3
    capsys.readouterr()


def test_user_errors(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["catalog", "show", "gpt-4o-2024-08-07"]) == 3
    err = " ".join(capsys.readouterr().err.split())
    assert "no model 'gpt-4o-2024-08-07'" in err and "gpt-4o-2024-08-06" in err
    broken = env / "broken.json"
    broken.write_text('{"GPT 4o (Aug 2024)": {"pass@1": ', encoding="utf-8")
    assert main(["catalog", "import", str(broken)]) == 3
    err = " ".join(capsys.readouterr().err.split())
    assert f"{broken}: line 1, column" in err and "not valid JSON" in err
    assert main(["catalog", "import", str(env / "results.json"), "--kind", "pdf"]) == 3
    assert "unknown catalog file kind" in capsys.readouterr().err
    assert main(["catalog", "import", str(env / "missing.json")]) == 3
    assert "cannot read" in capsys.readouterr().err
