"""Public evidence about models: published scores, Arena ratings, prices and metadata.

>>> from codejury.catalog import Catalog
>>> catalog = Catalog.builtin()  # offline, shipped with codejury
>>> fact = catalog.get("gpt-4o-2024-08-06", "humaneval+.pass@1")
>>> fact.value, fact.source, fact.as_of  # doctest: +SKIP
(87.2, 'evalplus/evalplus.github.io@87418456 results.json', '2024-12-26')

``import_file`` reads EvalPlus's and LMArena's published files and codejury's facts CSV; model
names are linked to canonical keys only by explicit mapping lines and exact rules
(``codejury.catalog.matching``), never by similarity.
"""

from __future__ import annotations

from codejury.catalog.fields import FIELDS, FactValue, FieldSpec, spec_for
from codejury.catalog.importing import KINDS, ImportResult, detect_kind, import_file
from codejury.catalog.matching import (
    CANONICAL_NAMESPACE,
    NameMapping,
    Resolution,
    mapping_line,
    normalise,
)
from codejury.catalog.models import Catalog, Fact, ModelEntry

__all__ = [
    "CANONICAL_NAMESPACE",
    "FIELDS",
    "KINDS",
    "Catalog",
    "Fact",
    "FactValue",
    "FieldSpec",
    "ImportResult",
    "ModelEntry",
    "NameMapping",
    "Resolution",
    "detect_kind",
    "import_file",
    "mapping_line",
    "normalise",
    "spec_for",
]
