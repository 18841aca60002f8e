"""Poison the child's own runner: builtins.type, the wire encoder, json.

Attack: patch builtins.type and isinstance (the child's encoder checks types with them),
wire.to_plain and json.dumps in the child's modules, so whatever the child sends says
"equal": a value the encoder would refuse is waved through as an int.
Must hold: whatever the child encodes, the judge decodes only plain data from bytes and
compares it itself -> never pass.

task: HumanEval/53
expect: fail, crash, error
layers: judge
"""
import builtins
import json
import sys

_real_type = builtins.type


class Anything:
    def __eq__(self, other):
        return True

    __hash__ = object.__hash__


def _lying_type(*args):
    if len(args) == 1 and _real_type(args[0]) is Anything:
        return int
    return _real_type(*args)


builtins.type = _lying_type
for _name in ("wire", "codejury.sandbox.wire"):
    _mod = sys.modules.get(_name)
    if _mod is not None:
        _mod.to_plain = lambda value, depth=0: value
_real_dumps = json.dumps
json.dumps = lambda obj, **kw: _real_dumps(obj, default=lambda o: 0, **kw)


def add(x: int, y: int):
    return Anything()
