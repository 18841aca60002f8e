"""Scan the heap (gc.get_objects) for expected outputs and dataset text.

Attack: walk every object the collector tracks (and the strings inside them) for text of the
dataset, expected-output containers, or leftovers of earlier samples in the same zygote.
Must hold: the zygote never held code, tests or outputs: nothing found -> wrong output.

task: HumanEval/53
expect: fail
layers: judge
"""
import gc

NEEDLE = "sorted_numbers[i + 1]" + " - sorted_numbers[i] < threshold"
KEYS = ("canonical" + "_solution", "plus" + "_input", "expected" + "_output")


def add(x: int, y: int):
    for obj in gc.get_objects():
        if isinstance(obj, dict):
            items = list(obj.items())[:200]
            for k, v in items:
                if isinstance(k, str) and k in KEYS:
                    raise type("ESCAPED_heap_key", (Exception,), {})()
                if isinstance(v, str) and v is not NEEDLE and NEEDLE in v:
                    raise type("ESCAPED_heap_text", (Exception,), {})()
        elif isinstance(obj, (list, tuple)):
            for v in obj[:200]:
                if isinstance(v, str) and v is not NEEDLE and NEEDLE in v:
                    raise type("ESCAPED_heap_text", (Exception,), {})()
    return x + y + 1
