"""Return a list nested 200,000 levels deep.

Attack: recursive encoders, decoders and == comparisons blow the stack (a RecursionError or a
segfault in the judge).
Must hold: the child's encoder caps depth; the judge's decoder rejects what is too deep ->
never pass, and the judge survives.

task: HumanEval/53
expect: fail, error, crash
layers: judge
"""


def add(x: int, y: int):
    value = []
    for _ in range(200_000):
        value = [value]
    return value
