"""The check kinds a task can carry, and how one is read (and checked) from a task file."""

from __future__ import annotations

import ast
import json
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import jsonschema  # type: ignore[import-untyped]
from jsonschema.exceptions import SchemaError  # type: ignore[import-untyped]

from codejury.taskeval.formats import line_in
from codejury.taskeval.problems import Problems, suggest

CHECK_KINDS = ("exact", "contains", "regex", "label", "json_schema", "unit_tests", "judge")
"""Every check kind, in the order reports list them."""

DEFAULT_TEST_TIMEOUT_S = 10.0
MAX_TEST_TIMEOUT_S = 300.0
DEFAULT_PASS_SCORE = 4

# Words people reach for, mapped to the kind they mean (difflib cannot guess these).
_SYNONYMS = {
    "equals": "exact",
    "match": "regex",
    "pattern": "regex",
    "classification": "label",
    "class": "label",
    "json": "json_schema",
    "schema": "json_schema",
    "jsonschema": "json_schema",
    "tests": "unit_tests",
    "pytest": "unit_tests",
    "unittest": "unit_tests",
    "python": "unit_tests",
    "llm_judge": "judge",
    "rubric": "judge",
}
_REGEX_FLAGS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL, "x": re.VERBOSE}


@dataclass(frozen=True)
class _Base:
    name: str
    line: int

    kind: ClassVar[str] = ""

    def document(self) -> dict[str, Any]:
        """JSON-ready form, as stored in the run spec and hashed."""
        doc: dict[str, Any] = {"kind": self.kind}
        for key, value in vars(self).items():
            if key != "line":
                doc[key] = list(value) if isinstance(value, tuple) else value
        return doc


@dataclass(frozen=True)
class ExactCheck(_Base):
    """The whole answer (trimmed) equals one of ``expected``."""

    expected: tuple[str, ...]
    ignore_case: bool = False
    negate: bool = False
    kind: ClassVar[str] = "exact"


@dataclass(frozen=True)
class ContainsCheck(_Base):
    """The answer contains every string of ``expected``."""

    expected: tuple[str, ...]
    ignore_case: bool = False
    negate: bool = False
    kind: ClassVar[str] = "contains"


@dataclass(frozen=True)
class RegexCheck(_Base):
    """The answer matches ``pattern`` somewhere (or as a whole with ``full``)."""

    pattern: str
    flags: str = ""
    full: bool = False
    negate: bool = False
    kind: ClassVar[str] = "regex"

    def compiled(self) -> re.Pattern[str]:
        """The pattern with its flags."""
        bits = 0
        for letter in self.flags:
            bits |= _REGEX_FLAGS[letter]
        return re.compile(self.pattern, bits)


@dataclass(frozen=True)
class LabelCheck(_Base):
    """Classification: the label the answer gives equals ``expected``.

    ``labels`` is the label set; when a file gives none, it is every ``expected`` of the
    file's label checks of the same name.
    """

    expected: str
    labels: tuple[str, ...] = ()
    kind: ClassVar[str] = "label"


@dataclass(frozen=True)
class JsonSchemaCheck(_Base):
    """The answer is JSON (bare or in a fence) that validates against ``schema``."""

    schema: Any
    kind: ClassVar[str] = "json_schema"


@dataclass(frozen=True)
class UnitTestsCheck(_Base):
    """Python unit tests run in the sandbox against the code extracted from the answer.

    Attributes:
        tests: The test module's source.
        tests_label: Where it came from, for messages.
        test_names: The tests found in it (``test_x`` or ``Class.test_x``), in order.
        entry_point: The function the tests call, to steer the code extraction.
        timeout_s: Time limit of each test.
        plain_results: Functions of the answer return plain data copies to the tests, so an
            object whose ``__eq__`` always answers True cannot pass an ``assert f() == x``.
    """

    tests: str
    tests_label: str
    test_names: tuple[str, ...]
    entry_point: str | None = None
    timeout_s: float = DEFAULT_TEST_TIMEOUT_S
    plain_results: bool = True
    kind: ClassVar[str] = "unit_tests"


@dataclass(frozen=True)
class JudgeCheck(_Base):
    """An LLM judge scores the answer 1–5 against ``rubric``; ``pass_score`` or more passes."""

    rubric: str
    pass_score: int = DEFAULT_PASS_SCORE
    kind: ClassVar[str] = "judge"


Check = (
    ExactCheck
    | ContainsCheck
    | RegexCheck
    | LabelCheck
    | JsonSchemaCheck
    | UnitTestsCheck
    | JudgeCheck
)

_KEYS: Mapping[str, tuple[str, ...]] = {
    "exact": ("expected", "ignore_case", "negate"),
    "contains": ("expected", "ignore_case", "negate"),
    "regex": ("pattern", "flags", "full", "negate"),
    "label": ("expected", "labels"),
    "json_schema": ("schema", "schema_file"),
    "unit_tests": ("tests", "tests_file", "entry_point", "timeout_s", "plain_results"),
    "judge": ("rubric", "pass_score"),
}


