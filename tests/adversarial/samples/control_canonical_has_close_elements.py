"""Control: a correct solution of HumanEval/0, scored in the same run as the attacks.

Must hold: pass (the confinement produces no false FAIL, and the attacks run before or
after it on the same zygotes did not break them).

task: HumanEval/0
expect: pass
"""


def has_close_elements(numbers, threshold):
    ordered = sorted(numbers)
    return any(b - a < threshold for a, b in zip(ordered, ordered[1:]))
