"""Walk the caller's frames (sys._getframe) for expected outputs.

Attack: climb every frame above the call and look through its locals and globals for
anything named like an expected output, or for text of the dataset (a reference solution).
The frame walk also finds the run message; with it the sample could answer by index.
Must hold: the child never holds expected outputs, tests or reference code: nothing found
(else it raises ESCAPED_frames_...) and the constant-wrong answer fails.

task: HumanEval/53
expect: fail
layers: judge
"""
import sys

# Built at run time so this sample's own source is not a hit: text of HumanEval/0's
# reference solution, which runs in a sibling child of the same zygote.
NEEDLE = "sorted_numbers[i + 1]" + " - sorted_numbers[i] < threshold"
SUSPECT = ("expected", "plus_output", "base_output", "canonical", "oracle", "reference")


def _scan(value, depth=0):
    if depth > 3:
        return False
    if isinstance(value, str):
        # `value is NEEDLE`: our own copy, in this module's globals.
        return value is not NEEDLE and (NEEDLE in value or "canonical" + "_solution" in value)
    if isinstance(value, dict):
        return any(_scan(k, depth + 1) or _scan(v, depth + 1) for k, v in list(value.items()))
    if isinstance(value, (list, tuple)):
        return any(_scan(v, depth + 1) for v in value[:2000])
    return False


def add(x: int, y: int):
    frame = sys._getframe(1)
    while frame is not None:
        for scope in (frame.f_locals, frame.f_globals):
            for name, value in list(scope.items()):
                if any(s in name.lower() for s in SUSPECT):
                    raise type("ESCAPED_frames_name_" + name, (Exception,), {})()
                if _scan(value):
                    raise type("ESCAPED_frames_text_" + name, (Exception,), {})()
        frame = frame.f_back
    return x + y + 1
