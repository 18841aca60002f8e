"""Model output → runnable code, and the rule that chose it (pure, linear time).

Pipeline:

1. Line endings are normalised and ``<think>`` / ``<thinking>`` / ``<reasoning>`` blocks are
   moved to the reasoning text (also a reasoning whose opening tag sat in the chat template,
   i.e. an answer that only follows a ``</think>``). Drafts there are never chosen over the
   answer; the reasoning (that text, or a separate ``reasoning_content`` channel) is read only
   when the answer itself yields no code.
2. Candidate blocks: Python-ish fences (```` ```python ````, ``py``, ``Python3``, no language,
   ``~~~``, indented, unterminated at the end), or, with no such fence, the raw answer.
3. Each block is parsed once. A block that does not parse is cut into top-level segments (a new
   one at each column-0 line that cannot continue the previous statement) and each segment is
   parsed alone, so prose lines drop out. EvalPlus instead parses every (start, end) line pair.
4. Choice: the last block that defines the entry point at top level, else the last one with a
   definition, else the last one with code. Names the chosen block uses but does not define
   are taken from the other blocks, latest block first (helpers in an earlier fence).
5. Kept: imports (also inside a top-level ``try``/``if``), the entry point and every top-level
   statement it needs transitively (decorated, generators, helpers without ``return``,
   classes, constants), statements that mutate needed module state (``TABLE.append(...)``,
   precomputation loops, calls of functions that do), and setup calls touching only imported
   names (``sys.setrecursionlimit(...)``, ``random.seed(...)``). Dropped: ``if __name__``
   blocks, asserts, prints, ``input()``/stdin reading, test runners, top-level calls of the
   entry point, statements without effect. Kept statements are sliced from the source text
   (via ``end_lineno``), so comments and formatting inside them survive.

Completion-style output (a function body) is not code on its own: the caller prefixes the
prompt and sanitizes prompt + completion; a body alone gives ``no_code`` with a note.

Complexity: one pass over the text for tags and fences, at most three ``ast.parse`` calls over
any character (its block, its segment, one dedented retry) plus one over the result, and one
``ast.walk`` per statement; the dependency closure visits each name and statement once.
"""

from __future__ import annotations

import ast
import builtins
import re
import textwrap
import warnings
from dataclasses import dataclass, field

__all__ = ["Sanitized", "sanitize"]

_TAGS = re.compile(r"(?im)^[ \t]*<(think|thinking|reasoning)>|</(?:think|thinking|reasoning)>")
_FENCE = re.compile(r"([ \t]*)(`{3,}|~{3,})[ \t]*\{?\.?([\w+#.-]*)")
_PY_LANGS = frozenset({"", "python", "py", "python3", "py3", "ipython"})
_PY_NAMED = _PY_LANGS - {""}
_TRIPLE = re.compile(r"\"\"\"|'''")
_CONTINUES = re.compile(r"(else|elif|except|finally)\b|[)\]}]")
_OPENS = ("def ", "class ", "async ", "@", "import ", "from ", "if ", "for ", "while ", "try:")
_TEST_CALLS = frozenset({"print", "input", "pprint", "breakpoint", "exit", "quit", "main"})
_TEST_CALLS |= {"check", "run_tests", "help", "display"}
_TEST_METHODS = {("unittest", "main"), ("pytest", "main"), ("doctest", "testmod"), ("sys", "exit")}
_BUILTINS = frozenset(dir(builtins))
_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


@dataclass(frozen=True)
class Sanitized:
    """The code picked from one model output.

    Attributes:
        code: Runnable module text ("" when there is no code).
        rule: Which rule chose it, e.g. ``fence:last-defining-entry``, ``raw:whole``,
            ``think-stripped+fence:last-defining-entry+merged``, ``reasoning+raw:trimmed``
            or ``no_code``.
        status: ``ok`` or ``no_code``.
        notes: What was dropped, merged or repaired, for the record.
    """

    code: str
    rule: str
    status: str
    notes: tuple[str, ...] = ()


@dataclass
class _Stmt:
    src: str
    kind: str  # def | import | future | bind | effect | setup
    binds: frozenset[str]
    refs: frozenset[str]


