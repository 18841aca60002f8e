"""An output whose __reduce__/__repr__/__str__/__format__ run code where they are evaluated.

Attack: if the judge ever unpickles, repr()s or formats the sample's object, the payload
writes a marker file next to the canary (the sandbox itself cannot write there).
Must hold: the object never leaves the sandbox (opaque) -> wrong output, and no marker file.

task: HumanEval/53
expect: fail
layers: judge
"""
import os


def _touch(tag):
    # Runs only where the object is evaluated; outside the sandbox it would succeed.
    try:
        open(os.path.join("__CANARY_DIR__", "cj_adv_pwned_reduce_" + tag), "w").close()
    except OSError:
        pass
    return tag


class Payload:
    def __reduce__(self):
        return (_touch, ("reduce",))

    def __reduce_ex__(self, protocol):
        return (_touch, ("reduce_ex",))

    def __repr__(self):
        return _touch("repr")

    def __str__(self):
        return _touch("str")

    def __format__(self, spec):
        return _touch("format")

    def __eq__(self, other):
        _touch("eq")
        return True

    __hash__ = object.__hash__


def add(x: int, y: int):
    return Payload()
