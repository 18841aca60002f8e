"""The human check: blind arena battles between the finalists, and their ratings.

The finalists are the top ``[human] finalists`` models on the decision matrix over the figures
so far (without a human rating); the rest are eliminated with their rank. Then:

* ``mode = "wait"``: the finalists' benchmark answers join the arena's pool and one battle is
  opened per common prompt and pair of finalists; until ``votes_needed`` votes between
  finalists exist the stage is *pending*: ``codejury select`` prints the ``codejury arena
  serve`` command and stops (exit 0), and running it again continues.
* ``mode = "import"``: the votes are those of a FastChat clean-battle file (``votes_file``)
  between two finalists; they are also imported into the store under the source
  ``select:<file name>``.

In ``wait`` mode every human vote between two finalists in the store counts, whatever its
source (arena votes, imported files); LLM-judge verdicts do not. The ratings are a Bradley–Terry fit of those
votes (:func:`codejury.arena.ratings.fit_ratings`), on the Elo scale with 95 % intervals.
"""

from __future__ import annotations

import itertools
import random
import shlex
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

from codejury.arena.pool import add_runs
from codejury.arena.ratings import fit_ratings
from codejury.arena.ratings_input import Battle as RatedBattle
from codejury.arena.ratings_input import VoteTable
from codejury.arena.votes import JUDGE_PREFIX, collect, read_records, to_imported
from codejury.errors import DataError
from codejury.report.selection import DecisionMatrix
from codejury.select.choice import decision_weights, quality_key
from codejury.select.figures import candidates, figure, merged
from codejury.select.sections import Human
from codejury.select.stages import Context, StageResult

MAX_BATTLES_PER_PAIR = 200
"""Battles opened per pair of finalists (one per common prompt, at most this many)."""


def human_stage(ctx: Context, entering: Sequence[str]) -> StageResult:
    """Pick the finalists, gather human votes between them, rate them (module docstring)."""
    section = ctx.config.human
    if section is None or section.mode == "skip":
        note = 'no human check ([human] absent or mode = "skip")'
        return StageResult("skipped", list(entering), notes=[note])
    if len(entering) < 2:
        return StageResult(
            "skipped", list(entering), notes=["fewer than two models left: nothing to compare"]
        )
    result = _finalists(ctx, entering, section.finalists)
    finalists = result.kept
    if section.mode == "import":
        votes = _import(ctx, section, result)
    else:
        result.extra["battles"] = _open_battles(ctx, finalists)
        votes = _votes_between(ctx, finalists)
    have = len(votes)
    result.extra["votes"] = {
        "counted": have,
        "needed": section.votes_needed,
        "sources": dict(Counter(b.source for b in votes)),
    }
    if have < section.votes_needed:
        result.status = "pending"
        result.extra["missing"] = section.votes_needed - have
        result.extra["message"] = _waiting(ctx, section, have)
        if section.mode == "wait":
            result.extra["command"] = _serve_command(ctx)
        return result
    fit = fit_ratings(VoteTable.from_battles(votes, origin="votes between the finalists"))
    for rating in fit.ratings:
        result.figures[rating.model] = {
            "human": figure(
                rating.rating,
                "measured",
                f"{have} human votes between the finalists",
                f"Bradley–Terry rating (Elo scale, 95 % interval) from {rating.votes} votes",
                (rating.low, rating.high),
            )
        }
    result.extra["ratings"] = [r.as_dict() for r in fit.ratings]
    result.notes.extend(fit.notes)
    return result


def _finalists(ctx: Context, entering: Sequence[str], count: int) -> StageResult:
    result = StageResult("done", list(entering))
    if len(entering) <= count:
        return result
    made = candidates(entering, merged(ctx.earlier.values()), quality_key(ctx.earlier, ctx.config))
    try:
        ranking = DecisionMatrix(decision_weights(ctx.config, human=False)).rank(made)
    except DataError:
        result.kept = list(entering[:count])
        result.notes.append("no figure to rank by: the first models listed are the finalists")
        for ref in entering[count:]:
            result.eliminated[ref] = [f"not among the {count} finalists (listed later)"]
        return result
    cut = ranking.rows[count - 1].score
    result.kept = [row.key for row in ranking.rows[:count]]
    for row in ranking.rows[count:]:
        result.eliminated[row.key] = [
            f"not among the {count} finalists: ranked {row.rank} of {len(ranking.rows)} before "
            f"the human check (score {row.score:.2f}; the last finalist scored {cut:.2f})"
        ]
    result.kept = [m for m in entering if m in result.kept]
    return result


def _import(ctx: Context, section: Human, result: StageResult) -> list[RatedBattle]:
    # The file's votes are stored (so `codejury arena ratings` sees them too), but only they
    # count here: an earlier version of the same file must not vote again.
    assert section.votes_file is not None
    records = read_records(section.votes_file)
    label = f"select:{section.votes_file.name}"
    battles = to_imported(records, str(section.votes_file), label)
    added = ctx.store.arena.add_imported(battles)
    result.extra["imported"] = {"file": str(section.votes_file), "new": added, "source": label}
    chosen = set(result.kept)
    return [
        RatedBattle(b.model_a, b.model_b, b.winner, float(b.record.get("weight", 1.0)), label)
        for b in battles
        if {b.model_a, b.model_b} <= chosen
    ]


def _open_battles(ctx: Context, finalists: Sequence[str]) -> dict[str, Any]:
    bench = ctx.earlier.get("benchmarks", {}).get("figures", {})
    run_ids = [
        record["run_id"]
        for ref in finalists
        for record in bench.get(ref, {}).get("benchmark_runs", {}).values()
    ]
    report = add_runs(ctx.store, run_ids, ctx.settings.data_dir)
    answers: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for c in ctx.store.arena.pool.candidates():
        if c.model in finalists:
            answers[c.model][c.prompt_id].append(c.answer_id)
    # Seeded by the finalists, so a re-run re-finds the same battles rather than new ones.
    rng = random.Random("\n".join(sorted(finalists)))
    opened = 0
    for a, b in itertools.combinations(sorted(finalists), 2):
        common = sorted(set(answers[a]) & set(answers[b]))[:MAX_BATTLES_PER_PAIR]
        for prompt in common:
            pair = (answers[a][prompt][0], answers[b][prompt][0])
            first, second = pair if rng.random() < 0.5 else pair[::-1]
            ctx.store.arena.battles.get_or_create(first, second)
            opened += 1
    return {"runs": report.runs, "answers_added": report.added, "flagged": report.flagged,
            "opened": opened}  # fmt: skip


def _votes_between(ctx: Context, finalists: Sequence[str]) -> list[RatedBattle]:
    chosen = set(finalists)
    return [
        b
        for b in collect(ctx.store)
        if not b.source.startswith(JUDGE_PREFIX) and {b.model_a, b.model_b} <= chosen
    ]


def _waiting(ctx: Context, section: Human, have: int) -> str:
    missing = section.votes_needed - have
    text = (
        f"waiting for {missing} more vote{'s' if missing != 1 else ''} between the finalists "
        f"({have} of the {section.votes_needed} needed)"
    )
    if section.mode == "import":
        text += f'; {section.votes_file} has too few: add votes to it, or use mode = "wait"'
    return text


def _serve_command(ctx: Context) -> str:
    parts = ["codejury", "arena", "serve", "--db", ctx.store.location]
    if ctx.settings.data_dir is not None:
        parts += ["--data-dir", str(ctx.settings.data_dir)]
    if ctx.settings.source is not None:
        parts += ["--config", str(ctx.settings.source)]
    return shlex.join(parts)
