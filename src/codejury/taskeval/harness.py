"""The sandbox side of a unit-test check: stdlib only, never imported by codejury.

:mod:`codejury.taskeval.codetests` sends this file's text, followed by a call
``_cj_prepare(<model code>, <plain_results>)``, as the module body a sandbox child loads. The
model's code runs first, as module ``solution``; only afterwards does the judge send the
tests (as the first input of the run), so the code's module body never sees them, and they
are never on a filesystem the child can read. Each input then runs one test and returns
``[status, message, line]`` as plain data: a pass needs a report from every test, so code
that exits, kills its process or raises ``SystemExit`` cannot turn into one.

Hardening against answers that try to pass without being right, within one process:

- the modules the tests import are imported before the answer's code runs, and put back in
  ``sys.modules`` before each test (an answer cannot plant a fake ``unittest``), as are
  ``unittest.TestCase``'s attributes; the tests get a copy of the builtins taken before the
  answer ran; trace/profile hooks are cleared;
- with ``plain_results`` the answer's functions hand the tests a plain-data copy of what they
  return (through the sandbox's wire format), so an object whose ``__eq__`` always answers
  True, or an ``int`` subclass that lies, compares as what it really is;
- a skipped test never counts as a pass.

What it cannot stop: code that, while a test calls it, deliberately reaches into the test's
frames or the harness's memory (the same process). Tests are trusted as the team's own.
"""

from __future__ import annotations

import builtins
import functools
import sys
import types
from collections.abc import Callable, Iterator
from typing import Any

import wire  # type: ignore[import-not-found]  # the sandbox worker's module, preloaded

_PRISTINE_BUILTINS = dict(vars(builtins))
# The harness's functions (defined below) look builtins up in a private copy, so an answer
# that rebinds builtins.AssertionError or builtins.isinstance changes nothing here.
globals()["__builtins__"] = dict(_PRISTINE_BUILTINS)
_settrace = sys.settrace
_setprofile = sys.setprofile
_to_plain, _dumps, _loads, _Opaque = wire.to_plain, wire.dumps, wire.loads, wire.Opaque
_ASYNC_FLAGS = 0x80 | 0x200  # CO_COROUTINE | CO_ASYNC_GENERATOR
_MAX_MESSAGE = 300
_state: dict[str, Any] = {}


def _plain(value: Any, name: str) -> Any:
    if isinstance(value, types.GeneratorType):
        return _plain_items(value, name)
    copy = _loads(_dumps(_to_plain(value)))
    if isinstance(copy, _Opaque):
        raise TypeError(
            f"{name}() returned a {type(value).__name__}, which is not plain data "
            "(set plain_results: false for tests that need the object itself)"
        )
    return copy


def _plain_items(items: Iterator[Any], name: str) -> Iterator[Any]:
    for item in items:
        yield _plain(item, name)


def _wrap(fn: Callable[..., Any], name: str) -> Callable[..., Any]:
    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        return _plain(fn(*args, **kwargs), name)

    return call


def _cj_prepare(code: str, plain: bool, imports: list[str]) -> None:
    """Run the model's code as module ``solution`` and build what the tests will see.

    ``imports`` are the modules the tests import: imported first, so the state of
    ``sys.modules`` they are restored to comes from before the answer ran.
    """
    for name in imports:
        try:
            __import__(name)
        except BaseException:  # the tests will meet the same error when they import it
            pass
    unittest = sys.modules.get("unittest")
    if unittest is not None:
        case = unittest.TestCase
        _state["case"] = (case, dict(vars(case)))
        _state["skip"] = unittest.SkipTest
    _state["modules"] = dict(sys.modules)
    module = types.ModuleType("solution")
    # Registered while it runs, as an imported module would be (dataclasses, typing and
    # pickle look their module up there); the tests later get the view below instead.
    sys.modules["solution"] = module
    exec(compile(code, "<solution>", "exec", dont_inherit=True), module.__dict__)
    view = types.ModuleType("solution")
    for key, value in list(module.__dict__.items()):
        if key.startswith("__"):
            continue
        if (
            plain
            and isinstance(value, types.FunctionType)
            and value.__code__.co_filename == "<solution>"
            and not value.__code__.co_flags & _ASYNC_FLAGS
        ):
            value = _wrap(value, key)
        setattr(view, key, value)
    _state["view"] = view


def _reset() -> None:
    _settrace(None)
    _setprofile(None)
    sys.modules.update(_state["modules"])
    sys.modules["solution"] = _state["view"]
    if "case" in _state:
        case, attrs = _state["case"]
        current = vars(case)
        for key, value in attrs.items():
            if current.get(key) is not value:
                setattr(case, key, value)


def _describe(exc: BaseException) -> str:
    try:
        text = str(exc)
    except BaseException:  # the answer's own exception type may refuse to print
        text = ""
    kind = type(exc).__name__
    return (f"{kind}: {text}" if text else kind)[:_MAX_MESSAGE]


def _line(exc: BaseException) -> int:
    line = 0
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<tests>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _load_tests(source: str) -> None:
    namespace: dict[str, Any] = {"__name__": "__tests__", "__builtins__": dict(_PRISTINE_BUILTINS)}
    for key, value in vars(_state["view"]).items():
        if not key.startswith("__"):
            namespace[key] = value
    _state["tests"] = namespace
    _state["classes"] = set()
    _state.pop("broken", None)
    try:
        _reset()
        exec(compile(source, "<tests>", "exec", dont_inherit=True), namespace)
    except BaseException as exc:
        _state["broken"] = ["error", "the tests did not load: " + _describe(exc), _line(exc)]


def _run_one(name: str) -> None:
    namespace = _state["tests"]
    if "." not in name:
        namespace[name]()
        return
    class_name, method = name.split(".", 1)
    cls = namespace[class_name]
    if class_name not in _state["classes"]:
        _state["classes"].add(class_name)
        cls.setUpClass()
    case = cls(method)
    case.setUp()
    try:
        getattr(case, method)()
    finally:
        case.tearDown()
        case.doCleanups()


def _cj_test(source: str | None, name: str) -> list[Any]:
    """Run test ``name``; the first call of a run carries the tests' source."""
    if source is not None:
        _load_tests(source)
    if "broken" in _state:
        return list(_state["broken"])
    _reset()
    try:
        _run_one(name)
    except AssertionError as exc:
        return ["fail", _describe(exc), _line(exc)]
    except BaseException as exc:  # SystemExit and KeyboardInterrupt are failures too
        if isinstance(exc, _state.get("skip", ())):
            return ["fail", "skipped: " + _describe(exc), _line(exc)]
        return ["error", _describe(exc), _line(exc)]
    return ["pass", "", 0]
