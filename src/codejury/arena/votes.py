"""Votes from every source as battles for the ratings, and FastChat "clean battle" JSON in/out.

Sources: ``human`` (votes cast in the arena), ``judge:<model>`` (one verdict per battle from
an LLM judge: see :mod:`codejury.arena.judge`) and the label given to imported files
(``imported`` by default).

The export is a JSON list in FastChat's clean-battle shape (``model_a``, ``model_b``,
``winner``, ``judge``, ``tstamp``, ``question_id``, ``turn``, ``anony``, and
``conversation_a``/``conversation_b`` with the prompt and each answer), plus codejury's own
``source`` and ``battle_id``. Voters appear by opaque id, never by name.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from codejury.arena.judge import combined_verdicts
from codejury.arena.ratings_input import Battle as RatedBattle
from codejury.arena.ratings_input import VoteTable
from codejury.arena.ratings_tables import execution_battles
from codejury.errors import DataError
from codejury.store import Store
from codejury.store.arena_records import WINNER_OF_CHOICE, Battle, ImportedBattle

HUMAN = "human"
IMPORTED = "imported"
EXECUTION = "execution"
"""Battles from test results: on a task, the model whose answer passed beats one that failed."""
JUDGE_PREFIX = "judge:"


def collect(store: Store, sources: Iterable[str] | None = None) -> list[RatedBattle]:
    """Every vote of the chosen sources as a battle for the ratings, source by source.

    Args:
        store: The store.
        sources: Source labels to keep (``human``, ``judge:<model>``, imported labels, or
            ``judge`` for every judge); all when None.

    Returns:
        The battles, each source in the order its votes were made.
    """
    wanted = None if sources is None else set(sources)

    def keep(label: str) -> bool:
        if wanted is None or label in wanted:
            return True
        return label.startswith(JUDGE_PREFIX) and "judge" in wanted

    battles: list[RatedBattle] = []
    if keep(HUMAN):
        for a, b, winner in store.arena.battles.outcomes():
            battles.append(RatedBattle(a, b, winner, source=HUMAN))
    for imported in store.arena.imported():
        if keep(imported.source):
            battles.append(
                RatedBattle(
                    imported.model_a, imported.model_b, imported.winner, source=imported.source
                )
            )
    judgements = store.arena.judgements()
    models = store.arena.battle_models([j.battle_id for j in judgements])
    for verdict in combined_verdicts(judgements):
        label = JUDGE_PREFIX + verdict.judge_model
        pair = models.get(verdict.battle_id)
        if pair is None or not keep(label):
            continue
        winner = WINNER_OF_CHOICE[verdict.choice]
        battles.append(
            RatedBattle(str(pair["model_a"]), str(pair["model_b"]), winner, source=label)
        )
    # Test results are evidence, not votes: they join a fit only when asked for by name.
    if wanted is not None and EXECUTION in wanted:
        battles.extend(execution_battles(_passes_by_model(store), source=EXECUTION))
    return battles


def _passes_by_model(store: Store) -> dict[str, dict[str, bool]]:
    """``passed[model][task]`` from the scored runs in the arena pool (newest run per model).

    A task counts as passed when the model's first answer passed every test set it was
    scored on (base and plus for EvalPlus benchmarks).
    """
    runs = [store.get_run(run_id) for run_id in store.arena.pool.run_ids()]
    passed: dict[str, dict[str, bool]] = {}
    for run in sorted(runs, key=lambda r: r.created_at, reverse=True):
        model = str(run.spec.get("model") or "")
        if not model or model in passed:
            continue
        parts: dict[str, list[bool]] = {}
        for verdict in store.run_verdicts(run.id):
            if verdict.index == 0:
                parts.setdefault(verdict.task_id, []).append(verdict.status == "pass")
        if parts:
            passed[model] = {task: all(ok) for task, ok in parts.items()}
    return passed


def sources_of(store: Store) -> list[str]:
    """Every source label with at least one vote (execution battles are not votes)."""
    return list(dict.fromkeys(b.source for b in collect(store) if b.source != EXECUTION))


def _tstamp(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


def _conversation(battle: Battle, side: str) -> list[dict[str, str]]:
    answer = battle.answer_a if side == "a" else battle.answer_b
    return [
        {"role": "user", "content": battle.prompt.text},
        {"role": "assistant", "content": answer.text},
    ]


def export_records(
    store: Store, sources: Iterable[str] | None = None, *, conversations: bool = True
) -> list[dict[str, Any]]:
    """Votes as FastChat clean-battle records: human votes, then imported, then judge ones.

    Args:
        store: The store.
        sources: Source labels to export (as for :func:`collect`); only ``human`` when None.
        conversations: Include ``conversation_a``/``conversation_b`` (prompt and answers) in
            human and judge records.
    """
    wanted = {HUMAN} if sources is None else set(sources)
    cache: dict[str, Battle | None] = {}

    def with_conversations(record: dict[str, Any], battle_id: str) -> dict[str, Any]:
        if conversations:
            if battle_id not in cache:
                cache[battle_id] = store.arena.battles.get(battle_id)
            battle = cache[battle_id]
            if battle is not None:
                record["conversation_a"] = _conversation(battle, "a")
                record["conversation_b"] = _conversation(battle, "b")
        return record

    records = []
    if HUMAN in wanted:
        for row in store.arena.battles.votes():
            vote = row.vote
            record: dict[str, Any] = {
                "question_id": row.prompt_id,
                "model_a": row.model_a,
                "model_b": row.model_b,
                "winner": row.winner,
                "judge": f"arena_user_{vote.voter_id}",
                "turn": 1,
                "anony": True,
                "tstamp": _tstamp(vote.created_at),
                "source": HUMAN,
                "battle_id": vote.battle_id,
            }
            records.append(with_conversations(record, vote.battle_id))
    for imported in store.arena.imported():
        if imported.source in wanted:
            records.append(imported.record | {"source": imported.source})
    judgements = store.arena.judgements()
    stamps = {(j.battle_id, j.judge_model): j.created_at for j in judgements}
    battles = store.arena.battle_models([j.battle_id for j in judgements])
    for verdict in combined_verdicts(judgements):
        label = JUDGE_PREFIX + verdict.judge_model
        facts = battles.get(verdict.battle_id)
        if facts is None or not (label in wanted or "judge" in wanted):
            continue
        stamp = stamps.get((verdict.battle_id, verdict.judge_model))
        record = {
            "question_id": facts["prompt_id"],
            "model_a": facts["model_a"],
            "model_b": facts["model_b"],
            "winner": WINNER_OF_CHOICE[verdict.choice],
            "judge": verdict.judge_model,
            "turn": 1,
            "anony": True,
            "tstamp": None if stamp is None else _tstamp(stamp),
            "source": label,
            "battle_id": verdict.battle_id,
            "orders_agreed": verdict.agreed,
        }
        records.append(with_conversations(record, verdict.battle_id))
    return records


def read_records(path: Path) -> list[Any]:
    """The records of a FastChat battle file: a JSON list, or one JSON object per line.

    Raises:
        DataError: The file cannot be read or is not JSON (the message names file and line).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot read: {exc}") from exc
    if text.lstrip().startswith("["):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DataError(f"{path}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}") from exc
        return list(data)
    records = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise DataError(
                f"{path}:{number}: not valid JSON: {exc.msg}",
                hint="a clean-battle file is a JSON list, or one JSON object per line",
            ) from exc
    return records


def to_imported(
    records: Sequence[Any], origin: str, source: str = IMPORTED
) -> list[ImportedBattle]:
    """Validate FastChat records and key them so that importing a file twice adds nothing.

    Every record gets the label ``source``, whatever its own ``source`` key says: a file of
    this arena's own export imported back must not count as this arena's human votes.

    Args:
        records: The records, in file order.
        origin: The file, for error messages.
        source: Source label of the imported votes.

    Raises:
        DataError: A record is invalid or there are none (the message names its index).
    """
    # The ratings' own reader checks every record (models, winner, weight, source) and names
    # the bad one; nothing is stored unless all pass.
    VoteTable.from_records(records, origin=origin, default_source=source)
    seen: dict[str, int] = {}
    battles = []
    for record in records:
        digest = hashlib.sha256(
            json.dumps(record, sort_keys=True, ensure_ascii=False).encode()
        ).hexdigest()[:32]
        # Identical records in one file are distinct votes: number them.
        seen[digest] = seen.get(digest, 0) + 1
        battles.append(
            ImportedBattle(
                key=f"{digest}#{seen[digest]}",
                model_a=record["model_a"],
                model_b=record["model_b"],
                winner=record["winner"],
                source=source,
                record=record,
            )
        )
    return battles