@dataclass
class _Block:
    stmts: list[_Stmt] = field(default_factory=list)
    dropped_lines: int = 0
    dropped_tests: int = 0
    binders: dict[str, list[int]] = field(default_factory=dict)  # name -> statements binding it
    effects: dict[str, list[int]] = field(default_factory=dict)  # name -> effects reading it
    users: dict[str, list[int]] = field(default_factory=dict)  # name -> defs reading it


def sanitize(
    text: str, entry_point: str | None = None, *, reasoning: str | None = None
) -> Sanitized:
    """Pick the runnable code from a chat, reasoning or completion model's output.

    Args:
        text: The model's answer (for completion prompts: prompt + completion).
        entry_point: The function the tests call; ``None`` keeps the whole chosen block
            minus test code.
        reasoning: A separate reasoning channel (e.g. ``reasoning_content``), used only when
            the answer has no code.

    Returns:
        The code, the rule that chose it, ``ok`` or ``no_code``, and notes. Never raises on
        any text; ``code`` parses whenever the status is ``ok``.
    """
    answer, thought, stripped = _split_reasoning(_normalise(text))
    result = _extract(answer, entry_point)
    if result.status == "ok":
        prefix = "think-stripped+" if stripped else ""
        notes = ("think block removed", *result.notes) if stripped else result.notes
        return Sanitized(result.code, prefix + result.rule, "ok", notes)
    for spare in (_normalise(reasoning or ""), thought):
        alt = _extract(spare, entry_point) if spare.strip() else result
        if alt.status == "ok":
            note = "answer has no code: taken from the reasoning"
            return Sanitized(alt.code, "reasoning+" + alt.rule, "ok", (note, *alt.notes))
    return result


def _normalise(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "").lstrip("\ufeff")


def _split_reasoning(text: str) -> tuple[str, str, bool]:
    """(answer, reasoning, whether any tag was found), in one pass over the tags."""
    answer: list[str] = []
    thought: list[str] = []
    pos, inside, first = 0, False, True  # first: no tag seen yet
    for m in _TAGS.finditer(text):
        opening = m.group(1) is not None
        if first and not opening:  # the opening tag was in the chat template
            thought.append(text[: m.start()])
            pos = m.end()
        elif opening and not inside:
            answer.append(text[pos : m.start()])
            pos, inside = m.end(), True
        elif not opening and inside:
            thought.append(text[pos : m.start()])
            pos, inside = m.end(), False
        first = False
    (thought if inside else answer).append(text[pos:])
    return "".join(answer), "\n".join(thought), not first


def _fences(answer: str) -> tuple[list[tuple[str, bool]], str]:
    """Python-ish fenced blocks as (text, terminated), and the text outside every fence."""
    blocks: list[tuple[str, bool]] = []
    outside: list[str] = []
    body: list[str] | None = None
    mark, indent, python = "", 0, False

    def close(done: bool) -> None:
        if python and body is not None:
            blocks.append(("\n".join(body), done))

    for line in answer.split("\n"):
        m = _FENCE.match(line)
        if body is None:
            if m:
                body, mark, indent = [], m.group(2), len(m.group(1))
                python = m.group(3).lower() in _PY_LANGS
            else:
                outside.append(line)
            continue
        if m and m.group(2)[0] == mark[0] and len(m.group(2)) >= len(mark):
            if not line.strip().strip(mark[0]):  # a bare fence closes the block
                close(True)
                body = None
                continue
            if m.group(3).lower() in _PY_NAMED:  # an unclosed block, then a new one
                close(True)
                body, indent, python = [], len(m.group(1)), True
                continue
        cut = line.rstrip().endswith(mark)  # code and closing fence on one line
        keep = line.rstrip()[: -len(mark)] if cut else line
        body.append(keep[min(indent, len(keep) - len(keep.lstrip())) :])
        if cut:
            close(True)
            body = None
    close(False)
    return blocks, "\n".join(outside)


