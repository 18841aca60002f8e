"""`codejury cost` end to end: the seed's worked example, token sizes measured from a stored eval
run, self-hosted throughput from a stored perf run (a real fake server under load), break-even,
price sources and overrides, the 3:1 fallback, and workload-file errors with file:line.

Expected figures are worked out here by hand from the inputs, not read back from codejury.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from codejury.cli import main
from codejury.store import Store

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "perf"))
from fake_llm_server import FakeLLMServer, Speed

pytestmark = pytest.mark.timeout(300)
MINI = "openai/gpt-4o-mini"
SEED = ("--requests-per-day", "10000", "--input-tokens", "500", "--output-tokens", "200")
# The mock model answers HumanEval/0 correctly and the rest with its default (wrong) answer.
CONFIG = '''
[models.mocky]
provider = "mock"
model = "x"
prices = {{ input = 0.15, output = 0.60 }}

[models.mocky.responses]
"def has_close_elements" = """
Here it is:
```python
from typing import List


def has_close_elements(numbers: List[float], threshold: float) -> bool:
    for i, a in enumerate(numbers):
        for j, b in enumerate(numbers):
            if i != j and abs(a - b) < threshold:
                return True
    return False
```
"""

[models.slow]
provider = "vllm"
model = "fake-coder"
base_url = "{url}"
'''


@dataclass
class Ran:
    code: int
    out: str
    err: str

    @property
    def json(self) -> dict[str, Any]:
        return dict(json.loads(self.out.strip().splitlines()[-1]))


def run(capsys: pytest.CaptureFixture[str], *args: str) -> Ran:
    code = main(list(args))
    captured = capsys.readouterr()
    return Ran(code, captured.out, captured.err)


@dataclass(frozen=True)
class History:
    """A store holding a real eval run, a later dry run, and a perf run."""

    root: Path
    eval_run: dict[str, Any]
    dry_run_id: str
    perf_run: dict[str, Any]


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory, shared_data_dir: Path) -> Iterator[History]:
    root = tmp_path_factory.mktemp("cost-history")
    # 50 ms per answer, 4 tokens each, at most 2 answers at once: ~160 tokens/s from
    # concurrency 2 on, with queueing (p95 ~200 ms) at concurrency 8.
    server = FakeLLMServer(Speed(ttft_s=0.05, tokens=4, capacity=2)).start_in_thread()
    (root / "codejury.toml").write_text(CONFIG.format(url=server.url), encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CODEJURY_DB", str(root / "runs.db"))
        patch.delenv("CODEJURY_CONFIG", raising=False)
        patch.chdir(root)
        for extra in ((), ("--dry-run",)):
            args = ["eval", "-m", "mocky", "--limit", "3", "--data-dir", str(shared_data_dir)]
            assert main([*args, *extra, "--json"]) == 0
        perf = ["perf", "-m", "slow", "--concurrency", "1,2,8", "--duration", "1.5s"]
        assert main([*perf, "--warmup", "0.3s", "--prompts", "synthetic:30/4", "--json"]) == 0
    server.stop()
    with Store.open(str(root / "runs.db")) as store:
        (perf_run,) = store.list_runs(kind="perf")
        dry, real = store.list_runs(kind="eval")
    assert (dry.spec.get("dry_run"), real.spec.get("dry_run")) == (True, False)  # dry is newer
    assert real.summary is not None and perf_run.summary is not None
    yield History(root, real.summary | {"run_id": real.id}, dry.id, perf_run.summary)


@pytest.fixture
def env(history: History, monkeypatch: pytest.MonkeyPatch) -> History:
    monkeypatch.setenv("CODEJURY_DB", str(history.root / "runs.db"))
    monkeypatch.setenv("COLUMNS", "1000")
    monkeypatch.delenv("CODEJURY_CONFIG", raising=False)
    monkeypatch.chdir(history.root)
    return history


def test_seed_example_reproduced_with_price_source_and_date(
    env: History, capsys: pytest.CaptureFixture[str]
) -> None:
    ran = run(capsys, "cost", "-m", MINI, *SEED, "--json")
    assert ran.code == 0, ran.err
    doc = ran.json
    assert doc["workload"]["requests_per_month"] == 300_000
    (row,) = doc["models"]
    assert row["tokens"] == {
        "input": 500,
        "output": 200,
        "source": "workload (--input-tokens, --output-tokens)",
    }
    # 300,000 requests × 500 tokens × $0.15/1M and × 200 tokens × $0.60/1M.
    api = row["api"]
    assert api["input_usd_per_month"] == pytest.approx(22.50)
    assert api["output_usd_per_month"] == pytest.approx(36.00)
    assert api["usd_per_month"] == pytest.approx(58.50)
    assert api["per_request_usd"] == pytest.approx(0.000195)
    price = row["price"]
    assert (price["input_per_m"], price["output_per_m"]) == (0.15, 0.60)
    assert price["source"].startswith("https://") and price["as_of"]
    with Store.open() as store:
        record = store.get_run(doc["run_id"])
    assert (record.kind, record.status) == ("cost", "finished")
    assert record.summary == {k: v for k, v in doc.items() if k != "run_id"}
    text = run(capsys, "cost", "-m", MINI, *SEED)
    assert text.code == 0, text.err
    for figure in ("$22.50", "$36.00", "$58.50", "300,000 requests/month"):
        assert figure in text.out
    assert f"source: {price['source']}, as of {price['as_of']}" in text.out


def test_workload_file_and_self_hosted_break_even(
    env: History, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workload = tmp_path / "workload.toml"
    workload.write_text(
        "requests_per_day = 10000\ninput_tokens = 500\noutput_tokens = 200\n\n"
        "[self_hosted]\ngpu_hourly_usd = 2.50\ngpus = 1\n",
        encoding="utf-8",
    )
    ran = run(
        capsys, "cost", "-m", MINI, "--workload", str(workload), "--tokens-per-second", "1000",
        "--json",
    )  # fmt: skip
    assert ran.code == 0, ran.err
    (row,) = ran.json["models"]
    assert row["api"]["usd_per_month"] == pytest.approx(58.50)
    assert row["tokens"]["source"] == f"workload ({workload}:2, {workload}:3)"
    hosted = row["self_hosted"]
    assert hosted["usd_per_month"] == pytest.approx(2.50 * 730)  # $1,825
    assert hosted["per_m_output_tokens_usd"] == pytest.approx(2.50 / (1000 * 3600) * 1e6)
    assert hosted["capacity_requests_per_day"] == pytest.approx(1000 * 86400 / 200)
    assert hosted["deployments_needed"] == 1
    (pair,) = ran.json["break_even"]
    per_request = (500 * 0.15 + 200 * 0.60) / 1e6
    assert pair["requests_per_day"] == pytest.approx(1825 / (30 * per_request))  # ≈ 311,966
    assert pair["within_capacity"] is True


def test_token_sizes_measured_from_the_newest_real_eval_run(
    env: History, capsys: pytest.CaptureFixture[str]
) -> None:
    ran = run(capsys, "cost", "-m", "mocky", "--requests-per-day", "1000", "--json")
    assert ran.code == 0, ran.err
    (row,) = ran.json["models"]
    gen = env.eval_run["generation"]
    per_answer_in = gen["input_tokens"] / gen["completions"]
    per_answer_out = gen["output_tokens"] / gen["completions"]
    assert row["tokens"]["input"] == pytest.approx(per_answer_in)
    assert row["tokens"]["output"] == pytest.approx(per_answer_out)
    # The newer dry run (reference solutions, not the model's answers) is not used.
    assert env.eval_run["run_id"][:12] in row["tokens"]["source"]
    assert env.dry_run_id[:12] not in json.dumps(row)
    monthly = 1000 * 30 * (per_answer_in * 0.15 + per_answer_out * 0.60) / 1e6
    assert row["api"]["usd_per_month"] == pytest.approx(monthly)
    assert row["price"]["source"] == "codejury.toml: models.mocky"
    # Cost per solved task: the run's tokens at the price, over pass@1 × tasks (1 of 3).
    solved = row["cost_per_solved"]
    assert solved["solved"] == pytest.approx(1.0) and solved["tasks"] == 3
    run_usd = (gen["input_tokens"] * 0.15 + gen["output_tokens"] * 0.60) / 1e6
    assert solved["api_usd"] == pytest.approx(run_usd)
    assert solved["run_id"] == env.eval_run["run_id"]


def test_self_hosted_throughput_read_from_the_perf_run_at_the_latency_target(
    env: History, capsys: pytest.CaptureFixture[str]
) -> None:
    levels = {lv["concurrency"]: lv for lv in env.perf_run["levels"]}
    assert levels[8]["latency"]["p95_s"] > 0.12 > levels[2]["latency"]["p95_s"]
    args = ("cost", "-m", MINI, "-m", "slow", *SEED, "--gpu-hourly", "2.5", "--gpus", "2")
    ran = run(capsys, *args, "--p95-target", "120ms", "--json")
    assert ran.code == 0, ran.err
    api_row, slow_row = ran.json["models"]
    assert api_row["self_hosted"] is None  # no perf run of the API model
    assert slow_row["api"] is None and slow_row["own_hardware"] is True
    hosted = slow_row["self_hosted"]
    tokens_per_s = levels[2]["output_tokens_per_s"]  # the best level within 120 ms
    assert hosted["output_tokens_per_s"] == pytest.approx(tokens_per_s)
    assert "concurrency 2" in hosted["throughput_source"]
    assert hosted["usd_per_month"] == pytest.approx(2.5 * 2 * 730)
    assert hosted["per_m_output_tokens_usd"] == pytest.approx(5.0 / (tokens_per_s * 3600) * 1e6)
    capacity = tokens_per_s * 86400 / 200
    assert hosted["capacity_requests_per_day"] == pytest.approx(capacity)
    (pair,) = ran.json["break_even"]
    assert (pair["api_model"], pair["self_hosted_model"]) == (MINI, "slow")
    assert pair["requests_per_day"] == pytest.approx(3650 / (30 * 0.000195))
    assert pair["within_capacity"] is False  # ~160 tokens/s serves far less than that
    text = run(capsys, *args, "--p95-target", "120ms")
    assert "never: the API is cheaper per request even at full load" in text.out
    # A looser target admits concurrency 8 too: the best throughput of all levels.
    loose = run(capsys, *args, "--p95-target", "5s", "--json").json["models"][1]
    best = max(lv["output_tokens_per_s"] for lv in levels.values())
    assert loose["self_hosted"]["output_tokens_per_s"] == pytest.approx(best)
    # A target no level meets: no self-hosted figure, and a note saying why.
    none = run(capsys, *args, "--p95-target", "1ms", "--json").json["models"][1]
    assert none["self_hosted"] is None
    assert any("no level kept p95 latency within 1 ms" in n for n in none["notes"])


def test_throughput_from_a_run_of_another_model_is_refused(
    env: History, capsys: pytest.CaptureFixture[str]
) -> None:
    with Store.open() as store:
        perf_id = store.list_runs(kind="perf")[0].id
    ran = run(capsys, "cost", "-m", MINI, "--throughput-from", perf_id[:8])
    assert ran.code == 2
    assert "measured slow, which is not among the models given" in ran.err


def test_fallback_blend_and_price_override(
    env: History, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ran = run(capsys, "cost", "-m", MINI, "--requests-per-day", "1000", "--json")
    (row,) = ran.json["models"]
    assert row["tokens"]["input"] is None and row["api"]["usd_per_month"] is None
    assert row["api"]["blended_per_m_usd"] == pytest.approx((3 * 0.15 + 0.60) / 4)
    assert any("3:1 input:output blend" in note for note in row["notes"])
    # A total per request is split 3:1 when no run measured the split.
    workload = tmp_path / "w.toml"
    workload.write_text("requests_per_day = 1000\ntokens_per_request = 700\n", encoding="utf-8")
    split = run(capsys, "cost", "-m", MINI, "--workload", str(workload), "--json").json
    assert (split["models"][0]["tokens"]["input"], split["models"][0]["tokens"]["output"]) == (
        525,
        175,
    )
    # A codejury.toml override wins over the catalog and shows its own source and date.
    config = tmp_path / "codejury.toml"
    config.write_text(
        f'[prices."{MINI}"]\ninput = 0.10\noutput = 0.40\nsource = "our contract"\n'
        'as_of = "2026-10-01"\n',
        encoding="utf-8",
    )
    over = run(capsys, "cost", "-m", MINI, *SEED, "--config", str(config))
    assert over.code == 0, over.err
    assert "source: our contract, as of 2026-10-01" in over.out
    assert "$15.00" in over.out and "$24.00" in over.out and "$39.00" in over.out


@pytest.mark.parametrize(
    ("text", "line", "says"),
    [
        ("requests_per_day = 10\nrequest_per_day = 5\n", 2, "did you mean 'requests_per_day'"),
        ("input_tokens = 500\n\n[self_hosted]\ngpus = 1.5\n", 4, "gpus must be a whole number"),
        ("[self_hosted]\ngpu_hourly_usd = -2\n", 2, "gpu_hourly_usd must be zero or more"),
        ('output_tokens = "two hundred"\n', 1, "output_tokens must be a number"),
        ("input_tokens = 5\ntokens_per_request = 700\n", 2, "not both"),
        ("requests_per_day = \n", 1, "invalid TOML"),
        ("self_hosted = 3\n", 1, "self_hosted must be a table"),
    ],
)
def test_workload_file_errors_name_file_and_line(
    env: History,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    text: str,
    line: int,
    says: str,
) -> None:
    workload = tmp_path / "workload.toml"
    workload.write_text(text, encoding="utf-8")
    ran = run(capsys, "cost", "-m", MINI, "--workload", str(workload))
    assert ran.code == 2
    assert f"{workload}:{line}" in ran.err and says in ran.err


def test_missing_workload_file_and_no_model(
    env: History, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ran = run(capsys, "cost", "-m", MINI, "--workload", str(tmp_path / "nope.toml"))
    assert ran.code == 2 and "--workload: file" in ran.err and "not found" in ran.err
    assert run(capsys, "cost").code == 2


def test_tokens_per_second_for_one_model_or_all(
    env: History, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ("cost", "-m", MINI, "-m", "mocky", *SEED, "--gpu-hourly", "1")
    one = run(capsys, *args, "--tokens-per-second", "mocky=500", "--json")
    assert one.code == 0, one.err
    mini, mocky = one.json["models"]
    assert mini["self_hosted"] is None
    assert mocky["self_hosted"]["output_tokens_per_s"] == 500
    assert mocky["self_hosted"]["per_m_output_tokens_usd"] == pytest.approx(1 / (500 * 3600) * 1e6)
    both = run(capsys, *args, "--tokens-per-second", "250", "--json").json["models"]
    assert [m["self_hosted"]["output_tokens_per_s"] for m in both] == [250, 250]
    for bad in ("other=5", "fast", "mocky=-1"):
        ran = run(capsys, *args, "--tokens-per-second", bad)
        assert ran.code == 2 and "--tokens-per-second:" in ran.err
