"""Helpers shared by the catalog tests: file names and small hand-made inputs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

EVALPLUS = "evalplus_leaderboard_results.json"
ARENA = "lmarena_leaderboard-text.json"
PRICES = "lmarena_scatterplot-data.json"
LMSYS = "lmsys_leaderboard_table_20250511.csv"


def write_json(path: Path, data: Any) -> Path:
    """Write ``data`` as indented JSON (so records sit on their own lines) and return the path."""
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return path


def evalplus_record(humaneval: float = 50.0, size: float | None = 7.0) -> dict[str, Any]:
    """One EvalPlus leaderboard record with the published layout."""
    return {
        "link": "https://example.org/model",
        "open-data": "NONE",
        "pass@1": {
            "humaneval": humaneval,
            "humaneval+": humaneval - 5,
            "mbpp": None,
            "mbpp+": None,
        },
        "prompted": True,
        "size": size,
    }
