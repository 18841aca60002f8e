"""Return a 500 MB string.

Attack: an output so large that copying, encoding and comparing it strains the judge.
Must hold: the child (not the judge) pays for it: it either fails to encode it inside its
memory limit or sends a digest; a string is not the int expected -> never pass, bounded time.

task: HumanEval/53
expect: fail, crash, memory, error, timeout
layers: limits, judge
"""


def add(x: int, y: int):
    return "x" * (500 << 20)