class _Reader:
    """Typed access to one check's keys; each problem is recorded with the key's line."""

    def __init__(self, raw: Mapping[str, Any], line: int, problems: Problems, what: str):
        self.raw, self.line, self.problems, self.what = raw, line, problems, what
        self.ok = True

    def at(self, key: str) -> int:
        return line_in(self.raw, key, self.line)

    def fail(self, key: str, message: str, hint: str | None = None) -> None:
        self.problems.add(self.at(key), f"{self.what}: {message}", hint)
        self.ok = False

    def text(self, key: str, *, required: bool = True) -> str | None:
        value = self.raw.get(key)
        if value is None and not required:
            return None
        if not isinstance(value, str) or not value:
            self.fail(key, f"{key} must be a non-empty string")
            return None
        return value

    def texts(self, key: str) -> tuple[str, ...]:
        value = self.raw.get(key)
        if isinstance(value, str) and value:
            return (value,)
        if isinstance(value, list) and value and all(isinstance(v, str) and v for v in value):
            return tuple(value)
        self.fail(key, f"{key} must be a non-empty string or a list of them")
        return ()

    def flag(self, key: str) -> bool:
        value = self.raw.get(key, False)
        if not isinstance(value, bool):
            self.fail(key, f"{key} must be true or false")
            return False
        return value


def parse_check(
    raw: Any, position: int, line: int, base: Path, problems: Problems, default_name: str = ""
) -> Check | None:
    """Read one check of a task; problems are recorded, not raised.

    Args:
        raw: The check as read from the file.
        position: Its 0-based position in the task's list.
        line: Where it is (the task's line when the format has no finer positions).
        base: Directory that ``tests_file`` and ``schema_file`` are relative to.
        problems: Where problems go.
        default_name: Name when the file gives none (default: the kind).

    Returns:
        The check, or None when it has problems.
    """
    what = f"check {position + 1}"
    if not isinstance(raw, dict):
        problems.add(line, f"{what} must be a mapping with a 'kind'", f"kinds: {_kinds()}")
        return None
    kind = raw.get("kind")
    if kind not in CHECK_KINDS:
        hint = (
            f"did you mean {_SYNONYMS[str(kind).lower()]!r}? kinds: {_kinds()}"
            if str(kind).lower() in _SYNONYMS
            else suggest(str(kind), CHECK_KINDS)
        )
        problems.add(line_in(raw, "kind", line), f"{what}: unknown check kind {kind!r}", hint)
        return None
    what = f"check {position + 1} ({kind})"
    reader = _Reader(raw, line, problems, what)
    allowed = ("kind", "name", *_KEYS[kind])
    for key in raw:
        if key not in allowed:
            reader.fail(key, f"unknown key {key!r}", suggest(key, allowed))
    name = reader.text("name", required=False) or default_name or kind
    check = _BUILDERS[kind](reader, name, base)
    return check if reader.ok else None


def _kinds() -> str:
    return ", ".join(CHECK_KINDS)


def _exact(r: _Reader, name: str, _base: Path) -> Check:
    return ExactCheck(name, r.line, r.texts("expected"), r.flag("ignore_case"), r.flag("negate"))


def _contains(r: _Reader, name: str, _base: Path) -> Check:
    return ContainsCheck(name, r.line, r.texts("expected"), r.flag("ignore_case"), r.flag("negate"))


def _regex(r: _Reader, name: str, _base: Path) -> Check:
    pattern = r.text("pattern") or ""
    flags = r.raw.get("flags", "")
    if not isinstance(flags, str) or set(flags) - set(_REGEX_FLAGS):
        r.fail("flags", f"flags must be letters from {''.join(_REGEX_FLAGS)}", 'e.g. "flags": "i"')
        flags = ""
    check = RegexCheck(name, r.line, pattern, flags, r.flag("full"), r.flag("negate"))
    if pattern:
        try:
            check.compiled()
        except re.error as exc:
            r.fail(
                "pattern",
                f"regex {pattern!r} does not compile: {exc.msg} at position {exc.pos}",
                "in JSON, write each backslash twice (\\\\d); in YAML, use single quotes",
            )
    return check


def _label(r: _Reader, name: str, _base: Path) -> Check:
    expected = (r.text("expected") or "").strip()
    labels: tuple[str, ...] = ()
    if "labels" in r.raw:
        labels = tuple(x.strip() for x in r.texts("labels"))
        if expected and expected not in labels:
            r.fail("expected", f"expected label {expected!r} is not in labels {list(labels)}")
    return LabelCheck(name, r.line, expected, labels)


