"""The in-process model and ``python -m llama_cpp.server`` give the same answers.

A real llama-cpp-python server is started on the bundled GGUF with the in-process provider's
load settings, and both answer EvalPlus instruct prompts greedily. They share llama.cpp and
the chat template, so any difference would be a setting one of them applies and the other
does not; the one found is the server's default ``repeat_penalty`` of 1.1 (the in-process
provider samples without penalties, like hosted APIs), so the server is sent 1.0, as any
codejury.toml pointing at such a server should.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("llama_cpp.server.app", reason="llama-cpp-python[server] is not installed")

from codejury.cli import main
from codejury.store import Store

TASKS = ("HumanEval/0", "HumanEval/2", "HumanEval/4", "HumanEval/7", "HumanEval/12")
# The server is the session fixture `llama_server` in tests/conftest.py; `llama_models_toml`
# there defines it as model `served` and the in-process model, with its load settings, as
# `inproc`.


def _eval(capsys: pytest.CaptureFixture[str], model: str, data: Path) -> dict[str, object]:
    args = ["-m", model, "--tasks", ",".join(TASKS), "--max-tokens", "256"]
    code = main(["eval", *args, "--data-dir", str(data), "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return dict(json.loads(captured.out.strip().splitlines()[-1]))


def test_eval_through_the_server_gives_the_in_process_answers(
    llama_models_toml: str,
    shared_data_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # One config, two models: the OpenAI-compatible provider against the real server, and
    # the in-process provider with the same load settings.
    (tmp_path / "codejury.toml").write_text(llama_models_toml, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CODEJURY_CONFIG", raising=False)
    monkeypatch.setenv("CODEJURY_DB", str(tmp_path / "runs.db"))
    monkeypatch.setenv("CODEJURY_CACHE_DIR", str(tmp_path / "cache"))
    remote = _eval(capsys, "served", shared_data_dir)
    local = _eval(capsys, "inproc", shared_data_dir)
    with Store.open() as store:
        served = store.generations.of_run(str(remote["run_id"]))
        inproc = store.generations.of_run(str(local["run_id"]))
        remote_verdicts = [
            (v.task_id, v.part, v.status) for v in store.run_verdicts(str(remote["run_id"]))
        ]
        local_verdicts = [
            (v.task_id, v.part, v.status) for v in store.run_verdicts(str(local["run_id"]))
        ]
    assert [g.task_id for g in served] == [g.task_id for g in inproc] == sorted(TASKS)
    assert [g.raw_text for g in inproc] == [g.raw_text for g in served]
    assert [g.finish_reason for g in inproc] == [g.finish_reason for g in served]
    assert all(g.raw_text.strip() for g in inproc)
    assert local_verdicts == remote_verdicts
    assert local["pass_at_k"] == remote["pass_at_k"]