def _extract(answer: str, entry: str | None) -> Sanitized:
    """Choose among the answer's blocks and keep what the entry point needs."""
    fenced, outside = _fences(answer)
    origin = "fence" if fenced else "raw"
    texts = [t for t, _ in fenced] if fenced else [outside]
    notes = [f"block {k + 1}: unterminated fence" for k, (_, done) in enumerate(fenced) if not done]
    blocks = [_block(t, entry) for t in texts]
    for k, blk in enumerate(blocks):
        if blk.dropped_lines:
            notes.append(f"block {k + 1}: dropped {blk.dropped_lines} non-code lines")
    useful = [k for k, b in enumerate(blocks) if b.stmts]
    defining = [k for k in useful if any(s.kind == "def" for s in blocks[k].stmts)]
    with_entry = [k for k in useful if entry and _defines(blocks[k], entry)]
    if with_entry:
        chosen, how = with_entry[-1], "last-defining-entry"
    elif defining or useful:
        chosen, how = (defining or useful)[-1], "last-defining" if defining else "last-parsing"
    else:
        if answer.lstrip("\n")[:1].isspace():
            notes.append("indented code without a definition: sanitize prompt + completion")
        return Sanitized("", "no_code", "no_code", tuple(notes))
    if origin == "raw":
        how = "trimmed" if blocks[0].dropped_lines else "whole"
    stmts, merged = _closure(blocks, chosen, entry if with_entry else None)
    code = _join(stmts)
    if blocks[chosen].dropped_tests:
        notes.append(f"dropped {blocks[chosen].dropped_tests} test/example statements")
    notes.extend(merged)
    rule = f"{origin}:{how}" + ("+merged" if merged else "")
    if entry and not with_entry:
        notes.append(f"entry point {entry!r} not defined")
    kinds = ("def",) if entry else ("def", "bind", "effect")
    has_code = bool(with_entry) or any(s.kind in kinds for s in stmts)
    if not has_code or _parse(code) is None:
        return Sanitized("", "no_code", "no_code", (*notes, f"{rule} kept no definition"))
    return Sanitized(code, rule, "ok", tuple(notes))


def _defines(blk: _Block, entry: str) -> bool:
    return any(blk.stmts[i].kind in ("def", "bind") for i in blk.binders.get(entry, ()))


def _closure(blocks: list[_Block], chosen: int, entry: str | None) -> tuple[list[_Stmt], list[str]]:
    """The statements to keep, in output order, and notes on what came from other blocks.

    Each name is resolved once (chosen block first, then the others latest first) and each
    statement kept once, so this is linear in the total size of the blocks.
    """
    order = [chosen, *(k for k in reversed(range(len(blocks))) if k != chosen)]
    kept: set[tuple[int, int]] = set()
    needed: set[str] = set()
    touched: set[tuple[int, int]] = set()
    todo: list[str] = []
    merged: dict[int, list[str]] = {}

    def keep(b: int, i: int) -> None:
        if (b, i) not in kept:
            kept.add((b, i))
            todo.extend(blocks[b].stmts[i].refs)

    def mark_state(b: int, name: str) -> None:
        # Needed module state: keep what mutates it, directly or through a function.
        blk, names = blocks[b], [name]
        while names:
            n = names.pop()
            for i in blk.effects.get(n, ()):
                keep(b, i)
            for i in blk.users.get(n, ()):
                if (b, i) not in touched:
                    touched.add((b, i))
                    names.extend(blk.stmts[i].binds)

    for i, st in enumerate(blocks[chosen].stmts):
        if entry is None or st.kind in ("import", "future", "setup"):
            keep(chosen, i)
    if entry is not None:
        todo.append(entry)
    while todo:
        name = todo.pop()
        if name in needed:
            continue
        needed.add(name)
        for b in order:
            idx = blocks[b].binders.get(name)
            if not idx:
                continue
            for i in idx:
                keep(b, i)
            if b != chosen:
                merged.setdefault(b, []).append(name)
            if any(blocks[b].stmts[i].kind in ("bind", "effect") for i in idx):
                mark_state(b, name)
            break
    ranked = sorted(kept, key=lambda bi: (bi[0] == chosen, bi[0], bi[1]))
    stmts = [blocks[b].stmts[i] for b, i in ranked]
    # A __future__ import must come first, whichever block it came from.
    stmts = [s for s in stmts if s.kind == "future"] + [s for s in stmts if s.kind != "future"]
    notes = [
        f"merged from block {b + 1}: {', '.join(sorted(ns))}" for b, ns in sorted(merged.items())
    ]
    return stmts, notes