def _json_schema(r: _Reader, name: str, base: Path) -> Check:
    if ("schema" in r.raw) == ("schema_file" in r.raw):
        r.fail("schema", "give exactly one of 'schema' (inline) or 'schema_file' (a path)")
        return JsonSchemaCheck(name, r.line, {})
    schema = r.raw.get("schema")
    if "schema_file" in r.raw:
        path = r.text("schema_file")
        text = _read_beside(r, "schema_file", base, path) if path else None
        try:
            schema = json.loads(text) if text is not None else {}
        except json.JSONDecodeError as exc:
            r.fail("schema_file", f"{path} is not JSON ({exc.msg}, line {exc.lineno})")
            schema = {}
    if not isinstance(schema, dict | bool):
        r.fail("schema", "a JSON Schema is an object (or true/false)", '{"type": "object"}')
        return JsonSchemaCheck(name, r.line, {})
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # an unknown $schema falls back to the latest draft
            jsonschema.validators.validator_for(schema).check_schema(schema)
    except SchemaError as exc:
        where = "/".join(str(p) for p in exc.path) or "the top level"
        r.fail(
            "schema",
            f"not a valid JSON Schema at {where}: {exc.message}",
            "see https://json-schema.org/understanding-json-schema/",
        )
    return JsonSchemaCheck(name, r.line, _plain_json(schema))


def _unit_tests(r: _Reader, name: str, base: Path) -> Check:
    if ("tests" in r.raw) == ("tests_file" in r.raw):
        r.fail("tests", "give exactly one of 'tests' (Python source) or 'tests_file' (a path)")
        return UnitTestsCheck(name, r.line, "", "", ())
    if "tests_file" in r.raw:
        path = r.text("tests_file")
        source = (_read_beside(r, "tests_file", base, path) if path else None) or ""
        label = str(path)
    else:
        source = r.text("tests") or ""
        label = f"tests of line {r.line}"
    entry = r.text("entry_point", required=False)
    if entry is not None and not entry.isidentifier():
        r.fail("entry_point", f"entry_point {entry!r} is not a Python name")
    timeout = r.raw.get("timeout_s", DEFAULT_TEST_TIMEOUT_S)
    if not isinstance(timeout, int | float) or isinstance(timeout, bool):
        timeout = -1
    if not 0 < timeout <= MAX_TEST_TIMEOUT_S:
        r.fail("timeout_s", f"timeout_s must be a number of seconds in (0, {MAX_TEST_TIMEOUT_S:g}]")
        timeout = DEFAULT_TEST_TIMEOUT_S
    plain = r.raw.get("plain_results", True)
    if not isinstance(plain, bool):
        r.fail("plain_results", "plain_results must be true or false")
        plain = True
    names = _test_names(r, source, label) if source else ()
    return UnitTestsCheck(name, r.line, source, label, names, entry, float(timeout), plain)


def _test_names(r: _Reader, source: str, label: str) -> tuple[str, ...]:
    key = "tests_file" if "tests_file" in r.raw else "tests"
    try:
        module = ast.parse(source, filename=label)
    except SyntaxError as exc:
        r.fail(key, f"the unit tests do not parse: {exc.msg} ({label}, line {exc.lineno})")
        return ()
    names: list[str] = []
    for node in module.body:
        if isinstance(node, ast.AsyncFunctionDef) and node.name.startswith("test"):
            r.fail(key, f"{node.name} is async ({label}, line {node.lineno})", "use a plain def")
        elif isinstance(node, ast.FunctionDef) and node.name.startswith("test"):
            names.append(node.name)
        elif isinstance(node, ast.ClassDef) and any(_is_testcase(b) for b in node.bases):
            names += [
                f"{node.name}.{item.name}"
                for item in node.body
                if isinstance(item, ast.FunctionDef) and item.name.startswith("test")
            ]
    if not names and r.ok:
        r.fail(
            key,
            f"no tests found in {label}",
            "write functions named test_... that use assert, or unittest.TestCase classes",
        )
    return tuple(names)


def _is_testcase(base: ast.expr) -> bool:
    name = base.attr if isinstance(base, ast.Attribute) else getattr(base, "id", "")
    return isinstance(name, str) and name.endswith("TestCase")


def _judge(r: _Reader, name: str, _base: Path) -> Check:
    rubric = r.text("rubric") or ""
    score = r.raw.get("pass_score", DEFAULT_PASS_SCORE)
    if not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= 5:
        r.fail("pass_score", "pass_score must be an integer from 1 to 5", "the default is 4")
        score = DEFAULT_PASS_SCORE
    return JudgeCheck(name, r.line, rubric, score)


def _read_beside(r: _Reader, key: str, base: Path, path: str) -> str | None:
    target = (base / path).expanduser()
    try:
        return target.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        r.fail(key, f"cannot read {path} (looked in {base}): {exc.__class__.__name__}")
        return None


def _plain_json(value: Any) -> Any:
    # Located mappings from the readers become plain dicts, so specs and hashes are plain JSON.
    return json.loads(json.dumps(value))


_BUILDERS = {
    "exact": _exact,
    "contains": _contains,
    "regex": _regex,
    "label": _label,
    "json_schema": _json_schema,
    "unit_tests": _unit_tests,
    "judge": _judge,
}
