"""Loading votes: FastChat clean-battle files, records and battles, and their errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from codejury.arena.ratings_input import Battle, VoteTable, load_fastchat_battles
from codejury.errors import ConfigError, DataError

GOOD = [
    {"model_a": "gpt", "model_b": "claude", "winner": "model_a", "anony": True, "tstamp": 1.0},
    {"model_a": "claude", "model_b": "llama", "winner": "tie (bothbad)", "judge": "u1"},
    {"model_a": "llama", "model_b": "gpt", "winner": "model_b", "conversation_a": []},
    {"model_a": "gpt", "model_b": "llama", "winner": "tie", "weight": 2, "source": "judge"},
]


def test_loads_a_clean_battle_file_ignoring_other_keys(tmp_path: Path) -> None:
    path = tmp_path / "clean_battle.json"
    path.write_text(json.dumps(GOOD))
    votes = load_fastchat_battles(path)
    assert votes.models == ("gpt", "claude", "llama")
    assert votes.sources == ("human", "judge")
    assert votes.result.tolist() == [1.0, 0.5, 0.0, 0.5]
    assert votes.weight.tolist() == [1.0, 1.0, 1.0, 2.0]
    assert [votes.models[i] for i in votes.first] == ["gpt", "claude", "llama", "gpt"]
    assert len(votes) == 4


def test_loads_json_lines(tmp_path: Path) -> None:
    path = tmp_path / "battles.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in GOOD) + "\n\n")
    votes = load_fastchat_battles(path, source="crowd")
    assert votes.sources == ("crowd", "judge") and len(votes) == 4


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"model_a": "a", "winner": "model_a"}, "record 2: missing key 'model_b'"),
        ({"model_a": "a", "model_b": "b", "winner": "a"}, "record 2: unknown winner 'a'"),
        ({"model_a": "a", "model_b": "a", "winner": "tie"}, "record 2: model 'a' plays itself"),
        ({"model_a": "a", "model_b": "b", "winner": "tie", "weight": 0}, "record 2: weight"),
        ({"model_a": "a", "model_b": "b", "winner": "tie", "weight": "1"}, "record 2: weight"),
        ({"model_a": "a", "model_b": 3, "winner": "tie"}, "record 2: model_a and model_b"),
        ({"model_a": "a", "model_b": "b", "winner": "tie", "source": ""}, "record 2: source"),
        (["a", "b", "model_a"], "record 2: expected an object, got list"),
    ],
)
def test_invalid_record_names_file_and_index(tmp_path: Path, bad: object, message: str) -> None:
    path = tmp_path / "votes.json"
    path.write_text(json.dumps([GOOD[0], GOOD[1], bad, GOOD[2]]))
    with pytest.raises(DataError) as err:
        load_fastchat_battles(path)
    assert str(path) in str(err.value) and message in str(err.value)


def test_file_level_errors(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="cannot read"):
        load_fastchat_battles(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text('[\n  {"model_a": "a",\n  oops}\n]')
    with pytest.raises(DataError, match=r"broken\.json:3:3: not valid JSON"):
        load_fastchat_battles(broken)
    lines = tmp_path / "broken.jsonl"
    lines.write_text(json.dumps(GOOD[0]) + "\n{nope\n")
    with pytest.raises(DataError, match=r"broken\.jsonl:2: not valid JSON"):
        load_fastchat_battles(lines)
    empty = tmp_path / "empty.json"
    empty.write_text("[]")
    with pytest.raises(DataError, match="no votes"):
        load_fastchat_battles(empty)


def test_battles_errors_name_the_battle_index() -> None:
    battles = [Battle("a", "b", "model_a"), Battle("a", "b", "draw")]
    with pytest.raises(DataError, match="battles: battle 1: unknown winner 'draw'"):
        VoteTable.from_battles(battles)


def test_select_and_reweight_renumber_models() -> None:
    votes = VoteTable.from_battles(
        [
            Battle("a", "b", "model_a", source="human"),
            Battle("c", "d", "model_b", source="judge"),
            Battle("b", "d", "tie", weight=3.0, source="judge"),
        ]
    )
    judge = votes.select(votes.source == 1)
    assert judge.models == ("b", "c", "d") and judge.sources == ("judge",)
    assert [judge.models[i] for i in judge.first] == ["c", "b"]
    half = votes.reweighted({"judge": 0.5})
    assert half.weight.tolist() == [1.0, 0.5, 1.5]
    dropped = votes.reweighted({"human": 0.0})
    assert len(dropped) == 2 and "a" not in dropped.models
    assert np.array_equal(dropped.result, np.array([0.0, 0.5]))
    with pytest.raises(ConfigError, match="must be >= 0"):
        votes.reweighted({"judge": -1.0})
    with pytest.raises(DataError, match="no votes selected"):
        votes.reweighted({"human": 0.0, "judge": 0.0})
