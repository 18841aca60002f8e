"""Deterministic broken variants of reference solutions, for verdict-parity benchmarks.

Each mutation kind imitates a mistake a model makes (or a behaviour a scorer must handle),
and each is applied to the canonical program (``prompt + canonical_solution``) of a task.
Some kinds change behaviour only on some inputs or not observably at all (``float_for_int``:
``3.0 == 3``; ``bool_as_int``: ``1 == True``; ``sleep_short``; ``print_noise``), so the set
is a mix of passing and failing samples rather than an all-fail set that any scorer agrees on.

Two families:

* wrapper kinds rename the entry function to ``_cj_impl`` (every reference to it, so
  recursion and helpers keep calling the real implementation) and add a new entry function
  that changes the call's behaviour or its result. The change therefore happens once per test
  input, not once per recursive call — a ``sleep`` in a recursive ``fib`` would otherwise
  compound and land near the time limit, making the verdict depend on machine load.
* source kinds edit the implementation itself (swap a comparison, bump a constant) or its
  text (truncate it, empty it), as a buggy or cut-off generation would.

Everything is a pure function of the task, so two runs produce byte-identical sample files.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Sequence
from dataclasses import dataclass

IMPL = "_cj_impl"

# Wrapper kinds: (code before the call, code after it). ``args``/``kwargs`` are the call's
# arguments and ``_cj_r`` its result; both snippets are indented one level (4 spaces).
_WRAPPERS: dict[str, tuple[str, str]] = {
    "return_none": ("return None", ""),
    "raise_exception": ("raise ValueError('mutant')", ""),
    "off_by_one": ("", "if type(_cj_r) is int:\n    _cj_r = _cj_r + 1"),
    "float_for_int": ("", "if type(_cj_r) is int:\n    _cj_r = float(_cj_r)"),
    "bool_as_int": ("", "if type(_cj_r) is bool:\n    _cj_r = int(_cj_r)"),
    "list_for_tuple": ("", "if type(_cj_r) is tuple:\n    _cj_r = list(_cj_r)"),
    # Equal under ``==`` but not in type or order: EvalPlus passes both, and so must a scorer
    # that compares encodings or digests of large outputs instead of values.
    "floats_in_list": (
        "",
        "if type(_cj_r) is list and _cj_r and all(type(x) is int for x in _cj_r):\n"
        "    _cj_r = [float(x) for x in _cj_r]",
    ),
    "reorder_dict": (
        "",
        "if type(_cj_r) is dict:\n    _cj_r = dict(reversed(list(_cj_r.items())))",
    ),
    "drop_last": (
        "",
        "if type(_cj_r) in (list, tuple, str) and len(_cj_r) > 0:\n    _cj_r = _cj_r[:-1]",
    ),
    # An infinite loop on roughly a quarter of the inputs, chosen by a property of the input
    # itself, so the base set (a handful of inputs) often passes while the plus set hangs.
    "hang_some_inputs": ("if len(repr(args)) % 4 == 1:\n    while True:\n        pass", ""),
    # 2 ms per call is far below every per-input limit: a correct but slow sample must pass.
    "sleep_short": ("import time\ntime.sleep(0.002)", ""),
    # Sleeping uses no CPU: a scorer that only limits CPU time would let this through.
    "sleep_long": ("import time\ntime.sleep(3.0)", ""),
    # Debug prints are common in model output; both scorers must ignore stdout.
    "print_noise": ("print('debug:', repr(args)[:200])", ""),
    "exit_call": ("import sys\nsys.exit(0)", ""),
    # Above EvalPlus's and codejury's 4 GiB address-space limit: a MemoryError on both.
    "memory_hog": ("_cj_big = bytearray(6 << 30)", ""),
}

_SWAPPED_OPS: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}


@dataclass(frozen=True)
class Mutant:
    """One broken (or not so broken) variant of a task's reference program."""

    task_id: str
    kind: str
    solution: str


def _entry_def(tree: ast.Module, entry_point: str) -> ast.FunctionDef | None:
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == entry_point:
            return node
    return None


class _Rename(ast.NodeTransformer):
    def __init__(self, old: str, new: str) -> None:
        self.old, self.new = old, new

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        if node.name == self.old:
            node.name = self.new
        self.generic_visit(node)
        return node

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id == self.old:
            node.id = self.new
        return node


