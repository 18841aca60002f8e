"""The fields a catalog fact may carry, with the type and unit of each value.

A field name says what was measured or stated, e.g. ``humaneval+.pass@1`` or
``price.input_per_m``. Fixed names are listed in :data:`FIELDS`; two families are open-ended
patterns (any benchmark's ``<benchmark>.pass@<k>``, any Arena category's
``arena.<category>.rating|q025|q975``). Importers and the CSV format check every value here, so a
typo in a file is reported where it is, not discovered later as a wrong chart.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from typing import Literal

FactValue = str | float | bool
"""A fact's value: a number (float), a flag (bool) or text (str). Dates are ISO text."""

ValueType = Literal["percent", "number", "price", "bool", "text", "date"]


@dataclass(frozen=True)
class FieldSpec:
    """What one field means and how its value is checked.

    Attributes:
        name: The field name, or a pattern shown as e.g. ``<benchmark>.pass@<k>``.
        type: ``percent`` (a number from 0 to 100), ``number`` (any finite number),
            ``price`` (a number >= 0), ``bool``, ``text`` or ``date`` (ISO ``YYYY[-MM[-DD]]``).
        description: One line for documentation and error hints.
    """

    name: str
    type: ValueType
    description: str


FIELDS: dict[str, FieldSpec] = {
    spec.name: spec
    for spec in (
        FieldSpec("organization", "text", "who made the model"),
        FieldSpec("license", "text", "the license the model is published under"),
        FieldSpec("open_weights", "bool", "whether the weights can be downloaded"),
        FieldSpec("parameters_b", "number", "total parameters, in billions"),
        FieldSpec("active_parameters_b", "number", "parameters active per token, in billions"),
        FieldSpec("release_date", "date", "when the model was released"),
        FieldSpec("knowledge_cutoff", "text", "training data cutoff, as the source writes it"),
        FieldSpec("link", "text", "the model's page"),
        FieldSpec("price.input_per_m", "price", "USD per 1M input tokens"),
        FieldSpec("price.output_per_m", "price", "USD per 1M output tokens"),
        FieldSpec("evalplus.prompted", "bool", "EvalPlus evaluated it in a chat setting"),
        FieldSpec("evalplus.open_data", "text", "EvalPlus's open-data label (NONE/Partial/Full)"),
    )
}

PATTERNS: tuple[tuple[re.Pattern[str], FieldSpec], ...] = (
    (
        re.compile(r"[a-z0-9][a-z0-9_+\-]*\.pass@[1-9][0-9]*"),
        FieldSpec("<benchmark>.pass@<k>", "percent", "pass@k in percent, e.g. humaneval+.pass@1"),
    ),
    (
        re.compile(r"arena\.[a-z0-9_]+\.(rating|q025|q975)"),
        FieldSpec(
            "arena.<category>.rating|q025|q975",
            "number",
            "LMArena rating and its 2.5%/97.5% bounds, e.g. arena.coding.rating",
        ),
    ),
)

_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")
_TRUE = {"true", "yes", "1"}
_FALSE = {"false", "no", "0"}


def spec_for(field: str) -> FieldSpec | None:
    """Return the spec of a field name, or None when the name is not a known field."""
    spec = FIELDS.get(field)
    if spec is not None:
        return spec
    for pattern, pattern_spec in PATTERNS:
        if pattern.fullmatch(field):
            return pattern_spec
    return None


def known_fields_hint() -> str:
    """A one-line list of the accepted field names, for error hints."""
    names = [*FIELDS, *(spec.name for _, spec in PATTERNS)]
    return "known fields: " + ", ".join(names)


def check_date(text: str) -> str:
    """Validate an ISO date of year, month or day precision and return it unchanged.

    Args:
        text: ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``.

    Returns:
        The same text.

    Raises:
        ValueError: If it is not such a date (including impossible ones like 2024-02-30).
    """
    match = _DATE.fullmatch(text)
    if match is None:
        raise ValueError(f"{text!r} is not a date of the form YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = (int(part) if part else 1 for part in match.groups())
    try:
        dt.date(year, month, day)
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a real date ({exc})") from None
    return text


def coerce(field: str, raw: object) -> FactValue:
    """Check a raw value (JSON scalar or CSV text) against the field's type and convert it.

    Numbers from text are parsed with ``float``; flags accept true/false/yes/no/1/0 in any
    case. Empty text is never a value: a source that has no figure must say nothing.

    Args:
        field: The field name; it must be known (see :func:`spec_for`).
        raw: The value as read.

    Returns:
        A float, bool or str.

    Raises:
        ValueError: With a message that says what was wrong with the value or the field.
    """
    spec = spec_for(field)
    if spec is None:
        raise ValueError(f"unknown field {field!r}")
    if spec.type == "bool":
        return _as_bool(raw)
    if spec.type in ("text", "date"):
        if not isinstance(raw, str) or not raw.strip():
            raise ValueError(f"{field} must be non-empty text, got {raw!r}")
        text = raw.strip()
        return check_date(text) if spec.type == "date" else text
    number = _as_number(raw)
    if spec.type == "percent" and not 0.0 <= number <= 100.0:
        raise ValueError(f"{field} is a percentage from 0 to 100, got {number:g}")
    if spec.type == "price" and number < 0.0:
        raise ValueError(f"{field} is a price and cannot be negative, got {number:g}")
    return number


def _as_bool(raw: object) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in _TRUE | _FALSE:
        return raw.strip().lower() in _TRUE
    raise ValueError(f"expected true or false, got {raw!r}")


def _as_number(raw: object) -> float:
    # bool is an int subclass; a flag where a number belongs is a mistake, not 1.0.
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise ValueError(f"expected a number, got {raw!r}")
    try:
        number = float(raw)
    except ValueError:
        raise ValueError(f"expected a number, got {raw!r}") from None
    if not math.isfinite(number):
        raise ValueError(f"expected a finite number, got {raw!r}")
    return number