def _join(stmts: list[_Stmt]) -> str:
    out: list[str] = []
    seen: set[str] = set()
    for k, st in enumerate(stmts):
        if st.kind == "future" and st.src in seen:
            continue
        seen.add(st.src)
        tight = (
            k > 0 and stmts[k - 1].kind in ("import", "future") and st.kind in ("import", "future")
        )
        out.append(("\n" if tight else "\n\n") + st.src if out else st.src)
    return "".join(out) + "\n" if out else ""


def _parse(src: str) -> ast.Module | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escapes in model code are not our concern
            return ast.parse(src)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None


def _block(text: str, entry: str | None) -> _Block:
    """Parse one candidate block (dropping prose) and index its top-level statements."""
    blk = _Block()
    pieces: list[tuple[ast.stmt, str]] = []
    lines = text.split("\n")
    tree = _parse(text)
    if tree is not None:
        pieces = _slices(lines, tree.body)
    else:
        for a, b in _segments(lines):
            seg = lines[a:b]
            tree = _parse("\n".join(seg))
            if tree is None:
                seg, tree = _dedented(seg)
            blk.dropped_lines += sum(1 for ln in lines[a:b] if ln.strip())
            if tree is not None:
                blk.dropped_lines -= sum(1 for ln in seg if ln.strip())
                pieces.extend(_slices(seg, tree.body))
    for node, src in pieces:
        st = _analyze(node, src, entry)
        if isinstance(st, _Stmt):
            blk.stmts.append(st)
        else:
            blk.dropped_tests += st == "test"
    imported = {n for s in blk.stmts if s.kind == "import" for n in s.binds}
    for i, st in enumerate(blk.stmts):
        if st.kind == "effect" and st.refs & imported and st.refs <= imported | _BUILTINS:
            st.kind = "setup"  # e.g. sys.setrecursionlimit(...), random.seed(...)
        for n in st.binds:
            blk.binders.setdefault(n, []).append(i)
        if st.kind in ("effect", "def"):
            index = blk.effects if st.kind == "effect" else blk.users
            for n in st.refs:
                index.setdefault(n, []).append(i)
    return blk


def _segments(lines: list[str]) -> list[tuple[int, int]]:
    """Top-level segments as [start, end) line ranges, in one pass."""
    bounds: list[tuple[int, int]] = []
    start, prev, quote, decorators = 0, "", "", False
    for i, line in enumerate(lines):
        s = line.rstrip()
        if s and not s[0].isspace() and not quote and i > start and not s.startswith("#"):
            joins = _CONTINUES.match(s) is not None
            joins |= decorators and s.startswith(("def ", "async ", "class ", "@"))
            joins |= not s.startswith(_OPENS) and prev.endswith(("\\", ",", "(", "[", "{"))
            if not joins:
                bounds.append((start, i))
                start = i
            decorators = s.startswith("@") and (decorators or not joins)
        elif i == start:
            decorators = s.startswith("@")
        for m in _TRIPLE.finditer(s):  # inside a triple-quoted string nothing starts
            quote = m.group() if not quote else "" if m.group() == quote else quote
        prev = s or prev
    bounds.append((start, len(lines)))
    return bounds


def _dedented(seg: list[str]) -> tuple[list[str], ast.Module | None]:
    """A prose line followed by an indented code block (or an indented def), dedented."""
    rest = seg[1:] if seg and seg[0][:1].strip() else seg
    if not rest or any(ln.strip() and not ln[0].isspace() for ln in rest):
        return seg, None
    lines = textwrap.dedent("\n".join(rest)).split("\n")
    tree = _parse("\n".join(lines))
    if (
        tree is None
        or not tree.body
        or not isinstance(tree.body[0], (*_DEFS, ast.Import, ast.ImportFrom))
    ):
        return seg, None  # a bare body (completion style) is not code on its own
    return lines, tree


