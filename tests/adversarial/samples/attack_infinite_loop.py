"""An infinite loop in the function.

Attack: never return.
Must hold: timeout at the per-input limit, in bounded time.

task: HumanEval/53
expect: timeout
layers: limits
"""


def add(x: int, y: int):
    while True:
        x += 1