def _indent(code: str) -> str:
    return "".join(f"    {line}\n" for line in code.splitlines())


def _wrap(program: str, entry_point: str, kind: str) -> str | None:
    tree = ast.parse(program)
    if _entry_def(tree, entry_point) is None:
        return None
    tree = _Rename(entry_point, IMPL).visit(tree)
    before, after = _WRAPPERS[kind]
    wrapper = (
        f"\n\ndef {entry_point}(*args, **kwargs):\n"
        + _indent(before)
        + f"    _cj_r = {IMPL}(*args, **kwargs)\n"
        + _indent(after)
        + "    return _cj_r\n"
    )
    return ast.unparse(tree) + wrapper


def _swap_compare(program: str, entry_point: str) -> str | None:
    tree = ast.parse(program)
    fn = _entry_def(tree, entry_point)
    if fn is None:
        return None
    for node in ast.walk(fn):
        if isinstance(node, ast.Compare) and type(node.ops[0]) in _SWAPPED_OPS:
            node.ops[0] = _SWAPPED_OPS[type(node.ops[0])]()
            return ast.unparse(tree) + "\n"
    return None


def _const_plus_one(program: str, entry_point: str) -> str | None:
    tree = ast.parse(program)
    fn = _entry_def(tree, entry_point)
    if fn is None:
        return None
    for node in ast.walk(fn):
        if isinstance(node, ast.Constant) and type(node.value) is int:
            node.value += 1
            return ast.unparse(tree) + "\n"
    return None


def _truncated(prompt: str, body: str) -> str | None:
    # A generation cut off by the token limit: 60% of the solution, ending at a line break
    # (sometimes still valid code that falls off the end and returns None, sometimes an
    # IndentationError for a block header left without a body).
    cut = body.rfind("\n", 0, int(len(body) * 0.6))
    return prompt + body[:cut] + "\n" if cut > 0 else None


# Order matters only for the rotation below; it interleaves failing and surviving kinds.
KINDS: tuple[str, ...] = (
    "off_by_one",
    "float_for_int",
    "swap_compare",
    "return_none",
    "bool_as_int",
    "hang_some_inputs",
    "list_for_tuple",
    "sleep_short",
    "const_plus_one",
    "raise_exception",
    "print_noise",
    "drop_last",
    "sleep_long",
    "truncated",
    "exit_call",
    "memory_hog",
    "floats_in_list",
    "empty",
    "reorder_dict",
)

_SourceMutation = Callable[[str, str, str, str], str | None]
_SOURCE: dict[str, _SourceMutation] = {
    "swap_compare": lambda prog, ep, _p, _b: _swap_compare(prog, ep),
    "const_plus_one": lambda prog, ep, _p, _b: _const_plus_one(prog, ep),
    "truncated": lambda _prog, _ep, prompt, body: _truncated(prompt, body),
    "empty": lambda *_: "",
}


def mutate(kind: str, prompt: str, canonical_solution: str, entry_point: str) -> str | None:
    """The ``kind`` mutant of a reference program, or None where the kind does not apply."""
    program = prompt + canonical_solution
    if kind in _WRAPPERS:
        return _wrap(program, entry_point, kind)
    return _SOURCE[kind](program, entry_point, prompt, canonical_solution)


def mutants_for_task(
    position: int,
    task_id: str,
    prompt: str,
    canonical_solution: str,
    entry_point: str,
    per_task: int,
    kinds: Sequence[str] = KINDS,
) -> list[Mutant]:
    """``per_task`` mutants of one task, kinds picked by rotation over ``kinds``.

    Task number ``position`` starts the rotation at ``5 * position`` (5 is coprime with the
    19 kinds), so every kind appears about equally often and next to different kinds; kinds
    that do not apply to this task (no comparison to swap...) are skipped.
    """
    out: list[Mutant] = []
    start = (5 * position) % len(kinds)
    for step in range(len(kinds)):
        if len(out) == per_task:
            break
        kind = kinds[(start + step) % len(kinds)]
        solution = mutate(kind, prompt, canonical_solution, entry_point)
        if solution is not None:
            out.append(Mutant(task_id, kind, solution))
    return out