def _slices(lines: list[str], body: list[ast.stmt]) -> list[tuple[ast.stmt, str]]:
    """Each statement's source: whole lines, or columns when it shares a line."""
    out: list[tuple[ast.stmt, str]] = []
    for k, node in enumerate(body):
        first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        end = node.end_lineno or node.lineno
        shared = (k > 0 and body[k - 1].end_lineno == first) or (
            k + 1 < len(body) and body[k + 1].lineno == end
        )
        if not shared:
            out.append((node, "\n".join(lines[first - 1 : end]).rstrip()))
            continue
        head = lines[first - 1].encode()
        tail = lines[end - 1].encode()[: node.end_col_offset]
        if first == end:
            out.append((node, head[node.col_offset : node.end_col_offset].decode()))
        else:
            mid = lines[first : end - 1]
            out.append((node, "\n".join([head[node.col_offset :].decode(), *mid, tail.decode()])))
    return out


def _bound(alias: ast.alias) -> str:
    return alias.asname or alias.name.split(".")[0]


def _analyze(node: ast.stmt, src: str, entry: str | None) -> _Stmt | str:
    """Classify one top-level statement; ``"test"`` or ``"noop"`` for the ones to drop."""
    loads: set[str] = set()
    stores: set[str] = set()
    declared: set[str] = set()
    calls = imports = False
    test = isinstance(node, ast.Assert)
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            (loads if isinstance(sub.ctx, ast.Load | ast.Del) else stores).add(sub.id)
        elif isinstance(sub, ast.arg):
            stores.add(sub.arg)
        elif isinstance(sub, ast.Global | ast.Nonlocal):
            declared.update(sub.names)
        elif isinstance(sub, _DEFS):
            stores.add(sub.name)
        elif isinstance(sub, ast.Import | ast.ImportFrom):
            imports = True
            stores.update(_bound(a) for a in sub.names)
        elif isinstance(sub, ast.ExceptHandler) and sub.name:
            stores.add(sub.name)
        elif isinstance(sub, ast.Call):
            calls, test = True, test or _is_test_call(sub.func)
        elif isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name):
            test |= sub.value.id == "sys" and sub.attr in ("stdin", "stdout", "argv")
    if isinstance(node, ast.Import | ast.ImportFrom):
        future = isinstance(node, ast.ImportFrom) and node.module == "__future__"
        return _Stmt(src, "future" if future else "import", frozenset(stores), frozenset())
    if isinstance(node, _DEFS):
        name = node.name
        bases = " ".join(map(ast.unparse, node.bases)) if isinstance(node, ast.ClassDef) else ""
        if entry is None and (name.startswith("test") or name == "check" or "TestCase" in bases):
            return "test"  # with an entry point, reachability decides instead of the name
        # Names assigned inside are locals (or attributes), not module-level dependencies.
        return _Stmt(src, "def", frozenset({name}), frozenset(loads - stores | declared))
    if "__name__" in loads or (entry in loads and entry not in stores):
        return "test"  # the __main__ block, or an example call of the entry point
    if imports:  # try: import x / except ImportError: fallbacks
        return _Stmt(src, "import", frozenset(stores), frozenset(loads | declared))
    if test:
        return "test"
    stray = isinstance(node, ast.Return | ast.Break | ast.Continue | ast.Pass | ast.Nonlocal)
    stray |= isinstance(node, ast.Expr) and isinstance(node.value, ast.Yield | ast.YieldFrom)
    if stray or (isinstance(node, ast.Expr) and not calls):
        return "noop"  # docstrings, bare names ("Output"), fragments of a function body
    targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", node)]
    plain = isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign) and not any(
        isinstance(e, ast.Attribute | ast.Subscript) for t in targets for e in ast.walk(t)
    )  # binding plain names; ``T[i] = ...`` / ``obj.x = ...`` mutate state instead
    return _Stmt(src, "bind" if plain else "effect", frozenset(stores), frozenset(loads))


def _is_test_call(func: ast.expr) -> bool:
    if isinstance(func, ast.Name):
        return func.id in _TEST_CALLS or func.id.startswith("test")
    owner = func.value if isinstance(func, ast.Attribute) else None
    return isinstance(owner, ast.Name) and (owner.id, getattr(func, "attr", "")) in _TEST_METHODS
