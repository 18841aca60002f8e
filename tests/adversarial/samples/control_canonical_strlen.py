"""Control: a correct solution of HumanEval/23.

Must hold: pass.

task: HumanEval/23
expect: pass
"""


def strlen(string: str) -> int:
    return len(string)
