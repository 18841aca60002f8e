"""EvalPlus releases (HumanEval+, HumanEval+ Mini, MBPP+): parsing and MBPP+ input types.

JSON has no tuples, sets or complex numbers, so MBPP+ stores such arguments as lists and
strings, and EvalPlus restores them per task before calling the function
(``mbpp_deserialize_inputs`` in ``evalplus/data/mbpp.py``, v0.3.1). Scores only match
EvalPlus's if every argument has exactly the type it gets there, so the table below mirrors
that function task by task, including its quirks (noted where they occur). HumanEval+ inputs
are used as JSON gives them, as EvalPlus does.

One deliberate difference: EvalPlus sometimes turns the per-test argument list itself into
a tuple (tasks 124, 580, 615, 791). We always keep it a list: it is only unpacked into the
call (``f(*args)``), so its own type never reaches the code under test.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from codejury.datasets.humaneval import add_problem, read_records, text_field
from codejury.datasets.models import OracleFamily, Problem
from codejury.errors import DataError

# Keys both HumanEval+ files and MBPP+ have; the Mini file has no `test`, MBPP+ no `test`
# but an `assertion`, and none of those is needed for differential testing.
EVALPLUS_KEYS: tuple[str, ...] = (
    "task_id",
    "prompt",
    "entry_point",
    "canonical_solution",
    "base_input",
    "plus_input",
    "atol",
)

Convert = Callable[[Any], Any]
ArgsRule = Callable[[list[Any]], list[Any]]


def _same(value: Any) -> Any:
    return value


def _tuples_inside(value: list[Any]) -> list[Any]:
    """A list of lists becomes a list of tuples (one level)."""
    return [tuple(item) for item in value]


def _tuple_of_tuples(value: list[Any]) -> tuple[Any, ...]:
    return tuple(tuple(item) for item in value)


def _tuple_with_list_items_as_tuples(value: list[Any]) -> tuple[Any, ...]:
    return tuple(tuple(item) if isinstance(item, list) else item for item in value)


def _deep_tuple(value: Any) -> Any:
    """Every list, at any depth, becomes a tuple; dicts are left alone, as in EvalPlus."""
    if isinstance(value, list):
        return tuple(_deep_tuple(item) for item in value)
    return value


def _sets_inside(value: list[Any]) -> list[Any]:
    # EvalPlus quirk kept on purpose: an empty (or non-list) item becomes `{}`, an empty
    # *dict*, not `set()`. Task 115 ("are all dictionaries empty?") is then fed dicts.
    return [set(item) if isinstance(item, list) and item else {} for item in value]


def _dict_of_tuples(value: dict[str, Any]) -> dict[str, Any]:
    return {key: tuple(item) for key, item in value.items()}


def _each(convert: Convert) -> ArgsRule:
    """Convert every argument the same way."""
    return lambda args: [convert(arg) for arg in args]


def _positional(*converts: Convert) -> ArgsRule:
    """Convert argument i with ``converts[i]``.

    Arguments past the last converter are dropped, as EvalPlus's list building does; every
    task in the v0.2.0 release has exactly as many arguments as its rule names.
    """
    return lambda args: [convert(arg) for convert, arg in zip(converts, args, strict=False)]


def _first(convert: Convert) -> ArgsRule:
    """Convert the first argument and keep the rest unchanged."""
    return lambda args: [convert(args[0]), *args[1:]]


# MBPP+ task number -> how its argument list is restored. Some numbers (115, 143, 307, 399,
# 400, 401, 417, 438, 444, 617) are not in MBPP+ v0.2.0; EvalPlus keeps them, and so do we,
# so that older or newer releases load the same way.
# fmt: off
# (kept as a table: one line per rule reads better than one line per task number)
_MBPP_RULES: dict[int, ArgsRule] = {
    **dict.fromkeys((2, 116, 132, 143, 222, 261, 273, 394, 399, 421, 424, 429, 470, 560,
                     579, 596, 616, 630, 726, 740, 744, 809), _each(tuple)),
    **dict.fromkeys((63, 64, 70, 94, 120, 237, 272, 299, 400, 409, 417, 438, 473, 614, 780),
                    _each(_tuples_inside)),
    **dict.fromkeys((75, 413, 444, 753), _positional(_tuples_inside, _same)),
    **dict.fromkeys((106, 750), _positional(_same, tuple)),
    115: _positional(_sets_inside),
    124: _positional(float, complex),  # stored as strings: ("0", "1j")
    **dict.fromkeys((250, 405, 446, 617, 720, 763, 808), _positional(tuple, _same)),
    252: _positional(complex),  # stored as plain numbers: 1 -> (1+0j)
    **dict.fromkeys((259, 401, 445), _each(_tuple_of_tuples)),
    278: _positional(_tuple_with_list_items_as_tuples),
    307: _positional(tuple, _same, _same),
    **dict.fromkeys((580, 615, 791), _each(_deep_tuple)),
    722: _first(_dict_of_tuples),
}
# fmt: on


def _mbpp_number(task_id: str) -> int | None:
    prefix, _, number = task_id.partition("/")
    if prefix != "Mbpp" or not number.isdigit():
        return None
    return int(number)


def restore_inputs(task_id: str, inputs: list[list[Any]]) -> list[list[Any]]:
    """Give MBPP+ arguments the Python types EvalPlus gives them (tuples, sets, complex).

    Args:
        task_id: The published id; only ``Mbpp/N`` ids are changed.
        inputs: Argument lists as parsed from JSON.

    Returns:
        New argument lists; the input is not modified. Other tasks come back unchanged.
    """
    number = _mbpp_number(task_id)
    rule = _MBPP_RULES.get(number) if number is not None else None
    if rule is None:
        return inputs
    return [rule(args) for args in inputs]


def serialize_inputs(task_id: str, inputs: list[list[Any]]) -> list[list[Any]]:
    """Turn restored MBPP+ arguments back into JSON-able values for a results file.

    Mirrors EvalPlus's ``mbpp_serialize_inputs``: sets become lists (Mbpp/115) and complex
    and float arguments become their ``str`` (Mbpp/124, Mbpp/252). Tuples need nothing:
    ``json`` writes them as lists. Only ``Mbpp/N`` ids are touched; EvalPlus only calls it
    for MBPP, and without this check ``HumanEval/124`` would be mangled.

    Args:
        task_id: The published id.
        inputs: Argument lists as :func:`restore_inputs` made them.

    Returns:
        Argument lists ready for ``json.dumps``, equal to what EvalPlus writes.
    """
    number = _mbpp_number(task_id)
    if number == 115:
        return [[[list(item) for item in args[0]]] for args in inputs]
    if number == 124:
        return [[str(args[0]), str(args[1])] for args in inputs]
    if number == 252:
        return [[str(args[0])] for args in inputs]
    return inputs


def _input_lists(record: dict[str, Any], key: str, source: str, number: int) -> list[list[Any]]:
    value = record[key]
    # MBPP+ v0.2.0 stores Mbpp/793's plus_input as `{}`; EvalPlus iterates it as empty.
    if value == {}:
        return []
    if not isinstance(value, list) or not all(isinstance(args, list) for args in value):
        raise DataError(f"{source}:{number}: {key!r} must be a list of argument lists")
    return value


def _atol(record: dict[str, Any], source: str, number: int) -> float:
    value = record["atol"]
    try:
        # Accepts the int 0 of most records, floats like 1e-06, and numeric strings ("0").
        atol = float(value)
    except (TypeError, ValueError):
        raise DataError(f"{source}:{number}: 'atol' is not a number: {value!r}") from None
    if not atol >= 0:  # also rejects NaN
        raise DataError(f"{source}:{number}: 'atol' must be >= 0, got {value!r}")
    return atol


def parse_evalplus(content: bytes, source: str, family: OracleFamily) -> dict[str, Problem]:
    """Parse an EvalPlus release (HumanEval+, its Mini, or MBPP+) into problems.

    Args:
        content: The decompressed JSON Lines file.
        source: Where it came from, for error messages.
        family: ``mbpp`` restores MBPP+ argument types; ``humaneval`` keeps JSON's.

    Returns:
        Problems by task id, in file order, with base and plus inputs and ``atol``.

    Raises:
        DataError: The file is malformed.
    """
    problems: dict[str, Problem] = {}
    for number, record in read_records(content, source, EVALPLUS_KEYS):
        task_id = text_field(record, "task_id", source, number)
        base = _input_lists(record, "base_input", source, number)
        plus = _input_lists(record, "plus_input", source, number)
        if family == "mbpp":
            base = restore_inputs(task_id, base)
            plus = restore_inputs(task_id, plus)
        problem = Problem(
            task_id=task_id,
            prompt=text_field(record, "prompt", source, number),
            entry_point=text_field(record, "entry_point", source, number),
            canonical_solution=text_field(record, "canonical_solution", source, number),
            base_inputs=base,
            plus_inputs=plus,
            atol=_atol(record, source, number),
        )
        add_problem(problems, problem, source, number)
    if not problems:
        raise DataError(f"{source}: no problems in the file")
    return problems
