"""Control: a correct solution of HumanEval/53.

Must hold: pass.

task: HumanEval/53
expect: pass
"""


def add(x: int, y: int):
    return x + y
