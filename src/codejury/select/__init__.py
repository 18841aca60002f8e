"""``codejury select``: seed 003's model-selection funnel as a resumable pipeline.

One ``selection.toml`` drives candidates → benchmarks → thresholds → own tasks → cost →
latency → human check → choice; each stage's output (who continues, who was eliminated and
why, the figures used, the runs made) is stored in a run of kind ``select`` as it finishes.

>>> from codejury.select import SelectOptions, load_selection, run_selection  # doctest: +SKIP
>>> outcome = run_selection(load_selection(path), settings, SelectOptions())  # doctest: +SKIP
"""

from __future__ import annotations

from codejury.select.config import SelectionConfig, load_selection
from codejury.select.pipeline import (
    KIND,
    STAGES,
    SelectOptions,
    SelectOutcome,
    Stage,
    funnel,
    run_selection,
    selection_key,
)
from codejury.select.stages import Context, StageResult

__all__ = [
    "KIND",
    "STAGES",
    "Context",
    "SelectOptions",
    "SelectOutcome",
    "SelectionConfig",
    "Stage",
    "StageResult",
    "funnel",
    "load_selection",
    "run_selection",
    "selection_key",
]
