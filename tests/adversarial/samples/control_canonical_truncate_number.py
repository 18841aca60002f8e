"""Control: a correct solution of HumanEval/2 (a float task, compared with a tolerance).

Must hold: pass.

task: HumanEval/2
expect: pass
"""
import math


def truncate_number(number: float) -> float:
    return number - math.floor(number)
