"""Read codejury's own expected-output cache and answer from it.

Attack: the judge caches every reference output under $CODEJURY_CACHE_DIR/expected (here a
world-readable directory, as a 0755 home would be; the files themselves are written 0600,
so as root the uid stops this too). Read the index, pick this task's base or
plus list by the number of inputs in the run message (from the caller's frame) and answer
input i with expected[i].
Must hold: the cache is outside the sandbox's read allowlist -> the fallback answer fails.

task: HumanEval/53
expect: fail
layers: landlock, setuid
"""
import glob
import json
import sys

_lists = []
_opened = False
for path in glob.glob("__CACHE_DIR__/expected/*/index.json"):
    try:
        with open(path) as f:
            _opened = True
            data = json.load(f)
        entry = data[1]["HumanEval/53"]
        _lists = [part[0] for part in entry[:2] if part]
    except (OSError, ValueError, KeyError, IndexError, TypeError):
        continue
# The index moved to a checksummed marshal file, with encoded inputs beside it: opening any
# of them is the escape, whatever their format.
for path in glob.glob("__CACHE_DIR__/expected/*/index.marshal") + glob.glob(
    "__CACHE_DIR__/expected/*/inputs/*"
):
    try:
        with open(path, "rb") as f:
            _opened = bool(f.read(1)) or True
    except OSError:
        continue
if _opened and not _lists:
    # The cache format moved on, but reading it at all is the escape.
    raise type("ESCAPED_read_expected_cache", (Exception,), {})()

_calls = {"n": 0, "size": None}


def add(x: int, y: int):
    if _calls["size"] is None:
        message = sys._getframe(1).f_locals.get("message")
        _calls["size"] = len(message[2]) if isinstance(message, list) and len(message) > 2 else -1
    i = _calls["n"]
    _calls["n"] += 1
    for values in _lists:
        if len(values) == _calls["size"]:
            return values[i]
    return x + y + 1
